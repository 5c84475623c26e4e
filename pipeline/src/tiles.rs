//! Slides as tiles (DESIGN §5): label each tile on its own, merge the
//! labels that meet across the seams, renumber — equal to [`segment`] of
//! the whole slide, scipy's numbering included, without the slide ever in
//! memory at once.
//!
//! 1. [`TileLabeler::label`] labels one tile (any order, any machine) and
//!    returns a small [`TileSummary`]: the tile's four edges, each cell's
//!    first pixel and which open background touches which cell.
//! 2. [`merge_tiles`] takes every summary (kilobytes per tile, never the
//!    pixels) and runs a union-find over the seams: cells that touch across
//!    a seam are one cell, and background that reaches the slide's border
//!    nowhere is a hole, filled into the cells around it. It returns one
//!    lookup table per tile.
//! 3. [`relabel`] maps each tile's local labels through its table.
//!
//! Hole filling is exact across seams: a tile fills the holes closed inside
//! it, and keeps each background component that touches its edges as an
//! *open* component with its own local id; only the merge can tell whether
//! it reaches the slide's border (possibly through other tiles) or is a
//! hole spanning tiles.
//!
//! [`segment`]: crate::segment()
//!
//! ```
//! use cellmap::{Image, SegmentOptions, segment};
//! use cellmap::tiles::{Numbering, TileLabeler, merge_tiles, relabel};
//! use cellmap_core::Grid;
//! // A ring whose hole spans the seam between two 3-column tiles:
//! // # # # | # # #
//! // # . . | . . #
//! // # # # | # # #
//! let mask: Vec<bool> = "#######....#######".bytes().map(|c| c == b'#').collect();
//! let tile = |c0: usize| -> Vec<bool> { (0..3).flat_map(|r| mask[r * 6 + c0..r * 6 + c0 + 3].to_vec()).collect() };
//! let mut labeler = TileLabeler::default();
//! let (mut labels, mut summaries) = (Vec::new(), Vec::new());
//! for c0 in [0, 3] {
//!     let mut local = vec![0i32; 9];
//!     summaries.push(labeler.label(Grid::new(3, 3, &tile(c0))?, SegmentOptions::default(), &mut local)?);
//!     labels.push(local);
//! }
//! assert_eq!(summaries[0].n_open, 1); // the hole's left half: open in its tile
//! let merged = merge_tiles(&[3], &[3, 3], &summaries, SegmentOptions::default(), Numbering::Scipy)?;
//! let mut out = vec![0i32; 9];
//! relabel(&labels[0], &merged.luts[0], &mut out)?;
//! assert_eq!((merged.n_cells, out), (1, vec![1; 9])); // one cell, its hole filled
//! let whole = segment(&Image::new(6, 3, mask)?, SegmentOptions::default())?;
//! assert_eq!(whole.n_cells(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use cellmap_core::labeling::{fill_holes_and_label, label, label_background, label_scratch_len};
use cellmap_core::{Connectivity, Grid, MaskValue};

use crate::memory::refill;
use crate::{Error, SegmentOptions, grouped};

/// What [`merge_tiles`] needs of one labelled tile: its size, its local ids
/// and its four edges. Local ids are `1..=n_cells` for cells (raster order
/// within the tile) and `n_cells + 1..=n_cells + n_open` for open
/// background (only with hole filling; `0` otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TileSummary {
    /// Columns of the tile.
    pub width: usize,
    /// Rows of the tile.
    pub height: usize,
    /// Cells found in the tile (holes closed inside it filled).
    pub n_cells: usize,
    /// Background components touching the tile's edges.
    pub n_open: usize,
    /// Row-major index in the tile of each cell's first pixel (`n_cells`).
    pub first_pixels: Vec<u64>,
    /// `[open id, cell id]` pairs that touch through an edge in the tile,
    /// sorted, each once.
    pub adjacency: Vec<[u32; 2]>,
    /// Local ids of the first row.
    pub top: Vec<i32>,
    /// Local ids of the last row.
    pub bottom: Vec<i32>,
    /// Local ids of the first column.
    pub left: Vec<i32>,
    /// Local ids of the last column.
    pub right: Vec<i32>,
}

/// Labels tiles one after another, keeping its scratch between calls.
#[derive(Debug, Default)]
pub struct TileLabeler {
    scratch: Vec<u32>,
    background: Vec<i32>,
    seen: Vec<u32>,
}

impl TileLabeler {
    /// Labels one tile of a slide into `labels` (at least `width · height`
    /// values) with local ids (see [`TileSummary`]) and summarises it.
    pub fn label<M: MaskValue>(
        &mut self,
        mask: Grid<'_, M>,
        options: SegmentOptions,
        labels: &mut [i32],
    ) -> Result<TileSummary, Error> {
        let (width, height) = (mask.width(), mask.height());
        let pixels = mask.len();
        if labels.len() < pixels {
            return Err(Error::argument(format!(
                "the labels hold {} values, the tile has {} pixels",
                grouped(labels.len()),
                grouped(pixels)
            )));
        }
        let labels = &mut labels[..pixels];
        let needed = label_scratch_len(width, height);
        if self.scratch.len() < needed {
            refill(&mut self.scratch, needed, 0, "the tile labeling scratch")?;
        }
        let core = |e| Error::core("tile labeling", e);
        let mut summary = TileSummary { width, height, ..TileSummary::default() };
        if options.fill_holes {
            summary.n_cells =
                fill_holes_and_label(mask, options.connectivity, labels, &mut self.scratch).map_err(core)?;
            // What is left of the background touches the tile's edges.
            if self.background.len() < pixels {
                refill(&mut self.background, pixels, 0, "the tile's background labels")?;
            }
            let background = &mut self.background[..pixels];
            let cells = Grid::new(width, height, &*labels).map_err(core)?;
            summary.n_open = label_background(cells, &mut *background, &mut self.scratch).map_err(core)?;
            if summary.n_cells + summary.n_open > i32::MAX as usize {
                return Err(Error::core(
                    "tile labeling",
                    cellmap_core::Error::TooManyLabels { capacity: i32::MAX as usize },
                ));
            }
            let offset = summary.n_cells as i32;
            // Background pixels are 0 in `labels`: one branch-free add.
            for (l, &b) in labels.iter_mut().zip(&*background) {
                *l += b + offset * i32::from(b != 0);
            }
        } else {
            summary.n_cells = label(mask, options.connectivity, labels, &mut self.scratch).map_err(core)?;
        }
        self.summarise(labels, &mut summary)?;
        Ok(summary)
    }

    /// First pixels, open–cell adjacency and edges of local `labels`.
    fn summarise(&mut self, labels: &[i32], summary: &mut TileSummary) -> Result<(), Error> {
        let (width, height, n_cells) = (summary.width, summary.height, summary.n_cells);
        if width == 0 || height == 0 {
            return Ok(());
        }
        refill(&mut self.seen, n_cells + 1, 0, "the tile's adjacency marks")?;
        let mut first_pixels = Vec::with_capacity(n_cells);
        let mut adjacency = Vec::new();
        let cells = n_cells as u32;
        let seen = &mut self.seen;
        // An open id (> n_cells) and a cell id (1..=n_cells) side by side.
        let mut touch = |a: i32, b: i32| {
            let (a, b) = (a as u32, b as u32);
            let (open, cell) = if a > cells && b != 0 && b <= cells {
                (a, b)
            } else if b > cells && a != 0 && a <= cells {
                (b, a)
            } else {
                return;
            };
            if seen[cell as usize] != open {
                seen[cell as usize] = open;
                adjacency.push([open, cell]);
            }
        };
        // Only pixels that differ from their left or upper neighbour matter:
        // a cell's first pixel, and where an open component meets a cell.
        // They are found 64 at a time as a bit word (vector compares), then
        // visited bit by bit; the tile's outside reads as `NONE`.
        const NONE: i32 = -1;
        let outside = vec![NONE; width];
        let mut next = 1i32;
        let mut visit = |index: usize, l: i32, left: i32, up: i32| {
            if l == next && next as usize <= n_cells {
                first_pixels.push(index as u64);
                next += 1;
            }
            if left != NONE {
                touch(l, left);
            }
            if up != NONE {
                touch(l, up);
            }
        };
        for row in 0..height {
            let line = &labels[row * width..(row + 1) * width];
            let above = if row > 0 { &labels[(row - 1) * width..row * width] } else { &outside[..] };
            let mut col = 0;
            while col < width {
                let end = (col + 64).min(width);
                let mut bits = 0u64;
                if col > 0 && end == col + 64 {
                    let words = (&line[col..end], &line[col - 1..end - 1], &above[col..end]);
                    if let (Ok(cur), Ok(left), Ok(up)) = (
                        <&[i32; 64]>::try_from(words.0),
                        <&[i32; 64]>::try_from(words.1),
                        <&[i32; 64]>::try_from(words.2),
                    ) {
                        bits = boundary_bits(cur, left, up);
                    }
                } else {
                    for k in col..end {
                        let left = if k > 0 { line[k - 1] } else { NONE };
                        bits |= u64::from(line[k] != left || line[k] != above[k]) << (k - col);
                    }
                }
                while bits != 0 {
                    let k = col + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let left = if k > 0 { line[k - 1] } else { NONE };
                    visit(row * width + k, line[k], left, above[k]);
                }
                col = end;
            }
        }
        adjacency.sort_unstable();
        adjacency.dedup();
        summary.first_pixels = first_pixels;
        summary.adjacency = adjacency;
        summary.top = labels[..width].to_vec();
        summary.bottom = labels[(height - 1) * width..].to_vec();
        summary.left = labels.iter().step_by(width).copied().collect();
        summary.right = labels[width - 1..].iter().step_by(width).copied().collect();
        Ok(())
    }
}

/// Bit `k` set iff `cur[k]` differs from `left[k]` or `up[k]`, sixteen
/// lanes at a time (vector compares).
#[inline(always)]
fn boundary_bits(cur: &[i32; 64], left: &[i32; 64], up: &[i32; 64]) -> u64 {
    let mut bits = 0u64;
    for lane in 0..4 {
        let mut group = 0u16;
        for k in 0..16 {
            let i = lane * 16 + k;
            group |= u16::from((cur[i] != left[i]) | (cur[i] != up[i])) << k;
        }
        bits |= u64::from(group) << (16 * lane);
    }
    bits
}

/// How [`merge_tiles`] numbers the cells of the slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Numbering {
    /// `1..=N` in raster order of each cell's first pixel in the whole
    /// slide, as `scipy.ndimage.label` numbers them.
    #[default]
    Scipy,
    /// Tile by tile (row-major tiles), then by first pixel within the tile:
    /// no sort, the same partition.
    Tiles,
}

/// The merge of a slide's tiles: the number of cells and, per tile
/// (row-major), the table from its local ids to slide labels
/// (`luts[t][local]`, background `0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// Cells in the slide.
    pub n_cells: usize,
    /// One lookup table per tile, `1 + n_cells + n_open` entries.
    pub luts: Vec<Vec<i32>>,
}

/// Merges the labels of a slide's tiles across the seams (see the module
/// docs). `rows` are the heights of the rows of tiles, `cols` the widths of
/// the columns, `tiles` the summaries row-major (`rows.len() · cols.len()`),
/// labelled with the same `options`.
///
/// Errors when a summary does not fit its place (size, edges, ids) or a
/// tile is empty in a slide that is not.
pub fn merge_tiles(
    rows: &[usize],
    cols: &[usize],
    tiles: &[TileSummary],
    options: SegmentOptions,
    numbering: Numbering,
) -> Result<Merged, Error> {
    let grid_cols = cols.len();
    if tiles.len() != rows.len() * grid_cols {
        return Err(Error::argument(format!(
            "{} tile summaries for a grid of {}×{} tiles",
            tiles.len(),
            rows.len(),
            grid_cols
        )));
    }
    let slide_width: usize = cols.iter().sum();
    let mut offsets = Vec::with_capacity(tiles.len() + 1);
    let mut nodes = 0usize;
    for (t, tile) in tiles.iter().enumerate() {
        check_summary(tile, rows[t / grid_cols], cols[t % grid_cols], t)?;
        offsets.push(nodes);
        nodes += tile.n_cells + tile.n_open;
    }
    offsets.push(nodes);
    let mut sets = UnionFind::new(nodes);
    // Node of local id `id` (not 0) of tile `t`.
    let node = |t: usize, id: i32| offsets[t] + id as usize - 1;
    let is_cell = |t: usize, id: i32| id > 0 && id as usize <= tiles[t].n_cells;
    let is_open = |t: usize, id: i32| id as usize > tiles[t].n_cells;
    let eight = options.connectivity == Connectivity::Eight;
    let mut cross: Vec<(usize, usize)> = Vec::new(); // (open node, cell node)
    let mut seam = |sets: &mut UnionFind, ta: usize, a: &[i32], tb: usize, b: &[i32]| {
        for (k, (&x, &y)) in a.iter().zip(b).enumerate() {
            if is_cell(ta, x) && is_cell(tb, y) || is_open(ta, x) && is_open(tb, y) {
                sets.union(node(ta, x), node(tb, y));
            } else if is_open(ta, x) && is_cell(tb, y) {
                cross.push((node(ta, x), node(tb, y)));
            } else if is_cell(ta, x) && is_open(tb, y) {
                cross.push((node(tb, y), node(ta, x)));
            }
            if eight && is_cell(ta, x) {
                for &z in [k.checked_sub(1).and_then(|j| b.get(j)), b.get(k + 1)].iter().flatten() {
                    if is_cell(tb, *z) {
                        sets.union(node(ta, x), node(tb, *z));
                    }
                }
            }
        }
    };
    let at = |r: usize, c: usize| r * grid_cols + c;
    for r in 0..rows.len() {
        for c in 0..grid_cols {
            let t = at(r, c);
            if c + 1 < grid_cols {
                seam(&mut sets, t, &tiles[t].right, at(r, c + 1), &tiles[at(r, c + 1)].left);
            }
            if r + 1 < rows.len() {
                seam(&mut sets, t, &tiles[t].bottom, at(r + 1, c), &tiles[at(r + 1, c)].top);
            }
            if eight && r + 1 < rows.len() && c + 1 < grid_cols {
                // Corners where four tiles meet: the two diagonals.
                let pairs = [
                    (t, tiles[t].bottom.last(), at(r + 1, c + 1), tiles[at(r + 1, c + 1)].top.first()),
                    (
                        at(r, c + 1),
                        tiles[at(r, c + 1)].bottom.first(),
                        at(r + 1, c),
                        tiles[at(r + 1, c)].top.last(),
                    ),
                ];
                for (ta, x, tb, y) in pairs {
                    if let (Some(&x), Some(&y)) = (x, y) {
                        if is_cell(ta, x) && is_cell(tb, y) {
                            sets.union(node(ta, x), node(tb, y));
                        }
                    }
                }
            }
        }
    }
    // Open background on the slide's border is outside; the rest are holes.
    let mut outside = vec![false; nodes];
    for r in 0..rows.len() {
        for c in 0..grid_cols {
            let (t, tile) = (at(r, c), &tiles[at(r, c)]);
            let faces = [
                (r == 0, &tile.top),
                (r + 1 == rows.len(), &tile.bottom),
                (c == 0, &tile.left),
                (c + 1 == grid_cols, &tile.right),
            ];
            for (_, face) in faces.iter().filter(|(border, _)| *border) {
                for &id in face.iter().filter(|&&id| is_open(t, id)) {
                    let root = sets.find(node(t, id));
                    outside[root] = true;
                }
            }
        }
    }
    let starts = &offsets;
    let inner = tiles.iter().enumerate().flat_map(|(t, tile)| {
        let base = starts[t];
        tile.adjacency.iter().map(move |&[open, cell]| (base + open as usize - 1, base + cell as usize - 1))
    });
    for (open, cell) in inner.chain(cross) {
        if !outside[sets.find(open)] {
            sets.union(open, cell);
        }
    }
    // Number the sets that hold a cell.
    let mut first = vec![u64::MAX; nodes];
    let mut order: Vec<usize> = Vec::new();
    let mut row0 = 0usize;
    for r in 0..rows.len() {
        let mut col0 = 0usize;
        for c in 0..grid_cols {
            let (t, tile) = (at(r, c), &tiles[at(r, c)]);
            for (k, &p) in tile.first_pixels.iter().enumerate() {
                let p = p as usize;
                let global = ((row0 + p / tile.width) * slide_width + col0 + p % tile.width) as u64;
                let root = sets.find(offsets[t] + k);
                if first[root] == u64::MAX {
                    order.push(root);
                }
                first[root] = first[root].min(global);
            }
            col0 += cols[c];
        }
        row0 += rows[r];
    }
    if numbering == Numbering::Scipy {
        order.sort_unstable_by_key(|&root| first[root]);
    }
    if order.len() > i32::MAX as usize {
        return Err(Error::core(
            "tile merge",
            cellmap_core::Error::TooManyLabels { capacity: i32::MAX as usize },
        ));
    }
    let mut label_of_root = vec![0i32; nodes];
    for (k, &root) in order.iter().enumerate() {
        label_of_root[root] = k as i32 + 1;
    }
    let luts = tiles
        .iter()
        .enumerate()
        .map(|(t, tile)| {
            let mut lut = Vec::with_capacity(1 + tile.n_cells + tile.n_open);
            lut.push(0);
            lut.extend((offsets[t]..offsets[t + 1]).map(|n| label_of_root[sets.find(n)]));
            lut
        })
        .collect();
    Ok(Merged { n_cells: order.len(), luts })
}

/// Rejects a summary that does not fit tile `t` of `height × width`.
fn check_summary(tile: &TileSummary, height: usize, width: usize, t: usize) -> Result<(), Error> {
    let bad = |what: String| Err(Error::argument(format!("tile {t}: {what}")));
    if (tile.height, tile.width) != (height, width) {
        return bad(format!("{}×{} pixels in a {height}×{width} place", tile.height, tile.width));
    }
    if width == 0 || height == 0 {
        return bad("empty tiles cannot be merged (rechunk without empty chunks)".into());
    }
    let ids = tile.n_cells + tile.n_open;
    let faces = [(&tile.top, width), (&tile.bottom, width), (&tile.left, height), (&tile.right, height)];
    if faces.iter().any(|(face, len)| face.len() != *len) {
        return bad("an edge of the wrong length".into());
    }
    if faces.iter().any(|(face, _)| face.iter().any(|&id| id < 0 || id as usize > ids)) {
        return bad(format!("an edge id beyond its {ids} local ids"));
    }
    let pixels = (width as u64).saturating_mul(height as u64);
    if tile.first_pixels.len() != tile.n_cells || tile.first_pixels.iter().any(|&p| p >= pixels) {
        return bad("first pixels do not match its cells".into());
    }
    let cells = tile.n_cells as u32;
    if tile
        .adjacency
        .iter()
        .any(|&[open, cell]| open <= cells || open as usize > ids || cell == 0 || cell > cells)
    {
        return bad("an adjacency pair that is not [open id, cell id]".into());
    }
    Ok(())
}

/// Maps a tile's local labels through its table from [`merge_tiles`]:
/// `out[i] = lut[local[i]]`. Errors (before writing) if the lengths differ
/// or an id has no entry.
///
/// ```
/// let mut out = [0i32; 3];
/// cellmap::tiles::relabel(&[0, 2, 1], &[0, 7, 9], &mut out)?;
/// assert_eq!(out, [0, 9, 7]);
/// assert!(cellmap::tiles::relabel(&[3, 0, 0], &[0, 7, 9], &mut out).is_err());
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn relabel(local: &[i32], lut: &[i32], out: &mut [i32]) -> Result<(), Error> {
    if local.len() != out.len() {
        return Err(Error::argument(format!(
            "{} local labels, {} outputs",
            grouped(local.len()),
            grouped(out.len())
        )));
    }
    // Negative ids wrap to huge ones: one max finds every bad id.
    let top = local.iter().fold(0u32, |top, &l| top.max(l as u32));
    if top as usize >= lut.len() {
        return Err(Error::argument(format!(
            "local id {} has no entry in a table of {}",
            top as i32,
            lut.len()
        )));
    }
    for (o, &l) in out.iter_mut().zip(local) {
        *o = lut.get(l as u32 as usize).copied().unwrap_or(0);
    }
    Ok(())
}

/// Union-find over merge nodes (path halving, the smaller index is root).
struct UnionFind {
    parents: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parents: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parents[x] != x {
            let grandparent = self.parents[self.parents[x]];
            self.parents[x] = grandparent;
            x = grandparent;
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a < b {
            self.parents[b] = a;
        } else {
            self.parents[a] = b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Image, segment};
    use proptest::prelude::*;

    /// Splits a `width × height` mask at `row_cuts` × `col_cuts`, labels each
    /// tile, merges and reassembles the slide's labels.
    fn tiled(
        width: usize,
        height: usize,
        mask: &[bool],
        rows: &[usize],
        cols: &[usize],
        options: SegmentOptions,
    ) -> (usize, Vec<i32>) {
        let mut labeler = TileLabeler::default();
        let (mut locals, mut summaries) = (Vec::new(), Vec::new());
        let mut row0 = 0;
        for &h in rows {
            let mut col0 = 0;
            for &w in cols {
                let tile: Vec<bool> = (row0..row0 + h)
                    .flat_map(|r| mask[r * width + col0..r * width + col0 + w].to_vec())
                    .collect();
                let mut local = vec![0i32; w * h];
                summaries.push(labeler.label(Grid::new(w, h, &tile).unwrap(), options, &mut local).unwrap());
                locals.push(local);
                col0 += w;
            }
            row0 += h;
        }
        let merged = merge_tiles(rows, cols, &summaries, options, Numbering::Scipy).unwrap();
        let mut out = vec![0i32; width * height];
        let mut t = 0;
        let mut row0 = 0;
        for &h in rows {
            let mut col0 = 0;
            for &w in cols {
                let mut tile = vec![0i32; w * h];
                relabel(&locals[t], &merged.luts[t], &mut tile).unwrap();
                for r in 0..h {
                    out[(row0 + r) * width + col0..(row0 + r) * width + col0 + w]
                        .copy_from_slice(&tile[r * w..(r + 1) * w]);
                }
                t += 1;
                col0 += w;
            }
            row0 += h;
        }
        (merged.n_cells, out)
    }

    fn whole(width: usize, height: usize, mask: &[bool], options: SegmentOptions) -> (usize, Vec<i32>) {
        let labels = segment(&Image::new(width, height, mask.to_vec()).unwrap(), options).unwrap();
        (labels.n_cells(), labels.labels().data().to_vec())
    }

    fn picture(rows: &[&str]) -> (usize, usize, Vec<bool>) {
        let mask = rows.iter().flat_map(|r| r.bytes().map(|c| c == b'#')).collect();
        (rows[0].len(), rows.len(), mask)
    }

    fn all_options() -> impl Iterator<Item = SegmentOptions> {
        [true, false].into_iter().flat_map(|fill_holes| {
            [Connectivity::Four, Connectivity::Eight]
                .map(move |connectivity| SegmentOptions { fill_holes, connectivity })
        })
    }

    fn assert_tiles_match(rows: &[&str], tile_rows: &[usize], tile_cols: &[usize]) {
        let (w, h, mask) = picture(rows);
        for options in all_options() {
            assert_eq!(
                tiled(w, h, &mask, tile_rows, tile_cols, options),
                whole(w, h, &mask, options),
                "{options:?}"
            );
        }
    }

    #[test]
    fn a_hole_across_four_tiles_is_filled() {
        let rows = ["######", "#....#", "#....#", "#....#", "######"];
        assert_tiles_match(&rows, &[2, 3], &[3, 3]);
        let (n, labels) = tiled(6, 5, &picture(&rows).2, &[2, 3], &[3, 3], SegmentOptions::default());
        assert_eq!((n, labels), (1, vec![1; 30]));
    }

    #[test]
    fn background_reaching_the_border_only_through_other_tiles_is_kept() {
        // The middle tile's background leaves through the right tile only.
        let rows = ["#########", "#.......#", "#.......#", "#.....###", "#########"];
        assert_tiles_match(&rows, &[5], &[3, 3, 3]);
        let rows = ["#########", "#........", "#.......#", "#########"];
        assert_tiles_match(&rows, &[2, 2], &[3, 3, 3]);
    }

    #[test]
    fn a_hole_closed_only_diagonally_merges_four_cells() {
        // .#.
        // #.#   the centre is a hole: filled, it joins the four pixels
        // .#.
        assert_tiles_match(&[".#.", "#.#", ".#."], &[1, 1, 1], &[1, 1, 1]);
        assert_tiles_match(&[".#.", "#.#", ".#."], &[2, 1], &[1, 2]);
    }

    #[test]
    fn checkerboards_on_the_seams_follow_connectivity() {
        let rows = ["#.#.#.", ".#.#.#", "#.#.#.", ".#.#.#"];
        assert_tiles_match(&rows, &[2, 2], &[3, 3]);
        assert_tiles_match(&rows, &[1, 1, 1, 1], &[1; 6]);
        let (w, h, mask) = picture(&rows);
        let eight = SegmentOptions { fill_holes: false, connectivity: Connectivity::Eight };
        assert_eq!(tiled(w, h, &mask, &[2, 2], &[3, 3], eight).0, 1);
    }

    #[test]
    fn summaries_that_do_not_fit_are_rejected() {
        let tile = TileSummary {
            width: 2,
            height: 1,
            top: vec![0; 2],
            bottom: vec![0; 2],
            left: vec![0],
            right: vec![0],
            ..Default::default()
        };
        let options = SegmentOptions::default();
        assert!(merge_tiles(&[1], &[2], std::slice::from_ref(&tile), options, Numbering::Scipy).is_ok());
        assert!(merge_tiles(&[1], &[3], std::slice::from_ref(&tile), options, Numbering::Scipy).is_err());
        assert!(merge_tiles(&[1], &[2, 2], std::slice::from_ref(&tile), options, Numbering::Scipy).is_err());
        let bad = TileSummary { top: vec![5, 0], ..tile };
        assert!(merge_tiles(&[1], &[2], &[bad], options, Numbering::Scipy).is_err());
    }

    /// Sizes summing to `total`, each at least 1.
    fn cuts(total: usize, pieces: Vec<usize>) -> Vec<usize> {
        let mut out = Vec::new();
        let mut left = total;
        for p in pieces {
            if left == 0 {
                break;
            }
            let size = 1 + p % left;
            out.push(size);
            left -= size;
        }
        if left > 0 {
            out.push(left);
        }
        out
    }

    proptest! {
        #[test]
        fn tiles_merge_to_the_whole_slide(
            (w, h, mask) in (1usize..160, 1usize..24, 0.2f64..0.8).prop_flat_map(|(w, h, d)| {
                (Just(w), Just(h), proptest::collection::vec(proptest::bool::weighted(d), w * h))
            }),
            row_pieces in proptest::collection::vec(0usize..20, 0..5),
            col_pieces in proptest::collection::vec(0usize..20, 0..5),
            fill_holes in any::<bool>(),
            eight in any::<bool>(),
        ) {
            let connectivity = if eight { Connectivity::Eight } else { Connectivity::Four };
            let options = SegmentOptions { fill_holes, connectivity };
            let (rows, cols) = (cuts(h, row_pieces), cuts(w, col_pieces));
            prop_assert_eq!(tiled(w, h, &mask, &rows, &cols, options), whole(w, h, &mask, options));
        }
    }
}
