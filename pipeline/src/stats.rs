//! Per-cell statistics of every gene: the [`Stat`]s, which pixels count
//! ([`Selection`]), the cell × gene table, and the sum of several genes.
//!
//! # Indexing
//!
//! Buffers that live next to a label image ([`crate::Session`]'s values,
//! the core's outputs) are indexed **by label**: entry 0 is the background.
//! Tables made for people ([`CellTable`], the files front ends write) have
//! **one row per cell**: row `k − 1` is cell `k`, and the ids go alongside.

use cellmap_core::sparse::{self, Csr as CsrView, SparseIndex};
use cellmap_core::stats::{AllPixels, CellStats, Options, Within, Zeros, table_len};
use cellmap_core::{Grid, Label};
use cellmap_io::npz::{CsrValue, CsrVisitor};

use crate::input::LabelImage;
use crate::memory::filled;
use crate::{Error, Expression, Image, SparseCounts, grouped};

/// The per-cell statistic of a gene.
///
/// Zeros and NaN are "no value" by default ([`Selection::keep_zeros`]).
/// An empty cell (no counted pixel) has mean, min and max NaN, sum and
/// count 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stat {
    /// Mean of the counted values (the research scripts' statistic).
    #[default]
    Mean,
    /// Sum of the values.
    Sum,
    /// Number of counted values.
    Count,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
}

impl Stat {
    /// Every statistic, in the order front ends list them.
    pub const ALL: [Stat; 5] = [Stat::Mean, Stat::Sum, Stat::Count, Stat::Min, Stat::Max];

    /// The name on the command line, in files and in JS: `"mean"`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Sum => "sum",
            Stat::Count => "count",
            Stat::Min => "min",
            Stat::Max => "max",
        }
    }

    /// The statistic by [`Stat::name`].
    ///
    /// ```
    /// use cellmap::Stat;
    /// assert_eq!(Stat::from_name("sum"), Some(Stat::Sum));
    /// assert_eq!(Stat::from_name("median"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Stat> {
        Stat::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What it computes, for a menu or a legend (`"mean of nonzero values"`).
    pub const fn description(self) -> &'static str {
        match self {
            Stat::Mean => "mean of nonzero values",
            Stat::Sum => "sum of values",
            Stat::Count => "number of nonzero values",
            Stat::Min => "smallest nonzero value",
            Stat::Max => "largest nonzero value",
        }
    }

    /// Writes `value` of this statistic as the CLI's tables hold it
    /// (`cellmap run --csv`'s `table.csv`, in the dtype of [`CellTable`]):
    /// count as an integer, min and max as `float32`, mean and sum as
    /// `float64`, in Rust's shortest round-trip form (`2.0`, `0.1`, `NaN`).
    ///
    /// ```
    /// use cellmap::Stat;
    /// let text = |stat: Stat, v: f64| { let mut w = Vec::new(); stat.write_table_value(&mut w, v).unwrap(); String::from_utf8(w).unwrap() };
    /// assert_eq!([text(Stat::Count, 3.0), text(Stat::Max, 0.1), text(Stat::Mean, 0.1), text(Stat::Mean, f64::NAN)],
    ///            ["3", "0.1", "0.1", "NaN"]);
    /// ```
    pub fn write_table_value(self, w: &mut dyn std::io::Write, value: f64) -> std::io::Result<()> {
        match self {
            Stat::Count => write!(w, "{}", value as i64),
            Stat::Min | Stat::Max => write!(w, "{:?}", value as f32),
            Stat::Mean | Stat::Sum => write!(w, "{value:?}"),
        }
    }

    /// The statistic of one cell's accumulated values.
    pub fn of(self, stats: &CellStats) -> f64 {
        match self {
            Stat::Mean => stats.mean(),
            Stat::Sum => stats.sum(),
            Stat::Count => stats.count() as f64,
            Stat::Min => stats.min(),
            Stat::Max => stats.max(),
        }
    }
}

/// Which pixels and values count.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection<'a> {
    /// Only the foreground of this mask (e.g. the original, unfilled mask:
    /// what the research scripts averaged over).
    pub within: Option<&'a Image<bool>>,
    /// Count zero values (NaN never counts).
    pub keep_zeros: bool,
}

impl Selection<'_> {
    /// Runs `job` with the core's options for this selection.
    fn run<R>(self, job: impl WithOptions<R>) -> R {
        let options = if self.keep_zeros { Options::new().keep_zeros() } else { Options::new() };
        match self.within {
            Some(mask) => job.call(options.within(mask.grid())),
            None => job.call(options),
        }
    }
}

/// A computation generic over the core's `Within` filter.
trait WithOptions<R> {
    fn call<W: Within>(self, options: Options<W>) -> R;
}

/// A cell × gene table: one row per cell (row `k − 1` = cell `k`), one
/// column per gene, row-major, in the dtype of its statistic (mean and sum
/// `float64`, count `int64`, min and max `float32`, as `cellmap reduce`
/// writes them).
#[derive(Debug, Clone, PartialEq)]
pub struct CellTable {
    stat: Stat,
    n_cells: usize,
    n_genes: usize,
    values: TableValues,
}

/// The values of a [`CellTable`].
#[derive(Debug, Clone, PartialEq)]
pub enum TableValues {
    /// Mean, sum.
    F64(Vec<f64>),
    /// Count.
    I64(Vec<i64>),
    /// Min, max.
    F32(Vec<f32>),
}

impl CellTable {
    /// The statistic.
    pub fn stat(&self) -> Stat {
        self.stat
    }

    /// Rows.
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Columns.
    pub fn n_genes(&self) -> usize {
        self.n_genes
    }

    /// A table read back (e.g. `cellmap run`'s `table.npz`): `values` row-major, `n_cells ×
    /// n_genes`, in the dtype [`cell_table`] gives `stat` (mean and sum `F64`, count `I64`, min
    /// and max `F32`). Another length or dtype is an
    /// [`ErrorKind::Input`](crate::ErrorKind::Input) error.
    ///
    /// ```
    /// use cellmap::{CellTable, Stat, TableValues};
    /// let table = CellTable::from_values(Stat::Mean, 2, 1, TableValues::F64(vec![1.5, f64::NAN]))?;
    /// assert_eq!(table.values_by_label(0)[1], 1.5);
    /// assert!(CellTable::from_values(Stat::Count, 2, 1, TableValues::F64(vec![1.0, 2.0])).is_err());
    /// assert!(CellTable::from_values(Stat::Mean, 2, 2, TableValues::F64(vec![1.0, 2.0])).is_err());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn from_values(
        stat: Stat,
        n_cells: usize,
        n_genes: usize,
        values: TableValues,
    ) -> Result<Self, Error> {
        let (len, dtype) = match &values {
            TableValues::F64(v) => (v.len(), "float64"),
            TableValues::I64(v) => (v.len(), "int64"),
            TableValues::F32(v) => (v.len(), "float32"),
        };
        let want = match stat {
            Stat::Mean | Stat::Sum => "float64",
            Stat::Count => "int64",
            Stat::Min | Stat::Max => "float32",
        };
        if dtype != want {
            return Err(Error::input(format!("a table of {}: {dtype} values, expected {want}", stat.name())));
        }
        if n_cells.checked_mul(n_genes) != Some(len) {
            return Err(Error::input(format!(
                "a table of {} cells × {} genes needs {} values, got {}",
                grouped(n_cells),
                grouped(n_genes),
                grouped(n_cells.saturating_mul(n_genes)),
                grouped(len)
            )));
        }
        Ok(CellTable { stat, n_cells, n_genes, values })
    }

    /// The values, row-major.
    pub fn values(&self) -> &TableValues {
        &self.values
    }

    /// Gene `gene`'s column indexed by label (entry 0, the background, is
    /// NaN): the per-cell values a map of the gene shows.
    pub fn values_by_label(&self, gene: usize) -> Vec<f64> {
        let column = |v: &dyn Fn(usize) -> f64| -> Vec<f64> {
            std::iter::once(f64::NAN).chain((0..self.n_cells).map(|c| v(c * self.n_genes + gene))).collect()
        };
        match &self.values {
            TableValues::F64(v) => column(&|i| v[i]),
            TableValues::I64(v) => column(&|i| v[i] as f64),
            TableValues::F32(v) => column(&|i| f64::from(v[i])),
        }
    }

    /// The table of transcript counts (`row k − 1` = cell `k`): each transcript is one value of 1,
    /// so [`Stat::Sum`] (`float64`) and [`Stat::Count`] (`int64`) both give the number of
    /// transcripts of each gene in each cell. Mean, min and max of such values say nothing (always
    /// 1, or NaN for none): an [`ErrorKind::Argument`](crate::ErrorKind::Argument) error. The dense
    /// table is checked against the memory budget.
    ///
    /// ```
    /// use cellmap::{CellTable, SparseCounts, Stat, TableValues};
    /// // cell 1: 2 of gene 1; cell 2: none; cell 3: 1 of gene 0
    /// let (indptr, indices, data) = (vec![0, 1, 1, 2], vec![1, 0], vec![2, 1]);
    /// let counts = SparseCounts { n_cells: 3, n_genes: 2, indptr, indices, data };
    /// let table = CellTable::from_counts(&counts, Stat::Sum)?;
    /// assert_eq!(table.values(), &TableValues::F64(vec![0.0, 2.0, 0.0, 0.0, 1.0, 0.0]));
    /// let count = CellTable::from_counts(&counts, Stat::Count)?;
    /// assert_eq!(count.values(), &TableValues::I64(vec![0, 2, 0, 0, 1, 0]));
    /// assert!(CellTable::from_counts(&counts, Stat::Mean).is_err());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn from_counts(counts: &SparseCounts, stat: Stat) -> Result<CellTable, Error> {
        let SparseCounts { n_cells, n_genes, ref indptr, ref indices, ref data } = *counts;
        let consistent = indptr.len().checked_sub(1) == Some(n_cells)
            && indptr.first() == Some(&0)
            && indptr.windows(2).all(|w| w[0] <= w[1])
            && indptr.last().is_some_and(|&end| end as usize == data.len())
            && indices.len() == data.len()
            && indices.iter().all(|&g| g >= 0 && (g as usize) < n_genes);
        if !consistent {
            return Err(Error::input(format!(
                "sparse counts of {} cells × {} genes: row pointers, columns and counts do not agree",
                grouped(n_cells),
                grouped(n_genes)
            )));
        }
        let len = n_cells.checked_mul(n_genes).ok_or_else(|| {
            Error::input(format!(
                "a table of {} cells × {} genes is too large",
                grouped(n_cells),
                grouped(n_genes)
            ))
        })?;
        let rows = |cell: usize| indptr[cell] as usize..indptr[cell + 1] as usize;
        let entries =
            (0..n_cells).flat_map(|c| rows(c).map(move |k| (c * n_genes + indices[k] as usize, data[k])));
        let values = match stat {
            Stat::Sum => {
                let mut v = filled(len, 0.0f64, "the cell × gene counts")?;
                entries.for_each(|(i, n)| v[i] = n as f64);
                TableValues::F64(v)
            }
            Stat::Count => {
                let mut v = filled(len, 0i64, "the cell × gene counts")?;
                entries.for_each(|(i, n)| v[i] = n);
                TableValues::I64(v)
            }
            Stat::Mean | Stat::Min | Stat::Max => {
                return Err(Error::argument(format!(
                    "{} of transcript counts: each transcript counts 1, so only sum and count (the \
                     number of transcripts) say something",
                    stat.name()
                )));
            }
        };
        Ok(CellTable { stat, n_cells, n_genes, values })
    }

    fn from_stats(stat: Stat, all: &[CellStats], n_cells: usize, n_genes: usize) -> Self {
        let cells = all.get(n_genes..).unwrap_or_default(); // drop the background row
        let values = match stat {
            Stat::Count => TableValues::I64(cells.iter().map(|s| s.count() as i64).collect()),
            Stat::Min | Stat::Max => TableValues::F32(cells.iter().map(|s| stat.of(s) as f32).collect()),
            Stat::Mean | Stat::Sum => TableValues::F64(cells.iter().map(|s| stat.of(s)).collect()),
        };
        CellTable { stat, n_cells, n_genes, values }
    }
}

/// The statistic of every gene in every cell: a `(cells, genes)` table.
///
/// ```
/// use cellmap::{Expression, Image, Selection, Stat, cell_table, input::LabelImage};
/// // labels 1 1 2, one gene with values 2 . 6
/// let labels = LabelImage::new(Image::new(3, 1, vec![1, 1, 2])?)?;
/// let values = cellmap_io::npy::read(&cellmap_io::npy::encode(&[1, 3], &[2.0f32, 0.0, 6.0])?, "v.npy")?;
/// let expression = Expression::from_dense(&values, "v.npy", 1, 3)?;
/// let means = cell_table(&labels, &expression, Selection::default(), Stat::Mean)?;
/// assert_eq!(means.values_by_label(0)[1..], [2.0, 6.0]); // the zero does not count
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cell_table(
    labels: &LabelImage,
    expression: &Expression,
    selection: Selection<'_>,
    stat: Stat,
) -> Result<CellTable, Error> {
    if expression.n_pixels() != labels.labels().data().len() {
        return Err(Error::input(format!(
            "{}: shape mismatch: the expression has {} rows but the labels are {}×{} (one row per pixel)",
            expression.source(),
            grouped(expression.n_pixels()),
            labels.height(),
            labels.width()
        )));
    }
    if let Some(mask) = selection.within
        && !mask.same_shape(labels.labels())
    {
        return Err(Error::input(format!(
            "shape mismatch: the mask is {}×{} but the labels are {}×{}",
            mask.height(),
            mask.width(),
            labels.height(),
            labels.width()
        )));
    }
    let job = TableJob { labels: labels.labels().grid(), n_cells: labels.n_cells(), selection, stat };
    expression.visit(job)?.map_err(|e| e.context(expression.source()))
}

#[derive(Clone, Copy)]
struct TableJob<'a> {
    labels: Grid<'a, i32>,
    n_cells: usize,
    selection: Selection<'a>,
    stat: Stat,
}

impl CsrVisitor for TableJob<'_> {
    type Output = Result<CellTable, Error>;
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &CsrView<'_, I, V>) -> Self::Output {
        struct WithMatrix<'a, 'x, I, V> {
            job: TableJob<'a>,
            x: &'a CsrView<'x, I, V>,
        }
        impl<I: SparseIndex, V: CsrValue> WithOptions<Result<CellTable, Error>> for WithMatrix<'_, '_, I, V> {
            fn call<W: Within>(self, options: Options<W>) -> Result<CellTable, Error> {
                let TableJob { labels, n_cells, stat, .. } = self.job;
                let n_genes = self.x.cols();
                if stat == Stat::Mean {
                    let mut buffers = CsrMeans::new(labels.len(), n_cells, n_genes)?;
                    buffers.compute(labels, self.x, n_cells, options)?;
                    let mut means = buffers.means;
                    means.drain(..n_genes.min(means.len()));
                    return Ok(CellTable { stat, n_cells, n_genes, values: TableValues::F64(means) });
                }
                let out = csr_cell_stats_all(labels, self.x, n_cells, options)?;
                Ok(CellTable::from_stats(stat, &out, n_cells, n_genes))
            }
        }
        self.selection.run(WithMatrix { job: self, x })
    }
}

/// Every statistic of every label `0..=n_cells` and gene of `x`, by label
/// (row 0: the background).
fn csr_cell_stats_all<I: SparseIndex, V: CsrValue, W: Within>(
    labels: Grid<'_, i32>,
    x: &CsrView<'_, I, V>,
    n_cells: usize,
    options: Options<W>,
) -> Result<Vec<CellStats>, Error> {
    let n_genes = x.cols();
    let len = cell_gene_len(n_cells, n_genes)?;
    let scratch = sparse::CsrCellStatsScratch::new(labels.len(), n_cells, n_genes);
    let mut row_sums = filled(scratch.row_sums, 0.0f64, "the row sums")?;
    let mut order = filled(scratch.order, 0u32, "the pixel order")?;
    let mut out = filled(len, CellStats::EMPTY, "the cell × gene statistics")?;
    sparse::csr_cell_stats(labels, x, n_cells, options, &mut out, &mut row_sums, &mut order)
        .map_err(|e| Error::core("per-cell statistics", e))?;
    Ok(out)
}

/// One statistic of every cell `1..=n_cells` and gene of the pixels × genes
/// matrix `x` over borrowed labels (e.g. a binding's arrays), as `f64`, cell
/// after cell (NaN: no value) — the numbers of [`cell_table`] before its
/// dtype per statistic.
pub fn csr_cell_stat_of<I: SparseIndex, V: CsrValue, W: Within>(
    labels: Grid<'_, i32>,
    x: &CsrView<'_, I, V>,
    n_cells: usize,
    stat: Stat,
    options: Options<W>,
) -> Result<Vec<f64>, Error> {
    let n_genes = x.cols();
    if stat == Stat::Mean {
        let mut buffers = CsrMeans::new(labels.len(), n_cells, n_genes)?;
        buffers.compute(labels, x, n_cells, options)?;
        let mut means = buffers.means;
        means.drain(..n_genes.min(means.len()));
        return Ok(means);
    }
    let out = csr_cell_stats_all(labels, x, n_cells, options)?;
    Ok(out.get(n_genes..).unwrap_or_default().iter().map(|s| stat.of(s)).collect())
}

/// One statistic of dense `values` in every cell `1..=n_cells` of borrowed
/// labels (e.g. a binding's arrays); NaN: no value.
///
/// ```
/// use cellmap::{AllPixels, Grid, Options, Stat, Zeros, cell_stat_of};
/// let (labels, values) = ([1, 1, 2], [2.0f32, 0.0, 6.0]);
/// let options = Options { zeros: Zeros::Skip, within: AllPixels };
/// let means = cell_stat_of(Grid::new(3, 1, &labels[..])?, Grid::new(3, 1, &values[..])?, 2, Stat::Mean, options)?;
/// assert_eq!(means, [2.0, 6.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cell_stat_of<W: Within>(
    labels: Grid<'_, i32>,
    values: Grid<'_, f32>,
    n_cells: usize,
    stat: Stat,
    options: Options<W>,
) -> Result<Vec<f64>, Error> {
    let core = |e| Error::core("per-cell statistics", e);
    let len = table_len(n_cells);
    if stat == Stat::Mean {
        let mut counts = filled(len, 0u32, "the per-cell counts")?;
        let mut means = filled(len, 0f64, "the per-cell means")?;
        cellmap_core::stats::cell_means(labels, values, n_cells, options, &mut counts, &mut means)
            .map_err(core)?;
        means.remove(0);
        return Ok(means);
    }
    let mut out = filled(len, CellStats::EMPTY, "the per-cell statistics")?;
    cellmap_core::stats::cell_stats(labels, values, n_cells, options, &mut out).map_err(core)?;
    Ok(out.get(1..).unwrap_or_default().iter().map(|s| stat.of(s)).collect())
}

/// The labels present in a chunk of a larger image and each one's count,
/// sum, min and max of `values` (to be combined across chunks).
pub fn present_cell_stats<L: Label>(
    labels: Grid<'_, L>,
    values: Grid<'_, f32>,
    zeros: Zeros,
) -> Result<(Vec<i32>, Vec<CellStats>), Error> {
    let core = |e| Error::core("per-chunk statistics", e);
    let top = labels.as_slice().iter().fold(0usize, |top, l| top.max(l.index()));
    if top > i32::MAX as usize {
        return Err(core(cellmap_core::Error::LabelOutOfRange { label: top, max: i32::MAX as usize }));
    }
    let mut out = filled(top + 1, CellStats::EMPTY, "the per-chunk statistics")?;
    cellmap_core::stats::cell_stats(labels, values, top, Options { zeros, within: AllPixels }, &mut out)
        .map_err(core)?;
    let present: Vec<i32> = (1..=top).filter(|&c| out[c].count() > 0).map(|c| c as i32).collect();
    let stats = present.iter().map(|&c| out[c as usize]).collect();
    Ok((present, stats))
}

/// `(n_cells + 1) · n_genes`, or an error when it overflows.
fn cell_gene_len(n_cells: usize, n_genes: usize) -> Result<usize, Error> {
    table_len(n_cells).checked_mul(n_genes).ok_or_else(|| {
        Error::input(format!(
            "a table of {} cells × {} genes is too large",
            grouped(n_cells),
            grouped(n_genes)
        ))
    })
}

/// The outputs and scratch of the all-genes per-cell mean, allocated once
/// (so that a benchmark times the kernel alone).
#[derive(Debug)]
pub struct CsrMeans {
    /// Mean per label and gene, `(cells + 1) × genes` by label (row 0: the
    /// background; NaN for no value).
    pub means: Vec<f64>,
    counts: Vec<u32>,
    row_sums: Vec<f64>,
    order: Vec<u32>,
}

impl CsrMeans {
    /// Buffers for `pixels` pixels, `n_cells` cells and `n_genes` genes.
    pub fn new(pixels: usize, n_cells: usize, n_genes: usize) -> Result<Self, Error> {
        let len = cell_gene_len(n_cells, n_genes)?;
        let scratch = sparse::CsrCellStatsScratch::new(pixels, n_cells, n_genes);
        Ok(CsrMeans {
            counts: filled(len, 0, "the per-cell counts")?,
            means: filled(len, 0.0, "the per-cell means")?,
            row_sums: filled(scratch.row_sums, 0.0, "the row sums")?,
            order: filled(scratch.order, 0, "the pixel order")?,
        })
    }

    /// Per-label × gene mean of the pixels × genes matrix `x`.
    pub fn compute<I: SparseIndex, V: CsrValue, W: Within>(
        &mut self,
        labels: Grid<'_, i32>,
        x: &CsrView<'_, I, V>,
        n_cells: usize,
        options: Options<W>,
    ) -> Result<(), Error> {
        sparse::csr_cell_means(
            labels,
            x,
            n_cells,
            options,
            &mut self.counts,
            &mut self.means,
            &mut self.row_sums,
            &mut self.order,
        )
        .map_err(|e| Error::core("per-cell means", e))
    }
}

/// The "sum of several genes" map: per cell, each gene's statistic summed
/// over the genes (the layers summed; NaN terms skipped, NaN only when all
/// are NaN). `total` starts as all NaN.
///
/// ```
/// let mut total = vec![f64::NAN; 3];
/// cellmap::add_layer(&mut total, &[1.0, f64::NAN, f64::NAN])?;
/// cellmap::add_layer(&mut total, &[2.0, 5.0, f64::NAN])?;
/// assert_eq!(total[..2], [3.0, 5.0]);
/// assert!(total[2].is_nan());
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn add_layer(total: &mut [f64], layer: &[f64]) -> Result<(), Error> {
    cellmap_core::stats::add_skipping_nan(total, layer).map_err(|e| Error::core("sum of genes", e))
}

/// For each gene of `genes`: `(min(0, smallest), max(0, largest))` of the
/// gene's values over the pixels of `within` (duplicates summed; NaN aside):
/// the range the research script took over its masked gene images, whose
/// pixels outside the mask are 0.
pub fn pixel_ranges(
    labels: &LabelImage,
    expression: &Expression,
    within: &Image<bool>,
    genes: &[usize],
) -> Result<Vec<(f64, f64)>, Error> {
    struct Ranges<'a> {
        labels: Grid<'a, i32>,
        within: Grid<'a, bool>,
        n_cells: usize,
        genes: &'a [usize],
    }
    impl CsrVisitor for Ranges<'_> {
        type Output = Result<Vec<(f64, f64)>, Error>;
        fn visit<I: SparseIndex, V: CsrValue>(self, x: &CsrView<'_, I, V>) -> Self::Output {
            let core = |e| Error::core("pixel ranges", e);
            let mut gene_ptr = filled(sparse::gene_ptr_len(x.cols()), 0usize, "the gene offsets")?;
            let mut pixels = filled(x.nnz(), 0u32, "the gene-major pixel indices")?;
            let mut values = x.data().to_vec();
            let gm = sparse::csr_to_gene_major(x, &mut gene_ptr, &mut pixels, &mut values).map_err(core)?;
            let mut out = filled(table_len(self.n_cells), CellStats::EMPTY, "the per-cell statistics")?;
            let mut scratch =
                filled(sparse::gene_cell_stats_scratch_len(self.n_cells), 0usize, "the scratch")?;
            let options = Options::new().within(self.within);
            self.genes
                .iter()
                .map(|&g| {
                    sparse::gene_cell_stats(
                        self.labels,
                        &gm,
                        g,
                        self.n_cells,
                        options,
                        &mut out,
                        &mut scratch,
                    )
                    .map_err(core)?;
                    let finite = |v: f64| v.is_finite().then_some(v);
                    let lo = out.iter().filter_map(|s| finite(s.min())).fold(0.0, f64::min);
                    let hi = out.iter().filter_map(|s| finite(s.max())).fold(0.0, f64::max);
                    Ok((lo, hi))
                })
                .collect()
        }
    }
    if let Some(&g) = genes.iter().find(|&&g| g >= expression.n_genes()) {
        return Err(Error::argument(format!(
            "gene {g} does not exist: the expression has {} genes",
            expression.n_genes()
        )));
    }
    let job =
        Ranges { labels: labels.labels().grid(), within: within.grid(), n_cells: labels.n_cells(), genes };
    expression.visit(job)?
}
