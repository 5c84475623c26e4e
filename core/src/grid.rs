//! Validated borrowed views over row-major images, and the pixel traits
//! that say what "foreground" and "label" mean for each element type.

use crate::Error;

/// Number of elements of a `width × height` image, or an error if it
/// overflows `usize`.
///
/// ```
/// assert_eq!(cellmap_core::grid::pixel_count(3, 4), Ok(12));
/// assert!(cellmap_core::grid::pixel_count(usize::MAX, 2).is_err());
/// ```
pub const fn pixel_count(width: usize, height: usize) -> Result<usize, Error> {
    match width.checked_mul(height) {
        Some(n) => Ok(n),
        None => Err(Error::DimensionsTooLarge { width, height }),
    }
}

/// A read-only row-major image: `data.len() == width * height`, checked once
/// at construction so kernels can index freely afterwards.
///
/// ```
/// use cellmap_core::Grid;
/// let g = Grid::new(3, 2, &[1u8, 2, 3, 4, 5, 6])?;
/// assert_eq!((g.width(), g.height()), (3, 2));
/// assert_eq!(g.get(1, 2), Some(&6)); // row 1, column 2
/// assert_eq!(g.row(0), &[1, 2, 3]);
/// assert!(Grid::new(3, 3, &[0u8; 6]).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Grid<'a, T> {
    width: usize,
    height: usize,
    data: &'a [T],
}

impl<'a, T> Grid<'a, T> {
    /// Wraps `data` as a `width × height` image (row-major).
    pub fn new(width: usize, height: usize, data: &'a [T]) -> Result<Self, Error> {
        let expected = pixel_count(width, height)?;
        if data.len() != expected {
            return Err(Error::ShapeMismatch { expected, got: data.len() });
        }
        Ok(Self { width, height, data })
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// `width * height`.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True for 0×N and N×0 images.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The pixels, row-major.
    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }

    /// The pixel at `(row, col)`, or `None` outside the image.
    pub fn get(&self, row: usize, col: usize) -> Option<&'a T> {
        if row < self.height && col < self.width { self.data.get(row * self.width + col) } else { None }
    }

    /// Row `row` as a slice (empty outside the image).
    pub fn row(&self, row: usize) -> &'a [T] {
        if row < self.height {
            self.data.get(row * self.width..(row + 1) * self.width).unwrap_or_default()
        } else {
            &[]
        }
    }

    /// Checks that `other` has the same width and height.
    pub fn ensure_same_shape<U>(&self, other: &Grid<'_, U>) -> Result<(), Error> {
        if self.width != other.width || self.height != other.height {
            return Err(Error::ShapeMismatch { expected: self.len(), got: other.len() });
        }
        Ok(())
    }
}

/// A mask pixel type: decides which pixels are foreground (cells).
///
/// Foreground is **any nonzero value**: `255` in a 0/255 mask, `1` in a 0/1
/// mask, `true`, and also NaN; `-0.0` is background.
///
/// ```
/// use cellmap_core::MaskValue;
/// assert!(255u8.is_foreground() && !0u8.is_foreground());
/// assert!(f32::NAN.is_foreground() && !(-0.0f32).is_foreground());
/// ```
pub trait MaskValue: Copy {
    /// True for cell pixels.
    fn is_foreground(self) -> bool;

    /// The foreground of 64 pixels as a bit word: bit `k` set iff
    /// `pixels[k].is_foreground()`. The labeling and hole-filling kernels
    /// read every mask through it.
    ///
    /// The default goes sixteen lanes at a time, which compilers turn into
    /// vector compares; `u8` and `bool` override it with a faster
    /// eight-bytes-per-`u64` path (about 2×). An override must agree with
    /// [`MaskValue::is_foreground`].
    ///
    /// ```
    /// use cellmap_core::MaskValue;
    /// let mut pixels = [0u8; 64];
    /// pixels[3] = 255;
    /// pixels[63] = 1;
    /// assert_eq!(u8::pack_foreground_word(&pixels), (1 << 3) | (1 << 63));
    /// assert_eq!(f32::pack_foreground_word(&pixels.map(f32::from)), (1 << 3) | (1 << 63));
    /// ```
    #[inline(always)]
    fn pack_foreground_word(pixels: &[Self; 64]) -> u64 {
        let mut bits = 0u64;
        for lane in 0..4 {
            let mut group = 0u16;
            for k in 0..16 {
                group |= u16::from(pixels[lane * 16 + k].is_foreground()) << k;
            }
            bits |= u64::from(group) << (16 * lane);
        }
        bits
    }
}

macro_rules! int_mask {
    ($($t:ty),*) => {$(
        impl MaskValue for $t {
            #[inline(always)]
            fn is_foreground(self) -> bool { self != 0 }
        }
    )*};
}
int_mask!(u16, u32, u64, i8, i16, i32, i64);

impl MaskValue for u8 {
    #[inline(always)]
    fn is_foreground(self) -> bool {
        self != 0
    }

    #[inline(always)]
    fn pack_foreground_word(pixels: &[Self; 64]) -> u64 {
        crate::labeling::pack_nonzero_bytes(pixels)
    }
}

impl MaskValue for bool {
    #[inline(always)]
    fn is_foreground(self) -> bool {
        self
    }

    #[inline(always)]
    fn pack_foreground_word(pixels: &[Self; 64]) -> u64 {
        crate::labeling::pack_nonzero_bytes(&pixels.map(u8::from))
    }
}

impl MaskValue for f32 {
    #[inline(always)]
    fn is_foreground(self) -> bool {
        self != 0.0 // NaN != 0.0 is true; -0.0 == 0.0
    }
}

impl MaskValue for f64 {
    #[inline(always)]
    fn is_foreground(self) -> bool {
        self != 0.0
    }
}

/// A label pixel type: `0` is background, `1..=MAX_LABEL` are cells.
///
/// Implemented for `u8`, `u16`, `u32` and `i32` (scipy's `ndimage.label`
/// output type). Kernels that *read* labels reject negative or too large
/// values with [`Error::LabelOutOfRange`]; kernels that *write* labels
/// return [`Error::TooManyLabels`] when a label would not fit.
///
/// ```
/// use cellmap_core::Label;
/// assert_eq!(<u16 as Label>::MAX_LABEL, 65_535);
/// assert_eq!(<i32 as Label>::from_index(7).index(), 7);
/// assert_eq!((-1i32).index(), usize::MAX); // never a valid label
/// ```
pub trait Label: Copy + Default + PartialEq + core::fmt::Debug {
    /// The largest label this type can hold.
    const MAX_LABEL: usize;
    /// The label `i` (callers guarantee `i <= MAX_LABEL`; larger values wrap).
    fn from_index(i: usize) -> Self;
    /// The label as an index; negative labels give `usize::MAX`.
    fn index(self) -> usize;
}

macro_rules! unsigned_label {
    ($($t:ty),*) => {$(
        impl Label for $t {
            const MAX_LABEL: usize = <$t>::MAX as usize;
            #[inline(always)]
            fn from_index(i: usize) -> Self { i as $t }
            #[inline(always)]
            fn index(self) -> usize { self as usize }
        }
    )*};
}
unsigned_label!(u8, u16, u32);

impl Label for i32 {
    const MAX_LABEL: usize = i32::MAX as usize;
    #[inline(always)]
    fn from_index(i: usize) -> Self {
        i as i32
    }
    #[inline(always)]
    fn index(self) -> usize {
        if self < 0 { usize::MAX } else { self as usize }
    }
}

/// Checks that every label in `labels` is in `0..=max` and returns the
/// largest one found.
///
/// ```
/// use cellmap_core::{grid::max_label, Error};
/// assert_eq!(max_label(&[0i32, 3, 1], usize::MAX), Ok(3));
/// assert_eq!(max_label(&[0i32, 3], 2), Err(Error::LabelOutOfRange { label: 3, max: 2 }));
/// ```
pub fn max_label<L: Label>(labels: &[L], max: usize) -> Result<usize, Error> {
    let mut top = 0usize;
    for &l in labels {
        let i = l.index();
        if i > max || i == usize::MAX {
            let bound = if max == usize::MAX { L::MAX_LABEL } else { max };
            return Err(Error::LabelOutOfRange { label: i, max: bound });
        }
        top = top.max(i);
    }
    Ok(top)
}
