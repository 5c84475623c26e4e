//! Connected-component labeling with `scipy.ndimage.label` numbering, and
//! the fused "fill holes, then label" kernel the viewer and the CLI use.
//!
//! Labels are `1..=N` in **raster order of each component's first pixel**
//! (row-major), exactly as scipy numbers them: `ndimage.label(mask)` for
//! [`Connectivity::Four`] and `ndimage.label(mask, structure=np.ones((3, 3)))`
//! for [`Connectivity::Eight`]. Background is `0`.
//!
//! # How it works
//!
//! All kernels here (and [`crate::fill`]) share one run-based engine: each
//! row is packed 64 pixels at a time into a bit word
//! ([`MaskValue::pack_foreground_word`]: eight at a time through a `u64`
//! for `u8` and `bool` masks, chosen at compile time by the mask type),
//! split into
//! runs of equal pixels, and the runs are joined to the overlapping runs of
//! the row above with a union-find that always links the larger root to the
//! smaller one. A set's root is therefore its first run in raster order, so
//! one pass over the runs in raster order numbers the sets exactly as scipy
//! does, and the label image is written run by run. Work is proportional to
//! the pixel count (bit packing and writing the output) plus the run count
//! (everything else).
//!
//! The run table lives in the caller's `u32` scratch: see
//! [`label_scratch_len`]. Images must have fewer than 2³² − 2 run slots
//! (about 8.5 G pixels), otherwise the kernels return
//! [`Error::DimensionsTooLarge`].

use crate::{Error, Grid, Label, MaskValue};

/// Which neighbours make two foreground pixels part of the same component.
///
/// ```
/// use cellmap_core::labeling::Connectivity;
/// assert_eq!(Connectivity::default(), Connectivity::Four); // scipy's default
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Connectivity {
    /// Edge neighbours only (up, down, left, right): `scipy.ndimage.label`'s
    /// default structure.
    #[default]
    Four,
    /// Edge and corner neighbours: `structure=np.ones((3, 3))`.
    Eight,
}

impl Connectivity {
    /// How far past a run's end a run of the next row may start and still
    /// touch it (0 for edge contact only, 1 to include corners).
    const fn reach(self) -> u32 {
        match self {
            Connectivity::Four => 0,
            Connectivity::Eight => 1,
        }
    }
}

/// Number of `u32` scratch elements [`label`] needs for a `width × height`
/// image (`0` for an empty image).
///
/// It is the worst case (a checkerboard): about 1.5 elements per pixel plus
/// one per row, whatever the mask holds. Saturates at `usize::MAX` for
/// impossible sizes, which no buffer can meet.
///
/// ```
/// use cellmap_core::labeling::label_scratch_len;
/// assert_eq!(label_scratch_len(0, 5), 0);
/// assert_eq!(label_scratch_len(4, 2), 3 * 2 * 3 + 2); // 3 run slots per row
/// assert!(label_scratch_len(1024, 1024) < 1024 * 1024 * 3 / 2 + 8 * 1024);
/// ```
pub const fn label_scratch_len(width: usize, height: usize) -> usize {
    run_scratch_len(width, height)
}

/// Number of `u32` scratch elements [`fill_holes_and_label`] needs; the
/// same as [`label_scratch_len`] (the fused kernel needs no more).
///
/// ```
/// use cellmap_core::labeling::{fill_holes_and_label_scratch_len, label_scratch_len};
/// assert_eq!(fill_holes_and_label_scratch_len(640, 480), label_scratch_len(640, 480));
/// ```
pub const fn fill_holes_and_label_scratch_len(width: usize, height: usize) -> usize {
    run_scratch_len(width, height)
}

/// Labels the connected components of `mask` (foreground = nonzero, see
/// [`MaskValue`]) into `labels`, numbered `1..=N` in raster order of each
/// component's first pixel exactly like `scipy.ndimage.label`, and returns
/// `N`. Background pixels get `0`.
///
/// `labels` needs at least `width * height` elements (only those are
/// written); `scratch` needs [`label_scratch_len`]`(width, height)`. On
/// success `scratch` also holds the labels as runs, which
/// [`LabelRuns::from_scratch`] reads (for kernels that work on runs).
///
/// # Errors
///
/// * [`Error::BufferTooSmall`] if `labels` or `scratch` is too short;
/// * [`Error::TooManyLabels`] if `N` exceeds `L::MAX_LABEL`;
/// * [`Error::DimensionsTooLarge`] for images beyond the `u32` run table.
///
/// Every check happens before `labels` is written: on error it is untouched.
///
/// ```
/// use cellmap_core::{Grid, labeling::{label, label_scratch_len, Connectivity}};
/// let rows = ["##..#", "#..#.", "..##."];
/// let mask: Vec<bool> = rows.concat().bytes().map(|c| c == b'#').collect();
/// let mut labels = [0u8; 15];
/// let mut scratch = [0u32; label_scratch_len(5, 3)];
/// let grid = Grid::new(5, 3, &mask)?;
///
/// let n = label(grid, Connectivity::Four, &mut labels, &mut scratch)?;
/// assert_eq!(n, 3);
/// assert_eq!(labels, [
///     1, 1, 0, 0, 2,
///     1, 0, 0, 3, 0,
///     0, 0, 3, 3, 0,
/// ]);
///
/// let n = label(grid, Connectivity::Eight, &mut labels, &mut scratch)?;
/// assert_eq!(n, 2);
/// assert_eq!(labels, [
///     1, 1, 0, 0, 2,
///     1, 0, 0, 2, 0,
///     0, 0, 2, 2, 0,
/// ]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn label<M: MaskValue, L: Label>(
    mask: Grid<'_, M>,
    connectivity: Connectivity,
    labels: &mut [L],
    scratch: &mut [u32],
) -> Result<usize, Error> {
    crate::error::ensure_len("labels", labels, mask.len())?;
    let runs = RunTable::from_scratch(mask.width(), mask.height(), scratch)?;
    label_with(mask, connectivity, labels, runs)
}

/// Labels the connected components of the **background** of `mask` (its
/// zero pixels), joined through edges only — the structure
/// `scipy.ndimage.binary_fill_holes` floods the background with — numbered
/// `1..=N` in raster order, and returns `N`. Foreground pixels get `0`.
/// Equal to `scipy.ndimage.label(mask == 0)`.
///
/// A tile of a larger image needs it: the background components of a tile
/// that touch its edges may still be holes of the whole image (see
/// `cellmap::tiles`). Buffers and errors as [`label`];
/// `scratch` needs [`label_scratch_len`]`(width, height)`.
///
/// ```
/// use cellmap_core::{Grid, labeling::{label_background, label_scratch_len}};
/// let rows = ["#.#", ".#.", "#.#"]; // four background pixels, none edge-adjacent
/// let mask: Vec<bool> = rows.concat().bytes().map(|c| c == b'#').collect();
/// let mut labels = [0i32; 9];
/// let mut scratch = [0u32; label_scratch_len(3, 3)];
/// let n = label_background(Grid::new(3, 3, &mask)?, &mut labels, &mut scratch)?;
/// assert_eq!((n, labels), (4, [0, 1, 0, 2, 0, 3, 0, 4, 0]));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn label_background<M: MaskValue, L: Label>(
    mask: Grid<'_, M>,
    labels: &mut [L],
    scratch: &mut [u32],
) -> Result<usize, Error> {
    crate::error::ensure_len("labels", labels, mask.len())?;
    let runs = RunTable::from_scratch(mask.width(), mask.height(), scratch)?;
    label_runs_with::<M, L, true>(mask, Connectivity::Four, labels, runs)
}

/// [`label`] on a run table whose size is checked; `labels` is long enough.
pub(crate) fn label_with<M: MaskValue, L: Label>(
    mask: Grid<'_, M>,
    connectivity: Connectivity,
    labels: &mut [L],
    runs: RunTable<'_>,
) -> Result<usize, Error> {
    label_runs_with::<M, L, false>(mask, connectivity, labels, runs)
}

/// Labels the runs of foreground (`BACKGROUND == false`) or background
/// pixels of `mask`.
fn label_runs_with<M: MaskValue, L: Label, const BACKGROUND: bool>(
    mask: Grid<'_, M>,
    connectivity: Connectivity,
    labels: &mut [L],
    mut runs: RunTable<'_>,
) -> Result<usize, Error> {
    let (width, height) = (mask.width(), mask.height());
    if mask.is_empty() {
        return Ok(0);
    }
    for row in 0..height {
        runs.scan_row::<M, BACKGROUND>(row, mask.row(row));
        runs.join_with_row_above(row, connectivity.reach());
    }
    let count = runs.number_components(height, L::MAX_LABEL)?;
    runs.write_labels(width, height, labels);
    Ok(count)
}

/// Fills the holes of `mask` (as [`crate::fill::fill_holes`]) and labels the
/// filled mask (as [`label`]) in one go, and returns the number of labels
/// `N`. Equal to `scipy.ndimage.label(scipy.ndimage.binary_fill_holes(mask))`
/// (with `structure=np.ones((3, 3))` for [`Connectivity::Eight`]); the
/// filled mask is `labels != 0`.
///
/// Faster than the two calls in a row: the mask is read once, and the
/// filled mask is never written out (the holes are found on background
/// runs, which then become the filled mask's runs in place).
///
/// `labels` needs at least `width * height` elements; `scratch` needs
/// [`fill_holes_and_label_scratch_len`]`(width, height)`. On success
/// `scratch` also holds the labels as runs ([`LabelRuns::from_scratch`]).
///
/// # Errors
///
/// As [`label`]: [`Error::BufferTooSmall`], [`Error::TooManyLabels`],
/// [`Error::DimensionsTooLarge`]; `labels` is untouched on error.
///
/// ```
/// use cellmap_core::{Grid, labeling::{fill_holes_and_label, fill_holes_and_label_scratch_len, Connectivity}};
/// // A ring (its hole becomes part of the cell), a diamond whose centre is
/// // closed only diagonally (filled: one cell of five pixels), a hole that
/// // is open to the border (kept).
/// let rows = ["###....", "#.#..#.", "###.#.#", ".....#.", "#.#...."];
/// let mask: Vec<bool> = rows.concat().bytes().map(|c| c == b'#').collect();
/// let mut labels = [0i32; 35];
/// let mut scratch = [0u32; fill_holes_and_label_scratch_len(7, 5)];
/// let grid = Grid::new(7, 5, &mask)?;
/// let n = fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch)?;
/// assert_eq!(n, 4);
/// assert_eq!(labels, [
///     1, 1, 1, 0, 0, 0, 0,
///     1, 1, 1, 0, 0, 2, 0,
///     1, 1, 1, 0, 2, 2, 2,
///     0, 0, 0, 0, 0, 2, 0,
///     3, 0, 4, 0, 0, 0, 0,
/// ]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn fill_holes_and_label<M: MaskValue, L: Label>(
    mask: Grid<'_, M>,
    connectivity: Connectivity,
    labels: &mut [L],
    scratch: &mut [u32],
) -> Result<usize, Error> {
    crate::error::ensure_len("labels", labels, mask.len())?;
    let runs = RunTable::from_scratch(mask.width(), mask.height(), scratch)?;
    fill_holes_and_label_with(mask, connectivity, labels, runs)
}

/// [`fill_holes_and_label`] on a run table whose size is checked; `labels`
/// is long enough.
pub(crate) fn fill_holes_and_label_with<M: MaskValue, L: Label>(
    mask: Grid<'_, M>,
    connectivity: Connectivity,
    labels: &mut [L],
    mut runs: RunTable<'_>,
) -> Result<usize, Error> {
    let (width, height) = (mask.width(), mask.height());
    if mask.is_empty() {
        return Ok(0);
    }
    let outside_root = runs.join_background(mask);
    // All rows first: filling a row in place overwrites the marks that
    // later rows' marks are read from.
    for row in 0..height {
        runs.mark_row(row, outside_root, |_, _, _| {});
    }
    for row in 0..height {
        runs.fill_row_in_place(row, width);
        runs.join_with_row_above(row, connectivity.reach());
    }
    let count = runs.number_components(height, L::MAX_LABEL)?;
    runs.write_labels(width, height, labels);
    Ok(count)
}

/// A label image as runs: for each row, the runs of cell pixels as
/// `(start, end, label)` column ranges, left to right. It is what
/// [`label`] and [`fill_holes_and_label`] leave in their `scratch` on
/// success, read back with [`LabelRuns::from_scratch`]; kernels that take
/// it ([`crate::stats::channel_means_of_runs`], [`crate::color::paint_runs`])
/// skip reading the label image and finding its runs again.
///
/// ```
/// use cellmap_core::{Grid, labeling::{fill_holes_and_label, fill_holes_and_label_scratch_len, Connectivity, LabelRuns}};
/// // ###.#
/// // #.#..
/// // ###..
/// let rows = ["###.#", "#.#..", "###.."];
/// let mask: Vec<bool> = rows.concat().bytes().map(|c| c == b'#').collect();
/// let mut labels = [0u8; 15];
/// let mut scratch = [0u32; fill_holes_and_label_scratch_len(5, 3)];
/// let n = fill_holes_and_label(Grid::new(5, 3, &mask)?, Connectivity::Four, &mut labels, &mut scratch)?;
/// let runs = LabelRuns::from_scratch(5, 3, n, &scratch)?;
/// assert_eq!(runs.row(0).collect::<Vec<_>>(), [(0, 3, 1), (4, 5, 2)]);
/// assert_eq!(runs.row(1).collect::<Vec<_>>(), [(0, 3, 1)]); // the hole is filled
/// assert!(LabelRuns::from_scratch(5, 3, n, &[0u32; 3]).is_err());
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LabelRuns<'a> {
    width: usize,
    height: usize,
    n_labels: usize,
    stride: usize,
    starts: &'a [u32],
    ends: &'a [u32],
    labels: &'a [u32],
    counts: &'a [u32],
}

impl<'a> LabelRuns<'a> {
    /// Reads the runs that [`label`] or [`fill_holes_and_label`] left in
    /// `scratch` after labelling a `width × height` mask into `n_labels`
    /// labels (their return value). The table is checked (O(runs)): every
    /// row's runs must be ordered, disjoint, inside the row and labelled
    /// `1..=n_labels`; otherwise (e.g. the scratch was changed since)
    /// [`Error::InvalidArgument`]. [`Error::BufferTooSmall`] for a scratch
    /// shorter than [`label_scratch_len`]`(width, height)`.
    pub fn from_scratch(
        width: usize,
        height: usize,
        n_labels: usize,
        scratch: &'a [u32],
    ) -> Result<Self, Error> {
        let stride = slots_per_row(width);
        check_dimensions(width, height, stride)?;
        crate::error::ensure_len("scratch", scratch, run_scratch_len(width, height))?;
        let (slots, rows) = if width == 0 || height == 0 { (0, 0) } else { (height * stride, height) };
        let bad = Error::InvalidArgument("scratch does not hold the runs of a labelled image of this size");
        let part = |k: usize, len: usize| scratch.get(k * slots..k * slots + len);
        let (Some(starts), Some(ends), Some(labels), Some(counts)) =
            (part(0, slots), part(1, slots), part(2, slots), part(3, rows))
        else {
            return Err(bad);
        };
        let runs = LabelRuns { width, height, n_labels, stride, starts, ends, labels, counts };
        // Per row, without a branch per run (the checks vectorise): every
        // run is nonempty and labelled 1..=n_labels, and starts at or after
        // the end of the run before it, so the ends increase and the last
        // one bounds them all.
        let max_label = u32::try_from(n_labels).unwrap_or(u32::MAX);
        for (row, &count) in counts.iter().enumerate() {
            if count as usize > stride {
                return Err(bad);
            }
            let slots = row * stride..row * stride + count as usize;
            let (starts, ends, labels) = (
                self::part(starts, slots.clone()),
                self::part(ends, slots.clone()),
                self::part(labels, slots),
            );
            let runs_ok = (starts.iter().zip(ends).zip(labels)).fold(true, |ok, ((&start, &end), &label)| {
                ok & (start < end) & (label != 0) & (label <= max_label)
            });
            let ordered = starts.iter().skip(1).zip(ends).fold(true, |ok, (&next, &end)| ok & (next >= end));
            let inside = ends.last().is_none_or(|&end| end as usize <= width);
            if !(runs_ok
                && ordered
                && inside
                && starts.len() == count as usize
                && labels.len() == starts.len())
            {
                return Err(bad);
            }
        }
        Ok(runs)
    }

    /// Columns of the image.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows of the image.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of labels `N` (labels are `1..=N`).
    pub fn n_labels(&self) -> usize {
        self.n_labels
    }

    /// The cells' runs of `row` as `(start, end, label)`: columns
    /// `start..end` have label `label`, left to right; every other pixel is
    /// background (0). Empty outside the image.
    pub fn row(&self, row: usize) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
        let base = row.wrapping_mul(self.stride);
        let slots = base..base.wrapping_add(get(self.counts, row) as usize);
        let (starts, ends, labels) =
            (part(self.starts, slots.clone()), part(self.ends, slots.clone()), part(self.labels, slots));
        starts.iter().zip(ends).zip(labels).map(|((&s, &e), &l)| (s as usize, e as usize, l as usize))
    }
}

// ---------------------------------------------------------------------------
// The run engine (shared with `fill`)
// ---------------------------------------------------------------------------

/// Marks a background run connected to the image border (after
/// [`RunTable::mark_row`]).
pub(crate) const OUTSIDE: u32 = u32::MAX;
/// Marks a background run enclosed by foreground (after
/// [`RunTable::mark_row`]).
pub(crate) const HOLE: u32 = u32::MAX - 1;

/// Run slots per row: a row of `width` pixels holds at most
/// `width / 2 + 1` runs of background and at most `(width + 1) / 2` of
/// foreground.
const fn slots_per_row(width: usize) -> usize {
    width / 2 + 1
}

/// `u32` scratch elements of a [`RunTable`] for a `width × height` image:
/// run starts, run ends and union-find parents per slot, and a run count
/// per row.
pub(crate) const fn run_scratch_len(width: usize, height: usize) -> usize {
    if width == 0 || height == 0 {
        return 0;
    }
    let slots = height.saturating_mul(slots_per_row(width));
    slots.saturating_mul(3).saturating_add(height)
}

/// Runs of equal pixels, row by row, with a union-find over them.
///
/// Row `r` owns slots `r * stride .. r * stride + counts[r]`; `starts` and
/// `ends` are column bounds (end exclusive). A slot's parent is always a
/// smaller slot, or itself for a root, so a root is the first run of its
/// set in raster order.
pub(crate) struct RunTable<'a> {
    starts: &'a mut [u32],
    ends: &'a mut [u32],
    parents: &'a mut [u32],
    counts: &'a mut [u32],
    stride: usize,
    /// The first background run touching the border, once one is seen.
    first_border_run: Option<u32>,
}

impl<'a> RunTable<'a> {
    /// Splits a caller's scratch (of [`run_scratch_len`]) into a table.
    pub(crate) fn from_scratch(width: usize, height: usize, scratch: &'a mut [u32]) -> Result<Self, Error> {
        let stride = slots_per_row(width);
        check_dimensions(width, height, stride)?;
        crate::error::ensure_len("scratch", scratch, run_scratch_len(width, height))?;
        let slots = if width == 0 { 0 } else { height * stride };
        let rows = if width == 0 { 0 } else { height };
        let split = (scratch.split_at_mut_checked(slots))
            .and_then(|(starts, rest)| Some((starts, rest.split_at_mut_checked(slots)?)))
            .and_then(|(starts, (ends, rest))| Some((starts, ends, rest.split_at_mut_checked(slots)?)))
            .and_then(|(starts, ends, (parents, rest))| Some((starts, ends, parents, rest.get_mut(..rows)?)));
        // Never `None`: the length was checked above.
        let Some((starts, ends, parents, counts)) = split else {
            return Err(Error::BufferTooSmall {
                buffer: "scratch",
                needed: run_scratch_len(width, height),
                got: 0,
            });
        };
        Self::from_parts(width, starts, ends, parents, counts, stride)
    }

    /// A table over separate arrays with `stride` slots per row (at least
    /// [`slots_per_row`]); used by [`crate::StaticSegmenter`].
    pub(crate) fn from_parts(
        width: usize,
        starts: &'a mut [u32],
        ends: &'a mut [u32],
        parents: &'a mut [u32],
        counts: &'a mut [u32],
        stride: usize,
    ) -> Result<Self, Error> {
        check_dimensions(width, counts.len(), stride)?;
        Ok(Self { starts, ends, parents, counts, stride, first_border_run: None })
    }

    /// Writes the runs of pixels that are foreground (`BACKGROUND == false`)
    /// or background (`true`) of image row `row` into its slots, each its own
    /// union-find root.
    fn scan_row<M: MaskValue, const BACKGROUND: bool>(&mut self, row: usize, pixels: &[M]) {
        let base = row * self.stride;
        let slots = base..base + self.stride;
        let starts = self.starts.get_mut(slots.clone()).unwrap_or_default();
        let ends = self.ends.get_mut(slots.clone()).unwrap_or_default();
        let parents = self.parents.get_mut(slots).unwrap_or_default();
        let flip = if BACKGROUND { u64::MAX } else { 0 };
        let (mut opened, mut closed) = (0usize, 0usize);
        // Writes the runs that open and close in one word of pixels;
        // `carry` is the bit of the pixel before the word.
        let mut edges = |bits: u64, valid: u64, column: u32, carry: u64| {
            let before = (bits << 1) | carry;
            let mut rises = bits & !before;
            let mut falls = !bits & before & valid;
            while rises != 0 {
                set(starts, opened, column + rises.trailing_zeros());
                set(parents, opened, (base + opened) as u32); // its own root
                opened += 1;
                rises &= rises - 1;
            }
            while falls != 0 {
                set(ends, closed, column + falls.trailing_zeros());
                closed += 1;
                falls &= falls - 1;
            }
        };
        let mut carry = 0u64;
        let mut column = 0u32;
        let mut chunks = pixels.chunks_exact(64);
        for chunk in &mut chunks {
            let Ok(chunk) = <&[M; 64]>::try_from(chunk) else { continue };
            let bits = M::pack_foreground_word(chunk) ^ flip;
            edges(bits, u64::MAX, column, carry);
            carry = bits >> 63;
            column += 64;
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let valid = (1u64 << rest.len()) - 1;
            let bits = (pack_foreground(rest) ^ flip) & valid;
            edges(bits, valid, column, carry);
        }
        if opened > closed {
            set(ends, closed, pixels.len() as u32); // the last run reaches the row's end
        }
        set(self.counts, row, opened as u32);
    }

    /// Joins the runs of `row` with the runs of the row above that they
    /// touch: overlapping columns for `reach == 0`, also diagonally
    /// adjacent ones for `reach == 1`.
    fn join_with_row_above(&mut self, row: usize, reach: u32) {
        if row == 0 {
            return;
        }
        let (above, current) = ((row - 1) * self.stride, row * self.stride);
        let above_runs = above..above + get(self.counts, row - 1) as usize;
        let current_runs = current..current + get(self.counts, row) as usize;
        let (above_starts, above_ends) = (part(self.starts, above_runs.clone()), part(self.ends, above_runs));
        let runs = part(self.starts, current_runs.clone()).iter().zip(part(self.ends, current_runs));
        let parents = &mut *self.parents;
        let mut next_above = 0usize;
        for (slot, (&start, &end)) in (current as u32..).zip(runs) {
            while above_ends.get(next_above).is_some_and(|&above_end| above_end + reach <= start) {
                next_above += 1;
            }
            let mut root = slot;
            let mut touching = next_above;
            while above_starts.get(touching).is_some_and(|&above_start| above_start < end + reach) {
                let other = find(parents, (above + touching) as u32);
                root = link(parents, root, other);
                touching += 1;
            }
            // The last run touched may reach on under the next run too.
            next_above = touching.saturating_sub(1).max(next_above);
        }
    }

    /// Background phase of hole filling: background runs joined through
    /// edges (scipy's default structure), and all runs touching the border
    /// joined into one set, whose root it returns (`None` when no
    /// background touches the border). Then [`RunTable::mark_row`] tells
    /// holes from the outside.
    pub(crate) fn join_background<M: MaskValue>(&mut self, mask: Grid<'_, M>) -> Option<u32> {
        let (width, height) = (mask.width(), mask.height());
        for row in 0..height {
            self.scan_row::<M, true>(row, mask.row(row));
            self.join_with_row_above(row, 0);
            let base = row * self.stride;
            let runs = base..base + get(self.counts, row) as usize;
            if row == 0 || row + 1 == height {
                runs.for_each(|slot| self.join_with_border(slot));
            } else if !runs.is_empty() {
                // Only a row's first and last runs can reach its ends.
                let (first, last) = (runs.start, runs.end - 1);
                if get(self.starts, first) == 0 {
                    self.join_with_border(first);
                }
                if get(self.ends, last) as usize == width {
                    self.join_with_border(last);
                }
            }
        }
        self.first_border_run.map(|first| find(self.parents, first))
    }

    /// Replaces the parents of the background runs of `row` with
    /// [`OUTSIDE`] or [`HOLE`], and hands each run to `each` as
    /// `(start, end, outside)` columns. Rows must be marked in order: a
    /// run's parent is an earlier run, already marked.
    pub(crate) fn mark_row(
        &mut self,
        row: usize,
        outside_root: Option<u32>,
        mut each: impl FnMut(usize, usize, bool),
    ) {
        let base = row * self.stride;
        for slot in base..base + get(self.counts, row) as usize {
            let parent = get(self.parents, slot);
            let mark = if parent as usize != slot {
                get(self.parents, parent as usize)
            } else if outside_root == Some(parent) {
                OUTSIDE
            } else {
                HOLE
            };
            set(self.parents, slot, mark);
            each(get(self.starts, slot) as usize, get(self.ends, slot) as usize, mark == OUTSIDE);
        }
    }

    /// Puts background run `slot`, which touches the image border, in the
    /// set of all such runs.
    fn join_with_border(&mut self, slot: usize) {
        match self.first_border_run {
            Some(first) => {
                let (a, b) = (find(self.parents, slot as u32), find(self.parents, first));
                link(self.parents, a, b);
            }
            None => self.first_border_run = Some(slot as u32),
        }
    }

    /// Replaces the background runs of `row` (marked by
    /// [`RunTable::mark_row`]) with the foreground runs of the filled
    /// mask: the gaps between [`OUTSIDE`] runs. Run `k` of the new row is
    /// written only after old run `k` has been read.
    fn fill_row_in_place(&mut self, row: usize, width: usize) {
        let base = row * self.stride;
        let mut count = 0usize;
        let mut gap_start = 0u32;
        for slot in base..base + get(self.counts, row) as usize {
            if get(self.parents, slot) == OUTSIDE {
                let (start, end) = (get(self.starts, slot), get(self.ends, slot));
                if start > gap_start {
                    set(self.starts, base + count, gap_start);
                    set(self.ends, base + count, start);
                    count += 1;
                }
                gap_start = end;
            }
        }
        if (gap_start as usize) < width {
            set(self.starts, base + count, gap_start);
            set(self.ends, base + count, width as u32);
            count += 1;
        }
        for (k, parent) in self.parents.get_mut(base..base + count).unwrap_or_default().iter_mut().enumerate()
        {
            *parent = (base + k) as u32;
        }
        set(self.counts, row, count as u32);
    }

    /// Replaces every slot's parent with its component's label, `1..=N` in
    /// raster order of the components' first runs, and returns `N`.
    fn number_components(&mut self, height: usize, max_label: usize) -> Result<usize, Error> {
        let mut count = 0usize;
        for row in 0..height {
            let base = row * self.stride;
            for slot in base..base + get(self.counts, row) as usize {
                let parent = get(self.parents, slot) as usize;
                let label = if parent == slot {
                    if count == max_label {
                        return Err(Error::TooManyLabels { capacity: max_label });
                    }
                    count += 1;
                    count as u32
                } else {
                    get(self.parents, parent) // already a label: parents point backwards
                };
                set(self.parents, slot, label);
            }
        }
        Ok(count)
    }

    /// Writes the label image from the numbered runs: the image is one
    /// sequence of segments (background gap, run, gap, run, ... across
    /// rows), each [`paint`]ed in order.
    fn write_labels<L: Label>(&self, width: usize, height: usize, labels: &mut [L]) {
        let total = width * height;
        let out = labels.get_mut(..total).unwrap_or_default();
        let mut done = 0usize;
        for row in 0..height {
            let (base, first_pixel) = (row * self.stride, row * width);
            let slots = base..base + get(self.counts, row) as usize;
            let runs = part(self.starts, slots.clone())
                .iter()
                .zip(part(self.ends, slots.clone()))
                .zip(part(self.parents, slots));
            for ((&start, &end), &label) in runs {
                let (start, end) = (first_pixel + start as usize, first_pixel + end as usize);
                paint(out, done, start, L::default());
                paint(out, start, end, L::from_index(label as usize));
                done = end;
            }
        }
        paint(out, done, total, L::default());
    }
}

/// Elements [`paint`] stores at once.
const PAINT_BLOCK: usize = 32;

/// Sets `out[from..to]` to `value` in whole blocks of [`PAINT_BLOCK`]
/// elements, so short segments cost one store and no loop-exit
/// misprediction. A block may run past `to`: callers paint the segments of
/// `out` in order, and the next segment (which starts at `to` and covers at
/// least one block) overwrites the overshoot; near the end of `out` it
/// falls back to an exact fill.
#[inline(always)]
pub(crate) fn paint<T: Copy>(out: &mut [T], from: usize, to: usize, value: T) {
    let block = [value; PAINT_BLOCK];
    let mut at = from;
    while at < to {
        match out.get_mut(at..at + PAINT_BLOCK) {
            Some(target) => target.copy_from_slice(&block),
            None => {
                if let Some(tail) = out.get_mut(at..to) {
                    tail.fill(value);
                }
                return;
            }
        }
        at += PAINT_BLOCK;
    }
}

/// Rejects images whose columns (plus one, for diagonal reach) or run
/// slots (`height × stride`) would reach the marker values in `u32`.
fn check_dimensions(width: usize, height: usize, stride: usize) -> Result<(), Error> {
    let fits = width == 0
        || height == 0
        || (width < HOLE as usize && height.checked_mul(stride).is_some_and(|slots| slots < HOLE as usize));
    if fits { Ok(()) } else { Err(Error::DimensionsTooLarge { width, height }) }
}

/// Bit `k` set iff byte `k` is nonzero, eight bytes per `u64`: the high
/// bit of `(b & 0x7f) + 0x7f | b` says "nonzero" without carries between
/// bytes, and one multiply gathers the eight flags into the top byte.
#[inline(always)]
pub(crate) fn pack_nonzero_bytes(bytes: &[u8; 64]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    const GATHER: u64 = 0x0102_0408_1020_4080;
    let mut bits = 0u64;
    for (group, chunk) in bytes.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let nonzero = ((((x & LOW7) + LOW7) | x) >> 7) & ONES;
        bits |= (nonzero.wrapping_mul(GATHER) >> 56) << (8 * group);
    }
    bits
}

/// Packs the up to 63 pixels at the end of a row like
/// [`MaskValue::pack_foreground_word`].
#[inline(always)]
fn pack_foreground<M: MaskValue>(pixels: &[M]) -> u64 {
    let mut bits = 0u64;
    for (k, &pixel) in pixels.iter().enumerate() {
        bits |= u64::from(pixel.is_foreground()) << k;
    }
    bits
}

/// The root of `slot`'s set (path halving).
#[inline]
fn find(parents: &mut [u32], mut slot: u32) -> u32 {
    loop {
        let parent = parents.get(slot as usize).copied().unwrap_or(slot);
        if parent == slot {
            return slot;
        }
        let grandparent = get(parents, parent as usize);
        set(parents, slot as usize, grandparent);
        slot = grandparent;
    }
}

/// Merges the sets of roots `a` and `b` under the smaller one, which it
/// returns.
#[inline]
fn link(parents: &mut [u32], a: u32, b: u32) -> u32 {
    if a < b {
        set(parents, b as usize, a);
        a
    } else {
        set(parents, a as usize, b);
        b
    }
}

// The run table is indexed only below its own counts, which never exceed
// its slots (a row of `width` pixels has at most `slots_per_row(width)`
// runs), so these never miss; they read 0 and drop the write instead of
// panicking, which keeps every kernel free of panic paths (see
// `scripts/check-ffi.sh`) at the cost of the compare a bounds check does
// anyway.

/// `table[i]` (0 past the end).
#[inline(always)]
fn get(table: &[u32], i: usize) -> u32 {
    table.get(i).copied().unwrap_or(0)
}

/// `table[i] = value` (nothing past the end).
#[inline(always)]
fn set(table: &mut [u32], i: usize, value: u32) {
    if let Some(entry) = table.get_mut(i) {
        *entry = value;
    }
}

/// `&table[range]` (empty past the end).
#[inline(always)]
fn part(table: &[u32], range: core::ops::Range<usize>) -> &[u32] {
    table.get(range).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::{vec, vec::Vec};

    /// Parses rows of `#` (foreground) and `.` into (width, height, mask).
    fn picture(rows: &[&str]) -> (usize, usize, Vec<bool>) {
        let width = rows.first().map_or(0, |r| r.len());
        let mask = rows.iter().flat_map(|r| r.bytes().map(|c| c == b'#')).collect();
        (width, rows.len(), mask)
    }

    /// Rows of digits (`.` for 0) into labels.
    fn digits(rows: &[&str]) -> Vec<u32> {
        rows.iter().flat_map(|r| r.bytes().map(|c| if c == b'.' { 0 } else { u32::from(c - b'0') })).collect()
    }

    fn run_label(rows: &[&str], connectivity: Connectivity) -> (usize, Vec<u32>) {
        let (w, h, mask) = picture(rows);
        let mut labels = vec![0u32; w * h];
        let mut scratch = vec![0u32; label_scratch_len(w, h)];
        let n = label(Grid::new(w, h, &mask).unwrap(), connectivity, &mut labels, &mut scratch).unwrap();
        (n, labels)
    }

    fn run_fused(rows: &[&str], connectivity: Connectivity) -> (usize, Vec<u32>) {
        let (w, h, mask) = picture(rows);
        let mut labels = vec![0u32; w * h];
        let mut scratch = vec![0u32; fill_holes_and_label_scratch_len(w, h)];
        let n =
            fill_holes_and_label(Grid::new(w, h, &mask).unwrap(), connectivity, &mut labels, &mut scratch)
                .unwrap();
        (n, labels)
    }

    #[test]
    fn u_shapes_are_numbered_by_their_first_pixel() {
        let rows = ["#.#.##", "#.#..#", "###.##", "......", "##.#.#", ".###.#"];
        let (n, labels) = run_label(&rows, Connectivity::Four);
        assert_eq!(n, 4);
        // The run at (4, 3) is provisionally a new component, then joins 3.
        assert_eq!(labels, digits(&["1.1.22", "1.1..2", "111.22", "......", "33.3.4", ".333.4"]));
    }

    #[test]
    fn checkerboard_is_one_label_per_pixel_or_one_per_board() {
        let rows = ["#.#.", ".#.#", "#.#."];
        let (n, labels) = run_label(&rows, Connectivity::Four);
        assert_eq!(n, 6);
        assert_eq!(labels, digits(&["1.2.", ".3.4", "5.6."]));
        let (n, labels) = run_label(&rows, Connectivity::Eight);
        assert_eq!(n, 1);
        assert_eq!(labels, digits(&["1.1.", ".1.1", "1.1."]));
    }

    #[test]
    fn a_late_join_shifts_the_numbers_of_later_components() {
        // The runs at (0, 0) and (0, 4) meet on the last row; the dot at
        // (1, 2) is the second component in raster order.
        let rows = ["#...#", "#.#.#", "#...#", "#####"];
        let want = (2, digits(&["1...1", "1.2.1", "1...1", "11111"]));
        assert_eq!(run_label(&rows, Connectivity::Four), want);
        assert_eq!(run_label(&rows, Connectivity::Eight), want);
    }

    #[test]
    fn diagonal_staircase() {
        let rows = ["#...", ".#..", "..#.", "...#"];
        assert_eq!(run_label(&rows, Connectivity::Four).0, 4);
        assert_eq!(run_label(&rows, Connectivity::Eight), (1, digits(&["1...", ".1..", "..1.", "...1"])));
    }

    #[test]
    fn fused_fills_nested_rings_and_keeps_open_holes() {
        let rows = [
            "#######.", "#.....#.", "#.###.#.", "#.#.#.#.", "#.###.#.", "#.....#.", "#######.", "........",
            "##.#...#",
        ];
        let solid = "1111111.";
        let want = digits(&[solid, solid, solid, solid, solid, solid, solid, "........", "22.3...4"]);
        assert_eq!(run_fused(&rows, Connectivity::Four), (4, want));
    }

    #[test]
    fn fused_diamond_becomes_one_cell() {
        let rows = [".#.", "#.#", ".#."];
        assert_eq!(run_fused(&rows, Connectivity::Four), (1, digits(&[".1.", "111", ".1."])));
        assert_eq!(run_label(&rows, Connectivity::Four).0, 4);
    }

    #[test]
    fn empty_and_degenerate_images() {
        for (w, h) in [(0, 0), (0, 7), (7, 0)] {
            let mask = vec![1u8; w * h];
            let mut labels: Vec<i32> = vec![];
            let grid = Grid::new(w, h, &mask).unwrap();
            assert_eq!(label(grid, Connectivity::Four, &mut labels, &mut []), Ok(0));
            assert_eq!(fill_holes_and_label(grid, Connectivity::Eight, &mut labels, &mut []), Ok(0));
        }
        assert_eq!(run_label(&["#"], Connectivity::Four), (1, vec![1]));
        assert_eq!(run_label(&["."], Connectivity::Four), (0, vec![0]));
        assert_eq!(run_fused(&["#.#.##"], Connectivity::Four), (3, digits(&["1.2.33"])));
    }

    #[test]
    fn rows_longer_than_a_word() {
        let row: std::string::String = (0..150).map(|c| if c % 3 == 2 { '.' } else { '#' }).collect();
        let rows = [row.as_str(), row.as_str()];
        let (n, labels) = run_label(&rows, Connectivity::Four);
        assert_eq!(n, 50);
        assert_eq!(labels[63], 22);
        assert_eq!(labels[150 + 64], 22);
        assert_eq!(labels[148], 50);
    }

    #[test]
    fn byte_packing_agrees_with_is_foreground_for_every_byte_value() {
        for shift in 0..64u32 {
            let bytes: [u8; 64] = core::array::from_fn(|k| (k as u32 * 37 + shift * 11) as u8);
            let want = bytes.iter().enumerate().fold(0u64, |bits, (k, &b)| bits | (u64::from(b != 0) << k));
            assert_eq!(pack_nonzero_bytes(&bytes), want, "shift {shift}");
            assert_eq!(u8::pack_foreground_word(&bytes), want);
            assert_eq!(bool::pack_foreground_word(&bytes.map(|b| b != 0)), want);
            assert_eq!(u16::pack_foreground_word(&bytes.map(u16::from)), want);
        }
        let mut zero_and_one = [0u8; 64];
        for value in 0..=255u8 {
            zero_and_one[value as usize % 64] = value;
            let want =
                zero_and_one.iter().enumerate().fold(0u64, |bits, (k, &b)| bits | (u64::from(b != 0) << k));
            assert_eq!(pack_nonzero_bytes(&zero_and_one), want, "value {value}");
        }
    }

    #[test]
    fn buffer_errors_leave_outputs_untouched() {
        let (w, h, mask) = picture(&["#.", ".#"]);
        let grid = Grid::new(w, h, &mask).unwrap();
        let mut labels = [7u8; 3];
        let mut scratch = [0u32; 64];
        assert_eq!(
            label(grid, Connectivity::Four, &mut labels, &mut scratch),
            Err(Error::BufferTooSmall { buffer: "labels", needed: 4, got: 3 })
        );
        assert_eq!(labels, [7; 3]);
        let mut labels = [7u8; 4];
        let needed = label_scratch_len(2, 2);
        assert_eq!(
            fill_holes_and_label(grid, Connectivity::Four, &mut labels, &mut scratch[..needed - 1]),
            Err(Error::BufferTooSmall { buffer: "scratch", needed, got: needed - 1 })
        );
        assert_eq!(labels, [7; 4]);
    }

    #[test]
    fn elements_past_the_image_are_left_alone() {
        // Outputs are painted in blocks; none may spill past `width * height`.
        let (w, h, mask) = picture(&["#..#.##", "##....#", "...##.."]);
        let grid = Grid::new(w, h, &mask).unwrap();
        let mut scratch = vec![0u32; label_scratch_len(w, h)];
        let mut labels = vec![9u16; w * h + 40];
        assert_eq!(label(grid, Connectivity::Four, &mut labels, &mut scratch), Ok(4));
        assert!(labels[w * h..].iter().all(|&l| l == 9));
        assert_eq!(fill_holes_and_label(grid, Connectivity::Eight, &mut labels, &mut scratch), Ok(4));
        assert!(labels[w * h..].iter().all(|&l| l == 9));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn images_beyond_the_u32_run_table_are_rejected_up_front() {
        // Zero-sized pixels: a 2³² × 2 image that takes no memory.
        #[derive(Clone, Copy)]
        struct Nothing;
        impl MaskValue for Nothing {
            fn is_foreground(self) -> bool {
                true
            }
        }
        let (width, height) = (1usize << 32, 2);
        let mask = [Nothing; 1 << 33];
        let grid = Grid::new(width, height, &mask[..]).unwrap();
        let mut labels: Vec<u8> = vec![0; 4];
        assert_eq!(
            label(grid, Connectivity::Four, &mut labels, &mut []),
            Err(Error::BufferTooSmall { buffer: "labels", needed: width * height, got: 4 })
        );
        let mut filled = vec![false; 0];
        assert_eq!(
            crate::fill::fill_holes(grid, &mut filled, &mut []),
            Err(Error::BufferTooSmall { buffer: "filled", needed: width * height, got: 0 })
        );
        let mut scratch = [0u32; 4];
        assert_eq!(
            RunTable::from_scratch(width, height, &mut scratch).err(),
            Some(Error::DimensionsTooLarge { width, height })
        );
    }

    #[test]
    fn too_many_labels_for_u8() {
        // A 32×32 checkerboard has 512 components under 4-connectivity.
        let mask: Vec<u8> = (0..32 * 32).map(|i| u8::from((i / 32 + i % 32) % 2 == 0)).collect();
        let grid = Grid::new(32, 32, &mask).unwrap();
        let mut scratch = vec![0u32; label_scratch_len(32, 32)];
        let mut labels = vec![9u8; 32 * 32];
        assert_eq!(
            label(grid, Connectivity::Four, &mut labels, &mut scratch),
            Err(Error::TooManyLabels { capacity: 255 })
        );
        assert!(labels.iter().all(|&l| l == 9));
        assert_eq!(label(grid, Connectivity::Eight, &mut labels, &mut scratch), Ok(1));
        let mut wide = vec![0u16; 32 * 32];
        assert_eq!(label(grid, Connectivity::Four, &mut wide, &mut scratch), Ok(512));
    }

    // ---- brute-force references -------------------------------------------

    fn neighbours(connectivity: Connectivity) -> &'static [(isize, isize)] {
        match connectivity {
            Connectivity::Four => &[(-1, 0), (1, 0), (0, -1), (0, 1)],
            Connectivity::Eight => &[(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)],
        }
    }

    /// Flood fill from every unlabelled foreground pixel in raster order.
    pub(crate) fn reference_label(
        w: usize,
        h: usize,
        mask: &[bool],
        connectivity: Connectivity,
    ) -> (usize, Vec<u32>) {
        let mut labels = vec![0u32; w * h];
        let mut n = 0;
        for seed in 0..w * h {
            if !mask[seed] || labels[seed] != 0 {
                continue;
            }
            n += 1;
            labels[seed] = n;
            let mut stack = vec![seed];
            while let Some(p) = stack.pop() {
                let (r, c) = ((p / w) as isize, (p % w) as isize);
                for &(dr, dc) in neighbours(connectivity) {
                    let (rr, cc) = (r + dr, c + dc);
                    if rr < 0 || cc < 0 || rr >= h as isize || cc >= w as isize {
                        continue;
                    }
                    let q = rr as usize * w + cc as usize;
                    if mask[q] && labels[q] == 0 {
                        labels[q] = n;
                        stack.push(q);
                    }
                }
            }
        }
        (n as usize, labels)
    }

    /// Flood fill of the background from the border (4-connected).
    pub(crate) fn reference_fill(w: usize, h: usize, mask: &[bool]) -> Vec<bool> {
        let mut outside = vec![false; w * h];
        let mut stack: Vec<usize> = (0..w * h)
            .filter(|&p| !mask[p] && (p / w == 0 || p / w == h - 1 || p % w == 0 || p % w == w - 1))
            .collect();
        for &p in &stack {
            outside[p] = true;
        }
        while let Some(p) = stack.pop() {
            let (r, c) = ((p / w) as isize, (p % w) as isize);
            for &(dr, dc) in neighbours(Connectivity::Four) {
                let (rr, cc) = (r + dr, c + dc);
                if rr < 0 || cc < 0 || rr >= h as isize || cc >= w as isize {
                    continue;
                }
                let q = rr as usize * w + cc as usize;
                if !mask[q] && !outside[q] {
                    outside[q] = true;
                    stack.push(q);
                }
            }
        }
        outside.iter().map(|&o| !o).collect()
    }

    /// Random masks of 0..=W × 0..=H pixels with a random density.
    pub(crate) fn masks(max_w: usize, max_h: usize) -> impl Strategy<Value = (usize, usize, Vec<bool>)> {
        (0..=max_w, 0..=max_h, 0.0f64..1.0).prop_flat_map(|(w, h, density)| {
            proptest::collection::vec(proptest::bool::weighted(density), w * h).prop_map(move |m| (w, h, m))
        })
    }

    proptest! {
        #[test]
        fn label_matches_flood_fill((w, h, mask) in masks(140, 10), eight in any::<bool>()) {
            let connectivity = if eight { Connectivity::Eight } else { Connectivity::Four };
            let mut labels = vec![0i32; w * h];
            let mut scratch = vec![0u32; label_scratch_len(w, h)];
            let n = label(Grid::new(w, h, &mask).unwrap(), connectivity, &mut labels, &mut scratch).unwrap();
            let (want_n, want) = reference_label(w, h, &mask, connectivity);
            prop_assert_eq!(n, want_n);
            prop_assert_eq!(labels.iter().map(|&l| l as u32).collect::<Vec<_>>(), want);
        }

        #[test]
        fn label_of_any_byte_values_matches_flood_fill(
            (w, h, bytes) in (0usize..140, 0usize..6).prop_flat_map(|(w, h)| {
                (Just(w), Just(h), proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], w * h))
            })
        ) {
            let mask: Vec<bool> = bytes.iter().map(|&b| b != 0).collect();
            let mut labels = vec![0u32; w * h];
            let mut scratch = vec![0u32; label_scratch_len(w, h)];
            let n = label(Grid::new(w, h, &bytes).unwrap(), Connectivity::Four, &mut labels, &mut scratch).unwrap();
            let (want_n, want) = reference_label(w, h, &mask, Connectivity::Four);
            prop_assert_eq!(n, want_n);
            prop_assert_eq!(labels, want);
        }

        #[test]
        fn background_labels_match_flood_fill_of_the_inverse((w, h, mask) in masks(140, 10)) {
            let inverse: Vec<bool> = mask.iter().map(|&m| !m).collect();
            let mut labels = vec![0u32; w * h];
            let mut scratch = vec![0u32; label_scratch_len(w, h)];
            let n = label_background(Grid::new(w, h, &mask).unwrap(), &mut labels, &mut scratch).unwrap();
            let (want_n, want) = reference_label(w, h, &inverse, Connectivity::Four);
            prop_assert_eq!(n, want_n);
            prop_assert_eq!(labels, want);
        }

        #[test]
        fn fused_matches_flood_fills((w, h, mask) in masks(140, 10), eight in any::<bool>()) {
            let connectivity = if eight { Connectivity::Eight } else { Connectivity::Four };
            let mut labels = vec![0u32; w * h];
            let mut scratch = vec![0u32; fill_holes_and_label_scratch_len(w, h)];
            let n = fill_holes_and_label(Grid::new(w, h, &mask).unwrap(), connectivity, &mut labels, &mut scratch)
                .unwrap();
            let filled = if w * h == 0 { vec![] } else { reference_fill(w, h, &mask) };
            let (want_n, want) = reference_label(w, h, &filled, connectivity);
            prop_assert_eq!(n, want_n);
            prop_assert_eq!(labels, want);
        }

        #[test]
        fn runs_left_in_the_scratch_are_the_label_image(
            (w, h, mask) in masks(140, 10), eight in any::<bool>(), fill in any::<bool>(),
            seed in proptest::collection::vec(any::<u16>(), 140 * 10 * 3), keep in any::<bool>(),
        ) {
            let connectivity = if eight { Connectivity::Eight } else { Connectivity::Four };
            let grid = Grid::new(w, h, &mask).unwrap();
            let mut labels = vec![0i32; w * h];
            let mut scratch = vec![0u32; label_scratch_len(w, h)];
            let n = if fill {
                fill_holes_and_label(grid, connectivity, &mut labels, &mut scratch).unwrap()
            } else {
                label(grid, connectivity, &mut labels, &mut scratch).unwrap()
            };
            let runs = LabelRuns::from_scratch(w, h, n, &scratch).unwrap();
            let mut from_runs = vec![0i32; w * h];
            for row in 0..h {
                for (start, end, l) in runs.row(row) {
                    from_runs[row * w + start..row * w + end].fill(l as i32);
                }
            }
            prop_assert_eq!(&from_runs, &labels);
            // The run kernels equal the label-image kernels, bit for bit.
            let channels: Vec<&[u16]> = seed.chunks(140 * 10).map(|c| &c[..w * h]).collect();
            let opts = if keep { crate::stats::Options::new().keep_zeros() } else { crate::stats::Options::new() };
            let table = crate::stats::cell_gene_table_len(n, 3);
            let (mut c1, mut m1, mut c2, mut m2) = (vec![0u32; table], vec![0f64; table], vec![1u32; table], vec![1f64; table]);
            crate::stats::channel_means(grid_of(w, h, &labels), &channels, n, opts, &mut c1, &mut m1).unwrap();
            crate::stats::channel_means_of_runs(&runs, &channels, opts, &mut c2, &mut m2).unwrap();
            prop_assert_eq!(c1, c2);
            prop_assert_eq!(m1.iter().map(|m| m.to_bits()).collect::<Vec<_>>(), m2.iter().map(|m| m.to_bits()).collect::<Vec<_>>());
            let colors: Vec<u32> = (0..=n as u32).map(|c| c.wrapping_mul(2_654_435_761)).collect();
            let (mut p1, mut p2) = (vec![0u32; w * h], vec![7u32; w * h]);
            crate::color::paint(grid_of(w, h, &labels), &colors, None, &mut p1).unwrap();
            crate::color::paint_runs(&runs, &colors, &mut p2).unwrap();
            prop_assert_eq!(p1, p2);
        }

        #[test]
        fn a_changed_scratch_is_rejected_or_still_a_valid_table(
            (w, h, mask) in masks(40, 6), at in any::<usize>(), value in any::<u32>(),
        ) {
            let mut labels = vec![0u16; w * h];
            let mut scratch = vec![0u32; label_scratch_len(w, h)];
            let n = fill_holes_and_label(Grid::new(w, h, &mask).unwrap(), Connectivity::Four, &mut labels, &mut scratch)
                .unwrap();
            if !scratch.is_empty() {
                let len = scratch.len();
                scratch[at % len] = value;
            }
            if let Ok(runs) = LabelRuns::from_scratch(w, h, n, &scratch) {
                let colors = vec![1u8; n + 1];
                let mut out = vec![0u8; w * h];
                crate::color::paint_runs(&runs, &colors, &mut out).unwrap();
                for row in 0..h {
                    let mut done = 0;
                    for (start, end, l) in runs.row(row) {
                        prop_assert!(done <= start && start < end && end <= w && (1..=n).contains(&l));
                        done = end;
                    }
                }
            }
        }
    }

    fn grid_of(w: usize, h: usize, labels: &[i32]) -> Grid<'_, i32> {
        Grid::new(w, h, labels).unwrap()
    }
}
