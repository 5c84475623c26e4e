//! Masks to labels: scipy's `binary_fill_holes` (optional) then `label`.

use cellmap_core::fill::{fill_holes, fill_holes_scratch_len};
use cellmap_core::labeling::{
    fill_holes_and_label, fill_holes_and_label_scratch_len, label, label_scratch_len,
};
use cellmap_core::{Grid, MaskValue};

pub use cellmap_core::labeling::Connectivity;

use crate::input::LabelImage;
use crate::memory::{filled, refill};
use crate::{Error, Image};

/// How a binary mask becomes labels.
///
/// ```
/// use cellmap::{Connectivity, SegmentOptions};
/// let o = SegmentOptions::default();
/// assert_eq!((o.fill_holes, o.connectivity), (true, Connectivity::Four)); // scipy's defaults
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Fill holes first (`scipy.ndimage.binary_fill_holes`).
    pub fill_holes: bool,
    /// Which neighbours join pixels into one cell.
    pub connectivity: Connectivity,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        SegmentOptions { fill_holes: true, connectivity: Connectivity::Four }
    }
}

/// The connectivities in the order front ends list them, with their names
/// (`"4"`, `"8"`).
pub const CONNECTIVITIES: [(Connectivity, &str); 2] = [(Connectivity::Four, "4"), (Connectivity::Eight, "8")];

/// The labeling kernels' scratch, kept between calls so that relabelling a
/// mask with other options allocates nothing.
#[derive(Debug, Default)]
pub struct Segmenter {
    scratch: Vec<u32>,
}

impl Segmenter {
    /// Labels `mask` (foreground = nonzero, any [`MaskValue`]) into
    /// `labels` (same size) and returns the number of cells, as scipy
    /// numbers them.
    pub fn segment<M: MaskValue>(
        &mut self,
        mask: Grid<'_, M>,
        options: SegmentOptions,
        labels: &mut [i32],
    ) -> Result<usize, Error> {
        let (width, height) = (mask.width(), mask.height());
        let needed = fill_holes_and_label_scratch_len(width, height).max(label_scratch_len(width, height));
        if self.scratch.len() < needed {
            refill(&mut self.scratch, needed, 0, "the labeling scratch")?;
        }
        let result = if options.fill_holes {
            fill_holes_and_label(mask, options.connectivity, labels, &mut self.scratch)
        } else {
            label(mask, options.connectivity, labels, &mut self.scratch)
        };
        result.map_err(|e| Error::core("labeling", e))
    }
}

/// Fills holes (unless `options` say not to) and labels a binary mask.
///
/// ```
/// use cellmap::{Image, SegmentOptions, segment};
/// // # # #
/// // # . #    one cell with a hole
/// // # # #
/// let mask = Image::new(3, 3, vec![true, true, true, true, false, true, true, true, true])?;
/// let labels = segment(&mask, SegmentOptions::default())?;
/// assert_eq!((labels.n_cells(), labels.labels().data()[4]), (1, 1)); // the hole is part of the cell
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn segment(mask: &Image<bool>, options: SegmentOptions) -> Result<LabelImage, Error> {
    let mut labels = filled(mask.data().len(), 0i32, "the labels")?;
    let n_cells = Segmenter::default().segment(mask.grid(), options, &mut labels)?;
    let labels = Image::new(mask.width(), mask.height(), labels)?;
    Ok(LabelImage::from_kernel(labels, n_cells))
}

/// `scipy.ndimage.binary_fill_holes` of a mask.
///
/// ```
/// use cellmap::{Image, fill_mask_holes};
/// let ring = Image::new(3, 3, vec![true, true, true, true, false, true, true, true, true])?;
/// assert!(fill_mask_holes(&ring)?.data().iter().all(|&p| p));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn fill_mask_holes(mask: &Image<bool>) -> Result<Image<bool>, Error> {
    Image::new(mask.width(), mask.height(), fill_holes_of(mask.grid())?)
}

/// [`fill_mask_holes`] of a borrowed mask (any mask dtype, e.g. a binding's
/// array): the filled pixels, row by row.
///
/// ```
/// use cellmap::{Grid, fill_holes_of};
/// let ring = [1u8, 1, 1, 1, 0, 1, 1, 1, 1];
/// assert!(fill_holes_of(Grid::new(3, 3, &ring[..])?)?.iter().all(|&p| p));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fill_holes_of<M: MaskValue>(mask: Grid<'_, M>) -> Result<Vec<bool>, Error> {
    let mut out = filled(mask.len(), false, "the filled mask")?;
    let mut scratch =
        filled(fill_holes_scratch_len(mask.width(), mask.height()), 0u32, "the hole-filling scratch")?;
    fill_holes(mask, &mut out, &mut scratch).map_err(|e| Error::core("hole filling", e))?;
    Ok(out)
}
