//! Hole filling and labeling with fixed-size array buffers (for `static`s on
//! microcontrollers).
//!
//! A [`StaticSegmenter`] owns every buffer hole filling and labeling need
//! for one `W × H` image, sized at compile time, and runs the same kernels
//! as [`crate::fill`] and [`crate::labeling`]. It takes
//! `17 · W · H + 4 · H` bytes (the filled mask, `i32` labels, and the run
//! table), so a 128 × 128 segmenter needs about 280 KB.

use crate::fill::fill_holes_with;
use crate::labeling::{Connectivity, RunTable, fill_holes_and_label_with, label_with};
use crate::{Error, Grid, MaskValue};

/// Buffers and results of hole filling and labeling for `W × H` images.
///
/// [`StaticSegmenter::new`] is a `const fn`, so a segmenter can live in a `static` (wrap it
/// in your platform's mutex to mutate it there). Labels are `i32`, like
/// `scipy.ndimage.label`'s output.
///
/// ```
/// use cellmap_core::{labeling::Connectivity, static_segmenter::StaticSegmenter};
/// static SPARE: StaticSegmenter<64, 64> = StaticSegmenter::new(); // no heap, no runtime set-up
///
/// let mask = [
///     *b"##..#.",
///     *b"#.#.#.",
///     *b"##..##",
///     *b"..#...",
/// ].map(|row| row.map(|c| c == b'#'));
/// let mut seg = StaticSegmenter::<6, 4>::new();
/// assert_eq!(seg.fill_holes_and_label(&mask, Connectivity::Four)?, 3);
/// assert_eq!(seg.labels(), &[
///     [1, 1, 0, 0, 2, 0],
///     [1, 1, 1, 0, 2, 0],
///     [1, 1, 0, 0, 2, 2],
///     [0, 0, 3, 0, 0, 0],
/// ]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StaticSegmenter<const W: usize, const H: usize> {
    filled: [[bool; W]; H],
    labels: [[i32; W]; H],
    run_starts: [[u32; W]; H],
    run_ends: [[u32; W]; H],
    run_parents: [[u32; W]; H],
    run_counts: [u32; H],
}

impl<const W: usize, const H: usize> Default for StaticSegmenter<W, H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize, const H: usize> StaticSegmenter<W, H> {
    /// An all-background segmenter (usable in `const` and `static` items).
    ///
    /// ```
    /// let seg = cellmap_core::static_segmenter::StaticSegmenter::<3, 2>::new();
    /// assert_eq!(seg.labels(), &[[0; 3]; 2]);
    /// assert_eq!(seg.filled(), &[[false; 3]; 2]);
    /// ```
    pub const fn new() -> Self {
        Self {
            filled: [[false; W]; H],
            labels: [[0; W]; H],
            run_starts: [[0; W]; H],
            run_ends: [[0; W]; H],
            run_parents: [[0; W]; H],
            run_counts: [0; H],
        }
    }

    /// Fills the holes of `mask` into [`StaticSegmenter::filled`], as
    /// [`crate::fill::fill_holes`], and returns the number of pixels filled.
    ///
    /// ```
    /// use cellmap_core::static_segmenter::StaticSegmenter;
    /// let mask = [*b"###", *b"#.#", *b"###"].map(|row| row.map(|c| c == b'#'));
    /// let mut seg = StaticSegmenter::<3, 3>::new();
    /// assert_eq!(seg.fill_holes(&mask)?, 1);
    /// assert_eq!(seg.filled(), &[[true; 3]; 3]);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::DimensionsTooLarge`] only for sizes beyond the `u32` run
    /// table, which no memory holds; returned before anything is written
    /// (the buffers are untouched).
    pub fn fill_holes<M: MaskValue>(&mut self, mask: &[[M; W]; H]) -> Result<usize, Error> {
        let grid = Grid::new(W, H, mask.as_flattened())?;
        let (runs, filled, _) = self.buffers()?;
        fill_holes_with(grid, filled, runs)
    }

    /// Labels `mask` into [`StaticSegmenter::labels`], as [`crate::labeling::label`],
    /// and returns the number of labels.
    ///
    /// ```
    /// use cellmap_core::{labeling::Connectivity, static_segmenter::StaticSegmenter};
    /// let mask = [*b"#.#", *b".#.", *b"#.#"].map(|row| row.map(|c| c == b'#'));
    /// let mut seg = StaticSegmenter::<3, 3>::new();
    /// assert_eq!(seg.label(&mask, Connectivity::Four)?, 5);
    /// assert_eq!(seg.labels(), &[[1, 0, 2], [0, 3, 0], [4, 0, 5]]);
    /// assert_eq!(seg.label(&mask, Connectivity::Eight)?, 1);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::DimensionsTooLarge`] only for sizes beyond the `u32` run
    /// table, which no memory holds; returned before anything is written
    /// (the buffers are untouched).
    pub fn label<M: MaskValue>(
        &mut self,
        mask: &[[M; W]; H],
        connectivity: Connectivity,
    ) -> Result<usize, Error> {
        let grid = Grid::new(W, H, mask.as_flattened())?;
        let (runs, _, labels) = self.buffers()?;
        label_with(grid, connectivity, labels, runs)
    }

    /// Fills the holes of `mask` and labels the result into
    /// [`StaticSegmenter::labels`], as [`crate::labeling::fill_holes_and_label`], and
    /// returns the number of labels. [`StaticSegmenter::filled`] is not written (it is
    /// `labels != 0`).
    ///
    /// ```
    /// use cellmap_core::{labeling::Connectivity, static_segmenter::StaticSegmenter};
    /// let mask = [*b".#.", *b"#.#", *b".#."].map(|row| row.map(|c| c == b'#'));
    /// let mut seg = StaticSegmenter::<3, 3>::new();
    /// assert_eq!(seg.fill_holes_and_label(&mask, Connectivity::Four)?, 1);
    /// assert_eq!(seg.labels(), &[[0, 1, 0], [1, 1, 1], [0, 1, 0]]);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::DimensionsTooLarge`] only for sizes beyond the `u32` run
    /// table, which no memory holds; returned before anything is written
    /// (the buffers are untouched).
    pub fn fill_holes_and_label<M: MaskValue>(
        &mut self,
        mask: &[[M; W]; H],
        connectivity: Connectivity,
    ) -> Result<usize, Error> {
        let grid = Grid::new(W, H, mask.as_flattened())?;
        let (runs, _, labels) = self.buffers()?;
        fill_holes_and_label_with(grid, connectivity, labels, runs)
    }

    /// The filled mask written by [`StaticSegmenter::fill_holes`].
    ///
    /// ```
    /// use cellmap_core::static_segmenter::StaticSegmenter;
    /// let mask = [*b".###.", *b".#.#.", *b".###."].map(|row| row.map(|c| c == b'#'));
    /// let mut seg = StaticSegmenter::<5, 3>::new();
    /// seg.fill_holes(&mask)?;
    /// assert_eq!(seg.filled(), &[*b".###.", *b".###.", *b".###."].map(|row| row.map(|c| c == b'#')));
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn filled(&self) -> &[[bool; W]; H] {
        &self.filled
    }

    /// The label image written by [`StaticSegmenter::label`] or
    /// [`StaticSegmenter::fill_holes_and_label`] (`0` = background).
    ///
    /// ```
    /// use cellmap_core::{labeling::Connectivity, static_segmenter::StaticSegmenter};
    /// let mask = [[0u8, 255, 0, 255], [255, 255, 0, 0]];
    /// let mut seg = StaticSegmenter::<4, 2>::new();
    /// assert_eq!(seg.label(&mask, Connectivity::Four)?, 2);
    /// assert_eq!(seg.labels(), &[[0, 1, 0, 2], [1, 1, 0, 0]]);
    /// # Ok::<(), cellmap_core::Error>(())
    /// ```
    pub fn labels(&self) -> &[[i32; W]; H] {
        &self.labels
    }

    /// The run table over the segmenter's arrays (`W` slots per row, at least
    /// the `W / 2 + 1` a row can need), and the output buffers.
    fn buffers(&mut self) -> Result<(RunTable<'_>, &mut [bool], &mut [i32]), Error> {
        let runs = RunTable::from_parts(
            W,
            self.run_starts.as_flattened_mut(),
            self.run_ends.as_flattened_mut(),
            self.run_parents.as_flattened_mut(),
            &mut self.run_counts,
            W,
        )?;
        Ok((runs, self.filled.as_flattened_mut(), self.labels.as_flattened_mut()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labeling::tests::{reference_fill, reference_label};

    fn bools<const W: usize, const H: usize>(rows: [&[u8; W]; H]) -> [[bool; W]; H] {
        rows.map(|row| row.map(|c| c == b'#'))
    }

    #[test]
    fn one_pixel_wide_and_tall_images() {
        let mut column = StaticSegmenter::<1, 4>::new();
        let mask = bools([b"#", b".", b"#", b"#"]);
        assert_eq!(column.label(&mask, Connectivity::Four), Ok(2));
        assert_eq!(column.labels(), &[[1], [0], [2], [2]]);
        assert_eq!(column.fill_holes(&mask), Ok(0));
        let mut row = StaticSegmenter::<5, 1>::new();
        assert_eq!(row.fill_holes_and_label(&bools([b"#.#.#"]), Connectivity::Eight), Ok(3));
        assert_eq!(row.labels(), &[[1, 0, 2, 0, 3]]);
    }

    #[test]
    fn empty_images() {
        let mut seg = StaticSegmenter::<0, 3>::new();
        assert_eq!(seg.label(&[[0u8; 0]; 3], Connectivity::Four), Ok(0));
        let mut seg = StaticSegmenter::<3, 0>::new();
        assert_eq!(seg.fill_holes_and_label(&[[0u8; 3]; 0], Connectivity::Four), Ok(0));
    }

    #[test]
    fn segmenter_matches_the_references_on_a_busy_mask() {
        // A deterministic pseudo-random 16 × 9 mask (xorshift), about half set.
        let mut state = 0x2545_f491u32;
        let mask: [[bool; 16]; 9] = core::array::from_fn(|_| {
            core::array::from_fn(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state % 5 < 3
            })
        });
        let flat = mask.as_flattened();
        let mut seg = StaticSegmenter::<16, 9>::new();
        seg.fill_holes(&mask).unwrap();
        assert_eq!(seg.filled().as_flattened(), reference_fill(16, 9, flat).as_slice());
        for connectivity in [Connectivity::Four, Connectivity::Eight] {
            let (n, want) = reference_label(16, 9, flat, connectivity);
            assert_eq!(seg.label(&mask, connectivity), Ok(n));
            let got: std::vec::Vec<u32> = seg.labels().as_flattened().iter().map(|&l| l as u32).collect();
            assert_eq!(got, want);
        }
    }
}
