//! Per-cell statistics, region properties and the CSR / gene-major kernels on
//! the bench tile (`bash bench/make-data.sh` → `target/bench-data/`).
//!
//! Peers for the same inputs: `bench/peers/stats.py` (`np.bincount`,
//! `ndimage.mean`, the indicator product `A @ X`, `X.tocsc()`).
//!
//! Labels come from the 1024² mask, filled and labelled (4-connectivity,
//! scipy numbering) by `cellmap_core::labeling`. The dense value image is
//! `(p · 2654435761 mod 1000) / 100` for pixel `p`, as in the peer script.
//!
//! Times are **CPU time of the benchmark thread** (`CLOCK_THREAD_CPUTIME_ID`,
//! which includes memory stalls), not wall-clock: the bench machines are
//! shared, and wall time there mostly measures the scheduler. The peer
//! script reports `time.thread_time()` for the same reason. Set
//! `CELLMAP_BENCH_WALL=1` for wall-clock time.
use std::path::{Path, PathBuf};
use std::time::Duration;

use cellmap_core::Grid;
use cellmap_core::labeling::{Connectivity, fill_holes_and_label, fill_holes_and_label_scratch_len};
use cellmap_core::regions::{Region, region_props};
use cellmap_core::sparse::{
    Csr, CsrCellStatsScratch, csr_cell_means, csr_cell_stats, csr_to_gene_major, gene_cell_stats,
    gene_cell_stats_scratch_len, gene_ptr_len,
};
use cellmap_core::stats::{CellStats, Options, cell_means, cell_stats};
use cellmap_io::Limits;
use cellmap_io::npy::ArrayData;
use cellmap_io::npz::{IndexArray, ValueArray};
use criterion::Criterion;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// CPU time consumed by this thread, in ns: `CLOCK_THREAD_CPUTIME_ID`, the
/// clock behind Python's `time.thread_time()` (precise, unlike the
/// tick-granular `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Criterion measurement: CPU time of the benchmark thread.
struct ThreadCpuTime;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns().saturating_sub(start))
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

fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("bench-data")
}

/// scipy's `binary_fill_holes` then `ndimage.label` (4-connectivity).
fn fill_and_label(mask: &[u8], w: usize, h: usize) -> (Vec<i32>, usize) {
    let mut labels = vec![0i32; w * h];
    let mut scratch = vec![0u32; fill_holes_and_label_scratch_len(w, h)];
    let n =
        fill_holes_and_label(Grid::new(w, h, mask).unwrap(), Connectivity::Four, &mut labels, &mut scratch)
            .unwrap();
    (labels, n)
}

struct CsrData {
    genes: usize,
    indptr: Vec<i32>,
    indices: Vec<i32>,
    data: Vec<f32>,
}

/// The bench CSR (int32 indices, float32 data, as `bench/gen_masks.py` writes it).
fn load_csr(path: &Path) -> CsrData {
    let csr = cellmap_io::fs::read_csr(path, &Limits::default()).unwrap();
    match (csr.indptr, csr.indices, csr.data) {
        (IndexArray::I32(indptr), IndexArray::I32(indices), ValueArray::F32(data)) => {
            CsrData { genes: csr.shape.1, indptr, indices, data }
        }
        _ => panic!("{}: expected int32 indices and float32 data", path.display()),
    }
}

fn benches<M: Measurement<Value = Duration> + 'static>(c: &mut Criterion<M>) {
    let dir = data_dir();
    let mask_path = dir.join("mask_1024x1024_s0.npy");
    if !mask_path.exists() {
        eprintln!("{} is missing: run `bash bench/make-data.sh` first; skipping", mask_path.display());
        return;
    }
    let (shape, data) = cellmap_io::fs::read_npy(&mask_path, &Limits::default()).unwrap().into_parts();
    let ArrayData::U8(mask) = data else { panic!("{}: expected a uint8 mask", mask_path.display()) };
    let (h, w) = (shape[0], shape[1]);
    let (labels, n) = fill_and_label(&mask, w, h);
    let values: Vec<f32> = (0..(w * h) as u64).map(|p| ((p * 2_654_435_761) % 1000) as f32 / 100.0).collect();
    eprintln!("bench tile {w}x{h}: {n} cells");
    let lg = Grid::new(w, h, &labels[..]).unwrap();
    let vg = Grid::new(w, h, &values[..]).unwrap();
    let unfilled = Grid::new(w, h, &mask[..]).unwrap();

    let mut group = c.benchmark_group("dense_1024");
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

    let csr_path = dir.join("st_1024x1024_s0_g5100_d0.01.npz");
    if !csr_path.exists() {
        eprintln!("{} is missing: run `bash bench/make-data.sh` first; skipping", csr_path.display());
        return;
    }
    let csr = load_csr(&csr_path);
    let g = csr.genes;
    eprintln!("CSR: {} nnz, {} genes", csr.data.len(), g);
    let mut group = c.benchmark_group("csr_5100");
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    group.bench_function("validate", |b| {
        b.iter(|| Csr::new(g, &csr.indptr, &csr.indices, &csr.data).unwrap())
    });
    let x = Csr::new(g, &csr.indptr, &csr.indices, &csr.data).unwrap();
    let mut row_sums = vec![0.0; CsrCellStatsScratch::new(w * h, n, g).row_sums];
    let mut order = vec![0u32; CsrCellStatsScratch::new(w * h, n, g).order];
    {
        let (mut counts, mut means) = (vec![0u32; (n + 1) * g], vec![0.0; (n + 1) * g]);
        group.bench_function("csr_cell_means", |b| {
            b.iter(|| {
                csr_cell_means(lg, &x, n, Options::new(), &mut counts, &mut means, &mut row_sums, &mut order)
                    .unwrap()
            })
        });
        // Cells only, like the peer's indicator product (row 0, the background, stays
        // empty): the labels themselves are the `within` mask.
        group.bench_function("csr_cell_means_cells_only", |b| {
            b.iter(|| {
                let cells_only = Options::new().within(lg);
                csr_cell_means(lg, &x, n, cells_only, &mut counts, &mut means, &mut row_sums, &mut order)
                    .unwrap()
            })
        });
    }
    let mut ptr = vec![0usize; gene_ptr_len(g)];
    let (mut pixels, mut gene_values) = (vec![0u32; x.nnz()], vec![0f32; x.nnz()]);
    group.bench_function("csr_to_gene_major", |b| {
        b.iter(|| {
            csr_to_gene_major(&x, &mut ptr, &mut pixels, &mut gene_values).unwrap();
        })
    });
    group.finish();

    let gm = csr_to_gene_major(&x, &mut ptr, &mut pixels, &mut gene_values).unwrap();
    let mut group = c.benchmark_group("gene_major_5100");
    group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    let mut per_cell = vec![CellStats::EMPTY; n + 1];
    let layers: Vec<usize> = (0..31).collect();
    let mut gscratch = vec![0usize; gene_cell_stats_scratch_len(n)];
    group.bench_function("one_gene", |b| {
        b.iter(|| gene_cell_stats(lg, &gm, 7, n, Options::new(), &mut per_cell, &mut gscratch).unwrap())
    });
    group.bench_function("sum_of_genes_0_to_30", |b| {
        b.iter(|| {
            for &g in &layers {
                gene_cell_stats(lg, &gm, g, n, Options::new(), &mut per_cell, &mut gscratch).unwrap();
            }
        })
    });
    group.finish();

    let small_path = dir.join("st_1024x1024_s0_g100_d0.01.npz");
    if let Ok(true) = small_path.try_exists() {
        let small = load_csr(&small_path);
        let x = Csr::new(small.genes, &small.indptr, &small.indices, &small.data).unwrap();
        let mut out = vec![CellStats::EMPTY; (n + 1) * small.genes];
        let mut row_sums = vec![0.0; CsrCellStatsScratch::new(w * h, n, small.genes).row_sums];
        let mut group = c.benchmark_group("csr_100");
        group.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        group.bench_function("csr_cell_stats", |b| {
            b.iter(|| csr_cell_stats(lg, &x, n, Options::new(), &mut out, &mut row_sums, &mut order).unwrap())
        });
        group.finish();
    }
}

fn main() {
    if std::env::var_os("CELLMAP_BENCH_WALL").is_some() {
        let mut c = Criterion::default().configure_from_args();
        benches(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default().with_measurement(ThreadCpuTime).configure_from_args();
        benches(&mut c);
        c.final_summary();
    }
}
