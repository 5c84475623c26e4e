//! Hole filling and labeling: `cellmap_fill_holes`, `cellmap_label`,
//! `cellmap_fill_holes_and_label`, and their scratch sizes.

use core::ffi::c_void;

use cellmap_core::grid::pixel_count;
use cellmap_core::{Connectivity, Grid, MaskValue};

use crate::buffers::{Span, disjoint, input, optional_out, optional_span, output, span};
use crate::status::{
    CELLMAP_ERR_BUFFER_TOO_SMALL, CELLMAP_ERR_DIMENSIONS_TOO_LARGE, CELLMAP_ERR_INVALID_ARGUMENT,
    CellmapStatus, Failure, run,
};

/// The element type of a mask (or value) image: one of the `CELLMAP_U8`,
/// `CELLMAP_U16`, `CELLMAP_U32`, `CELLMAP_I32`, `CELLMAP_F32` codes.
pub type CellmapDtype = i32;

/// `uint8_t` elements (masks: nonzero = foreground, e.g. 0/255 or 0/1).
pub const CELLMAP_U8: CellmapDtype = 1;
/// `uint16_t` elements (e.g. a camera's mask or label frame).
pub const CELLMAP_U16: CellmapDtype = 2;
/// `uint32_t` elements.
pub const CELLMAP_U32: CellmapDtype = 3;
/// `int32_t` elements (e.g. an existing label image used as a mask).
pub const CELLMAP_I32: CellmapDtype = 4;
/// `float` elements (masks: nonzero and NaN = foreground, `-0.0` = background).
pub const CELLMAP_F32: CellmapDtype = 5;

/// 4-connectivity (edge neighbours): `scipy.ndimage.label`'s default.
pub const CELLMAP_CONNECTIVITY_4: i32 = 4;
/// 8-connectivity (edge and corner neighbours): `structure=np.ones((3, 3))`.
pub const CELLMAP_CONNECTIVITY_8: i32 = 8;

/// `width * height`, or [`CELLMAP_ERR_DIMENSIONS_TOO_LARGE`].
pub(crate) fn pixels(width: usize, height: usize) -> Result<usize, Failure> {
    pixel_count(width, height).map_err(|_| Failure(CELLMAP_ERR_DIMENSIONS_TOO_LARGE))
}

/// The span of a typed mask buffer of `len` elements.
pub(crate) fn mask_span(mask: *const c_void, dtype: CellmapDtype, len: usize) -> Result<Span, Failure> {
    match dtype {
        CELLMAP_U8 => span(mask.cast::<u8>(), len, false),
        CELLMAP_U16 => span(mask.cast::<u16>(), len, false),
        CELLMAP_U32 => span(mask.cast::<u32>(), len, false),
        CELLMAP_I32 => span(mask.cast::<i32>(), len, false),
        CELLMAP_F32 => span(mask.cast::<f32>(), len, false),
        _ => Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT)),
    }
}

/// Something done with a mask of any element type.
pub(crate) trait WithMask {
    /// Does it with `mask`.
    fn run<M: MaskValue>(self, mask: Grid<'_, M>) -> Result<(), Failure>;
}

/// Calls `job` with the caller's `width × height` mask of type `dtype`.
///
/// # Safety
///
/// As [`input`] for `width * height` elements of `dtype`.
pub(crate) unsafe fn with_mask(
    mask: *const c_void,
    dtype: CellmapDtype,
    width: usize,
    height: usize,
    job: impl WithMask,
) -> Result<(), Failure> {
    let n = pixels(width, height)?;
    // SAFETY (all arms): the caller's contract for `mask`.
    match dtype {
        CELLMAP_U8 => job.run(Grid::new(width, height, unsafe { input(mask.cast::<u8>(), n)? })?),
        CELLMAP_U16 => job.run(Grid::new(width, height, unsafe { input(mask.cast::<u16>(), n)? })?),
        CELLMAP_U32 => job.run(Grid::new(width, height, unsafe { input(mask.cast::<u32>(), n)? })?),
        CELLMAP_I32 => job.run(Grid::new(width, height, unsafe { input(mask.cast::<i32>(), n)? })?),
        CELLMAP_F32 => job.run(Grid::new(width, height, unsafe { input(mask.cast::<f32>(), n)? })?),
        _ => Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT)),
    }
}

fn connectivity(code: i32) -> Result<Connectivity, Failure> {
    match code {
        CELLMAP_CONNECTIVITY_4 => Ok(Connectivity::Four),
        CELLMAP_CONNECTIVITY_8 => Ok(Connectivity::Eight),
        _ => Err(Failure(CELLMAP_ERR_INVALID_ARGUMENT)),
    }
}

/// `uint32_t` scratch elements [`cellmap_fill_holes`] needs for a
/// `width × height` image (about 1.5 per pixel); `SIZE_MAX` for sizes
/// no buffer can meet. Thread-safe (a pure function).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_fill_holes_scratch_len(width: usize, height: usize) -> usize {
    cellmap_core::fill_holes_scratch_len(width, height)
}

/// `uint32_t` scratch elements [`cellmap_label`] needs for a
/// `width × height` image (about 1.5 per pixel); `SIZE_MAX` for sizes
/// no buffer can meet. Thread-safe (a pure function).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_label_scratch_len(width: usize, height: usize) -> usize {
    cellmap_core::label_scratch_len(width, height)
}

/// `uint32_t` scratch elements [`cellmap_fill_holes_and_label`] needs for
/// a `width × height` image (the same as [`cellmap_label_scratch_len`]).
/// Thread-safe (a pure function).
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_fill_holes_and_label_scratch_len(width: usize, height: usize) -> usize {
    cellmap_core::fill_holes_and_label_scratch_len(width, height)
}

/// Fills the holes of `mask` exactly as
/// `scipy.ndimage.binary_fill_holes(mask != 0)`: writes `filled` (`1` =
/// foreground, `0` = background) and stores the number of filled pixels in
/// `*n_filled` (optional, may be null).
///
/// * `mask`: `width * height` elements of type `mask_type`
///   (`CELLMAP_U8`, ...; nonzero = foreground), row-major;
/// * `filled`: `filled_len >= width * height` bytes (only those are written);
/// * `scratch`: `scratch_len >=` [`cellmap_fill_holes_scratch_len`]`(width, height)`.
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_DIMENSIONS_TOO_LARGE`, `_INVALID_ARGUMENT`
/// (unknown `mask_type`); `filled` is untouched on every error.
///
/// Reentrant: no global state; concurrent calls need their own `filled`
/// and `scratch`.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_fill_holes(
    mask: *const c_void,
    mask_type: CellmapDtype,
    width: usize,
    height: usize,
    filled: *mut u8,
    filled_len: usize,
    scratch: *mut u32,
    scratch_len: usize,
    n_filled: *mut usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            mask_span(mask, mask_type, n)?,
            span(filled.cast_const(), filled_len, true)?,
            span(scratch.cast_const(), scratch_len, true)?,
            optional_span(n_filled)?,
        ])?;
        let needed = cellmap_fill_holes_scratch_len(width, height);
        if needed == usize::MAX {
            return Err(Failure(CELLMAP_ERR_DIMENSIONS_TOO_LARGE));
        }
        if filled_len < n || scratch_len < needed {
            return Err(Failure(CELLMAP_ERR_BUFFER_TOO_SMALL));
        }
        // SAFETY: the caller's contract; checked and disjoint above.
        let (filled, scratch, n_filled) =
            unsafe { (output(filled, n)?, output(scratch, scratch_len)?, optional_out(n_filled)?) };
        struct Fill<'a> {
            filled: &'a mut [u8],
            scratch: &'a mut [u32],
            n_filled: Option<&'a mut usize>,
        }
        impl WithMask for Fill<'_> {
            fn run<M: MaskValue>(self, mask: Grid<'_, M>) -> Result<(), Failure> {
                // Sizes are checked: the only errors left are the core's own
                // checks of the same sizes, so writing zeros first is safe.
                let filled = crate::buffers::zeroed_bools(self.filled);
                let holes = cellmap_core::fill_holes(mask, filled, self.scratch)?;
                if let Some(out) = self.n_filled {
                    *out = holes;
                }
                Ok(())
            }
        }
        // SAFETY: the caller's contract for `mask`.
        unsafe { with_mask(mask, mask_type, width, height, Fill { filled, scratch, n_filled }) }
    })
}

/// The labeling kernels behind [`cellmap_label`] and
/// [`cellmap_fill_holes_and_label`].
struct Label<'a> {
    fill: bool,
    connectivity: Connectivity,
    labels: &'a mut [i32],
    scratch: &'a mut [u32],
    n_cells: Option<&'a mut usize>,
}

impl WithMask for Label<'_> {
    fn run<M: MaskValue>(self, mask: Grid<'_, M>) -> Result<(), Failure> {
        let n = if self.fill {
            cellmap_core::fill_holes_and_label(mask, self.connectivity, self.labels, self.scratch)?
        } else {
            cellmap_core::label(mask, self.connectivity, self.labels, self.scratch)?
        };
        if let Some(out) = self.n_cells {
            *out = n;
        }
        Ok(())
    }
}

/// The shared body of the labeling entry points.
///
/// # Safety
///
/// As [`cellmap_label`].
#[allow(clippy::too_many_arguments)]
unsafe fn label_entry(
    fill: bool,
    mask: *const c_void,
    mask_type: CellmapDtype,
    width: usize,
    height: usize,
    connectivity_code: i32,
    labels: *mut i32,
    labels_len: usize,
    scratch: *mut u32,
    scratch_len: usize,
    n_cells: *mut usize,
) -> CellmapStatus {
    run(|| {
        let n = pixels(width, height)?;
        disjoint(&[
            mask_span(mask, mask_type, n)?,
            span(labels.cast_const(), labels_len, true)?,
            span(scratch.cast_const(), scratch_len, true)?,
            optional_span(n_cells)?,
        ])?;
        let connectivity = connectivity(connectivity_code)?;
        // SAFETY: the caller's contract; checked and disjoint above.
        let (labels, scratch, n_cells) =
            unsafe { (output(labels, labels_len)?, output(scratch, scratch_len)?, optional_out(n_cells)?) };
        let job = Label { fill, connectivity, labels, scratch, n_cells };
        // SAFETY: the caller's contract for `mask`.
        unsafe { with_mask(mask, mask_type, width, height, job) }
    })
}

/// Labels the connected components of `mask` exactly as
/// `scipy.ndimage.label`: `labels` gets `1..=N` in raster order of each
/// component's first pixel, `0` for background; `*n_cells = N` (optional,
/// may be null).
///
/// * `mask`: `width * height` elements of type `mask_type`, nonzero = foreground;
/// * `connectivity`: [`CELLMAP_CONNECTIVITY_4`] (scipy's default) or [`CELLMAP_CONNECTIVITY_8`];
/// * `labels`: `labels_len >= width * height` (only those are written);
/// * `scratch`: `scratch_len >=` [`cellmap_label_scratch_len`]`(width, height)`;
///   on success it also holds the labels as runs, which
///   [`crate::cellmap_channel_means_from_runs`] and
///   [`crate::cellmap_paint_from_runs`] read instead of the label image
///   (faster: no label is read again).
///
/// Errors: `CELLMAP_ERR_NULL_POINTER`, `_MISALIGNED`, `_OVERLAP`,
/// `_BUFFER_TOO_SMALL`, `_DIMENSIONS_TOO_LARGE`, `_TOO_MANY_LABELS`,
/// `_INVALID_ARGUMENT` (unknown type or connectivity); `labels` is
/// untouched on every error.
///
/// Reentrant: no global state; concurrent calls need their own `labels`
/// and `scratch`.
///
/// # Safety
///
/// Each pointer must be valid for its length (in elements) and
/// initialised; buffers must not be used by another thread during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_label(
    mask: *const c_void,
    mask_type: CellmapDtype,
    width: usize,
    height: usize,
    connectivity: i32,
    labels: *mut i32,
    labels_len: usize,
    scratch: *mut u32,
    scratch_len: usize,
    n_cells: *mut usize,
) -> CellmapStatus {
    // SAFETY: forwarded contract.
    unsafe {
        label_entry(
            false,
            mask,
            mask_type,
            width,
            height,
            connectivity,
            labels,
            labels_len,
            scratch,
            scratch_len,
            n_cells,
        )
    }
}

/// Fills the holes of `mask` and labels the filled mask in one pass, equal
/// to `scipy.ndimage.label(scipy.ndimage.binary_fill_holes(mask))` (with
/// `structure=np.ones((3, 3))` for [`CELLMAP_CONNECTIVITY_8`]); the filled
/// mask is `labels != 0`. Arguments, errors and threading as
/// [`cellmap_label`] (the scratch holds the runs afterwards);
/// `scratch_len >=` [`cellmap_fill_holes_and_label_scratch_len`]`(width, height)`.
///
/// # Safety
///
/// As [`cellmap_label`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cellmap_fill_holes_and_label(
    mask: *const c_void,
    mask_type: CellmapDtype,
    width: usize,
    height: usize,
    connectivity: i32,
    labels: *mut i32,
    labels_len: usize,
    scratch: *mut u32,
    scratch_len: usize,
    n_cells: *mut usize,
) -> CellmapStatus {
    // SAFETY: forwarded contract.
    unsafe {
        label_entry(
            true,
            mask,
            mask_type,
            width,
            height,
            connectivity,
            labels,
            labels_len,
            scratch,
            scratch_len,
            n_cells,
        )
    }
}
