//! Synthetic tissue: a binary cell mask plus its true cell partition.
//!
//! # Model (after `gen_masks.py`, made allocation-free)
//!
//! * Seeds sit on a square grid of spacing `s = cell_spacing` px (grid cell
//!   `(i, j)` has its seed at `((i + ½)s, (j + ½)s)` jittered by up to ±0.35 s).
//!   Each seed owns the pixels for which it is the nearest *present* seed
//!   among the 5×5 grid cells around the pixel's grid cell (the Voronoi
//!   region, restricted to where it matters).
//! * A cell is a rotated ellipse (semi-axes `a = s·U(0.38, 0.62)`,
//!   `b = a / U(1, 1.6)`) whose radius carries three Fourier harmonics of
//!   noise (k = 2, 3, 4, amplitudes N(0, 0.05)), clipped to its region minus
//!   a **gap**: a pixel is kept only if its distance to the bisector with the
//!   second-nearest seed is at least `g/2`, with `g ∈ {0, 1, 2}` px per cell
//!   (probabilities `gap_probabilities`). Two `g = 0` neighbours touch;
//!   `g = 1` often leaves **diagonal-only contacts**.
//! * Some seeds are absent (`absent_fraction`), and a triangular
//!   **cell-free region** at a random corner covers `empty_fraction` of the
//!   tile.
//! * `hole_fraction` of the cells have an internal **hole**; `nested_fraction`
//!   are larger cells (their 8 grid neighbours are removed) whose hole holds a
//!   **ring** (a nested hole); `border_holes` cells are moved 1.5 px from the
//!   image border with a central hole that the border cuts open (**holes open
//!   to the border**, which hole filling must not fill). Holes are shrunk (or
//!   dropped) so that at least 2 px of cell surround them inside the cell's
//!   region: a hole never splits its cell.
//! * Finally every cell keeps only the pixels joined to its seed pixel by a
//!   4-connected path through the cell (its hole included): the digitised
//!   outline, gap and hole can leave thin fragments on small cells, and a
//!   cell is never allowed to fall apart.
//! * In free background: `small_features` of each of **1-pixel cells**, pairs
//!   of 2×2 blocks touching only at a corner, **diagonal staircases** of 3–8
//!   1-pixel cells, and 4-pixel **diamonds** (one cell around a 1-pixel hole).
//!
//! The owner of a pixel is `0` (background) or `1 + index` of its cell in
//! the `cells` buffer; grid cells come first (row-major over the seed grid),
//! then the small features.
//!
//! # Documented merges
//!
//! `fill::fill_holes` + `labeling::label` recover the true partition up to
//! these merges, and nothing else (no cell is ever split):
//!
//! 1. cells with 4-adjacent pixels merge (touching neighbours, typically a
//!    pair with gap 0 on both sides);
//! 2. with 8-connectivity also cells with only diagonally adjacent pixels
//!    (staircases, the 2×2 block pairs, many gap-1 neighbours);
//! 3. cells around a background pocket that is not 4-connected to the image
//!    border merge through the filled pocket (rare: a ring of touching cells).
//!
//! Holes inside a cell (nested rings included) are filled into that cell;
//! border-open holes stay background.

use crate::rng::Xoshiro256StarStar;
use crate::samplers::standard_normal;
use cellmap_core::Error;
use cellmap_core::grid::pixel_count;

/// Stream tags of the mask's random draws (`Xoshiro256StarStar::stream`).
const TAG_CELL: u64 = 0x4D41_534B_0001;
const TAG_LAYOUT: u64 = 0x4D41_534B_0002;
const TAG_SMALL: u64 = 0x4D41_534B_0003;

/// Slots a staircase takes in the `cells` buffer (its longest length).
const STAIR_MAX: usize = 8;
/// Slots the four small-feature kinds take per unit of `small_features`:
/// one single pixel, two blocks, one staircase, one diamond.
const SMALL_SLOTS: usize = 1 + 2 + STAIR_MAX + 1;
/// Attempts to place one small feature before giving up.
const SMALL_TRIES: u32 = 200;
/// Smallest accepted `cell_spacing`.
///
/// ```
/// use cellmap_sim::{MaskParams, mask::MIN_CELL_SPACING};
/// assert!(MaskParams { cell_spacing: MIN_CELL_SPACING, ..MaskParams::default() }.validate().is_ok());
/// assert!(MaskParams { cell_spacing: MIN_CELL_SPACING - 1, ..MaskParams::default() }.validate().is_err());
/// ```
pub const MIN_CELL_SPACING: u32 = 4;

/// Parameters of the synthetic tissue. [`MaskParams::default`] gives
/// ≈3,460 cells per megapixel, like the bench data.
///
/// ```
/// use cellmap_sim::MaskParams;
/// let p = MaskParams { cell_spacing: 12, ..MaskParams::default() };
/// assert!(p.validate().is_ok());
/// assert!(MaskParams { empty_fraction: 0.9, ..p }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct MaskParams {
    /// Seed-grid spacing `s` in pixels (≈ cell diameter; ≥ 4). Cells per
    /// megapixel ≈ 10⁶ / s².
    pub cell_spacing: u32,
    /// Fraction of seeds that draw no cell.
    pub absent_fraction: f64,
    /// Area fraction of the cell-free corner triangle, in `[0, 0.5]`.
    pub empty_fraction: f64,
    /// Probabilities of gap classes 0, 1, 2 px (normalised).
    pub gap_probabilities: [f64; 3],
    /// Fraction of cells with an internal hole.
    pub hole_fraction: f64,
    /// Fraction of seeds that become large cells with a nested ring in their hole.
    pub nested_fraction: f64,
    /// Number of cells moved onto the border with a hole open to the outside
    /// (at most: a cell too crowded for a 2 px rim around its hole keeps none).
    pub border_holes: u32,
    /// How many of each small feature kind to place.
    pub small_features: u32,
}

impl Default for MaskParams {
    fn default() -> Self {
        Self {
            cell_spacing: 17,
            absent_fraction: 0.08,
            empty_fraction: 0.10,
            gap_probabilities: [0.15, 0.45, 0.40],
            hole_fraction: 0.05,
            nested_fraction: 0.01,
            border_holes: 4,
            small_features: 4,
        }
    }
}

impl MaskParams {
    /// Checks every parameter's domain.
    ///
    /// ```
    /// use cellmap_sim::MaskParams;
    /// assert!(MaskParams::default().validate().is_ok());
    /// assert!(MaskParams { gap_probabilities: [0.0; 3], ..MaskParams::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        let unit = |p: f64| (0.0..=1.0).contains(&p);
        if self.cell_spacing < MIN_CELL_SPACING {
            return Err(Error::InvalidArgument("cell_spacing must be >= 4"));
        }
        if !unit(self.absent_fraction) || !unit(self.hole_fraction) || !unit(self.nested_fraction) {
            return Err(Error::InvalidArgument("fractions must be in [0, 1]"));
        }
        if !(0.0..=0.5).contains(&self.empty_fraction) {
            return Err(Error::InvalidArgument("empty_fraction must be in [0, 0.5]"));
        }
        let total: f64 = self.gap_probabilities.iter().sum();
        if self.gap_probabilities.iter().any(|&p| !(p >= 0.0 && p.is_finite())) || total <= 0.0 {
            return Err(Error::InvalidArgument("gap_probabilities must be >= 0 with a positive sum"));
        }
        Ok(())
    }

    /// Length of the `cells` buffer [`generate_mask`] needs for a tile.
    ///
    /// ```
    /// use cellmap_sim::MaskParams;
    /// let p = MaskParams { cell_spacing: 10, small_features: 0, ..MaskParams::default() };
    /// assert_eq!(p.cell_capacity(95, 40), 10 * 4);
    /// ```
    pub const fn cell_capacity(&self, width: usize, height: usize) -> usize {
        cell_capacity(width, height, self.cell_spacing, self.small_features)
    }
}

/// Length of the `cells` buffer for a `width × height` tile: one slot per
/// seed-grid cell plus 12 per unit of `small_features` (saturating; a
/// `cell_spacing` below 4 counts as 4).
///
/// ```
/// use cellmap_sim::mask::cell_capacity;
/// assert_eq!(cell_capacity(34, 17, 17, 0), 2);
/// assert_eq!(cell_capacity(35, 17, 17, 1), 3 + 12);
/// ```
pub const fn cell_capacity(width: usize, height: usize, cell_spacing: u32, small_features: u32) -> usize {
    let s = if cell_spacing < MIN_CELL_SPACING { MIN_CELL_SPACING } else { cell_spacing } as usize;
    let grid = width.div_ceil(s).saturating_mul(height.div_ceil(s));
    grid.saturating_add((small_features as usize).saturating_mul(SMALL_SLOTS))
}

/// What a slot of the `cells` buffer holds.
///
/// ```
/// use cellmap_sim::{generate_mask, CellKind, MaskParams, SimCell};
/// let p = MaskParams { small_features: 1, ..MaskParams::default() };
/// let (mut mask, mut owner) = ([0u8; 40 * 40], [0u32; 40 * 40]);
/// let mut cells = [SimCell::EMPTY; 21];
/// let info = generate_mask(1, 40, 40, &p, &mut mask, &mut owner, &mut cells)?;
/// // the small features follow the grid cells
/// assert!(cells[..info.cells].iter().any(|c| c.kind == CellKind::SinglePixel && c.area == 1));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellKind {
    /// No cell (a removed seed, or an unused slot).
    #[default]
    Absent,
    /// A plain cell.
    Plain,
    /// A cell with an internal hole.
    Holed,
    /// A large cell whose hole holds a ring (nested hole).
    Nested,
    /// A cell on the image border whose hole is open to the outside.
    BorderHole,
    /// A single foreground pixel.
    SinglePixel,
    /// One 2×2 block of a pair touching only at a corner.
    CornerBlock,
    /// One 1-pixel step of a diagonal staircase.
    StairStep,
    /// Four pixels around a 1-pixel hole.
    Diamond,
}

/// One simulated cell: what it is, where it is, how many pixels it has,
/// and (privately) the shape parameters the mask was drawn from.
///
/// ```
/// use cellmap_sim::{CellKind, SimCell};
/// let c = SimCell::EMPTY;
/// assert_eq!((c.kind, c.area), (CellKind::Absent, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimCell {
    /// Kind of cell.
    pub kind: CellKind,
    /// Row of the seed (or feature centre), in pixels.
    pub row: f64,
    /// Column of the seed (or feature centre), in pixels.
    pub col: f64,
    /// Number of pixels the cell owns in the mask (0 if it drew none).
    pub area: u32,
    a: f64,
    b: f64,
    cos_t: f64,
    sin_t: f64,
    /// `h_k cos φ_k`, `h_k sin φ_k` for k = 2, 3, 4.
    harm: [f64; 6],
    hole_u: f64,
    hole_v: f64,
    hole_r: f64,
    half_gap: f64,
}

impl SimCell {
    /// An empty slot (what to initialise a `cells` buffer with).
    ///
    /// ```
    /// use cellmap_sim::SimCell;
    /// let cells = [SimCell::EMPTY; 8]; // a stack buffer for generate_mask
    /// assert!(cells.iter().all(|c| c.area == 0));
    /// ```
    pub const EMPTY: SimCell = SimCell {
        kind: CellKind::Absent,
        row: 0.0,
        col: 0.0,
        area: 0,
        a: 0.0,
        b: 0.0,
        cos_t: 1.0,
        sin_t: 0.0,
        harm: [0.0; 6],
        hole_u: 0.0,
        hole_v: 0.0,
        hole_r: 0.0,
        half_gap: 0.0,
    };

    /// A cell of `kind` at `(row, col)` owning `area` pixels, without shape
    /// parameters (for feeding [`ExpressionModel`](crate::ExpressionModel)
    /// cells that come from elsewhere).
    ///
    /// ```
    /// use cellmap_sim::{CellKind, SimCell};
    /// let c = SimCell::new(CellKind::Plain, 3.0, 4.5, 12);
    /// assert_eq!((c.row, c.col, c.area), (3.0, 4.5, 12));
    /// ```
    pub const fn new(kind: CellKind, row: f64, col: f64, area: u32) -> SimCell {
        SimCell { kind, row, col, area, ..SimCell::EMPTY }
    }

    fn present(&self) -> bool {
        !matches!(self.kind, CellKind::Absent)
    }

    fn has_hole(&self) -> bool {
        matches!(self.kind, CellKind::Holed | CellKind::Nested | CellKind::BorderHole)
    }

    /// Normalised radius of the noisy outline in direction `(cos φ, sin φ)`.
    fn outline(&self, c: f64, s: f64) -> f64 {
        let (c2, s2) = (c * c - s * s, 2.0 * c * s);
        let (c3, s3) = (c * c2 - s * s2, s * c2 + c * s2);
        let (c4, s4) = (c2 * c2 - s2 * s2, 2.0 * c2 * s2);
        let h = &self.harm;
        1.0 + (h[0] * c2 - h[1] * s2) + (h[2] * c3 - h[3] * s3) + (h[4] * c4 - h[5] * s4)
    }

    /// Lowest value the outline can take.
    fn outline_min(&self) -> f64 {
        let h = &self.harm;
        1.0 - libm::hypot(h[0], h[1]) - libm::hypot(h[2], h[3]) - libm::hypot(h[4], h[5])
    }

    /// Where a pixel at offset `(dy, dx)` from the seed falls (ignoring the
    /// gap): outside the outline, in the hole (the nested ring counts as
    /// cell), or in the cell.
    fn classify(&self, dy: f64, dx: f64) -> Place {
        let u = (dx * self.cos_t + dy * self.sin_t) / self.a;
        let v = (-dx * self.sin_t + dy * self.cos_t) / self.b;
        let rn = libm::sqrt(u * u + v * v);
        let inside = rn == 0.0 || rn <= self.outline(u / rn, v / rn);
        if !inside {
            return Place::Outside;
        }
        if !self.has_hole() {
            return Place::Cell;
        }
        let (hu, hv) = (u - self.hole_u, v - self.hole_v);
        let hr = libm::sqrt(hu * hu + hv * hv);
        let in_ring =
            matches!(self.kind, CellKind::Nested) && hr > 0.45 * self.hole_r && hr < 0.7 * self.hole_r;
        if hr >= self.hole_r || in_ring { Place::Cell } else { Place::Hole }
    }
}

/// Where a pixel falls relative to its nearest seed's cell.
enum Place {
    Outside,
    Hole,
    Cell,
}

/// Summary of a generated tile.
///
/// ```
/// use cellmap_sim::{generate_mask, MaskParams, SimCell};
/// let (mut mask, mut owner, mut cells) = ([0u8; 0], [0u32; 0], [SimCell::EMPTY; 0]);
/// let p = MaskParams { small_features: 0, ..MaskParams::default() };
/// let info = generate_mask(1, 0, 0, &p, &mut mask, &mut owner, &mut cells)?; // an empty tile
/// assert_eq!((info.cells, info.drawn, info.foreground), (0, 0, 0));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaskInfo {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Slots of `cells` in use: owner ids are `1..=cells`.
    pub cells: usize,
    /// Cells that own at least one pixel.
    pub drawn: usize,
    /// Foreground pixels.
    pub foreground: usize,
}

/// Draws a synthetic tissue tile: `mask` gets 255 for cell pixels and 0
/// elsewhere, `owner` the true cell of each pixel (0 = background,
/// `k` = `cells[k - 1]`), and `cells` the cells (see the module docs for the
/// model and the documented merges). Deterministic for a given seed and
/// parameters on every target.
///
/// Errors: `mask`/`owner` not `width · height` long, `cells` shorter than
/// [`MaskParams::cell_capacity`], invalid parameters, or more cells than a
/// `u32` owner id can number. Nothing is written on error.
///
/// ```
/// use cellmap_sim::{generate_mask, MaskParams, SimCell};
/// let (w, h) = (48, 40);
/// let params = MaskParams::default();
/// let mut mask = [0u8; 48 * 40];
/// let mut owner = [0u32; 48 * 40];
/// let mut cells = [SimCell::EMPTY; 64];
/// assert!(params.cell_capacity(w, h) <= cells.len());
/// let info = generate_mask(7, w, h, &params, &mut mask, &mut owner, &mut cells)?;
/// assert!(info.drawn > 0 && info.foreground > 0);
/// // mask and owner agree, and areas add up
/// assert!(mask.iter().zip(&owner).all(|(&m, &o)| (m == 255) == (o != 0)));
/// let total: u32 = cells[..info.cells].iter().map(|c| c.area).sum();
/// assert_eq!(total as usize, info.foreground);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn generate_mask(
    seed: u64,
    width: usize,
    height: usize,
    params: &MaskParams,
    mask: &mut [u8],
    owner: &mut [u32],
    cells: &mut [SimCell],
) -> Result<MaskInfo, Error> {
    params.validate()?;
    let n = pixel_count(width, height)?;
    if mask.len() != n {
        return Err(Error::ShapeMismatch { expected: n, got: mask.len() });
    }
    if owner.len() != n {
        return Err(Error::ShapeMismatch { expected: n, got: owner.len() });
    }
    let capacity = params.cell_capacity(width, height);
    crate::ensure_len("cells", cells, capacity)?;
    if capacity > u32::MAX as usize {
        return Err(Error::TooManyLabels { capacity: u32::MAX as usize });
    }
    let grid = Layout::new(width, height, params.cell_spacing as usize);
    let cells = &mut cells[..capacity];
    cells.fill(SimCell::EMPTY);
    draw_cell_parameters(seed, params, &grid, cells);
    arrange(seed, params, &grid, cells);
    fit_holes(&grid, cells);
    rasterise(&grid, cells, mask, owner);
    let used = grid.count + place_small_features(seed, params, &grid, cells, mask, owner);
    let drawn = cells[..used].iter().filter(|c| c.area > 0).count();
    let foreground = mask.iter().filter(|&&m| m != 0).count();
    Ok(MaskInfo { width, height, cells: used, drawn, foreground })
}

/// The seed grid.
struct Layout {
    width: usize,
    height: usize,
    spacing: f64,
    s: usize,
    cols: usize,
    rows: usize,
    count: usize,
}

impl Layout {
    fn new(width: usize, height: usize, s: usize) -> Self {
        let (cols, rows) = (width.div_ceil(s), height.div_ceil(s));
        Self { width, height, spacing: s as f64, s, cols, rows, count: cols * rows }
    }

    /// Grid cells of the 5×5 window around grid cell `(gr, gc)`.
    fn window(&self, gr: usize, gc: usize) -> (core::ops::Range<usize>, core::ops::Range<usize>) {
        (gr.saturating_sub(2)..(gr + 3).min(self.rows), gc.saturating_sub(2)..(gc + 3).min(self.cols))
    }
}

fn uniform_in(rng: &mut Xoshiro256StarStar, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.next_f64()
}

/// Independent per-cell draws: position, shape, gap, hole, nested flag.
fn draw_cell_parameters(seed: u64, params: &MaskParams, grid: &Layout, cells: &mut [SimCell]) {
    let s = grid.spacing;
    let gap_total: f64 = params.gap_probabilities.iter().sum();
    for (index, cell) in cells[..grid.count].iter_mut().enumerate() {
        let mut rng = Xoshiro256StarStar::stream(seed, TAG_CELL, index as u64);
        let (gr, gc) = (index / grid.cols, index % grid.cols);
        let row = (gr as f64 + 0.5) * s + uniform_in(&mut rng, -0.35 * s, 0.35 * s);
        let col = (gc as f64 + 0.5) * s + uniform_in(&mut rng, -0.35 * s, 0.35 * s);
        let absent = rng.next_f64() < params.absent_fraction;
        let a = s * uniform_in(&mut rng, 0.38, 0.62);
        let b = a / uniform_in(&mut rng, 1.0, 1.6);
        let theta = uniform_in(&mut rng, 0.0, core::f64::consts::PI);
        let mut harm = [0.0; 6];
        for k in 0..3 {
            let amplitude = 0.05 * standard_normal(&mut rng);
            let phase = uniform_in(&mut rng, 0.0, 2.0 * core::f64::consts::PI);
            harm[2 * k] = amplitude * libm::cos(phase);
            harm[2 * k + 1] = amplitude * libm::sin(phase);
        }
        let g = rng.next_f64() * gap_total;
        let gap = if g < params.gap_probabilities[0] {
            0.0
        } else if g < params.gap_probabilities[0] + params.gap_probabilities[1] {
            1.0
        } else {
            2.0
        };
        let holed = rng.next_f64() < params.hole_fraction;
        let hole_u = uniform_in(&mut rng, -0.12, 0.12);
        let hole_v = uniform_in(&mut rng, -0.12, 0.12);
        let hole_r = uniform_in(&mut rng, 0.28, 0.42);
        let nested = rng.next_f64() < params.nested_fraction;
        let kind = match (absent, nested, holed) {
            (true, _, _) => CellKind::Absent,
            (false, true, _) => CellKind::Nested,
            (false, false, true) => CellKind::Holed,
            _ => CellKind::Plain,
        };
        *cell = SimCell {
            kind,
            row: row.clamp(0.0, (grid.height - 1) as f64),
            col: col.clamp(0.0, (grid.width - 1) as f64),
            area: 0,
            a,
            b,
            cos_t: libm::cos(theta),
            sin_t: libm::sin(theta),
            harm,
            hole_u,
            hole_v,
            hole_r,
            half_gap: gap / 2.0,
        };
    }
}

/// Global layout decisions: large nested cells clear their neighbours, the
/// cell-free corner, and the border-hole cells.
fn arrange(seed: u64, params: &MaskParams, grid: &Layout, cells: &mut [SimCell]) {
    let s = grid.spacing;
    for index in 0..grid.count {
        if cells[index].kind != CellKind::Nested {
            continue;
        }
        let (gr, gc) = (index / grid.cols, index % grid.cols);
        let (rows, cols) =
            (gr.saturating_sub(1)..(gr + 2).min(grid.rows), gc.saturating_sub(1)..(gc + 2).min(grid.cols));
        for r in rows {
            for c in cols.clone() {
                let j = r * grid.cols + c;
                if j != index {
                    cells[j].kind = CellKind::Absent;
                }
            }
        }
        let cell = &mut cells[index];
        cell.a = 1.0 * s;
        cell.b = 0.9 * s;
        cell.half_gap = 1.0;
        cell.hole_u = 0.0;
        cell.hole_v = 0.0;
        cell.hole_r = 0.6;
    }

    let mut rng = Xoshiro256StarStar::stream(seed, TAG_LAYOUT, 0);
    let corner = rng.below(4);
    let leg = libm::sqrt(2.0 * params.empty_fraction);
    let (leg_w, leg_h) = (leg * grid.width as f64, leg * grid.height as f64);
    for cell in cells[..grid.count].iter_mut() {
        let dx = if corner & 1 == 0 { cell.col } else { (grid.width - 1) as f64 - cell.col };
        let dy = if corner & 2 == 0 { cell.row } else { (grid.height - 1) as f64 - cell.row };
        if leg_w > 0.0 && leg_h > 0.0 && dx / leg_w + dy / leg_h < 1.0 {
            cell.kind = CellKind::Absent;
        }
    }

    let mut placed = 0;
    let mut tries = 0;
    let border_cells = border_cell_count(grid);
    while placed < params.border_holes && tries < 16 * params.border_holes && border_cells > 0 {
        tries += 1;
        let index = nth_border_cell(grid, rng.below(border_cells as u64) as usize);
        let cell = &mut cells[index];
        if !matches!(cell.kind, CellKind::Plain | CellKind::Holed) {
            continue;
        }
        let (h, w) = ((grid.height - 1) as f64, (grid.width - 1) as f64);
        let distances = [cell.row, h - cell.row, cell.col, w - cell.col];
        let mut nearest = 0;
        for k in 1..4 {
            if distances[k] < distances[nearest] {
                nearest = k;
            }
        }
        // Only one border may cut the cell (the nearest, once the seed is
        // moved onto it), or its ring could fall apart.
        let a = cell.a.max(0.5 * s);
        let reach = a * (2.0 - cell.outline_min()) + 1.0;
        let across = if nearest < 2 { [distances[2], distances[3]] } else { [distances[0], distances[1]] };
        let opposite = distances[nearest ^ 1] + distances[nearest] - 1.5;
        if across[0] < reach || across[1] < reach || opposite < reach {
            continue;
        }
        match nearest {
            0 => cell.row = 1.5f64.min(h),
            1 => cell.row = (h - 1.5).max(0.0),
            2 => cell.col = 1.5f64.min(w),
            _ => cell.col = (w - 1.5).max(0.0),
        }
        cell.kind = CellKind::BorderHole;
        cell.hole_u = 0.0;
        cell.hole_v = 0.0;
        cell.hole_r = 0.5;
        cell.a = cell.a.max(0.5 * s);
        cell.b = cell.b.max(0.45 * s);
        placed += 1;
    }
}

fn border_cell_count(grid: &Layout) -> usize {
    if grid.rows <= 2 || grid.cols <= 2 { grid.count } else { 2 * grid.cols + 2 * (grid.rows - 2) }
}

/// Index of the `k`-th border grid cell (top row, bottom row, then the
/// left and right columns).
fn nth_border_cell(grid: &Layout, k: usize) -> usize {
    if grid.rows <= 2 || grid.cols <= 2 {
        return k;
    }
    let c = grid.cols;
    if k < c {
        k
    } else if k < 2 * c {
        (grid.rows - 1) * c + (k - c)
    } else {
        let side = k - 2 * c;
        let row = 1 + side / 2;
        if side % 2 == 0 { row * c } else { row * c + c - 1 }
    }
}

/// Shrinks (or drops) holes so at least 2 px of cell surround them inside
/// the outline and inside the cell's region: a hole never splits a cell.
fn fit_holes(grid: &Layout, cells: &mut [SimCell]) {
    const MARGIN_PX: f64 = 2.0;
    for index in 0..grid.count {
        let cell = cells[index];
        if !cell.has_hole() {
            continue;
        }
        let (gr, gc) = (index / grid.cols, index % grid.cols);
        let (rows, cols) = grid.window(gr, gc);
        let mut half_sep = f64::INFINITY;
        for r in rows {
            for c in cols.clone() {
                let other = &cells[r * grid.cols + c];
                if r * grid.cols + c != index && other.present() {
                    let sep = libm::hypot(other.row - cell.row, other.col - cell.col);
                    half_sep = half_sep.min(sep / 2.0);
                }
            }
        }
        if cell.kind != CellKind::BorderHole {
            // The image border must not cut an internal hole open.
            let (h, w) = ((grid.height - 1) as f64, (grid.width - 1) as f64);
            let to_border = cell.row.min(h - cell.row).min(cell.col).min(w - cell.col);
            half_sep = half_sep.min(to_border + cell.half_gap);
        }
        let offset = libm::hypot(cell.hole_u, cell.hole_v);
        let by_outline = cell.outline_min() - offset - MARGIN_PX / cell.b;
        let by_region = (half_sep - cell.half_gap - MARGIN_PX) / cell.a - offset;
        let radius = cell.hole_r.min(by_outline).min(by_region);
        // A hole at least 1.5 px wide holds a pixel; a nested ring needs more.
        let min_radius = if cell.kind == CellKind::Nested { 0.4 } else { 0.15 };
        let c = &mut cells[index];
        if radius * c.b >= 1.5 && radius >= min_radius {
            c.hole_r = radius;
        } else if c.kind == CellKind::Nested && radius * c.b >= 1.5 && radius >= 0.15 {
            c.kind = CellKind::Holed;
            c.hole_r = radius;
        } else {
            c.kind = CellKind::Plain;
        }
        // A border hole must reach past the border pixels 1.5 px away.
        if c.kind == CellKind::BorderHole && c.hole_r * c.b < 2.5 {
            c.kind = CellKind::Plain;
        }
    }
}

/// Assigns every pixel to its nearest present seed's cell, if inside it.
fn rasterise(grid: &Layout, cells: &mut [SimCell], mask: &mut [u8], owner: &mut [u32]) {
    for row in 0..grid.height {
        let gr = row / grid.s;
        for col in 0..grid.width {
            let gc = col / grid.s;
            let (y, x) = (row as f64, col as f64);
            let (rows, cols) = grid.window(gr, gc);
            let (mut best, mut best_d) = (usize::MAX, f64::INFINITY);
            let (mut second, mut second_d) = (usize::MAX, f64::INFINITY);
            for r in rows {
                for c in cols.clone() {
                    let j = r * grid.cols + c;
                    let cell = &cells[j];
                    if !cell.present() {
                        continue;
                    }
                    let d = (cell.row - y) * (cell.row - y) + (cell.col - x) * (cell.col - x);
                    if d < best_d {
                        (second, second_d) = (best, best_d);
                        (best, best_d) = (j, d);
                    } else if d < second_d {
                        (second, second_d) = (j, d);
                    }
                }
            }
            let p = row * grid.width + col;
            mask[p] = 0;
            owner[p] = 0;
            if best == usize::MAX {
                continue;
            }
            let cell = cells[best];
            if second != usize::MAX {
                let other = &cells[second];
                let sep = libm::hypot(other.row - cell.row, other.col - cell.col);
                let to_bisector = if sep > 0.0 { (second_d - best_d) / (2.0 * sep) } else { 0.0 };
                if to_bisector < cell.half_gap {
                    continue;
                }
            }
            match cell.classify(y - cell.row, x - cell.col) {
                Place::Outside => {}
                Place::Hole => (mask[p], owner[p]) = (HOLE_MARK, best as u32 + 1),
                Place::Cell => (mask[p], owner[p]) = (255, best as u32 + 1),
            }
        }
    }
    trim_to_seed_paths(grid, cells, mask, owner);
    for (m, o) in mask.iter_mut().zip(owner.iter_mut()) {
        if *m == HOLE_MARK {
            (*m, *o) = (0, 0);
        } else if *o != 0 {
            cells[*o as usize - 1].area += 1;
        }
    }
}

/// Temporary mask value of hole pixels during [`rasterise`]: they belong
/// to their cell's body for [`trim_to_seed_paths`], and end as background.
const HOLE_MARK: u8 = 1;

/// Removes every pixel that has no 4-connected path to its cell's seed
/// pixel through the cell's body (its pixels and hole): each pixel must
/// keep its *parent* — the neighbour one step toward the seed along the
/// longer axis — until the seed is reached. This cuts the rare thin
/// fragments the digitised outline, gap and hole can leave, so a cell is
/// never split after hole filling (a cell whose seed pixel is not its own
/// disappears). Alternating raster passes until nothing changes.
fn trim_to_seed_paths(grid: &Layout, cells: &[SimCell], mask: &mut [u8], owner: &mut [u32]) {
    let (w, h) = (grid.width, grid.height);
    let check = |p: usize, mask: &mut [u8], owner: &mut [u32]| -> bool {
        let o = owner[p];
        if o == 0 {
            return false;
        }
        let cell = &cells[o as usize - 1];
        let (r, c) = ((p / w) as isize, (p % w) as isize);
        let sr = libm::round(cell.row).clamp(0.0, (h - 1) as f64) as isize;
        let sc = libm::round(cell.col).clamp(0.0, (w - 1) as f64) as isize;
        let (dr, dc) = (sr - r, sc - c);
        if dr == 0 && dc == 0 {
            return false;
        }
        let (pr, pc) = if dr.abs() >= dc.abs() { (r + dr.signum(), c) } else { (r, c + dc.signum()) };
        let parent = pr as usize * w + pc as usize;
        if owner[parent] == o {
            return false;
        }
        (mask[p], owner[p]) = (0, 0);
        true
    };
    loop {
        let mut removed = false;
        for p in 0..w * h {
            removed |= check(p, mask, owner);
        }
        for p in (0..w * h).rev() {
            removed |= check(p, mask, owner);
        }
        if !removed {
            break;
        }
    }
}

/// True if the `h × w` box at `(r0, c0)` and its 1-px margin are background.
fn free(mask: &[u8], width: usize, r0: usize, c0: usize, h: usize, w: usize) -> bool {
    (r0 - 1..r0 + h + 1).all(|r| mask[r * width + c0 - 1..r * width + c0 + w + 1].iter().all(|&m| m == 0))
}

/// Places the small connectivity-sensitive features in free background;
/// returns the number of `cells` slots used (from index `first`).
fn place_small_features(
    seed: u64,
    params: &MaskParams,
    grid: &Layout,
    cells: &mut [SimCell],
    mask: &mut [u8],
    owner: &mut [u32],
) -> usize {
    let (width, height, first) = (grid.width, grid.height, grid.count);
    let mut rng = Xoshiro256StarStar::stream(seed, TAG_SMALL, 0);
    let mut next = first;
    for kind in [CellKind::SinglePixel, CellKind::CornerBlock, CellKind::StairStep, CellKind::Diamond] {
        for _ in 0..params.small_features {
            for _ in 0..SMALL_TRIES {
                let side = match kind {
                    CellKind::SinglePixel => 1,
                    CellKind::CornerBlock => 4,
                    CellKind::StairStep => 3 + rng.below((STAIR_MAX - 2) as u64) as usize,
                    _ => 3,
                };
                if height < side + 2 || width < side + 2 {
                    break;
                }
                let r0 = 1 + rng.below((height - side - 1) as u64) as usize;
                let c0 = 1 + rng.below((width - side - 1) as u64) as usize;
                if !free(mask, width, r0, c0, side, side) {
                    continue;
                }
                let mut put = |cells: &mut [SimCell], id: usize, r: usize, c: usize| {
                    mask[r * width + c] = 255;
                    owner[r * width + c] = id as u32 + 1;
                    cells[id].area += 1;
                };
                let start = |cells: &mut [SimCell], id: usize, r: f64, c: f64| {
                    cells[id] = SimCell { kind, row: r, col: c, ..SimCell::EMPTY };
                };
                let (rf, cf) = (r0 as f64, c0 as f64);
                match kind {
                    CellKind::SinglePixel => {
                        start(cells, next, rf, cf);
                        put(cells, next, r0, c0);
                        next += 1;
                    }
                    CellKind::CornerBlock => {
                        for k in 0..2 {
                            start(cells, next, rf + 0.5 + 2.0 * k as f64, cf + 0.5 + 2.0 * k as f64);
                            for (dr, dc) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                                put(cells, next, r0 + 2 * k + dr, c0 + 2 * k + dc);
                            }
                            next += 1;
                        }
                    }
                    CellKind::StairStep => {
                        let flip = rng.next_f64() < 0.5;
                        for t in 0..side {
                            let c = if flip { c0 + side - 1 - t } else { c0 + t };
                            start(cells, next, (r0 + t) as f64, c as f64);
                            put(cells, next, r0 + t, c);
                            next += 1;
                        }
                    }
                    _ => {
                        start(cells, next, rf + 1.0, cf + 1.0);
                        for (dr, dc) in [(0, 1), (1, 0), (1, 2), (2, 1)] {
                            put(cells, next, r0 + dr, c0 + dc);
                        }
                        next += 1;
                    }
                }
                break;
            }
        }
    }
    next - first
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn tile(
        seed: u64,
        w: usize,
        h: usize,
        params: &MaskParams,
    ) -> (Vec<u8>, Vec<u32>, Vec<SimCell>, MaskInfo) {
        let mut mask = vec![7u8; w * h];
        let mut owner = vec![7u32; w * h];
        let mut cells = vec![SimCell::EMPTY; params.cell_capacity(w, h)];
        let info = generate_mask(seed, w, h, params, &mut mask, &mut owner, &mut cells).unwrap();
        (mask, owner, cells, info)
    }

    #[test]
    fn mask_owner_and_areas_agree() {
        let p = MaskParams::default();
        let (mask, owner, cells, info) = tile(3, 200, 150, &p);
        assert!(mask.iter().zip(&owner).all(|(&m, &o)| (m == 255) == (o != 0) && (m == 0 || m == 255)));
        let mut areas = vec![0u32; info.cells];
        for &o in &owner {
            if o != 0 {
                areas[o as usize - 1] += 1;
            }
        }
        assert!(cells[..info.cells].iter().zip(&areas).all(|(c, &a)| c.area == a));
        assert!(cells[info.cells..].iter().all(|c| *c == SimCell::EMPTY));
        let fg = info.foreground as f64 / (200.0 * 150.0);
        assert!((0.2..0.8).contains(&fg), "foreground fraction {fg}");
    }

    #[test]
    fn the_same_seed_gives_the_same_tile_and_another_seed_another() {
        let p = MaskParams::default();
        let a = tile(5, 90, 70, &p);
        let b = tile(5, 90, 70, &p);
        let c = tile(6, 90, 70, &p);
        assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        assert_ne!(a.1, c.1);
    }

    #[test]
    fn every_feature_kind_appears_on_a_large_tile() {
        let p = MaskParams { nested_fraction: 0.03, hole_fraction: 0.1, ..MaskParams::default() };
        let (_, _, cells, info) = tile(1, 400, 400, &p);
        for kind in [
            CellKind::Plain,
            CellKind::Holed,
            CellKind::Nested,
            CellKind::BorderHole,
            CellKind::SinglePixel,
            CellKind::CornerBlock,
            CellKind::StairStep,
            CellKind::Diamond,
        ] {
            assert!(cells[..info.cells].iter().any(|c| c.kind == kind && c.area > 0), "{kind:?} missing");
        }
    }

    #[test]
    fn empty_and_degenerate_shapes_do_not_panic() {
        let p = MaskParams::default();
        for (w, h) in [(0, 0), (0, 5), (5, 0), (1, 1), (1, 40), (40, 1), (2, 3), (4, 4)] {
            let (mask, _, _, info) = tile(9, w, h, &p);
            assert_eq!(mask.len(), w * h);
            assert!(info.cells <= p.cell_capacity(w, h));
        }
    }

    #[test]
    fn bad_buffers_and_parameters_are_reported_before_writing() {
        let p = MaskParams::default();
        let mut mask = [1u8; 20];
        let mut owner = [1u32; 20];
        let mut cells = [SimCell::EMPTY; 1];
        assert_eq!(
            generate_mask(0, 5, 4, &p, &mut mask, &mut owner, &mut cells),
            Err(Error::BufferTooSmall { buffer: "cells", needed: p.cell_capacity(5, 4), got: 1 })
        );
        assert_eq!(
            generate_mask(0, 5, 5, &p, &mut mask, &mut owner, &mut cells),
            Err(Error::ShapeMismatch { expected: 25, got: 20 })
        );
        let bad = MaskParams { cell_spacing: 2, ..p };
        assert!(generate_mask(0, 5, 4, &bad, &mut mask, &mut owner, &mut cells).is_err());
        let nan = MaskParams { hole_fraction: f64::NAN, ..p };
        assert!(generate_mask(0, 5, 4, &nan, &mut mask, &mut owner, &mut cells).is_err());
        assert!(mask.iter().all(|&m| m == 1) && owner.iter().all(|&o| o == 1));
    }
}
