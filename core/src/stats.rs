//! Per-cell statistics of a dense per-pixel value image (one gene, one
//! channel): sum, count, mean, min, max and variance per label, in one pass.
//!
//! Outputs are indexed **by label**: `out[0]` accumulates the background
//! (label 0) and `out[c]` cell `c`, so every output holds
//! [`table_len(n_cells)`](table_len) `= n_cells + 1` entries.
//!
//! Which pixels count is set by [`Options`]:
//!
//! * values that are NaN never count; values that are `0` (or `-0.0`) are
//!   skipped by default (the research scripts' convention), kept with
//!   [`Zeros::Keep`];
//! * [`Options::within`] restricts the statistics to the foreground of a
//!   second mask (usually the original, unfilled mask: that is what the
//!   research scripts computed when they multiplied expression by the mask
//!   before averaging).
//!
//! An empty cell (no counted pixel) has count 0, sum 0, and NaN mean, min,
//! max and variance.

use crate::labeling::LabelRuns;
use crate::{Error, Grid, Label, MaskValue};

/// Number of entries of a per-label table for `n_cells` cells: one per label
/// `0..=n_cells` (index 0 is the background). Saturates at `usize::MAX`
/// (kernels reject such an `n_cells`).
///
/// ```
/// assert_eq!(cellmap_core::stats::table_len(3), 4); // labels 0, 1, 2, 3
/// ```
pub const fn table_len(n_cells: usize) -> usize {
    n_cells.saturating_add(1)
}

/// Number of entries of a per-label × gene table for `n_cells` cells and
/// `n_genes` genes: `(n_cells + 1) × n_genes`, row-major, entry
/// `label * n_genes + gene` (row 0 is the background). Saturates at
/// `usize::MAX` (kernels reject such sizes).
///
/// ```
/// assert_eq!(cellmap_core::stats::cell_gene_table_len(3, 5), 4 * 5);
/// ```
pub const fn cell_gene_table_len(n_cells: usize, n_genes: usize) -> usize {
    table_len(n_cells).saturating_mul(n_genes)
}

/// Whether pixels whose value is `0` count. NaN never counts.
///
/// ```
/// use cellmap_core::{Grid, stats::{cell_stats, CellStats, Options, Zeros}};
/// // one cell: values 0 4 NaN
/// let labels = Grid::new(3, 1, &[1u8, 1, 1])?;
/// let values = Grid::new(3, 1, &[0.0f32, 4.0, f32::NAN])?;
/// let mut out = [CellStats::EMPTY; 2];
/// cell_stats(labels, values, 1, Options { zeros: Zeros::Skip, ..Options::new() }, &mut out)?;
/// assert_eq!((out[1].count(), out[1].mean()), (1, 4.0));
/// cell_stats(labels, values, 1, Options { zeros: Zeros::Keep, ..Options::new() }, &mut out)?;
/// assert_eq!((out[1].count(), out[1].mean()), (2, 2.0));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Zeros {
    /// Skip `0` and `-0.0` (default; "no value" in expression images).
    #[default]
    Skip,
    /// Count zeros like any other value.
    Keep,
}

/// Which pixels of a label image contribute to a statistic.
///
/// Implemented by [`AllPixels`] (every pixel) and by a mask [`Grid`] of any
/// [`MaskValue`] (only its foreground pixels, e.g. the unfilled mask).
///
/// ```
/// use cellmap_core::{Grid, stats::{AllPixels, Within}};
/// // # . #
/// let mask = Grid::new(3, 1, &[255u8, 0, 255])?;
/// assert!(mask.contains(0) && !mask.contains(1));
/// assert!(AllPixels.contains(1));
/// assert!(mask.check_shape(3, 1).is_ok() && mask.check_shape(1, 3).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub trait Within {
    /// Checks that the filter fits a `width × height` label image.
    fn check_shape(&self, width: usize, height: usize) -> Result<(), Error>;
    /// True if pixel `index` (row-major) counts. Only called with
    /// `index < width * height` after [`Within::check_shape`] passed.
    fn contains(&self, index: usize) -> bool;
    /// True if [`Within::contains`] is true for every pixel: kernels then
    /// skip asking it pixel by pixel.
    const EVERY_PIXEL: bool = false;
}

/// Every pixel counts (no restricting mask); what [`Options::new`] uses.
///
/// ```
/// use cellmap_core::stats::{AllPixels, Options, Within};
/// let opts = Options::new();
/// assert!(opts.within.contains(123) && AllPixels.check_shape(4, 4).is_ok());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllPixels;

impl Within for AllPixels {
    const EVERY_PIXEL: bool = true;
    #[inline(always)]
    fn check_shape(&self, _width: usize, _height: usize) -> Result<(), Error> {
        Ok(())
    }
    #[inline(always)]
    fn contains(&self, _index: usize) -> bool {
        true
    }
}

impl<M: MaskValue> Within for Grid<'_, M> {
    fn check_shape(&self, width: usize, height: usize) -> Result<(), Error> {
        if self.width() != width || self.height() != height {
            return Err(Error::ShapeMismatch { expected: width.saturating_mul(height), got: self.len() });
        }
        Ok(())
    }
    #[inline(always)]
    fn contains(&self, index: usize) -> bool {
        self.as_slice().get(index).is_some_and(|m| m.is_foreground())
    }
}

/// Options of the per-cell statistics: which values and which pixels count.
///
/// ```
/// use cellmap_core::{Grid, stats::{Options, Zeros}};
/// let unfilled = Grid::new(2, 1, &[255u8, 0])?;
/// let opts = Options::new().keep_zeros().within(unfilled);
/// assert_eq!(opts.zeros, Zeros::Keep);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Options<W = AllPixels> {
    /// Whether zero values count (NaN never does).
    pub zeros: Zeros,
    /// Which pixels count.
    pub within: W,
}

impl Options<AllPixels> {
    /// Default options: skip zeros and NaN, every pixel of each label.
    pub const fn new() -> Self {
        Options { zeros: Zeros::Skip, within: AllPixels }
    }
}

impl Default for Options<AllPixels> {
    fn default() -> Self {
        Self::new()
    }
}

impl<W: Within> Options<W> {
    /// The same options, but zeros count.
    pub fn keep_zeros(self) -> Self {
        Options { zeros: Zeros::Keep, ..self }
    }

    /// The same options, restricted to the foreground of `mask`.
    pub fn within<M: MaskValue>(self, mask: Grid<'_, M>) -> Options<Grid<'_, M>> {
        Options { zeros: self.zeros, within: mask }
    }
}

/// Running statistics of one cell: count, sum, sum of squares, min, max,
/// accumulated in `f64`.
///
/// The variance is computed from the sum of squares (`Σv²/n − mean²`,
/// clamped at 0): one multiply-add per pixel, exact enough for expression
/// values (relative error about `n · 2⁻⁵³ · mean² / variance`), not for
/// data whose mean dwarfs its spread.
///
/// ```
/// use cellmap_core::stats::CellStats;
/// let mut s = CellStats::EMPTY;
/// assert!(s.mean().is_nan() && s.min().is_nan());
/// for v in [2.0, 4.0, 9.0] { s.push(v); }
/// assert_eq!((s.count(), s.sum(), s.mean()), (3, 15.0, 5.0));
/// assert_eq!((s.min(), s.max()), (2.0, 9.0));
/// assert!((s.variance() - 26.0 / 3.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CellStats {
    count: u64,
    sum: f64,
    sum_sq: f64,
    min: f64,
    max: f64,
}

impl Default for CellStats {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl CellStats {
    /// No value yet: count 0, sum 0, NaN mean/min/max.
    pub const EMPTY: Self =
        CellStats { count: 0, sum: 0.0, sum_sq: 0.0, min: f64::INFINITY, max: f64::NEG_INFINITY };

    /// Adds one value (NaN is the caller's business: it poisons the sums).
    #[inline(always)]
    pub fn push(&mut self, v: f64) {
        self.count = self.count.wrapping_add(1);
        self.sum += v;
        self.sum_sq += v * v;
        self.min = if v < self.min { v } else { self.min };
        self.max = if v > self.max { v } else { self.max };
    }

    /// Adds all values counted by `other`.
    #[inline(always)]
    pub fn merge(&mut self, other: &CellStats) {
        self.count = self.count.wrapping_add(other.count);
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
        self.min = if other.min < self.min { other.min } else { self.min };
        self.max = if other.max > self.max { other.max } else { self.max };
    }

    /// Number of values counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the values (0 when empty).
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// Mean, NaN when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.sum / self.count as f64 }
    }

    /// Smallest value, NaN when empty.
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// Largest value, NaN when empty.
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }

    /// Population variance (`ddof = 0`, like `np.var`), NaN when empty.
    pub fn variance(&self) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let n = self.count as f64;
        let mean = self.sum / n;
        let var = self.sum_sq / n - mean * mean;
        if var > 0.0 { var } else { 0.0 }
    }

    /// Sparse inputs in [`Zeros::Keep`] mode: the pass counted nonzero
    /// values in the low 32 bits of `count` and NaN entries in the high 32
    /// bits (see [`CellStats::push_nan_marker`]); `pixels` is the number of
    /// pixels of the cell. Implicit zeros are the pixels left over: they
    /// count, and pull min/max towards 0.
    pub(crate) fn finish_keep_zeros(&mut self, pixels: u64) {
        let nan = self.count >> 32;
        let nonzero = self.count & 0xFFFF_FFFF;
        let total = pixels.saturating_sub(nan);
        if total > nonzero {
            self.min = if 0.0 < self.min { 0.0 } else { self.min };
            self.max = if 0.0 > self.max { 0.0 } else { self.max };
        }
        self.count = total;
    }

    /// Records a NaN entry of a sparse input in [`Zeros::Keep`] mode (see
    /// [`CellStats::finish_keep_zeros`]).
    #[inline(always)]
    pub(crate) fn push_nan_marker(&mut self) {
        self.count = self.count.wrapping_add(1 << 32);
    }
}

/// True if `v` counts under `zeros` (never NaN).
#[inline(always)]
pub(crate) fn is_counted(v: f32, zeros: Zeros) -> bool {
    match zeros {
        Zeros::Skip => v != 0.0 && !v.is_nan(),
        Zeros::Keep => !v.is_nan(),
    }
}

/// Checks `n_cells` and returns the table length `n_cells + 1`.
pub(crate) fn checked_table_len(n_cells: usize) -> Result<usize, Error> {
    n_cells.checked_add(1).ok_or(Error::InvalidArgument("n_cells is too large (n_cells + 1 overflows)"))
}

/// Rejects images with more pixels than a `u32` count can hold (never
/// true on 32-bit targets, hence the comparison in `u64`).
pub(crate) fn check_countable(pixels: usize) -> Result<(), Error> {
    if pixels as u64 > u64::from(u32::MAX) {
        return Err(Error::InvalidArgument("more than 2^32 - 1 pixels: per-cell counts would overflow u32"));
    }
    Ok(())
}

/// The label index of `label`, or [`Error::LabelOutOfRange`] if it is
/// negative or above `n_cells`.
#[inline(always)]
pub(crate) fn label_index<L: Label>(label: L, n_cells: usize) -> Result<usize, Error> {
    let i = label.index();
    if i > n_cells { Err(Error::LabelOutOfRange { label: i, max: n_cells }) } else { Ok(i) }
}

/// Lanes of the run accumulators: lane `k` takes the run's pixels `k`,
/// `k + 8`, ... so that eight independent add chains (and SIMD) hide the
/// floating-point latency; lanes are combined pairwise when the run ends.
const LANES: usize = 8;

/// Per-run accumulation, lane-wise.
trait RunAccumulator: Default {
    /// Adds eight consecutive pixels of the run; `keep[k]` says which count.
    fn add_lanes(&mut self, values: &[f32; LANES], keep: [bool; LANES]);
    /// Adds one pixel (into lane 0) if `keep`.
    fn add_one(&mut self, value: f32, keep: bool);
}

/// The pairwise lane sum used by every accumulator (same order, same bits).
#[inline(always)]
fn lane_sum(l: &[f64; LANES]) -> f64 {
    ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
}

/// Sum and count of a run.
#[derive(Default)]
struct SumLanes {
    sum: [f64; LANES],
    count: [u32; LANES],
}

impl RunAccumulator for SumLanes {
    #[inline(always)]
    fn add_lanes(&mut self, values: &[f32; LANES], keep: [bool; LANES]) {
        for k in 0..LANES {
            self.sum[k] += if keep[k] { f64::from(values[k]) } else { 0.0 };
            self.count[k] += u32::from(keep[k]);
        }
    }
    #[inline(always)]
    fn add_one(&mut self, value: f32, keep: bool) {
        self.sum[0] += if keep { f64::from(value) } else { 0.0 };
        self.count[0] += u32::from(keep);
    }
}

/// Everything [`CellStats`] holds, for a run.
struct StatLanes {
    sum: SumLanes,
    sum_sq: [f64; LANES],
    min: [f64; LANES],
    max: [f64; LANES],
}

impl Default for StatLanes {
    fn default() -> Self {
        StatLanes {
            sum: SumLanes::default(),
            sum_sq: [0.0; LANES],
            min: [f64::INFINITY; LANES],
            max: [f64::NEG_INFINITY; LANES],
        }
    }
}

impl StatLanes {
    #[inline(always)]
    fn add_extremes(&mut self, lane: usize, v: f64, keep: bool) {
        self.sum_sq[lane] += if keep { v * v } else { 0.0 };
        self.min[lane] = if keep && v < self.min[lane] { v } else { self.min[lane] };
        self.max[lane] = if keep && v > self.max[lane] { v } else { self.max[lane] };
    }

    fn to_stats(&self) -> CellStats {
        let count = self.sum.count.iter().map(|&c| u64::from(c)).sum();
        let min = self.min.iter().fold(f64::INFINITY, |a, &b| if b < a { b } else { a });
        let max = self.max.iter().fold(f64::NEG_INFINITY, |a, &b| if b > a { b } else { a });
        CellStats { count, sum: lane_sum(&self.sum.sum), sum_sq: lane_sum(&self.sum_sq), min, max }
    }
}

impl RunAccumulator for StatLanes {
    #[inline(always)]
    fn add_lanes(&mut self, values: &[f32; LANES], keep: [bool; LANES]) {
        self.sum.add_lanes(values, keep);
        for k in 0..LANES {
            self.add_extremes(k, f64::from(values[k]), keep[k]);
        }
    }
    #[inline(always)]
    fn add_one(&mut self, value: f32, keep: bool) {
        self.sum.add_one(value, keep);
        self.add_extremes(0, f64::from(value), keep);
    }
}

/// One pass over the runs of equal labels within each row: accumulates the
/// counted pixels of each run in an `A`, then calls `flush(label, &acc)`.
/// Checks every label once per run.
#[inline(always)]
fn accumulate_runs<L: Label, W: Within, A: RunAccumulator>(
    labels: Grid<'_, L>,
    values: &[f32],
    n_cells: usize,
    options: &Options<W>,
    mut flush: impl FnMut(usize, &A),
) -> Result<(), Error> {
    let width = labels.width();
    let zeros = options.zeros;
    let within = &options.within;
    for (row_index, label_row) in labels.as_slice().chunks_exact(width.max(1)).enumerate() {
        let row_start = row_index * width;
        let value_row = values.get(row_start..row_start + width).unwrap_or_default();
        let mut i = 0;
        while let Some(&current) = label_row.get(i) {
            let cell = label_index(current, n_cells)?;
            let mut acc = A::default();
            while let (Some(label_chunk), Some(value_chunk)) = (
                label_row.get(i..).and_then(<[L]>::first_chunk::<LANES>),
                value_row.get(i..).and_then(<[f32]>::first_chunk::<LANES>),
            ) {
                if !label_chunk.iter().fold(true, |same, &l| same & (l == current)) {
                    break;
                }
                let keep = core::array::from_fn(|k| {
                    is_counted(value_chunk[k], zeros) && within.contains(row_start + i + k)
                });
                acc.add_lanes(value_chunk, keep);
                i += LANES;
            }
            while let (Some(&label), Some(&value)) = (label_row.get(i), value_row.get(i)) {
                if label != current {
                    break;
                }
                acc.add_one(value, is_counted(value, zeros) && within.contains(row_start + i));
                i += 1;
            }
            flush(cell, &acc);
        }
    }
    Ok(())
}

/// Per-cell statistics of `values` over the cells of `labels`, one pass.
///
/// `out[c]` receives the statistics of label `c` (`out[0]`: background);
/// it must hold at least [`table_len(n_cells)`](table_len) entries and is
/// overwritten. Shape and size errors are returned before anything is
/// written (`out` untouched). Labels must be in `0..=n_cells`; they are
/// checked while `out` is written, so on [`Error::LabelOutOfRange`] `out`
/// is **reset** to [`CellStats::EMPTY`].
/// Images may have up to `u32::MAX` pixels ([`Error::InvalidArgument`]
/// beyond).
///
/// Sums run in eight interleaved lanes per run of equal labels (for speed),
/// so they can differ from numpy's in the last bits (relative 1e-16).
///
/// ```
/// use cellmap_core::{Grid, stats::{cell_stats, CellStats, Options}};
/// // labels        values
/// // 1 1 . 2       2 4 9 0
/// // 1 . . 2       0 7 7 NaN
/// let labels = Grid::new(4, 2, &[1u8, 1, 0, 2, 1, 0, 0, 2])?;
/// let values = Grid::new(4, 2, &[2.0f32, 4.0, 9.0, 0.0, 0.0, 7.0, 7.0, f32::NAN])?;
/// let mut out = [CellStats::EMPTY; 3];
/// cell_stats(labels, values, 2, Options::new(), &mut out)?;
/// assert_eq!((out[1].count(), out[1].mean(), out[1].max()), (2, 3.0, 4.0)); // 0 skipped
/// assert_eq!((out[0].count(), out[0].sum()), (3, 23.0)); // background
/// assert!(out[2].mean().is_nan()); // only 0 and NaN: no value
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn cell_stats<L: Label, W: Within>(
    labels: Grid<'_, L>,
    values: Grid<'_, f32>,
    n_cells: usize,
    options: Options<W>,
    out: &mut [CellStats],
) -> Result<(), Error> {
    labels.ensure_same_shape(&values)?;
    options.within.check_shape(labels.width(), labels.height())?;
    check_countable(labels.len())?;
    let len = checked_table_len(n_cells)?;
    crate::error::ensure_len("out", out, len)?;
    let out = out.get_mut(..len).unwrap_or_default();
    out.fill(CellStats::EMPTY);
    let result = accumulate_runs(labels, values.as_slice(), n_cells, &options, |cell, acc: &StatLanes| {
        if let Some(stats) = out.get_mut(cell) {
            stats.merge(&acc.to_stats());
        }
    });
    if result.is_err() {
        out.fill(CellStats::EMPTY);
    }
    result
}

/// Per-cell mean and count only — the cheap path for a gene map: one add
/// and one increment per counted pixel. Skipping zeros (the default), it
/// scans the labels once (to validate them) and then touches only the
/// nonzero values, summing in raster order as `np.bincount` does.
///
/// `means[c]` receives the mean of label `c` (NaN when no pixel counts) and
/// `counts[c]` the number of counted pixels; both must hold
/// [`table_len(n_cells)`](table_len) entries. Same semantics as
/// [`cell_stats`]; shape and size errors leave both outputs untouched, and
/// on [`Error::LabelOutOfRange`] they are **reset** (counts 0, means NaN).
///
/// ```
/// use cellmap_core::{Grid, stats::{cell_means, Options}};
/// // labels   values    unfilled mask
/// // 1 1 1    1 2 6     # . #
/// let labels = Grid::new(3, 1, &[1u16, 1, 1])?;
/// let values = Grid::new(3, 1, &[1.0f32, 2.0, 6.0])?;
/// let unfilled = Grid::new(3, 1, &[255u8, 0, 255])?;
/// let (mut counts, mut means) = ([0u32; 2], [0f64; 2]);
/// cell_means(labels, values, 1, Options::new(), &mut counts, &mut means)?;
/// assert_eq!((counts[1], means[1]), (3, 3.0));
/// cell_means(labels, values, 1, Options::new().within(unfilled), &mut counts, &mut means)?;
/// assert_eq!((counts[1], means[1]), (2, 3.5));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn cell_means<L: Label, W: Within>(
    labels: Grid<'_, L>,
    values: Grid<'_, f32>,
    n_cells: usize,
    options: Options<W>,
    counts: &mut [u32],
    means: &mut [f64],
) -> Result<(), Error> {
    labels.ensure_same_shape(&values)?;
    options.within.check_shape(labels.width(), labels.height())?;
    check_countable(labels.len())?;
    let len = checked_table_len(n_cells)?;
    crate::error::ensure_len("counts", counts, len)?;
    crate::error::ensure_len("means", means, len)?;
    let (counts, sums) =
        (counts.get_mut(..len).unwrap_or_default(), means.get_mut(..len).unwrap_or_default());
    counts.fill(0);
    sums.fill(0.0);
    let result = match options.zeros {
        // Expression images are mostly zeros: validate the labels in one
        // vectorisable scan, then touch only the nonzero values.
        Zeros::Skip => add_nonzero_values(labels, values.as_slice(), n_cells, &options.within, counts, sums),
        Zeros::Keep => {
            accumulate_runs(labels, values.as_slice(), n_cells, &options, |cell, acc: &SumLanes| {
                if let (Some(sum), Some(count)) = (sums.get_mut(cell), counts.get_mut(cell)) {
                    *sum += lane_sum(&acc.sum);
                    *count = count.wrapping_add(acc.count.iter().sum::<u32>());
                }
            })
        }
    };
    if result.is_err() {
        counts.fill(0);
        sums.fill(f64::NAN);
        return result;
    }
    for (sum, &count) in sums.iter_mut().zip(counts.iter()) {
        *sum = if count == 0 { f64::NAN } else { *sum / f64::from(count) };
    }
    Ok(())
}

/// The skip-zeros path of [`cell_means`]: checks every label against
/// `n_cells` (a max-scan), then adds each value that is neither 0 nor NaN
/// to its cell, in raster order (as `np.bincount` does).
fn add_nonzero_values<L: Label, W: Within>(
    labels: Grid<'_, L>,
    values: &[f32],
    n_cells: usize,
    within: &W,
    counts: &mut [u32],
    sums: &mut [f64],
) -> Result<(), Error> {
    let labels = labels.as_slice();
    // Negative labels index as usize::MAX, so one max finds every bad label.
    let top = labels.iter().fold(0usize, |top, &l| top.max(l.index()));
    if top > n_cells {
        let bad = labels.iter().map(|l| l.index()).find(|&i| i > n_cells).unwrap_or(top);
        return Err(Error::LabelOutOfRange { label: bad, max: n_cells });
    }
    const CHUNK: usize = 16;
    for (chunk_index, chunk) in values.chunks(CHUNK).enumerate() {
        // +0.0 and -0.0 both have all bits but the sign bit clear.
        if chunk.iter().all(|v| v.to_bits() << 1 == 0) {
            continue;
        }
        for (k, &v) in chunk.iter().enumerate() {
            let pixel = chunk_index * CHUNK + k;
            if is_counted(v, Zeros::Skip) && within.contains(pixel) {
                let cell = labels.get(pixel).map_or(usize::MAX, |l| l.index());
                if let (Some(sum), Some(count)) = (sums.get_mut(cell), counts.get_mut(cell)) {
                    *sum += f64::from(v);
                    *count = count.wrapping_add(1);
                }
            }
        }
    }
    Ok(())
}

/// Channels one pass of [`channel_sums`] / [`channel_means`] accumulates
/// at once (more channels take more passes over the labels).
const CHANNEL_GROUP: usize = 4;

/// Per-cell count and exact integer sum of several `u16` channels (camera
/// frames, one per channel) over the cells of a label image, in one pass
/// over the labels for up to four channels.
///
/// `channels` holds one `width × height` image per channel, row-major like
/// `labels`. Outputs are per-label × channel tables of
/// [`cell_gene_table_len`]`(n_cells, channels.len())` entries, entry
/// `label * channels.len() + channel` (row 0 is the background):
/// `counts` the number of counted pixels, `sums` their sum (exact: at most
/// `2³² · 65535`). Which pixels count is set by [`Options`] as for
/// [`cell_stats`]: with [`Zeros::Skip`] (the default) a channel's `0`
/// pixels do not count in that channel; [`Options::within`] restricts
/// every channel to a mask's foreground. The sums equal `np.bincount` of
/// the channel as `float64` (each sum is an exact integer), so
/// [`channel_means`]'s means equal [`cell_means`] of the channel widened to
/// `f32`, bit for bit.
///
/// Shape and size errors leave both outputs untouched; on
/// [`Error::LabelOutOfRange`] both are **reset** to 0.
///
/// ```
/// use cellmap_core::{Grid, stats::{channel_sums, Options}};
/// // labels   channel a   channel b
/// // 1 1 2    3 0 7       1 1 1
/// let labels = Grid::new(3, 1, &[1u16, 1, 2])?;
/// let (a, b) = ([3u16, 0, 7], [1u16, 1, 1]);
/// let (mut counts, mut sums) = ([0u32; 6], [0u64; 6]); // labels 0..=2 × 2 channels
/// channel_sums(labels, &[&a, &b], 2, Options::new(), &mut counts, &mut sums)?;
/// assert_eq!((counts[2..].to_vec(), sums[2..].to_vec()), (vec![1, 2, 1, 1], vec![3, 2, 7, 1]));
/// channel_sums(labels, &[&a, &b], 2, Options::new().keep_zeros(), &mut counts, &mut sums)?;
/// assert_eq!(counts[2..4], [2, 2]); // the 0 of channel a counts
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn channel_sums<L: Label, W: Within>(
    labels: Grid<'_, L>,
    channels: &[&[u16]],
    n_cells: usize,
    options: Options<W>,
    counts: &mut [u32],
    sums: &mut [u64],
) -> Result<(), Error> {
    channel_sums_in(&labels, channels, n_cells, options, counts, sums)
}

/// [`channel_sums`] over the cells of a [`LabelRuns`] (the runs that
/// labelling left in its scratch) instead of a label image: the same
/// results without reading the label image. `runs.n_labels()` cells;
/// tables of [`cell_gene_table_len`]`(runs.n_labels(), channels.len())`.
///
/// ```
/// use cellmap_core::{Grid, labeling::{label, label_scratch_len, Connectivity, LabelRuns}};
/// use cellmap_core::stats::{channel_sums, channel_sums_of_runs, Options};
/// let mask = Grid::new(4, 1, &[1u8, 1, 0, 1])?;
/// let (mut labels, mut scratch) = ([0u16; 4], [0u32; label_scratch_len(4, 1)]);
/// let n = label(mask, Connectivity::Four, &mut labels, &mut scratch)?;
/// let runs = LabelRuns::from_scratch(4, 1, n, &scratch)?;
/// let channel = [5u16, 6, 7, 8];
/// let (mut counts, mut sums) = ([0u32; 3], [0u64; 3]);
/// channel_sums_of_runs(&runs, &[&channel], Options::new(), &mut counts, &mut sums)?;
/// assert_eq!((counts, sums), ([1, 2, 1], [7, 11, 8]));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn channel_sums_of_runs<W: Within>(
    runs: &LabelRuns<'_>,
    channels: &[&[u16]],
    options: Options<W>,
    counts: &mut [u32],
    sums: &mut [u64],
) -> Result<(), Error> {
    channel_sums_in(runs, channels, runs.n_labels(), options, counts, sums)
}

/// [`channel_sums`] over any [`CellRuns`].
fn channel_sums_in<R: CellRuns, W: Within>(
    labels: &R,
    channels: &[&[u16]],
    n_cells: usize,
    options: Options<W>,
    counts: &mut [u32],
    sums: &mut [u64],
) -> Result<(), Error> {
    let len = check_channels(labels, channels, n_cells, &options)?;
    crate::error::ensure_len("counts", counts, len)?;
    crate::error::ensure_len("sums", sums, len)?;
    let (counts, sums) = (counts.get_mut(..len).unwrap_or_default(), sums.get_mut(..len).unwrap_or_default());
    counts.fill(0);
    sums.fill(0);
    let result = accumulate_channels(labels, channels, n_cells, &options, |entries, run_sums, run_counts| {
        add_entries(sums, counts, entries, run_sums, run_counts, |sum, run_sum| {
            *sum = sum.wrapping_add(run_sum)
        });
    });
    if result.is_err() {
        counts.fill(0);
        sums.fill(0);
    }
    result
}

/// Per-cell count and mean of several `u16` channels in one pass: as
/// [`channel_sums`], with `means[i] = sums[i] / counts[i]` (NaN for no
/// counted pixel) — equal bit for bit to [`cell_means`] of each channel
/// widened to `f32`, without the widened copy. Tables as in
/// [`channel_sums`]; on [`Error::LabelOutOfRange`] both outputs are
/// **reset** (counts 0, means NaN).
///
/// ```
/// use cellmap_core::{Grid, stats::{channel_means, Options}};
/// // labels   red       green
/// // 1 1 .    4 6 9     0 1 0
/// let labels = Grid::new(3, 1, &[1i32, 1, 0])?;
/// let (red, green) = ([4u16, 6, 9], [0u16, 1, 0]);
/// let (mut counts, mut means) = ([0u32; 4], [0f64; 4]);
/// channel_means(labels, &[&red, &green], 1, Options::new().keep_zeros(), &mut counts, &mut means)?;
/// assert_eq!(means, [9.0, 0.0, 5.0, 0.5]); // background red, green; cell 1 red, green
/// assert_eq!(counts, [1, 1, 2, 2]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn channel_means<L: Label, W: Within>(
    labels: Grid<'_, L>,
    channels: &[&[u16]],
    n_cells: usize,
    options: Options<W>,
    counts: &mut [u32],
    means: &mut [f64],
) -> Result<(), Error> {
    channel_means_in(&labels, channels, n_cells, options, counts, means)
}

/// [`channel_means`] over the cells of a [`LabelRuns`] (the runs that
/// labelling left in its scratch) instead of a label image: the same
/// results, bit for bit, without reading the label image or finding its
/// runs again. `runs.n_labels()` cells; tables of
/// [`cell_gene_table_len`]`(runs.n_labels(), channels.len())`.
///
/// ```
/// use cellmap_core::{Grid, labeling::{fill_holes_and_label, fill_holes_and_label_scratch_len, Connectivity, LabelRuns}};
/// use cellmap_core::stats::{channel_means_of_runs, Options};
/// let mask = Grid::new(4, 1, &[1u8, 1, 0, 1])?;
/// let (mut labels, mut scratch) = ([0i32; 4], [0u32; fill_holes_and_label_scratch_len(4, 1)]);
/// let n = fill_holes_and_label(mask, Connectivity::Four, &mut labels, &mut scratch)?;
/// let runs = LabelRuns::from_scratch(4, 1, n, &scratch)?;
/// let (red, green) = ([4u16, 6, 9, 1], [0u16, 1, 0, 3]);
/// let (mut counts, mut means) = ([0u32; 6], [0f64; 6]);
/// channel_means_of_runs(&runs, &[&red, &green], Options::new().keep_zeros(), &mut counts, &mut means)?;
/// assert_eq!(means, [9.0, 0.0, 5.0, 0.5, 1.0, 3.0]); // label-major: background, cell 1, cell 2
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn channel_means_of_runs<W: Within>(
    runs: &LabelRuns<'_>,
    channels: &[&[u16]],
    options: Options<W>,
    counts: &mut [u32],
    means: &mut [f64],
) -> Result<(), Error> {
    channel_means_in(runs, channels, runs.n_labels(), options, counts, means)
}

/// [`channel_means`] over any [`CellRuns`].
fn channel_means_in<R: CellRuns, W: Within>(
    labels: &R,
    channels: &[&[u16]],
    n_cells: usize,
    options: Options<W>,
    counts: &mut [u32],
    means: &mut [f64],
) -> Result<(), Error> {
    let len = check_channels(labels, channels, n_cells, &options)?;
    crate::error::ensure_len("counts", counts, len)?;
    crate::error::ensure_len("means", means, len)?;
    let (counts, sums) =
        (counts.get_mut(..len).unwrap_or_default(), means.get_mut(..len).unwrap_or_default());
    counts.fill(0);
    // The sums are exact integers (below 2^48) kept as `u64` in the bits of
    // `means` (0.0 is all zero bits) until they are divided.
    sums.fill(0.0);
    let result = accumulate_channels(labels, channels, n_cells, &options, |entries, run_sums, run_counts| {
        add_entries(sums, counts, entries, run_sums, run_counts, |sum, run_sum| {
            *sum = f64::from_bits(sum.to_bits().wrapping_add(run_sum));
        });
    });
    if result.is_err() {
        counts.fill(0);
        sums.fill(f64::NAN);
        return result;
    }
    for (sum, &count) in sums.iter_mut().zip(counts.iter()) {
        *sum = if count == 0 { f64::NAN } else { sum.to_bits() as f64 / f64::from(count) };
    }
    Ok(())
}

/// The checks of [`channel_sums`] before anything is written; returns the
/// table length.
fn check_channels<R: CellRuns, W: Within>(
    labels: &R,
    channels: &[&[u16]],
    n_cells: usize,
    options: &Options<W>,
) -> Result<usize, Error> {
    let (width, height) = labels.shape();
    let pixels = width.saturating_mul(height);
    if let Some(other) = channels.iter().find(|c| c.len() != pixels) {
        return Err(Error::ShapeMismatch { expected: pixels, got: other.len() });
    }
    options.within.check_shape(width, height)?;
    check_countable(pixels)?;
    checked_table_len(n_cells)?
        .checked_mul(channels.len())
        .ok_or(Error::InvalidArgument("(n_cells + 1) * channels overflows"))
}

/// Adds a run's sums (with `add`) and counts to the table entries
/// `entries` (at most [`CHANNEL_GROUP`] of them, in range), all four at
/// once in the usual case of a whole group.
#[inline(always)]
fn add_entries<T>(
    sums: &mut [T],
    counts: &mut [u32],
    entries: core::ops::Range<usize>,
    run_sums: [u64; CHANNEL_GROUP],
    run_counts: [u32; CHANNEL_GROUP],
    add: impl Fn(&mut T, u64),
) {
    let (Some(sums), Some(counts)) = (sums.get_mut(entries.clone()), counts.get_mut(entries)) else { return };
    if let (Ok(sums), Ok(counts)) =
        (<&mut [T; CHANNEL_GROUP]>::try_from(&mut *sums), <&mut [u32; CHANNEL_GROUP]>::try_from(&mut *counts))
    {
        for k in 0..CHANNEL_GROUP {
            add(&mut sums[k], run_sums[k]);
            counts[k] = counts[k].wrapping_add(run_counts[k]);
        }
        return;
    }
    for ((sum, count), (run_sum, run_count)) in
        sums.iter_mut().zip(counts).zip(run_sums.into_iter().zip(run_counts))
    {
        add(sum, run_sum);
        *count = count.wrapping_add(run_count);
    }
}

/// One pass per group of [`CHANNEL_GROUP`] channels over the runs of
/// equal labels within each row: `flush(entries, sums, counts)` once per
/// run, with the run's table entries `label * n_channels + first..` of
/// the group's channels (as many as it has) and their sums and counts.
/// Channel lengths are checked.
fn accumulate_channels<R: CellRuns, W: Within>(
    labels: &R,
    channels: &[&[u16]],
    n_cells: usize,
    options: &Options<W>,
    mut flush: impl FnMut(core::ops::Range<usize>, [u64; CHANNEL_GROUP], [u32; CHANNEL_GROUP]),
) -> Result<(), Error> {
    let n_channels = channels.len();
    for (group_index, group) in channels.chunks(CHANNEL_GROUP).enumerate() {
        let first = group_index * CHANNEL_GROUP;
        // A short last group repeats its first channel; those sums are dropped.
        let Some(&head) = group.first() else { continue };
        let group: [&[u16]; CHANNEL_GROUP] = core::array::from_fn(|k| group.get(k).copied().unwrap_or(head));
        let real = group.len().min(n_channels - first);
        let mut flush_group = |cell: usize, sums: [u64; CHANNEL_GROUP], counts: [u32; CHANNEL_GROUP]| {
            let base = cell.wrapping_mul(n_channels).wrapping_add(first);
            flush(base..base.wrapping_add(real), sums, counts);
        };
        match options.zeros {
            Zeros::Keep => {
                channel_group::<R, W, true>(labels, group, n_cells, &options.within, &mut flush_group)?
            }
            Zeros::Skip => {
                channel_group::<R, W, false>(labels, group, n_cells, &options.within, &mut flush_group)?
            }
        }
    }
    Ok(())
}

/// [`accumulate_channels`] for one group of channels (each of the labels'
/// length). Per row: the whole row's sums ([`row_sums`], one pass over the
/// four channels), then the runs of cells (label ≠ 0), eight pixels at a
/// time ([`run_sums`]); the background gets the row's sums minus the
/// cells' (exact: integer sums), so its runs are only skipped over.
#[inline(always)]
fn channel_group<R: CellRuns, W: Within, const KEEP_ZEROS: bool>(
    labels: &R,
    channels: [&[u16]; CHANNEL_GROUP],
    n_cells: usize,
    within: &W,
    flush: &mut impl FnMut(usize, [u64; CHANNEL_GROUP], [u32; CHANNEL_GROUP]),
) -> Result<(), Error> {
    let (width, height) = labels.shape();
    for row_index in 0..height {
        let row_start = row_index * width;
        let row_acc = row_sums::<W, KEEP_ZEROS>(&channels, row_start, row_start + width, within);
        let mut cells_acc = RunSums::default();
        labels.cell_runs(row_index, n_cells, |start, end, cell| {
            let acc = run_sums::<W, KEEP_ZEROS>(&channels, row_start + start, row_start + end, within);
            flush(cell, acc.sums, acc.counts());
            cells_acc.add(&acc);
        })?;
        let background_acc = row_acc.minus(&cells_acc);
        flush(0, background_acc.sums, background_acc.counts());
    }
    Ok(())
}

/// The sums of the four `channels` over the pixels `from..to` of one row,
/// as [`run_sums`]: with every pixel inside, one plain pass over the four
/// channels side by side (which keeps four streams of reads in flight), in
/// pieces of [`U32_SUM_SPAN`] pixels whose sums fit `u32` lanes.
#[inline(always)]
fn row_sums<W: Within, const KEEP_ZEROS: bool>(
    channels: &[&[u16]; CHANNEL_GROUP],
    from: usize,
    to: usize,
    within: &W,
) -> RunSums {
    let mut acc = RunSums::default();
    let mut piece = from;
    while piece < to {
        let piece_end = to.min(piece + U32_SUM_SPAN);
        if W::EVERY_PIXEL {
            let rows = channels.map(|c| c.get(piece..piece_end).unwrap_or_default());
            let (mut sums, mut zeros) = ([0u32; CHANNEL_GROUP], [0u32; CHANNEL_GROUP]);
            let pixels = rows[0].iter().zip(rows[1]).zip(rows[2]).zip(rows[3]);
            for (((&v0, &v1), &v2), &v3) in pixels {
                for (k, v) in [v0, v1, v2, v3].into_iter().enumerate() {
                    sums[k] += u32::from(v);
                    if !KEEP_ZEROS {
                        zeros[k] += u32::from(v == 0);
                    }
                }
            }
            acc.add(&RunSums { sums: sums.map(u64::from), inside: (piece_end - piece) as u32, zeros });
        } else {
            acc.add(&run_sums::<W, KEEP_ZEROS>(channels, piece, piece_end, within));
        }
        piece = piece_end;
    }
    acc
}

/// Pixels of a run [`run_sums`] takes at once: eight `u16` of each channel
/// (one 128-bit vector).
const RUN_CHUNK: usize = 8;

/// `RUN_MASKS[n]`: all ones in the first `n` lanes, zero in the rest.
const RUN_MASKS: [[u16; RUN_CHUNK]; RUN_CHUNK + 1] = {
    let mut masks = [[0u16; RUN_CHUNK]; RUN_CHUNK + 1];
    let mut n = 0;
    while n <= RUN_CHUNK {
        let mut k = 0;
        while k < n {
            masks[n][k] = u16::MAX;
            k += 1;
        }
        n += 1;
    }
    masks
};

/// The sums of the four `channels` over pixels `from..to` (row-major
/// indices, at most [`U32_SUM_SPAN`] of them), counted as in
/// [`channel_sums`]. Lane `k` of the accumulators takes pixels
/// `from + k`, `from + k + 8`, ...: whole chunks of [`RUN_CHUNK`] pixels,
/// the last one masked to the run (its pixels past `to` are read, never
/// counted), so a run of up to eight pixels is one vector step per channel.
/// Only the last pixels of the image, with no whole chunk left, go one at a
/// time.
#[inline(always)]
fn run_sums<W: Within, const KEEP_ZEROS: bool>(
    channels: &[&[u16]; CHANNEL_GROUP],
    from: usize,
    to: usize,
    within: &W,
) -> RunSums {
    let mut sums = [[0u32; RUN_CHUNK]; CHANNEL_GROUP];
    // Per lane at most U32_SUM_SPAN / RUN_CHUNK pixels: u16 counters hold them.
    let mut inside = [0u16; RUN_CHUNK];
    let mut zeros = [[0u16; RUN_CHUNK]; CHANNEL_GROUP];
    let readable = channels.iter().map(|c| c.len()).min().unwrap_or(0).saturating_sub(RUN_CHUNK - 1);
    let mut at = from;
    while at < to && at < readable {
        let take = (to - at).min(RUN_CHUNK);
        let run_mask = RUN_MASKS.get(take).copied().unwrap_or_default();
        let counted: [u16; RUN_CHUNK] = if W::EVERY_PIXEL {
            run_mask
        } else {
            core::array::from_fn(|k| if k < take && within.contains(at + k) { u16::MAX } else { 0 })
        };
        for (lane, &counted) in inside.iter_mut().zip(&counted) {
            *lane += counted & 1;
        }
        for ((sums, zeros), channel) in sums.iter_mut().zip(&mut zeros).zip(channels) {
            let values: [u16; RUN_CHUNK] =
                channel.get(at..at + RUN_CHUNK).and_then(|v| v.try_into().ok()).unwrap_or_default();
            for k in 0..RUN_CHUNK {
                sums[k] += u32::from(values[k] & counted[k]);
                if !KEEP_ZEROS {
                    zeros[k] += u16::from(values[k] == 0) & counted[k];
                }
            }
        }
        at += take;
    }
    let (mut tail_inside, mut tail_zeros) = (0u32, [0u32; CHANNEL_GROUP]);
    for pixel in at..to {
        let counted = within.contains(pixel);
        tail_inside += u32::from(counted);
        for ((sums, zeros), channel) in sums.iter_mut().zip(&mut tail_zeros).zip(channels) {
            let value = channel.get(pixel).copied().unwrap_or(0);
            sums[0] += if counted { u32::from(value) } else { 0 };
            *zeros += u32::from(counted & (value == 0));
        }
    }
    let inside = if W::EVERY_PIXEL {
        (to - from) as u32
    } else {
        inside.iter().map(|&n| u32::from(n)).sum::<u32>() + tail_inside
    };
    let mut zero_counts = [0u32; CHANNEL_GROUP];
    if !KEEP_ZEROS {
        for ((count, lanes), tail) in zero_counts.iter_mut().zip(&zeros).zip(tail_zeros) {
            *count = lanes.iter().map(|&n| u32::from(n)).sum::<u32>() + tail;
        }
    }
    RunSums { sums: lane_totals(&sums).map(u64::from), inside, zeros: zero_counts }
}

/// The total of each channel's lanes, all four channels at once: the two
/// halves added, then a 4 × 4 transpose whose rows are added (the shape of
/// SIMD shuffles), instead of four separate reductions.
#[inline(always)]
fn lane_totals(lanes: &[[u32; RUN_CHUNK]; CHANNEL_GROUP]) -> [u32; CHANNEL_GROUP] {
    let halves: [[u32; 4]; CHANNEL_GROUP] = lanes.map(|l| core::array::from_fn(|k| l[k] + l[k + 4]));
    let column = |k: usize| -> [u32; CHANNEL_GROUP] { core::array::from_fn(|c| halves[c][k]) };
    let (a, b, c, d) = (column(0), column(1), column(2), column(3));
    core::array::from_fn(|k| (a[k] + b[k]) + (c[k] + d[k]))
}

/// Where the channel kernels find the cells: the runs of each row's cell
/// pixels (label ≠ 0), from a label image or a [`LabelRuns`].
trait CellRuns {
    /// `(width, height)`.
    fn shape(&self) -> (usize, usize);
    /// Calls `each(start, end, cell)` for the runs of cells of `row`, left
    /// to right, each at most [`U32_SUM_SPAN`] pixels long (longer runs
    /// come in pieces), with `cell` in `1..=n_cells`; fails on a label
    /// beyond `n_cells`.
    fn cell_runs(
        &self,
        row: usize,
        n_cells: usize,
        each: impl FnMut(usize, usize, usize),
    ) -> Result<(), Error>;
}

impl<L: Label> CellRuns for Grid<'_, L> {
    fn shape(&self) -> (usize, usize) {
        (self.width(), self.height())
    }

    #[inline(always)]
    fn cell_runs(
        &self,
        row: usize,
        n_cells: usize,
        mut each: impl FnMut(usize, usize, usize),
    ) -> Result<(), Error> {
        let label_row = self.row(row);
        let background = L::default();
        let mut start = 0;
        while let Some(&current) = label_row.get(start) {
            if current == background {
                start = run_end(label_row, start, current);
                continue;
            }
            let cell = label_index(current, n_cells)?;
            let end = run_end(
                label_row.get(..start.saturating_add(U32_SUM_SPAN)).unwrap_or(label_row),
                start,
                current,
            );
            each(start, end, cell);
            start = end;
        }
        Ok(())
    }
}

impl CellRuns for LabelRuns<'_> {
    fn shape(&self) -> (usize, usize) {
        (self.width(), self.height())
    }

    #[inline(always)]
    fn cell_runs(
        &self,
        row: usize,
        n_cells: usize,
        mut each: impl FnMut(usize, usize, usize),
    ) -> Result<(), Error> {
        for (start, end, label) in self.row(row) {
            if label > n_cells {
                return Err(Error::LabelOutOfRange { label, max: n_cells });
            }
            let mut piece = start;
            while piece < end {
                let piece_end = end.min(piece.saturating_add(U32_SUM_SPAN));
                each(piece, piece_end, label);
                piece = piece_end;
            }
        }
        Ok(())
    }
}

/// Most `u16` values whose sum `u32` always holds (`65537 · 65535 < 2³²`;
/// a power of two for even chunks).
const U32_SUM_SPAN: usize = 1 << 16;

/// Sums of four channels over some pixels (exact), the number of those
/// pixels inside the `within` filter, and each channel's zeros among them
/// (only counted when zeros are skipped).
#[derive(Default, Clone, Copy)]
struct RunSums {
    sums: [u64; CHANNEL_GROUP],
    inside: u32,
    zeros: [u32; CHANNEL_GROUP],
}

impl RunSums {
    /// Counted pixels per channel.
    #[inline(always)]
    fn counts(&self) -> [u32; CHANNEL_GROUP] {
        self.zeros.map(|z| self.inside.wrapping_sub(z))
    }

    #[inline(always)]
    fn add(&mut self, other: &RunSums) {
        for k in 0..CHANNEL_GROUP {
            self.sums[k] = self.sums[k].wrapping_add(other.sums[k]);
            self.zeros[k] = self.zeros[k].wrapping_add(other.zeros[k]);
        }
        self.inside = self.inside.wrapping_add(other.inside);
    }

    /// The pixels of `self` that are not in `part` (a subset of them).
    #[inline(always)]
    fn minus(&self, part: &RunSums) -> RunSums {
        RunSums {
            sums: core::array::from_fn(|k| self.sums[k].wrapping_sub(part.sums[k])),
            inside: self.inside.wrapping_sub(part.inside),
            zeros: core::array::from_fn(|k| self.zeros[k].wrapping_sub(part.zeros[k])),
        }
    }
}

/// The end (exclusive) of the run of `current` labels that starts at
/// `start` in `row`, eight labels at a time.
#[inline(always)]
fn run_end<L: Label>(row: &[L], start: usize, current: L) -> usize {
    let mut end = start + 1;
    while let Some(chunk) = row.get(end..).and_then(<[L]>::first_chunk::<LANES>) {
        let differs = chunk.iter().enumerate().fold(0u32, |m, (k, &l)| m | (u32::from(l != current) << k));
        if differs != 0 {
            return end + differs.trailing_zeros() as usize;
        }
        end += LANES;
    }
    while row.get(end).is_some_and(|&l| l == current) {
        end += 1;
    }
    end
}

/// Adds one layer of per-cell values into a running per-cell total, skipping
/// NaN terms: the "sum of several genes" map (each gene's per-cell statistic,
/// layers summed).
///
/// Start with `total` filled with NaN and call once per layer. A NaN in
/// `values` leaves the total unchanged; a number replaces a NaN total or is
/// added to it. So after all layers, `total[c]` is the sum of cell `c`'s
/// non-NaN terms, and NaN only where every term was NaN (no layer had a
/// value for that cell). Errors ([`Error::ShapeMismatch`]) if the lengths
/// differ, before writing anything: `total` is then untouched.
///
/// ```
/// use cellmap_core::stats::add_skipping_nan;
/// let nan = f64::NAN;
/// // cells:        1     2    3    4
/// let gene_a = [ 1.0, nan, 2.0, nan];
/// let gene_b = [10.0, 5.0, nan, nan];
/// let mut total = [nan; 4];
/// add_skipping_nan(&mut total, &gene_a)?;
/// add_skipping_nan(&mut total, &gene_b)?;
/// assert_eq!(total[..3], [11.0, 5.0, 2.0]);
/// assert!(total[3].is_nan()); // no gene has a value for cell 4
/// assert!(add_skipping_nan(&mut total, &gene_a[..2]).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn add_skipping_nan(total: &mut [f64], values: &[f64]) -> Result<(), Error> {
    if values.len() != total.len() {
        return Err(Error::ShapeMismatch { expected: total.len(), got: values.len() });
    }
    for (t, &v) in total.iter_mut().zip(values) {
        if v.is_nan() {
            continue;
        }
        *t = if t.is_nan() { v } else { *t + v };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// Labels from an ASCII picture: digits are labels, `.` is 0.
    fn picture(rows: &[&str]) -> (usize, usize, Vec<u32>) {
        let width = rows.first().map_or(0, |r| r.len());
        let labels = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| if b == b'.' { 0 } else { u32::from(b - b'0') }))
            .collect();
        (width, rows.len(), labels)
    }

    /// Brute force: every pixel on its own, straight from the definition.
    fn brute(labels: &[u32], values: &[f32], mask: Option<&[u8]>, n: usize, zeros: Zeros) -> Vec<CellStats> {
        let mut out = vec![CellStats::EMPTY; n + 1];
        for (i, (&l, &v)) in labels.iter().zip(values).enumerate() {
            let inside = mask.is_none_or(|m| m[i] != 0);
            let ok = !v.is_nan() && (zeros == Zeros::Keep || v != 0.0);
            if inside && ok {
                out[l as usize].push(f64::from(v));
            }
        }
        out
    }

    #[test]
    fn picture_cells_with_negative_zero_nan_and_empty_cell() {
        let (w, h, labels) = picture(&["11.22", "1.332", "..33."]);
        #[rustfmt::skip]
        let values = [
            -1.0f32, 3.0, 5.0, -0.0, 0.0,
            f32::NAN, 9.0, 2.0, 2.0, f32::NAN,
            8.0, 8.0, 4.0, 0.0, 1.0,
        ];
        let labels = Grid::new(w, h, &labels).unwrap();
        let values_grid = Grid::new(w, h, &values).unwrap();
        let mut out = [CellStats::EMPTY; 4];
        cell_stats(labels, values_grid, 3, Options::new(), &mut out).unwrap();
        assert_eq!((out[1].count(), out[1].sum(), out[1].min(), out[1].max()), (2, 2.0, -1.0, 3.0));
        assert_eq!(out[2].count(), 0, "cell 2 has only -0.0, 0.0 and NaN");
        assert!(out[2].mean().is_nan() && out[2].min().is_nan() && out[2].max().is_nan());
        assert_eq!(out[2].sum(), 0.0);
        assert_eq!((out[3].count(), out[3].mean()), (3, 8.0 / 3.0));
        cell_stats(labels, values_grid, 3, Options::new().keep_zeros(), &mut out).unwrap();
        assert_eq!((out[2].count(), out[2].mean(), out[2].min()), (2, 0.0, 0.0));
        assert_eq!((out[3].count(), out[3].min()), (4, 0.0));
    }

    #[test]
    fn within_mask_restricts_pixels() {
        let (w, h, labels) = picture(&["111", "111"]);
        let values = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let unfilled = [1u8, 1, 1, 1, 0, 1]; // the hole at (1, 1) was filled
        let labels = Grid::new(w, h, &labels).unwrap();
        let values = Grid::new(w, h, &values).unwrap();
        let mut out = [CellStats::EMPTY; 2];
        let opts = Options::new().within(Grid::new(w, h, &unfilled).unwrap());
        cell_stats(labels, values, 1, opts, &mut out).unwrap();
        assert_eq!((out[1].count(), out[1].sum()), (5, 16.0));
    }

    #[test]
    fn errors_carry_numbers_and_reset_outputs() {
        let labels = Grid::new(2, 1, &[1i32, -4]).unwrap();
        let values = Grid::new(2, 1, &[1.0f32, 1.0]).unwrap();
        let mut out = [CellStats::EMPTY; 2];
        assert_eq!(
            cell_stats(labels, values, 1, Options::new(), &mut out),
            Err(Error::LabelOutOfRange { label: usize::MAX, max: 1 })
        );
        assert_eq!(out, [CellStats::EMPTY; 2]);
        let labels = Grid::new(2, 1, &[1i32, 5]).unwrap();
        let (mut counts, mut means) = ([7u32; 2], [0.0; 2]);
        assert_eq!(
            cell_means(labels, values, 4, Options::new(), &mut counts, &mut means),
            Err(Error::BufferTooSmall { buffer: "counts", needed: 5, got: 2 })
        );
        assert_eq!(counts, [7, 7], "untouched on a size error");
        assert_eq!(
            cell_means(labels, values, 1, Options::new(), &mut counts, &mut means),
            Err(Error::LabelOutOfRange { label: 5, max: 1 })
        );
        let other = Grid::new(1, 2, &[1.0f32, 1.0]).unwrap();
        assert_eq!(
            cell_stats(labels, other, 5, Options::new(), &mut out),
            Err(Error::ShapeMismatch { expected: 2, got: 2 })
        );
        let mask = Grid::new(1, 1, &[1u8]).unwrap();
        assert_eq!(
            cell_stats(labels, values, 5, Options::new().within(mask), &mut [CellStats::EMPTY; 6]),
            Err(Error::ShapeMismatch { expected: 2, got: 1 })
        );
        assert!(matches!(
            cell_stats(labels, values, usize::MAX, Options::new(), &mut out),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn empty_images() {
        for (w, h) in [(0, 0), (0, 5), (5, 0)] {
            let labels = Grid::<u8>::new(w, h, &[]).unwrap();
            let values = Grid::<f32>::new(w, h, &[]).unwrap();
            let mut out = [CellStats::EMPTY; 3];
            cell_stats(labels, values, 2, Options::new(), &mut out).unwrap();
            assert_eq!(out, [CellStats::EMPTY; 3]);
        }
    }

    #[test]
    fn variance_matches_two_pass() {
        let mut s = CellStats::EMPTY;
        let xs = [1.5, -2.0, 7.25, 3.0, 3.0];
        xs.iter().for_each(|&x| s.push(x));
        let mean = xs.iter().sum::<f64>() / 5.0;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 5.0;
        assert!((s.variance() - var).abs() < 1e-12 * var);
    }

    proptest::proptest! {
        #[test]
        fn matches_brute_force(
            w in 0usize..9, h in 0usize..9, n in 0usize..5, seed in proptest::collection::vec(0u32..1000, 81),
            keep in proptest::bool::ANY, use_mask in proptest::bool::ANY,
        ) {
            let len = w * h;
            let labels: Vec<u32> = seed[..len].iter().map(|s| s % (n as u32 + 1)).collect();
            let values: Vec<f32> = seed[..len].iter().map(|s| match s % 7 {
                0 => 0.0, 1 => f32::NAN, 2 => -0.0, k => (*s as f32 - 500.0) / (k as f32),
            }).collect();
            let mask: Vec<u8> = seed[..len].iter().map(|s| (s / 7 % 2) as u8).collect();
            let zeros = if keep { Zeros::Keep } else { Zeros::Skip };
            let expected = brute(&labels, &values, use_mask.then_some(&mask[..]), n, zeros);
            let lg = Grid::new(w, h, &labels).unwrap();
            let vg = Grid::new(w, h, &values).unwrap();
            let mg = Grid::new(w, h, &mask).unwrap();
            let mut out = vec![CellStats::EMPTY; n + 1];
            let (mut counts, mut means) = (vec![0u32; n + 1], vec![0f64; n + 1]);
            let opts = Options { zeros, within: AllPixels };
            if use_mask {
                cell_stats(lg, vg, n, opts.within(mg), &mut out).unwrap();
                cell_means(lg, vg, n, opts.within(mg), &mut counts, &mut means).unwrap();
            } else {
                cell_stats(lg, vg, n, opts, &mut out).unwrap();
                cell_means(lg, vg, n, opts, &mut counts, &mut means).unwrap();
            }
            for c in 0..=n {
                let (e, g) = (&expected[c], &out[c]);
                proptest::prop_assert_eq!(e.count(), g.count());
                proptest::prop_assert_eq!(u64::from(counts[c]), e.count());
                let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * a.abs().max(1.0);
                proptest::prop_assert!(close(e.mean(), g.mean()) && close(e.mean(), means[c]));
                proptest::prop_assert!(close(e.sum(), g.sum()));
                proptest::prop_assert!(close(e.min(), g.min()) && close(e.max(), g.max()));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn channel_means_equal_cell_means_of_each_widened_channel(
            w in 0usize..21, h in 0usize..6, n in 0usize..5, n_channels in 0usize..7,
            seed in proptest::collection::vec(0u32..100_000, 21 * 6),
            keep in proptest::bool::ANY, use_mask in proptest::bool::ANY,
        ) {
            let len = w * h;
            // Long runs (labels change every few pixels) and zeros in every channel.
            let labels: Vec<i32> = seed[..len].iter().map(|s| (s / 7 % (n as u32 + 1)) as i32).collect();
            let labels: Vec<i32> = labels.iter().enumerate().map(|(i, &l)| if i % 5 == 0 { l } else { labels[i - i % 5] }).collect();
            let channels: Vec<Vec<u16>> = (0..n_channels)
                .map(|c| seed[..len].iter().map(|s| if (s + c as u32) % 3 == 0 { 0 } else { (s * (c as u32 + 1) % 65536) as u16 }).collect())
                .collect();
            let views: Vec<&[u16]> = channels.iter().map(|c| &c[..]).collect();
            let mask: Vec<u8> = seed[..len].iter().map(|s| (s / 3 % 2) as u8).collect();
            let lg = Grid::new(w, h, &labels).unwrap();
            let mg = Grid::new(w, h, &mask).unwrap();
            let zeros = if keep { Zeros::Keep } else { Zeros::Skip };
            let opts = Options { zeros, within: AllPixels };
            let table = cell_gene_table_len(n, n_channels);
            let (mut counts, mut means) = (vec![7u32; table], vec![7f64; table]);
            let (mut sum_counts, mut sums) = (vec![7u32; table], vec![7u64; table]);
            if use_mask {
                channel_means(lg, &views, n, opts.within(mg), &mut counts, &mut means).unwrap();
                channel_sums(lg, &views, n, opts.within(mg), &mut sum_counts, &mut sums).unwrap();
            } else {
                channel_means(lg, &views, n, opts, &mut counts, &mut means).unwrap();
                channel_sums(lg, &views, n, opts, &mut sum_counts, &mut sums).unwrap();
            }
            proptest::prop_assert_eq!(&counts, &sum_counts);
            for (c, channel) in channels.iter().enumerate() {
                let widened: Vec<f32> = channel.iter().map(|&v| f32::from(v)).collect();
                let vg = Grid::new(w, h, &widened).unwrap();
                let (mut one_counts, mut one_means) = (vec![0u32; n + 1], vec![0f64; n + 1]);
                if use_mask {
                    cell_means(lg, vg, n, opts.within(mg), &mut one_counts, &mut one_means).unwrap();
                } else {
                    cell_means(lg, vg, n, opts, &mut one_counts, &mut one_means).unwrap();
                }
                for label in 0..=n {
                    let i = label * n_channels + c;
                    proptest::prop_assert_eq!(counts[i], one_counts[label]);
                    proptest::prop_assert_eq!(means[i].to_bits(), one_means[label].to_bits());
                    let sum: u64 = (0..len)
                        .filter(|&p| labels[p] as usize == label && (!use_mask || mask[p] != 0) && (keep || channel[p] != 0))
                        .map(|p| u64::from(channel[p]))
                        .sum();
                    proptest::prop_assert_eq!(sums[i], sum);
                }
            }
        }
    }

    proptest::proptest! {
        /// Rows wider than the eight-pixel chunks of the run sums: runs of
        /// 1 to 40 pixels that start and end anywhere in a chunk, the last
        /// ones at the very end of the image (no whole chunk left there),
        /// several channel groups, against a per-pixel count.
        #[test]
        fn channel_sums_of_long_runs_match_a_pixel_by_pixel_count(
            w in 1usize..140, h in 1usize..5, n in 1usize..6, n_channels in 1usize..7,
            lengths in proptest::collection::vec((1usize..40, 0u32..6), 1..100),
            values in proptest::collection::vec(proptest::prop_oneof![proptest::strategy::Just(0u16), proptest::strategy::Just(u16::MAX), proptest::arbitrary::any::<u16>()], 140 * 4 * 6),
            mask_seed in proptest::collection::vec(proptest::bool::ANY, 140 * 4),
            keep in proptest::bool::ANY, use_mask in proptest::bool::ANY,
        ) {
            let len = w * h;
            let labels: Vec<u32> = lengths
                .iter()
                .flat_map(|&(run, label)| core::iter::repeat_n(label.min(n as u32), run))
                .cycle()
                .take(len)
                .collect();
            let channels: Vec<&[u16]> = values.chunks(140 * 4).take(n_channels).map(|c| &c[..len]).collect();
            let mask: Vec<u8> = mask_seed[..len].iter().map(|&m| u8::from(m)).collect();
            let lg = Grid::new(w, h, &labels).unwrap();
            let zeros = if keep { Zeros::Keep } else { Zeros::Skip };
            let opts = Options { zeros, within: AllPixels };
            let table = cell_gene_table_len(n, n_channels);
            let (mut counts, mut sums) = (vec![7u32; table], vec![7u64; table]);
            let (mut mean_counts, mut means) = (vec![7u32; table], vec![7f64; table]);
            if use_mask {
                let mg = Grid::new(w, h, &mask).unwrap();
                channel_sums(lg, &channels, n, opts.within(mg), &mut counts, &mut sums).unwrap();
                channel_means(lg, &channels, n, opts.within(mg), &mut mean_counts, &mut means).unwrap();
            } else {
                channel_sums(lg, &channels, n, opts, &mut counts, &mut sums).unwrap();
                channel_means(lg, &channels, n, opts, &mut mean_counts, &mut means).unwrap();
            }
            let (mut want_counts, mut want_sums) = (vec![0u32; table], vec![0u64; table]);
            for (c, channel) in channels.iter().enumerate() {
                for p in 0..len {
                    if (use_mask && mask[p] == 0) || (!keep && channel[p] == 0) {
                        continue;
                    }
                    let i = labels[p] as usize * n_channels + c;
                    want_counts[i] += 1;
                    want_sums[i] += u64::from(channel[p]);
                }
            }
            proptest::prop_assert_eq!(&counts, &want_counts);
            proptest::prop_assert_eq!(&sums, &want_sums);
            proptest::prop_assert_eq!(&mean_counts, &want_counts);
            for i in 0..table {
                let want = if want_counts[i] == 0 { f64::NAN } else { want_sums[i] as f64 / f64::from(want_counts[i]) };
                proptest::prop_assert_eq!(means[i].to_bits(), want.to_bits());
            }
        }
    }

    #[test]
    fn channel_sums_of_rows_and_runs_beyond_u32() {
        // One row of 140,000 pixels at 65535: its sums pass 2^32 (cell and background).
        let width = 140_000;
        let labels: Vec<u32> = (0..width).map(|i| u32::from(i >= 1000)).collect();
        let channel = vec![u16::MAX; width];
        let labels = Grid::new(width, 1, &labels).unwrap();
        let (mut counts, mut sums) = ([0u32; 2], [0u64; 2]);
        channel_sums(labels, &[&channel], 1, Options::new(), &mut counts, &mut sums).unwrap();
        assert_eq!(counts, [1000, 139_000]);
        assert_eq!(sums, [1000 * 65535, 139_000 * 65535]);
    }

    #[test]
    fn channel_errors_leave_or_reset_the_tables() {
        let labels = Grid::new(3, 1, &[0u16, 1, 2]).unwrap();
        let (a, short) = ([1u16, 2, 3], [1u16, 2]);
        let (mut counts, mut means) = ([9u32; 6], [9f64; 6]);
        assert_eq!(
            channel_means(labels, &[&a, &short], 2, Options::new(), &mut counts, &mut means),
            Err(Error::ShapeMismatch { expected: 3, got: 2 })
        );
        assert_eq!(
            channel_means(labels, &[&a, &a], 2, Options::new(), &mut counts[..5], &mut means),
            Err(Error::BufferTooSmall { buffer: "counts", needed: 6, got: 5 })
        );
        assert_eq!((counts, means), ([9; 6], [9.0; 6]), "untouched");
        assert_eq!(
            channel_means(labels, &[&a, &a], 1, Options::new(), &mut counts, &mut means),
            Err(Error::LabelOutOfRange { label: 2, max: 1 })
        );
        assert_eq!(counts[..4], [0; 4]);
        assert!(means[..4].iter().all(|m| m.is_nan()), "reset");
        let mut sums = [9u64; 6];
        assert!(matches!(
            channel_sums(labels, &[&a, &a], usize::MAX, Options::new(), &mut counts, &mut sums),
            Err(Error::InvalidArgument(_))
        ));
        channel_sums(labels, &[], 2, Options::new(), &mut [], &mut []).unwrap();
    }

    #[test]
    fn add_skipping_nan_is_nan_only_where_every_term_is() {
        let nan = f64::NAN;
        let layers = [[nan, 1.0, nan, -0.5], [nan, nan, 3.0, 0.5], [nan, 2.0, nan, nan]];
        let mut total = [nan; 4];
        for layer in &layers {
            add_skipping_nan(&mut total, layer).unwrap();
        }
        assert!(total[0].is_nan());
        assert_eq!(total[1..], [3.0, 3.0, 0.0]);
    }

    #[test]
    fn add_skipping_nan_rejects_other_lengths_untouched() {
        let mut total = [1.0, 2.0];
        assert_eq!(add_skipping_nan(&mut total, &[5.0]), Err(Error::ShapeMismatch { expected: 2, got: 1 }));
        assert_eq!(total, [1.0, 2.0]);
        add_skipping_nan(&mut [], &[]).unwrap();
    }
}
