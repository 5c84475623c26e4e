//! Per-cell statistics and region properties: `cellmap_cell_stats`,
//! `cellmap_cell_means`, `cellmap_region_props`, `cellmap_table_len`.

use core::ffi::c_void;

use cellmap_core::labeling::LabelRuns;
use cellmap_core::regions::Region;
use cellmap_core::stats::{
    CellStats, Options, Within, channel_means, channel_means_of_runs, channel_sums, channel_sums_of_runs,
};
use cellmap_core::{Error, Grid, MaskValue};

use crate::buffers::{Span, convert_in_place, disjoint, input, output, span};
use crate::segment::{CELLMAP_F32, CellmapDtype, WithMask, mask_span, pixels, with_mask};
use crate::status::{CELLMAP_ERR_INVALID_ARGUMENT, CellmapStatus, Failure, run};

/// Flag of the statistics functions: count pixels whose value is 0 (by
/// default they are skipped, the research scripts' convention). NaN never
/// counts.
pub const CELLMAP_KEEP_ZEROS: u32 = 1;

/// Statistics of one cell's counted pixels (values neither NaN nor, by
/// default, 0), accumulated in `double`. An empty cell has `count` 0,
/// `sum` 0 and NaN `mean`, `min` and `max`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellmapCellStats {
    /// Number of counted pixels.
    pub count: u64,
    /// Sum of the counted values.
    pub sum: f64,
    /// `sum / count` (NaN when `count == 0`).
    pub mean: f64,
    /// Smallest counted value (NaN when `count == 0`).
    pub min: f64,
    /// Largest counted value (NaN when `count == 0`).
    pub max: f64,
}

/// Area, centroid and bounding box of one label. An empty label has
/// `area` 0, NaN centroid and an all-zero bounding box.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellmapRegion {
    /// Number of pixels.
    pub area: u64,
    /// Mean row of the pixels (`scipy.ndimage.center_of_mass`).
    pub centroid_row: f64,
    /// Mean column of the pixels.
    pub centroid_col: f64,
    /// First row (inclusive).
    pub row_start: usize,
    /// Last row + 1 (exclusive), as `scipy.ndimage.find_objects` slices.
    pub row_end: usize,
    /// First column (inclusive).
    pub col_start: usize,
    /// Last column + 1 (exclusive).
    pub col_end: usize,
}

/// Entries of a per-label table for `n_cells` cells: `n_cells + 1`
/// (entry 0 is the background, entry `c` cell `c`); `SIZE_MAX` when that
/// overflows. Every per-cell output (`CellmapCellStats`, means, counts,
/// `CellmapRegion`, colours) is such a table. Thread-safe (a pure function).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_table_len(n_cells: usize) -> usize {
    cellmap_core::stats::table_len(n_cells)
}

/// Parses the statistics flags.
fn options(flags: u32) -> Result<Options, Failure> {
    match flags {
        0 => Ok(Options::new()),
        CELLMAP_KEEP_ZEROS => Ok(Options::new().keep_zeros()),
        _ => Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT)),
    }
}

/// A per-cell kernel over labels and values, with any pixel filter.
trait StatsJob {
    fn run<W: Within>(
        self,
        labels: Grid<'_, i32>,
        values: Grid<'_, f32>,
        options: Options<W>,
    ) -> Result<(), Error>;
}

/// Runs `job` with `within` (a mask of `within_type`, or every pixel when
/// `within` is null).
///
/// # Safety
///
/// The caller's contract for every pointer (as in [`cellmap_cell_stats`]).
#[allow(clippy::too_many_arguments)]
unsafe fn stats_entry(
    labels: *const i32,
    width: usize,
    height: usize,
    values: *const c_void,
    values_type: CellmapDtype,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    job: impl StatsJob,
) -> Result<(), Failure> {
    let n = pixels(width, height)?;
    if values_type != CELLMAP_F32 {
        return Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT));
    }
    let options = options(flags)?;
    // SAFETY: the caller's contract.
    let (labels, values) = unsafe { (input(labels, n)?, input(values.cast::<f32>(), n)?) };
    let (labels, values) = (Grid::new(width, height, labels)?, Grid::new(width, height, values)?);
    if within.is_null() {
        return Ok(job.run(labels, values, options)?);
    }
    struct Masked<'a, J> {
        labels: Grid<'a, i32>,
        values: Grid<'a, f32>,
        options: Options,
        job: J,
    }
    impl<J: StatsJob> WithMask for Masked<'_, J> {
        fn run<M: MaskValue>(self, mask: Grid<'_, M>) -> Result<(), Failure> {
            Ok(self.job.run(self.labels, self.values, self.options.within(mask))?)
        }
    }
    // SAFETY: the caller's contract for `within`.
    unsafe { with_mask(within, within_type, width, height, Masked { labels, values, options, job }) }
}

/// Per-cell count, sum, mean, min and max of a dense value image over the
/// cells of a label image, one pass (as `cellmap_core::stats::cell_stats`).
///
/// * `labels`: `width * height` labels in `0..=n_cells`;
/// * `values`: `width * height` values of type `values_type` (`CELLMAP_F32`);
///   NaN never counts, 0 counts only with [`CELLMAP_KEEP_ZEROS`] in `flags`;
/// * `within`: optional (null = every pixel) mask of type `within_type`
///   restricting the statistics to its foreground, e.g. the unfilled mask;
/// * `out`: `out_len >=` [`cellmap_table_len`]`(n_cells)` entries; `out[c]`
///   is label `c` (`out[0]` the background).
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_SHAPE_MISMATCH`, `_DIMENSIONS_TOO_LARGE`,
/// `_INVALID_ARGUMENT` (unknown type or flag) leave `out` untouched;
/// `_LABEL_OUT_OF_RANGE` **resets** `out[0..=n_cells]` to empty cells.
///
/// Reentrant: no global state; concurrent calls need their own `out`.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_cell_stats(
    labels: *const i32,
    width: usize,
    height: usize,
    n_cells: usize,
    values: *const c_void,
    values_type: CellmapDtype,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    out: *mut CellmapCellStats,
    out_len: usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            span(labels, n, false)?,
            mask_span(values, values_type, n)?,
            if within.is_null() { crate::buffers::Span::NONE } else { mask_span(within, within_type, n)? },
            span(out.cast_const(), out_len, true)?,
        ])?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let out = unsafe { output(out.cast::<CellStats>(), out_len)? };
        struct Job<'a> {
            n_cells: usize,
            out: &'a mut [CellStats],
        }
        impl StatsJob for Job<'_> {
            fn run<W: Within>(
                self,
                labels: Grid<'_, i32>,
                values: Grid<'_, f32>,
                opts: Options<W>,
            ) -> Result<(), Error> {
                let result = cellmap_core::stats::cell_stats(labels, values, self.n_cells, opts, self.out);
                if matches!(result, Ok(()) | Err(Error::LabelOutOfRange { .. })) {
                    let written = self.out.get_mut(..self.n_cells.saturating_add(1)).unwrap_or_default();
                    convert_in_place(written, |s: CellStats| CellmapCellStats {
                        count: s.count(),
                        sum: s.sum(),
                        mean: s.mean(),
                        min: s.min(),
                        max: s.max(),
                    });
                }
                result
            }
        }
        // SAFETY: the caller's contract.
        unsafe {
            stats_entry(
                labels,
                width,
                height,
                values,
                values_type,
                within,
                within_type,
                flags,
                Job { n_cells, out },
            )
        }
    })
}

/// Per-cell mean and count only: the fast path for a gene map or a camera
/// channel (one add per counted pixel). Same arguments and semantics as
/// [`cellmap_cell_stats`]; `means[c]` is NaN for a cell without counted
/// pixels. `counts` and `means` need [`cellmap_table_len`]`(n_cells)`
/// entries each.
///
/// Errors as [`cellmap_cell_stats`]; on `CELLMAP_ERR_LABEL_OUT_OF_RANGE`
/// both outputs are reset (counts 0, means NaN).
///
/// Reentrant: no global state; concurrent calls need their own outputs.
///
/// # Safety
///
/// As [`cellmap_cell_stats`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_cell_means(
    labels: *const i32,
    width: usize,
    height: usize,
    n_cells: usize,
    values: *const c_void,
    values_type: CellmapDtype,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    counts: *mut u32,
    counts_len: usize,
    means: *mut f64,
    means_len: usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            span(labels, n, false)?,
            mask_span(values, values_type, n)?,
            if within.is_null() { crate::buffers::Span::NONE } else { mask_span(within, within_type, n)? },
            span(counts.cast_const(), counts_len, true)?,
            span(means.cast_const(), means_len, true)?,
        ])?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let (counts, means) = unsafe { (output(counts, counts_len)?, output(means, means_len)?) };
        struct Job<'a> {
            n_cells: usize,
            counts: &'a mut [u32],
            means: &'a mut [f64],
        }
        impl StatsJob for Job<'_> {
            fn run<W: Within>(
                self,
                labels: Grid<'_, i32>,
                values: Grid<'_, f32>,
                opts: Options<W>,
            ) -> Result<(), Error> {
                cellmap_core::stats::cell_means(labels, values, self.n_cells, opts, self.counts, self.means)
            }
        }
        // SAFETY: the caller's contract.
        unsafe {
            stats_entry(
                labels,
                width,
                height,
                values,
                values_type,
                within,
                within_type,
                flags,
                Job { n_cells, counts, means },
            )
        }
    })
}

/// Area, centroid and bounding box of every label `0..=n_cells` of a label
/// image, one pass (`out[0]` is the background). Centroids equal
/// `scipy.ndimage.center_of_mass`, bounding boxes `find_objects`.
///
/// * `labels`: `width * height` labels in `0..=n_cells`;
/// * `out`: `out_len >=` [`cellmap_table_len`]`(n_cells)` entries.
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_DIMENSIONS_TOO_LARGE`, `_INVALID_ARGUMENT` leave
/// `out` untouched; `_LABEL_OUT_OF_RANGE` **resets** `out[0..=n_cells]` to
/// empty regions.
///
/// Reentrant: no global state; concurrent calls need their own `out`.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_region_props(
    labels: *const i32,
    width: usize,
    height: usize,
    n_cells: usize,
    out: *mut CellmapRegion,
    out_len: usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[span(labels, n, false)?, span(out.cast_const(), out_len, true)?])?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let (labels, out) = unsafe { (input(labels, n)?, output(out.cast::<Region>(), out_len)?) };
        let result = cellmap_core::regions::region_props(Grid::new(width, height, labels)?, n_cells, out);
        if matches!(result, Ok(()) | Err(Error::LabelOutOfRange { .. })) {
            let written = out.get_mut(..n_cells.saturating_add(1)).unwrap_or_default();
            convert_in_place(written, |r: Region| {
                let (centroid_row, centroid_col) = r.centroid();
                let (row_start, row_end, col_start, col_end) = r
                    .bounding_box()
                    .map_or((0, 0, 0, 0), |b| (b.row_start, b.row_end, b.col_start, b.col_end));
                CellmapRegion {
                    area: r.area(),
                    centroid_row,
                    centroid_col,
                    row_start,
                    row_end,
                    col_start,
                    col_end,
                }
            });
        }
        Ok(result?)
    })
}

/// Most channels one call of [`cellmap_channel_means`] /
/// [`cellmap_channel_sums`] takes (`CELLMAP_ERR_INVALID_ARGUMENT` beyond):
/// the channel slices live on the stack, nothing is allocated.
pub const CELLMAP_MAX_CHANNELS: usize = 16;

/// Entries of a per-label × channel table for `n_cells` cells and
/// `n_channels` channels: `(n_cells + 1) * n_channels`, entry
/// `label * n_channels + channel` (row 0 is the background); `SIZE_MAX`
/// when that overflows. Thread-safe (a pure function).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_channel_table_len(n_cells: usize, n_channels: usize) -> usize {
    cellmap_core::stats::cell_gene_table_len(n_cells, n_channels)
}

/// A per-cell kernel over several `u16` channels, with any pixel filter.
trait ChannelJob {
    fn run<W: Within>(self, cells: Cells<'_>, channels: &[&[u16]], options: Options<W>) -> Result<(), Error>;
}

/// Where a channel function finds the cells (the caller's pointers).
#[derive(Clone, Copy)]
enum CellSource {
    /// A `width * height` label image with labels `0..=n_cells`.
    Image { labels: *const i32, n_cells: usize },
    /// The runs that labelling left in its scratch, with `n_cells` labels.
    Runs { scratch: *const u32, scratch_len: usize, n_cells: usize },
}

/// The cells, borrowed and checked.
#[derive(Clone, Copy)]
enum Cells<'a> {
    Image(Grid<'a, i32>, usize),
    Runs(LabelRuns<'a>),
}

/// Checks the arguments shared by the channel functions (`outputs`: the
/// spans of the written tables) and runs `job`.
///
/// # Safety
///
/// The caller's contract for every pointer (as in [`cellmap_channel_means`]).
#[allow(clippy::too_many_arguments)]
unsafe fn channel_entry<J: ChannelJob>(
    source: CellSource,
    width: usize,
    height: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    outputs: [Span; 2],
    job: impl FnOnce() -> Result<J, Failure>,
) -> Result<(), Failure> {
    let n = pixels(width, height)?;
    if n_channels > CELLMAP_MAX_CHANNELS {
        return Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT));
    }
    let options = options(flags)?;
    let pointers_span_value = span(channels, n_channels, false)?;
    disjoint(&[pointers_span_value, outputs[0], outputs[1]])?;
    // SAFETY: the caller's contract for the array of channel pointers,
    // which no output overlaps (checked above).
    let pointers = unsafe { input(channels, n_channels)? };
    let mut spans = [Span::NONE; CELLMAP_MAX_CHANNELS + 5];
    let [labels_span, within_span, pointers_span, out_a, out_b, channel_spans @ ..] = &mut spans;
    *labels_span = match source {
        CellSource::Image { labels, .. } => span(labels, n, false)?,
        CellSource::Runs { scratch, scratch_len, .. } => span(scratch, scratch_len, false)?,
    };
    *within_span = if within.is_null() { Span::NONE } else { mask_span(within, within_type, n)? };
    *pointers_span = pointers_span_value;
    [*out_a, *out_b] = outputs;
    for (slot, &channel) in channel_spans.iter_mut().zip(pointers) {
        *slot = span(channel, n, false)?;
    }
    disjoint(&spans)?;
    let job = job()?;
    let mut slices: [&[u16]; CELLMAP_MAX_CHANNELS] = [&[]; CELLMAP_MAX_CHANNELS];
    for (slice, &channel) in slices.iter_mut().zip(pointers) {
        // SAFETY: the caller's contract; checked and disjoint from the outputs above.
        *slice = unsafe { input(channel, n)? };
    }
    let channels = slices.get(..n_channels).unwrap_or_default();
    // SAFETY (both arms): the caller's contract; checked and disjoint from the outputs above.
    let labels = match source {
        CellSource::Image { labels, n_cells } => {
            Cells::Image(Grid::new(width, height, unsafe { input(labels, n)? })?, n_cells)
        }
        CellSource::Runs { scratch, scratch_len, n_cells } => {
            Cells::Runs(LabelRuns::from_scratch(width, height, n_cells, unsafe {
                input(scratch, scratch_len)?
            })?)
        }
    };
    if within.is_null() {
        return Ok(job.run(labels, channels, options)?);
    }
    struct Masked<'a, J> {
        labels: Cells<'a>,
        channels: &'a [&'a [u16]],
        options: Options,
        job: J,
    }
    impl<J: ChannelJob> WithMask for Masked<'_, J> {
        fn run<M: MaskValue>(self, mask: Grid<'_, M>) -> Result<(), Failure> {
            Ok(self.job.run(self.labels, self.channels, self.options.within(mask))?)
        }
    }
    // SAFETY: the caller's contract for `within`.
    unsafe { with_mask(within, within_type, width, height, Masked { labels, channels, options, job }) }
}

/// Per-cell count and mean of several `uint16_t` channels (a camera's
/// frames) in one pass over the labels, without widening them to float
/// first (as `cellmap_core::stats::channel_means`). Each mean equals
/// [`cellmap_cell_means`] of that channel converted to `float`, bit for
/// bit.
///
/// * `labels`: `width * height` labels in `0..=n_cells`;
/// * `channels`: `n_channels` (at most [`CELLMAP_MAX_CHANNELS`]) pointers,
///   each to `width * height` `uint16_t` pixels; 0 counts only with
///   [`CELLMAP_KEEP_ZEROS`] in `flags`;
/// * `within`: optional (null = every pixel) mask of type `within_type`
///   restricting every channel to its foreground;
/// * `counts`, `means`: per-label × channel tables of
///   [`cellmap_channel_table_len`]`(n_cells, n_channels)` entries each,
///   entry `label * n_channels + channel`; `means` is NaN where no pixel
///   counts.
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_SHAPE_MISMATCH`, `_DIMENSIONS_TOO_LARGE`,
/// `_INVALID_ARGUMENT` (unknown type or flag, too many channels) leave
/// the outputs untouched; `_LABEL_OUT_OF_RANGE` **resets** them (counts 0,
/// means NaN).
///
/// Reentrant: no global state; concurrent calls need their own outputs.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_channel_means(
    labels: *const i32,
    width: usize,
    height: usize,
    n_cells: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    counts: *mut u32,
    counts_len: usize,
    means: *mut f64,
    means_len: usize,
) -> CellmapStatus {
    let source = CellSource::Image { labels, n_cells };
    let tables = Tables { counts, counts_len, values: means, values_len: means_len };
    // SAFETY: the caller's contract.
    unsafe { means_entry(source, width, height, channels, n_channels, within, within_type, flags, tables) }
}

/// [`cellmap_channel_means`] on the runs that [`crate::cellmap_label`] or
/// [`crate::cellmap_fill_holes_and_label`] left in their `scratch` (pass
/// the same `scratch`, `width`, `height` and the `n_cells` they returned)
/// instead of a label image: the same results, bit for bit, without
/// reading the label image. The scratch is checked first (its runs
/// ordered, inside the image, labelled `1..=n_cells`):
/// `CELLMAP_ERR_INVALID_ARGUMENT` if it changed since, nothing written.
/// Other arguments and errors as [`cellmap_channel_means`].
///
/// # Safety
///
/// As [`cellmap_channel_means`]; `scratch` must be valid for reads of
/// `scratch_len` elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_channel_means_from_runs(
    scratch: *const u32,
    scratch_len: usize,
    width: usize,
    height: usize,
    n_cells: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    counts: *mut u32,
    counts_len: usize,
    means: *mut f64,
    means_len: usize,
) -> CellmapStatus {
    let source = CellSource::Runs { scratch, scratch_len, n_cells };
    let tables = Tables { counts, counts_len, values: means, values_len: means_len };
    // SAFETY: the caller's contract.
    unsafe { means_entry(source, width, height, channels, n_channels, within, within_type, flags, tables) }
}

/// Per-cell count and exact sum of several `uint16_t` channels in one pass
/// (as `cellmap_core::stats::channel_sums`): the integer form of
/// [`cellmap_channel_means`], same arguments, with `sums` (`uint64_t`)
/// instead of `means`; a cell without counted pixels has count 0 and sum
/// 0. On `CELLMAP_ERR_LABEL_OUT_OF_RANGE` both outputs are reset to 0.
///
/// Reentrant: no global state; concurrent calls need their own outputs.
///
/// # Safety
///
/// As [`cellmap_channel_means`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_channel_sums(
    labels: *const i32,
    width: usize,
    height: usize,
    n_cells: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    counts: *mut u32,
    counts_len: usize,
    sums: *mut u64,
    sums_len: usize,
) -> CellmapStatus {
    let source = CellSource::Image { labels, n_cells };
    let tables = Tables { counts, counts_len, values: sums, values_len: sums_len };
    // SAFETY: the caller's contract.
    unsafe { sums_entry(source, width, height, channels, n_channels, within, within_type, flags, tables) }
}

/// [`cellmap_channel_sums`] on the runs left in a labelling `scratch`, as
/// [`cellmap_channel_means_from_runs`].
///
/// # Safety
///
/// As [`cellmap_channel_means_from_runs`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_channel_sums_from_runs(
    scratch: *const u32,
    scratch_len: usize,
    width: usize,
    height: usize,
    n_cells: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    counts: *mut u32,
    counts_len: usize,
    sums: *mut u64,
    sums_len: usize,
) -> CellmapStatus {
    let source = CellSource::Runs { scratch, scratch_len, n_cells };
    let tables = Tables { counts, counts_len, values: sums, values_len: sums_len };
    // SAFETY: the caller's contract.
    unsafe { sums_entry(source, width, height, channels, n_channels, within, within_type, flags, tables) }
}

/// The output tables of a channel function: counts and means or sums.
struct Tables<T> {
    counts: *mut u32,
    counts_len: usize,
    values: *mut T,
    values_len: usize,
}

/// The body of the `cellmap_channel_means*` functions.
///
/// # Safety
///
/// As [`cellmap_channel_means`].
#[allow(clippy::too_many_arguments)]
unsafe fn means_entry(
    source: CellSource,
    width: usize,
    height: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    tables: Tables<f64>,
) -> CellmapStatus {
    run(|| {
        let Tables { counts, counts_len, values: means, values_len: means_len } = tables;
        let outputs =
            [span(counts.cast_const(), counts_len, true)?, span(means.cast_const(), means_len, true)?];
        struct Job<'a> {
            counts: &'a mut [u32],
            means: &'a mut [f64],
        }
        impl ChannelJob for Job<'_> {
            fn run<W: Within>(
                self,
                cells: Cells<'_>,
                channels: &[&[u16]],
                opts: Options<W>,
            ) -> Result<(), Error> {
                match cells {
                    Cells::Image(labels, n_cells) => {
                        channel_means(labels, channels, n_cells, opts, self.counts, self.means)
                    }
                    Cells::Runs(runs) => {
                        channel_means_of_runs(&runs, channels, opts, self.counts, self.means)
                    }
                }
            }
        }
        // SAFETY: the caller's contract; `channel_entry` calls this once
        // every buffer is checked and disjoint.
        let job = || -> Result<Job<'_>, Failure> {
            let counts = unsafe { output(counts, counts_len)? };
            let means = unsafe { output(means, means_len)? };
            Ok(Job { counts, means })
        };
        // SAFETY: the caller's contract.
        unsafe {
            channel_entry(
                source,
                width,
                height,
                channels,
                n_channels,
                within,
                within_type,
                flags,
                outputs,
                job,
            )
        }
    })
}

/// The body of the `cellmap_channel_sums*` functions.
///
/// # Safety
///
/// As [`cellmap_channel_means`].
#[allow(clippy::too_many_arguments)]
unsafe fn sums_entry(
    source: CellSource,
    width: usize,
    height: usize,
    channels: *const *const u16,
    n_channels: usize,
    within: *const c_void,
    within_type: CellmapDtype,
    flags: u32,
    tables: Tables<u64>,
) -> CellmapStatus {
    run(|| {
        let Tables { counts, counts_len, values: sums, values_len: sums_len } = tables;
        let outputs =
            [span(counts.cast_const(), counts_len, true)?, span(sums.cast_const(), sums_len, true)?];
        struct Job<'a> {
            counts: &'a mut [u32],
            sums: &'a mut [u64],
        }
        impl ChannelJob for Job<'_> {
            fn run<W: Within>(
                self,
                cells: Cells<'_>,
                channels: &[&[u16]],
                opts: Options<W>,
            ) -> Result<(), Error> {
                match cells {
                    Cells::Image(labels, n_cells) => {
                        channel_sums(labels, channels, n_cells, opts, self.counts, self.sums)
                    }
                    Cells::Runs(runs) => channel_sums_of_runs(&runs, channels, opts, self.counts, self.sums),
                }
            }
        }
        // SAFETY: as in `means_entry`.
        let job = || -> Result<Job<'_>, Failure> {
            let counts = unsafe { output(counts, counts_len)? };
            let sums = unsafe { output(sums, sums_len)? };
            Ok(Job { counts, sums })
        };
        // SAFETY: the caller's contract.
        unsafe {
            channel_entry(
                source,
                width,
                height,
                channels,
                n_channels,
                within,
                within_type,
                flags,
                outputs,
                job,
            )
        }
    })
}
