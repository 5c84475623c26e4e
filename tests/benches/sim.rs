//! Simulator throughput on a 1024×1024 demo tile (no input files: the
//! simulator makes its own data). Peer: `gen_masks.py make_mask(1024)`
//! (numpy + scipy cKDTree), timed separately.
use cellmap_core::Grid;
use cellmap_sim::{DEMO_GENES, MaskParams, SimCell, demo_cell_capacity, demo_tissue, generate_mask};
use cellmap_tests::bench::{self, Clock};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SIDE: usize = 1024;

fn bench_sim(c: &mut Criterion) {
    let n = SIDE * SIDE;
    let (mut mask, mut owner) = (vec![0u8; n], vec![0u32; n]);
    let mut cells = vec![SimCell::EMPTY; demo_cell_capacity(SIDE, SIDE)];
    let mut rates = vec![0f64; cells.len() * DEMO_GENES];
    let params = MaskParams::default();
    let clock = bench::clock_from_env(Clock::Wall);
    let mut group = c.benchmark_group(clock.group_name("sim_1024"));
    group.sample_size(10);
    group.bench_function("generate_mask", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || {
                generate_mask(black_box(0), SIDE, SIDE, &params, &mut mask, &mut owner, &mut cells).unwrap()
            })
        })
    });
    let demo = demo_tissue(0, SIDE, SIDE, &mut mask, &mut owner, &mut cells, &mut rates).unwrap();
    let live = &cells[..demo.mask.cells];
    group.bench_function("cell_rates_20_genes", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || demo.model.cell_rates(SIDE, SIDE, black_box(live), &mut rates).unwrap())
        })
    });
    let grid = Grid::new(SIDE, SIDE, &owner).unwrap();
    let size = demo.model.csr_size(&grid, &rates).unwrap();
    let mut indptr = vec![0u32; n + 1];
    let (mut indices, mut data) = (vec![0u32; size.nnz], vec![0f32; size.nnz]);
    group.bench_function("csr_size_20_genes", |b| {
        b.iter_custom(|iters| clock.time(iters, || demo.model.csr_size(black_box(&grid), &rates).unwrap()))
    });
    group.bench_function("fill_csr_20_genes", |b| {
        b.iter_custom(|iters| {
            clock.time(iters, || {
                demo.model.fill_csr(black_box(&grid), &rates, &mut indptr, &mut indices, &mut data).unwrap()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_sim);
criterion_main!(benches);
