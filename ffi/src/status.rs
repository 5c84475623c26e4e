//! Status codes and their messages.

use core::ffi::c_char;

use cellmap_core::Error;

/// What a fallible function returns: [`CELLMAP_OK`] or a `CELLMAP_ERR_*`
/// code. [`cellmap_status_message`] gives a static message for any value.
pub type CellmapStatus = i32;

/// Success.
pub const CELLMAP_OK: CellmapStatus = 0;
/// A required pointer is null (a null pointer is accepted only with length 0).
pub const CELLMAP_ERR_NULL_POINTER: CellmapStatus = 1;
/// A pointer is not aligned for its element type.
pub const CELLMAP_ERR_MISALIGNED: CellmapStatus = 2;
/// Two buffers overlap, and one of them is written.
pub const CELLMAP_ERR_OVERLAP: CellmapStatus = 3;
/// A buffer is shorter than needed; the `*_len` functions give the sizes.
pub const CELLMAP_ERR_BUFFER_TOO_SMALL: CellmapStatus = 4;
/// An input's length differs from what the image shape implies.
pub const CELLMAP_ERR_SHAPE_MISMATCH: CellmapStatus = 5;
/// `width * height` (or the memory it needs) does not fit the address space.
pub const CELLMAP_ERR_DIMENSIONS_TOO_LARGE: CellmapStatus = 6;
/// More components than the label type holds.
pub const CELLMAP_ERR_TOO_MANY_LABELS: CellmapStatus = 7;
/// A label is negative or above `n_cells` (or the colour table).
pub const CELLMAP_ERR_LABEL_OUT_OF_RANGE: CellmapStatus = 8;
/// An argument is out of its domain: an unknown type, connectivity, range
/// or colormap code, a scale that is not finite and positive, bad bounds.
pub const CELLMAP_ERR_INVALID_ARGUMENT: CellmapStatus = 9;
/// An error this version of the header does not name (from a newer core).
pub const CELLMAP_ERR_UNKNOWN: CellmapStatus = 10;
/// A bug: the core panicked (hosted builds catch it at the boundary, so it
/// never unwinds into the caller). Please report it with the inputs.
pub const CELLMAP_ERR_INTERNAL: CellmapStatus = 11;

/// A static, NUL-terminated English message for `status` (never null;
/// "unknown status code" for values that are not a status). Thread-safe:
/// the strings are constants and must not be freed.
#[unsafe(no_mangle)]
pub extern "C" fn cellmap_status_message(status: CellmapStatus) -> *const c_char {
    let message: &'static core::ffi::CStr = match status {
        CELLMAP_OK => c"ok",
        CELLMAP_ERR_NULL_POINTER => c"a required pointer is null",
        CELLMAP_ERR_MISALIGNED => c"a pointer is not aligned for its element type",
        CELLMAP_ERR_OVERLAP => c"two buffers overlap and one of them is written",
        CELLMAP_ERR_BUFFER_TOO_SMALL => c"a buffer is too small (see the *_len functions)",
        CELLMAP_ERR_SHAPE_MISMATCH => c"a buffer's length does not match the image shape",
        CELLMAP_ERR_DIMENSIONS_TOO_LARGE => c"the image is too large to index",
        CELLMAP_ERR_TOO_MANY_LABELS => c"too many labels for the label type",
        CELLMAP_ERR_LABEL_OUT_OF_RANGE => c"a label is negative or above n_cells",
        CELLMAP_ERR_INVALID_ARGUMENT => c"invalid argument",
        CELLMAP_ERR_UNKNOWN => c"unknown error",
        CELLMAP_ERR_INTERNAL => c"internal error (a bug in cellmap: please report it)",
        _ => c"unknown status code",
    };
    message.as_ptr()
}

/// The status code of a core error.
pub(crate) fn status_of(error: Error) -> CellmapStatus {
    match error {
        Error::BufferTooSmall { .. } => CELLMAP_ERR_BUFFER_TOO_SMALL,
        Error::ShapeMismatch { .. } => CELLMAP_ERR_SHAPE_MISMATCH,
        Error::DimensionsTooLarge { .. } => CELLMAP_ERR_DIMENSIONS_TOO_LARGE,
        Error::TooManyLabels { .. } => CELLMAP_ERR_TOO_MANY_LABELS,
        Error::LabelOutOfRange { .. } => CELLMAP_ERR_LABEL_OUT_OF_RANGE,
        Error::InvalidArgument(_) | Error::InvalidSparse(_) => CELLMAP_ERR_INVALID_ARGUMENT,
        _ => CELLMAP_ERR_UNKNOWN,
    }
}

/// `Ok(())` → [`CELLMAP_OK`], `Err(status)` → `status`.
pub(crate) fn to_status(result: Result<(), CellmapStatus>) -> CellmapStatus {
    match result {
        Ok(()) => CELLMAP_OK,
        Err(status) => status,
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure(status_of(error))
    }
}

/// A failed call's status (so `?` works on core results and buffer checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failure(pub(crate) CellmapStatus);

/// Runs `body` and turns its outcome into a status. Every exported
/// function is proven panic-free (`scripts/check-ffi.sh` links them into a
/// firmware image whose panic handler does not exist); as a second line of
/// defence, on hosted targets a panic would be caught here and become
/// [`CELLMAP_ERR_INTERNAL`], so it never unwinds into C. The happy path
/// costs nothing (table-based unwinding).
#[inline(always)]
pub(crate) fn run(body: impl FnOnce() -> Result<(), Failure>) -> CellmapStatus {
    #[cfg(not(target_os = "none"))]
    {
        match std::panic::catch_unwind(core::panic::AssertUnwindSafe(body)) {
            Ok(result) => to_status(result.map_err(|Failure(status)| status)),
            Err(_) => CELLMAP_ERR_INTERNAL,
        }
    }
    #[cfg(target_os = "none")]
    {
        to_status(body().map_err(|Failure(status)| status))
    }
}
