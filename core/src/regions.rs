//! Region properties per label — area, centroid, bounding box — in one pass
//! over the label image, equal to `scipy.ndimage.sum`/`center_of_mass`/
//! `find_objects` on the same labels.
//!
//! Like the per-cell statistics, outputs are indexed by label: `out[0]` is
//! the background, `out[c]` cell `c`.

use crate::stats::{checked_table_len, label_index};
use crate::{Error, Grid, Label};

/// Bounding box of a region as half-open pixel ranges, like the slices
/// `scipy.ndimage.find_objects` returns: rows `row_start..row_end`,
/// columns `col_start..col_end`.
///
/// ```
/// use cellmap_core::{Grid, regions::{region_props, BoundingBox, Region}};
/// // . . .
/// // . 1 1     label 1 spans rows 1..3, columns 1..3
/// // . 1 .
/// let labels = Grid::new(3, 3, &[0u8, 0, 0, 0, 1, 1, 0, 1, 0])?;
/// let mut out = [Region::EMPTY; 2];
/// region_props(labels, 1, &mut out)?;
/// assert_eq!(out[1].bounding_box(), Some(BoundingBox { row_start: 1, row_end: 3, col_start: 1, col_end: 3 }));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BoundingBox {
    /// First row.
    pub row_start: usize,
    /// One past the last row.
    pub row_end: usize,
    /// First column.
    pub col_start: usize,
    /// One past the last column.
    pub col_end: usize,
}

/// Area, centroid and bounding box of one label, accumulated exactly (integer
/// sums of pixel coordinates).
///
/// ```
/// use cellmap_core::regions::{Region, BoundingBox};
/// assert_eq!(Region::EMPTY.area(), 0);
/// assert!(Region::EMPTY.centroid().0.is_nan());
/// assert_eq!(Region::EMPTY.bounding_box(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Region {
    area: u64,
    row_sum: u64,
    col_sum: u64,
    row_start: usize,
    row_end: usize,
    col_start: usize,
    col_end: usize,
}

impl Default for Region {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Region {
    /// No pixel: area 0, NaN centroid, no bounding box.
    pub const EMPTY: Self = Region {
        area: 0,
        row_sum: 0,
        col_sum: 0,
        row_start: usize::MAX,
        row_end: 0,
        col_start: usize::MAX,
        col_end: 0,
    };

    /// Number of pixels.
    pub fn area(&self) -> u64 {
        self.area
    }

    /// Centroid `(row, col)`: the mean pixel coordinate, as
    /// `scipy.ndimage.center_of_mass` gives it for a uniform image; NaN for
    /// an empty region.
    pub fn centroid(&self) -> (f64, f64) {
        if self.area == 0 {
            return (f64::NAN, f64::NAN);
        }
        let n = self.area as f64;
        (self.row_sum as f64 / n, self.col_sum as f64 / n)
    }

    /// Bounding box, `None` for an empty region (like `find_objects`).
    pub fn bounding_box(&self) -> Option<BoundingBox> {
        (self.area > 0).then_some(BoundingBox {
            row_start: self.row_start,
            row_end: self.row_end,
            col_start: self.col_start,
            col_end: self.col_end,
        })
    }

    /// Adds the pixels `row, col_start..col_end` (a run within one row).
    #[inline(always)]
    fn add_run(&mut self, row: usize, col_start: usize, col_end: usize) {
        let len = (col_end - col_start) as u64;
        // Σ col for col in col_start..col_end, exact in u64 (wrapping only beyond 2^32-pixel rows).
        let cols = (col_start as u64 + col_end as u64 - 1).wrapping_mul(len) / 2;
        self.area = self.area.wrapping_add(len);
        self.row_sum = self.row_sum.wrapping_add((row as u64).wrapping_mul(len));
        self.col_sum = self.col_sum.wrapping_add(cols);
        self.row_start = self.row_start.min(row);
        self.row_end = self.row_end.max(row + 1);
        self.col_start = self.col_start.min(col_start);
        self.col_end = self.col_end.max(col_end);
    }
}

/// Area, centroid and bounding box of every label `0..=n_cells`, in one pass
/// over runs of equal labels.
///
/// `out` must hold [`stats::table_len(n_cells)`](crate::stats::table_len)
/// `= n_cells + 1` entries and is overwritten (`out[0]` is the background).
/// A short `out` is reported before anything is written (`out` untouched).
/// Labels above `n_cells` or negative give [`Error::LabelOutOfRange`],
/// found while writing, and leave `out` **reset** to [`Region::EMPTY`]. Coordinate sums are exact
/// integers, so centroids equal scipy's bit for bit while those sums stay
/// below 2^53 (any image up to 2^17 × 2^17 pixels).
///
/// ```
/// use cellmap_core::{Grid, regions::{region_props, Region, BoundingBox}};
/// // . 1 1 .
/// // . 1 . 2
/// // . . . 2
/// let labels = Grid::new(4, 3, &[0u8, 1, 1, 0, 0, 1, 0, 2, 0, 0, 0, 2])?;
/// let mut out = [Region::EMPTY; 3];
/// region_props(labels, 2, &mut out)?;
/// assert_eq!(out[1].area(), 3);
/// assert_eq!(out[1].centroid(), (1.0 / 3.0, 4.0 / 3.0));
/// assert_eq!(out[2].bounding_box(), Some(BoundingBox { row_start: 1, row_end: 3, col_start: 3, col_end: 4 }));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn region_props<L: Label>(labels: Grid<'_, L>, n_cells: usize, out: &mut [Region]) -> Result<(), Error> {
    let len = checked_table_len(n_cells)?;
    crate::error::ensure_len("out", out, len)?;
    let out = out.get_mut(..len).unwrap_or_default();
    out.fill(Region::EMPTY);
    let width = labels.width();
    for (row_index, row) in labels.as_slice().chunks_exact(width.max(1)).enumerate() {
        let mut start = 0;
        while let Some(&label) = row.get(start) {
            let mut end = start + 1;
            while row.get(end) == Some(&label) {
                end += 1;
            }
            match label_index(label, n_cells) {
                Ok(cell) => {
                    if let Some(region) = out.get_mut(cell) {
                        region.add_run(row_index, start, end);
                    }
                }
                Err(e) => {
                    out.fill(Region::EMPTY);
                    return Err(e);
                }
            }
            start = end;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn ring_and_single_pixels() {
        // 1 1 1 .
        // 1 . 1 2
        // 1 1 1 .
        let labels = [1u32, 1, 1, 0, 1, 0, 1, 2, 1, 1, 1, 0];
        let mut out = [Region::EMPTY; 4];
        region_props(Grid::new(4, 3, &labels).unwrap(), 3, &mut out).unwrap();
        assert_eq!((out[1].area(), out[1].centroid()), (8, (1.0, 1.0)));
        assert_eq!(
            out[2].bounding_box(),
            Some(BoundingBox { row_start: 1, row_end: 2, col_start: 3, col_end: 4 })
        );
        assert_eq!(out[3], Region::EMPTY, "label 3 is absent");
        assert_eq!(out[0].area(), 3);
    }

    #[test]
    fn errors() {
        let labels = Grid::new(2, 1, &[0i32, -1]).unwrap();
        let mut out = [Region::EMPTY; 2];
        assert_eq!(
            region_props(labels, 1, &mut out),
            Err(Error::LabelOutOfRange { label: usize::MAX, max: 1 })
        );
        assert_eq!(
            region_props(labels, 3, &mut out),
            Err(Error::BufferTooSmall { buffer: "out", needed: 4, got: 2 })
        );
        let empty = Grid::<u8>::new(0, 7, &[]).unwrap();
        region_props(empty, 1, &mut out).unwrap();
        assert_eq!(out, [Region::EMPTY; 2]);
    }

    proptest::proptest! {
        #[test]
        fn matches_pixel_by_pixel(w in 0usize..10, h in 0usize..10, n in 0u32..5,
                                  seed in proptest::collection::vec(0u32..100, 100)) {
            let labels: Vec<u32> = seed[..w * h].iter().map(|s| s % (n + 1)).collect();
            let mut out = vec![Region::EMPTY; n as usize + 1];
            region_props(Grid::new(w, h, &labels).unwrap(), n as usize, &mut out).unwrap();
            for c in 0..=n {
                let pix: Vec<(usize, usize)> =
                    (0..w * h).filter(|&i| labels[i] == c).map(|i| (i / w, i % w)).collect();
                let r = &out[c as usize];
                proptest::prop_assert_eq!(r.area(), pix.len() as u64);
                if pix.is_empty() {
                    proptest::prop_assert_eq!(r.bounding_box(), None);
                } else {
                    let n = pix.len() as f64;
                    let cy = pix.iter().map(|p| p.0 as f64).sum::<f64>() / n;
                    let cx = pix.iter().map(|p| p.1 as f64).sum::<f64>() / n;
                    proptest::prop_assert_eq!(r.centroid(), (cy, cx));
                    let bb = BoundingBox {
                        row_start: pix.iter().map(|p| p.0).min().unwrap(),
                        row_end: pix.iter().map(|p| p.0).max().unwrap() + 1,
                        col_start: pix.iter().map(|p| p.1).min().unwrap(),
                        col_end: pix.iter().map(|p| p.1).max().unwrap() + 1,
                    };
                    proptest::prop_assert_eq!(r.bounding_box(), Some(bb));
                }
            }
        }
    }
}
