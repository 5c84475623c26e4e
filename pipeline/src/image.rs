//! [`Image`]: an owned row-major image whose length is checked once.

use cellmap_core::Grid;

use crate::{Error, grouped};

/// An owned row-major `height × width` image (`data.len() == width ·
/// height`, checked by [`Image::new`]).
///
/// ```
/// use cellmap::Image;
/// let image = Image::new(3, 2, vec![0u8, 1, 2, 3, 4, 5])?;
/// assert_eq!((image.width(), image.height(), image.grid().get(1, 2)), (3, 2, Some(&5)));
/// assert!(Image::new(3, 3, vec![0u8; 6]).is_err());
/// # Ok::<(), cellmap::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Image<T> {
    width: usize,
    height: usize,
    data: Vec<T>,
}

impl<T> Image<T> {
    /// Wraps `data` (row-major), which must hold `width · height` values.
    pub fn new(width: usize, height: usize, data: Vec<T>) -> Result<Self, Error> {
        if width.checked_mul(height) != Some(data.len()) {
            return Err(Error::input(format!("{} values for a {height}×{width} image", grouped(data.len()))));
        }
        Ok(Image { width, height, data })
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels, row-major.
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// The pixels, row-major, by value.
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// The core's validated view.
    pub fn grid(&self) -> Grid<'_, T> {
        Grid::new(self.width, self.height, &self.data)
            .unwrap_or_else(|_| unreachable!("checked by Image::new"))
    }

    /// `true` when `other` has the same width and height.
    pub fn same_shape<U>(&self, other: &Image<U>) -> bool {
        (self.width, self.height) == (other.width, other.height)
    }
}
