//! Per-cell × gene statistics from a pixel × gene CSR matrix, and the
//! gene-major (CSC) form that makes switching the shown gene cost only that
//! gene's nonzeros.
//!
//! The matrix has one row per pixel of the label image (row `r` is pixel
//! `(r / width, r % width)`, scipy's `save_npz` layout of spatial
//! expression) and one column per gene. It is given as scipy's three raw
//! arrays, wrapped once in a validated [`Csr`] view. Semantics are those of
//! `X.toarray()`: duplicate `(row, col)` entries are **summed first** (in the
//! data's own precision, in storage order, as scipy does), then the per-cell
//! statistics of [`crate::stats`] apply — NaN never counts, zeros (stored or
//! implicit) count only with [`Zeros::Keep`], and [`Options::within`]
//! restricts the pixels.
//!
//! Outputs are row-major `(n_cells + 1) × n_genes` tables indexed by label
//! (row 0 is the background): entry `label * n_genes + gene`. To leave the
//! background out (as scipy's indicator product `A @ X` does), pass the
//! label image itself as the mask: `Options::new().within(labels)` (row 0
//! then stays empty). That is also faster: background pixels are scattered
//! over the whole matrix.

use crate::error::ensure_len;
use crate::stats::{CellStats, Options, Within, Zeros, check_countable, checked_table_len, label_index};
use crate::{Error, Grid, Label};

/// An index type of a sparse matrix: scipy writes `int32` or `int64`.
///
/// ```
/// use cellmap_core::sparse::SparseIndex;
/// assert_eq!((7i64.to_index(), (-1i32).to_index()), (Some(7), None));
/// ```
pub trait SparseIndex: Copy + PartialOrd {
    /// The index as `usize`, `None` if negative or too large.
    fn to_index(self) -> Option<usize>;
    /// The index as `usize`, for values already checked by [`SparseIndex::to_index`].
    fn as_index(self) -> usize;
}

macro_rules! sparse_index {
    ($($t:ty),*) => {$(
        impl SparseIndex for $t {
            #[inline(always)]
            fn to_index(self) -> Option<usize> { usize::try_from(self).ok() }
            #[inline(always)]
            fn as_index(self) -> usize { self as usize }
        }
    )*};
}
sparse_index!(i32, i64, u32, u64, usize);

/// A value type of a sparse matrix: `f32` or `f64`.
///
/// ```
/// use cellmap_core::sparse::SparseValue;
/// // duplicates are summed in the data's precision, as scipy's toarray() does
/// let in_f32 = <f32 as SparseValue>::add_in_precision(f64::from(0.1f32), 0.2f32);
/// assert_eq!(in_f32, f64::from(0.1f32 + 0.2f32));
/// assert_ne!(in_f32, f64::from(0.1f32) + f64::from(0.2f32));
/// ```
pub trait SparseValue: Copy {
    /// The value widened to `f64`.
    fn to_f64(self) -> f64;
    /// `acc + self` computed in `Self`'s precision (how `toarray()` sums
    /// duplicates), with `acc` holding a value of `Self` widened to `f64`.
    fn add_in_precision(acc: f64, v: Self) -> f64;
}

impl SparseValue for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn add_in_precision(acc: f64, v: Self) -> f64 {
        f64::from(acc as f32 + v)
    }
}

impl SparseValue for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn add_in_precision(acc: f64, v: Self) -> f64 {
        acc + v
    }
}

/// A validated CSR matrix view of shape `(indptr.len() - 1, n_cols)`.
///
/// Checked once, at construction: `indptr` is non-empty, starts at 0, never
/// decreases and ends at `indices.len() == data.len()`; every column index is
/// in `0..n_cols`. Unsorted and duplicate column indices and explicit zeros
/// are legal.
///
/// ```
/// use cellmap_core::{Error, sparse::Csr};
/// //        gene 0  gene 1
/// // row 0    .      2.5
/// // row 1   1.0      .
/// let x = Csr::new(2, &[0i32, 1, 2], &[1, 0], &[2.5f32, 1.0])?;
/// assert_eq!((x.rows(), x.cols(), x.nnz(), x.is_canonical()), (2, 2, 2, true));
/// assert_eq!(Csr::new(2, &[0i32, 2, 1], &[1, 0], &[2.5f32, 1.0]).unwrap_err(),
///            Error::InvalidSparse("indptr decreases"));
/// assert_eq!(Csr::new(1, &[0i64, 1], &[3], &[1.0f64]).unwrap_err(),
///            Error::InvalidSparse("column index out of range 0..n_cols"));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Csr<'a, I, V> {
    n_cols: usize,
    indptr: &'a [I],
    indices: &'a [I],
    data: &'a [V],
    canonical: bool,
}

impl<'a, I: SparseIndex, V: SparseValue> Csr<'a, I, V> {
    /// Validates and wraps scipy's `indptr`, `indices`, `data` (one pass over
    /// `indptr` and `indices`).
    pub fn new(n_cols: usize, indptr: &'a [I], indices: &'a [I], data: &'a [V]) -> Result<Self, Error> {
        if indptr.is_empty() {
            return Err(Error::InvalidSparse("indptr is empty (it holds rows + 1 offsets)"));
        }
        if indices.len() != data.len() {
            return Err(Error::InvalidSparse("indices and data differ in length"));
        }
        let mut previous = 0usize;
        for (i, &p) in indptr.iter().enumerate() {
            let p = p.to_index().ok_or(Error::InvalidSparse("indptr holds a negative offset"))?;
            if i == 0 && p != 0 {
                return Err(Error::InvalidSparse("indptr[0] is not 0"));
            }
            if p < previous {
                return Err(Error::InvalidSparse("indptr decreases"));
            }
            previous = p;
        }
        if previous != indices.len() {
            return Err(Error::InvalidSparse("indptr's last offset differs from the number of entries"));
        }
        // One pass over the indices: range check, and whether every row is strictly increasing.
        let mut canonical = true;
        for offsets in indptr.windows(2) {
            let mut previous: Option<usize> = None;
            for &j in &indices[offsets[0].as_index()..offsets[1].as_index()] {
                let j = match j.to_index() {
                    Some(j) if j < n_cols => j,
                    _ => return Err(Error::InvalidSparse("column index out of range 0..n_cols")),
                };
                canonical &= previous.is_none_or(|p| p < j);
                previous = Some(j);
            }
        }
        Ok(Csr { n_cols, indptr, indices, data, canonical })
    }

    /// True if every row's column indices are strictly increasing (scipy's
    /// `has_canonical_format`: sorted, no duplicates). The kernels then skip
    /// the per-row check.
    pub fn is_canonical(&self) -> bool {
        self.canonical
    }

    /// Number of rows (`indptr.len() - 1`).
    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of columns (genes).
    pub fn cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries (duplicates and explicit zeros included).
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// The row offsets.
    pub fn indptr(&self) -> &'a [I] {
        self.indptr
    }

    /// The column index of each entry.
    pub fn indices(&self) -> &'a [I] {
        self.indices
    }

    /// The value of each entry.
    pub fn data(&self) -> &'a [V] {
        self.data
    }
}

/// The scratch buffers of [`csr_cell_stats`] (and [`csr_cell_means`], which
/// needs the same): their lengths for an image of `n_pixels` pixels,
/// `n_cells` cells and `n_genes` genes. Lengths saturate at `usize::MAX`
/// for impossible sizes.
///
/// ```
/// use cellmap_core::sparse::CsrCellStatsScratch;
/// let scratch = CsrCellStatsScratch::new(1024 * 1024, 2487, 5100);
/// assert_eq!(scratch.row_sums, 5100); // one f64 per gene
/// assert_eq!(scratch.order, 1024 * 1024 + 2489); // one u32 per pixel, n_cells + 2 offsets
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsrCellStatsScratch {
    /// `f64` elements of `row_sums`: one per gene (rows with unsorted or
    /// duplicate column indices are summed there).
    pub row_sums: usize,
    /// `u32` elements of `order`: the pixels grouped by cell (one per pixel)
    /// and where each cell's group starts (`n_cells + 2` offsets).
    pub order: usize,
}

impl CsrCellStatsScratch {
    /// The scratch lengths for `n_pixels` pixels, `n_cells` cells, `n_genes` genes.
    pub const fn new(n_pixels: usize, n_cells: usize, n_genes: usize) -> Self {
        Self { row_sums: n_genes, order: n_pixels.saturating_add(n_cells).saturating_add(2) }
    }
}

/// Number of entries of a `(n_cells + 1) × n_genes` table, checked.
fn checked_cell_gene_len(n_cells: usize, n_genes: usize) -> Result<usize, Error> {
    checked_table_len(n_cells)?
        .checked_mul(n_genes)
        .ok_or(Error::InvalidArgument("(n_cells + 1) × n_genes overflows usize"))
}

/// Where a pass over one cell's nonzeros sends each per-pixel value; slots
/// are gene indices into the cell's output row.
trait Sink {
    /// The nonzero, non-NaN value `v` of gene `slot`.
    fn value(&mut self, slot: usize, v: f64);
    /// A NaN value of gene `slot` (only reported in [`Zeros::Keep`] mode).
    fn nan(&mut self, slot: usize);
}

struct StatsSink<'a>(&'a mut [CellStats]);

impl Sink for StatsSink<'_> {
    #[inline(always)]
    fn value(&mut self, slot: usize, v: f64) {
        self.0[slot].push(v);
    }
    #[inline(always)]
    fn nan(&mut self, slot: usize) {
        self.0[slot].push_nan_marker();
    }
}

/// Sums into `sums`; counts nonzero values (`KEEP_ZEROS == false`), or NaN
/// values as a wrapping decrement to which the cell's pixel count is added
/// later (`KEEP_ZEROS == true`; a compile-time switch off the hot path).
struct MeansSink<'a, const KEEP_ZEROS: bool> {
    sums: &'a mut [f64],
    counts: &'a mut [u32],
}

impl<const KEEP_ZEROS: bool> Sink for MeansSink<'_, KEEP_ZEROS> {
    #[inline(always)]
    fn value(&mut self, slot: usize, v: f64) {
        self.sums[slot] += v;
        if !KEEP_ZEROS {
            self.counts[slot] = self.counts[slot].wrapping_add(1);
        }
    }
    #[inline(always)]
    fn nan(&mut self, slot: usize) {
        self.counts[slot] = self.counts[slot].wrapping_sub(1);
    }
}

/// Sends one per-pixel value to `sink`: zeros are never sent (in Keep mode
/// they are counted from the pixel totals), NaN only in Keep mode.
#[inline(always)]
fn emit<S: Sink>(sink: &mut S, slot: usize, v: f64, zeros: Zeros) {
    if v.abs() > 0.0 {
        sink.value(slot, v); // neither 0 nor NaN: one comparison on the common path
    } else if v.is_nan() && zeros == Zeros::Keep {
        sink.nan(slot);
    }
}

/// Groups the counted pixels by cell (a counting sort): afterwards cell
/// `c`'s pixels are `sorted[starts[c]..starts[c + 1]]`, ascending. Checks
/// every label first, so a label error leaves the outputs untouched.
fn group_pixels_by_cell<L: Label, W: Within>(
    labels: Grid<'_, L>,
    n_cells: usize,
    within: &W,
    order: &mut [u32],
) -> Result<(), Error> {
    let (sorted, starts) = order.split_at_mut(labels.len());
    let starts = &mut starts[..n_cells + 2];
    starts.fill(0);
    for (p, &label) in labels.as_slice().iter().enumerate() {
        let cell = label_index(label, n_cells)?;
        if within.contains(p) {
            starts[cell + 1] += 1;
        }
    }
    // Prefix sums: starts[c] = first slot of cell c ...
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    // ... used as cell c's cursor, which leaves it at cell c's end.
    for (p, &label) in labels.as_slice().iter().enumerate() {
        if within.contains(p) {
            let cursor = &mut starts[label.index()];
            sorted[*cursor as usize] = p as u32;
            *cursor += 1;
        }
    }
    // Now starts[c] = end of c = start of c + 1: shift back.
    starts.copy_within(0..n_cells + 1, 1);
    starts[0] = 0;
    Ok(())
}

/// Sends every per-pixel value of the CSR rows `pixels` (one cell) to
/// `sink`, summing duplicate columns of a row first.
#[inline(always)]
fn accumulate_cell<I: SparseIndex, V: SparseValue, S: Sink>(
    x: &Csr<'_, I, V>,
    pixels: &[u32],
    sink: &mut S,
    row_sums: &mut [f64],
    zeros: Zeros,
) {
    for &p in pixels {
        let p = p as usize;
        let (start, end) = (x.indptr[p].as_index(), x.indptr[p + 1].as_index());
        let cols = &x.indices[start..end];
        let vals = &x.data[start..end];
        if x.canonical || cols.windows(2).all(|pair| pair[0] < pair[1]) {
            // Canonical row: no duplicates, every entry is a per-pixel value.
            for (&j, &v) in cols.iter().zip(vals) {
                emit(sink, j.as_index(), v.to_f64(), zeros);
            }
        } else {
            // Duplicates possible: sum per column first, then emit each column
            // once (the first visit takes the sum and leaves 0, which is skipped).
            for (&j, &v) in cols.iter().zip(vals) {
                let slot = &mut row_sums[j.as_index()];
                *slot = V::add_in_precision(*slot, v);
            }
            for &j in cols {
                let slot = &mut row_sums[j.as_index()];
                let v = *slot;
                *slot = 0.0;
                emit(sink, j.as_index(), v, zeros);
            }
        }
    }
}

/// Checks everything a CSR kernel needs besides its outputs and returns the
/// table length `(n_cells + 1) × n_genes`.
fn check_csr_inputs<L, I: SparseIndex, V: SparseValue, W: Within>(
    labels: Grid<'_, L>,
    x: &Csr<'_, I, V>,
    n_cells: usize,
    options: &Options<W>,
    row_sums: &[f64],
    order: &[u32],
) -> Result<usize, Error> {
    if x.rows() != labels.len() {
        return Err(Error::InvalidSparse(
            "rows (indptr.len() - 1) differ from the label image's width × height",
        ));
    }
    options.within.check_shape(labels.width(), labels.height())?;
    check_countable(labels.len())?;
    let len = checked_cell_gene_len(n_cells, x.cols())?;
    let needed = CsrCellStatsScratch::new(labels.len(), n_cells, x.cols());
    ensure_len("row_sums", row_sums, needed.row_sums)?;
    ensure_len("order", order, needed.order)?;
    Ok(len)
}

/// Per-cell × gene statistics (count, sum, mean, min, max, variance) of a
/// pixel × gene CSR matrix, in one pass over its nonzeros.
///
/// `out[label * n_genes + gene]` receives the statistics of that cell and
/// gene (row 0: background); `out` must hold `(n_cells + 1) × n_genes`
/// entries ([`cell_gene_table_len`](crate::stats::cell_gene_table_len)) and is
/// overwritten. Scratch (any content): `row_sums` and `order` need the
/// lengths of [`CsrCellStatsScratch::new(n_pixels, n_cells, n_genes)`](CsrCellStatsScratch).
/// `x.rows()` must equal the number of pixels ([`Error::InvalidSparse`]
/// otherwise); labels must be in `0..=n_cells` ([`Error::LabelOutOfRange`]).
/// Every check, labels included, happens before `out` is written: on error
/// it is untouched.
///
/// The pixels are first grouped by cell, then each cell's rows are read and
/// its output row finished while it is still in cache. Rows with strictly
/// increasing column indices (scipy's canonical form) take a direct path;
/// other rows are summed per column in `row_sums` first.
///
/// ```
/// use cellmap_core::{Grid, sparse::{csr_cell_stats, Csr, CsrCellStatsScratch}, stats::{CellStats, Options}};
/// // labels      X (pixel × 2 genes; pixel 1 stores gene 0 twice: 1 + 2 = 3)
/// // 1 1 .       pixel 0: g0 = 5
/// //             pixel 1: g0 = 1, g1 = 4, g0 = 2
/// //             pixel 2: g1 = 7
/// let labels = Grid::new(3, 1, &[1u8, 1, 0])?;
/// let x = Csr::new(2, &[0i32, 1, 4, 5], &[0, 0, 1, 0, 1], &[5.0f32, 1.0, 4.0, 2.0, 7.0])?;
/// let mut out = [CellStats::EMPTY; 4]; // (1 cell + background) × 2 genes
/// let (mut row_sums, mut order) = ([0.0; 2], [0u32; CsrCellStatsScratch::new(3, 1, 2).order]);
/// csr_cell_stats(labels, &x, 1, Options::new(), &mut out, &mut row_sums, &mut order)?;
/// let g0 = out[1 * 2 + 0];
/// assert_eq!((g0.count(), g0.mean(), g0.min(), g0.max()), (2, 4.0, 3.0, 5.0));
/// assert_eq!(out[1 * 2 + 1].sum(), 4.0);
/// assert_eq!(out[0 * 2 + 1].sum(), 7.0); // background
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn csr_cell_stats<L: Label, I: SparseIndex, V: SparseValue, W: Within>(
    labels: Grid<'_, L>,
    x: &Csr<'_, I, V>,
    n_cells: usize,
    options: Options<W>,
    out: &mut [CellStats],
    row_sums: &mut [f64],
    order: &mut [u32],
) -> Result<(), Error> {
    let len = check_csr_inputs(labels, x, n_cells, &options, row_sums, order)?;
    ensure_len("out", out, len)?;
    group_pixels_by_cell(labels, n_cells, &options.within, order)?;
    let (sorted, starts) = order.split_at(labels.len());
    let row_sums = &mut row_sums[..x.cols()];
    row_sums.fill(0.0);
    let n_genes = x.cols();
    for cell in 0..=n_cells {
        let pixels = &sorted[starts[cell] as usize..starts[cell + 1] as usize];
        let row = &mut out[cell * n_genes..(cell + 1) * n_genes];
        row.fill(CellStats::EMPTY);
        accumulate_cell(x, pixels, &mut StatsSink(row), row_sums, options.zeros);
        if options.zeros == Zeros::Keep {
            row.iter_mut().for_each(|s| s.finish_keep_zeros(pixels.len() as u64));
        }
    }
    Ok(())
}

/// Per-cell × gene means and counts of a pixel × gene CSR matrix — the fast
/// path for the whole cell × gene table (12 bytes per entry instead of 40).
///
/// `means[label * n_genes + gene]` receives the mean (NaN when no pixel
/// counts) and `counts[..]` the number of counted pixels; both must hold
/// `(n_cells + 1) × n_genes` entries. Otherwise as [`csr_cell_stats`],
/// scratch ([`CsrCellStatsScratch`]) and errors included: on error `counts`
/// and `means` are untouched.
///
/// ```
/// use cellmap_core::{Grid, sparse::{csr_cell_means, Csr, CsrCellStatsScratch}, stats::Options};
/// // labels: 1 1 2      gene 0 per pixel: 2 . 6  (stored explicitly as 2, 0, 6)
/// let labels = Grid::new(3, 1, &[1i32, 1, 2])?;
/// let x = Csr::new(1, &[0i64, 1, 2, 3], &[0, 0, 0], &[2.0f64, 0.0, 6.0])?;
/// let (mut counts, mut means) = ([0u32; 3], [0.0; 3]);
/// let (mut row_sums, mut order) = ([0.0; 1], [0u32; CsrCellStatsScratch::new(3, 2, 1).order]);
/// csr_cell_means(labels, &x, 2, Options::new(), &mut counts, &mut means, &mut row_sums, &mut order)?;
/// assert_eq!((counts[1], means[1], means[2]), (1, 2.0, 6.0)); // the zero does not count
/// let keep = Options::new().keep_zeros();
/// csr_cell_means(labels, &x, 2, keep, &mut counts, &mut means, &mut row_sums, &mut order)?;
/// assert_eq!((counts[1], means[1]), (2, 1.0));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)] // inputs, two outputs, two scratch buffers
pub fn csr_cell_means<L: Label, I: SparseIndex, V: SparseValue, W: Within>(
    labels: Grid<'_, L>,
    x: &Csr<'_, I, V>,
    n_cells: usize,
    options: Options<W>,
    counts: &mut [u32],
    means: &mut [f64],
    row_sums: &mut [f64],
    order: &mut [u32],
) -> Result<(), Error> {
    let len = check_csr_inputs(labels, x, n_cells, &options, row_sums, order)?;
    ensure_len("counts", counts, len)?;
    ensure_len("means", means, len)?;
    group_pixels_by_cell(labels, n_cells, &options.within, order)?;
    let (sorted, starts) = order.split_at(labels.len());
    let row_sums = &mut row_sums[..x.cols()];
    row_sums.fill(0.0);
    let n_genes = x.cols();
    let keep_zeros = options.zeros == Zeros::Keep;
    for cell in 0..=n_cells {
        let pixels = &sorted[starts[cell] as usize..starts[cell + 1] as usize];
        let rows = cell * n_genes..(cell + 1) * n_genes;
        let (sums, counts) = (&mut means[rows.clone()], &mut counts[rows]);
        sums.fill(0.0);
        counts.fill(0);
        if keep_zeros {
            accumulate_cell(x, pixels, &mut MeansSink::<true> { sums, counts }, row_sums, options.zeros);
            counts.iter_mut().for_each(|count| *count = count.wrapping_add(pixels.len() as u32));
        } else {
            accumulate_cell(x, pixels, &mut MeansSink::<false> { sums, counts }, row_sums, options.zeros);
        }
        // Divide unconditionally, then select (no branch: this loop vectorises).
        for (sum, &count) in sums.iter_mut().zip(counts.iter()) {
            let mean = *sum / f64::from(count);
            *sum = if count == 0 { f64::NAN } else { mean };
        }
    }
    Ok(())
}

/// Length of the `gene_ptr` buffer of a gene-major matrix: `n_genes + 1`.
///
/// ```
/// assert_eq!(cellmap_core::sparse::gene_ptr_len(5100), 5101);
/// ```
pub const fn gene_ptr_len(n_genes: usize) -> usize {
    n_genes.saturating_add(1)
}

/// A validated gene-major (CSC) view: for gene `g`, entries
/// `gene_ptr[g]..gene_ptr[g + 1]` of `pixels` (row-major pixel indices, in
/// non-decreasing order) and `values`. Duplicate `(pixel, gene)` entries of
/// the CSR input stay separate but adjacent.
///
/// Made by [`csr_to_gene_major`], or rebuilt from kept buffers with
/// [`GeneMajor::new`].
///
/// ```
/// use cellmap_core::{Error, sparse::GeneMajor};
/// // gene 0 at pixels 0 and 2, gene 1 at pixel 1
/// let gm = GeneMajor::new(3, &[0, 2, 3], &[0, 2, 1], &[1.0f32, 3.0, 2.0])?;
/// assert_eq!((gm.genes(), gm.gene(0)), (2, (&[0u32, 2][..], &[1.0f32, 3.0][..])));
/// assert_eq!(GeneMajor::new(3, &[0, 2, 3], &[2, 0, 1], &[1.0f32, 3.0, 2.0]).unwrap_err(),
///            Error::InvalidSparse("pixel indices of a gene are not sorted"));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GeneMajor<'a, V> {
    n_pixels: usize,
    gene_ptr: &'a [usize],
    pixels: &'a [u32],
    values: &'a [V],
}

impl<'a, V: SparseValue> GeneMajor<'a, V> {
    /// Validates and wraps gene-major buffers for an image of `n_pixels`
    /// pixels (one pass).
    pub fn new(
        n_pixels: usize,
        gene_ptr: &'a [usize],
        pixels: &'a [u32],
        values: &'a [V],
    ) -> Result<Self, Error> {
        if gene_ptr.first() != Some(&0) {
            return Err(Error::InvalidSparse("gene_ptr must start with 0"));
        }
        if pixels.len() != values.len() {
            return Err(Error::InvalidSparse("pixels and values differ in length"));
        }
        if gene_ptr.last() != Some(&pixels.len()) {
            return Err(Error::InvalidSparse("gene_ptr's last offset differs from the number of entries"));
        }
        for pair in gene_ptr.windows(2) {
            // An offset above the last one means a decrease further on.
            if pair[1] < pair[0] || pair[1] > pixels.len() {
                return Err(Error::InvalidSparse("gene_ptr decreases"));
            }
            let gene = &pixels[pair[0]..pair[1]];
            if gene.windows(2).any(|p| p[1] < p[0]) {
                return Err(Error::InvalidSparse("pixel indices of a gene are not sorted"));
            }
            if gene.last().is_some_and(|&p| p as usize >= n_pixels) {
                return Err(Error::InvalidSparse("pixel index out of range 0..n_pixels"));
            }
        }
        Ok(GeneMajor { n_pixels, gene_ptr, pixels, values })
    }

    /// Number of genes.
    pub fn genes(&self) -> usize {
        self.gene_ptr.len() - 1
    }

    /// Number of pixels of the image.
    pub fn n_pixels(&self) -> usize {
        self.n_pixels
    }

    /// Pixel indices and values of gene `g` (empty if `g` is out of range).
    pub fn gene(&self, g: usize) -> (&'a [u32], &'a [V]) {
        match (self.gene_ptr.get(g), self.gene_ptr.get(g + 1)) {
            (Some(&start), Some(&end)) => (&self.pixels[start..end], &self.values[start..end]),
            _ => (&[], &[]),
        }
    }
}

/// Transposes a pixel-major CSR matrix into gene-major buffers in one pass
/// over its entries (counting sort by gene, stable in pixel order).
///
/// `gene_ptr` needs [`gene_ptr_len(n_genes)`](gene_ptr_len) entries,
/// `pixels` and `values` `x.nnz()` each. The image may have at most
/// `u32::MAX` pixels. Returns the validated view over the filled buffers.
///
/// Errors ([`Error::BufferTooSmall`], [`Error::InvalidArgument`] for more
/// than `u32::MAX` pixels) are returned before anything is written: the
/// buffers are then untouched.
///
/// ```
/// use cellmap_core::sparse::{csr_to_gene_major, Csr};
/// // pixel 0: g1 = 4, g0 = 1   pixel 1: (none)   pixel 2: g0 = 3
/// let x = Csr::new(2, &[0i32, 2, 2, 3], &[1, 0, 0], &[4.0f32, 1.0, 3.0])?;
/// let (mut ptr, mut pix, mut val) = ([0usize; 3], [0u32; 3], [0f32; 3]);
/// let gm = csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val)?;
/// assert_eq!(gm.gene(0), (&[0u32, 2][..], &[1.0f32, 3.0][..]));
/// assert_eq!(gm.gene(1), (&[0u32][..], &[4.0f32][..]));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn csr_to_gene_major<'a, I: SparseIndex, V: SparseValue>(
    x: &Csr<'_, I, V>,
    gene_ptr: &'a mut [usize],
    pixels: &'a mut [u32],
    values: &'a mut [V],
) -> Result<GeneMajor<'a, V>, Error> {
    check_countable(x.rows())?;
    let n_genes = x.cols();
    let ptr_len = n_genes.checked_add(1).ok_or(Error::InvalidArgument("n_genes + 1 overflows usize"))?;
    ensure_len("gene_ptr", gene_ptr, ptr_len)?;
    ensure_len("pixels", pixels, x.nnz())?;
    ensure_len("values", values, x.nnz())?;
    let (gene_ptr, pixels, values) =
        (&mut gene_ptr[..ptr_len], &mut pixels[..x.nnz()], &mut values[..x.nnz()]);
    // Count per gene into gene_ptr[g + 1], prefix-sum to starts in gene_ptr[g].
    gene_ptr.fill(0);
    for &j in x.indices {
        gene_ptr[j.as_index() + 1] += 1;
    }
    for g in 0..n_genes {
        gene_ptr[g + 1] += gene_ptr[g];
    }
    // Scatter, using gene_ptr[g] as gene g's insertion cursor...
    for (r, offsets) in x.indptr.windows(2).enumerate() {
        let (start, end) = (offsets[0].as_index(), offsets[1].as_index());
        for (&j, &v) in x.indices[start..end].iter().zip(&x.data[start..end]) {
            let slot = &mut gene_ptr[j.as_index()];
            pixels[*slot] = r as u32;
            values[*slot] = v;
            *slot += 1;
        }
    }
    // ...which leaves gene_ptr[g] at gene g's end = gene g + 1's start: shift back.
    gene_ptr.copy_within(0..n_genes, 1);
    gene_ptr[0] = 0;
    Ok(GeneMajor { n_pixels: x.rows(), gene_ptr, pixels, values })
}

/// `usize` scratch elements [`gene_cell_stats`] takes for `n_cells` cells:
/// one pixel counter per label (used in [`Zeros::Keep`] mode only).
///
/// ```
/// assert_eq!(cellmap_core::sparse::gene_cell_stats_scratch_len(2487), 2488);
/// ```
pub const fn gene_cell_stats_scratch_len(n_cells: usize) -> usize {
    crate::stats::table_len(n_cells)
}

/// Per-cell statistics of one gene from the gene-major form: touches only
/// that gene's entries (plus one pass over the labels in [`Zeros::Keep`]
/// mode, which must count every pixel). Equal to the gene's column of
/// [`csr_cell_stats`]: each pixel's duplicates are summed in the data's
/// precision, then the statistics follow [`crate::stats`] (a pixel whose
/// value is 0 or NaN does not count by default).
///
/// For the viewer's "sum of several genes", compute each gene's per-cell
/// statistic and add the per-label layers with
/// [`crate::stats::add_skipping_nan`] (the pipeline's `cellmap::add_layer`).
///
/// `out` (by label) needs [`table_len(n_cells)`](crate::stats::table_len)
/// entries, `scratch` [`gene_cell_stats_scratch_len(n_cells)`](gene_cell_stats_scratch_len).
/// Cost: O(entries of the gene), plus O(pixels) in Keep mode.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `gm` or the `within` mask is not the label
/// image's size, [`Error::InvalidArgument`] for `gene >= gm.genes()`,
/// [`Error::BufferTooSmall`] for `out` or `scratch`: all checked before
/// anything is written (`out` is then untouched). Labels are checked where
/// read (pixels holding an entry of the gene; all pixels in Keep mode),
/// while `out` is being written: on [`Error::LabelOutOfRange`] `out` is
/// **reset** to [`CellStats::EMPTY`], never left with a partial result.
/// Validate the label image once with [`crate::grid::max_label`] to catch
/// every bad label up front.
///
/// ```
/// use cellmap_core::{Grid, sparse::{csr_to_gene_major, gene_cell_stats, gene_cell_stats_scratch_len, Csr}, stats::{CellStats, Options}};
/// // labels: 1 1 2        g0: 1 . 5     g1: -1 2 .
/// let labels = Grid::new(3, 1, &[1u8, 1, 2])?;
/// let x = Csr::new(2, &[0i32, 2, 3, 4], &[0, 1, 1, 0], &[1.0f32, -1.0, 2.0, 5.0])?;
/// let (mut ptr, mut pix, mut val) = ([0usize; 3], [0u32; 4], [0f32; 4]);
/// let gm = csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val)?;
/// let mut out = [CellStats::EMPTY; 3];
/// let mut scratch = [0usize; gene_cell_stats_scratch_len(2)];
/// gene_cell_stats(labels, &gm, 0, 2, Options::new(), &mut out, &mut scratch)?;
/// assert_eq!((out[1].mean(), out[2].mean()), (1.0, 5.0));
/// gene_cell_stats(labels, &gm, 1, 2, Options::new(), &mut out, &mut scratch)?;
/// assert_eq!((out[1].count(), out[1].mean(), out[2].count()), (2, 0.5, 0));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn gene_cell_stats<L: Label, V: SparseValue, W: Within>(
    labels: Grid<'_, L>,
    gm: &GeneMajor<'_, V>,
    gene: usize,
    n_cells: usize,
    options: Options<W>,
    out: &mut [CellStats],
    scratch: &mut [usize],
) -> Result<(), Error> {
    if gm.n_pixels() != labels.len() {
        return Err(Error::ShapeMismatch { expected: labels.len(), got: gm.n_pixels() });
    }
    if gene >= gm.genes() {
        return Err(Error::InvalidArgument("gene index out of range 0..n_genes"));
    }
    options.within.check_shape(labels.width(), labels.height())?;
    check_countable(labels.len())?;
    let len = checked_table_len(n_cells)?;
    ensure_len("out", out, len)?;
    ensure_len("scratch", scratch, gene_cell_stats_scratch_len(n_cells))?;
    let out = &mut out[..len];
    let pixel_counts = &mut scratch[..len];
    out.fill(CellStats::EMPTY);
    let result = gene_pass(labels, gm, gene, n_cells, &options, out, pixel_counts);
    if result.is_err() {
        out.fill(CellStats::EMPTY);
    }
    result
}

/// The pass of [`gene_cell_stats`] over checked inputs (split for `?`).
fn gene_pass<L: Label, V: SparseValue, W: Within>(
    labels: Grid<'_, L>,
    gm: &GeneMajor<'_, V>,
    gene: usize,
    n_cells: usize,
    options: &Options<W>,
    out: &mut [CellStats],
    pixel_counts: &mut [usize],
) -> Result<(), Error> {
    let labels = labels.as_slice();
    let mut sink = StatsSink(out);
    // A straight walk: a pixel's duplicates are adjacent.
    let (pixels, values) = gm.gene(gene);
    let mut k = 0;
    while let Some(&p) = pixels.get(k) {
        let mut sum = 0.0;
        while pixels.get(k) == Some(&p) {
            sum = V::add_in_precision(sum, values[k]);
            k += 1;
        }
        let p = p as usize;
        let cell = label_index(labels[p], n_cells)?;
        if options.within.contains(p) {
            emit(&mut sink, cell, sum, options.zeros);
        }
    }
    if options.zeros == Zeros::Keep {
        pixel_counts.fill(0);
        for (p, &label) in labels.iter().enumerate() {
            let cell = label_index(label, n_cells)?;
            if options.within.contains(p) {
                pixel_counts[cell] += 1;
            }
        }
        for (s, &count) in sink.0.iter_mut().zip(pixel_counts.iter()) {
            s.finish_keep_zeros(count as u64);
        }
    }
    Ok(())
}

/// One cell's statistics of gene `gene`: the entry of `cell` that
/// [`gene_cell_stats`] gives with `Options::new().within(within)` (the
/// pixels `within` contains — [`AllPixels`](crate::stats::AllPixels) for
/// every pixel; a pixel whose value is 0 or NaN does not count), computed
/// bit for bit the same way from the gene's entries alone — no per-cell
/// table, no scratch.
///
/// Cost: O(entries of the gene in `gm`). For one cell of a large image,
/// pass a view of only the entries whose pixels lie in the cell's
/// bounding-box rows (entries are sorted by pixel: two binary searches
/// find them); the result is the same.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `gm` or `within` is not the label image's
/// size, [`Error::InvalidArgument`] for `gene >= gm.genes()`.
///
/// ```
/// use cellmap_core::{Grid, sparse::{GeneMajor, gene_stats_of_cell}, stats::AllPixels};
/// // labels: 1 1 2        gene 0: 1 3 5        mask: 1 0 1
/// let labels = Grid::new(3, 1, &[1u8, 1, 2])?;
/// let gm = GeneMajor::new(3, &[0, 3], &[0, 1, 2], &[1.0f32, 3.0, 5.0])?;
/// let stats = gene_stats_of_cell(labels, &gm, 0, 1, AllPixels)?;
/// assert_eq!((stats.count(), stats.mean()), (2, 2.0));
/// let mask = Grid::new(3, 1, &[true, false, true])?;
/// let stats = gene_stats_of_cell(labels, &gm, 0, 1, mask)?;
/// assert_eq!((stats.count(), stats.mean()), (1, 1.0));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn gene_stats_of_cell<L: Label, V: SparseValue, W: Within>(
    labels: Grid<'_, L>,
    gm: &GeneMajor<'_, V>,
    gene: usize,
    cell: usize,
    within: W,
) -> Result<CellStats, Error> {
    if gm.n_pixels() != labels.len() {
        return Err(Error::ShapeMismatch { expected: labels.len(), got: gm.n_pixels() });
    }
    if gene >= gm.genes() {
        return Err(Error::InvalidArgument("gene index out of range 0..n_genes"));
    }
    within.check_shape(labels.width(), labels.height())?;
    let labels = labels.as_slice();
    let mut stats = [CellStats::EMPTY];
    let mut sink = StatsSink(&mut stats);
    // as gene_pass walks: a pixel's duplicates are adjacent and summed first
    let (pixels, values) = gm.gene(gene);
    let mut k = 0;
    while let Some(&p) = pixels.get(k) {
        let mut sum = 0.0;
        while pixels.get(k) == Some(&p) {
            sum = V::add_in_precision(sum, values[k]);
            k += 1;
        }
        let p = p as usize;
        if labels.get(p).is_some_and(|l| l.index() == cell) && within.contains(p) {
            emit(&mut sink, 0, sum, Zeros::Skip);
        }
    }
    Ok(stats[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{AllPixels, cell_stats};
    use std::vec;
    use std::vec::Vec;

    /// scipy's `toarray()`: duplicates summed in f32, in storage order.
    fn to_dense(rows: usize, cols: usize, indptr: &[i64], indices: &[i64], data: &[f32]) -> Vec<f32> {
        let mut dense = vec![0.0f32; rows * cols];
        for r in 0..rows {
            for k in indptr[r] as usize..indptr[r + 1] as usize {
                dense[r * cols + indices[k] as usize] += data[k];
            }
        }
        dense
    }

    /// Per-cell statistics of each dense column, straight from the definition.
    fn brute(
        labels: &[u32],
        dense: &[f32],
        cols: usize,
        n: usize,
        zeros: Zeros,
        mask: Option<&[u8]>,
    ) -> Vec<CellStats> {
        let mut out = vec![CellStats::EMPTY; (n + 1) * cols];
        for (p, &l) in labels.iter().enumerate() {
            if mask.is_some_and(|m| m[p] == 0) {
                continue;
            }
            for g in 0..cols {
                let v = dense[p * cols + g];
                if !v.is_nan() && (zeros == Zeros::Keep || v != 0.0) {
                    out[l as usize * cols + g].push(f64::from(v));
                }
            }
        }
        out
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    fn same(e: &CellStats, g: &CellStats) -> bool {
        e.count() == g.count()
            && close(e.sum(), g.sum())
            && close(e.mean(), g.mean())
            && close(e.min(), g.min())
            && close(e.max(), g.max())
    }

    #[test]
    fn duplicates_are_summed_before_the_zero_test() {
        // one cell of 2 pixels, 1 gene; pixel 0 stores +3 and -3 (sums to 0),
        // pixel 1 stores NaN and 1 (sums to NaN): nothing counts.
        let labels = Grid::new(2, 1, &[1u8, 1]).unwrap();
        let x = Csr::new(1, &[0i32, 2, 4], &[0, 0, 0, 0], &[3.0f32, -3.0, f32::NAN, 1.0]).unwrap();
        let mut out = [CellStats::EMPTY; 2];
        let (mut row_sums, mut order) = ([0.0; 1], [0u32; CsrCellStatsScratch::new(2, 1, 1).order]);
        csr_cell_stats(labels, &x, 1, Options::new(), &mut out, &mut row_sums, &mut order).unwrap();
        assert_eq!(out[1].count(), 0);
        // keep zeros: pixel 0 is a zero and counts; pixel 1 is NaN and does not
        let keep = Options::new().keep_zeros();
        csr_cell_stats(labels, &x, 1, keep, &mut out, &mut row_sums, &mut order).unwrap();
        assert_eq!((out[1].count(), out[1].mean(), out[1].min()), (1, 0.0, 0.0));
    }

    #[test]
    fn f32_duplicates_sum_in_f32() {
        let labels = Grid::new(1, 1, &[1u8]).unwrap();
        let data = [0.1f32, 0.2, 0.3];
        let x = Csr::new(1, &[0i32, 3], &[0, 0, 0], &data).unwrap();
        let (mut counts, mut means, mut row_sums, mut order) = ([0u32; 2], [0.0; 2], [0.0; 1], [0u32; 4]);
        csr_cell_means(labels, &x, 1, Options::new(), &mut counts, &mut means, &mut row_sums, &mut order)
            .unwrap();
        assert_eq!(means[1], f64::from(0.1f32 + 0.2f32 + 0.3f32));
    }

    #[test]
    fn errors_carry_reasons_and_numbers() {
        let labels = Grid::new(2, 1, &[1u8, 3]).unwrap();
        let x = Csr::new(2, &[0i32, 1, 2], &[0, 1], &[1.0f32, 2.0]).unwrap();
        let mut out = [CellStats::EMPTY; 4];
        let (mut row_sums, mut order) = ([0.0; 2], [0u32; 8]);
        let label_error = csr_cell_stats(labels, &x, 1, Options::new(), &mut out, &mut row_sums, &mut order);
        assert_eq!(label_error, Err(Error::LabelOutOfRange { label: 3, max: 1 }));
        assert_eq!(out, [CellStats::EMPTY; 4], "outputs untouched on a label error");
        assert_eq!(
            csr_cell_stats(labels, &x, 3, Options::new(), &mut out, &mut row_sums, &mut order),
            Err(Error::BufferTooSmall { buffer: "out", needed: 8, got: 4 })
        );
        assert_eq!(
            csr_cell_stats(labels, &x, 3, Options::new(), &mut out, &mut [0.0; 1], &mut order),
            Err(Error::BufferTooSmall { buffer: "row_sums", needed: 2, got: 1 })
        );
        assert_eq!(
            csr_cell_stats(labels, &x, 7, Options::new(), &mut out, &mut row_sums, &mut order),
            Err(Error::BufferTooSmall { buffer: "order", needed: 11, got: 8 })
        );
        let three_rows = Csr::new(2, &[0i32, 1, 2, 2], &[0, 1], &[1.0f32, 2.0]).unwrap();
        assert!(matches!(
            csr_cell_stats(labels, &three_rows, 3, Options::new(), &mut out, &mut row_sums, &mut order),
            Err(Error::InvalidSparse(_))
        ));
        for (indptr, indices) in
            [(&[][..], &[][..]), (&[1, 1][..], &[][..]), (&[0, 1][..], &[0, 0][..]), (&[0, -1][..], &[][..])]
        {
            let data = vec![1.0f32; indices.len()];
            assert!(matches!(Csr::new(2, indptr, indices, &data), Err(Error::InvalidSparse(_))));
        }
        assert!(matches!(Csr::new(2, &[0i32, 1], &[-1], &[1.0f32]), Err(Error::InvalidSparse(_))));
        let bad_ptrs: [&[usize]; 4] = [&[], &[1, 3], &[0, 10, 3], &[0, 2, 1, 3]];
        for gene_ptr in bad_ptrs {
            let err = GeneMajor::new(4, gene_ptr, &[0, 1, 2], &[1.0f32; 3]).unwrap_err();
            assert!(matches!(err, Error::InvalidSparse(_)), "{gene_ptr:?}: {err:?}");
        }
        assert!(GeneMajor::new(2, &[0, 3], &[0, 1, 2], &[1.0f32; 3]).is_err(), "pixel out of range");
        let (mut ptr, mut pix, mut val) = ([0usize; 2], [0u32; 2], [0f32; 2]);
        assert_eq!(
            csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val).unwrap_err(),
            Error::BufferTooSmall { buffer: "gene_ptr", needed: 3, got: 2 }
        );
        // In Keep mode gene_cell_stats meets label 3 (> n_cells = 1) only after gene 0's
        // pixel 0 counted: the partial table is cleared.
        let (mut ptr, mut pix, mut val) = ([0usize; 3], [0u32; 2], [0f32; 2]);
        let gm = csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val).unwrap();
        let mut table = [CellStats::EMPTY; 2];
        let mut scratch = [0usize; gene_cell_stats_scratch_len(1)];
        let keep = Options::new().keep_zeros();
        let err = gene_cell_stats(labels, &gm, 0, 1, keep, &mut table, &mut scratch);
        assert_eq!(err, Err(Error::LabelOutOfRange { label: 3, max: 1 }));
        assert_eq!(table, [CellStats::EMPTY; 2], "no partial result on a label error");
        let err = gene_cell_stats(labels, &gm, 1, 1, Options::new(), &mut table, &mut scratch);
        assert_eq!(err, Err(Error::LabelOutOfRange { label: 3, max: 1 }));
        let mut table = [CellStats::EMPTY; 3];
        table[2].push(9.0);
        assert_eq!(
            gene_cell_stats(labels, &gm, 2, 2, Options::new(), &mut table, &mut scratch),
            Err(Error::InvalidArgument("gene index out of range 0..n_genes"))
        );
        assert_eq!(
            gene_cell_stats(labels, &gm, 0, 3, Options::new(), &mut table, &mut scratch),
            Err(Error::BufferTooSmall { buffer: "out", needed: 4, got: 3 })
        );
        assert_eq!(
            gene_cell_stats(labels, &gm, 0, 2, Options::new(), &mut table, &mut scratch),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: 3, got: 2 })
        );
        assert_eq!(table[2].count(), 1, "untouched on a size error");
    }

    proptest::proptest! {
        #[test]
        fn csr_and_gene_major_match_dense_brute_force(
            w in 0usize..6, h in 0usize..6, cols in 0usize..5, n in 0usize..4,
            entries in proptest::collection::vec((0usize..36, 0usize..5, -3i8..4), 0..60),
            seed in proptest::collection::vec(0u32..100, 36),
            sort in proptest::bool::ANY, keep in proptest::bool::ANY, use_mask in proptest::bool::ANY,
        ) {
            let rows = w * h;
            let labels: Vec<u32> = seed[..rows].iter().map(|s| s % (n as u32 + 1)).collect();
            let mask: Vec<u8> = seed[..rows].iter().map(|s| (s / 5 % 2) as u8).collect();
            // entries (row, col, value); value 3 stands for NaN; duplicates and zeros allowed
            let mut triples: Vec<(usize, usize, f32)> = if rows == 0 || cols == 0 { vec![] } else {
                entries.iter().map(|&(r, c, v)| (r % rows, c % cols, if v == 3 { f32::NAN } else { f32::from(v) * 0.5 }))
                    .collect()
            };
            if sort { triples.sort_by_key(|t| (t.0, t.1)); triples.dedup_by_key(|t| (t.0, t.1)); }
            else { triples.sort_by_key(|t| t.0); } // CSR groups by row; columns stay in random order
            let mut indptr = vec![0i64; rows + 1];
            for t in &triples { indptr[t.0 + 1] += 1; }
            for r in 0..rows { indptr[r + 1] += indptr[r]; }
            let indices: Vec<i64> = triples.iter().map(|t| t.1 as i64).collect();
            let data: Vec<f32> = triples.iter().map(|t| t.2).collect();
            let dense = to_dense(rows, cols, &indptr, &indices, &data);
            let zeros = if keep { Zeros::Keep } else { Zeros::Skip };
            let expected = brute(&labels, &dense, cols, n, zeros, use_mask.then_some(&mask[..]));

            let lg = Grid::new(w, h, &labels).unwrap();
            let mg = Grid::new(w, h, &mask).unwrap();
            let x = Csr::new(cols, &indptr, &indices, &data).unwrap();
            let mut out = vec![CellStats::EMPTY; (n + 1) * cols];
            let (mut counts, mut means) = (vec![0u32; (n + 1) * cols], vec![0.0; (n + 1) * cols]);
            let mut row_sums = vec![0.0; CsrCellStatsScratch::new(rows, n, cols).row_sums];
            let mut order = vec![0u32; CsrCellStatsScratch::new(rows, n, cols).order];
            let opts = Options { zeros, within: AllPixels };
            if use_mask {
                csr_cell_stats(lg, &x, n, opts.within(mg), &mut out, &mut row_sums, &mut order).unwrap();
                csr_cell_means(lg, &x, n, opts.within(mg), &mut counts, &mut means, &mut row_sums, &mut order)
                    .unwrap();
            } else {
                csr_cell_stats(lg, &x, n, opts, &mut out, &mut row_sums, &mut order).unwrap();
                csr_cell_means(lg, &x, n, opts, &mut counts, &mut means, &mut row_sums, &mut order).unwrap();
            }
            for i in 0..expected.len() {
                proptest::prop_assert!(same(&expected[i], &out[i]), "entry {}: {:?} vs {:?}", i, expected[i], out[i]);
                proptest::prop_assert_eq!(u64::from(counts[i]), expected[i].count());
                proptest::prop_assert!(close(means[i], expected[i].mean()));
            }

            // gene-major: each gene alone equals its CSR column
            let (mut ptr, mut pix, mut val) = (vec![0; cols + 1], vec![0u32; x.nnz()], vec![0f32; x.nnz()]);
            let gm = csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val).unwrap();
            let rebuilt = GeneMajor::new(rows, gm.gene_ptr, gm.pixels, gm.values).unwrap();
            let mut per_gene = vec![CellStats::EMPTY; n + 1];
            let mut gscratch = vec![0usize; gene_cell_stats_scratch_len(n)];
            for g in 0..cols {
                if use_mask {
                    gene_cell_stats(lg, &rebuilt, g, n, opts.within(mg), &mut per_gene, &mut gscratch).unwrap();
                } else {
                    gene_cell_stats(lg, &rebuilt, g, n, opts, &mut per_gene, &mut gscratch).unwrap();
                }
                for c in 0..=n {
                    proptest::prop_assert!(same(&expected[c * cols + g], &per_gene[c]));
                }
                if keep {
                    continue;
                }
                // one cell at a time, from the whole gene and from the entries in the cell's rows
                let one_cell = |gm: &GeneMajor<'_, f32>, gene, c| {
                    if use_mask {
                        gene_stats_of_cell(lg, gm, gene, c, mg)
                    } else {
                        gene_stats_of_cell(lg, gm, gene, c, AllPixels)
                    }
                };
                for (c, &table_entry) in per_gene.iter().enumerate() {
                    let whole = one_cell(&rebuilt, g, c).unwrap();
                    proptest::prop_assert_eq!(whole, table_entry, "cell {}", c);
                    let cell_rows: Vec<usize> = (0..rows).filter(|&p| labels[p] as usize == c).map(|p| p / w).collect();
                    let (first, last) = (cell_rows.first().copied().unwrap_or(0), cell_rows.last().map_or(0, |r| r + 1));
                    let (pixels, values) = rebuilt.gene(g);
                    let start = pixels.partition_point(|&p| (p as usize) < first * w);
                    let end = pixels.partition_point(|&p| (p as usize) < last * w);
                    let band_ptr = [0, end - start];
                    let band = GeneMajor::new(rows, &band_ptr, &pixels[start..end], &values[start..end]).unwrap();
                    let banded = one_cell(&band, 0, c).unwrap();
                    proptest::prop_assert_eq!(banded, table_entry, "cell {} from its rows", c);
                }
            }
        }

        #[test]
        fn garbage_inputs_give_errors_not_panics(
            w in 0usize..4, h in 0usize..4, cols in 0usize..4, n in 0usize..3,
            indptr in proptest::collection::vec(-2i64..8, 0..10),
            indices in proptest::collection::vec(-2i64..6, 0..10),
            labels in proptest::collection::vec(-2i32..5, 16),
            gene_ptr in proptest::collection::vec(0usize..12, 0..6),
            pixels in proptest::collection::vec(0u32..20, 0..10),
            out_len in 0usize..30, order_len in 0usize..30, keep in proptest::bool::ANY,
        ) {
            let data = vec![1.5f32; indices.len()];
            let lg = Grid::new(w, h, &labels[..w * h]).unwrap();
            let opts = if keep { Options::new().keep_zeros() } else { Options::new() };
            if let Ok(x) = Csr::new(cols, &indptr, &indices, &data) {
                let mut out = vec![CellStats::EMPTY; out_len];
                let (mut counts, mut means) = (vec![0u32; out_len], vec![0.0; out_len]);
                let (mut row_sums, mut order) = (vec![0.0; cols], vec![0u32; order_len]);
                let _ = csr_cell_stats(lg, &x, n, opts, &mut out, &mut row_sums, &mut order);
                let _ = csr_cell_means(lg, &x, n, opts, &mut counts, &mut means, &mut row_sums, &mut order);
                let (mut ptr, mut pix, mut val) = (vec![0; cols + 1], vec![0u32; x.nnz()], vec![0f32; x.nnz()]);
                let gm = csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val).unwrap();
                let mut scratch = vec![0usize; order_len];
                for gene in [0, cols, 1] {
                    let _ = gene_cell_stats(lg, &gm, gene, n, opts, &mut out, &mut scratch);
                }
            }
            let values = vec![2.0f32; pixels.len()];
            if let Ok(gm) = GeneMajor::new(w * h, &gene_ptr, &pixels, &values) {
                let mut out = vec![CellStats::EMPTY; out_len];
                let mut scratch = vec![0usize; order_len];
                for gene in 0..=gm.genes() {
                    let _ = gene_cell_stats(lg, &gm, gene, n, opts, &mut out, &mut scratch);
                }
            }
        }

        #[test]
        fn dense_to_csr_round_trip_is_identical(
            w in 0usize..7, h in 0usize..7, n in 0usize..4,
            seed in proptest::collection::vec(0u32..1000, 49), keep in proptest::bool::ANY,
        ) {
            let rows = w * h;
            let labels: Vec<u32> = seed[..rows].iter().map(|s| s % (n as u32 + 1)).collect();
            let values: Vec<f32> = seed[..rows].iter().map(|s| match s % 5 {
                0 | 1 => 0.0, 2 => f32::NAN, _ => *s as f32 / 8.0 - 40.0,
            }).collect();
            let mut indptr = vec![0i32];
            let (mut indices, mut data) = (vec![], vec![]);
            for &v in &values {
                if v != 0.0 { indices.push(0i32); data.push(v); }
                indptr.push(indices.len() as i32);
            }
            let zeros = if keep { Zeros::Keep } else { Zeros::Skip };
            let opts = Options { zeros, within: AllPixels };
            let lg = Grid::new(w, h, &labels).unwrap();
            let mut dense_out = vec![CellStats::EMPTY; n + 1];
            cell_stats(lg, Grid::new(w, h, &values).unwrap(), n, opts, &mut dense_out).unwrap();
            let x = Csr::new(1, &indptr, &indices, &data).unwrap();
            let mut csr_out = vec![CellStats::EMPTY; n + 1];
            let mut order = vec![0u32; CsrCellStatsScratch::new(rows, n, 1).order];
            csr_cell_stats(lg, &x, n, opts, &mut csr_out, &mut [0.0], &mut order).unwrap();
            for c in 0..=n {
                let (d, s) = (&dense_out[c], &csr_out[c]);
                proptest::prop_assert_eq!(d.count(), s.count());
                proptest::prop_assert_eq!(d.sum().to_bits(), s.sum().to_bits());
                proptest::prop_assert_eq!(d.mean().to_bits(), s.mean().to_bits());
                proptest::prop_assert_eq!(d.min().to_bits(), s.min().to_bits());
                proptest::prop_assert_eq!(d.max().to_bits(), s.max().to_bits());
            }
        }
    }
}
