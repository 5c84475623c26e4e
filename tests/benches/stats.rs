//! Per-cell statistics, region properties and the CSR / gene-major kernels on
//! the bench tile (`bash bench/make-data.sh` → `target/bench-data/`).
//!
//! Peers for the same inputs: `bench/peers/stats.py` (`np.bincount`,
//! `ndimage.mean`, the indicator product `A @ X`, `X.tocsc()`).
//!
//! Labels come from the 1024² mask, filled and labelled (4-connectivity,
//! scipy numbering) by `cellmap_core::labeling`. The dense value image is
//! `(p · 2654435761 mod 1000) / 100` for pixel `p`, as in the peer script.
//! The CSR kernels run on the matrix in its file's dtypes (`Csr::visit`).
//!
//! Times are **CPU time of the benchmark thread** by default
//! (`cellmap::bench::Clock::ThreadCpu`, which includes memory stalls), not
//! wall-clock: the bench machines are shared, and wall time there mostly
//! measures the scheduler. The peer script reports `time.thread_time()` for
//! the same reason. `CELLMAP_BENCH_CLOCK=wall` times wall-clock time (groups
//! without the `_cpu` suffix).
use std::time::Duration;

use cellmap::bench::{Clock, Stamp};
use cellmap_core::Grid;
use cellmap_core::labeling::Connectivity;
use cellmap_core::regions::{Region, region_props};
use cellmap_core::sparse::{
    Csr, CsrCellStatsScratch, SparseIndex, csr_cell_means, csr_cell_stats, csr_to_gene_major,
    gene_cell_stats, gene_cell_stats_scratch_len, gene_ptr_len,
};
use cellmap_core::stats::{CellStats, Options, add_skipping_nan, cell_means, cell_stats};
use cellmap_io::npz::{CsrValue, CsrVisitor};
use cellmap_tests::bench;
use criterion::Criterion;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Criterion measurement on the one benchmark clock.
struct ClockTime(Clock);

static WALL: WallTime = WallTime;

impl Measurement for ClockTime {
    type Intermediate = Stamp;
    type Value = Duration;
    fn start(&self) -> Stamp {
        self.0.now()
    }
    fn end(&self, start: Stamp) -> Duration {
        start.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// What every group needs: the criterion instance, the clock (for group
/// names) and the labelled tile.
struct Tile<'a> {
    c: &'a mut Criterion<ClockTime>,
    clock: Clock,
    labels: Grid<'a, i32>,
    cells: usize,
}

fn benches(c: &mut Criterion<ClockTime>, clock: Clock) {
    let Some(mask) = bench::load_mask(1024) else { return };
    let tile = mask.fill_and_label(Connectivity::Four);
    let (w, h, n) = (tile.width, tile.height, tile.cells);
    let values: Vec<f32> = (0..(w * h) as u64).map(|p| ((p * 2_654_435_761) % 1000) as f32 / 100.0).collect();
    eprintln!("bench tile {w}x{h}: {n} cells");
    let lg = tile.grid();
    let vg = Grid::new(w, h, &values[..]).unwrap();
    let unfilled = mask.grid();

    let mut group = c.benchmark_group(clock.group_name("dense_1024"));
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let (mut counts, mut means) = (vec![0u32; n + 1], vec![0.0; n + 1]);
    group.bench_function("cell_means", |b| {
        b.iter(|| cell_means(lg, vg, n, Options::new(), &mut counts, &mut means).unwrap())
    });
    let mut stats = vec![CellStats::EMPTY; n + 1];
    group.bench_function("cell_stats", |b| {
        b.iter(|| cell_stats(lg, vg, n, Options::new(), &mut stats).unwrap())
    });
    group.bench_function("cell_stats_within_unfilled", |b| {
        b.iter(|| cell_stats(lg, vg, n, Options::new().within(unfilled), &mut stats).unwrap())
    });
    let mut regions = vec![Region::EMPTY; n + 1];
    group.bench_function("region_props", |b| b.iter(|| region_props(lg, n, &mut regions).unwrap()));
    group.finish();

    let Some(csr) = bench::load_csr("st_1024x1024_s0_g5100_d0.01.npz") else { return };
    eprintln!("CSR: {} nnz, {} genes", csr.nnz(), csr.shape.1);
    csr.visit(AllGenes(Tile { c: &mut *c, clock, labels: lg, cells: n })).unwrap();

    if let Some(small) = bench::load_csr("st_1024x1024_s0_g100_d0.01.npz") {
        small.visit(CsrStats(Tile { c, clock, labels: lg, cells: n })).unwrap();
    }
}

/// Groups `csr_5100` (validation, the all-genes per-cell means, the
/// gene-major transposition) and `gene_major_5100` (per-cell statistics of
/// one gene and of a sum of genes from the transposed matrix).
struct AllGenes<'a>(Tile<'a>);

impl CsrVisitor for AllGenes<'_> {
    type Output = ();
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &Csr<'_, I, V>) {
        let Tile { c, clock, labels: lg, cells: n } = self.0;
        let (g, pixels) = (x.cols(), lg.len());
        let mut group = c.benchmark_group(clock.group_name("csr_5100"));
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
        group.bench_function("validate", |b| {
            b.iter(|| Csr::new(g, x.indptr(), x.indices(), x.data()).unwrap())
        });
        let scratch = CsrCellStatsScratch::new(pixels, n, g);
        let mut row_sums = vec![0.0; scratch.row_sums];
        let mut order = vec![0u32; scratch.order];
        {
            let (mut counts, mut means) = (vec![0u32; (n + 1) * g], vec![0.0; (n + 1) * g]);
            group.bench_function("csr_cell_means", |b| {
                b.iter(|| {
                    csr_cell_means(
                        lg,
                        x,
                        n,
                        Options::new(),
                        &mut counts,
                        &mut means,
                        &mut row_sums,
                        &mut order,
                    )
                    .unwrap()
                })
            });
            // Cells only, like the peer's indicator product (row 0, the background, stays
            // empty): the labels themselves are the `within` mask.
            group.bench_function("csr_cell_means_cells_only", |b| {
                b.iter(|| {
                    let cells_only = Options::new().within(lg);
                    csr_cell_means(lg, x, n, cells_only, &mut counts, &mut means, &mut row_sums, &mut order)
                        .unwrap()
                })
            });
        }
        let mut ptr = vec![0usize; gene_ptr_len(g)];
        let (mut gene_pixels, mut gene_values) = (vec![0u32; x.nnz()], vec![V::default(); x.nnz()]);
        group.bench_function("csr_to_gene_major", |b| {
            b.iter(|| {
                csr_to_gene_major(x, &mut ptr, &mut gene_pixels, &mut gene_values).unwrap();
            })
        });
        group.finish();

        let gm = csr_to_gene_major(x, &mut ptr, &mut gene_pixels, &mut gene_values).unwrap();
        let mut group = c.benchmark_group(clock.group_name("gene_major_5100"));
        group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
        let mut per_cell = vec![CellStats::EMPTY; n + 1];
        let layers: Vec<usize> = (0..31).collect();
        let mut gscratch = vec![0usize; gene_cell_stats_scratch_len(n)];
        group.bench_function("one_gene", |b| {
            b.iter(|| gene_cell_stats(lg, &gm, 7, n, Options::new(), &mut per_cell, &mut gscratch).unwrap())
        });
        // The viewer's sum of genes: each gene's per-cell mean, summed over the genes (NaN skipped).
        let (mut layer, mut total) = (vec![f64::NAN; n + 1], vec![f64::NAN; n + 1]);
        group.bench_function("layer_sum_of_genes_0_to_30", |b| {
            b.iter(|| {
                total.fill(f64::NAN);
                for &gene in &layers {
                    gene_cell_stats(lg, &gm, gene, n, Options::new(), &mut per_cell, &mut gscratch).unwrap();
                    layer.iter_mut().zip(&per_cell).for_each(|(v, s)| *v = s.mean());
                    add_skipping_nan(&mut total, &layer).unwrap();
                }
            })
        });
        group.finish();
    }
}

/// Group `csr_100`: every per-cell statistic of every gene of the 100-gene
/// matrix.
struct CsrStats<'a>(Tile<'a>);

impl CsrVisitor for CsrStats<'_> {
    type Output = ();
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &Csr<'_, I, V>) {
        let Tile { c, clock, labels: lg, cells: n } = self.0;
        let mut out = vec![CellStats::EMPTY; (n + 1) * x.cols()];
        let scratch = CsrCellStatsScratch::new(lg.len(), n, x.cols());
        let mut row_sums = vec![0.0; scratch.row_sums];
        let mut order = vec![0u32; scratch.order];
        let mut group = c.benchmark_group(clock.group_name("csr_100"));
        group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        group.bench_function("csr_cell_stats", |b| {
            b.iter(|| csr_cell_stats(lg, x, n, Options::new(), &mut out, &mut row_sums, &mut order).unwrap())
        });
        group.finish();
    }
}

fn main() {
    let clock = bench::clock_from_env(Clock::ThreadCpu);
    let mut c = Criterion::default().with_measurement(ClockTime(clock)).configure_from_args();
    benches(&mut c, clock);
    c.final_summary();
}
