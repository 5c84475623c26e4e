//! Benchmarks (feature `bench`): the one clock ([`Clock`]), the one harness
//! ([`median_ms`]: the median of repeats after a warm-up run) and the kernel
//! suite of `cellmap bench` ([`run`]).
//!
//! Every timing in the workspace goes through [`Clock`]: `cellmap bench`
//! (`--clock wall|cpu`) and the criterion benches of `cellmap-tests`
//! (`CELLMAP_BENCH_CLOCK=wall|cpu`, read by [`Clock::from_env`]). Thread CPU
//! time ([`Clock::ThreadCpu`], `CLOCK_THREAD_CPUTIME_ID` on Unix, the clock
//! of Python's `time.thread_time()`) includes memory stalls but not the time
//! other processes hold the core: on a shared, loaded machine wall time
//! mostly measures the scheduler and thread CPU time does not.
//!
//! The suite calls the `cellmap-core` kernels directly, with every buffer
//! allocated beforehand, so that each row times one kernel alone.
//!
//! ```
//! use cellmap::bench::{self, Clock, Input, Unit};
//! // The harness: the median of 3 timed runs after a warm-up run, in ms.
//! let ms = bench::median_ms(Clock::Wall, 3, || Ok::<_, cellmap::Error>(()))?;
//! assert!(ms >= 0.0);
//! // The suite on a small synthetic tile.
//! let report = bench::run(&Input::Synthetic { size: 48, genes: 5 }, Clock::Wall, 1)?;
//! assert_eq!((report.source.as_str(), report.width, report.genes), ("synthetic", 48, 5));
//! let fill = &report.results[0];
//! assert_eq!((fill.kernel, fill.unit, fill.unit.json_field()), ("fill_holes", Unit::Pixels, "mpx_per_s"));
//! # Ok::<(), cellmap::Error>(())
//! ```

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use cellmap_core::Grid;
use cellmap_core::assign;
use cellmap_core::color::{self, Colormap, Normalization};
use cellmap_core::labeling::{self, Connectivity};
use cellmap_core::regions::{self, Region};
use cellmap_core::sparse::{self, Csr as CsrView, SparseIndex};
use cellmap_core::stats::{self, Options};
use cellmap_io::npz::{CsrValue, CsrVisitor};

use crate::memory::filled;
use crate::{BACKGROUND_RGBA, CsrMeans, Demo, Error, Expression, Image, NO_VALUE_RGBA};

/// The environment variable that picks the clock of the criterion benches:
/// `wall` or `cpu` ([`Clock::from_env`]).
pub const CLOCK_ENV: &str = "CELLMAP_BENCH_CLOCK";

/// What a benchmark measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Elapsed wall-clock time (`std::time::Instant`).
    Wall,
    /// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID` on Unix,
    /// `GetThreadTimes` on Windows; not on other targets).
    #[cfg(any(unix, windows))]
    ThreadCpu,
}

impl Clock {
    /// The names [`Clock::from_name`] takes.
    pub const NAMES: [&'static str; 2] = ["wall", "cpu"];

    /// `"wall"` → [`Clock::Wall`], `"cpu"` → [`Clock::ThreadCpu`]; an
    /// error for any other name, or for `"cpu"` where there is no thread
    /// CPU clock (neither Unix nor Windows).
    ///
    /// ```
    /// use cellmap::bench::Clock;
    /// assert_eq!(Clock::from_name("wall")?, Clock::Wall);
    /// assert_eq!(Clock::from_name("cpu")?.name(), "cpu");
    /// assert!(Clock::from_name("thread").is_err());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn from_name(name: &str) -> Result<Clock, Error> {
        match name {
            "wall" => Ok(Clock::Wall),
            #[cfg(any(unix, windows))]
            "cpu" => Ok(Clock::ThreadCpu),
            #[cfg(not(any(unix, windows)))]
            "cpu" => Err(Error::argument("the `cpu` clock (thread CPU time) needs Unix or Windows")),
            other => Err(Error::argument(format!("unknown clock {other:?}: use `wall` or `cpu`"))),
        }
    }

    /// The clock named by [`CLOCK_ENV`] (`CELLMAP_BENCH_CLOCK=wall|cpu`), or
    /// `default` when it is unset; an error for any other value.
    pub fn from_env(default: Clock) -> Result<Clock, Error> {
        match std::env::var(CLOCK_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(default),
            Ok(name) => Clock::from_name(name.trim()).map_err(|e| e.context(CLOCK_ENV)),
            Err(std::env::VarError::NotUnicode(value)) => {
                Err(Error::argument(format!("{CLOCK_ENV}: use `wall` or `cpu`, not {value:?}")))
            }
        }
    }

    /// The name [`Clock::from_name`] reads back: `"wall"` or `"cpu"`.
    pub const fn name(self) -> &'static str {
        match self {
            Clock::Wall => "wall",
            #[cfg(any(unix, windows))]
            Clock::ThreadCpu => "cpu",
        }
    }

    /// A criterion group name for `base`: `base` for wall time, `<base>_cpu`
    /// for thread CPU time, so that the two never share a saved baseline.
    ///
    /// ```
    /// use cellmap::bench::Clock;
    /// assert_eq!(Clock::Wall.group_name("labeling"), "labeling");
    /// assert_eq!(Clock::from_name("cpu")?.group_name("labeling"), "labeling_cpu");
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn group_name(self, base: &str) -> String {
        match self {
            Clock::Wall => base.to_string(),
            #[cfg(any(unix, windows))]
            Clock::ThreadCpu => format!("{base}_cpu"),
        }
    }

    /// The current reading; [`Stamp::elapsed`] is the time since, on this
    /// clock. With [`Clock::ThreadCpu`], read it on the same thread.
    pub fn now(self) -> Stamp {
        match self {
            Clock::Wall => Stamp(Reading::Wall(Instant::now())),
            #[cfg(any(unix, windows))]
            Clock::ThreadCpu => Stamp(Reading::Thread(cpu_time::ThreadTime::now().as_duration())),
        }
    }

    /// Like [`Clock::now`], but [`Clock::ThreadCpu`] counts the CPU time of
    /// every thread of the process (for work that spawns threads, such as
    /// reading a CSR with `cellmap-io`'s `parallel` feature).
    pub fn now_all_threads(self) -> Stamp {
        match self {
            Clock::Wall => Stamp(Reading::Wall(Instant::now())),
            #[cfg(any(unix, windows))]
            Clock::ThreadCpu => Stamp(Reading::Process(cpu_time::ProcessTime::now().as_duration())),
        }
    }

    /// Time of `iters` calls of `routine` (each result goes through
    /// `black_box`): what criterion's `iter_custom` wants, as in
    /// `b.iter_custom(|iters| clock.time(iters, || kernel(...)))`.
    pub fn time<O>(self, iters: u64, mut routine: impl FnMut() -> O) -> Duration {
        let start = self.now();
        for _ in 0..iters {
            black_box(routine());
        }
        start.elapsed()
    }
}

/// A reading of a [`Clock`] ([`Clock::now`]).
#[derive(Debug, Clone, Copy)]
pub struct Stamp(Reading);

#[derive(Debug, Clone, Copy)]
enum Reading {
    Wall(Instant),
    #[cfg(any(unix, windows))]
    Thread(Duration),
    #[cfg(any(unix, windows))]
    Process(Duration),
}

impl Stamp {
    /// Time since the reading, on its clock.
    pub fn elapsed(&self) -> Duration {
        match self.0 {
            Reading::Wall(start) => start.elapsed(),
            #[cfg(any(unix, windows))]
            Reading::Thread(start) => cpu_time::ThreadTime::now().as_duration().saturating_sub(start),
            #[cfg(any(unix, windows))]
            Reading::Process(start) => cpu_time::ProcessTime::now().as_duration().saturating_sub(start),
        }
    }
}

/// The harness: runs `f` once (warm-up), then `repeats` times (at least
/// once) on `clock`, and returns the median time in ms; the first error
/// stops it.
pub fn median_ms<E>(clock: Clock, repeats: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<f64, E> {
    f()?;
    let mut times = Vec::with_capacity(repeats.max(1));
    for _ in 0..repeats.max(1) {
        let start = clock.now();
        f()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// The input of the kernel suite.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// The simulator's `size × size` tile with `genes` genes
    /// ([`Demo::new`]`(0, size, size, genes)`).
    Synthetic {
        /// Side in pixels.
        size: usize,
        /// Genes of the expression.
        genes: usize,
    },
    /// The files of `bash bench/make-data.sh` in `dir`:
    /// `mask_<size>x<size>_s0.npy` and `st_<size>x<size>_s0_g5100_d0.01.npz`
    /// (their reading is timed once, as `read_mask` and `read_csr`).
    Files {
        /// The folder (`target/bench-data`).
        dir: &'a Path,
        /// Side of the tile in pixels.
        size: usize,
    },
}

/// What a kernel's throughput counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Million pixels per second.
    Pixels,
    /// Million stored (nonzero) CSR values per second.
    Nonzeros,
    /// Million transcript points per second.
    Points,
}

impl Unit {
    /// Every unit, in the order of the table's columns.
    pub const ALL: [Unit; 3] = [Unit::Pixels, Unit::Nonzeros, Unit::Points];

    /// The column header: `"Mpx/s"`, `"Mnnz/s"`, `"Mpoints/s"`.
    pub const fn label(self) -> &'static str {
        match self {
            Unit::Pixels => "Mpx/s",
            Unit::Nonzeros => "Mnnz/s",
            Unit::Points => "Mpoints/s",
        }
    }

    /// The JSON field of the throughput (`bench/compare.py` reads these):
    /// `"mpx_per_s"`, `"mnnz_per_s"`, `"mpoints_per_s"`.
    pub const fn json_field(self) -> &'static str {
        match self {
            Unit::Pixels => "mpx_per_s",
            Unit::Nonzeros => "mnnz_per_s",
            Unit::Points => "mpoints_per_s",
        }
    }
}

/// One kernel's timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// The kernel: `fill_holes`, `label4`, ... (`bench/compare.py` reads
    /// these names).
    pub kernel: &'static str,
    /// Median time in ms.
    pub ms: f64,
    /// What [`Timing::rate`] counts.
    pub unit: Unit,
    /// Throughput in millions of [`Timing::unit`] per second.
    pub rate: f64,
}

/// The suite's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// `"synthetic"`, or the data folder.
    pub source: String,
    /// Columns of the tile.
    pub width: usize,
    /// Rows of the tile.
    pub height: usize,
    /// Cells after filling holes and labelling (4-connectivity).
    pub cells: usize,
    /// Genes of the expression.
    pub genes: usize,
    /// Stored values of the expression.
    pub nnz: usize,
    /// Timed repeats per kernel (the CSR kernels: at most 5).
    pub repeats: usize,
    /// The clock.
    pub clock: Clock,
    /// One row per kernel, in a fixed order: `read_mask`, `read_csr` (with
    /// [`Input::Files`]), `fill_holes`, `label4`, `label8`, `fill_label`,
    /// `mean_dense`, `csr_mean`, `csr_mean_keep_zeros`, `regions`, `paint`,
    /// `transpose` (when there are nonzeros), `assign`, `nearest_map`.
    pub results: Vec<Timing>,
}

/// Collects rows with their throughputs.
struct Rows {
    pixels: f64,
    nnz: f64,
    results: Vec<Timing>,
}

impl Rows {
    fn push(&mut self, kernel: &'static str, ms: f64, unit: Unit, count: f64) {
        self.results.push(Timing { kernel, ms, unit, rate: count / ms / 1e3 });
    }
    fn pixels(&mut self, kernel: &'static str, ms: f64) {
        self.push(kernel, ms, Unit::Pixels, self.pixels);
    }
    fn nonzeros(&mut self, kernel: &'static str, ms: f64) {
        self.push(kernel, ms, Unit::Nonzeros, self.nnz);
    }
}

/// A core error of kernel `step`.
fn core(step: &'static str) -> impl Fn(cellmap_core::Error) -> Error {
    move |e| Error::core(step, e)
}

/// One run of `f` on `clock`, counting every thread (see
/// [`Clock::now_all_threads`]), in ms.
fn once<T>(clock: Clock, f: impl FnOnce() -> Result<T, Error>) -> Result<(T, f64), Error> {
    let start = clock.now_all_threads();
    let value = f()?;
    Ok((value, start.elapsed().as_secs_f64() * 1e3))
}

/// Times every kernel of `cellmap bench` on `input` (one thread; `repeats`
/// timed runs after a warm-up, the median reported; the whole-matrix CSR
/// kernels run at most 5 times).
pub fn run(input: &Input<'_>, clock: Clock, repeats: usize) -> Result<Report, Error> {
    let repeats = repeats.max(1);
    let mut reads = Vec::new();
    let (demo, file_mask, file_expression): (Demo, Image<bool>, Expression);
    let (source, mask, expression) = match *input {
        Input::Files { dir, size: n } => {
            let mask_path = dir.join(format!("mask_{n}x{n}_s0.npy"));
            let csr_path = dir.join(format!("st_{n}x{n}_s0_g5100_d0.01.npz"));
            for p in [&mask_path, &csr_path] {
                if !p.exists() {
                    return Err(Error::input(format!(
                        "{}: missing; run `bash bench/make-data.sh` first",
                        p.display()
                    )));
                }
            }
            let ms;
            (file_mask, ms) = once(clock, || crate::input::read_mask(&mask_path))?;
            reads.push(("read_mask", Unit::Pixels, ms));
            let (height, width) = (file_mask.height(), file_mask.width());
            let ms;
            (file_expression, ms) = once(clock, || Expression::read(&csr_path, height, width))?;
            reads.push(("read_csr", Unit::Nonzeros, ms));
            (dir.display().to_string(), &file_mask, &file_expression)
        }
        Input::Synthetic { size, genes } => {
            demo = Demo::new(0, size, size, genes)?;
            ("synthetic".to_string(), demo.mask(), demo.expression())
        }
    };
    let report = kernels(mask, expression, clock, repeats, reads)?;
    Ok(Report { source, ..report })
}

fn kernels(
    mask: &Image<bool>,
    expression: &Expression,
    clock: Clock,
    repeats: usize,
    reads: Vec<(&'static str, Unit, f64)>,
) -> Result<Report, Error> {
    let (width, height, n) = (mask.width(), mask.height(), mask.data().len());
    let nnz = expression.nnz();
    let mut rows = Rows { pixels: n as f64, nnz: nnz as f64, results: Vec::new() };
    for (kernel, unit, ms) in reads {
        match unit {
            Unit::Nonzeros => rows.nonzeros(kernel, ms),
            _ => rows.pixels(kernel, ms),
        }
    }

    let grid = mask.grid();
    let mut scratch = filled(labeling::fill_holes_and_label_scratch_len(width, height), 0u32, "the scratch")?;
    let mut filled_mask = filled(n, false, "the filled mask")?;
    let mut labels = filled(n, 0i32, "the labels")?;
    let ms = median_ms(clock, repeats, || {
        cellmap_core::fill::fill_holes(grid, &mut filled_mask, &mut scratch).map(drop).map_err(core("fill"))
    })?;
    rows.pixels("fill_holes", ms);
    let filled_grid = Grid::new(width, height, &filled_mask[..]).map_err(core("fill"))?;
    for (kernel, connectivity) in [("label4", Connectivity::Four), ("label8", Connectivity::Eight)] {
        let ms = median_ms(clock, repeats, || {
            labeling::label(filled_grid, connectivity, &mut labels, &mut scratch)
                .map(drop)
                .map_err(core("labeling"))
        })?;
        rows.pixels(kernel, ms);
    }
    let mut cells = 0;
    let ms = median_ms(clock, repeats, || {
        cells = labeling::fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch)
            .map_err(core("labeling"))?;
        Ok::<_, Error>(())
    })?;
    rows.pixels("fill_label", ms);
    let labels = Grid::new(width, height, &labels[..]).map_err(core("labeling"))?;

    // One dense gene (column 10, or the last one) for the per-cell mean.
    let gene = 10.min(expression.n_genes().saturating_sub(1));
    let dense = expression.csr().visit(DenseColumn { gene, pixels: n })??;
    let values = Grid::new(width, height, &dense[..]).map_err(core("mean"))?;
    let table_len = stats::table_len(cells);
    let mut counts = filled(table_len, 0u32, "the per-cell counts")?;
    let mut means = filled(table_len, 0f64, "the per-cell means")?;
    let ms = median_ms(clock, repeats, || {
        stats::cell_means(labels, values, cells, Options::new(), &mut counts, &mut means)
            .map_err(core("mean"))
    })?;
    rows.pixels("mean_dense", ms);

    let csr_repeats = repeats.min(5);
    for (kernel, keep_zeros) in [("csr_mean", false), ("csr_mean_keep_zeros", true)] {
        let job = CsrMean { labels, within: grid, cells, keep_zeros, clock, repeats: csr_repeats };
        rows.nonzeros(kernel, expression.csr().visit(job)??);
    }

    let mut regions_out = filled(table_len, Region::EMPTY, "the regions")?;
    let ms = median_ms(clock, repeats, || {
        regions::region_props(labels, cells, &mut regions_out).map_err(core("regions"))
    })?;
    rows.pixels("regions", ms);

    let mut levels = filled(means.len(), None, "the colour levels")?;
    let mut table = filled(cells + 1, [0u8; 4], "the colour table")?;
    let mut rgba = filled(n, [0u8; 4], "the map")?;
    let ms = median_ms(clock, repeats, || {
        color::normalize(&means, &Normalization::default(), &mut [], &mut levels).map_err(core("paint"))?;
        color::cell_colors(&levels, Colormap::Viridis, BACKGROUND_RGBA, NO_VALUE_RGBA, &mut table)
            .map_err(core("paint"))?;
        color::paint(labels, &table, None, &mut rgba).map_err(core("paint"))
    })?;
    rows.pixels("paint", ms);

    // Gene-major transposition (the viewer's per-gene layout).
    if nnz > 0 {
        let ms = expression.csr().visit(Transpose { clock, repeats: csr_repeats })??;
        rows.nonzeros("transpose", ms);
    }

    // Transcripts: one point per 4 pixels on a jittered lattice, looked up in the labels.
    let points = n / 4;
    let xs: Vec<f64> = (0..points).map(|i| ((i * 7919) % width) as f64 + 0.37).collect();
    let ys: Vec<f64> = (0..points).map(|i| ((i * 104_729) % height) as f64 + 0.61).collect();
    let mut assigned = filled(points, 0u32, "the assignments")?;
    let ms = median_ms(clock, repeats, || {
        assign::assign_points(labels, &xs, &ys, 1.0, &mut assigned).map(drop).map_err(core("assign"))
    })?;
    rows.push("assign", ms, Unit::Points, points as f64);
    let mut nearest = filled(n, 0u32, "the nearest-cell map")?;
    let mut scratch = filled(assign::nearest_cell_map_scratch_len(width, height), 0u32, "the scratch")?;
    let ms = median_ms(clock, repeats, || {
        assign::nearest_cell_map(labels, 3.0, &mut nearest, &mut scratch).map_err(core("nearest cell"))
    })?;
    rows.pixels("nearest_map", ms);

    Ok(Report {
        source: String::new(),
        width,
        height,
        cells,
        genes: expression.n_genes(),
        nnz,
        repeats,
        clock,
        results: rows.results,
    })
}

/// Column `gene` of a CSR as a dense image (duplicates summed): the dense
/// kernel's input.
struct DenseColumn {
    gene: usize,
    pixels: usize,
}

impl CsrVisitor for DenseColumn {
    type Output = Result<Vec<f32>, Error>;
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &CsrView<'_, I, V>) -> Self::Output {
        let mut out = filled(self.pixels, 0f32, "the dense gene")?;
        for (row, span) in x.indptr().windows(2).enumerate() {
            let (start, end) = (span[0].as_index(), span[1].as_index());
            for (&col, &v) in x.indices()[start..end].iter().zip(&x.data()[start..end]) {
                if col.as_index() == self.gene {
                    out[row] += v.to_f64() as f32;
                }
            }
        }
        Ok(out)
    }
}

/// All-genes per-cell means within the mask; `keep_zeros`: the mean over
/// every pixel (what `scanpy.get.aggregate`'s mean is), else over the
/// nonzero values (the research scripts'). Returns the median ms.
struct CsrMean<'a> {
    labels: Grid<'a, i32>,
    within: Grid<'a, bool>,
    cells: usize,
    keep_zeros: bool,
    clock: Clock,
    repeats: usize,
}

impl CsrVisitor for CsrMean<'_> {
    type Output = Result<f64, Error>;
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &CsrView<'_, I, V>) -> Self::Output {
        let mut buffers = CsrMeans::new(self.labels.len(), self.cells, x.cols())?;
        let options = Options::new().within(self.within);
        let options = if self.keep_zeros { options.keep_zeros() } else { options };
        median_ms(self.clock, self.repeats, || buffers.compute(self.labels, x, self.cells, options))
    }
}

/// The gene-major transposition of the whole matrix. Returns the median ms.
struct Transpose {
    clock: Clock,
    repeats: usize,
}

impl CsrVisitor for Transpose {
    type Output = Result<f64, Error>;
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &CsrView<'_, I, V>) -> Self::Output {
        let mut gene_ptr = filled(sparse::gene_ptr_len(x.cols()), 0usize, "the gene offsets")?;
        let mut pixels = filled(x.nnz(), 0u32, "the gene-major pixel indices")?;
        let mut values = filled(x.nnz(), V::default(), "the gene-major values")?;
        median_ms(self.clock, self.repeats, || {
            sparse::csr_to_gene_major(x, &mut gene_ptr, &mut pixels, &mut values)
                .map(drop)
                .map_err(core("transpose"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clocks() -> Vec<Clock> {
        Clock::NAMES.iter().filter_map(|name| Clock::from_name(name).ok()).collect()
    }

    #[test]
    fn every_clock_runs_the_routine_iters_times_and_measures_it() {
        for clock in clocks() {
            let mut calls = 0u64;
            let elapsed = clock.time(200, || {
                calls += 1;
                (0..10_000u64).map(black_box).sum::<u64>()
            });
            assert_eq!(calls, 200, "{clock:?}");
            assert!(elapsed > Duration::ZERO, "{clock:?}");
            assert_eq!(Clock::from_name(clock.name()), Ok(clock));
        }
    }

    #[test]
    fn the_harness_warms_up_once_and_reports_the_median() {
        let mut calls = 0;
        let ms = median_ms(Clock::Wall, 4, || {
            calls += 1;
            Ok::<_, Error>(())
        })
        .unwrap();
        assert_eq!(calls, 5);
        assert!(ms >= 0.0);
        let mut calls = 0;
        let e = median_ms(Clock::Wall, 3, || {
            calls += 1;
            if calls == 2 { Err("second run") } else { Ok(()) }
        });
        assert_eq!((e, calls), (Err("second run"), 2));
    }

    #[test]
    fn unknown_clock_names_are_errors() {
        let e = Clock::from_name("wal").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Argument);
        assert!(e.to_string().contains("`wall` or `cpu`"), "{e}");
    }

    #[test]
    fn the_suite_reports_every_kernel_in_order() {
        let report = run(&Input::Synthetic { size: 64, genes: 12 }, Clock::Wall, 1).unwrap();
        let kernels: Vec<_> = report.results.iter().map(|t| t.kernel).collect();
        assert_eq!(
            kernels,
            [
                "fill_holes",
                "label4",
                "label8",
                "fill_label",
                "mean_dense",
                "csr_mean",
                "csr_mean_keep_zeros",
                "regions",
                "paint",
                "transpose",
                "assign",
                "nearest_map"
            ]
        );
        assert_eq!((report.width, report.height, report.genes, report.repeats), (64, 64, 12, 1));
        assert!(report.cells > 0 && report.nnz > 0, "{report:?}");
        let unit = |k: &str| report.results.iter().find(|t| t.kernel == k).map(|t| t.unit);
        assert_eq!(unit("csr_mean"), Some(Unit::Nonzeros));
        assert_eq!(unit("assign"), Some(Unit::Points));
        assert_eq!(unit("paint"), Some(Unit::Pixels));
    }

    #[test]
    fn missing_data_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = run(&Input::Files { dir: dir.path(), size: 8 }, Clock::Wall, 1).unwrap_err();
        assert!(e.to_string().contains("mask_8x8_s0.npy: missing; run `bash bench/make-data.sh`"), "{e}");
    }

    #[test]
    fn the_suite_reads_the_files_and_times_the_reads() {
        let dir = tempfile::tempdir().unwrap();
        let demo = Demo::new(3, 32, 32, 6).unwrap();
        let mask: Vec<u8> = demo.mask().data().iter().map(|&p| u8::from(p) * 255).collect();
        cellmap_io::fs::write_npy(&dir.path().join("mask_32x32_s0.npy"), &[32, 32], &mask).unwrap();
        let file = std::fs::File::create(dir.path().join("st_32x32_s0_g5100_d0.01.npz")).unwrap();
        demo.expression().csr().write(file, "st.npz").unwrap();
        let report = run(&Input::Files { dir: dir.path(), size: 32 }, Clock::Wall, 1).unwrap();
        let first: Vec<_> = report.results[..3].iter().map(|t| (t.kernel, t.unit)).collect();
        assert_eq!(
            first,
            [("read_mask", Unit::Pixels), ("read_csr", Unit::Nonzeros), ("fill_holes", Unit::Pixels)]
        );
        assert_eq!((report.genes, report.nnz), (6, demo.expression().nnz()));
        assert_eq!(report.source, dir.path().display().to_string());
    }
}
