//! Gene maps and transcripts: normalise + colour LUT (`cellmap_cell_colors`),
//! painting (`cellmap_paint`), the colormaps (`cellmap_colormap_lut`) and
//! transcript → cell lookup (`cellmap_assign_points`).

use cellmap_core::assign::AssignSummary;
use cellmap_core::color::{Normalization, Range, cell_colors, levels, normalize_scratch_len, value_range};
use cellmap_core::labeling::LabelRuns;
use cellmap_core::{Colormap, Grid};

use crate::buffers::{Span, disjoint, input, optional_out, optional_span, output, span};
use crate::segment::pixels;
use crate::status::{
    CELLMAP_ERR_BUFFER_TOO_SMALL, CELLMAP_ERR_INVALID_ARGUMENT, CellmapStatus, Failure, run,
};

/// Normalisation range: min and max over the cells' finite values.
pub const CELLMAP_RANGE_MIN_MAX: i32 = 0;
/// Normalisation range: fixed `lo..=hi` in data units (finite, `lo <= hi`).
pub const CELLMAP_RANGE_FIXED: i32 = 1;
/// Normalisation range: percentiles `lo..=hi` (0..=100) of the cells'
/// finite values, as `np.percentile` (linear); needs scratch.
pub const CELLMAP_RANGE_PERCENTILE: i32 = 2;

/// matplotlib's viridis (the colormap codes are those of
/// `cellmap_core::Colormap::ALL`).
pub const CELLMAP_COLORMAP_VIRIDIS: i32 = 0;
/// matplotlib's magma.
pub const CELLMAP_COLORMAP_MAGMA: i32 = 1;
/// matplotlib's inferno.
pub const CELLMAP_COLORMAP_INFERNO: i32 = 2;
/// matplotlib's plasma.
pub const CELLMAP_COLORMAP_PLASMA: i32 = 3;
/// matplotlib's cividis.
pub const CELLMAP_COLORMAP_CIVIDIS: i32 = 4;
/// matplotlib's turbo.
pub const CELLMAP_COLORMAP_TURBO: i32 = 5;
/// matplotlib's gray.
pub const CELLMAP_COLORMAP_GRAY: i32 = 6;

/// Flag of [`cellmap_paint`]: cell pixels with a 4-neighbour of another
/// label get the outline colour.
pub const CELLMAP_PAINT_OUTLINE: u32 = 1;

/// [`cellmap_assign_points`]'s cell id of a point outside the image (or
/// with a NaN or infinite coordinate).
pub const CELLMAP_OUT_OF_IMAGE: u32 = 0xFFFF_FFFF;
const _: () = assert!(CELLMAP_OUT_OF_IMAGE == cellmap_core::assign::OUT_OF_IMAGE);

/// How many points [`cellmap_assign_points`] put in cells, on background,
/// and outside the image.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CellmapAssignSummary {
    /// Points on a cell pixel.
    pub in_cells: usize,
    /// Points on a background pixel (cell id 0).
    pub background: usize,
    /// Points outside the image ([`CELLMAP_OUT_OF_IMAGE`]).
    pub out_of_image: usize,
}

fn normalization(range: i32, lo: f64, hi: f64, log1p: i32) -> Result<Normalization, Failure> {
    let range = match range {
        CELLMAP_RANGE_MIN_MAX => Range::MinMax,
        CELLMAP_RANGE_FIXED => Range::Fixed { vmin: lo, vmax: hi },
        CELLMAP_RANGE_PERCENTILE => Range::Percentile { low: lo, high: hi },
        _ => return Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT)),
    };
    Ok(Normalization { range, log1p: log1p != 0 })
}

fn colormap(code: i32) -> Result<Colormap, Failure> {
    usize::try_from(code)
        .ok()
        .and_then(|i| Colormap::ALL.get(i).copied())
        .ok_or(Failure(CELLMAP_ERR_INVALID_ARGUMENT))
}

/// `0xRRGGBBAA` → `[r, g, b, a]`.
fn rgba_bytes(color: u32) -> [u8; 4] {
    color.to_be_bytes()
}

/// `double` scratch elements [`cellmap_cell_colors`] needs for `n_values`
/// per-label values under `range` (a `CELLMAP_RANGE_*` code): `n_values`
/// for a percentile range, else 0. Thread-safe (a pure function).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_normalize_scratch_len(range: i32, n_values: usize) -> usize {
    normalization(range, 0.0, 0.0, 0).map_or(0, |n| normalize_scratch_len(&n, n_values))
}

/// Writes the 256 colours of `colormap` (a `CELLMAP_COLORMAP_*` code) as
/// R, G, B bytes into `rgb` (`rgb_len >= 768`), equal to matplotlib's.
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_BUFFER_TOO_SMALL`,
/// `_INVALID_ARGUMENT` (unknown colormap); `rgb` untouched on error.
/// Reentrant.
///
/// # Safety
///
/// `rgb` must be valid for `rgb_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_colormap_lut(
    colormap_code: i32,
    rgb: *mut u8,
    rgb_len: usize,
) -> CellmapStatus {
    run(|| {
        let lut = colormap(colormap_code)?.lut().as_flattened();
        // SAFETY: the caller's contract.
        let out = unsafe { output(rgb, rgb_len)? };
        out.get_mut(..lut.len()).ok_or(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL))?.copy_from_slice(lut);
        Ok(())
    })
}

/// Per-label colours of a gene map: normalises the cells' `values[1..]` to
/// levels `round(255 · (v − lo) / (hi − lo))` and looks them up in
/// `colormap`; `colors[0]` gets `background_rgba`, NaN cells
/// `no_value_rgba` (colours as `0xRRGGBBAA`). Pass `colors` to
/// [`cellmap_paint`].
///
/// * `values`: `n_values` per-label values (e.g. `n_cells + 1` means; entry 0,
///   the background, is ignored);
/// * `range`, `lo`, `hi`: a `CELLMAP_RANGE_*` code and its bounds (ignored
///   for `CELLMAP_RANGE_MIN_MAX`); `log1p != 0` applies `ln(1 + v)` first;
/// * `scratch`: `scratch_len >=` [`cellmap_normalize_scratch_len`]`(range, n_values)`
///   doubles (may be null when that is 0);
/// * `colors`: `colors_len >= max(n_values, 1)` pixels whose bytes in memory
///   are R, G, B, A;
/// * `range_out`: optional (null or 2 doubles): the `lo, hi` used, in
///   transformed units; `0, 0` when no cell value is finite.
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_INVALID_ARGUMENT` (unknown code, bad bounds);
/// outputs untouched on every error. Reentrant: no global state.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_cell_colors(
    values: *const f64,
    n_values: usize,
    range: i32,
    lo: f64,
    hi: f64,
    log1p: i32,
    colormap_code: i32,
    background_rgba: u32,
    no_value_rgba: u32,
    scratch: *mut f64,
    scratch_len: usize,
    colors: *mut u32,
    colors_len: usize,
    range_out: *mut f64,
) -> CellmapStatus {
    run(|| {
        let range_span =
            if range_out.is_null() { Span::NONE } else { span(range_out.cast_const(), 2, true)? };
        disjoint(&[
            span(values, n_values, false)?,
            span(scratch.cast_const(), scratch_len, true)?,
            span(colors.cast_const(), colors_len, true)?,
            range_span,
        ])?;
        let normalization = normalization(range, lo, hi, log1p)?;
        let colormap = colormap(colormap_code)?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let (values, scratch, colors) =
            unsafe { (input(values, n_values)?, output(scratch, scratch_len)?, output(colors, colors_len)?) };
        let range_out = if range_out.is_null() {
            None
        } else {
            // SAFETY: as above (2 doubles).
            Some(unsafe { output(range_out, 2)? })
        };
        if scratch.len() < normalize_scratch_len(&normalization, values.len()) {
            return Err(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL));
        }
        let (background, cells) = colors.split_first_mut().ok_or(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL))?;
        let cell_values = values.get(1..).unwrap_or_default();
        let cells = cells.get_mut(..cell_values.len()).ok_or(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL))?;
        let used = value_range(cell_values, &normalization, scratch)?;
        let (lo, hi) = used.unwrap_or((0.0, 0.0));
        levels(&[], lo, hi, false, &mut [])?; // checks lo, hi before anything is written
        // The core's levels and colours, a stack chunk at a time (entry 0 of
        // each chunk stands for the background, as in `cell_colors`).
        const CHUNK: usize = 64;
        let (mut chunk_levels, mut chunk_colors) = ([None; CHUNK + 1], [0u32; CHUNK + 1]);
        // Pairs of chunks by hand: `Zip::new` over chunk iterators keeps a
        // division-by-zero check (a panic path) on the chunk size.
        let mut value_chunks = cell_values.chunks(CHUNK);
        for cell_chunk in cells.chunks_mut(CHUNK) {
            let Some(value_chunk) = value_chunks.next() else { break };
            let m = value_chunk.len();
            let (Some(level_slots), Some(color_slots)) =
                (chunk_levels.get_mut(..=m), chunk_colors.get_mut(..=m))
            else {
                continue; // m <= CHUNK: never taken
            };
            levels(value_chunk, lo, hi, normalization.log1p, level_slots.get_mut(1..).unwrap_or_default())?;
            cell_colors(
                level_slots,
                colormap,
                rgba_bytes(background_rgba),
                rgba_bytes(no_value_rgba),
                color_slots,
            )?;
            for (out, &color) in cell_chunk.iter_mut().zip(color_slots.iter().skip(1)) {
                *out = color;
            }
        }
        *background = u32::from_ne_bytes(rgba_bytes(background_rgba));
        if let Some(range_out) = range_out {
            range_out.copy_from_slice(&[lo, hi]);
        }
        Ok(())
    })
}

/// Paints a gene map: `rgba[p] = colors[labels[p]]` for every pixel; with
/// [`CELLMAP_PAINT_OUTLINE`] in `flags`, cell pixels with a 4-neighbour of
/// another label (or background) get `outline_rgba` (`0xRRGGBBAA`).
///
/// * `labels`: `width * height` labels, each `< n_colors`;
/// * `colors`: `n_colors >= 1` pixels (e.g. from [`cellmap_cell_colors`]);
/// * `rgba`: `rgba_len >= width * height` pixels whose bytes in memory are
///   R, G, B, A (only those are written).
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_DIMENSIONS_TOO_LARGE`, `_LABEL_OUT_OF_RANGE`,
/// `_INVALID_ARGUMENT` (unknown flag); `rgba` untouched on every error.
/// Reentrant: no global state.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_paint(
    labels: *const i32,
    width: usize,
    height: usize,
    colors: *const u32,
    n_colors: usize,
    flags: u32,
    outline_rgba: u32,
    rgba: *mut u32,
    rgba_len: usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            span(labels, n, false)?,
            span(colors, n_colors, false)?,
            span(rgba.cast_const(), rgba_len, true)?,
        ])?;
        let outline = match flags {
            0 => None,
            CELLMAP_PAINT_OUTLINE => Some(u32::from_ne_bytes(rgba_bytes(outline_rgba))),
            _ => return Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT)),
        };
        // SAFETY: the caller's contract; checked and disjoint above.
        let (labels, colors, out) =
            unsafe { (input(labels, n)?, input(colors, n_colors)?, output(rgba, rgba_len)?) };
        let out = out.get_mut(..n).ok_or(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL))?;
        Ok(cellmap_core::color::paint(Grid::new(width, height, labels)?, colors, outline, out)?)
    })
}

/// [`cellmap_paint`] without outlines, from the runs that
/// [`crate::cellmap_label`] or [`crate::cellmap_fill_holes_and_label`] left
/// in their `scratch` (pass the same `scratch`, `width`, `height` and the
/// `n_cells` they returned) instead of a label image: the same pixels,
/// written run by run without reading the labels.
///
/// * `colors`: `n_colors >= n_cells + 1` pixels (e.g. from
///   [`cellmap_cell_colors`]);
/// * `rgba`: `rgba_len >= width * height` pixels (only those are written).
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_DIMENSIONS_TOO_LARGE`, `_LABEL_OUT_OF_RANGE`
/// (fewer than `n_cells + 1` colours), `_INVALID_ARGUMENT` (the scratch
/// does not hold such runs, e.g. it changed since); `rgba` untouched on
/// every error. Reentrant: no global state.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_paint_from_runs(
    scratch: *const u32,
    scratch_len: usize,
    width: usize,
    height: usize,
    n_cells: usize,
    colors: *const u32,
    n_colors: usize,
    rgba: *mut u32,
    rgba_len: usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            span(scratch, scratch_len, false)?,
            span(colors, n_colors, false)?,
            span(rgba.cast_const(), rgba_len, true)?,
        ])?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let (scratch, colors, out) =
            unsafe { (input(scratch, scratch_len)?, input(colors, n_colors)?, output(rgba, rgba_len)?) };
        let out = out.get_mut(..n).ok_or(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL))?;
        let runs = LabelRuns::from_scratch(width, height, n_cells, scratch)?;
        Ok(cellmap_core::color::paint_runs(&runs, colors, out)?)
    })
}

/// Transcript → cell lookup: `cells[i] = labels[trunc(ys[i] / scale),
/// trunc(xs[i] / scale)]` (x = column, y = row; `scale` = coordinate units
/// per pixel, 1.0 for pixels), [`CELLMAP_OUT_OF_IMAGE`] for points outside
/// the image, 0 on background. `*summary` (optional, may be null) gets the
/// counts.
///
/// * `labels`: `width * height` labels (negative labels are an error);
/// * `xs`, `ys`: `n_points` coordinates each;
/// * `cells`: `cells_len >= n_points`.
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_DIMENSIONS_TOO_LARGE`, `_INVALID_ARGUMENT`
/// (scale not finite and positive) leave `cells` untouched;
/// `_LABEL_OUT_OF_RANGE` (a negative label under a point) **resets**
/// `cells[0..n_points]` to `CELLMAP_OUT_OF_IMAGE`. Reentrant.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_assign_points(
    labels: *const i32,
    width: usize,
    height: usize,
    xs: *const f64,
    ys: *const f64,
    n_points: usize,
    scale: f64,
    cells: *mut u32,
    cells_len: usize,
    summary: *mut CellmapAssignSummary,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            span(labels, n, false)?,
            span(xs, n_points, false)?,
            span(ys, n_points, false)?,
            span(cells.cast_const(), cells_len, true)?,
            optional_span(summary)?,
        ])?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let (labels, xs, ys, cells, summary) = unsafe {
            (
                input(labels, n)?,
                input(xs, n_points)?,
                input(ys, n_points)?,
                output(cells, cells_len)?,
                optional_out(summary)?,
            )
        };
        let AssignSummary { in_cells, background, out_of_image } =
            cellmap_core::assign::assign_points(Grid::new(width, height, labels)?, xs, ys, scale, cells)?;
        if let Some(summary) = summary {
            *summary = CellmapAssignSummary { in_cells, background, out_of_image };
        }
        Ok(())
    })
}
