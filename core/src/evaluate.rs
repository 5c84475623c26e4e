//! Evaluation of a predicted cell × gene table against a measured one, as
//! GHIST scores expression prediction: Pearson correlation per gene across
//! cells, its mean and median, and spatially variable genes (SVGs) ranked
//! by Moran's I on a neighbour graph, with the median PCC of the top SVGs.
//!
//! Tables are row-major `n_cells × n_genes` `f64` (one row per cell, in the
//! same order in both tables).
//!
//! * [`gene_pearson`] — per gene, over the cells where **both** values are
//!   not NaN (pandas `corrwith`'s pairwise-complete rule): two passes in
//!   `f64`, `r = Σdp·dt / (√Σdp² · √Σdt²)`. Fewer than two cells or a
//!   constant column on either side gives NaN, counted. Agrees with
//!   pandas/numpy to rounding (≤ 1e-12 relative in the tests), not bit for
//!   bit: pandas sums pairwise.
//! * [`morans_i`] — `I = (N / S0) · Σ_i z_i Σ_j w_ij z_j / Σ_i z_i²`,
//!   `z` centred per gene, `S0` the sum of the weights. On a directed
//!   k-nearest-neighbour graph with weights 1 this is GHIST+'s
//!   `(N / (k·N)) · …` and squidpy's Moran's I with row-normalised weights.
//!   A gene whose denominator is 0 or not finite gets 0 (GHIST+).
//! * [`rank_descending`] orders genes by a score, highest first, NaN last,
//!   ties by gene index; [`finite_mean_median`] summarises (numpy `nanmean`
//!   and `nanmedian` over the finite values).
//! * [`category_scores`] — cell types: accuracy and macro-F1 of predicted
//!   category ids against true ones, by scikit-learn's rules
//!   (`accuracy_score`, `f1_score(average="macro")`), bit for bit.

use crate::Error;
use crate::color::{percentile, percentile_scratch_len};

/// GHIST+'s numbers of top SVGs whose median PCC it reports.
pub const TOP_SVGS: [usize; 2] = [20, 50];

/// GHIST+'s neighbours per cell for Moran's I and its SVG score.
pub const MORAN_K: usize = 8;

fn check_table(table: &[f64], n_cells: usize, n_genes: usize) -> Result<(), Error> {
    let cells = n_cells.checked_mul(n_genes).ok_or(Error::InvalidArgument("table too large"))?;
    if table.len() != cells {
        return Err(Error::ShapeMismatch { expected: cells, got: table.len() });
    }
    Ok(())
}

/// `f64` scratch entries of [`gene_pearson`] for `n_genes` genes.
///
/// ```
/// assert_eq!(cellmap_core::evaluate::gene_pearson_scratch_len(4), 24);
/// ```
pub const fn gene_pearson_scratch_len(n_genes: usize) -> usize {
    n_genes.saturating_mul(6)
}

/// Pearson correlation across cells of each gene of `pred` and
/// `measured` (both `n_cells × n_genes`), into `out` (`n_genes`); returns
/// the number of genes whose correlation is NaN (constant on either side,
/// or fewer than two complete cells).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] for tables of another size,
/// [`Error::BufferTooSmall`] for a short `out` or `scratch`
/// ([`gene_pearson_scratch_len`]). `out` is untouched on error.
///
/// ```
/// use cellmap_core::evaluate::{gene_pearson, gene_pearson_scratch_len};
/// // 3 cells × 2 genes; gene 1 is constant in the prediction.
/// let pred = [1.0, 5.0, 2.0, 5.0, 3.0, 5.0];
/// let measured = [2.0, 1.0, 4.0, 2.0, 6.5, f64::NAN];
/// let mut out = [0.0; 2];
/// let mut scratch = [0.0; gene_pearson_scratch_len(2)];
/// let nan = gene_pearson(&pred, &measured, 3, 2, &mut out, &mut scratch)?;
/// assert!((out[0] - 0.9979487157886733).abs() < 1e-15); // np.corrcoef
/// assert!(out[1].is_nan() && nan == 1);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn gene_pearson(
    pred: &[f64],
    measured: &[f64],
    n_cells: usize,
    n_genes: usize,
    out: &mut [f64],
    scratch: &mut [f64],
) -> Result<usize, Error> {
    check_table(pred, n_cells, n_genes)?;
    check_table(measured, n_cells, n_genes)?;
    crate::error::ensure_len("out", out, n_genes)?;
    crate::error::ensure_len("scratch", scratch, gene_pearson_scratch_len(n_genes))?;
    let (count, rest) = scratch.split_at_mut(n_genes);
    let (mean_p, rest) = rest.split_at_mut(n_genes);
    let (mean_t, rest) = rest.split_at_mut(n_genes);
    let (sxy, rest) = rest.split_at_mut(n_genes);
    let (sxx, rest) = rest.split_at_mut(n_genes);
    let syy = rest.get_mut(..n_genes).unwrap_or_default();
    for b in [&mut *count, &mut *mean_p, &mut *mean_t, &mut *sxy, &mut *sxx, &mut *syy] {
        b.fill(0.0);
    }
    let rows = || pred.chunks_exact(n_genes.max(1)).zip(measured.chunks_exact(n_genes.max(1)));
    for (p_row, t_row) in rows() {
        for (g, (&p, &t)) in p_row.iter().zip(t_row).enumerate() {
            if !p.is_nan() && !t.is_nan() {
                if let (Some(c), Some(mp), Some(mt)) =
                    (count.get_mut(g), mean_p.get_mut(g), mean_t.get_mut(g))
                {
                    *c += 1.0;
                    *mp += p;
                    *mt += t;
                }
            }
        }
    }
    for ((mp, mt), &c) in mean_p.iter_mut().zip(mean_t.iter_mut()).zip(count.iter()) {
        *mp /= c;
        *mt /= c;
    }
    for (p_row, t_row) in rows() {
        for (g, (&p, &t)) in p_row.iter().zip(t_row).enumerate() {
            if !p.is_nan() && !t.is_nan() {
                let dp = p - mean_p.get(g).copied().unwrap_or(0.0);
                let dt = t - mean_t.get(g).copied().unwrap_or(0.0);
                if let (Some(a), Some(b), Some(c)) = (sxy.get_mut(g), sxx.get_mut(g), syy.get_mut(g)) {
                    *a += dp * dt;
                    *b += dp * dp;
                    *c += dt * dt;
                }
            }
        }
    }
    let mut nan = 0usize;
    for (g, r) in out.iter_mut().take(n_genes).enumerate() {
        let (c, a, b, d) = (
            count.get(g).copied().unwrap_or(0.0),
            sxy.get(g).copied().unwrap_or(0.0),
            sxx.get(g).copied().unwrap_or(0.0),
            syy.get(g).copied().unwrap_or(0.0),
        );
        *r = if c >= 2.0 && b > 0.0 && d > 0.0 { a / (libm::sqrt(b) * libm::sqrt(d)) } else { f64::NAN };
        if r.is_nan() {
            nan += 1;
        }
    }
    Ok(nan)
}

/// Mean and median (numpy `nanmean`, `nanmedian` over the finite values)
/// and the number of finite values; `(NaN, NaN, 0)` when none is finite.
/// `scratch` needs `values.len()` entries.
///
/// # Errors
///
/// [`Error::BufferTooSmall`] for a short `scratch`.
///
/// ```
/// use cellmap_core::evaluate::finite_mean_median;
/// let mut scratch = [0.0; 5];
/// let (mean, median, n) = finite_mean_median(&[0.5, f64::NAN, 0.25, 0.25, 1.0], &mut scratch)?;
/// assert_eq!((mean, median, n), (0.5, 0.375, 4));
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn finite_mean_median(values: &[f64], scratch: &mut [f64]) -> Result<(f64, f64, usize), Error> {
    crate::error::ensure_len("scratch", scratch, percentile_scratch_len(values.len()))?;
    let (mut sum, mut n) = (0.0f64, 0usize);
    for &v in values.iter().filter(|v| v.is_finite()) {
        sum += v;
        n += 1;
    }
    if n == 0 {
        return Ok((f64::NAN, f64::NAN, 0));
    }
    let median = percentile(values, 50.0, scratch)?.unwrap_or(f64::NAN);
    Ok((sum / n as f64, median, n))
}

/// Genes per block of [`morans_i`] (its scratch holds one block of
/// centred columns).
pub const MORAN_BLOCK: usize = 64;

/// `f64` scratch entries of [`morans_i`] for `n_nodes` rows and
/// `n_genes` genes: a block of centred columns, two per-block sums, and
/// one mean per gene.
///
/// ```
/// use cellmap_core::evaluate::morans_i_scratch_len;
/// assert_eq!(morans_i_scratch_len(10, 3), 10 * 3 + 2 * 3 + 3);
/// ```
pub const fn morans_i_scratch_len(n_nodes: usize, n_genes: usize) -> usize {
    let block = if n_genes < MORAN_BLOCK { n_genes } else { MORAN_BLOCK };
    n_nodes.saturating_add(2).saturating_mul(block).saturating_add(n_genes)
}

/// Moran's I of every gene of `table` (`n_nodes × n_genes`, rows = the
/// graph's nodes) on the CSR graph `indptr`/`indices` with `weights`
/// (`None`: 1), into `out` (`n_genes`). See the [module docs](self) for
/// the formula and the zero rule. Genes are done [`MORAN_BLOCK`] at a time
/// over contiguous centred copies in `scratch`, after one sequential pass
/// for the means.
///
/// # Errors
///
/// [`Error::InvalidSparse`] for a malformed graph, [`Error::ShapeMismatch`]
/// for a table of another size, [`Error::BufferTooSmall`] for a short
/// `out` or `scratch` ([`morans_i_scratch_len`]).
///
/// ```
/// use cellmap_core::evaluate::{morans_i, morans_i_scratch_len};
/// // A path 0 - 1 - 2 - 3 (both directions); gene 0 rises along it, gene 1 alternates.
/// let indptr = [0u32, 1, 3, 5, 6];
/// let indices = [1u32, 0, 2, 1, 3, 2];
/// let table = [0.0, 1.0, 1.0, -1.0, 2.0, 1.0, 3.0, -1.0];
/// let mut out = [0.0; 2];
/// let mut scratch = [0.0; morans_i_scratch_len(4, 2)];
/// morans_i(&indptr, &indices, None, &table, 2, &mut out, &mut scratch)?;
/// assert!((out[0] - 1.0 / 3.0).abs() < 1e-15); // smooth: positive
/// assert_eq!(out[1], -1.0); // alternating: -1
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn morans_i(
    indptr: &[u32],
    indices: &[u32],
    weights: Option<&[f64]>,
    table: &[f64],
    n_genes: usize,
    out: &mut [f64],
    scratch: &mut [f64],
) -> Result<(), Error> {
    crate::error::ensure_len("out", out, n_genes)?;
    morans_i_of_genes(
        indptr,
        indices,
        weights,
        table,
        n_genes,
        0,
        out.get_mut(..n_genes).unwrap_or_default(),
        scratch,
    )
}

/// [`morans_i`] of the genes `first_gene..first_gene + out.len()` only
/// (for splitting the genes between threads); `scratch` as for
/// [`morans_i_scratch_len`]`(n_nodes, out.len())`.
///
/// # Errors
///
/// Those of [`morans_i`], and [`Error::InvalidArgument`] for genes past
/// `n_genes`.
#[allow(clippy::too_many_arguments)]
pub fn morans_i_of_genes(
    indptr: &[u32],
    indices: &[u32],
    weights: Option<&[f64]>,
    table: &[f64],
    n_genes: usize,
    first_gene: usize,
    out: &mut [f64],
    scratch: &mut [f64],
) -> Result<(), Error> {
    let n = indptr.len().checked_sub(1).ok_or(Error::InvalidSparse("indptr is empty"))?;
    check_table(table, n, n_genes)?;
    let end = first_gene.checked_add(out.len()).filter(|&e| e <= n_genes);
    let Some(end) = end else {
        return Err(Error::InvalidArgument("the genes asked for are past the table's columns"));
    };
    crate::error::ensure_len("scratch", scratch, morans_i_scratch_len(n, out.len()))?;
    if indptr.first() != Some(&0)
        || indptr.last().map(|&e| e as usize) != Some(indices.len())
        || indptr.windows(2).any(|w| w[0] > w[1])
        || indices.iter().any(|&j| j as usize >= n)
        || weights.is_some_and(|w| w.len() != indices.len())
    {
        return Err(Error::InvalidSparse("indptr/indices/weights do not form an n × n CSR graph"));
    }
    let s0: f64 = weights.map_or(indices.len() as f64, |w| w.iter().sum());
    let block = out.len().min(MORAN_BLOCK);
    if block == 0 {
        return Ok(());
    }
    let (z, rest) = scratch.split_at_mut(n * block);
    let (num, rest) = rest.split_at_mut(block);
    let (den, rest) = rest.split_at_mut(block);
    let means = rest.get_mut(..out.len()).unwrap_or_default();
    // Every gene's mean in one sequential pass over the rows.
    means.fill(0.0);
    for row in table.chunks_exact(n_genes) {
        for (m, &v) in means.iter_mut().zip(row.get(first_gene..end).unwrap_or_default()) {
            *m += v;
        }
    }
    for m in means.iter_mut() {
        *m /= n as f64;
    }
    let mut g0 = first_gene;
    while g0 < end {
        let width = block.min(end - g0);
        num.fill(0.0);
        den.fill(0.0);
        let mean = means.get(g0 - first_gene..g0 - first_gene + width).unwrap_or_default();
        // Gather the block's columns centred (one contiguous run per row).
        for (row, zrow) in table.chunks_exact(n_genes).zip(z.chunks_exact_mut(block)) {
            let cols = row.get(g0..g0 + width).unwrap_or_default();
            for (((zv, &v), &m), d) in zrow.iter_mut().zip(cols).zip(mean).zip(den.iter_mut()) {
                *zv = v - m;
                *d += *zv * *zv;
            }
        }
        // num_g = Σ_i z_ig Σ_j w_ij z_jg.
        let mut lag = [0.0f64; MORAN_BLOCK];
        for i in 0..n {
            let (s, e) = (
                indptr.get(i).copied().unwrap_or(0) as usize,
                indptr.get(i + 1).copied().unwrap_or(0) as usize,
            );
            lag.fill(0.0);
            for k in s..e {
                let j = indices.get(k).copied().unwrap_or(0) as usize;
                let zj = z.get(j * block..j * block + width).unwrap_or_default();
                match weights {
                    None => {
                        for (l, &v) in lag.iter_mut().zip(zj) {
                            *l += v;
                        }
                    }
                    Some(weights) => {
                        let w = weights.get(k).copied().unwrap_or(0.0);
                        for (l, &v) in lag.iter_mut().zip(zj) {
                            *l += w * v;
                        }
                    }
                }
            }
            let zi = z.get(i * block..i * block + width).unwrap_or_default();
            for ((acc, &v), &l) in num.iter_mut().zip(zi).zip(lag.iter()) {
                *acc += v * l;
            }
        }
        for (g, o) in out.iter_mut().skip(g0 - first_gene).take(width).enumerate() {
            let (a, d) = (num.get(g).copied().unwrap_or(0.0), den.get(g).copied().unwrap_or(0.0));
            let i = (n as f64 / s0) * a / d;
            *o = if d > 0.0 && d.is_finite() && i.is_finite() { i } else { 0.0 };
        }
        g0 += width;
    }
    Ok(())
}

/// Writes into `order` the indices `0..scores.len()` sorted by score,
/// highest first, NaN last, ties by the smaller index (`order` needs
/// `scores.len()` entries).
///
/// # Errors
///
/// [`Error::BufferTooSmall`] for a short `order`, [`Error::InvalidArgument`]
/// for more than `u32::MAX` scores.
///
/// ```
/// use cellmap_core::evaluate::rank_descending;
/// let mut order = [0u32; 4];
/// rank_descending(&[0.2, f64::NAN, 0.7, 0.2], &mut order)?;
/// assert_eq!(order, [2, 0, 3, 1]);
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn rank_descending(scores: &[f64], order: &mut [u32]) -> Result<(), Error> {
    if scores.len() > u32::MAX as usize {
        return Err(Error::InvalidArgument("too many scores"));
    }
    crate::error::ensure_len("order", order, scores.len())?;
    let order = order.get_mut(..scores.len()).unwrap_or_default();
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u32;
    }
    order.sort_unstable_by(|&a, &b| {
        let (x, y) = (scores.get(a as usize).copied(), scores.get(b as usize).copied());
        let (x, y) = (x.unwrap_or(f64::NAN), y.unwrap_or(f64::NAN));
        match (x.is_nan(), y.is_nan()) {
            (true, true) => a.cmp(&b),
            (true, false) => core::cmp::Ordering::Greater,
            (false, true) => core::cmp::Ordering::Less,
            (false, false) => y.total_cmp(&x).then(a.cmp(&b)),
        }
    });
    Ok(())
}

/// One category's tallies in a comparison of predicted and true categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CategoryTally {
    /// Cells in the category in both (true positives).
    pub both: u64,
    /// Cells the prediction puts in it (true + false positives).
    pub predicted: u64,
    /// Cells truly in it (true positives + false negatives; sklearn's
    /// support).
    pub actual: u64,
}

impl CategoryTally {
    /// Whether either side has the category (sklearn's labels are those).
    pub const fn is_present(&self) -> bool {
        self.predicted > 0 || self.actual > 0
    }

    /// `both / predicted`; 0 when nothing is predicted in the category
    /// (sklearn's default `zero_division="warn"`: 0.0 and an
    /// `UndefinedMetricWarning` from `precision_score`).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 { 0.0 } else { self.both as f64 / self.predicted as f64 }
    }

    /// `both / actual`; 0 when no cell is truly in the category (as
    /// [`precision`](Self::precision), sklearn warns).
    pub fn recall(&self) -> f64 {
        if self.actual == 0 { 0.0 } else { self.both as f64 / self.actual as f64 }
    }

    /// F1 as sklearn computes it, `2·both / (actual + predicted)` in `f64`;
    /// 0 for a category on neither side (never one of sklearn's labels, so
    /// never averaged).
    ///
    /// ```
    /// use cellmap_core::evaluate::CategoryTally;
    /// let t = CategoryTally { both: 2, predicted: 3, actual: 4 };
    /// assert_eq!((t.precision(), t.recall(), t.f1()), (2.0 / 3.0, 0.5, 4.0 / 7.0));
    /// ```
    pub fn f1(&self) -> f64 {
        let denominator = self.actual as f64 + self.predicted as f64;
        if denominator == 0.0 { 0.0 } else { 2.0 * self.both as f64 / denominator }
    }
}

/// Accuracy and macro-F1 of a prediction ([`category_scores`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryScores {
    /// Cells compared.
    pub n_cells: usize,
    /// Cells whose predicted category is the true one.
    pub correct: usize,
    /// `correct / n_cells` (sklearn `accuracy_score`).
    pub accuracy: f64,
    /// Categories on either side: sklearn's labels.
    pub n_present: usize,
    /// The mean F1 over those categories (sklearn
    /// `f1_score(average="macro")`).
    pub macro_f1: f64,
}

/// `f64` scratch entries of [`category_scores`] for `n_categories` ids.
///
/// ```
/// assert_eq!(cellmap_core::evaluate::category_scores_scratch_len(7), 7);
/// ```
pub const fn category_scores_scratch_len(n_categories: usize) -> usize {
    n_categories
}

/// Compares `pred` with `truth` (the category id of each cell, both of one
/// length; ids below `tallies.len()`): fills `tallies` (one per id) and
/// gives accuracy and macro-F1 by scikit-learn's rules:
///
/// * accuracy = `correct / n` (`accuracy_score`);
/// * the averaged categories are those present on **either** side (sklearn's
///   `unique_labels(y_true, y_pred)`), a category only predicted or only
///   true counting with F1 = 0; categories on neither side do not count;
/// * F1 = `2·tp / (true + predicted)` in `f64`, averaged by numpy's pairwise
///   sum over the present categories in id order, divided by their number
///   (`np.nanmean`): the same bits as sklearn when ids are numbered in
///   sklearn's (sorted) label order, to rounding otherwise.
///
/// With these labels F1's denominator is never 0, so sklearn's
/// `zero_division` never applies to macro-F1 and `f1_score` warns of
/// nothing; only a category's precision (nothing predicted) or recall
/// (nothing true) is ill-defined — 0 here, 0 with an
/// `UndefinedMetricWarning` in `precision_recall_fscore_support`.
///
/// `scratch` holds the present categories' F1 ([`category_scores_scratch_len`]).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] for vectors of different lengths,
/// [`Error::InvalidArgument`] for no cells (sklearn raises a `ValueError`),
/// [`Error::LabelOutOfRange`] for an id not below `tallies.len()`,
/// [`Error::BufferTooSmall`] for a short `scratch`. `tallies` is untouched
/// on error.
///
/// ```
/// use cellmap_core::evaluate::{CategoryTally, category_scores};
/// // true: 0 0 1 2; predicted: 0 1 1 3 (3 is only predicted, 2 only true)
/// let mut tallies = [CategoryTally::default(); 4];
/// let mut scratch = [0.0; 4];
/// let s = category_scores(&[0, 0, 1, 2], &[0, 1, 1, 3], &mut tallies, &mut scratch)?;
/// assert_eq!((s.correct, s.accuracy, s.n_present), (2, 0.5, 4));
/// // F1: 2/3, 2/3, 0, 0 -> 1/3, as sklearn.metrics.f1_score(average="macro")
/// assert_eq!(s.macro_f1, (2.0 / 3.0 + 2.0 / 3.0) / 4.0);
/// assert_eq!(tallies[1], CategoryTally { both: 1, predicted: 2, actual: 1 });
/// # Ok::<(), cellmap_core::Error>(())
/// ```
pub fn category_scores(
    truth: &[u32],
    pred: &[u32],
    tallies: &mut [CategoryTally],
    scratch: &mut [f64],
) -> Result<CategoryScores, Error> {
    if truth.len() != pred.len() {
        return Err(Error::ShapeMismatch { expected: truth.len(), got: pred.len() });
    }
    if truth.is_empty() {
        return Err(Error::InvalidArgument("no cells to compare"));
    }
    crate::error::ensure_len("scratch", scratch, category_scores_scratch_len(tallies.len()))?;
    let n = tallies.len();
    if let Some(&id) = truth.iter().chain(pred).find(|&&id| id as usize >= n) {
        return Err(Error::LabelOutOfRange { label: id as usize, max: n.saturating_sub(1) });
    }
    tallies.fill(CategoryTally::default());
    let mut correct = 0usize;
    for (&t, &p) in truth.iter().zip(pred) {
        if let Some(tally) = tallies.get_mut(t as usize) {
            tally.actual += 1;
            if t == p {
                tally.both += 1;
                correct += 1;
            }
        }
        if let Some(tally) = tallies.get_mut(p as usize) {
            tally.predicted += 1;
        }
    }
    let mut n_present = 0usize;
    for tally in tallies.iter().filter(|t| t.is_present()) {
        if let Some(slot) = scratch.get_mut(n_present) {
            *slot = tally.f1();
        }
        n_present += 1;
    }
    let f1s = scratch.get(..n_present).unwrap_or_default();
    Ok(CategoryScores {
        n_cells: truth.len(),
        correct,
        accuracy: correct as f64 / truth.len() as f64,
        n_present,
        macro_f1: crate::linalg::pairwise_sum(f1s) / n_present as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn morans_i_blocks_agree_with_one_gene_at_a_time() {
        // More genes than a block: every block, the last one partial, against single-gene calls.
        let (n, g) = (23usize, MORAN_BLOCK + 45);
        let indptr: Vec<u32> = (0..=n as u32).map(|i| 2 * i).collect();
        let indices: Vec<u32> = (0..n).flat_map(|i| [((i + 1) % n) as u32, ((i + 5) % n) as u32]).collect();
        let table: Vec<f64> = (0..n * g).map(|v| ((v * 7919) % 101) as f64 / 7.0).collect();
        let mut all = vec![0.0; g];
        let mut scratch = vec![0.0; morans_i_scratch_len(n, g)];
        morans_i(&indptr, &indices, None, &table, g, &mut all, &mut scratch).unwrap();
        for gene in 0..g {
            let column: Vec<f64> = (0..n).map(|i| table[i * g + gene]).collect();
            let mut one = [0.0];
            let mut s = vec![0.0; morans_i_scratch_len(n, 1)];
            morans_i(&indptr, &indices, None, &column, 1, &mut one, &mut s).unwrap();
            assert_eq!(all[gene], one[0], "gene {gene}");
        }
    }

    /// A simple reference: sklearn's labels (the ids on either side), per-label F1 from
    /// counts, the plain mean.
    fn reference(truth: &[u32], pred: &[u32]) -> (f64, f64, usize) {
        let mut labels: Vec<u32> = truth.iter().chain(pred).copied().collect();
        labels.sort_unstable();
        labels.dedup();
        let f1: Vec<f64> = labels
            .iter()
            .map(|&l| {
                let tp = truth.iter().zip(pred).filter(|&(&t, &p)| t == l && p == l).count() as f64;
                let t = truth.iter().filter(|&&t| t == l).count() as f64;
                let p = pred.iter().filter(|&&p| p == l).count() as f64;
                2.0 * tp / (t + p)
            })
            .collect();
        let correct = truth.iter().zip(pred).filter(|(t, p)| t == p).count();
        (correct as f64 / truth.len() as f64, f1.iter().sum::<f64>() / f1.len() as f64, labels.len())
    }

    #[test]
    fn category_scores_edge_cases() {
        let mut tallies = [CategoryTally::default(); 4];
        let mut scratch = [0.0; 4];
        // All right: 1, 1; all wrong with disjoint categories: 0, 0.
        let s = category_scores(&[2, 2, 3], &[2, 2, 3], &mut tallies, &mut scratch).unwrap();
        assert_eq!((s.accuracy, s.macro_f1, s.n_present), (1.0, 1.0, 2));
        let s = category_scores(&[0, 0, 1], &[2, 3, 3], &mut tallies, &mut scratch).unwrap();
        assert_eq!((s.accuracy, s.macro_f1, s.n_present, s.correct), (0.0, 0.0, 4, 0));
        assert_eq!((tallies[0].precision(), tallies[2].recall()), (0.0, 0.0), "zero division gives 0");
        // One cell.
        let s = category_scores(&[1], &[1], &mut tallies, &mut scratch).unwrap();
        assert_eq!((s.n_cells, s.accuracy, s.macro_f1), (1, 1.0, 1.0));
        // Errors leave the tallies as they were.
        let before = tallies;
        let e = |t: &[u32], p: &[u32], tallies: &mut [CategoryTally], scratch: &mut [f64]| {
            category_scores(t, p, tallies, scratch).unwrap_err()
        };
        assert_eq!(e(&[], &[], &mut tallies, &mut scratch), Error::InvalidArgument("no cells to compare"));
        assert_eq!(
            e(&[1, 2], &[1], &mut tallies, &mut scratch),
            Error::ShapeMismatch { expected: 2, got: 1 }
        );
        assert_eq!(e(&[1], &[4], &mut tallies, &mut scratch), Error::LabelOutOfRange { label: 4, max: 3 });
        assert_eq!(
            e(&[1], &[1], &mut tallies, &mut scratch[..3]),
            Error::BufferTooSmall { buffer: "scratch", needed: 4, got: 3 }
        );
        assert_eq!(tallies, before);
    }

    proptest! {
        #[test]
        fn morans_i_equals_the_dense_formula(
            (n, g, table, edges) in (1usize..12, 1usize..40).prop_flat_map(|(n, g)| (
                Just(n),
                Just(g),
                proptest::collection::vec(-5i32..5, n * g),
                proptest::collection::vec((0..n as u32, 0..n as u32, 1u8..4), 0..30),
            )),
            weighted in any::<bool>(),
        ) {
            let mut dense = vec![0.0f64; n * n];
            for &(i, j, w) in &edges {
                dense[i as usize * n + j as usize] = if weighted { f64::from(w) } else { 1.0 };
            }
            let (mut indptr, mut indices, mut weights) = (vec![0u32], vec![], vec![]);
            for i in 0..n {
                for j in 0..n {
                    if dense[i * n + j] != 0.0 {
                        indices.push(j as u32);
                        weights.push(dense[i * n + j]);
                    }
                }
                indptr.push(indices.len() as u32);
            }
            let table: Vec<f64> = table.iter().map(|&v| f64::from(v)).collect();
            let mut out = vec![0.0; g];
            let mut scratch = vec![0.0; morans_i_scratch_len(n, g)];
            morans_i(&indptr, &indices, weighted.then_some(&weights[..]), &table, g, &mut out, &mut scratch).unwrap();
            let s0: f64 = dense.iter().sum();
            for gene in 0..g {
                let x: Vec<f64> = (0..n).map(|i| table[i * g + gene]).collect();
                let m = x.iter().sum::<f64>() / n as f64;
                let z: Vec<f64> = x.iter().map(|v| v - m).collect();
                let den: f64 = z.iter().map(|v| v * v).sum();
                let mut num = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        num += dense[i * n + j] * z[i] * z[j];
                    }
                }
                let want = if den > 0.0 && s0 > 0.0 { n as f64 / s0 * num / den } else { 0.0 };
                prop_assert!((out[gene] - want).abs() <= 1e-9 * (1.0 + want.abs()), "gene {}: {} vs {}", gene, out[gene], want);
            }
        }

        #[test]
        fn category_scores_equal_the_simple_reference(
            (k, truth, pred) in (1u32..40, 1usize..300).prop_flat_map(|(k, n)| (
                Just(k),
                proptest::collection::vec(0..k, n),
                proptest::collection::vec(0..k, n),
            )),
        ) {
            let mut tallies = vec![CategoryTally::default(); k as usize];
            let mut scratch = vec![0.0; category_scores_scratch_len(k as usize)];
            let s = category_scores(&truth, &pred, &mut tallies, &mut scratch).unwrap();
            let (accuracy, macro_f1, n_present) = reference(&truth, &pred);
            prop_assert_eq!(s.accuracy, accuracy);
            prop_assert_eq!(s.n_present, n_present);
            prop_assert!((s.macro_f1 - macro_f1).abs() <= 1e-15, "{} vs {}", s.macro_f1, macro_f1);
            prop_assert_eq!(tallies.iter().map(|t| t.actual).sum::<u64>(), truth.len() as u64);
            prop_assert_eq!(tallies.iter().map(|t| t.predicted).sum::<u64>(), pred.len() as u64);
            prop_assert_eq!(tallies.iter().map(|t| t.both).sum::<u64>(), s.correct as u64);
        }

        #[test]
        fn pearson_equals_the_textbook_formula(
            (n, g, p, t) in (0usize..12, 1usize..5).prop_flat_map(|(n, g)| (
                Just(n), Just(g),
                proptest::collection::vec(prop_oneof![9 => (-50i32..50).prop_map(f64::from), 1 => Just(f64::NAN)], n * g),
                proptest::collection::vec(prop_oneof![9 => (-50i32..50).prop_map(f64::from), 1 => Just(f64::NAN)], n * g),
            )),
        ) {
            let mut out = vec![0.0; g];
            let mut scratch = vec![0.0; gene_pearson_scratch_len(g)];
            let nan = gene_pearson(&p, &t, n, g, &mut out, &mut scratch).unwrap();
            prop_assert_eq!(nan, out.iter().filter(|v| v.is_nan()).count());
            for gene in 0..g {
                let pairs: Vec<(f64, f64)> = (0..n)
                    .map(|i| (p[i * g + gene], t[i * g + gene]))
                    .filter(|(a, b)| !a.is_nan() && !b.is_nan())
                    .collect();
                let k = pairs.len() as f64;
                let (mp, mt) = (pairs.iter().map(|v| v.0).sum::<f64>() / k, pairs.iter().map(|v| v.1).sum::<f64>() / k);
                let sxy: f64 = pairs.iter().map(|v| (v.0 - mp) * (v.1 - mt)).sum();
                let sxx: f64 = pairs.iter().map(|v| (v.0 - mp).powi(2)).sum();
                let syy: f64 = pairs.iter().map(|v| (v.1 - mt).powi(2)).sum();
                if pairs.len() < 2 || sxx == 0.0 || syy == 0.0 {
                    prop_assert!(out[gene].is_nan());
                } else {
                    let r = sxy / (sxx.sqrt() * syy.sqrt());
                    prop_assert!((out[gene] - r).abs() <= 1e-12, "{} vs {}", out[gene], r);
                    prop_assert!(out[gene].abs() <= 1.0 + 1e-12);
                }
            }
        }
    }
}
