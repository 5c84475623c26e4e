//! Core kernel calls on owned buffers: the allocating conveniences the CLI needs (scratch sizes
//! from the core's `const fn` helpers, outputs with the background row dropped).

use anyhow::{Context, Result};
use cellmap_core::color::{self, Colormap, Normalization, Range};
use cellmap_core::labeling::{self, Connectivity};
use cellmap_core::regions::{self, Region};
use cellmap_core::sparse::{self, SparseIndex, SparseValue};
use cellmap_core::stats::{self, CellStats, Options, Within};
use cellmap_core::{Grid, fill};
use cellmap_io::npz::{Csr as CsrFile, IndexArray, ValueArray};

use crate::args::{ColormapArg, ConnectivityArg, SegmentationArgs, StatArg};
use crate::input::Image;

impl From<ConnectivityArg> for Connectivity {
    fn from(c: ConnectivityArg) -> Self {
        match c {
            ConnectivityArg::Four => Connectivity::Four,
            ConnectivityArg::Eight => Connectivity::Eight,
        }
    }
}

impl From<ColormapArg> for Colormap {
    fn from(c: ColormapArg) -> Self {
        match c {
            ColormapArg::Viridis => Colormap::Viridis,
            ColormapArg::Magma => Colormap::Magma,
            ColormapArg::Inferno => Colormap::Inferno,
            ColormapArg::Plasma => Colormap::Plasma,
            ColormapArg::Cividis => Colormap::Cividis,
            ColormapArg::Turbo => Colormap::Turbo,
            ColormapArg::Gray => Colormap::Gray,
        }
    }
}

/// Labels of a mask and, when asked for, the hole-filled mask.
#[derive(Debug)]
pub struct Segmentation {
    pub labels: Image<i32>,
    pub cells: usize,
    pub filled: Option<Vec<bool>>,
}

/// Fills holes (unless disabled) and labels, as scipy does.
pub fn segment(mask: &Image<bool>, options: SegmentationArgs, keep_filled: bool) -> Result<Segmentation> {
    let (width, height) = (mask.width, mask.height);
    let connectivity = Connectivity::from(options.connectivity);
    let mut labels = vec![0i32; mask.data.len()];
    let scratch_len = labeling::fill_holes_and_label_scratch_len(width, height)
        .max(labeling::label_scratch_len(width, height))
        .max(fill::fill_holes_scratch_len(width, height));
    let mut scratch = vec![0u32; scratch_len];
    let (cells, filled) = if options.no_fill_holes {
        (labeling::label(mask.grid(), connectivity, &mut labels, &mut scratch)?, None)
    } else if keep_filled {
        let mut filled = vec![false; mask.data.len()];
        fill::fill_holes(mask.grid(), &mut filled, &mut scratch)?;
        let cells =
            labeling::label(Grid::new(width, height, &filled[..])?, connectivity, &mut labels, &mut scratch)?;
        (cells, Some(filled))
    } else {
        (labeling::fill_holes_and_label(mask.grid(), connectivity, &mut labels, &mut scratch)?, None)
    };
    Ok(Segmentation { labels: Image { width, height, data: labels }, cells, filled })
}

/// A per-cell statistic in the dtype `cellmap reduce` writes (row `k-1` = label `k`).
#[derive(Debug)]
pub enum Table {
    F64(Vec<f64>),
    I64(Vec<i64>),
    F32(Vec<f32>),
}

/// Picks `stat` out of per-label statistics, dropping the background row(s) (the first `width`).
fn from_stats(stat: StatArg, all: &[CellStats], width: usize) -> Table {
    let cells = all.get(width..).unwrap_or_default();
    match stat {
        StatArg::Mean => Table::F64(cells.iter().map(CellStats::mean).collect()),
        StatArg::Sum => Table::F64(cells.iter().map(CellStats::sum).collect()),
        StatArg::Count => Table::I64(cells.iter().map(|s| s.count() as i64).collect()),
        StatArg::Min => Table::F32(cells.iter().map(|s| s.min() as f32).collect()),
        StatArg::Max => Table::F32(cells.iter().map(|s| s.max() as f32).collect()),
    }
}

/// Which pixels count: an optional restricting mask and the zero policy.
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    pub within: Option<&'a Image<bool>>,
    pub keep_zeros: bool,
}

impl Selection<'_> {
    /// Calls `f` with the core's `Options` for this selection (two option types, one body).
    fn apply<R>(self, f: impl WithOptions<R>) -> Result<R> {
        let base = if self.keep_zeros { Options::new().keep_zeros() } else { Options::new() };
        match self.within {
            Some(mask) => f.call(base.within(mask.grid())),
            None => f.call(base),
        }
    }
}

/// A computation generic over the `Within` type of `Options`.
trait WithOptions<R> {
    fn call<W: Within>(self, options: Options<W>) -> Result<R>;
}

/// Per-cell statistic of one dense image: `(N,)`.
pub fn dense_stat(
    labels: &Image<i32>,
    cells: usize,
    values: &Image<f32>,
    selection: Selection<'_>,
    stat: StatArg,
) -> Result<Table> {
    struct Dense<'a> {
        labels: Grid<'a, i32>,
        values: Grid<'a, f32>,
        cells: usize,
        stat: StatArg,
    }
    impl WithOptions<Table> for Dense<'_> {
        fn call<W: Within>(self, options: Options<W>) -> Result<Table> {
            let mut out = vec![CellStats::EMPTY; stats::table_len(self.cells)];
            stats::cell_stats(self.labels, self.values, self.cells, options, &mut out)?;
            Ok(from_stats(self.stat, &out, 1))
        }
    }
    let (labels, values) = (labels.grid(), values.grid());
    labels.ensure_same_shape(&values).with_context(|| {
        format!(
            "values are {}×{}, labels {}×{}",
            values.height(),
            values.width(),
            labels.height(),
            labels.width()
        )
    })?;
    selection.apply(Dense { labels, values, cells, stat })
}

/// Runs `f` on the core's CSR view of a CSR read from a file (index and value types dispatched).
pub fn with_csr<R>(csr: &CsrFile, f: impl CsrFn<R>) -> Result<R> {
    let cols = csr.shape.1;
    macro_rules! go {
        ($p:expr, $i:expr, $d:expr) => {
            f.call(&sparse::Csr::new(cols, $p, $i, $d).with_context(|| csr.source.clone())?)
        };
    }
    match (&csr.indptr, &csr.indices, &csr.data) {
        (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F32(d)) => go!(p, i, d),
        (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F64(d)) => go!(p, i, d),
        (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F32(d)) => go!(p, i, d),
        (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F64(d)) => go!(p, i, d),
        _ => anyhow::bail!("{}: indptr and indices have different integer types", csr.source),
    }
}

/// A computation generic over the CSR's index and value types.
pub trait CsrFn<R> {
    fn call<I: SparseIndex, V: SparseValue>(self, x: &sparse::Csr<'_, I, V>) -> Result<R>;
}

/// Per-cell × gene statistic of a pixels × genes CSR: `(N, G)` row-major.
pub fn csr_stat(
    labels: &Image<i32>,
    cells: usize,
    csr: &CsrFile,
    selection: Selection<'_>,
    stat: StatArg,
) -> Result<Table> {
    #[derive(Clone, Copy)]
    struct Stat<'a> {
        labels: Grid<'a, i32>,
        cells: usize,
        selection: Selection<'a>,
        stat: StatArg,
    }
    struct WithMatrix<'a, 'x, I, V> {
        job: Stat<'a>,
        x: &'a sparse::Csr<'x, I, V>,
    }
    impl<I: SparseIndex, V: SparseValue> WithOptions<Table> for WithMatrix<'_, '_, I, V> {
        fn call<W: Within>(self, options: Options<W>) -> Result<Table> {
            let (cells, genes) = (self.job.cells, self.x.cols());
            let len = stats::table_len(cells) * genes;
            let mut row_sums = vec![0.0f64; sparse::csr_row_sums_len(genes)];
            let mut order = vec![0u32; sparse::csr_order_len(self.job.labels.len(), cells)];
            if self.job.stat == StatArg::Mean {
                let (mut counts, mut means) = (vec![0u32; len], vec![0.0f64; len]);
                sparse::csr_cell_means(
                    self.job.labels,
                    self.x,
                    cells,
                    options,
                    &mut counts,
                    &mut means,
                    &mut row_sums,
                    &mut order,
                )?;
                means.drain(..genes);
                return Ok(Table::F64(means));
            }
            let mut out = vec![CellStats::EMPTY; len];
            sparse::csr_cell_stats(
                self.job.labels,
                self.x,
                cells,
                options,
                &mut out,
                &mut row_sums,
                &mut order,
            )?;
            Ok(from_stats(self.job.stat, &out, genes))
        }
    }
    impl CsrFn<Table> for Stat<'_> {
        fn call<I: SparseIndex, V: SparseValue>(self, x: &sparse::Csr<'_, I, V>) -> Result<Table> {
            self.selection.apply(WithMatrix { job: self, x })
        }
    }
    let rows = labels.data.len();
    if csr.shape.0 != rows {
        anyhow::bail!(
            "{}: CSR shape ({}, {}) does not match the {}×{} labels (needs {rows} rows, one per pixel)",
            csr.source,
            csr.shape.0,
            csr.shape.1,
            labels.height,
            labels.width
        );
    }
    let job = Stat { labels: labels.grid(), cells, selection, stat };
    with_csr(csr, job)
}

/// Area, centroid and bounding box of cells `1..=cells`.
pub fn region_props(labels: &Image<i32>, cells: usize) -> Result<Vec<Region>> {
    let mut out = vec![Region::EMPTY; stats::table_len(cells)];
    regions::region_props(labels.grid(), cells, &mut out)?;
    out.remove(0);
    Ok(out)
}

/// Colour of pixels outside every cell.
const BACKGROUND: [u8; 4] = [0, 0, 0, 255];
/// Colour of cells without a value (NaN).
const NO_VALUE: [u8; 4] = [96, 96, 96, 255];

/// Paints a per-cell map: `values[k-1]` of cell `k` normalised (min-max over cells or a fixed
/// range) and coloured; returns RGBA pixels.
pub fn paint_map(
    labels: &Image<i32>,
    values: &[f64],
    colormap: Colormap,
    fixed: Option<(f64, f64)>,
) -> Result<Vec<[u8; 4]>> {
    let range = match fixed {
        Some((vmin, vmax)) => Range::Fixed { vmin, vmax },
        None => Range::MinMax,
    };
    let normalization = Normalization { range, log1p: false };
    let mut levels = vec![None; values.len()];
    let mut scratch = vec![0.0; normalization.scratch_len(values.len())];
    color::normalize(values, &normalization, &mut scratch, &mut levels)?;
    let mut table = vec![BACKGROUND; values.len() + 1];
    color::cell_colors(&levels, colormap, BACKGROUND, NO_VALUE, &mut table)?;
    let mut rgba = vec![BACKGROUND; labels.data.len()];
    color::paint(labels.grid(), &table, None, &mut rgba)?;
    Ok(rgba)
}

/// For each gene of `genes`: `(min(0, smallest), max(0, largest))` value of the gene over the
/// pixels of `within` (duplicates summed; NaN aside) — the min and max the research script took
/// over its masked gene images, whose pixels outside the mask are 0. Transposes the matrix to
/// gene-major once.
pub fn pixel_ranges(
    labels: &Image<i32>,
    cells: usize,
    csr: &CsrFile,
    within: &Image<bool>,
    genes: &[usize],
) -> Result<Vec<(f64, f64)>> {
    struct Ranges<'a> {
        labels: Grid<'a, i32>,
        within: Grid<'a, bool>,
        cells: usize,
        genes: &'a [usize],
    }
    impl CsrFn<Vec<(f64, f64)>> for Ranges<'_> {
        fn call<I: SparseIndex, V: SparseValue>(self, x: &sparse::Csr<'_, I, V>) -> Result<Vec<(f64, f64)>> {
            let mut gene_ptr = vec![0usize; sparse::gene_ptr_len(x.cols())];
            let mut pixels = vec![0u32; x.nnz()];
            let mut values = x.data().to_vec();
            let gm = sparse::csr_to_gene_major(x, &mut gene_ptr, &mut pixels, &mut values)?;
            let mut out = vec![CellStats::EMPTY; stats::table_len(self.cells)];
            let mut scratch = vec![0usize; sparse::gene_scratch_len(1, self.cells)];
            let options = Options::new().within(self.within);
            self.genes
                .iter()
                .map(|&g| {
                    sparse::gene_cell_stats(
                        self.labels,
                        &gm,
                        &[g],
                        self.cells,
                        options,
                        &mut out,
                        &mut scratch,
                    )?;
                    let finite = |v: f64| v.is_finite().then_some(v);
                    let lo = out.iter().filter_map(|s| finite(s.min())).fold(0.0, f64::min);
                    let hi = out.iter().filter_map(|s| finite(s.max())).fold(0.0, f64::max);
                    Ok((lo, hi))
                })
                .collect()
        }
    }
    with_csr(csr, Ranges { labels: labels.grid(), within: within.grid(), cells, genes })
}
