//! Spatial neighbour graphs over cells and SGC-style smoothing over them
//! (Bio_GMM_VGAE's graph: k = 5 nearest centroids, directed, self
//! excluded, symmetrised by OR; then `D^-1/2 (A + I) D^-1/2` applied K
//! times to a cell × feature table).
//!
//! Nodes are indexed like every per-label table of the crate: node `c` is
//! cell `c`, node 0 the background. A node whose coordinates are NaN (the
//! background, an absent label) has no edges. Graphs are CSR in caller
//! buffers: `indptr` (`n_nodes + 1` entries, `u32`), `indices` (column
//! of each edge, rows sorted ascending) and, for weighted graphs,
//! `weights`.
//!
//! * [`knn`] — the `k` nearest other nodes of each node, exact: squared
//!   Euclidean distance `dx·dx + dy·dy` in `f64`, ties by the smaller node
//!   (the reference sorts stably); a uniform grid over the points in
//!   caller scratch keeps it near-linear. [`symmetrize`] makes the
//!   undirected OR graph of it.
//! * [`radius_graph`] — every other node with `dx·dx + dy·dy ≤ r²`.
//! * [`touching_graph`] — cells whose pixels touch (4- or 8-neighbour
//!   pixel pairs with different nonzero labels), weighted by the number of
//!   touching pixel pairs (the contact length).
//! * [`smooth`] — `X ← D^-1/2 (A + I) D^-1/2 X`, K times, with
//!   `D = rowsum(A + I)`, computed as scipy.sparse does it: entry values
//!   `(d_i^-1/2 · a_ij) · d_j^-1/2` with `d^-1/2 = 1 / sqrt(d)`, rows
//!   accumulated in column order (the diagonal in its place).

use crate::labeling::Connectivity;
use crate::{Error, Grid, Label};

/// "No neighbour" in a [`knn`] row with fewer than `k` other nodes.
pub const NO_NEIGHBOR: u32 = u32::MAX;

/// Bio_GMM_VGAE's number of neighbours.
pub const DEFAULT_K: usize = 5;

/// The largest `k` [`knn`] takes.
pub const MAX_K: usize = 64;

/// `u32` scratch entries of the point grid of [`knn`] and [`radius_graph`]
/// for `n_nodes` nodes: the nodes in grid order plus the grid's cell starts.
///
/// ```
/// assert_eq!(cellmap_core::graph::point_grid_scratch_len(10), 10 + 10 + 2);
/// ```
pub const fn point_grid_scratch_len(n_nodes: usize) -> usize {
    n_nodes.saturating_mul(2).saturating_add(2)
}

/// A uniform grid over the present points: `order` holds the nodes cell
/// by cell, cell `c` being `order[start[c]..start[c + 1]]`.
struct PointGrid<'a> {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    start: &'a [u32],
    order: &'a [u32],
}

impl<'a> PointGrid<'a> {
    /// Bins the present points of `xs`, `ys` (both finite) into cells of
    /// side at least `min_cell` (about two points per cell otherwise).
    fn build(xs: &[f64], ys: &[f64], min_cell: f64, scratch: &'a mut [u32]) -> Result<Self, Error> {
        let n = xs.len();
        crate::error::ensure_len("scratch", scratch, point_grid_scratch_len(n))?;
        let (mut x0, mut x1, mut y0, mut y1) =
            (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        let mut present = 0usize;
        for (&x, &y) in xs.iter().zip(ys) {
            if x.is_finite() && y.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
                present += 1;
            }
        }
        let (w, h) = if present == 0 { (0.0, 0.0) } else { (x1 - x0, y1 - y0) };
        // About two points per cell, at most n + 1 cells.
        let target = (present / 2).max(1) as f64;
        let mut cell = libm::sqrt((w * h) / target).max(w / target).max(h / target).max(min_cell);
        if !(cell.is_finite() && cell > 0.0) {
            cell = 1.0;
        }
        let mut nx = ((w / cell) as usize).saturating_add(1);
        let mut ny = ((h / cell) as usize).saturating_add(1);
        while nx.saturating_mul(ny) > n + 1 {
            cell *= 2.0;
            nx = ((w / cell) as usize).saturating_add(1);
            ny = ((h / cell) as usize).saturating_add(1);
        }
        let cells = nx * ny;
        let (order, start) = scratch.split_at_mut(n);
        let start = start.get_mut(..cells + 1).unwrap_or_default();
        start.fill(0);
        let bin = |x: f64, y: f64| -> usize {
            let bx = (((x - x0) / cell) as usize).min(nx - 1);
            let by = (((y - y0) / cell) as usize).min(ny - 1);
            by * nx + bx
        };
        for (&x, &y) in xs.iter().zip(ys) {
            if x.is_finite() && y.is_finite() {
                if let Some(s) = start.get_mut(bin(x, y) + 1) {
                    *s += 1;
                }
            }
        }
        for c in 1..=cells {
            let before = start.get(c - 1).copied().unwrap_or(0);
            if let Some(s) = start.get_mut(c) {
                *s += before;
            }
        }
        // Fill (start[c] moves to the end of cell c), then shift back.
        for (i, (&x, &y)) in xs.iter().zip(ys).enumerate() {
            if x.is_finite() && y.is_finite() {
                let c = bin(x, y);
                if let Some(s) = start.get_mut(c) {
                    if let Some(o) = order.get_mut(*s as usize) {
                        *o = i as u32;
                    }
                    *s += 1;
                }
            }
        }
        for c in (1..=cells).rev() {
            let before = start.get(c - 1).copied().unwrap_or(0);
            if let Some(s) = start.get_mut(c) {
                *s = before;
            }
        }
        if let Some(s) = start.first_mut() {
            *s = 0;
        }
        Ok(PointGrid { x0, y0, cell, nx, ny, start, order })
    }

    /// The cell coordinates of a point.
    fn home(&self, x: f64, y: f64) -> (usize, usize) {
        let bx = (((x - self.x0) / self.cell) as usize).min(self.nx - 1);
        let by = (((y - self.y0) / self.cell) as usize).min(self.ny - 1);
        (bx, by)
    }

    /// Calls `f` with every node in the cells at Chebyshev distance exactly
    /// `ring` from `(bx, by)`.
    fn ring(&self, bx: usize, by: usize, ring: usize, mut f: impl FnMut(u32)) {
        let (bx, by, r) = (bx as i64, by as i64, ring as i64);
        let mut visit = |cx: i64, cy: i64| {
            if cx < 0 || cy < 0 || cx >= self.nx as i64 || cy >= self.ny as i64 {
                return;
            }
            let c = cy as usize * self.nx + cx as usize;
            let (s, e) =
                (self.start.get(c).copied().unwrap_or(0), self.start.get(c + 1).copied().unwrap_or(0));
            for &node in self.order.get(s as usize..e as usize).unwrap_or_default() {
                f(node);
            }
        };
        if r == 0 {
            visit(bx, by);
            return;
        }
        for cx in bx - r..=bx + r {
            visit(cx, by - r);
            visit(cx, by + r);
        }
        for cy in by - r + 1..=by + r - 1 {
            visit(bx - r, cy);
            visit(bx + r, cy);
        }
    }

    /// The distance from `(x, y)` (in cell `(bx, by)`) to the nearest point
    /// outside the cells of rings `0..=ring`, shrunk by a relative margin for
    /// rounding; infinite when those rings cover the grid.
    fn gap(&self, x: f64, y: f64, bx: usize, by: usize, ring: usize) -> f64 {
        let mut gap = f64::INFINITY;
        if bx > ring {
            gap = gap.min(x - (self.x0 + (bx - ring) as f64 * self.cell));
        }
        if bx + ring + 1 < self.nx {
            gap = gap.min(self.x0 + (bx + ring + 1) as f64 * self.cell - x);
        }
        if by > ring {
            gap = gap.min(y - (self.y0 + (by - ring) as f64 * self.cell));
        }
        if by + ring + 1 < self.ny {
            gap = gap.min(self.y0 + (by + ring + 1) as f64 * self.cell - y);
        }
        if gap == f64::INFINITY {
            return gap;
        }
        let scale =
            x.abs() + y.abs() + self.x0.abs() + self.y0.abs() + self.cell * (self.nx + self.ny) as f64;
        (gap - 1e-9 * scale).max(0.0)
    }

    /// Rings needed to cover the whole grid from any cell.
    fn max_ring(&self) -> usize {
        self.nx.max(self.ny)
    }
}

fn check_points(xs: &[f64], ys: &[f64]) -> Result<(), Error> {
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch { expected: xs.len(), got: ys.len() });
    }
    if xs.len() >= u32::MAX as usize - 1 {
        return Err(Error::InvalidArgument("too many nodes for u32 indices"));
    }
    Ok(())
}

/// The `k` nearest other nodes of every node, by squared Euclidean
/// distance in `f64` (`dx·dx + dy·dy`), ties by the smaller node: row `i`
/// of `neighbors` (`k` entries) lists them nearest first, padded with
/// [`NO_NEIGHBOR`] when fewer than `k` other nodes exist (and all
/// [`NO_NEIGHBOR`] for a node with NaN coordinates). `neighbors` needs
/// `xs.len() · k` entries, `scratch` [`point_grid_scratch_len`]`(xs.len())`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `xs` and `ys` differ in length,
/// [`Error::BufferTooSmall`] for short buffers,
/// [`Error::InvalidArgument`] for `k` outside `1..=`[`MAX_K`] or an
/// coordinate.
///
/// ```
/// use cellmap_core::graph::{knn, point_grid_scratch_len, NO_NEIGHBOR};
/// // Node 0 is the background (NaN); 1, 2, 3 on a line, 4 far away.
/// let xs = [f64::NAN, 0.0, 1.0, 2.0, 10.0];
/// let ys = [f64::NAN, 0.0, 0.0, 0.0, 0.0];
/// let mut nn = [0u32; 5 * 2];
/// let mut scratch = [0u32; point_grid_scratch_len(5)];
/// knn(&xs, &ys, 2, &mut nn, &mut scratch)?;
/// assert_eq!(nn, [NO_NEIGHBOR, NO_NEIGHBOR, 2, 3, 1, 3, 2, 1, 3, 2]); // 2's tie: 1 before 3
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn knn(
    xs: &[f64],
    ys: &[f64],
    k: usize,
    neighbors: &mut [u32],
    scratch: &mut [u32],
) -> Result<(), Error> {
    crate::error::ensure_len("neighbors", neighbors, xs.len().saturating_mul(k))?;
    let rows = neighbors.get_mut(..xs.len().saturating_mul(k)).unwrap_or_default();
    knn_rows(xs, ys, k, 0, rows, scratch)
}

/// Rows `first..first + neighbors.len() / k` of [`knn`]'s table, each as
/// [`knn`] writes it: callers split the rows between threads (each with
/// its own `scratch`) and get the same table as one [`knn`] call.
///
/// # Errors
///
/// As [`knn`]; also [`Error::InvalidArgument`] if `neighbors` is not a
/// whole number of rows or the rows run past the last node.
///
/// ```
/// use cellmap_core::graph::{knn, knn_rows, point_grid_scratch_len};
/// let xs = [0.0, 1.0, 3.0, 7.0, 8.0];
/// let ys = [0.0; 5];
/// let (mut whole, mut scratch) = ([0u32; 10], [0u32; point_grid_scratch_len(5)]);
/// knn(&xs, &ys, 2, &mut whole, &mut scratch)?;
/// let mut tail = [0u32; 6]; // rows 2, 3, 4
/// knn_rows(&xs, &ys, 2, 2, &mut tail, &mut scratch)?;
/// assert_eq!(tail, whole[4..]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn knn_rows(
    xs: &[f64],
    ys: &[f64],
    k: usize,
    first: usize,
    neighbors: &mut [u32],
    scratch: &mut [u32],
) -> Result<(), Error> {
    check_points(xs, ys)?;
    if k == 0 || k > MAX_K {
        return Err(Error::InvalidArgument("k must be in 1..=64"));
    }
    if xs.iter().chain(ys).any(|v| v.is_infinite()) {
        return Err(Error::InvalidArgument("coordinates must be finite (NaN: no node)"));
    }
    if neighbors.len() % k != 0 || first.saturating_add(neighbors.len() / k) > xs.len() {
        return Err(Error::InvalidArgument("the rows must be whole and end at or before the last node"));
    }
    let grid = PointGrid::build(xs, ys, 0.0, scratch)?;
    for (i, row) in (first..).zip(neighbors.chunks_exact_mut(k)) {
        row.fill(NO_NEIGHBOR);
        let (x, y) = (xs.get(i).copied().unwrap_or(f64::NAN), ys.get(i).copied().unwrap_or(f64::NAN));
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        // The best k so far, sorted by (d², node); distances kept apart.
        let mut best_d2 = [f64::INFINITY; MAX_K];
        let mut found = 0usize;
        let chunk = k;
        let (bx, by) = grid.home(x, y);
        let mut ring = 0usize;
        loop {
            grid.ring(bx, by, ring, |j| {
                if j as usize == i {
                    return;
                }
                let dx = xs.get(j as usize).copied().unwrap_or(f64::NAN) - x;
                let dy = ys.get(j as usize).copied().unwrap_or(f64::NAN) - y;
                let d2 = dx * dx + dy * dy;
                // Insert (d2, j) if it beats the current k-th.
                let mut pos = found.min(chunk);
                while pos > 0 {
                    let (pd, pj) = (best_d2[pos - 1], row.get(pos - 1).copied().unwrap_or(NO_NEIGHBOR));
                    if d2 < pd || (d2 == pd && j < pj) {
                        pos -= 1;
                    } else {
                        break;
                    }
                }
                if pos >= chunk {
                    return;
                }
                let end = found.min(chunk - 1);
                let mut m = end;
                while m > pos {
                    best_d2[m] = best_d2[m - 1];
                    let prev = row.get(m - 1).copied().unwrap_or(NO_NEIGHBOR);
                    if let Some(slot) = row.get_mut(m) {
                        *slot = prev;
                    }
                    m -= 1;
                }
                best_d2[pos] = d2;
                if let Some(slot) = row.get_mut(pos) {
                    *slot = j;
                }
                found = (found + 1).min(chunk);
            });
            // Unvisited points lie outside the block of rings 0..=ring: at
            // least `gap` away (less a margin for rounding in the binning).
            let gap = grid.gap(x, y, bx, by, ring);
            if ring > grid.max_ring()
                || gap == f64::INFINITY
                || (found == chunk && best_d2[chunk - 1] < gap * gap)
            {
                break;
            }
            ring += 1;
        }
    }
    Ok(())
}

/// The undirected graph of a directed neighbour table (`k` per row, as
/// [`knn`] writes it): edge `i – j` iff `j` is in row `i` or `i` in row
/// `j` (Bio_GMM_VGAE's `A + Aᵀ > 0`), self loops dropped, as CSR with
/// sorted rows. `indptr` needs `n + 1` entries (n = rows), `indices`
/// `2·n·k` (the returned edge count is at most that). Entries
/// [`NO_NEIGHBOR`] are skipped.
///
/// # Errors
///
/// [`Error::BufferTooSmall`] for short outputs, [`Error::InvalidArgument`]
/// if `k = 0`, the table is not a whole number of rows, or an entry is
/// out of range.
///
/// ```
/// use cellmap_core::graph::{symmetrize, NO_NEIGHBOR};
/// // 0 -> 1, 1 -> 0, 2 -> 0 (k = 1)
/// let (mut indptr, mut indices) = ([0u32; 4], [0u32; 6]);
/// let edges = symmetrize(&[1, 0, 0], 1, &mut indptr, &mut indices)?;
/// assert_eq!((edges, indptr, &indices[..edges]), (4, [0, 2, 3, 4], &[1, 2, 0, 0][..]));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn symmetrize(
    neighbors: &[u32],
    k: usize,
    indptr: &mut [u32],
    indices: &mut [u32],
) -> Result<usize, Error> {
    if k == 0 || neighbors.len() % k != 0 {
        return Err(Error::InvalidArgument("the neighbour table must be rows of k > 0 entries"));
    }
    let n = neighbors.len() / k;
    if n.saturating_mul(k).saturating_mul(2) >= u32::MAX as usize {
        return Err(Error::InvalidArgument("too many edges for u32 indices"));
    }
    crate::error::ensure_len("indptr", indptr, n + 1)?;
    crate::error::ensure_len("indices", indices, 2 * n * k)?;
    if neighbors.iter().any(|&j| j != NO_NEIGHBOR && j as usize >= n) {
        return Err(Error::InvalidArgument("a neighbour is out of range"));
    }
    let indptr = indptr.get_mut(..n + 1).unwrap_or_default();
    // Row capacity: out-degree + in-degree.
    indptr.fill(0);
    for (i, row) in neighbors.chunks_exact(k).enumerate() {
        for &j in row {
            if j != NO_NEIGHBOR && j as usize != i {
                if let Some(p) = indptr.get_mut(i + 1) {
                    *p += 1;
                }
                if let Some(p) = indptr.get_mut(j as usize + 1) {
                    *p += 1;
                }
            }
        }
    }
    for i in 1..=n {
        let before = indptr.get(i - 1).copied().unwrap_or(0);
        if let Some(p) = indptr.get_mut(i) {
            *p += before;
        }
    }
    // Fill with a moving cursor per row (indptr[i] advances), then restore.
    for (i, row) in neighbors.chunks_exact(k).enumerate() {
        for &j in row {
            if j != NO_NEIGHBOR && j as usize != i {
                for (a, b) in [(i, j), (j as usize, i as u32)] {
                    if let Some(p) = indptr.get_mut(a) {
                        if let Some(slot) = indices.get_mut(*p as usize) {
                            *slot = b;
                        }
                        *p += 1;
                    }
                }
            }
        }
    }
    for i in (1..=n).rev() {
        let before = indptr.get(i - 1).copied().unwrap_or(0);
        if let Some(p) = indptr.get_mut(i) {
            *p = before;
        }
    }
    if let Some(p) = indptr.first_mut() {
        *p = 0;
    }
    // Sort and dedup each row, compacting to the left.
    let mut write = 0usize;
    for i in 0..n {
        let (s, e) =
            (indptr.get(i).copied().unwrap_or(0) as usize, indptr.get(i + 1).copied().unwrap_or(0) as usize);
        let row = indices.get_mut(s..e).unwrap_or_default();
        row.sort_unstable();
        let mut last = NO_NEIGHBOR;
        if let Some(p) = indptr.get_mut(i) {
            *p = write as u32;
        }
        for r in s..e {
            let v = indices.get(r).copied().unwrap_or(NO_NEIGHBOR);
            if v != last {
                if let Some(slot) = indices.get_mut(write) {
                    *slot = v;
                }
                write += 1;
                last = v;
            }
        }
    }
    if let Some(p) = indptr.get_mut(n) {
        *p = write as u32;
    }
    Ok(write)
}

/// Every pair of distinct nodes with `dx·dx + dy·dy ≤ radius²` (sklearn's
/// `radius_neighbors_graph(include_self=False)`), as CSR with sorted rows.
/// Returns the edge count. `indptr` needs `xs.len() + 1` entries,
/// `indices` the edge count: when short, the error's `needed` is the exact
/// count (`indptr` then holds the row starts, `indices` nothing useful).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] for `xs`, `ys` of different lengths,
/// [`Error::InvalidArgument`] for a negative or non-finite radius or an
/// infinite coordinate, [`Error::BufferTooSmall`] for short buffers.
///
/// ```
/// use cellmap_core::graph::{radius_graph, point_grid_scratch_len};
/// let xs = [0.0, 1.0, 3.0];
/// let ys = [0.0, 0.0, 0.0];
/// let (mut indptr, mut indices) = ([0u32; 4], [0u32; 4]);
/// let mut scratch = [0u32; point_grid_scratch_len(3)];
/// let edges = radius_graph(&xs, &ys, 2.0, &mut indptr, &mut indices, &mut scratch)?;
/// assert_eq!((edges, indptr, &indices[..edges]), (4, [0, 1, 3, 4], &[1, 0, 2, 1][..]));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn radius_graph(
    xs: &[f64],
    ys: &[f64],
    radius: f64,
    indptr: &mut [u32],
    indices: &mut [u32],
    scratch: &mut [u32],
) -> Result<usize, Error> {
    check_points(xs, ys)?;
    if !(radius.is_finite() && radius >= 0.0) {
        return Err(Error::InvalidArgument("the radius must be finite and >= 0"));
    }
    if xs.iter().chain(ys).any(|v| v.is_infinite()) {
        return Err(Error::InvalidArgument("coordinates must be finite (NaN: no node)"));
    }
    let n = xs.len();
    crate::error::ensure_len("indptr", indptr, n + 1)?;
    let grid = PointGrid::build(xs, ys, radius, scratch)?;
    let r2 = radius * radius;
    let rings = 2usize; // cells are at least `radius` wide; one ring of margin
    let each = |i: usize, f: &mut dyn FnMut(u32)| {
        let (x, y) = (xs.get(i).copied().unwrap_or(f64::NAN), ys.get(i).copied().unwrap_or(f64::NAN));
        if !(x.is_finite() && y.is_finite()) {
            return;
        }
        let (bx, by) = grid.home(x, y);
        for ring in 0..=rings {
            grid.ring(bx, by, ring, |j| {
                if j as usize == i {
                    return;
                }
                let dx = xs.get(j as usize).copied().unwrap_or(f64::NAN) - x;
                let dy = ys.get(j as usize).copied().unwrap_or(f64::NAN) - y;
                if dx * dx + dy * dy <= r2 {
                    f(j);
                }
            });
        }
    };
    let indptr = indptr.get_mut(..n + 1).unwrap_or_default();
    let mut total = 0usize;
    if let Some(p) = indptr.first_mut() {
        *p = 0;
    }
    for i in 0..n {
        let mut count = 0usize;
        each(i, &mut |_| count += 1);
        total += count;
        if total >= u32::MAX as usize {
            return Err(Error::InvalidArgument("too many edges for u32 indices"));
        }
        if let Some(p) = indptr.get_mut(i + 1) {
            *p = total as u32;
        }
    }
    crate::error::ensure_len("indices", indices, total)?;
    for i in 0..n {
        let s = indptr.get(i).copied().unwrap_or(0) as usize;
        let mut cursor = s;
        each(i, &mut |j| {
            if let Some(slot) = indices.get_mut(cursor) {
                *slot = j;
            }
            cursor += 1;
        });
        indices.get_mut(s..cursor).unwrap_or_default().sort_unstable();
    }
    Ok(total)
}

/// An undirected cell pair in the hash table of [`touching_graph`]; an
/// unused slot has `contacts == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Contact {
    /// The smaller label.
    pub a: u32,
    /// The larger label.
    pub b: u32,
    /// Touching pixel pairs.
    pub contacts: u32,
}

/// [`Contact`] slots [`touching_graph`] needs for `n_pairs` distinct
/// touching cell pairs (two-thirds full at most).
///
/// ```
/// assert_eq!(cellmap_core::graph::contact_table_len(10), 16);
/// ```
pub const fn contact_table_len(n_pairs: usize) -> usize {
    n_pairs.saturating_add(n_pairs / 2).saturating_add(1)
}

fn contact_slot(a: u32, b: u32, len: usize) -> usize {
    let key = (u64::from(a) << 32) | u64::from(b);
    let hash = (key ^ (key >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((u128::from(hash) * len as u128) >> 64) as usize
}

/// Adjacency of touching cells: `a – b` for labels `a ≠ b`, both nonzero,
/// with pixels that are 4-neighbours (or 8-neighbours with
/// [`Connectivity::Eight`]), weighted by the number of such pixel pairs
/// (each unordered pixel pair once: the contact length). CSR over nodes
/// `0..=n_labels` with sorted rows, symmetric; returns the number of
/// stored entries (twice the cell pairs). `indptr` needs `n_labels + 2`
/// entries, `indices` and `weights` the entry count, `table` is a hash
/// table of [`contact_table_len`] of the cell pairs.
///
/// # Errors
///
/// [`Error::LabelOutOfRange`] for a label above `n_labels`,
/// [`Error::BufferTooSmall`] for short buffers — for `table`, `needed` is
/// always enough, for `indices`/`weights` it is exact.
///
/// ```
/// use cellmap_core::{Grid, Connectivity};
/// use cellmap_core::graph::{touching_graph, Contact, contact_table_len};
/// // 1 1 2
/// // 1 3 2
/// let labels = [1u8, 1, 2, 1, 3, 2];
/// let (mut indptr, mut indices, mut weights) = ([0u32; 5], [0u32; 6], [0u32; 6]);
/// let mut table = [Contact::default(); contact_table_len(3)];
/// let n = touching_graph(Grid::new(3, 2, &labels)?, 3, Connectivity::Four, &mut indptr, &mut indices, &mut weights, &mut table)?;
/// assert_eq!(n, 6);
/// assert_eq!(indptr, [0, 0, 2, 4, 6]);
/// assert_eq!(indices, [2, 3, 1, 3, 1, 2]);
/// assert_eq!(weights, [1, 2, 1, 1, 2, 1]); // 1–3 touch twice (above and left of 3)
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn touching_graph<L: Label>(
    labels: Grid<'_, L>,
    n_labels: usize,
    connectivity: Connectivity,
    indptr: &mut [u32],
    indices: &mut [u32],
    weights: &mut [u32],
    table: &mut [Contact],
) -> Result<usize, Error> {
    crate::grid::max_label(labels.as_slice(), n_labels)?;
    if n_labels >= u32::MAX as usize - 1 {
        return Err(Error::TooManyLabels { capacity: u32::MAX as usize - 2 });
    }
    crate::error::ensure_len("indptr", indptr, n_labels + 2)?;
    let (w, h) = (labels.width(), labels.height());
    table.fill(Contact::default());
    let len = table.len();
    let capacity = len - len / 3;
    let bound = {
        let pixel_pairs = w.saturating_mul(h).saturating_mul(4);
        let label_pairs = n_labels.saturating_mul(n_labels.saturating_sub(1)) / 2;
        contact_table_len(pixel_pairs.min(label_pairs))
    };
    let mut pairs = 0usize;
    let mut add = |p: L, q: L, table: &mut [Contact]| -> Result<(), Error> {
        let (p, q) = (p.index() as u32, q.index() as u32);
        if p == q || p == 0 || q == 0 {
            return Ok(());
        }
        let (a, b) = if p < q { (p, q) } else { (q, p) };
        let mut slot = contact_slot(a, b, len);
        loop {
            let full = Error::BufferTooSmall { buffer: "table", needed: bound, got: len };
            let entry = table.get_mut(slot).ok_or(full)?;
            if entry.contacts == 0 {
                if pairs >= capacity {
                    return Err(full);
                }
                *entry = Contact { a, b, contacts: 1 };
                pairs += 1;
                return Ok(());
            }
            if entry.a == a && entry.b == b {
                entry.contacts += 1;
                return Ok(());
            }
            slot = if slot + 1 == len { 0 } else { slot + 1 };
        }
    };
    for r in 0..h {
        let row = labels.row(r);
        let below = if r + 1 < h { Some(labels.row(r + 1)) } else { None };
        for c in 0..w {
            let here = row.get(c).copied().unwrap_or_default();
            if let Some(&right) = row.get(c + 1) {
                add(here, right, table)?;
            }
            if let Some(below) = below {
                if let Some(&down) = below.get(c) {
                    add(here, down, table)?;
                }
                if connectivity == Connectivity::Eight {
                    if let Some(&diag) = below.get(c + 1) {
                        add(here, diag, table)?;
                    }
                    if c > 0 {
                        if let Some(&anti) = below.get(c - 1) {
                            add(here, anti, table)?;
                        }
                    }
                }
            }
        }
    }
    // Compact and sort the pairs, then lay them out as CSR.
    let mut kept = 0usize;
    for i in 0..len {
        let e = table.get(i).copied().unwrap_or_default();
        if e.contacts != 0 {
            if let Some(slot) = table.get_mut(kept) {
                *slot = e;
            }
            kept += 1;
        }
    }
    let pairs = table.get_mut(..kept).unwrap_or_default();
    pairs.sort_unstable_by_key(|e| (e.a, e.b));
    let entries = 2 * kept;
    crate::error::ensure_len("indices", indices, entries)?;
    crate::error::ensure_len("weights", weights, entries)?;
    let n = n_labels + 1;
    let indptr = indptr.get_mut(..n + 1).unwrap_or_default();
    indptr.fill(0);
    for e in pairs.iter() {
        for v in [e.a, e.b] {
            if let Some(p) = indptr.get_mut(v as usize + 1) {
                *p += 1;
            }
        }
    }
    for i in 1..=n {
        let before = indptr.get(i - 1).copied().unwrap_or(0);
        if let Some(p) = indptr.get_mut(i) {
            *p += before;
        }
    }
    // Sorted pairs give sorted rows: row b gets its smaller partners first,
    // in order, then its larger ones.
    for e in pairs.iter() {
        for (row, col) in [(e.a, e.b), (e.b, e.a)] {
            if let Some(p) = indptr.get_mut(row as usize) {
                if let Some(slot) = indices.get_mut(*p as usize) {
                    *slot = col;
                }
                if let Some(slot) = weights.get_mut(*p as usize) {
                    *slot = e.contacts;
                }
                *p += 1;
            }
        }
    }
    for i in (1..=n).rev() {
        let before = indptr.get(i - 1).copied().unwrap_or(0);
        if let Some(p) = indptr.get_mut(i) {
            *p = before;
        }
    }
    if let Some(p) = indptr.first_mut() {
        *p = 0;
    }
    Ok(entries)
}

/// `f64` scratch entries [`smooth`] needs for `n_nodes` nodes,
/// `n_features` features and `steps` steps: one value per node, plus one
/// table for two steps or more (the steps alternate between it and `out`).
///
/// ```
/// use cellmap_core::graph::smooth_scratch_len;
/// assert_eq!(smooth_scratch_len(3, 2, 1), 3);
/// assert_eq!(smooth_scratch_len(3, 2, 2), 3 + 3 * 2);
/// ```
pub const fn smooth_scratch_len(n_nodes: usize, n_features: usize, steps: usize) -> usize {
    if steps >= 2 { n_nodes.saturating_mul(n_features).saturating_add(n_nodes) } else { n_nodes }
}

/// Checks a CSR graph for [`smooth`]: `indptr` from 0 to `indices.len()`,
/// monotone; rows sorted, in range, without self loops; weights as long as
/// `indices`. Returns the number of nodes.
fn check_graph(indptr: &[u32], indices: &[u32], weights: Option<&[f64]>) -> Result<usize, Error> {
    let n = indptr.len().checked_sub(1).ok_or(Error::InvalidSparse("indptr is empty"))?;
    if indptr.first() != Some(&0) || indptr.last().map(|&e| e as usize) != Some(indices.len()) {
        return Err(Error::InvalidSparse("indptr must start at 0 and end at the number of entries"));
    }
    if weights.is_some_and(|w| w.len() != indices.len()) {
        return Err(Error::InvalidSparse("weights and indices differ in length"));
    }
    for i in 0..n {
        let (s, e) = (indptr.get(i).copied().unwrap_or(0), indptr.get(i + 1).copied().unwrap_or(0));
        if s > e {
            return Err(Error::InvalidSparse("indptr is not monotone"));
        }
        let row = indices.get(s as usize..e as usize).unwrap_or_default();
        if row.iter().any(|&j| j as usize >= n || j as usize == i) || row.windows(2).any(|p| p[0] >= p[1]) {
            return Err(Error::InvalidSparse("indices out of range, self loops or unsorted rows"));
        }
    }
    Ok(n)
}

/// `inv_sqrt[i] = 1 / sqrt(rowsum(A + I)_i)` for [`propagate_rows`], the
/// row sum taken in column order with the diagonal 1 in place (as scipy
/// sums it). `inv_sqrt` needs `indptr.len() − 1` entries.
///
/// # Errors
///
/// [`Error::InvalidSparse`] for a malformed graph (see [`smooth`]),
/// [`Error::BufferTooSmall`] for a short `inv_sqrt`.
///
/// ```
/// use cellmap_core::graph::gcn_inv_sqrt_degrees;
/// let mut d = [0.0; 2];
/// gcn_inv_sqrt_degrees(&[0, 1, 2], &[1, 0], None, &mut d)?;
/// assert_eq!(d, [1.0 / 2f64.sqrt(); 2]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn gcn_inv_sqrt_degrees(
    indptr: &[u32],
    indices: &[u32],
    weights: Option<&[f64]>,
    inv_sqrt: &mut [f64],
) -> Result<(), Error> {
    let n = check_graph(indptr, indices, weights)?;
    crate::error::ensure_len("inv_sqrt", inv_sqrt, n)?;
    for (i, d) in inv_sqrt.iter_mut().take(n).enumerate() {
        let (s, e) =
            (indptr.get(i).copied().unwrap_or(0) as usize, indptr.get(i + 1).copied().unwrap_or(0) as usize);
        let mut sum = 0.0f64;
        let mut diagonal_done = false;
        for k in s..e {
            let j = indices.get(k).copied().unwrap_or(0) as usize;
            if !diagonal_done && j > i {
                sum += 1.0;
                diagonal_done = true;
            }
            sum += weights.map_or(1.0, |w| w.get(k).copied().unwrap_or(0.0));
        }
        if !diagonal_done {
            sum += 1.0;
        }
        *d = 1.0 / libm::sqrt(sum);
    }
    Ok(())
}

/// One propagation step for the rows `first_row..first_row + dst.len() /
/// n_features`: `dst = (Ã · src)[those rows]` (see [`smooth`]), with
/// `inv_sqrt` from [`gcn_inv_sqrt_degrees`]. Lets a caller split the rows
/// of a step between threads; the values are those of [`smooth`].
///
/// # Errors
///
/// [`Error::InvalidSparse`] for a malformed graph, [`Error::ShapeMismatch`]
/// for `src` of another size or `dst` not whole rows inside the table,
/// [`Error::BufferTooSmall`] for a short `inv_sqrt`.
///
/// ```
/// use cellmap_core::graph::{gcn_inv_sqrt_degrees, propagate_rows};
/// let (indptr, indices) = ([0u32, 1, 2], [1u32, 0]);
/// let mut d = [0.0; 2];
/// gcn_inv_sqrt_degrees(&indptr, &indices, None, &mut d)?;
/// let mut row1 = [0.0];
/// propagate_rows(&indptr, &indices, None, &d, 1, &[1.0, 3.0], 1, &mut row1)?;
/// assert!((row1[0] - 2.0).abs() < 1e-15);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn propagate_rows(
    indptr: &[u32],
    indices: &[u32],
    weights: Option<&[f64]>,
    inv_sqrt: &[f64],
    n_features: usize,
    src: &[f64],
    first_row: usize,
    dst: &mut [f64],
) -> Result<(), Error> {
    let n = check_graph(indptr, indices, weights)?;
    crate::error::ensure_len("inv_sqrt", inv_sqrt, n)?;
    let cells = n.checked_mul(n_features).ok_or(Error::InvalidArgument("table too large"))?;
    if src.len() != cells {
        return Err(Error::ShapeMismatch { expected: cells, got: src.len() });
    }
    let rows = dst.len().checked_div(n_features).unwrap_or(0);
    if rows * n_features != dst.len() || first_row.checked_add(rows).is_none_or(|end| end > n) {
        return Err(Error::ShapeMismatch { expected: cells, got: dst.len() });
    }
    propagate(indptr, indices, weights, inv_sqrt, n_features, src, first_row, dst);
    Ok(())
}

/// [`propagate_rows`] on a checked graph and sizes.
#[allow(clippy::too_many_arguments)]
fn propagate(
    indptr: &[u32],
    indices: &[u32],
    weights: Option<&[f64]>,
    inv_sqrt: &[f64],
    n_features: usize,
    src: &[f64],
    first_row: usize,
    dst: &mut [f64],
) {
    for (r, row_out) in dst.chunks_exact_mut(n_features.max(1)).enumerate() {
        let i = first_row + r;
        row_out.fill(0.0);
        let di = inv_sqrt.get(i).copied().unwrap_or(0.0);
        let (s, e) =
            (indptr.get(i).copied().unwrap_or(0) as usize, indptr.get(i + 1).copied().unwrap_or(0) as usize);
        let mut add = |j: usize, a: f64| {
            let v = (di * a) * inv_sqrt.get(j).copied().unwrap_or(0.0);
            let x = src.get(j * n_features..(j + 1) * n_features).unwrap_or_default();
            for (o, &xv) in row_out.iter_mut().zip(x) {
                *o += v * xv;
            }
        };
        let mut diagonal_done = false;
        for k in s..e {
            let j = indices.get(k).copied().unwrap_or(0) as usize;
            if !diagonal_done && j > i {
                add(i, 1.0);
                diagonal_done = true;
            }
            add(j, weights.map_or(1.0, |w| w.get(k).copied().unwrap_or(0.0)));
        }
        if !diagonal_done {
            add(i, 1.0);
        }
    }
}

/// SGC propagation: `out = Ã^steps · features` with
/// `Ã = D^-1/2 (A + I) D^-1/2`, `D = rowsum(A + I)`, for the CSR graph
/// `indptr`/`indices` (rows sorted, no self loops; symmetric for the usual
/// GCN operator, though any graph is accepted) with edge `weights` (`None`:
/// all 1). `features` and `out` are `n_nodes × n_features` row-major;
/// `steps = 0` copies. Computed as scipy.sparse computes
/// `diags(d^-1/2) @ (A + I) @ diags(d^-1/2) @ X` with sorted indices:
/// entry values `(d_i^-1/2 · a_ij) · d_j^-1/2` (`d^-1/2 = 1 / sqrt(d)`),
/// each output row summed from 0 in column order, the diagonal in place.
/// `scratch`: [`smooth_scratch_len`]`(n_nodes, n_features, steps)`.
///
/// # Errors
///
/// [`Error::InvalidSparse`] for a malformed graph (non-monotone `indptr`,
/// an index out of range, a self loop, unsorted rows, weights of another
/// length), [`Error::ShapeMismatch`]/[`Error::BufferTooSmall`] for tables
/// and scratch of the wrong size. `out` is untouched on error.
///
/// ```
/// use cellmap_core::graph::{smooth, smooth_scratch_len};
/// // Two nodes joined by one edge: D = 2 each, Ã = [[1/2, 1/2], [1/2, 1/2]].
/// let (indptr, indices) = ([0u32, 1, 2], [1u32, 0]);
/// let mut out = [0.0; 2];
/// let mut scratch = [0.0; smooth_scratch_len(2, 1, 1)];
/// smooth(&indptr, &indices, None, &[1.0, 3.0], 1, 1, &mut out, &mut scratch)?;
/// // (1/√2 · 1) · 1/√2 rounds below ½, as in scipy:
/// let half = (1.0 / 2f64.sqrt()) * (1.0 / 2f64.sqrt());
/// assert_eq!(out, [half * 1.0 + half * 3.0; 2]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn smooth(
    indptr: &[u32],
    indices: &[u32],
    weights: Option<&[f64]>,
    features: &[f64],
    n_features: usize,
    steps: usize,
    out: &mut [f64],
    scratch: &mut [f64],
) -> Result<(), Error> {
    let n = check_graph(indptr, indices, weights)?;
    let cells = n.checked_mul(n_features).ok_or(Error::InvalidArgument("table too large"))?;
    if features.len() != cells {
        return Err(Error::ShapeMismatch { expected: cells, got: features.len() });
    }
    if out.len() != cells {
        return Err(Error::ShapeMismatch { expected: cells, got: out.len() });
    }
    crate::error::ensure_len("scratch", scratch, smooth_scratch_len(n, n_features, steps))?;
    let (inv_sqrt, table) = scratch.split_at_mut(n);
    gcn_inv_sqrt_degrees(indptr, indices, weights, inv_sqrt)?;
    if steps == 0 {
        out.copy_from_slice(features);
        return Ok(());
    }
    let table = table.get_mut(..if steps >= 2 { cells } else { 0 }).unwrap_or_default();
    // Alternate so that the last step writes `out`: step s writes `out`
    // when (steps - s) is odd.
    let inv_sqrt: &[f64] = inv_sqrt;
    for step in 0..steps {
        let into_out = (steps - step) % 2 == 1;
        match (step == 0, into_out) {
            (true, true) => propagate(indptr, indices, weights, inv_sqrt, n_features, features, 0, out),
            (true, false) => propagate(indptr, indices, weights, inv_sqrt, n_features, features, 0, table),
            (false, true) => propagate(indptr, indices, weights, inv_sqrt, n_features, table, 0, out),
            (false, false) => propagate(indptr, indices, weights, inv_sqrt, n_features, out, 0, table),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    fn brute_knn(xs: &[f64], ys: &[f64], k: usize) -> Vec<u32> {
        let n = xs.len();
        let mut out = vec![NO_NEIGHBOR; n * k];
        for i in 0..n {
            if xs[i].is_nan() {
                continue;
            }
            let mut all: Vec<(f64, u32)> = (0..n)
                .filter(|&j| j != i && !xs[j].is_nan())
                .map(|j| {
                    let (dx, dy) = (xs[j] - xs[i], ys[j] - ys[i]);
                    (dx * dx + dy * dy, j as u32)
                })
                .collect();
            all.sort_by(|a, b| a.partial_cmp(b).unwrap());
            for (slot, (_, j)) in out[i * k..(i + 1) * k].iter_mut().zip(all) {
                *slot = j;
            }
        }
        out
    }

    fn points() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
        proptest::collection::vec((0i32..12, 0i32..12, any::<bool>()), 0..40).prop_map(|v| {
            // Integer grids make many ties; some nodes are absent (NaN).
            let xs = v
                .iter()
                .map(|&(x, _, absent)| if absent && x % 3 == 0 { f64::NAN } else { f64::from(x) * 0.5 })
                .collect();
            let ys = v.iter().map(|&(_, y, _)| f64::from(y) * 0.5).collect();
            (xs, ys)
        })
    }

    proptest! {
        #[test]
        fn knn_equals_a_stable_sort((xs, ys) in points(), k in 1usize..8) {
            let ys: Vec<f64> = xs.iter().zip(&ys).map(|(x, &y)| if x.is_nan() { f64::NAN } else { y }).collect();
            let mut nn = vec![0u32; xs.len() * k];
            let mut scratch = vec![0u32; point_grid_scratch_len(xs.len())];
            knn(&xs, &ys, k, &mut nn, &mut scratch).unwrap();
            prop_assert_eq!(&nn, &brute_knn(&xs, &ys, k));
            // OR-symmetrised: j in row i iff i -> j or j -> i.
            let n = xs.len();
            let (mut indptr, mut indices) = (vec![0u32; n + 1], vec![0u32; 2 * n * k]);
            let edges = symmetrize(&nn, k, &mut indptr, &mut indices).unwrap();
            prop_assert_eq!(indptr[n] as usize, edges);
            for i in 0..n {
                let row = &indices[indptr[i] as usize..indptr[i + 1] as usize];
                let mut want: Vec<u32> = (0..n as u32)
                    .filter(|&j| nn[i * k..(i + 1) * k].contains(&j) || nn[j as usize * k..(j as usize + 1) * k].contains(&(i as u32)))
                    .collect();
                want.sort_unstable();
                prop_assert_eq!(row, &want[..]);
            }
        }

        #[test]
        fn rows_in_parts_equal_the_whole_table((xs, ys) in points(), k in 1usize..8, cut in 0.0f64..=1.0) {
            let n = xs.len();
            let mut scratch = vec![0u32; point_grid_scratch_len(n)];
            let mut whole = vec![0u32; n * k];
            knn(&xs, &ys, k, &mut whole, &mut scratch).unwrap();
            let split = ((n as f64 * cut) as usize).min(n);
            let (mut head, mut tail) = (vec![0u32; split * k], vec![0u32; (n - split) * k]);
            knn_rows(&xs, &ys, k, 0, &mut head, &mut scratch).unwrap();
            knn_rows(&xs, &ys, k, split, &mut tail, &mut scratch).unwrap();
            prop_assert_eq!([head, tail].concat(), whole);
            // rows past the last node, or not whole, are refused
            prop_assert!(knn_rows(&xs, &ys, k, split + 1, &mut vec![0u32; (n - split) * k], &mut scratch).is_err());
            prop_assert!(knn_rows(&xs, &ys, k, 0, &mut vec![0u32; k + 1], &mut scratch).is_err() || k == 1);
        }

        #[test]
        fn radius_graph_equals_all_pairs((xs, ys) in points(), radius in 0.0f64..4.0) {
            let n = xs.len();
            let (mut indptr, mut indices) = (vec![0u32; n + 1], vec![0u32; n * n]);
            let mut scratch = vec![0u32; point_grid_scratch_len(n)];
            radius_graph(&xs, &ys, radius, &mut indptr, &mut indices, &mut scratch).unwrap();
            for i in 0..n {
                let row = &indices[indptr[i] as usize..indptr[i + 1] as usize];
                let want: Vec<u32> = (0..n)
                    .filter(|&j| j != i && !xs[i].is_nan() && !xs[j].is_nan() && {
                        let (dx, dy) = (xs[j] - xs[i], ys[j] - ys[i]);
                        dx * dx + dy * dy <= radius * radius
                    })
                    .map(|j| j as u32)
                    .collect();
                prop_assert_eq!(row, &want[..]);
            }
        }

        #[test]
        fn touching_graph_counts_pixel_pairs(
            (w, labels) in (1usize..9, 1usize..9).prop_flat_map(|(w, h)| (Just(w), proptest::collection::vec(0u8..5, w * h))),
            eight in any::<bool>(),
        ) {
            let h = labels.len() / w;
            let connectivity = if eight { Connectivity::Eight } else { Connectivity::Four };
            let mut dense = vec![0u32; 36];
            let at = |r: i64, c: i64| if r >= 0 && c >= 0 && (r as usize) < h && (c as usize) < w { labels[r as usize * w + c as usize] } else { 0 };
            let offsets: &[(i64, i64)] = if eight { &[(0, 1), (1, 0), (1, 1), (1, -1)] } else { &[(0, 1), (1, 0)] };
            for r in 0..h as i64 {
                for c in 0..w as i64 {
                    for &(dr, dc) in offsets {
                        let (p, q) = (at(r, c), at(r + dr, c + dc));
                        if p != 0 && q != 0 && p != q {
                            dense[p as usize * 6 + q as usize] += 1;
                            dense[q as usize * 6 + p as usize] += 1;
                        }
                    }
                }
            }
            let (mut indptr, mut indices, mut weights) = (vec![0u32; 7], vec![0u32; 40], vec![0u32; 40]);
            let mut table = vec![Contact::default(); contact_table_len(10)];
            touching_graph(Grid::new(w, h, &labels).unwrap(), 5, connectivity, &mut indptr, &mut indices, &mut weights, &mut table).unwrap();
            let mut got = vec![0u32; 36];
            for i in 0..6 {
                for k in indptr[i] as usize..indptr[i + 1] as usize {
                    got[i * 6 + indices[k] as usize] = weights[k];
                }
            }
            prop_assert_eq!(got, dense);
        }

        #[test]
        fn smoothing_equals_the_dense_operator((xs, ys) in points(), steps in 0usize..3) {
            let n = xs.len();
            let k = 3;
            let mut nn = vec![0u32; n * k];
            let mut scratch = vec![0u32; point_grid_scratch_len(n)];
            knn(&xs, &ys, k, &mut nn, &mut scratch).unwrap();
            let (mut indptr, mut indices) = (vec![0u32; n + 1], vec![0u32; 2 * n * k]);
            let edges = symmetrize(&nn, k, &mut indptr, &mut indices).unwrap();
            let features: Vec<f64> = (0..n * 2).map(|v| (v * 7 % 11) as f64).collect();
            let mut out = vec![0.0; n * 2];
            let mut s = vec![0.0; smooth_scratch_len(n, 2, steps)];
            smooth(&indptr, &indices[..edges], None, &features, 2, steps, &mut out, &mut s).unwrap();
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                a[i * n + i] = 1.0;
                for &j in &indices[indptr[i] as usize..indptr[i + 1] as usize] {
                    a[i * n + j as usize] = 1.0;
                }
            }
            let d: Vec<f64> = (0..n).map(|i| 1.0 / a[i * n..(i + 1) * n].iter().sum::<f64>().sqrt()).collect();
            let mut x = features.clone();
            for _ in 0..steps {
                let mut y = vec![0.0; n * 2];
                for i in 0..n {
                    for j in 0..n {
                        if a[i * n + j] != 0.0 {
                            for f in 0..2 {
                                y[i * 2 + f] += d[i] * a[i * n + j] * d[j] * x[j * 2 + f];
                            }
                        }
                    }
                }
                x = y;
            }
            prop_assert_eq!(out, x);
        }
    }
}
