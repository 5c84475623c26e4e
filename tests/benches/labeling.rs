//! Hole filling and labeling on the seeded synthetic tissue masks
//! (`bash bench/make-data.sh` writes them to `target/bench-data/`):
//! fill, label (4 and 8), the fused fill+label, and fill then label as two
//! calls (what the fused kernel saves). Compare with the Python peers in the
//! same session: `.venv/bin/python bench/peers/labeling.py`.
//!
//! On a shared, loaded machine wall time mostly measures the scheduler:
//! `CELLMAP_BENCH_CLOCK=cpu cargo bench --bench labeling` times thread CPU
//! time instead (groups `labeling_cpu_<size>`; see `cellmap::bench::Clock`),
//! to be compared with `bench/peers/labeling.py --clock cpu`.

use cellmap_core::{
    Connectivity, Grid, fill_holes, fill_holes_and_label, fill_holes_and_label_scratch_len,
    fill_holes_scratch_len, label, label_scratch_len,
};
use cellmap_tests::bench::{self, Clock};
use criterion::{Criterion, criterion_group, criterion_main};

fn labeling(c: &mut Criterion) {
    let clock = bench::clock_from_env(Clock::Wall);
    for size in [1024, 4096] {
        let Some(mask) = bench::load_mask(size) else { continue };
        let (width, height, grid) = (mask.width, mask.height, mask.grid());
        let mut group = c.benchmark_group(format!("{}_{size}", clock.group_name("labeling")));
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
        group.bench_function("fill", |b| {
            b.iter_custom(|iters| clock.time(iters, || fill_holes(grid, &mut filled, &mut scratch).unwrap()))
        });
        group.bench_function("label_4", |b| {
            b.iter_custom(|iters| {
                clock.time(iters, || label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap())
            })
        });
        group.bench_function("label_8", |b| {
            b.iter_custom(|iters| {
                clock.time(iters, || label(grid, Connectivity::Eight, &mut labels, &mut scratch).unwrap())
            })
        });
        group.bench_function("fill_label_4", |b| {
            b.iter_custom(|iters| {
                clock.time(iters, || {
                    fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap()
                })
            })
        });
        group.bench_function("fill_then_label_4", |b| {
            b.iter_custom(|iters| {
                clock.time(iters, || {
                    fill_holes(grid, &mut filled, &mut scratch).unwrap();
                    let filled = Grid::new(width, height, &filled[..]).unwrap();
                    label(filled, Connectivity::Four, &mut labels, &mut scratch).unwrap()
                })
            })
        });
        let cells = fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch).unwrap();
        eprintln!("labeling_{size}: {cells} cells after fill + label (4-connectivity)");
        group.finish();
    }
}

criterion_group!(benches, labeling);
criterion_main!(benches);
