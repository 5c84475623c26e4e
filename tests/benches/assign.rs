//! Transcript assignment on the 1024×1024 bench tile (2,487 cells): the
//! nearest-cell map (once per label image), 1 M point lookups on the labels
//! and on that map, and counting 1 M (cell, gene) pairs into a cell × gene
//! table of 500 genes.
//!
//! Input: `target/bench-data/mask_1024x1024_s0.npy` (run `bash bench/make-data.sh`),
//! hole-filled and labelled (4-connectivity) by the core, as scipy would;
//! points are uniform over the tile plus 2 % outside it, in µm at Xenium's
//! 0.2125 µm per pixel.

use std::hint::black_box;

use cellmap_core::Grid;
use cellmap_core::assign::{assign_points, count_cell_genes, nearest_cell_map, nearest_cell_map_scratch_len};
use cellmap_tests::bench::{self, Clock};
use criterion::{Criterion, criterion_group, criterion_main};

const SCALE: f32 = 0.2125;
const POINTS: usize = 1_000_000;
const GENES: usize = 500;

/// A deterministic xorshift stream of uniforms in `[0, 1)`.
fn uniforms(seed: u64) -> impl Iterator<Item = f32> {
    let mut state = seed;
    std::iter::from_fn(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Some((state >> 40) as f32 / (1u64 << 24) as f32)
    })
}

fn bench(c: &mut Criterion) {
    let Some(tile) = bench::load_tile() else { return };
    let (width, height, n, grid) = (tile.width, tile.height, tile.cells, tile.grid());
    let (w_um, h_um) = (width as f32 * SCALE, height as f32 * SCALE);
    let mut u = uniforms(0x2545_F491_4F6C_DD1D);
    let mut coordinate = |extent: f32| (u.next().unwrap_or(0.5) * 1.02 - 0.01) * extent;
    let (xs, ys): (Vec<f32>, Vec<f32>) = (0..POINTS).map(|_| (coordinate(w_um), coordinate(h_um))).unzip();
    let mut cells = vec![0u32; POINTS];
    let mut nearest = vec![0u32; width * height];
    let mut scratch = vec![0u32; nearest_cell_map_scratch_len(width, height)];
    let clock = bench::clock_from_env(Clock::Wall);
    let mut group = c.benchmark_group(clock.group_name(&format!("assign {width}x{height}, {n} cells")));

    group.bench_function("nearest_cell_map, radius 10 px", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || nearest_cell_map(black_box(grid), 10.0, &mut nearest, &mut scratch).unwrap())
        })
    });
    group.bench_function("assign_points: 1 M f32 points on the labels", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || assign_points(black_box(grid), &xs, &ys, SCALE, &mut cells).unwrap())
        })
    });
    nearest_cell_map(grid, 10.0, &mut nearest, &mut scratch).expect("valid labels");
    let map = Grid::new(width, height, &nearest[..]).expect("map fits the tile");
    group.bench_function("assign_points: 1 M f32 points on the nearest-cell map", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || assign_points(black_box(map), &xs, &ys, SCALE, &mut cells).unwrap())
        })
    });
    let genes: Vec<u32> = (0..POINTS).map(|i| (i * 7919 % GENES) as u32).collect();
    let mut counts = vec![0u32; (n + 1) * GENES];
    group.bench_function("count_cell_genes: 1 M pairs, 500 genes", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || count_cell_genes(black_box(&cells), &genes, n, GENES, &mut counts).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
