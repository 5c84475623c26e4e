//! Transcript → cell assignment: point lookup in a label image, the
//! nearest cell within a radius, and counts per cell and gene.
//!
//! A point `(x, y)` (x = column, y = row, in units of `scale` per pixel) lies
//! in pixel `(trunc(y / scale), trunc(x / scale))` when `0 ≤ y / scale < height`
//! and `0 ≤ x / scale < width`; everything else — negative coordinates
//! (`-0.5` too, although it truncates to `0`), NaN, infinities, the far
//! edge itself — is [`OUT_OF_IMAGE`]. The division is done in the points'
//! own float type, as numpy does for a `float32` column divided by a
//! Python float.
//!
//! Results are `u32` cell ids, ready for a CSV column or a JS
//! `Uint32Array`: `1..=MAX_CELL` is a cell, [`BACKGROUND`] (0) a background
//! pixel, [`OUT_OF_IMAGE`] (`u32::MAX`) a point outside the image.
//!
//! ```
//! use cellmap_core::{Grid, assign::{assign_points, BACKGROUND, OUT_OF_IMAGE}};
//! let labels = Grid::new(4, 2, &[
//!     0, 1, 1, 0,
//!     2, 2, 0, 0,
//! ][..])?;
//! let xs = [1.5f32, 0.2, 3.9, 4.0, -0.5];
//! let ys = [0.0f32, 1.7, 1.0, 0.0, 0.0];
//! let mut cells = [0u32; 5];
//! let summary = assign_points(labels, &xs, &ys, 1.0, &mut cells)?;
//! assert_eq!(cells, [1, 2, BACKGROUND, OUT_OF_IMAGE, OUT_OF_IMAGE]);
//! assert_eq!((summary.in_cells, summary.background, summary.out_of_image), (2, 1, 2));
//! # Ok::<(), cellmap_core::Error>(())
//! ```

use crate::{Error, Grid, Label, error::ensure_len, grid::max_label};

/// Cell id of a point on a background pixel (label 0).
///
/// ```
/// use cellmap_core::{Grid, assign::{assign_points, BACKGROUND}};
/// let labels = Grid::new(2, 1, &[0u8, 1][..])?;
/// let mut cells = [9u32];
/// assign_points(labels, &[0.5f32], &[0.5f32], 1.0, &mut cells)?;
/// assert_eq!(cells, [BACKGROUND]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub const BACKGROUND: u32 = 0;

/// Cell id of a point outside the image (or with a NaN/infinite coordinate).
///
/// ```
/// use cellmap_core::{Grid, assign::{assign_points, OUT_OF_IMAGE}};
/// let labels = Grid::new(2, 1, &[0u8, 1][..])?;
/// let mut cells = [0u32; 3];
/// assign_points(labels, &[2.0f64, -0.1, f64::NAN], &[0.0f64, 0.0, 0.0], 1.0, &mut cells)?;
/// assert_eq!(cells, [OUT_OF_IMAGE; 3]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub const OUT_OF_IMAGE: u32 = u32::MAX;

/// The largest cell label the assignment kernels accept (`u32::MAX` is
/// taken by [`OUT_OF_IMAGE`]).
///
/// ```
/// assert_eq!(cellmap_core::assign::MAX_CELL, 4_294_967_294);
/// ```
pub const MAX_CELL: usize = (u32::MAX - 1) as usize;

/// A point coordinate type: `f32` or `f64`.
///
/// ```
/// use cellmap_core::assign::Coordinate;
/// // 7.9 µm at 2 µm per pixel is pixel 3; 8.0 is past a 4-pixel edge.
/// assert_eq!(7.9f32.pixel(2.0, 4), Some(3));
/// assert_eq!(8.0f32.pixel(2.0, 4), None);
/// assert_eq!((-0.5f64).pixel(1.0, 4), None);
/// assert_eq!(f64::NAN.pixel(1.0, 4), None);
/// ```
pub trait Coordinate: Copy + sealed::Sealed {
    /// `trunc(self / scale)` when `0 ≤ self / scale < len`, else `None`.
    fn pixel(self, scale: Self, len: usize) -> Option<usize>;
    /// True for a finite scale `> 0`.
    fn is_valid_scale(self) -> bool;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! coordinate {
    ($($t:ty),*) => {$(
        impl Coordinate for $t {
            #[inline(always)]
            fn pixel(self, scale: Self, len: usize) -> Option<usize> {
                let v = self / scale;
                // `as usize` saturates (inf -> MAX) and `v >= 0.0` rejects NaN
                // and negatives; the `< len` test is on the integer, so a
                // `len` that rounds when converted to float cannot let a point
                // through.
                let i = v as usize;
                if v >= 0.0 && i < len { Some(i) } else { None }
            }
            #[inline(always)]
            fn is_valid_scale(self) -> bool {
                self.is_finite() && self > 0.0
            }
        }
    )*};
}
coordinate!(f32, f64);

/// How many points [`assign_points`] put in cells, on background, and outside
/// the image.
///
/// ```
/// use cellmap_core::{Grid, assign::{assign_points, AssignSummary}};
/// let labels = Grid::new(2, 1, &[0u8, 1][..])?;
/// let mut cells = [0u32; 3];
/// let summary = assign_points(labels, &[0.5f32, 1.5, 9.0], &[0.5f32; 3], 1.0, &mut cells)?;
/// assert_eq!(summary, AssignSummary { in_cells: 1, background: 1, out_of_image: 1 });
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AssignSummary {
    /// Points on a cell pixel.
    pub in_cells: usize,
    /// Points on a background pixel.
    pub background: usize,
    /// Points outside the image (or with a NaN/infinite coordinate).
    pub out_of_image: usize,
}

/// Looks up the cell under each point: `cells[i] = labels[trunc(ys[i] / scale),
/// trunc(xs[i] / scale)]`, or [`OUT_OF_IMAGE`] (see the [module docs](self)).
///
/// `scale` is the points' unit per pixel (µm per pixel for Xenium, 1.0 for
/// pixel coordinates). To give background points the nearest cell within a
/// radius, pass the map from [`nearest_cell_map`] as `labels`: distances are
/// then measured from the centre of the point's pixel, and the radius is in
/// pixels (µm / `scale`).
///
/// Errors: `xs`/`ys` of different lengths ([`Error::ShapeMismatch`]),
/// `cells` shorter than the points ([`Error::BufferTooSmall`]), a scale that
/// is not finite and positive ([`Error::InvalidArgument`]) — all before
/// anything is written, `cells` is then untouched — and a negative label or
/// one above [`MAX_CELL`] under a point ([`Error::LabelOutOfRange`], found
/// while writing: `cells[..xs.len()]` is then **reset** to
/// [`OUT_OF_IMAGE`], never left with a partial result).
///
/// ```
/// use cellmap_core::{Grid, assign::assign_points};
/// // 2×2 pixels of 0.5 µm; points in µm.
/// let labels = Grid::new(2, 2, &[
///     1i32, 0,
///     0,    2,
/// ][..])?;
/// let mut cells = [0u32; 3];
/// assign_points(labels, &[0.1f64, 0.9, 0.6], &[0.4f64, 0.9, 0.1], 0.5, &mut cells)?;
/// assert_eq!(cells, [1, 2, 0]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn assign_points<L: Label, F: Coordinate>(
    labels: Grid<'_, L>,
    xs: &[F],
    ys: &[F],
    scale: F,
    cells: &mut [u32],
) -> Result<AssignSummary, Error> {
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch { expected: xs.len(), got: ys.len() });
    }
    ensure_len("cells", cells, xs.len())?;
    if !scale.is_valid_scale() {
        return Err(Error::InvalidArgument("scale must be finite and > 0"));
    }
    let cells = cells.get_mut(..xs.len()).unwrap_or_default();
    let result = assign_checked(labels, xs, ys, scale, cells);
    if result.is_err() {
        cells.fill(OUT_OF_IMAGE);
    }
    result
}

/// [`assign_points`] on checked arguments; `cells` holds one slot per point.
fn assign_checked<L: Label, F: Coordinate>(
    labels: Grid<'_, L>,
    xs: &[F],
    ys: &[F],
    scale: F,
    cells: &mut [u32],
) -> Result<AssignSummary, Error> {
    let (width, height, pixels) = (labels.width(), labels.height(), labels.as_slice());
    let mut summary = AssignSummary::default();
    for ((cell, &x), &y) in cells.iter_mut().zip(xs).zip(ys) {
        let pixel = match (x.pixel(scale, width), y.pixel(scale, height)) {
            (Some(col), Some(row)) => pixels.get(row * width + col),
            _ => None,
        };
        *cell = match pixel {
            Some(pixel) => {
                let label = pixel.index();
                if label > MAX_CELL {
                    return Err(Error::LabelOutOfRange { label, max: MAX_CELL });
                }
                if label == 0 {
                    summary.background += 1;
                } else {
                    summary.in_cells += 1;
                }
                label as u32
            }
            None => {
                summary.out_of_image += 1;
                OUT_OF_IMAGE
            }
        };
    }
    Ok(summary)
}

/// Scratch `u32` elements [`nearest_cell_map`] needs for a `width × height`
/// image: `width · height + 3 · width` (saturating, so an impossible size
/// fails the length check instead of wrapping).
///
/// ```
/// assert_eq!(cellmap_core::assign::nearest_cell_map_scratch_len(4, 3), 24);
/// ```
pub const fn nearest_cell_map_scratch_len(width: usize, height: usize) -> usize {
    width.saturating_mul(height).saturating_add(width.saturating_mul(3))
}

/// The largest width or height [`nearest_cell_map`] accepts, 2²⁶: squared
/// distances then stay below 2⁵³, so the integer arithmetic cannot overflow
/// and the comparison with `radius²` in `f64` is exact.
///
/// ```
/// use cellmap_core::{Error, Grid, assign::{nearest_cell_map, MAX_NEAREST_SIDE}};
/// let too_wide = Grid::new(MAX_NEAREST_SIDE + 1, 0, &[0u8; 0][..])?;
/// assert!(matches!(
///     nearest_cell_map(too_wide, 1.0, &mut [], &mut []),
///     Err(Error::DimensionsTooLarge { .. })
/// ));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub const MAX_NEAREST_SIDE: usize = 1 << 26;

/// "No foreground pixel in this column" in the vertical pass.
const FAR: u32 = u32::MAX;

/// For every pixel, the label of the nearest cell pixel within `radius`
/// pixels, or 0 when there is none: `nearest[p]` is the label of the cell
/// pixel `q` minimising the squared Euclidean distance `d²(p, q)` between
/// pixel centres, ties broken by the **smallest label**, provided
/// `d² ≤ radius²` (compared in `f64`). Cell pixels map to their own label.
///
/// Computed once per label image in O(pixels) — a vertical pass and
/// Meijster's lower-envelope row pass, both on the key `(d², label)` so that
/// ties are resolved exactly — after which [`assign_points`] on the map
/// assigns each point in O(1). `radius` may be `f64::INFINITY` (always the
/// nearest cell, if any) or 0 (no reassignment).
///
/// Needs `nearest.len() == width · height` and
/// `scratch.len() ≥` [`nearest_cell_map_scratch_len`]. Errors
/// ([`Error::BufferTooSmall`], [`Error::ShapeMismatch`],
/// [`Error::InvalidArgument`] for a NaN or negative radius,
/// [`Error::DimensionsTooLarge`] for a side above [`MAX_NEAREST_SIDE`],
/// [`Error::LabelOutOfRange`] for a negative label or one above
/// [`MAX_CELL`]) are returned before anything is written.
///
/// ```
/// use cellmap_core::{Grid, assign::{assign_points, nearest_cell_map, nearest_cell_map_scratch_len}};
/// let labels = Grid::new(7, 3, &[
///     1u16, 0, 0, 0, 0, 0, 2,
///     0,    0, 0, 0, 0, 0, 0,
///     0,    0, 0, 0, 0, 0, 0,
/// ][..])?;
/// let mut nearest = [0u32; 21];
/// let mut scratch = [0u32; nearest_cell_map_scratch_len(7, 3)];
/// nearest_cell_map(labels, 3.0, &mut nearest, &mut scratch)?;
/// assert_eq!(nearest, [
///     1, 1, 1, 1, 2, 2, 2, // (0, 3) is 3 px from both cells: the smaller label
///     1, 1, 1, 0, 2, 2, 2, // (1, 3) is √10 ≈ 3.16 px away: beyond the radius
///     1, 1, 1, 0, 2, 2, 2,
/// ]);
/// // Then points are assigned in O(1) each:
/// let map = Grid::new(7, 3, &nearest[..])?;
/// let mut cells = [0u32; 2];
/// assign_points(map, &[2.5f32, 3.5], &[2.5f32, 2.5], 1.0, &mut cells)?;
/// assert_eq!(cells, [1, 0]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn nearest_cell_map<L: Label>(
    labels: Grid<'_, L>,
    radius: f64,
    nearest: &mut [u32],
    scratch: &mut [u32],
) -> Result<(), Error> {
    let (width, height, pixels) = (labels.width(), labels.height(), labels.as_slice());
    if nearest.len() != pixels.len() {
        return Err(Error::ShapeMismatch { expected: pixels.len(), got: nearest.len() });
    }
    if width > MAX_NEAREST_SIDE || height > MAX_NEAREST_SIDE {
        return Err(Error::DimensionsTooLarge { width, height });
    }
    ensure_len("scratch", scratch, nearest_cell_map_scratch_len(width, height))?;
    if radius.is_nan() || radius < 0.0 {
        return Err(Error::InvalidArgument("radius must be >= 0 (or infinite)"));
    }
    max_label(pixels, MAX_CELL)?;
    if pixels.is_empty() {
        return Ok(());
    }
    let (vertical, rows) = scratch.split_at_mut(pixels.len());
    vertical_pass(pixels, width, nearest, vertical, rows);
    let radius_sq = radius * radius;
    let (columns, rest) = rows.split_at_mut(width);
    let (starts, rest) = rest.split_at_mut(width);
    let site_labels = &mut rest[..width];
    for (nearest_row, vertical_row) in nearest.chunks_exact_mut(width).zip(vertical.chunks_exact(width)) {
        row_pass(nearest_row, vertical_row, radius_sq, columns, starts, site_labels);
    }
    Ok(())
}

/// For every pixel, the vertical distance to the nearest cell pixel in its
/// column (`FAR` if the column has none) into `distance`, and that pixel's
/// label (the smallest when one above and one below are equally near) into
/// `label`. Row-major sweeps down, then up; `below` holds `2 · width`.
fn vertical_pass<L: Label>(
    pixels: &[L],
    width: usize,
    label: &mut [u32],
    distance: &mut [u32],
    below: &mut [u32],
) {
    let mut previous: Option<(&[u32], &[u32])> = None;
    let rows =
        pixels.chunks_exact(width).zip(label.chunks_exact_mut(width).zip(distance.chunks_exact_mut(width)));
    for (pixel_row, (label_row, distance_row)) in rows {
        for c in 0..width {
            let own = pixel_row[c].index() as u32;
            let (d, l) = match previous {
                _ if own != 0 => (0, own),
                Some((above_d, above_l)) if above_d[c] != FAR => (above_d[c] + 1, above_l[c]),
                _ => (FAR, 0),
            };
            distance_row[c] = d;
            label_row[c] = l;
        }
        previous = Some((distance_row, label_row));
    }
    let (below_d, below_l) = below.split_at_mut(width);
    below_d.fill(FAR);
    below_l[..width].fill(0);
    let rows =
        pixels.chunks_exact(width).zip(label.chunks_exact_mut(width).zip(distance.chunks_exact_mut(width)));
    for (pixel_row, (label_row, distance_row)) in rows.rev() {
        for c in 0..width {
            let own = pixel_row[c].index() as u32;
            if own != 0 {
                below_d[c] = 0;
                below_l[c] = own;
            } else if below_d[c] != FAR {
                below_d[c] += 1;
                if below_d[c] < distance_row[c]
                    || (below_d[c] == distance_row[c] && below_l[c] < label_row[c])
                {
                    distance_row[c] = below_d[c];
                    label_row[c] = below_l[c];
                }
            }
        }
    }
}

/// One row of the exact nearest-site transform (Meijster et al. 2000,
/// second phase) on the key `(d², label)`: the sites are the columns `u`
/// with a cell pixel in them (vertical distance `g_u`, label `l_u`); pixel
/// `x` takes the site minimising `((x − u)² + g_u², l_u)` lexicographically.
///
/// For sites `i < u` the set of `x` where `u` is strictly better than `i` is
/// a half-line `[w, ∞)`: `d_i² − d_u² = 2x(u − i) − num` with
/// `num = u² − i² + g_u² − g_i²` grows strictly with `x`, so `u` wins from
/// the first `x` where it is positive, or one earlier when it is exactly
/// zero there and `l_u < l_i`. That half-line property is all the lower
/// envelope needs, so ties are exact, not an accident of scan order.
fn row_pass(
    label_row: &mut [u32],
    vertical_row: &[u32],
    radius_sq: f64,
    columns: &mut [u32],
    starts: &mut [u32],
    site_labels: &mut [u32],
) {
    let width = label_row.len();
    let key = |x: i64, u: u32, l: u32| -> (i64, u32) {
        let g = i64::from(vertical_row[u as usize]);
        let dx = x - i64::from(u);
        (dx * dx + g * g, l)
    };
    let mut top = 0usize; // sites on the stack
    for u in 0..width {
        let g_u = vertical_row[u];
        if g_u == FAR {
            continue;
        }
        let l_u = label_row[u];
        let u32_u = u as u32;
        while top > 0 {
            let (i, t) = (columns[top - 1], starts[top - 1]);
            if key(i64::from(t), u32_u, l_u) < key(i64::from(t), i, site_labels[top - 1]) {
                top -= 1;
            } else {
                break;
            }
        }
        if top == 0 {
            columns[0] = u32_u;
            starts[0] = 0;
            site_labels[0] = l_u;
            top = 1;
            continue;
        }
        let i = columns[top - 1];
        let (ii, uu) = (i64::from(i), u as i64);
        let (g_i, g_u) = (i64::from(vertical_row[i as usize]), i64::from(g_u));
        let num = uu * uu - ii * ii + g_u * g_u - g_i * g_i;
        let den = 2 * (uu - ii);
        let mut first = num.div_euclid(den) + 1;
        if num.rem_euclid(den) == 0 && l_u < site_labels[top - 1] {
            first -= 1;
        }
        if first < width as i64 {
            columns[top] = u32_u;
            starts[top] = first as u32;
            site_labels[top] = l_u;
            top += 1;
        }
    }
    for x in (0..width).rev() {
        if top == 0 {
            label_row[x] = 0;
            continue;
        }
        let (d_sq, l) = key(x as i64, columns[top - 1], site_labels[top - 1]);
        label_row[x] = if (d_sq as f64) <= radius_sq { l } else { 0 };
        if x as u32 == starts[top - 1] {
            top -= 1;
        }
    }
}

/// Adds one to `counts[cell · n_genes + gene]` for every pair
/// `(cells[i], genes[i])`; pairs whose cell is [`OUT_OF_IMAGE`] are
/// skipped. Returns the number of pairs counted in cells (not background).
///
/// `counts` is the `(n_cells + 1) × n_genes` table indexed by label, as the
/// `stats` kernels lay out theirs: row `c` for cell `c`, and row 0 counts
/// the transcripts on background. It is **added to** (counts saturate at
/// `u32::MAX`), so a large transcript table can be counted in chunks; zero
/// it for a fresh table.
///
/// Errors, all before anything is written: `cells`/`genes` of different
/// lengths ([`Error::ShapeMismatch`]), `counts` shorter than
/// `(n_cells + 1) · n_genes` ([`Error::BufferTooSmall`]), a cell above
/// `n_cells` ([`Error::LabelOutOfRange`]), a gene `≥ n_genes`
/// ([`Error::InvalidArgument`]).
///
/// ```
/// use cellmap_core::assign::{count_cell_genes, OUT_OF_IMAGE};
/// let cells = [1u32, 2, 1, 0, OUT_OF_IMAGE, 1];
/// let genes = [0u32, 2, 0, 1, 1,            2];
/// let mut counts = [0u32; 3 * 3]; // background + 2 cells, 3 genes
/// assert_eq!(count_cell_genes(&cells, &genes, 2, 3, &mut counts)?, 4);
/// assert_eq!(counts, [
///     0, 1, 0, // background
///     2, 0, 1, // cell 1
///     0, 0, 1, // cell 2
/// ]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn count_cell_genes(
    cells: &[u32],
    genes: &[u32],
    n_cells: usize,
    n_genes: usize,
    counts: &mut [u32],
) -> Result<usize, Error> {
    if cells.len() != genes.len() {
        return Err(Error::ShapeMismatch { expected: cells.len(), got: genes.len() });
    }
    let needed = n_cells
        .checked_add(1)
        .and_then(|rows| rows.checked_mul(n_genes))
        .ok_or(Error::DimensionsTooLarge { width: n_genes, height: n_cells })?;
    ensure_len("counts", counts, needed)?;
    for (&cell, &gene) in cells.iter().zip(genes) {
        if cell != OUT_OF_IMAGE && cell as usize > n_cells {
            return Err(Error::LabelOutOfRange { label: cell as usize, max: n_cells });
        }
        if gene as usize >= n_genes {
            return Err(Error::InvalidArgument("gene index >= n_genes"));
        }
    }
    let mut in_cells = 0;
    for (&cell, &gene) in cells.iter().zip(genes) {
        if cell != OUT_OF_IMAGE {
            let slot = &mut counts[cell as usize * n_genes + gene as usize];
            *slot = slot.saturating_add(1);
            in_cells += usize::from(cell != BACKGROUND);
        }
    }
    Ok(in_cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// Parses digit pictures (`.` = 0) into a label image.
    fn picture(rows: &[&str]) -> (usize, usize, Vec<u32>) {
        let width = rows.first().map_or(0, |r| r.len());
        let data = rows
            .iter()
            .flat_map(|r| r.chars().map(|ch| if ch == '.' { 0 } else { ch.to_digit(36).unwrap_or(0) }))
            .collect();
        (width, rows.len(), data)
    }

    fn render(width: usize, map: &[u32]) -> Vec<std::string::String> {
        map.chunks(width.max(1))
            .map(|row| {
                row.iter()
                    .map(|&l| if l == 0 { '.' } else { std::char::from_digit(l, 36).unwrap_or('?') })
                    .collect()
            })
            .collect()
    }

    fn nearest(rows: &[&str], radius: f64) -> Vec<std::string::String> {
        let (w, h, data) = picture(rows);
        let mut map = vec![0u32; w * h];
        let mut scratch = vec![0u32; nearest_cell_map_scratch_len(w, h)];
        nearest_cell_map(Grid::new(w, h, &data[..]).unwrap(), radius, &mut map, &mut scratch).unwrap();
        render(w, &map)
    }

    /// The definition, by brute force over all cell pixels.
    fn brute_nearest(w: usize, h: usize, data: &[u32], radius: f64) -> Vec<u32> {
        let mut out = vec![0u32; w * h];
        for (p, slot) in out.iter_mut().enumerate() {
            let (pr, pc) = ((p / w) as i64, (p % w) as i64);
            let mut best: Option<(i64, u32)> = None;
            for (q, &l) in data.iter().enumerate().filter(|(_, l)| **l != 0) {
                let (qr, qc) = ((q / w) as i64, (q % w) as i64);
                let key = ((pr - qr).pow(2) + (pc - qc).pow(2), l);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
            if let Some((d_sq, l)) = best {
                if (d_sq as f64) <= radius * radius {
                    *slot = l;
                }
            }
        }
        out
    }

    #[test]
    fn lookup_uses_truncation_and_reports_outside_points() {
        let (w, h, data) = picture(&["12", "34"]);
        let g = Grid::new(w, h, &data[..]).unwrap();
        let xs = [0.0f32, 1.999, 0.5, -0.0, -1e-7, 2.0, f32::NAN, f32::INFINITY, 0.5];
        let ys = [0.0f32, 1.999, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, f32::NEG_INFINITY];
        let mut cells = [7u32; 9];
        let s = assign_points(g, &xs, &ys, 1.0, &mut cells).unwrap();
        let o = OUT_OF_IMAGE;
        assert_eq!(cells, [1, 4, 3, 1, o, o, o, o, o]);
        assert_eq!(s, AssignSummary { in_cells: 4, background: 0, out_of_image: 5 });
    }

    #[test]
    fn huge_coordinates_and_tiny_scales_never_wrap() {
        let data = [1u8; 4];
        let g = Grid::new(2, 2, &data[..]).unwrap();
        let mut cells = [0u32; 3];
        assign_points(g, &[1e300f64, 4.0e9, 1.0], &[0.0f64, 0.0, 1.0], 1e-300, &mut cells).unwrap();
        assert_eq!(cells, [OUT_OF_IMAGE; 3]);
    }

    #[test]
    fn empty_images_put_every_point_outside() {
        let g = Grid::new(0, 5, &[0u8; 0][..]).unwrap();
        let mut cells = [0u32; 1];
        assign_points(g, &[0.0f32], &[0.0f32], 1.0, &mut cells).unwrap();
        assert_eq!(cells, [OUT_OF_IMAGE]);
        let mut map = [0u32; 0];
        nearest_cell_map(g, 1.0, &mut map, &mut []).unwrap();
    }

    #[test]
    fn bad_arguments_are_rejected_before_writing() {
        let data = [1i32, -2];
        let g = Grid::new(2, 1, &data[..]).unwrap();
        let mut cells = [9u32; 2];
        assert!(matches!(
            assign_points(g, &[0.0f32], &[0.0f32, 1.0], 1.0, &mut cells),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            assign_points(g, &[0.0f32; 3], &[0.0f32; 3], 1.0, &mut cells),
            Err(Error::BufferTooSmall { buffer: "cells", needed: 3, got: 2 })
        ));
        for scale in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
            assert!(matches!(
                assign_points(g, &[0.0f32], &[0.0f32], scale, &mut cells),
                Err(Error::InvalidArgument(_))
            ));
        }
        assert_eq!(cells, [9, 9]);
        assert_eq!(
            assign_points(g, &[0.0f32, 1.0], &[0.0f32; 2], 1.0, &mut cells),
            Err(Error::LabelOutOfRange { label: usize::MAX, max: MAX_CELL })
        );
        assert_eq!(cells, [OUT_OF_IMAGE; 2], "reset, not partly written, on a label error");
        let mut map = [5u32; 2];
        let mut scratch = [0u32; 8];
        assert!(matches!(
            nearest_cell_map(g, 1.0, &mut map, &mut scratch),
            Err(Error::LabelOutOfRange { .. })
        ));
        let ok = [1i32, 0];
        let g = Grid::new(2, 1, &ok[..]).unwrap();
        assert!(matches!(nearest_cell_map(g, -1.0, &mut map, &mut scratch), Err(Error::InvalidArgument(_))));
        assert!(matches!(
            nearest_cell_map(g, f64::NAN, &mut map, &mut scratch),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            nearest_cell_map(g, 1.0, &mut map, &mut scratch[..7]),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: 8, got: 7 })
        ));
        assert!(matches!(
            nearest_cell_map(g, 1.0, &mut map[..1], &mut scratch),
            Err(Error::ShapeMismatch { .. })
        ));
        assert_eq!(map, [5, 5]);
        let wide = Grid::new(MAX_NEAREST_SIDE + 1, 0, &[0u8; 0][..]).unwrap();
        assert!(matches!(
            nearest_cell_map(wide, 1.0, &mut [], &mut []),
            Err(Error::DimensionsTooLarge { .. })
        ));
        let too_big = [u32::MAX, 0];
        let g = Grid::new(2, 1, &too_big[..]).unwrap();
        assert_eq!(
            nearest_cell_map(g, 1.0, &mut map, &mut scratch),
            Err(Error::LabelOutOfRange { label: u32::MAX as usize, max: MAX_CELL })
        );
    }

    #[test]
    fn nearest_map_of_a_ring_of_cells() {
        assert_eq!(
            nearest(&["1.......", "........", "...3....", "........", ".......2"], f64::INFINITY),
            ["11133332", "11333322", "13333322", "13333222", "33333222"].map(std::string::String::from)
        );
    }

    #[test]
    fn nearest_ties_take_the_smallest_label() {
        // The middle column is equally far from both cells, in every row.
        assert_eq!(nearest(&["5...2", ".....", "....."], 10.0), ["55222", "55222", "55222"]);
        // Diagonal tie: (1, 1) is √2 from 9 and from 4, and 1 from nothing else.
        assert_eq!(nearest(&["9..", "...", "..4"], 1.5), ["99.", "944", ".44"]);
        // Vertical tie inside one column, larger label above.
        assert_eq!(nearest(&["7", ".", "3"], 1.0), ["7", "3", "3"]);
    }

    #[test]
    fn radius_bounds_the_reassignment() {
        let rows = ["..1..", ".....", "....."];
        assert_eq!(nearest(&rows, 0.0), ["..1..", ".....", "....."]);
        assert_eq!(nearest(&rows, 1.0), [".111.", "..1..", "....."]);
        assert_eq!(nearest(&rows, 2.0f64.sqrt()), [".111.", ".111.", "....."]);
        assert_eq!(nearest(&rows, 2.0), ["11111", ".111.", "..1.."]);
        assert_eq!(nearest(&[".....", "....."], f64::INFINITY), [".....", "....."]);
    }

    #[test]
    fn counts_validate_every_pair_before_adding() {
        let mut counts = [1u32; 4];
        assert_eq!(
            count_cell_genes(&[1, 2], &[0, 0], 1, 2, &mut counts),
            Err(Error::LabelOutOfRange { label: 2, max: 1 })
        );
        assert!(matches!(
            count_cell_genes(&[1, 0], &[0, 2], 1, 2, &mut counts),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            count_cell_genes(&[1], &[0, 2], 1, 2, &mut counts),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            count_cell_genes(&[], &[], 2, 2, &mut counts),
            Err(Error::BufferTooSmall { buffer: "counts", needed: 6, got: 4 })
        ));
        assert!(matches!(
            count_cell_genes(&[], &[], usize::MAX, 2, &mut counts),
            Err(Error::DimensionsTooLarge { .. })
        ));
        assert_eq!(counts, [1; 4]);
        let mut full = [0, u32::MAX];
        assert_eq!(count_cell_genes(&[1, 0], &[0, 0], 1, 1, &mut full), Ok(1));
        assert_eq!(full, [1, u32::MAX]);
    }

    fn label_image() -> impl Strategy<Value = (usize, usize, Vec<u32>)> {
        (1usize..12, 1usize..12).prop_flat_map(|(w, h)| {
            // Sparse cells with few distinct labels so that ties are common.
            let pixel = prop_oneof![6 => Just(0u32), 1 => 1u32..4, 1 => 4u32..7];
            (Just(w), Just(h), proptest::collection::vec(pixel, w * h))
        })
    }

    proptest! {
        #[test]
        fn nearest_map_equals_brute_force(
            (w, h, data) in label_image(),
            radius in prop_oneof![Just(f64::INFINITY), 0.0f64..6.0, (0u32..30).prop_map(|r2| f64::from(r2).sqrt())],
        ) {
            let mut map = vec![0u32; w * h];
            let mut scratch = vec![0u32; nearest_cell_map_scratch_len(w, h)];
            nearest_cell_map(Grid::new(w, h, &data[..]).unwrap(), radius, &mut map, &mut scratch).unwrap();
            prop_assert_eq!(map, brute_nearest(w, h, &data, radius));
        }

        #[test]
        fn nearest_assignment_of_points_equals_brute_force(
            (w, h, data) in label_image(),
            points in proptest::collection::vec((-2.0f64..14.0, -2.0f64..14.0), 0..30),
            radius in prop_oneof![Just(f64::INFINITY), 0.0f64..5.0],
        ) {
            let mut map = vec![0u32; w * h];
            let mut scratch = vec![0u32; nearest_cell_map_scratch_len(w, h)];
            nearest_cell_map(Grid::new(w, h, &data[..]).unwrap(), radius, &mut map, &mut scratch).unwrap();
            let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
            let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
            let mut cells = vec![0u32; points.len()];
            assign_points(Grid::new(w, h, &map[..]).unwrap(), &xs, &ys, 1.0, &mut cells).unwrap();
            let reference = brute_nearest(w, h, &data, radius);
            for (i, &(x, y)) in points.iter().enumerate() {
                let inside = x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h;
                let expected = if inside { reference[y as usize * w + x as usize] } else { OUT_OF_IMAGE };
                prop_assert_eq!(cells[i], expected, "point ({}, {})", x, y);
            }
        }

        #[test]
        fn lookup_equals_truncated_indexing(
            (w, h, data) in label_image(),
            points in proptest::collection::vec((-3.0f64..15.0, -3.0f64..15.0), 0..40),
            scale in prop_oneof![Just(1.0f64), 0.1f64..3.0],
        ) {
            let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
            let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
            let mut cells = vec![0u32; points.len()];
            assign_points(Grid::new(w, h, &data[..]).unwrap(), &xs, &ys, scale, &mut cells).unwrap();
            for (i, &(x, y)) in points.iter().enumerate() {
                let (c, r) = (x / scale, y / scale);
                let expected = if c >= 0.0 && r >= 0.0 && (c as usize) < w && (r as usize) < h {
                    data[r as usize * w + c as usize]
                } else {
                    OUT_OF_IMAGE
                };
                prop_assert_eq!(cells[i], expected);
            }
        }
    }
}
