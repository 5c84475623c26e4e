//! Hole filling and labeling on the seeded synthetic tissue masks
//! (`bash bench/make-data.sh` writes them to `target/bench-data/`):
//! fill, label (4 and 8), the fused fill+label, and fill then label as two
//! calls (what the fused kernel saves). Compare with the Python peers in the
//! same session: `.venv/bin/python bench/peers/labeling.py`.

use std::path::PathBuf;

use cellmap_core::{
    Connectivity, Grid, fill_holes, fill_holes_and_label, fill_holes_and_label_scratch_len,
    fill_holes_scratch_len, label, label_scratch_len,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench_data_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("bench-data")
}

/// The mask as (width, height, 0/255 bytes), or `None` when the data is missing.
fn load_mask(size: usize) -> Option<(usize, usize, Vec<u8>)> {
    let path = bench_data_dir().join(format!("mask_{size}x{size}_s0.npy"));
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("{} is missing: run `bash bench/make-data.sh` first; skipping", path.display());
        return None;
    };
    let array = cellmap_tests::npy::parse(&bytes).expect("bench mask is a valid .npy");
    let (height, width) = (array.shape[0], array.shape[1]);
    Some((width, height, array.to::<u8>()))
}

fn labeling(c: &mut Criterion) {
    for size in [1024, 4096] {
        let Some((width, height, mask)) = load_mask(size) else { continue };
        let grid = Grid::new(width, height, &mask).expect("square mask");
        let mut group = c.benchmark_group(format!("labeling_{size}"));
        if size > 1024 {
            group.sample_size(10);
        }
        let mut filled = vec![false; width * height];
        let mut labels = vec![0i32; width * height];
        let mut scratch = vec![
            0u32;
            fill_holes_scratch_len(width, height)
                .max(label_scratch_len(width, height))
                .max(fill_holes_and_label_scratch_len(width, height))
        ];
        group.bench_function("fill", |b| b.iter(|| fill_holes(grid, &mut filled, &mut scratch).unwrap()));
        group.bench_function("label_4", |b| {
            b.iter(|| label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap())
        });
        group.bench_function("label_8", |b| {
            b.iter(|| label(grid, Connectivity::Eight, &mut labels, &mut scratch).unwrap())
        });
        group.bench_function("fill_label_4", |b| {
            b.iter(|| fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap())
        });
        group.bench_function("fill_then_label_4", |b| {
            b.iter(|| {
                fill_holes(grid, &mut filled, &mut scratch).unwrap();
                let filled = Grid::new(width, height, &filled[..]).unwrap();
                label(filled, Connectivity::Four, &mut labels, &mut scratch).unwrap()
            })
        });
        let cells = fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap();
        eprintln!("labeling_{size}: {cells} cells after fill + label (4-connectivity)");
        group.finish();
    }
}

criterion_group!(benches, labeling);
criterion_main!(benches);
