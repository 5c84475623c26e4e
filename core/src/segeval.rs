//! Segmentation evaluation as GeneSegNet (Cellpose's `metrics.py`) scores a
//! predicted label image against a true one: IoU of overlapping label pairs,
//! true positives at IoU thresholds, average precision
//! `AP = TP / (TP + FP + FN)`, the aggregated Jaccard index, and the
//! post-processing `fill_holes_and_remove_small_masks` (min size 15 px).
//!
//! * [`overlaps`] counts, in one pass over the two images, the pixels of
//!   every *overlapping* pair (true label, predicted label), both nonzero —
//!   a sparse contingency table in a caller-given hash table — and the
//!   area of every label. `IoU = o / (area_true + area_pred − o)` in `f64`
//!   ([`iou`]), as numpy divides the counts.
//! * [`max_weight_matching`] is the assignment GeneSegNet asks
//!   `scipy.optimize.linear_sum_assignment` for, on the sparse pairs.
//!   GeneSegNet's cost is `−[IoU ≥ t] − IoU / (2·min(n_true, n_pred))` over
//!   the full matrix; pairs that do not overlap cost 0 (for `t > 0`), so an
//!   optimal full assignment restricted to overlapping pairs is a maximum
//!   weight matching of the weights `[IoU ≥ t] + IoU / (2·n_min)` on them,
//!   and vice versa. The second term sums to at most ½ over any matching,
//!   so the optimum first maximises the number of pairs with `IoU ≥ t`:
//!   **TP(t) is the size of a maximum matching of the pairs with
//!   `IoU ≥ t`**, whatever the ties. The aggregated Jaccard index sums the
//!   overlaps of the matched pairs at `t = 0.5`; it depends on which optimum
//!   is taken only when two matchings have equal weight sums (equal IoU
//!   sums) but different overlaps, a tie scipy breaks by its own order.
//! * [`average_precision`] and [`aggregated_jaccard_index`] put these
//!   together with GeneSegNet's counts: `n_true` and `n_pred` are the
//!   **largest labels** (not the number of distinct labels), AP is computed
//!   in `f32` as numpy does (`0/0` gives NaN).
//! * [`fill_holes_and_remove_small_masks`] is GeneSegNet's post-processing,
//!   in place on a label image.

use crate::fill::{fill_holes, fill_holes_scratch_len};
use crate::{Error, Grid, Label};

/// GeneSegNet's IoU thresholds (`metrics.average_precision` at its commit
/// `027d67a`; its print statement calls the first one "0.5").
pub const DEFAULT_THRESHOLDS: [f64; 3] = [0.25, 0.75, 0.9];

/// GeneSegNet's minimum mask size in pixels (`compute_masks`).
pub const DEFAULT_MIN_SIZE: usize = 15;

/// The IoU threshold of the aggregated Jaccard index's matching.
pub const AJI_THRESHOLD: f64 = 0.5;

/// The pixels shared by one true label and one predicted label (both
/// nonzero). An unused hash slot has `pixels == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Overlap {
    /// Label in the true image (`1..=n_true`).
    pub true_label: u32,
    /// Label in the predicted image (`1..=n_pred`).
    pub pred_label: u32,
    /// Number of pixels with both labels.
    pub pixels: u32,
}

/// What [`overlaps`] counted besides the pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverlapCounts {
    /// Number of distinct overlapping pairs, at the front of the table
    /// sorted by (true label, predicted label).
    pub pairs: usize,
    /// Pixels that are foreground in either image (the union of the
    /// aggregated Jaccard index).
    pub union: u64,
}

/// Number of [`Overlap`] slots [`overlaps`] needs to hold `n_pairs`
/// distinct pairs (the hash table is kept at most two-thirds full).
/// Saturates at `usize::MAX`.
///
/// ```
/// assert_eq!(cellmap_core::segeval::overlap_table_len(100), 151);
/// ```
pub const fn overlap_table_len(n_pairs: usize) -> usize {
    n_pairs.saturating_add(n_pairs / 2).saturating_add(1)
}

/// The most distinct overlapping pairs two `width × height` images with
/// labels up to `n_true` and `n_pred` can hold: `min(width·height,
/// n_true·n_pred)`. A table of [`overlap_table_len`] of it is always
/// enough. Saturates at `usize::MAX`.
///
/// ```
/// use cellmap_core::segeval::max_overlap_pairs;
/// assert_eq!(max_overlap_pairs(4, 4, 2, 3), 6);
/// assert_eq!(max_overlap_pairs(2, 2, 10, 10), 4);
/// ```
pub const fn max_overlap_pairs(width: usize, height: usize, n_true: usize, n_pred: usize) -> usize {
    let pixels = width.saturating_mul(height);
    let pairs = n_true.saturating_mul(n_pred);
    if pixels < pairs { pixels } else { pairs }
}

/// Slot of a pair in a table of `len` slots (multiplicative hash, then the
/// high half of a 64 × 64-bit product as the range reduction).
fn slot_of(true_label: u32, pred_label: u32, len: usize) -> usize {
    let key = (u64::from(true_label) << 32) | u64::from(pred_label);
    let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (key >> 29);
    let hash = hash.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    ((u128::from(hash) * len as u128) >> 64) as usize
}

/// Counts the pixels of every overlapping label pair of `truth` and `pred`
/// (both nonzero) and every label's area, in one pass.
///
/// On success `table[..pairs]` holds the pairs sorted by (true label,
/// predicted label), `true_area[l]` the pixels of true label `l` (index 0:
/// the background) and likewise `pred_area`. Labels must be in
/// `0..=n_true` and `0..=n_pred`; `true_area` needs `n_true + 1` entries
/// and `pred_area` `n_pred + 1`. `table` is a hash table: it needs
/// [`overlap_table_len`] of the number of distinct pairs, which
/// [`max_overlap_pairs`] bounds; a caller can start small (a few pairs per
/// cell) and grow it on [`Error::BufferTooSmall`].
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if the images differ in size,
/// [`Error::DimensionsTooLarge`] past `u32::MAX` pixels,
/// [`Error::BufferTooSmall`] if an area table is short, or if `table`
/// fills up (then `needed` is the always-sufficient length from
/// [`max_overlap_pairs`]), [`Error::LabelOutOfRange`] for a label above
/// `n_true`/`n_pred` or negative. Outputs hold anything after an error.
///
/// ```
/// use cellmap_core::{Grid, segeval::{overlaps, Overlap, overlap_table_len}};
/// let truth = [1u32, 1, 2, 2, 0, 0];
/// let pred = [1u32, 1, 1, 0, 0, 2];
/// let (mut ta, mut pa) = ([0u32; 3], [0u32; 3]);
/// let mut table = [Overlap::default(); overlap_table_len(4)];
/// let counts = overlaps(Grid::new(3, 2, &truth)?, Grid::new(3, 2, &pred)?, 2, 2, &mut ta, &mut pa, &mut table)?;
/// assert_eq!(counts.pairs, 2);
/// assert_eq!(counts.union, 5);
/// assert_eq!(table[0], Overlap { true_label: 1, pred_label: 1, pixels: 2 });
/// assert_eq!(table[1], Overlap { true_label: 2, pred_label: 1, pixels: 1 });
/// assert_eq!((ta, pa), ([2, 2, 2], [2, 3, 1]));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn overlaps<T: Label, P: Label>(
    truth: Grid<'_, T>,
    pred: Grid<'_, P>,
    n_true: usize,
    n_pred: usize,
    true_area: &mut [u32],
    pred_area: &mut [u32],
    table: &mut [Overlap],
) -> Result<OverlapCounts, Error> {
    truth.ensure_same_shape(&pred)?;
    if u32::try_from(truth.len()).is_err() || n_true > u32::MAX as usize || n_pred > u32::MAX as usize {
        return Err(Error::DimensionsTooLarge { width: truth.width(), height: truth.height() });
    }
    crate::error::ensure_len("true_area", true_area, n_true + 1)?;
    crate::error::ensure_len("pred_area", pred_area, n_pred + 1)?;
    let true_area = true_area.get_mut(..n_true + 1).unwrap_or_default();
    let pred_area = pred_area.get_mut(..n_pred + 1).unwrap_or_default();
    true_area.fill(0);
    pred_area.fill(0);
    table.fill(Overlap::default());
    let capacity = table.len() - table.len() / 3;
    let table_len = table.len();
    let full = || Error::BufferTooSmall {
        buffer: "table",
        needed: overlap_table_len(max_overlap_pairs(truth.width(), truth.height(), n_true, n_pred)),
        got: table_len,
    };
    let out_of_range = |label: usize, max: usize| Error::LabelOutOfRange { label, max };
    let mut pairs = 0usize;
    let mut both_background = 0u64;
    // A run of equal pairs is added to the table once.
    let (mut run_t, mut run_p, mut run_len) = (0u32, 0u32, 0u32);
    let flush = |t: u32, p: u32, len: u32, table: &mut [Overlap], pairs: &mut usize| -> Result<(), Error> {
        if len == 0 || t == 0 || p == 0 {
            return Ok(());
        }
        let n = table.len();
        let mut slot = slot_of(t, p, n);
        loop {
            let entry = table.get_mut(slot).ok_or_else(full)?;
            if entry.pixels == 0 {
                if *pairs >= capacity {
                    return Err(full());
                }
                *entry = Overlap { true_label: t, pred_label: p, pixels: len };
                *pairs += 1;
                return Ok(());
            }
            if entry.true_label == t && entry.pred_label == p {
                entry.pixels += len;
                return Ok(());
            }
            slot = if slot + 1 == n { 0 } else { slot + 1 };
        }
    };
    for (&t, &p) in truth.as_slice().iter().zip(pred.as_slice()) {
        let (ti, pi) = (t.index(), p.index());
        let ta = true_area.get_mut(ti).ok_or_else(|| out_of_range(ti, n_true))?;
        *ta += 1;
        let pa = pred_area.get_mut(pi).ok_or_else(|| out_of_range(pi, n_pred))?;
        *pa += 1;
        if ti == 0 && pi == 0 {
            both_background += 1;
        }
        let (ti, pi) = (ti as u32, pi as u32);
        if ti == run_t && pi == run_p {
            run_len += 1;
        } else {
            flush(run_t, run_p, run_len, table, &mut pairs)?;
            (run_t, run_p, run_len) = (ti, pi, 1);
        }
    }
    flush(run_t, run_p, run_len, table, &mut pairs)?;
    // Compact the used slots to the front, then sort them.
    let mut kept = 0usize;
    for i in 0..table.len() {
        let entry = table.get(i).copied().unwrap_or_default();
        if entry.pixels != 0 {
            if let Some(front) = table.get_mut(kept) {
                *front = entry;
            }
            kept += 1;
        }
    }
    let used = table.get_mut(..kept).unwrap_or_default();
    used.sort_unstable_by_key(|o| (o.true_label, o.pred_label));
    Ok(OverlapCounts { pairs: kept, union: truth.len() as u64 - both_background })
}

/// IoU of a pair, as numpy computes it from the counts:
/// `o / (area_true + area_pred − o)` in `f64` (0 when an area table misses
/// the label, which [`overlaps`] never leaves).
///
/// ```
/// use cellmap_core::segeval::{iou, Overlap};
/// let pair = Overlap { true_label: 1, pred_label: 1, pixels: 2 };
/// assert_eq!(iou(&pair, &[0, 4], &[0, 3]), 2.0 / 5.0);
/// ```
pub fn iou(pair: &Overlap, true_area: &[u32], pred_area: &[u32]) -> f64 {
    let a = true_area.get(pair.true_label as usize).copied().unwrap_or(0);
    let b = pred_area.get(pair.pred_label as usize).copied().unwrap_or(0);
    let union = u64::from(a) + u64::from(b) - u64::from(pair.pixels).min(u64::from(a) + u64::from(b));
    if union == 0 { 0.0 } else { f64::from(pair.pixels) / union as f64 }
}

/// Buffer lengths of [`max_weight_matching`] for `n_true` true labels,
/// `n_pred` predicted labels and `n_pairs` pairs: `floats` (`f64`) and
/// `ints` (`u32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchingScratch {
    /// Length of the `f64` scratch.
    pub floats: usize,
    /// Length of the `u32` scratch.
    pub ints: usize,
}

impl MatchingScratch {
    /// The lengths for `n_true`, `n_pred` and `n_pairs` (saturating).
    ///
    /// ```
    /// use cellmap_core::segeval::MatchingScratch;
    /// let s = MatchingScratch::new(2, 3, 4);
    /// assert_eq!((s.floats, s.ints), (3 + 6 + 6, 3 + 6 * 6));
    /// ```
    pub const fn new(n_true: usize, n_pred: usize, n_pairs: usize) -> Self {
        let _ = n_pairs;
        let left = n_true.saturating_add(1);
        // Right nodes: the predicted labels 0..=n_pred, then one "stay
        // unmatched" node per true label.
        let right = n_pred.saturating_add(1).saturating_add(n_true);
        Self {
            floats: left.saturating_add(right.saturating_mul(2)),
            ints: left.saturating_add(right.saturating_mul(6)),
        }
    }
}

const NONE: u32 = u32::MAX;
const DONE: u32 = u32::MAX - 1;

/// A maximum-weight matching of true to predicted labels over `pairs`
/// (sorted by true label, as [`overlaps`] leaves them), with the weight of
/// each pair from `weight` (pairs of weight ≤ 0 or NaN are never matched).
/// Writes `matched[t]` = the index into `pairs` of true label `t`'s pair,
/// or `u32::MAX` when `t` is unmatched (`matched` needs `n_true + 1`
/// entries; entry 0 is unused) and returns the number of matched pairs.
///
/// The algorithm is the successive-shortest-path form of the Hungarian
/// method (Dijkstra with potentials over the sparse pairs, an indexed
/// binary heap in `ints`), each true label having a private "unmatched"
/// alternative; it is exact up to floating-point ties between matchings of
/// equal weight. Cost: one Dijkstra per true label over the pairs that
/// label's alternating paths reach (in segmentations, its few
/// neighbours).
///
/// # Errors
///
/// [`Error::BufferTooSmall`] for short buffers (see [`MatchingScratch`]),
/// [`Error::InvalidArgument`] if `pairs` is not sorted by true label or
/// holds a label above `n_true`/`n_pred` or 0.
///
/// ```
/// use cellmap_core::segeval::{max_weight_matching, MatchingScratch, Overlap};
/// // True 1 overlaps preds 1 and 2, true 2 only pred 1.
/// let pairs = [
///     Overlap { true_label: 1, pred_label: 1, pixels: 5 },
///     Overlap { true_label: 1, pred_label: 2, pixels: 4 },
///     Overlap { true_label: 2, pred_label: 1, pixels: 3 },
/// ];
/// let s = MatchingScratch::new(2, 2, 3);
/// let (mut floats, mut ints) = (vec![0.0; s.floats], vec![0; s.ints]);
/// let mut matched = [0u32; 3];
/// let n = max_weight_matching(&pairs, 2, 2, |p| f64::from(p.pixels), &mut matched, &mut floats, &mut ints)?;
/// assert_eq!(n, 2);
/// assert_eq!(&matched[1..], &[1, 2]); // 4 + 3 beats 5 alone
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn max_weight_matching(
    pairs: &[Overlap],
    n_true: usize,
    n_pred: usize,
    weight: impl Fn(&Overlap) -> f64,
    matched: &mut [u32],
    floats: &mut [f64],
    ints: &mut [u32],
) -> Result<usize, Error> {
    let sizes = MatchingScratch::new(n_true, n_pred, pairs.len());
    crate::error::ensure_len("floats", floats, sizes.floats)?;
    crate::error::ensure_len("ints", ints, sizes.ints)?;
    crate::error::ensure_len("matched", matched, n_true + 1)?;
    if pairs.len() >= u32::MAX as usize - 2 || n_true + n_pred + 1 >= u32::MAX as usize - 2 {
        return Err(Error::InvalidArgument("too many pairs or labels for the matching"));
    }
    let left = n_true + 1;
    let right = n_pred + 1 + n_true;
    let (u, rest) = floats.split_at_mut(left);
    let (v, rest) = rest.split_at_mut(right);
    let dist = rest.get_mut(..right).unwrap_or_default();
    let (row_start, rest) = ints.split_at_mut(left);
    let (match_right, rest) = rest.split_at_mut(right);
    let (prev, rest) = rest.split_at_mut(right);
    let (heap, rest) = rest.split_at_mut(right);
    let (heap_pos, rest) = rest.split_at_mut(right);
    let (touched, rest) = rest.split_at_mut(right);
    let match_left = rest.get_mut(..right).unwrap_or_default(); // only ..left used
    // Row starts of the sorted pairs (row_start[t]..row_start[t + 1], with
    // the end of the last row = pairs.len()).
    let mut previous = 0u32;
    let mut next_row = 0usize;
    for (k, p) in pairs.iter().enumerate() {
        let t = p.true_label;
        if t < previous
            || t == 0
            || t as usize > n_true
            || p.pred_label == 0
            || p.pred_label as usize > n_pred
        {
            return Err(Error::InvalidArgument("pairs must be sorted by true label, labels within 1..=n"));
        }
        while next_row <= t as usize {
            if let Some(s) = row_start.get_mut(next_row) {
                *s = k as u32;
            }
            next_row += 1;
        }
        previous = t;
    }
    while next_row < left {
        if let Some(s) = row_start.get_mut(next_row) {
            *s = pairs.len() as u32;
        }
        next_row += 1;
    }
    let row = |t: usize| -> core::ops::Range<usize> {
        let start = row_start.get(t).copied().unwrap_or(0) as usize;
        let end = row_start.get(t + 1).copied().map_or(pairs.len(), |e| e as usize);
        start..end.max(start)
    };
    u.fill(0.0);
    v.fill(0.0);
    dist.fill(f64::INFINITY);
    match_right.fill(NONE);
    match_left.fill(NONE);
    heap_pos.fill(NONE);
    // Cost of a pair: W − weight (W = the largest weight), of staying
    // unmatched: W. Non-negative, so Dijkstra applies from the start.
    let mut top = 0.0f64;
    for p in pairs {
        let w = weight(p);
        if w > top {
            top = w;
        }
    }
    let cost = |k: usize| -> Option<f64> {
        let w = weight(pairs.get(k)?);
        if w > 0.0 { Some(top - w) } else { None }
    };
    let unmatched_node = |t: usize| n_pred + t; // n_pred + 1 + (t − 1)
    for s in 1..left {
        if row(s).is_empty() {
            continue;
        }
        // Dijkstra over right nodes; a right node's matched true label is
        // reached at the same distance (its edge is tight).
        let mut heap_len = 0usize;
        let mut n_touched = 0usize;
        let relax = |from: usize,
                     base: f64,
                     dist: &mut [f64],
                     prev: &mut [u32],
                     heap: &mut [u32],
                     heap_pos: &mut [u32],
                     touched: &mut [u32],
                     v: &[f64],
                     u: &[f64],
                     heap_len: &mut usize,
                     n_touched: &mut usize| {
            let ufrom = u.get(from).copied().unwrap_or(0.0);
            let mut consider = |r: usize, c: f64| {
                if heap_pos.get(r).copied() == Some(DONE) {
                    return;
                }
                let reduced = (c - ufrom - v.get(r).copied().unwrap_or(0.0)).max(0.0);
                let nd = base + reduced;
                let old = dist.get(r).copied().unwrap_or(f64::INFINITY);
                if nd < old {
                    if old == f64::INFINITY {
                        if let Some(slot) = touched.get_mut(*n_touched) {
                            *slot = r as u32;
                            *n_touched += 1;
                        }
                    }
                    if let Some(d) = dist.get_mut(r) {
                        *d = nd;
                    }
                    if let Some(p) = prev.get_mut(r) {
                        *p = from as u32;
                    }
                    heap_push_or_decrease(heap, heap_pos, dist, heap_len, r);
                }
            };
            for k in row(from) {
                if let (Some(c), Some(p)) = (cost(k), pairs.get(k)) {
                    consider(p.pred_label as usize, c);
                }
            }
            consider(unmatched_node(from), top);
        };
        relax(s, 0.0, dist, prev, heap, heap_pos, touched, v, u, &mut heap_len, &mut n_touched);
        let mut end = NONE as usize;
        while let Some(r) = heap_pop(heap, heap_pos, dist, &mut heap_len) {
            if let Some(p) = heap_pos.get_mut(r) {
                *p = DONE;
            }
            let owner = match_right.get(r).copied().unwrap_or(NONE);
            if owner == NONE {
                end = r;
                break;
            }
            let base = dist.get(r).copied().unwrap_or(0.0);
            relax(
                owner as usize,
                base,
                dist,
                prev,
                heap,
                heap_pos,
                touched,
                v,
                u,
                &mut heap_len,
                &mut n_touched,
            );
        }
        if end == NONE as usize {
            // Never happens: s's own "unmatched" node is always free.
            return Err(Error::InvalidArgument("matching found no augmenting path"));
        }
        let total = dist.get(end).copied().unwrap_or(0.0);
        // Potentials: nodes settled below the path's length move by the
        // difference (then every reduced cost stays ≥ 0 and the new path is
        // tight).
        if let Some(us) = u.get_mut(s) {
            *us += total;
        }
        for &r in touched.get(..n_touched).unwrap_or_default() {
            let r = r as usize;
            if heap_pos.get(r).copied() == Some(DONE) && r != end {
                let d = dist.get(r).copied().unwrap_or(total);
                if let Some(vr) = v.get_mut(r) {
                    *vr -= total - d;
                }
                let owner = match_right.get(r).copied().unwrap_or(NONE) as usize;
                if let Some(uo) = u.get_mut(owner) {
                    *uo += total - d;
                }
            }
        }
        // Augment along prev.
        let mut r = end;
        loop {
            let t = prev.get(r).copied().unwrap_or(NONE) as usize;
            let old = match_left.get(t).copied().unwrap_or(NONE);
            if let Some(m) = match_left.get_mut(t) {
                *m = r as u32;
            }
            if let Some(m) = match_right.get_mut(r) {
                *m = t as u32;
            }
            if t == s || old == NONE {
                break;
            }
            r = old as usize;
        }
        // Reset what this search touched.
        for &r in touched.get(..n_touched).unwrap_or_default() {
            let r = r as usize;
            if let Some(d) = dist.get_mut(r) {
                *d = f64::INFINITY;
            }
            if let Some(p) = heap_pos.get_mut(r) {
                *p = NONE;
            }
        }
    }
    // Read the matching back as pair indices.
    let mut count = 0usize;
    for t in 0..left {
        let r = match_left.get(t).copied().unwrap_or(NONE);
        let mut found = NONE;
        if t > 0 && r != NONE && (r as usize) <= n_pred {
            for k in row(t) {
                if pairs.get(k).is_some_and(|p| p.pred_label == r) {
                    found = k as u32;
                    count += 1;
                    break;
                }
            }
        }
        if let Some(m) = matched.get_mut(t) {
            *m = found;
        }
    }
    Ok(count)
}

/// Pushes node `r` onto the indexed min-heap keyed by `dist`, or moves it up
/// after its key decreased.
fn heap_push_or_decrease(heap: &mut [u32], pos: &mut [u32], dist: &[f64], len: &mut usize, r: usize) {
    let mut i = match pos.get(r).copied() {
        Some(NONE) | None => {
            let i = *len;
            if let Some(slot) = heap.get_mut(i) {
                *slot = r as u32;
            }
            if let Some(p) = pos.get_mut(r) {
                *p = i as u32;
            }
            *len += 1;
            i
        }
        Some(p) => p as usize,
    };
    let key = |node: u32| dist.get(node as usize).copied().unwrap_or(f64::INFINITY);
    while i > 0 {
        let parent = (i - 1) / 2;
        let (a, b) = (heap.get(i).copied().unwrap_or(0), heap.get(parent).copied().unwrap_or(0));
        if key(a) < key(b) || (key(a) == key(b) && a < b) {
            heap.swap(i, parent);
            if let Some(p) = pos.get_mut(a as usize) {
                *p = parent as u32;
            }
            if let Some(p) = pos.get_mut(b as usize) {
                *p = i as u32;
            }
            i = parent;
        } else {
            break;
        }
    }
}

/// Pops the node of smallest `dist` (ties: the smaller node) off the heap.
fn heap_pop(heap: &mut [u32], pos: &mut [u32], dist: &[f64], len: &mut usize) -> Option<usize> {
    if *len == 0 {
        return None;
    }
    let top = heap.first().copied()? as usize;
    *len -= 1;
    let last = heap.get(*len).copied()?;
    if let Some(p) = pos.get_mut(top) {
        *p = NONE;
    }
    if *len == 0 {
        return Some(top);
    }
    if let Some(slot) = heap.get_mut(0) {
        *slot = last;
    }
    if let Some(p) = pos.get_mut(last as usize) {
        *p = 0;
    }
    let key = |node: u32| dist.get(node as usize).copied().unwrap_or(f64::INFINITY);
    let less = |a: u32, b: u32| key(a) < key(b) || (key(a) == key(b) && a < b);
    let mut i = 0usize;
    loop {
        let (l, r) = (2 * i + 1, 2 * i + 2);
        let mut best = i;
        let node = |k: usize| heap.get(k).copied().unwrap_or(0);
        if l < *len && less(node(l), node(best)) {
            best = l;
        }
        if r < *len && less(node(r), node(best)) {
            best = r;
        }
        if best == i {
            break;
        }
        let (a, b) = (node(i), node(best));
        heap.swap(i, best);
        if let Some(p) = pos.get_mut(a as usize) {
            *p = best as u32;
        }
        if let Some(p) = pos.get_mut(b as usize) {
            *p = i as u32;
        }
        i = best;
    }
    Some(top)
}

/// True positives, false positives, false negatives and AP at one
/// threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApScore {
    /// The IoU threshold.
    pub threshold: f64,
    /// Matched pairs with `IoU ≥ threshold`.
    pub tp: u64,
    /// `n_pred − tp`.
    pub fp: u64,
    /// `n_true − tp`.
    pub fn_: u64,
    /// `tp / (tp + fp + fn)` in `f32` (NaN for `0/0`), as numpy computes it.
    pub ap: f32,
}

/// GeneSegNet's weight of a pair at threshold `t`:
/// `[IoU ≥ t] + IoU / (2·n_min)`.
fn weight_at(iou: f64, threshold: f64, n_min: usize) -> f64 {
    let above = if iou >= threshold { 1.0 } else { 0.0 };
    above + iou / (2.0 * n_min as f64)
}

/// AP at each of `thresholds` from the pairs and areas [`overlaps`] wrote,
/// into `out` (one [`ApScore`] per threshold), exactly as GeneSegNet's
/// `metrics.average_precision` computes it for one image: `n_true`,
/// `n_pred` are the largest labels; TP = 0 when `n_pred = 0`; a threshold
/// `≤ 0` counts every assigned pair (TP = `min(n_true, n_pred)`).
/// `matched`, `floats` and `ints` are [`max_weight_matching`]'s.
///
/// # Errors
///
/// [`Error::BufferTooSmall`] if `out` is shorter than `thresholds`, and
/// those of [`max_weight_matching`].
///
/// ```
/// use cellmap_core::{Grid, segeval::*};
/// // True: two cells; predicted: the first exactly, the second half.
/// let truth = [1u8, 1, 0, 2, 2, 2, 2];
/// let pred = [1u8, 1, 0, 2, 2, 0, 0];
/// let (mut ta, mut pa) = ([0u32; 3], [0u32; 3]);
/// let mut table = [Overlap::default(); overlap_table_len(4)];
/// let c = overlaps(Grid::new(7, 1, &truth)?, Grid::new(7, 1, &pred)?, 2, 2, &mut ta, &mut pa, &mut table)?;
/// let s = MatchingScratch::new(2, 2, c.pairs);
/// let (mut floats, mut ints, mut matched) = (vec![0.0; s.floats], vec![0; s.ints], [0u32; 3]);
/// let mut out = [None; 3].map(|_: Option<()>| ApScore { threshold: 0.0, tp: 0, fp: 0, fn_: 0, ap: 0.0 });
/// average_precision(&table[..c.pairs], &ta, &pa, 2, 2, &DEFAULT_THRESHOLDS, &mut out, &mut matched, &mut floats, &mut ints)?;
/// assert_eq!(out.map(|s| s.tp), [2, 1, 1]);
/// assert_eq!(out[1].ap, 1.0 / 3.0);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn average_precision(
    pairs: &[Overlap],
    true_area: &[u32],
    pred_area: &[u32],
    n_true: usize,
    n_pred: usize,
    thresholds: &[f64],
    out: &mut [ApScore],
    matched: &mut [u32],
    floats: &mut [f64],
    ints: &mut [u32],
) -> Result<(), Error> {
    crate::error::ensure_len("out", out, thresholds.len())?;
    let n_min = n_true.min(n_pred);
    for (slot, &threshold) in out.iter_mut().zip(thresholds) {
        let tp = if n_pred == 0 || n_true == 0 {
            0
        } else if threshold <= 0.0 {
            n_min
        } else {
            let weight = |p: &Overlap| weight_at(iou(p, true_area, pred_area), threshold, n_min);
            max_weight_matching(pairs, n_true, n_pred, weight, matched, floats, ints)?;
            let mut tp = 0usize;
            for &k in matched.get(1..=n_true).unwrap_or_default() {
                if let Some(p) = pairs.get(k as usize) {
                    tp += usize::from(iou(p, true_area, pred_area) >= threshold);
                }
            }
            tp
        };
        let (tp, fp, fn_) = (tp as u64, (n_pred - tp) as u64, (n_true - tp) as u64);
        let ap = tp as f32 / ((tp as f32 + fp as f32) + fn_ as f32);
        *slot = ApScore { threshold, tp, fp, fn_, ap };
    }
    Ok(())
}

/// GeneSegNet's aggregated Jaccard index of one image: the pixels shared
/// by the pairs of the assignment at IoU threshold 0.5 (all assigned
/// pairs, also those below 0.5) over the pixels that are foreground in
/// either image (`union` from [`overlaps`]); NaN for `0/0`. Buffers as
/// [`average_precision`].
///
/// # Errors
///
/// Those of [`max_weight_matching`].
///
/// ```
/// use cellmap_core::{Grid, segeval::*};
/// let truth = [1u8, 1, 0, 2, 2, 2, 2];
/// let pred = [1u8, 1, 0, 2, 2, 0, 0];
/// let (mut ta, mut pa) = ([0u32; 3], [0u32; 3]);
/// let mut table = [Overlap::default(); overlap_table_len(4)];
/// let c = overlaps(Grid::new(7, 1, &truth)?, Grid::new(7, 1, &pred)?, 2, 2, &mut ta, &mut pa, &mut table)?;
/// let s = MatchingScratch::new(2, 2, c.pairs);
/// let (mut floats, mut ints, mut matched) = (vec![0.0; s.floats], vec![0; s.ints], [0u32; 3]);
/// let aji = aggregated_jaccard_index(&table[..c.pairs], &ta, &pa, c.union, 2, 2, &mut matched, &mut floats, &mut ints)?;
/// assert_eq!(aji, 4.0 / 6.0);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn aggregated_jaccard_index(
    pairs: &[Overlap],
    true_area: &[u32],
    pred_area: &[u32],
    union: u64,
    n_true: usize,
    n_pred: usize,
    matched: &mut [u32],
    floats: &mut [f64],
    ints: &mut [u32],
) -> Result<f64, Error> {
    let n_min = n_true.min(n_pred);
    let mut shared = 0u64;
    if n_min > 0 {
        let weight = |p: &Overlap| weight_at(iou(p, true_area, pred_area), AJI_THRESHOLD, n_min);
        max_weight_matching(pairs, n_true, n_pred, weight, matched, floats, ints)?;
        for &k in matched.get(1..=n_true).unwrap_or_default() {
            if let Some(p) = pairs.get(k as usize) {
                shared += u64::from(p.pixels);
            }
        }
    }
    Ok(shared as f64 / union as f64)
}

/// Buffer lengths of [`fill_holes_and_remove_small_masks`] for a
/// `width × height` image with labels up to `n_labels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillRemoveScratch {
    /// `u32`: four per label (bounding boxes) plus the hole filler's runs.
    pub ints: usize,
    /// `bool`: two crops of up to `width × height`.
    pub flags: usize,
}

impl FillRemoveScratch {
    /// The lengths (saturating).
    ///
    /// ```
    /// use cellmap_core::segeval::FillRemoveScratch;
    /// assert_eq!(FillRemoveScratch::new(4, 3, 2).flags, 24);
    /// ```
    pub const fn new(width: usize, height: usize, n_labels: usize) -> Self {
        let boxes = n_labels.saturating_add(1).saturating_mul(4);
        Self {
            ints: boxes.saturating_add(fill_holes_scratch_len(width, height)),
            flags: width.saturating_mul(height).saturating_mul(2),
        }
    }
}

/// GeneSegNet's `fill_holes_and_remove_small_masks`, in place: for each
/// label `i = 1..=n_labels` present in the input (in increasing order,
/// within its bounding box in the *input*), the pixels now equal to `i`
/// are erased if fewer than `min_size` (measured before filling),
/// otherwise they and their holes (`scipy.ndimage.binary_fill_holes` of
/// the box crop: background 4-connected to the crop's border is outside)
/// get the next label `j + 1`. Kept labels become `1..=K` in the order of
/// their old values; other cells' pixels inside a hole are overwritten (a
/// cell entirely in a hole disappears). Returns `K`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `labels.len() != width · height`,
/// [`Error::LabelOutOfRange`] for a label above `n_labels` (checked before
/// any write), [`Error::BufferTooSmall`] for short scratch
/// ([`FillRemoveScratch`]).
///
/// ```
/// use cellmap_core::segeval::{fill_holes_and_remove_small_masks, FillRemoveScratch};
/// // Label 3 is a ring around label 1 (a 1-pixel cell); label 2 is small.
/// let mut labels = [
///     3, 3, 3, 0, 2,
///     3, 1, 3, 0, 0,
///     3, 3, 3, 0, 0i32,
/// ];
/// let s = FillRemoveScratch::new(5, 3, 3);
/// let (mut ints, mut flags) = (vec![0; s.ints], vec![false; s.flags]);
/// let kept = fill_holes_and_remove_small_masks(&mut labels, 5, 3, 3, 2, &mut ints, &mut flags)?;
/// // 1 (1 px) and 2 (1 px) are removed, 3 becomes 1 and fills its hole.
/// assert_eq!(kept, 1);
/// assert_eq!(labels, [1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn fill_holes_and_remove_small_masks<L: Label>(
    labels: &mut [L],
    width: usize,
    height: usize,
    n_labels: usize,
    min_size: usize,
    ints: &mut [u32],
    flags: &mut [bool],
) -> Result<usize, Error> {
    let grid = Grid::new(width, height, &*labels)?;
    crate::grid::max_label(grid.as_slice(), n_labels)?;
    if u32::try_from(grid.len()).is_err() {
        return Err(Error::DimensionsTooLarge { width, height });
    }
    let sizes = FillRemoveScratch::new(width, height, n_labels);
    crate::error::ensure_len("ints", ints, sizes.ints)?;
    crate::error::ensure_len("flags", flags, sizes.flags)?;
    let n_boxes = (n_labels + 1) * 4;
    let (boxes, runs) = ints.split_at_mut(n_boxes);
    let (crop, filled) = flags.split_at_mut(width * height);
    // Bounding boxes [row0, row1, col0, col1) of the input (find_objects).
    for b in boxes.chunks_exact_mut(4) {
        b.copy_from_slice(&[u32::MAX, 0, u32::MAX, 0]);
    }
    for (r, row) in labels.chunks_exact(width.max(1)).enumerate() {
        for (c, &l) in row.iter().enumerate() {
            let i = l.index();
            if i == 0 {
                continue;
            }
            if let Some(b) = boxes.get_mut(4 * i..4 * i + 4) {
                let (r, c) = (r as u32, c as u32);
                b[0] = b[0].min(r);
                b[1] = b[1].max(r + 1);
                b[2] = b[2].min(c);
                b[3] = b[3].max(c + 1);
            }
        }
    }
    let mut kept = 0usize;
    for i in 1..=n_labels {
        let b = boxes.get(4 * i..4 * i + 4).unwrap_or_default();
        let [r0, r1, c0, c1] = [0, 1, 2, 3].map(|k| b.get(k).copied().unwrap_or(0) as usize);
        if r0 >= r1 {
            continue; // absent
        }
        let (cw, ch) = (c1 - c0, r1 - r0);
        let label = L::from_index(i);
        let crop = crop.get_mut(..cw * ch).unwrap_or_default();
        let mut npix = 0usize;
        for (dr, crop_row) in crop.chunks_exact_mut(cw).enumerate() {
            let row = labels.get((r0 + dr) * width + c0..(r0 + dr) * width + c1).unwrap_or_default();
            for (f, &l) in crop_row.iter_mut().zip(row) {
                *f = l == label;
                npix += usize::from(*f);
            }
        }
        if min_size > 0 && npix < min_size {
            for (dr, crop_row) in crop.chunks_exact(cw).enumerate() {
                let row = labels.get_mut((r0 + dr) * width + c0..(r0 + dr) * width + c1).unwrap_or_default();
                for (l, &f) in row.iter_mut().zip(crop_row) {
                    if f {
                        *l = L::default();
                    }
                }
            }
            continue;
        }
        if npix == 0 {
            continue;
        }
        let filled = filled.get_mut(..cw * ch).unwrap_or_default();
        let runs = runs.get_mut(..fill_holes_scratch_len(cw, ch)).unwrap_or_default();
        fill_holes(Grid::new(cw, ch, &*crop)?, filled, runs)?;
        kept += 1;
        let new = L::from_index(kept);
        for (dr, filled_row) in filled.chunks_exact(cw).enumerate() {
            let row = labels.get_mut((r0 + dr) * width + c0..(r0 + dr) * width + c1).unwrap_or_default();
            for (l, &f) in row.iter_mut().zip(filled_row) {
                if f {
                    *l = new;
                }
            }
        }
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// Dense brute force: every overlapping pair by a full contingency table.
    fn dense_pairs(t: &[u32], p: &[u32], nt: usize, np: usize) -> Vec<Overlap> {
        let mut m = vec![0u32; (nt + 1) * (np + 1)];
        for (&a, &b) in t.iter().zip(p) {
            m[a as usize * (np + 1) + b as usize] += 1;
        }
        let mut out = Vec::new();
        for i in 1..=nt {
            for j in 1..=np {
                let o = m[i * (np + 1) + j];
                if o > 0 {
                    out.push(Overlap { true_label: i as u32, pred_label: j as u32, pixels: o });
                }
            }
        }
        out
    }

    /// Brute-force maximum weight over all matchings (small sizes).
    fn brute_max_weight(weights: &[Vec<f64>], used: &mut Vec<bool>, row: usize) -> (f64, usize) {
        if row == weights.len() {
            return (0.0, 0);
        }
        let mut best = brute_max_weight(weights, used, row + 1);
        for j in 0..weights[row].len() {
            if !used[j] && weights[row][j] > 0.0 {
                used[j] = true;
                let (w, n) = brute_max_weight(weights, used, row + 1);
                used[j] = false;
                if w + weights[row][j] > best.0 {
                    best = (w + weights[row][j], n + 1);
                }
            }
        }
        best
    }

    fn run_overlaps(
        t: &[u32],
        p: &[u32],
        w: usize,
        nt: usize,
        np: usize,
    ) -> (Vec<Overlap>, Vec<u32>, Vec<u32>, u64) {
        let h = t.len() / w;
        let (mut ta, mut pa) = (vec![0u32; nt + 1], vec![0u32; np + 1]);
        let mut table = vec![Overlap::default(); 3];
        let counts = loop {
            match overlaps(
                Grid::new(w, h, t).unwrap(),
                Grid::new(w, h, p).unwrap(),
                nt,
                np,
                &mut ta,
                &mut pa,
                &mut table,
            ) {
                Ok(c) => break c,
                Err(Error::BufferTooSmall { buffer: "table", needed, .. }) => {
                    table = vec![Overlap::default(); (table.len() * 2).min(needed)]
                }
                Err(e) => panic!("{e}"),
            }
        };
        table.truncate(counts.pairs);
        (table, ta, pa, counts.union)
    }

    fn label_images() -> impl Strategy<Value = (usize, Vec<u32>, Vec<u32>, usize, usize)> {
        (1usize..9, 1usize..9, 0usize..6, 0usize..6).prop_flat_map(|(w, h, nt, np)| {
            (
                Just(w),
                proptest::collection::vec(0..=nt as u32, w * h),
                proptest::collection::vec(0..=np as u32, w * h),
                Just(nt),
                Just(np),
            )
        })
    }

    proptest! {
        #[test]
        fn overlaps_equal_the_dense_table((w, t, p, nt, np) in label_images()) {
            let (pairs, ta, pa, union) = run_overlaps(&t, &p, w, nt, np);
            prop_assert_eq!(&pairs, &dense_pairs(&t, &p, nt, np));
            for (l, &area) in ta.iter().enumerate() {
                prop_assert_eq!(area as usize, t.iter().filter(|&&x| x as usize == l).count());
            }
            for (l, &area) in pa.iter().enumerate() {
                prop_assert_eq!(area as usize, p.iter().filter(|&&x| x as usize == l).count());
            }
            prop_assert_eq!(union as usize, t.iter().zip(&p).filter(|(a, b)| **a != 0 || **b != 0).count());
        }

        #[test]
        fn matching_reaches_the_brute_force_optimum((w, t, p, nt, np) in label_images(), threshold in 0.05f64..1.0) {
            let (pairs, ta, pa, _) = run_overlaps(&t, &p, w, nt, np);
            let n_min = nt.min(np).max(1);
            let weight = |o: &Overlap| weight_at(iou(o, &ta, &pa), threshold, n_min);
            let mut dense = vec![vec![0.0; np]; nt];
            for o in &pairs {
                dense[o.true_label as usize - 1][o.pred_label as usize - 1] = weight(o);
            }
            let (best, _) = brute_max_weight(&dense, &mut vec![false; np], 0);
            let s = MatchingScratch::new(nt, np, pairs.len());
            let (mut floats, mut ints, mut matched) = (vec![0.0; s.floats], vec![0; s.ints], vec![0u32; nt + 1]);
            max_weight_matching(&pairs, nt, np, weight, &mut matched, &mut floats, &mut ints).unwrap();
            let mut total = 0.0;
            let mut used = vec![false; np + 1];
            for &k in &matched[1..] {
                if k != u32::MAX {
                    let o = pairs[k as usize];
                    prop_assert!(!used[o.pred_label as usize], "a predicted label matched twice");
                    used[o.pred_label as usize] = true;
                    total += weight(&o);
                }
            }
            prop_assert!((total - best).abs() <= 1e-9, "matching {} vs brute force {}", total, best);
            // TP(t) is the maximum matching of the pairs with IoU >= t.
            let mut above = vec![vec![0.0; np]; nt];
            for o in &pairs {
                if iou(o, &ta, &pa) >= threshold {
                    above[o.true_label as usize - 1][o.pred_label as usize - 1] = 1.0;
                }
            }
            let (max_card, _) = brute_max_weight(&above, &mut vec![false; np], 0);
            let mut out = [ApScore { threshold: 0.0, tp: 0, fp: 0, fn_: 0, ap: 0.0 }];
            average_precision(&pairs, &ta, &pa, nt, np, &[threshold], &mut out, &mut matched, &mut floats, &mut ints).unwrap();
            let expected = if np == 0 || nt == 0 { 0 } else { max_card as u64 };
            prop_assert_eq!(out[0].tp, expected);
        }

        #[test]
        fn fill_remove_keeps_labels_consecutive((w, t, _p, nt, _np) in label_images(), min_size in 0usize..4) {
            let h = t.len() / w;
            let mut labels: Vec<i32> = t.iter().map(|&x| x as i32).collect();
            let s = FillRemoveScratch::new(w, h, nt);
            let (mut ints, mut flags) = (vec![0; s.ints], vec![false; s.flags]);
            let kept = fill_holes_and_remove_small_masks(&mut labels, w, h, nt, min_size, &mut ints, &mut flags).unwrap();
            prop_assert!(labels.iter().all(|&l| l >= 0 && l as usize <= kept));
            prop_assert_eq!((labels, kept), reference_fill_remove(&t, w, nt, min_size));
        }
    }

    /// GeneSegNet's loop written plainly: find_objects boxes of the input, then per label
    /// the current pixels, the size rule, and holes by a flood fill from the crop border.
    fn reference_fill_remove(t: &[u32], w: usize, nt: usize, min_size: usize) -> (Vec<i32>, usize) {
        let h = t.len() / w;
        let mut m: Vec<i32> = t.iter().map(|&x| x as i32).collect();
        let mut boxes = vec![None::<(usize, usize, usize, usize)>; nt + 1];
        for r in 0..h {
            for c in 0..w {
                let l = t[r * w + c] as usize;
                if l > 0 {
                    let b = boxes[l].get_or_insert((r, r + 1, c, c + 1));
                    *b = (b.0.min(r), b.1.max(r + 1), b.2.min(c), b.3.max(c + 1));
                }
            }
        }
        let mut j = 0;
        for (i, bbox) in boxes.iter().enumerate().skip(1) {
            let Some((r0, r1, c0, c1)) = *bbox else { continue };
            let (cw, ch) = (c1 - c0, r1 - r0);
            let msk: Vec<bool> =
                (0..cw * ch).map(|k| m[(r0 + k / cw) * w + c0 + k % cw] == i as i32).collect();
            let npix = msk.iter().filter(|&&f| f).count();
            if min_size > 0 && npix < min_size {
                for k in 0..cw * ch {
                    if msk[k] {
                        m[(r0 + k / cw) * w + c0 + k % cw] = 0;
                    }
                }
                continue;
            }
            if npix == 0 {
                continue;
            }
            let mut outside = vec![false; cw * ch];
            let mut stack: Vec<usize> = (0..cw * ch)
                .filter(|&k| !msk[k] && (k / cw == 0 || k / cw == ch - 1 || k % cw == 0 || k % cw == cw - 1))
                .collect();
            while let Some(k) = stack.pop() {
                if outside[k] {
                    continue;
                }
                outside[k] = true;
                let (r, c) = (k / cw, k % cw);
                let mut near = vec![];
                if r > 0 {
                    near.push(k - cw)
                }
                if r + 1 < ch {
                    near.push(k + cw)
                }
                if c > 0 {
                    near.push(k - 1)
                }
                if c + 1 < cw {
                    near.push(k + 1)
                }
                stack.extend(near.into_iter().filter(|&n| !msk[n] && !outside[n]));
            }
            j += 1;
            for k in 0..cw * ch {
                if !outside[k] {
                    m[(r0 + k / cw) * w + c0 + k % cw] = j as i32;
                }
            }
        }
        (m, j)
    }

    proptest! {
        #[test]
        fn fill_remove_with_holes_matches_the_reference((w, h, nt) in (3usize..12, 3usize..12, 1usize..5), seed in any::<u64>()) {
            // Rings and blobs: labels drawn in blocks so that holes occur.
            let mut state = seed | 1;
            let mut next = || { state ^= state << 13; state ^= state >> 7; state ^= state << 17; state };
            let mut t = vec![0u32; w * h];
            for _ in 0..nt * 2 {
                let (r0, c0) = ((next() % h as u64) as usize, (next() % w as u64) as usize);
                let (rh, cw) = (1 + (next() % 5) as usize, 1 + (next() % 5) as usize);
                let l = 1 + (next() % nt as u64) as u32;
                let ring = next() % 2 == 0;
                for r in r0..(r0 + rh).min(h) {
                    for c in c0..(c0 + cw).min(w) {
                        let edge = r == r0 || c == c0 || r + 1 == (r0 + rh).min(h) || c + 1 == (c0 + cw).min(w);
                        if !ring || edge {
                            t[r * w + c] = l;
                        }
                    }
                }
            }
            let mut labels: Vec<i32> = t.iter().map(|&x| x as i32).collect();
            let s = FillRemoveScratch::new(w, h, nt);
            let (mut ints, mut flags) = (vec![0; s.ints], vec![false; s.flags]);
            let kept = fill_holes_and_remove_small_masks(&mut labels, w, h, nt, 3, &mut ints, &mut flags).unwrap();
            prop_assert_eq!((labels, kept), reference_fill_remove(&t, w, nt, 3));
        }
    }

    #[test]
    fn a_full_table_reports_an_always_sufficient_length() {
        let t = [1u32, 2, 3, 4];
        let p = [1u32, 2, 3, 4];
        let (mut ta, mut pa) = ([0u32; 5], [0u32; 5]);
        let mut table = [Overlap::default(); 3];
        let err = overlaps(
            Grid::new(4, 1, &t).unwrap(),
            Grid::new(4, 1, &p).unwrap(),
            4,
            4,
            &mut ta,
            &mut pa,
            &mut table,
        );
        assert_eq!(err, Err(Error::BufferTooSmall { buffer: "table", needed: overlap_table_len(4), got: 3 }));
    }

    #[test]
    fn labels_above_the_bound_are_refused() {
        let t = [1u32, 5];
        let (mut ta, mut pa) = ([0u32; 3], [0u32; 6]);
        let mut table = [Overlap::default(); 8];
        let err = overlaps(
            Grid::new(2, 1, &t).unwrap(),
            Grid::new(2, 1, &t).unwrap(),
            2,
            5,
            &mut ta,
            &mut pa,
            &mut table,
        );
        assert_eq!(err, Err(Error::LabelOutOfRange { label: 5, max: 2 }));
    }
}
