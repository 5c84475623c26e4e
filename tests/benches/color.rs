//! Gene-map recolouring on the 1024×1024 bench tile (2,487 cells): the
//! viewer's "switch gene / colormap / range" path. Target (DESIGN §4,
//! issue 3): normalise + colour table + paint ≤ 2 ms, one thread.
//!
//! Input: `target/bench-data/mask_1024x1024_s0.npy` (run `bash bench/make-data.sh`),
//! hole-filled and labelled (4-connectivity) by the core, as scipy would;
//! per-cell values are synthetic (skewed, 5 % NaN).

use std::hint::black_box;

use cellmap_core::color::{Colormap, Normalization, Range, cell_colors, normalize, paint};
use cellmap_tests::bench::{self, Clock};
use criterion::{Criterion, criterion_group, criterion_main};

/// Skewed per-cell values with 5 % NaN, deterministic.
fn cell_values(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let h = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
            let u = h as f64 / (1u64 << 53) as f64;
            if u < 0.05 { f64::NAN } else { (u * 4.0).exp() }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(tile) = bench::load_tile() else { return };
    let (width, height, n, grid) = (tile.width, tile.height, tile.cells, tile.grid());
    let values = cell_values(n);
    let (background, no_value, outline) = ([0, 0, 0, 0], [128, 128, 128, 255], 0xFF_FF_FF_FFu32);
    let minmax = Normalization::default();
    let clipped = Normalization { range: Range::Percentile { low: 2.0, high: 98.0 }, log1p: true };
    let mut scratch = vec![0.0; n];
    let mut levels = vec![None; n];
    let mut table = vec![0u32; n + 1];
    let mut image = vec![0u32; width * height];
    let clock = bench::clock_from_env(Clock::Wall);
    let mut group = c.benchmark_group(clock.group_name(&format!("color {width}x{height}, {n} cells")));

    group.bench_function("recolour: min-max + colour table + paint (u32)", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || {
                normalize(black_box(&values), &minmax, &mut [], &mut levels).unwrap();
                cell_colors(&levels, Colormap::Viridis, background, no_value, &mut table).unwrap();
                paint(grid, &table, None, &mut image).unwrap();
            })
        })
    });
    group.bench_function("recolour: log1p + 2-98 percentile + colour table + paint with outlines", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || {
                normalize(black_box(&values), &clipped, &mut scratch, &mut levels).unwrap();
                cell_colors(&levels, Colormap::Magma, background, no_value, &mut table).unwrap();
                paint(grid, &table, Some(outline), &mut image).unwrap();
            })
        })
    });
    group.bench_function("normalize: min-max", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || normalize(black_box(&values), &minmax, &mut [], &mut levels).unwrap())
        })
    });
    group.bench_function("normalize: log1p + 2-98 percentile", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || normalize(black_box(&values), &clipped, &mut scratch, &mut levels).unwrap())
        })
    });
    group.bench_function("cell_colors", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || {
                cell_colors(black_box(&levels), Colormap::Turbo, background, no_value, &mut table).unwrap()
            })
        })
    });
    group.bench_function("paint (u32)", |b| {
        b.iter_custom(|iters| clock.time(iters, || paint(black_box(grid), &table, None, &mut image).unwrap()))
    });
    group.bench_function("paint with outlines (u32)", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || paint(black_box(grid), &table, Some(outline), &mut image).unwrap())
        })
    });
    let rgba_table: Vec<[u8; 4]> = table.iter().map(|p| p.to_ne_bytes()).collect();
    let mut rgba = vec![[0u8; 4]; width * height];
    group.bench_function("paint ([u8; 4])", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || paint(black_box(grid), &rgba_table, None, &mut rgba).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
