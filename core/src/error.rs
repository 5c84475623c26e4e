//! The one error type of the core.

use core::fmt;

/// Everything a core kernel can reject. Each variant carries the numbers
/// needed to fix the call. What an error leaves in the outputs (untouched,
/// or reset on a label error) is listed in the crate docs, "Outputs on
/// error", and in each kernel's docs.
///
/// ```
/// use cellmap_core::Error;
/// let e = Error::BufferTooSmall { buffer: "labels", needed: 16, got: 4 };
/// assert_eq!(e.to_string(), "buffer `labels` is too small: needs 16 elements, got 4");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A caller-provided buffer is shorter than the kernel needs.
    BufferTooSmall {
        /// Which argument (its name in the kernel's signature).
        buffer: &'static str,
        /// Elements needed.
        needed: usize,
        /// Elements given.
        got: usize,
    },
    /// A slice does not hold `width × height` elements, or two inputs
    /// that must have the same shape do not.
    ShapeMismatch {
        /// Elements expected (e.g. `width * height`).
        expected: usize,
        /// Elements found.
        got: usize,
    },
    /// `width * height` overflows `usize`.
    DimensionsTooLarge {
        /// Requested width.
        width: usize,
        /// Requested height.
        height: usize,
    },
    /// More components than the chosen label type (or buffer) can number.
    TooManyLabels {
        /// The largest label the output can hold.
        capacity: usize,
    },
    /// A label image holds a label above the number of cells given.
    LabelOutOfRange {
        /// The offending label (negative labels are reported as `usize::MAX`).
        label: usize,
        /// The largest label allowed.
        max: usize,
    },
    /// A sparse matrix is malformed (non-monotone `indptr`, an index out of
    /// range, lengths that disagree).
    InvalidSparse(&'static str),
    /// An argument is outside its domain (e.g. a negative scale, `vmin > vmax`).
    InvalidArgument(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::BufferTooSmall { buffer, needed, got } => {
                write!(f, "buffer `{buffer}` is too small: needs {needed} elements, got {got}")
            }
            Error::ShapeMismatch { expected, got } => {
                write!(f, "shape mismatch: expected {expected} elements, got {got}")
            }
            Error::DimensionsTooLarge { width, height } => {
                write!(f, "image of {width}×{height} pixels is too large to index")
            }
            Error::TooManyLabels { capacity } => {
                write!(f, "too many labels: the output holds at most {capacity}")
            }
            Error::LabelOutOfRange { label, max } => {
                if label == usize::MAX {
                    write!(f, "negative label in label image (labels must be 0..={max})")
                } else {
                    write!(f, "label {label} out of range (labels must be 0..={max})")
                }
            }
            Error::InvalidSparse(why) => write!(f, "invalid sparse matrix: {why}"),
            Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
        }
    }
}

impl core::error::Error for Error {}

/// Checks that `buffer` holds at least `needed` elements (every kernel's
/// length check, before it writes anything).
pub(crate) fn ensure_len<T>(buffer: &'static str, slice: &[T], needed: usize) -> Result<(), Error> {
    if slice.len() < needed {
        Err(Error::BufferTooSmall { buffer, needed, got: slice.len() })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ensure_len_names_the_buffer_and_the_numbers() {
        assert!(ensure_len("scratch", &[0u32; 4], 4).is_ok());
        assert_eq!(
            ensure_len("scratch", &[0u32; 3], 4),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: 4, got: 3 })
        );
    }
}
