//! Polygons → label image: scanline rasterisation with exactly the pixels
//! `skimage.draw.polygon` (scikit-image 0.26) gives.
//!
//! # The pixel rule
//!
//! Vertices are `[x, y]` pairs of `f64` in **pixel units whose integers are
//! pixel centres**: pixel (row `r`, column `c`) has its centre at
//! `x = c`, `y = r` — the convention of `skimage.draw.polygon(r, c)`, which
//! takes the rows as `y` and the columns as `x`. (A frame in which pixel `c`
//! spans `[c, c + 1)` — transcripts, µm / pixel size, QuPath — is this one
//! shifted by half a pixel: subtract `0.5` from both coordinates first.)
//!
//! A pixel belongs to a ring when its centre is **inside or on the
//! boundary**, decided as skimage's `point_in_polygon` decides it
//! (O'Rourke's crossing test, operation for operation in `f64`): with
//! `x0 = xi - c`, `y0 = yi - r` for each vertex,
//!
//! * the centre is on a vertex when `|x0| < 1e-12` and `|y0| < 1e-12`;
//! * an edge from vertex `j` to vertex `i` counts as a right crossing when
//!   `(y0 > 0) != (y1 > 0)` and `(x0 * y1 - x1 * y0) / (y1 - y0) > 0`, and
//!   as a left crossing when `(y0 < 0) != (y1 < 0)` and the same value is
//!   `< 0`;
//! * the centre is in when it is on a vertex or either count is odd (odd
//!   and odd: inside; different parities: on an edge).
//!
//! So, like skimage:
//!
//! * the boundary is part of the polygon: centres on an edge or a vertex
//!   are in, and **two polygons that share an edge both take the pixels
//!   whose centres are on it** (the later one keeps them, see below);
//! * rings close themselves (a repeated first vertex adds nothing);
//!   a ring of one or two vertices (or of zero area) paints only the
//!   pixels whose centres are its vertices;
//! * self-intersecting rings are even-odd filled.
//!
//! A polygon may have several rings (its outer boundary and holes, or the
//! parts of a multipolygon): its pixels are those in an **odd number of
//! its rings** — the XOR of the rings' `skimage.draw.polygon` masks — so
//! a hole inside the outer ring is left out (its boundary with it, as the
//! hole's own boundary pixels are in both rings), and a ring inside a hole
//! is filled again.
//!
//! Polygons are painted in call order: **a later polygon overwrites an
//! earlier one** where they overlap (as `image[skimage.draw.polygon(r, c,
//! image.shape)] = label` in a loop).
//!
//! # How
//!
//! Row by row, the crossings of the edges with the row are computed and
//! sorted; a column at least one pixel away from every crossing and every
//! vertex of a nearby row takes the parity of the crossings to its right
//! (rounding in skimage's expression is far below a pixel for coordinates
//! up to [`MAX_COORDINATE`]); the few columns near one are decided by
//! skimage's full test over all rings. Work per row: the edges, plus the
//! vertices for a handful of columns per crossing (and for every column of
//! a row that holds a horizontal edge).
//!
//! ```
//! use cellmap_core::polygon::{fill_polygon, fill_polygon_scratch_len};
//! // A triangle, then a square with a square hole over it, on a 7×5 image.
//! let mut labels = [0i32; 7 * 5];
//! let mut scratch = [0.0f64; fill_polygon_scratch_len(8)];
//! let triangle = [[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]];
//! fill_polygon(&mut labels, 7, 5, &triangle, &[3], 1, &mut scratch)?;
//! let square_with_hole = [
//!     [2.0, 0.0], [6.0, 0.0], [6.0, 3.0], [2.0, 3.0], // outer, on pixel centres
//!     [3.5, 0.5], [4.5, 0.5], [4.5, 2.5], [3.5, 2.5], // hole: pixels (1, 4), (2, 4)
//! ];
//! fill_polygon(&mut labels, 7, 5, &square_with_hole, &[4, 8], 2, &mut scratch)?;
//! let shown: String = labels.iter().map(|&l| b".12"[l as usize] as char).collect();
//! assert_eq!(shown, [
//!     "1122222",
//!     "1122.22",
//!     "1122.22",
//!     "1.22222",
//!     ".......",
//! ].concat());
//! # Ok::<(), cellmap_core::Error>(())
//! ```

use crate::error::ensure_len;
use crate::{Error, Label};

/// The largest vertex coordinate accepted, in absolute value (`2^40`
/// pixels): far beyond any image, and small enough that skimage's
/// expression is accurate to far better than a pixel.
pub const MAX_COORDINATE: f64 = 1_099_511_627_776.0;

/// Both ends of an edge closer than this to a row: the row is decided by
/// the full test (an edge on the row, or one whose products underflow).
const ON_ROW: f64 = 1e-200;

/// Vertices closer than this to a row may be on a centre of it (skimage's
/// tolerance, `1e-12`, with room to spare); farther ones act through their
/// edges' crossings only.
const NEAR_ROW: f64 = 1e-9;

/// skimage's tolerance for a centre on a vertex.
const VERTEX_EPS: f64 = 1e-12;

/// Number of `f64` scratch elements [`fill_polygon`] needs for a polygon of
/// `n_vertices` vertices (all rings together): three per vertex (right
/// crossings, left crossings and nearby vertices of a row). Saturates at
/// `usize::MAX`.
///
/// ```
/// assert_eq!(cellmap_core::polygon::fill_polygon_scratch_len(5), 15);
/// ```
pub const fn fill_polygon_scratch_len(n_vertices: usize) -> usize {
    n_vertices.saturating_mul(3)
}

/// Paints `label` into the `width × height` row-major image `labels` at
/// every pixel that `skimage.draw.polygon` gives for the polygon (see the
/// [module docs](self) for the rule), and returns the number of pixels
/// painted.
///
/// `vertices` holds the rings one after the other; `ring_ends[k]` is the
/// end (exclusive) of ring `k` in `vertices`, so one ring is
/// `ring_ends = [vertices.len()]`. `scratch` needs
/// [`fill_polygon_scratch_len`]`(vertices.len())` elements. Any `label`
/// value is written as given (`0` erases).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `labels` does not hold `width * height`
/// values, [`Error::BufferTooSmall`] for a short `scratch`,
/// [`Error::InvalidArgument`] for `ring_ends` that decrease or do not end at
/// `vertices.len()`, and for a NaN, infinite or larger than
/// [`MAX_COORDINATE`] vertex coordinate. `labels` is untouched on error.
pub fn fill_polygon<L: Label>(
    labels: &mut [L],
    width: usize,
    height: usize,
    vertices: &[[f64; 2]],
    ring_ends: &[usize],
    label: L,
    scratch: &mut [f64],
) -> Result<usize, Error> {
    let pixels = crate::grid::pixel_count(width, height)?;
    if labels.len() != pixels {
        return Err(Error::ShapeMismatch { expected: pixels, got: labels.len() });
    }
    let n = vertices.len();
    ensure_len("scratch", scratch, fill_polygon_scratch_len(n))?;
    let mut start = 0usize;
    for &end in ring_ends {
        if end < start {
            return Err(Error::InvalidArgument("ring_ends must not decrease"));
        }
        start = end;
    }
    if start != n {
        return Err(Error::InvalidArgument("the last of ring_ends must be the number of vertices"));
    }
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for v in vertices {
        for k in 0..2 {
            if v[k].is_nan() || v[k].abs() > MAX_COORDINATE {
                return Err(Error::InvalidArgument("polygon vertex not finite or beyond MAX_COORDINATE"));
            }
            lo[k] = lo[k].min(v[k]);
            hi[k] = hi[k].max(v[k]);
        }
    }
    if n == 0 || width == 0 || height == 0 {
        return Ok(0);
    }
    // skimage's bounding box: int(max(0, min)) ..= min(size - 1, ceil(max)).
    let (col_lo, col_end) = (floor_index(lo[0], width), ceil_index(hi[0], width - 1).saturating_add(1));
    let (row_lo, row_end) = (floor_index(lo[1], height), ceil_index(hi[1], height - 1).saturating_add(1));
    if hi[0] <= -1.0 || hi[1] <= -1.0 {
        return Ok(0); // skimage: ceil(max) < 0, an empty range
    }
    let (rights, rest) = scratch.split_at_mut(n);
    let (lefts, near) = rest.split_at_mut(n);
    let mut painted = 0usize;
    for row in row_lo..row_end {
        let y = row as f64;
        let (mut nr, mut nl, mut nv) = (0usize, 0usize, 0usize);
        // A horizontal edge on the row: the centres along it are on the
        // boundary, away from any crossing; the row is then decided by the
        // full test everywhere. (So is an edge within ON_ROW of the row,
        // where subnormal products make the crossing unreliable.)
        let mut on_edge = false;
        let mut ring_start = 0usize;
        for &ring_end in ring_ends {
            let ring = &vertices[ring_start..ring_end];
            ring_start = ring_end;
            let Some(&[xl, yl]) = ring.last() else { continue };
            let (mut x1, mut y1) = (xl, yl - y);
            for &[xi, yi] in ring {
                let (x0, y0) = (xi, yi - y);
                if y0.abs() < NEAR_ROW {
                    near[nv] = x0;
                    nv += 1;
                }
                let right = (y0 > 0.0) != (y1 > 0.0);
                let left = (y0 < 0.0) != (y1 < 0.0);
                on_edge |= y0.abs() < ON_ROW && y1.abs() < ON_ROW;
                if right || left {
                    // Where the edge meets the row (the column c at which
                    // skimage's value changes sign), to well within a pixel.
                    let at = (x0 * y1 - x1 * y0) / (y1 - y0);
                    if right {
                        rights[nr] = at;
                        nr += 1;
                    }
                    if left {
                        lefts[nl] = at;
                        nl += 1;
                    }
                }
                (x1, y1) = (x0, y0);
            }
        }
        if nr == 0 && nl == 0 && nv == 0 {
            continue;
        }
        let (rights, lefts, near) = (&mut rights[..nr], &mut lefts[..nl], &mut near[..nv]);
        rights.sort_unstable_by(f64::total_cmp);
        lefts.sort_unstable_by(f64::total_cmp);
        near.sort_unstable_by(f64::total_cmp);
        // Only columns within a pixel of an event can be in: every ring
        // has an even number of right crossings, so columns beyond all of
        // them have none or all to their right.
        let events = [rights.first(), rights.last(), lefts.first(), lefts.last(), near.first(), near.last()];
        let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
        for &e in events.iter().flatten() {
            first = first.min(*e);
            last = last.max(*e);
        }
        let from = floor_index(first - 1.0, width).max(col_lo);
        let to = ceil_index(last + 1.0, width - 1).saturating_add(1).min(col_end);
        let out = &mut labels[row * width..(row + 1) * width];
        let (mut r_lo, mut r_hi, mut l_hi, mut v_lo, mut v_hi) = (0, 0, 0, 0, 0);
        for (col, pixel) in out.iter_mut().enumerate().take(to).skip(from) {
            let x = col as f64;
            // Events in (x - 1, x + 1) make the column uncertain.
            while r_lo < nr && rights[r_lo] <= x - 1.0 {
                r_lo += 1;
            }
            while r_hi < nr && rights[r_hi] < x + 1.0 {
                r_hi += 1;
            }
            while l_hi < nl && lefts[l_hi] < x + 1.0 {
                l_hi += 1;
            }
            let l_lo = lefts[..l_hi].partition_point(|&e| e <= x - 1.0);
            while v_lo < nv && near[v_lo] <= x - 1.0 {
                v_lo += 1;
            }
            while v_hi < nv && near[v_hi] < x + 1.0 {
                v_hi += 1;
            }
            let inside = if !on_edge && r_lo == r_hi && l_lo == l_hi && v_lo == v_hi {
                (nr - r_hi) % 2 == 1
            } else {
                in_polygon(vertices, ring_ends, x, y)
            };
            if inside {
                *pixel = label;
                painted += 1;
            }
        }
    }
    Ok(painted)
}

/// skimage's `point_in_polygon` (nonzero: inside, vertex or edge), XORed
/// over the rings.
fn in_polygon(vertices: &[[f64; 2]], ring_ends: &[usize], x: f64, y: f64) -> bool {
    let mut odd = false;
    let mut ring_start = 0usize;
    for &ring_end in ring_ends {
        let ring = &vertices[ring_start..ring_end];
        ring_start = ring_end;
        odd ^= point_in_ring(ring, x, y);
    }
    odd
}

/// Whether point `(x, y)` is inside, on an edge or on a vertex of the ring
/// `ring` (`[x, y]` vertices, closing itself; even-odd when it crosses
/// itself): skimage 0.26 `_shared/geometry.pyx` `point_in_polygon(xp, yp,
/// x, y) != 0`, the test [`fill_polygon`] makes of each pixel centre. An
/// empty ring holds no point.
///
/// ```
/// use cellmap_core::polygon::point_in_ring;
/// let square = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
/// assert!(point_in_ring(&square, 1.0, 1.5));
/// assert!(point_in_ring(&square, 2.0, 1.0)); // on an edge
/// assert!(!point_in_ring(&square, 2.5, 1.0));
/// ```
pub fn point_in_ring(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let Some(&[xl, yl]) = ring.last() else { return false };
    let (mut x1, mut y1) = (xl - x, yl - y);
    let (mut r_cross, mut l_cross) = (0u32, 0u32);
    for &[xi, yi] in ring {
        let (x0, y0) = (xi - x, yi - y);
        if -VERTEX_EPS < x0 && x0 < VERTEX_EPS && -VERTEX_EPS < y0 && y0 < VERTEX_EPS {
            return true;
        }
        if (y0 > 0.0) != (y1 > 0.0) && (x0 * y1 - x1 * y0) / (y1 - y0) > 0.0 {
            r_cross += 1;
        }
        if (y0 < 0.0) != (y1 < 0.0) && (x0 * y1 - x1 * y0) / (y1 - y0) < 0.0 {
            l_cross += 1;
        }
        (x1, y1) = (x0, y0);
    }
    (r_cross & 1) != (l_cross & 1) || r_cross & 1 == 1
}

/// `int(max(0, v))` clamped to `0..=limit` (`v` is finite).
fn floor_index(v: f64, limit: usize) -> usize {
    if v <= 0.0 {
        0
    } else if v >= limit as f64 {
        limit
    } else {
        v as usize
    }
}

/// `ceil(v)` clamped to `0..=limit` (`v` is finite).
fn ceil_index(v: f64, limit: usize) -> usize {
    if v <= 0.0 {
        0
    } else if v >= limit as f64 {
        limit
    } else {
        let t = v as usize; // v in (0, limit): truncation is floor
        if (t as f64) < v { t + 1 } else { t }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// skimage's `point_in_polygon` at every pixel centre, XORed over the
    /// rings: the brute-force reference.
    fn reference(width: usize, height: usize, vertices: &[[f64; 2]], ring_ends: &[usize]) -> Vec<bool> {
        let mut inside = vec![false; width * height];
        for r in 0..height {
            for c in 0..width {
                inside[r * width + c] = in_polygon(vertices, ring_ends, c as f64, r as f64);
            }
        }
        inside
    }

    fn fill(width: usize, height: usize, vertices: &[[f64; 2]], ring_ends: &[usize]) -> (usize, Vec<bool>) {
        let mut labels = vec![0u8; width * height];
        let mut scratch = vec![0.0; fill_polygon_scratch_len(vertices.len())];
        let n = fill_polygon(&mut labels, width, height, vertices, ring_ends, 1, &mut scratch).unwrap();
        (n, labels.iter().map(|&l| l == 1).collect())
    }

    fn picture(width: usize, pixels: &[bool]) -> Vec<std::string::String> {
        pixels.chunks(width).map(|r| r.iter().map(|&p| if p { '#' } else { '.' }).collect()).collect()
    }

    #[test]
    fn the_boundary_is_in_so_shared_edges_go_to_both() {
        // Two rectangles sharing the edge x = 2, corners on pixel centres.
        let left = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        let right = [[2.0, 0.0], [4.0, 0.0], [4.0, 2.0], [2.0, 2.0]];
        let (nl, l) = fill(5, 4, &left, &[4]);
        let (nr, r) = fill(5, 4, &right, &[4]);
        assert_eq!((nl, nr), (9, 9));
        assert_eq!(picture(5, &l), ["###..", "###..", "###..", "....."]);
        assert_eq!(picture(5, &r), ["..###", "..###", "..###", "....."]);
    }

    #[test]
    fn degenerate_polygons_paint_only_their_vertices_on_centres() {
        assert_eq!(fill(5, 5, &[], &[0]).0, 0);
        assert_eq!(fill(5, 5, &[[1.0, 1.0]], &[1]).0, 1);
        assert_eq!(fill(5, 5, &[[1.5, 1.0]], &[1]).0, 0);
        let (n, p) = fill(5, 5, &[[0.0, 0.0], [3.0, 3.0]], &[2]);
        assert_eq!((n, p[0], p[3 * 5 + 3]), (2, true, true));
        assert_eq!(fill(5, 5, &[[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]], &[3]).0, 3);
        assert_eq!(fill(5, 5, &[[-9.0, -9.0], [-5.0, -9.0], [-5.0, -5.0]], &[3]).0, 0);
        assert_eq!(fill(0, 5, &[[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], &[3]).0, 0);
    }

    #[test]
    fn bad_arguments_leave_labels_untouched() {
        let mut labels = [7u8; 4];
        let mut scratch = [0.0; 9];
        let tri = [[0.0, 0.0], [1.0, 0.0], [0.0, f64::NAN]];
        assert!(matches!(
            fill_polygon(&mut labels, 2, 2, &tri, &[3], 1, &mut scratch),
            Err(Error::InvalidArgument(_))
        ));
        let tri = [[0.0, 0.0], [1.0, 0.0], [0.0, f64::INFINITY]];
        assert!(fill_polygon(&mut labels, 2, 2, &tri, &[3], 1, &mut scratch).is_err());
        let tri = [[0.0, 0.0], [1.0, 0.0], [0.0, 2e12]];
        assert!(fill_polygon(&mut labels, 2, 2, &tri, &[3], 1, &mut scratch).is_err());
        let tri = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]];
        assert!(fill_polygon(&mut labels, 2, 2, &tri, &[2], 1, &mut scratch).is_err());
        assert!(fill_polygon(&mut labels, 2, 2, &tri, &[2, 1, 3], 1, &mut scratch).is_err());
        assert!(fill_polygon(&mut labels, 3, 2, &tri, &[3], 1, &mut scratch).is_err());
        assert_eq!(
            fill_polygon(&mut labels, 2, 2, &tri, &[3], 1, &mut scratch[..8]),
            Err(Error::BufferTooSmall { buffer: "scratch", needed: 9, got: 8 })
        );
        assert_eq!(labels, [7; 4]);
        assert_eq!(fill_polygon(&mut labels, 2, 2, &tri, &[3], 1, &mut scratch), Ok(4));
        assert_eq!(labels, [1; 4]);
    }

    #[test]
    fn edges_a_subnormal_distance_from_a_row_match_the_reference() {
        let tiny = f64::MIN_POSITIVE / 1e6;
        for (a, b) in [(tiny, -tiny), (tiny, tiny), (-tiny, 0.0), (0.0, 0.0)] {
            let v = [[-2.0, a], [9.5, b], [9.5, 6.0], [-2.0, 6.0]];
            assert_eq!(fill(8, 8, &v, &[4]).1, reference(8, 8, &v, &[4]), "{a:e} {b:e}");
            let v = [[-2.0, 3.0 + a], [9.5, 3.0 + b], [4.0, 7.0]];
            assert_eq!(fill(8, 8, &v, &[3]).1, reference(8, 8, &v, &[3]));
        }
    }

    fn coordinate() -> impl Strategy<Value = f64> {
        // Integer, half- and quarter-pixel grids hit centres, vertices and
        // edges exactly; values within 1e-12 of a centre exercise skimage's
        // vertex tolerance; arbitrary floats cover the rest.
        prop_oneof![
            (-4i32..40).prop_map(|v| f64::from(v) / 2.0),
            (-8i32..80).prop_map(|v| f64::from(v) / 4.0),
            (-2i32..20, -3i32..4).prop_map(|(v, e)| f64::from(v) + f64::from(e) * 4e-13),
            -3.0f64..20.0,
        ]
    }

    proptest! {
        #[test]
        fn matches_brute_force_point_in_polygon(
            rings in prop::collection::vec(prop::collection::vec((coordinate(), coordinate()), 0..9), 1..4),
            width in 0usize..18,
            height in 0usize..18,
        ) {
            let mut vertices = Vec::new();
            let mut ends = Vec::new();
            for ring in &rings {
                vertices.extend(ring.iter().map(|&(x, y)| [x, y]));
                ends.push(vertices.len());
            }
            let (n, got) = fill(width, height, &vertices, &ends);
            let want = reference(width, height, &vertices, &ends);
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(n, want.iter().filter(|&&b| b).count());
        }

        #[test]
        fn far_coordinates_match_too(
            ring in prop::collection::vec((-1e6f64..1e6, -1e6f64..1e6), 3..7),
            shift in prop::collection::vec((-20.0f64..20.0, -20.0f64..20.0), 3..7),
        ) {
            // Huge rings crossing a small image, and small ones near it.
            let vertices: Vec<[f64; 2]> = ring.iter().map(|&(x, y)| [x, y])
                .chain(shift.iter().map(|&(x, y)| [x, y])).collect();
            let ends = [ring.len(), vertices.len()];
            let (_, got) = fill(16, 12, &vertices, &ends);
            prop_assert_eq!(got, reference(16, 12, &vertices, &ends));
        }
    }
}
