//! Hole filling with `scipy.ndimage.binary_fill_holes` semantics.
//!
//! A background pixel stays background iff it is **4-connected through
//! background** to a background pixel on the image border (scipy's default
//! structure); every other pixel is foreground in the result. So nested
//! rings inside a hole become solid, a hole that reaches the outside only
//! through a diagonal gap is filled, and 1×N, N×1 and 2×N images never
//! have holes.
//!
//! The output is a `bool` image (`true` = foreground), the mask type every
//! other kernel accepts. To fill and then label, call
//! [`crate::labeling::fill_holes_and_label`]: it gives the same labels
//! without writing the filled mask, faster than the two calls in a row.

use crate::labeling::{RunTable, run_scratch_len};
use crate::{Error, Grid, MaskValue};

/// Number of `u32` scratch elements [`fill_holes`] needs for a
/// `width × height` image (`0` for an empty image): about 1.5 per pixel
/// plus one per row, whatever the mask holds. Saturates at `usize::MAX`
/// for impossible sizes.
///
/// ```
/// use cellmap_core::fill::fill_holes_scratch_len;
/// assert_eq!(fill_holes_scratch_len(3, 0), 0);
/// assert_eq!(fill_holes_scratch_len(4, 2), 3 * 2 * 3 + 2);
/// ```
pub const fn fill_holes_scratch_len(width: usize, height: usize) -> usize {
    run_scratch_len(width, height)
}

/// Writes `mask` with its holes filled into `filled` (`true` =
/// foreground), exactly as `scipy.ndimage.binary_fill_holes(mask != 0)`,
/// and returns the number of pixels that were filled.
///
/// `filled` needs at least `width * height` elements (only those are
/// written); `scratch` needs [`fill_holes_scratch_len`]`(width, height)`.
///
/// # Errors
///
/// [`Error::BufferTooSmall`] if `filled` or `scratch` is too short,
/// [`Error::DimensionsTooLarge`] for images beyond the `u32` run table;
/// `filled` is untouched on error.
///
/// ```
/// use cellmap_core::{Grid, fill::{fill_holes, fill_holes_scratch_len}};
/// // A ring with a dot inside, a hole closed only diagonally, and a hole
/// // open to the border.
/// let rows = ["#####...", "#...#.#.", "#.#.##.#", "#...#.#.", "#####...", "#.#....."];
/// let mask: Vec<u8> = rows.concat().bytes().map(|c| if c == b'#' { 255 } else { 0 }).collect();
/// let mut filled = [false; 48];
/// let mut scratch = [0u32; fill_holes_scratch_len(8, 6)];
/// let n = fill_holes(Grid::new(8, 6, &mask)?, &mut filled, &mut scratch)?;
/// assert_eq!(n, 9);
/// let shown: String = filled.iter().map(|&f| if f { '#' } else { '.' }).collect();
/// assert_eq!(shown, ["#####...", "#####.#.", "########", "#####.#.", "#####...", "#.#....."].concat());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn fill_holes<M: MaskValue>(
    mask: Grid<'_, M>,
    filled: &mut [bool],
    scratch: &mut [u32],
) -> Result<usize, Error> {
    crate::error::ensure_len("filled", filled, mask.len())?;
    let runs = RunTable::from_scratch(mask.width(), mask.height(), scratch)?;
    fill_holes_with(mask, filled, runs)
}

/// [`fill_holes`] on a run table whose size is checked; `filled` is long
/// enough.
pub(crate) fn fill_holes_with<M: MaskValue>(
    mask: Grid<'_, M>,
    filled: &mut [bool],
    mut runs: RunTable<'_>,
) -> Result<usize, Error> {
    if mask.is_empty() {
        return Ok(0);
    }
    let outside_root = runs.join_background(mask);
    // The mask itself, then its holes: far fewer writes than painting
    // every background and foreground segment.
    let out = filled.get_mut(..mask.len()).unwrap_or_default();
    for (pixel, &value) in out.iter_mut().zip(mask.as_slice()) {
        *pixel = value.is_foreground();
    }
    let mut holes = 0usize;
    for (row, out_row) in out.chunks_exact_mut(mask.width().max(1)).enumerate() {
        runs.mark_row(row, outside_root, |start, end, outside| {
            if !outside {
                out_row.get_mut(start..end).unwrap_or_default().fill(true);
                holes += end - start;
            }
        });
    }
    Ok(holes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labeling::tests::{masks, reference_fill};
    use proptest::prelude::*;
    use std::string::{String, ToString};
    use std::{vec, vec::Vec};

    fn fill_picture(rows: &[&str]) -> (usize, Vec<String>) {
        let (w, h) = (rows.first().map_or(0, |r| r.len()), rows.len());
        let mask: Vec<u8> = rows.iter().flat_map(|r| r.bytes().map(|c| u8::from(c == b'#') * 255)).collect();
        let mut filled = vec![false; w * h];
        let mut scratch = vec![0u32; fill_holes_scratch_len(w, h)];
        let n = fill_holes(Grid::new(w, h, &mask).unwrap(), &mut filled, &mut scratch).unwrap();
        let pictured =
            filled.chunks(w.max(1)).map(|r| r.iter().map(|&f| if f { '#' } else { '.' }).collect()).collect();
        (n, pictured)
    }

    #[test]
    fn spiral_hole_winding_to_the_centre_is_filled() {
        let rows = ["#######", "#.....#", "#.###.#", "#.#.#.#", "#.#...#", "#.#####", "#######"];
        let (n, filled) = fill_picture(&rows);
        assert_eq!(n, 15);
        assert!(filled.iter().all(|r| r == "#######"));
    }

    #[test]
    fn spiral_opened_to_the_border_is_kept() {
        let rows = ["#######", "#.....#", "#.###.#", "#.#.#.#", "#.#...#", "#.#####", "#.#####"];
        assert_eq!(fill_picture(&rows), (0, rows.iter().map(|r| r.to_string()).collect()));
    }

    #[test]
    fn thin_images_have_no_holes() {
        for rows in [&["#.#..#"][..], &["#", ".", "#"], &["#.##.#", "#.#..#"]] {
            assert_eq!(fill_picture(rows), (0, rows.iter().map(|r| r.to_string()).collect()));
        }
    }

    #[test]
    fn all_foreground_and_all_background() {
        assert_eq!(fill_picture(&["###", "###", "###"]), (0, vec!["###".into(); 3]));
        assert_eq!(fill_picture(&["...", "...", "..."]), (0, vec!["...".into(); 3]));
    }

    #[test]
    fn empty_images_need_no_buffers() {
        let mask: [f32; 0] = [];
        for (w, h) in [(0, 0), (0, 3), (3, 0)] {
            assert_eq!(fill_holes(Grid::new(w, h, &mask[..]).unwrap(), &mut [], &mut []), Ok(0));
        }
    }

    #[test]
    fn float_masks_treat_nan_as_foreground_and_negative_zero_as_background() {
        let n = f32::NAN;
        let mask = [n, n, n, n, -0.0, 2.5, n, n, n];
        let mut filled = [false; 9];
        let mut scratch = [0u32; fill_holes_scratch_len(3, 3)];
        assert_eq!(fill_holes(Grid::new(3, 3, &mask).unwrap(), &mut filled, &mut scratch), Ok(1));
        assert_eq!(filled, [true; 9]);
    }

    #[test]
    fn short_buffers_are_reported_before_writing() {
        let mask = [1u8; 9];
        let grid = Grid::new(3, 3, &mask).unwrap();
        let mut filled = [false; 8];
        let mut scratch = [0u32; 64];
        assert_eq!(
            fill_holes(grid, &mut filled, &mut scratch),
            Err(Error::BufferTooSmall { buffer: "filled", needed: 9, got: 8 })
        );
        let mut filled = [false; 9];
        assert_eq!(
            fill_holes(grid, &mut filled, &mut scratch[..5]),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: fill_holes_scratch_len(3, 3), got: 5 })
        );
        assert_eq!(filled, [false; 9]);
    }

    #[test]
    fn elements_past_the_image_are_left_alone() {
        let mask = [0u8, 1, 0, 1, 0, 1, 0, 1, 0];
        let mut filled = [false; 60];
        let mut scratch = [0u32; fill_holes_scratch_len(3, 3)];
        assert_eq!(fill_holes(Grid::new(3, 3, &mask).unwrap(), &mut filled, &mut scratch), Ok(1));
        assert_eq!(filled[..9], [false, true, false, true, true, true, false, true, false]);
        assert!(filled[9..].iter().all(|&f| !f));
    }

    proptest! {
        #[test]
        fn fill_matches_flood_fill((w, h, mask) in masks(140, 10)) {
            let mut filled = vec![false; w * h];
            let mut scratch = vec![0u32; fill_holes_scratch_len(w, h)];
            let n = fill_holes(Grid::new(w, h, &mask).unwrap(), &mut filled, &mut scratch).unwrap();
            let want = if w * h == 0 { vec![] } else { reference_fill(w, h, &mask) };
            prop_assert_eq!(n, want.iter().zip(&mask).filter(|(f, m)| **f && !**m).count());
            prop_assert_eq!(filled, want);
        }
    }
}
