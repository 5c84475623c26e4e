//! Clustering of a dense `n × d` table (row-major `f64`) as scikit-learn
//! does it: k-means (k-means++ seeding, Lloyd iterations), a Gaussian
//! mixture with diagonal covariances fitted by EM, and the agreement of two
//! labellings (adjusted Rand index, normalised mutual information).
//!
//! | kernel | reference (scikit-learn 1.9) | agreement |
//! | --- | --- | --- |
//! | [`kmeans_lloyd`] | `KMeans(init=centres, n_init=1, algorithm="lloyd")` | same labels and iterations; centres and inertia to rounding |
//! | [`kmeans_plus_plus`] | `_kmeans_plusplus` with `random_state=seed` (greedy, `2 + ⌊ln k⌋` local trials) | same centres: numpy's `RandomState` (MT19937) ported |
//! | [`gmm_diag_fit`] | `GaussianMixture(covariance_type="diag")` from the same weights / means / precisions | same iterations and labels; lower bound to 1e-10 relative |
//! | [`gmm_diag_init_from_labels`] | its `init_params="kmeans"` step (one-hot responsibilities) | to rounding |
//! | [`adjusted_rand_index`], [`normalized_mutual_info`] | `adjusted_rand_score`, `normalized_mutual_info_score` | ARI exact (integer pair counts); NMI in numpy's summation order (bit-equal on the fixtures) |
//!
//! Labels are `u32` in `0..k` (the caller maps arbitrary labels to dense
//! indices).
//!
//! Outputs on error: every check happens before the first write, except a
//! variance that collapses during [`gmm_diag_fit`]'s EM (the model then holds
//! the last M-step, the labels are untouched).

use crate::Error;
use crate::error::ensure_len;
use crate::linalg::pairwise_sum;

fn table_len(n: usize, d: usize, got: usize) -> Result<(), Error> {
    let need = n.checked_mul(d).ok_or(Error::InvalidArgument("table too large"))?;
    if got != need {
        return Err(Error::ShapeMismatch { expected: need, got });
    }
    Ok(())
}

fn check_finite(x: &[f64], what: &'static str) -> Result<(), Error> {
    if x.iter().any(|v| !v.is_finite()) { Err(Error::InvalidArgument(what)) } else { Ok(()) }
}

/// numpy's legacy `RandomState(seed)`: MT19937 seeded by `init_genrand`,
/// doubles from two 32-bit draws (`random_sample`), the generator sklearn's
/// `random_state=<int>` uses.
#[derive(Debug, Clone)]
struct RandomState {
    key: [u32; 624],
    pos: usize,
}

impl RandomState {
    fn new(seed: u32) -> Self {
        let mut key = [0u32; 624];
        let mut s = seed;
        for (i, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1_812_433_253u32.wrapping_mul(s ^ (s >> 30)).wrapping_add(i as u32 + 1);
        }
        RandomState { key, pos: 624 }
    }

    fn next_u32(&mut self) -> u32 {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        if self.pos >= 624 {
            for i in 0..624 {
                let y = (self.key[i] & UPPER) | (self.key[(i + 1) % 624] & LOWER);
                let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
                self.key[i] = self.key[(i + 397) % 624] ^ (y >> 1) ^ mag;
            }
            self.pos = 0;
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random_sample()`: uniform in `[0, 1)` with 53 bits.
    fn random_sample(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Scratch (`f64` elements) that [`kmeans_plus_plus`] needs for `n` points.
///
/// ```
/// assert_eq!(cellmap_core::cluster::kmeans_plus_plus_scratch_len(100), 200);
/// ```
pub const fn kmeans_plus_plus_scratch_len(n: usize) -> usize {
    n.saturating_mul(2)
}

/// Picks `k` initial centres among the rows of `x` by greedy k-means++
/// exactly as sklearn's `_kmeans_plusplus` with `random_state=seed` (numpy's
/// `RandomState`, MT19937): the first centre by `choice(n)`, each next one
/// the best (lowest potential) of `2 + ⌊ln k⌋` candidates drawn with
/// probability proportional to the squared distance to the nearest centre so
/// far. Writes `centres` (`k × d`). sklearn computes the distances as
/// `‖x‖² − 2x·y + ‖y‖²`, here `Σ (x − y)²`: the draws differ only if a
/// random number falls within rounding of a boundary of the cumulative
/// potential.
///
/// # Errors
///
/// Size errors; [`Error::InvalidArgument`] for `k` of 0 or above `n`, or
/// non-finite values.
///
/// ```
/// use cellmap_core::cluster::{kmeans_plus_plus, kmeans_plus_plus_scratch_len};
/// let x = [0.0, 0.1, 10.0, 10.1];
/// let mut c = [0.0; 2];
/// kmeans_plus_plus(&x, 4, 1, 2, 7, &mut c, &mut [0.0; 8]).unwrap();
/// assert!((c[0] - c[1]).abs() > 5.0); // one centre in each group
/// ```
pub fn kmeans_plus_plus(
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    seed: u32,
    centres: &mut [f64],
    scratch: &mut [f64],
) -> Result<(), Error> {
    table_len(n, d, x.len())?;
    if k == 0 || k > n {
        return Err(Error::InvalidArgument("k-means++: k must be in 1..=n"));
    }
    ensure_len("centres", centres, k * d)?;
    ensure_len("scratch", scratch, kmeans_plus_plus_scratch_len(n))?;
    check_finite(x, "k-means++: values must be finite")?;
    let (closest, cumulative) = scratch.split_at_mut(n);
    let cumulative = &mut cumulative[..n];
    let mut rng = RandomState::new(seed);
    let row = |i: usize| &x[i * d..(i + 1) * d];
    // choice(n, p=1/n): cdf = cumsum(p) / its last element, searchsorted(side="right").
    let p = 1.0 / n as f64;
    let mut acc = 0.0;
    for cum in cumulative.iter_mut() {
        acc += p;
        *cum = acc;
    }
    let last = cumulative[n - 1];
    cumulative.iter_mut().for_each(|c| *c /= last);
    let u = rng.random_sample();
    let first = cumulative.partition_point(|&c| c <= u).min(n - 1);
    centres[..d].copy_from_slice(row(first));
    for (i, c) in closest.iter_mut().enumerate() {
        *c = squared_distance(row(i), row(first));
    }
    let mut potential: f64 = closest.iter().sum();
    let trials = 2 + libm::log(k as f64) as usize;
    for c in 1..k {
        let mut acc = 0.0;
        for (cum, v) in cumulative.iter_mut().zip(closest.iter()) {
            acc += v;
            *cum = acc;
        }
        let mut best: Option<(usize, f64)> = None;
        for _ in 0..trials {
            let target = rng.random_sample() * potential;
            // searchsorted(side="left"), clipped to n - 1.
            let candidate = cumulative.partition_point(|&v| v < target).min(n - 1);
            let pot: f64 = closest
                .iter()
                .enumerate()
                .map(|(i, &v)| v.min(squared_distance(row(i), row(candidate))))
                .sum();
            if best.is_none_or(|(_, b)| pot < b) {
                best = Some((candidate, pot));
            }
        }
        let (chosen, pot) = best.unwrap_or((0, potential));
        potential = pot;
        centres[c * d..(c + 1) * d].copy_from_slice(row(chosen));
        for (i, v) in closest.iter_mut().enumerate() {
            *v = v.min(squared_distance(row(i), row(chosen)));
        }
    }
    Ok(())
}

/// Outcome of [`kmeans_lloyd`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KMeansFit {
    /// Lloyd iterations run (sklearn's `n_iter_`).
    pub iterations: usize,
    /// Sum of squared distances to the assigned centres (`inertia_`).
    pub inertia: f64,
    /// Whether the labels stopped changing or the centre shift fell under
    /// the tolerance before `max_iter`.
    pub converged: bool,
}

/// The scratch buffers of [`kmeans_lloyd`]: their lengths for `n` points
/// of `d` features and `k` centres.
///
/// ```
/// use cellmap_core::cluster::KMeansLloydScratch;
/// let s = KMeansLloydScratch::new(100, 3, 4);
/// // centres and their transpose padded to 8 components, 3 per centre, the mean row, n distances
/// assert_eq!(s.scratch, 4 * 3 + 8 * 3 + 3 * 4 + 3 + 100);
/// assert_eq!(s.previous, 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KMeansLloydScratch {
    /// `f64` elements of `scratch`.
    pub scratch: usize,
    /// `u32` elements of `previous` (the labels of the previous iteration).
    pub previous: usize,
}

impl KMeansLloydScratch {
    /// The scratch lengths for `n` points, `d` features, `k` centres.
    pub const fn new(n: usize, d: usize, k: usize) -> Self {
        let scratch = k
            .saturating_add(padded(k))
            .saturating_mul(d)
            .saturating_add(k.saturating_mul(3))
            .saturating_add(d)
            .saturating_add(n);
        Self { scratch, previous: n }
    }
}

/// sklearn's `_tolerance`: `tol` times the mean over features of the
/// per-feature (biased) variance.
fn scaled_tolerance(x: &[f64], n: usize, d: usize, tol: f64, mean: &mut [f64]) -> f64 {
    if n == 0 || d == 0 {
        return 0.0;
    }
    mean.fill(0.0);
    for r in x.chunks_exact(d) {
        mean.iter_mut().zip(r).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    // Σ_j var_j in one row-major pass (a threshold: the summation order does not matter).
    let total: f64 = x
        .chunks_exact(d)
        .map(|r| r.iter().zip(mean.iter()).map(|(v, m)| (v - m) * (v - m)).sum::<f64>())
        .sum();
    total / n as f64 / d as f64 * tol
}

/// Components handled together by the assignment and E-step loops (held in
/// registers); the transposed tables are padded with zeros to a multiple of it.
const LANES: usize = 8;

/// `k` rounded up to a multiple of [`LANES`].
const fn padded(k: usize) -> usize {
    k.div_ceil(LANES).saturating_mul(LANES)
}

/// `out[j · kp + c] = f(c, j)` for `c < k`, 0 for the padding up to
/// `kp = padded(k)`: a `k × d` table transposed so that the inner loops run
/// over the components (vectorised).
fn transpose_into(k: usize, d: usize, out: &mut [f64], f: impl Fn(usize, usize) -> f64) {
    let kp = padded(k);
    for j in 0..d {
        for (c, o) in out[j * kp..(j + 1) * kp].iter_mut().enumerate() {
            *o = if c < k { f(c, j) } else { 0.0 };
        }
    }
}

/// `Σ_j row[j] · table_t[j · kp + c0 + i]` for the [`LANES`] components from `c0`.
#[inline]
fn block_dots(row: &[f64], table_t: &[f64], kp: usize, c0: usize) -> [f64; LANES] {
    let mut acc = [0.0f64; LANES];
    for (j, xj) in row.iter().enumerate() {
        if let Some(t) = table_t[j * kp + c0..].first_chunk::<LANES>() {
            for (a, c) in acc.iter_mut().zip(t) {
                *a += xj * c;
            }
        }
    }
    acc
}

/// Assigns every row to its nearest centre by sklearn's distance
/// `‖c‖² − 2 x·c` (ties to the lower index), with `centres_t` the centres
/// transposed and padded ([`transpose_into`]); writes `labels`.
fn assign(x: &[f64], d: usize, k: usize, centres_t: &[f64], norms: &[f64], labels: &mut [u32]) {
    let kp = padded(k);
    for (r, label) in x.chunks_exact(d).zip(labels.iter_mut()) {
        let mut best = 0usize;
        let mut best_d = f64::INFINITY;
        for c0 in (0..kp).step_by(LANES) {
            let acc = block_dots(r, centres_t, kp, c0);
            for (i, dot) in acc.iter().enumerate().take(k - c0) {
                let dist = norms[c0 + i] - 2.0 * dot;
                if dist < best_d {
                    best_d = dist;
                    best = c0 + i;
                }
            }
        }
        *label = best as u32;
    }
}

/// Lloyd's k-means from the initial `centres` (`k × d`, updated in place),
/// as sklearn's `KMeans(init=centres, n_init=1, algorithm="lloyd",
/// max_iter, tol)`: assign by `‖c‖² − 2 x·c`, move every centre to the mean
/// of its points (an emptied cluster takes the point farthest from its
/// centre, whose label is left as it was — sklearn's relocation), stop when
/// the labels repeat or the total squared centre shift is at most `tol ×
/// mean feature variance`; then a last assignment. `labels` (`n`) receives
/// the result; `previous` and `scratch` are scratch ([`KMeansLloydScratch`]).
///
/// # Errors
///
/// Size errors; [`Error::InvalidArgument`] for `k` of 0 or above `n`, or
/// non-finite values.
///
/// ```
/// use cellmap_core::cluster::kmeans_lloyd;
/// let x = [0.0, 1.0, 10.0, 11.0];
/// let mut centres = [0.0, 1.0];
/// let (mut labels, mut prev) = ([0u32; 4], [0u32; 4]);
/// let fit = kmeans_lloyd(&x, 4, 1, 2, 300, 1e-4, &mut centres, &mut labels, &mut prev, &mut [0.0; 32]).unwrap();
/// assert_eq!(labels, [0, 0, 1, 1]);
/// assert_eq!(centres, [0.5, 10.5]);
/// assert_eq!(fit.inertia, 1.0);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn kmeans_lloyd(
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    max_iter: usize,
    tol: f64,
    centres: &mut [f64],
    labels: &mut [u32],
    previous: &mut [u32],
    scratch: &mut [f64],
) -> Result<KMeansFit, Error> {
    table_len(n, d, x.len())?;
    if k == 0 || k > n {
        return Err(Error::InvalidArgument("k-means: k must be in 1..=n"));
    }
    if d == 0 {
        return Err(Error::InvalidArgument("k-means: the table has no features"));
    }
    if tol.is_nan() || tol < 0.0 {
        return Err(Error::InvalidArgument("k-means: tol must be >= 0"));
    }
    ensure_len("centres", centres, k * d)?;
    ensure_len("labels", labels, n)?;
    let need = KMeansLloydScratch::new(n, d, k);
    ensure_len("previous", previous, need.previous)?;
    ensure_len("scratch", scratch, need.scratch)?;
    check_finite(x, "k-means: values must be finite")?;
    check_finite(&centres[..k * d], "k-means: initial centres must be finite")?;
    let (labels, previous) = (&mut labels[..n], &mut previous[..n]);
    let centres = &mut centres[..k * d];
    let (sums, rest) = scratch.split_at_mut(k * d);
    let (weights, rest) = rest.split_at_mut(k);
    let (norms, rest) = rest.split_at_mut(k);
    let (shift, rest) = rest.split_at_mut(k);
    let (feature_mean, rest) = rest.split_at_mut(d);
    let (centres_t, rest) = rest.split_at_mut(padded(k) * d);
    let distances = &mut rest[..n];
    let tol = scaled_tolerance(x, n, d, tol, feature_mean);
    previous.fill(u32::MAX);
    let mut converged = false;
    let mut strict = false;
    let mut iterations = 0;
    for _ in 0..max_iter {
        iterations += 1;
        for (c, nm) in centres.chunks_exact(d).zip(norms.iter_mut()) {
            *nm = c.iter().map(|v| v * v).sum();
        }
        transpose_into(k, d, centres_t, |c, j| centres[c * d + j]);
        assign(x, d, k, centres_t, norms, labels);
        // New centres: weighted sums, then relocation of empty clusters, then means.
        sums.fill(0.0);
        weights.fill(0.0);
        for (r, &l) in x.chunks_exact(d).zip(labels.iter()) {
            let l = l as usize;
            weights[l] += 1.0;
            sums[l * d..(l + 1) * d].iter_mut().zip(r).for_each(|(s, v)| *s += v);
        }
        if weights.contains(&0.0) {
            for (i, (r, &l)) in x.chunks_exact(d).zip(labels.iter()).enumerate() {
                distances[i] = squared_distance(r, &centres[l as usize * d..(l as usize + 1) * d]);
            }
            let mut last: Option<(f64, usize)> = None;
            for empty in 0..k {
                if weights[empty] != 0.0 {
                    continue;
                }
                // The farthest point not taken yet: order by (distance desc, index asc).
                let mut far: Option<(f64, usize)> = None;
                for (i, &dist) in distances.iter().enumerate() {
                    let below_last = match last {
                        None => true,
                        Some((ld, li)) => dist < ld || (dist == ld && i > li),
                    };
                    if below_last && far.is_none_or(|(fd, _)| dist > fd) {
                        far = Some((dist, i));
                    }
                }
                let Some((_, i)) = far else { break };
                last = far;
                let old = labels[i] as usize;
                let r = &x[i * d..(i + 1) * d];
                for (j, v) in r.iter().enumerate() {
                    sums[old * d + j] -= v;
                    sums[empty * d + j] = *v;
                }
                weights[empty] = 1.0;
                weights[old] -= 1.0;
            }
        }
        for (((c, s), w), sh) in
            centres.chunks_exact_mut(d).zip(sums.chunks_exact(d)).zip(weights.iter()).zip(shift.iter_mut())
        {
            let mut moved = 0.0;
            for (cv, sv) in c.iter_mut().zip(s) {
                let new = if *w > 0.0 { sv / w } else { *sv };
                moved += (new - *cv) * (new - *cv);
                *cv = new;
            }
            *sh = moved;
        }
        if labels == previous {
            converged = true;
            strict = true;
            break;
        }
        if shift.iter().sum::<f64>() <= tol {
            converged = true;
            // sklearn re-runs the assignment below (labels may change with the new centres).
            break;
        }
        previous.copy_from_slice(labels);
    }
    if !strict {
        for (c, nm) in centres.chunks_exact(d).zip(norms.iter_mut()) {
            *nm = c.iter().map(|v| v * v).sum();
        }
        transpose_into(k, d, centres_t, |c, j| centres[c * d + j]);
        assign(x, d, k, centres_t, norms, labels);
    }
    let inertia = x
        .chunks_exact(d)
        .zip(labels.iter())
        .map(|(r, &l)| squared_distance(r, &centres[l as usize * d..(l as usize + 1) * d]))
        .sum();
    Ok(KMeansFit { iterations, inertia, converged })
}

/// Parameters of [`gmm_diag_fit`], sklearn's defaults by [`Default`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GmmParams {
    /// Stop when the lower bound changes by less than this (`tol`, 1e-3).
    pub tol: f64,
    /// At most this many EM iterations (`max_iter`, 100).
    pub max_iter: usize,
    /// Added to every variance (`reg_covar`, 1e-6).
    pub reg_covar: f64,
}

impl Default for GmmParams {
    fn default() -> Self {
        GmmParams { tol: 1e-3, max_iter: 100, reg_covar: 1e-6 }
    }
}

/// A diagonal Gaussian mixture over caller buffers: `weights` (`k`),
/// `means` and `variances` (`k × d`, row-major).
#[derive(Debug)]
pub struct DiagGmm<'a> {
    /// Mixing weights (sum 1).
    pub weights: &'a mut [f64],
    /// Component means.
    pub means: &'a mut [f64],
    /// Component variances (sklearn's `covariances_`; precisions are their
    /// inverses).
    pub variances: &'a mut [f64],
}

/// Outcome of [`gmm_diag_fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GmmFit {
    /// EM iterations run (`n_iter_`).
    pub iterations: usize,
    /// Whether the lower-bound change fell under `tol` (`converged_`).
    pub converged: bool,
    /// Mean log-likelihood per sample at the last iteration (`lower_bound_`).
    pub lower_bound: f64,
}

/// Scratch (`f64` elements) that [`gmm_diag_fit`] needs: the `n × k`
/// responsibilities, `2k`, and two `d × padded(k)` tables (`k` rounded up to a multiple of 8).
///
/// ```
/// // responsibilities, 2 per component, two d × 8 transposed tables (3 components padded to 8)
/// assert_eq!(cellmap_core::cluster::gmm_diag_fit_scratch_len(10, 2, 3), 30 + 6 + 2 * 2 * 8);
/// ```
pub const fn gmm_diag_fit_scratch_len(n: usize, d: usize, k: usize) -> usize {
    n.saturating_mul(k)
        .saturating_add(k.saturating_mul(2))
        .saturating_add(padded(k).saturating_mul(d).saturating_mul(2))
}

/// Weights, means and variances from hard labels (sklearn's initialisation
/// from k-means labels: one-hot responsibilities, `nk + 10ε`, `E[x²] −
/// mean² + reg_covar`).
///
/// # Errors
///
/// Size errors; [`Error::InvalidArgument`] for a label `≥ k`, or a variance
/// that is not positive (sklearn's "ill-defined empirical covariance").
///
/// ```
/// use cellmap_core::cluster::{DiagGmm, gmm_diag_init_from_labels};
/// let x = [0.0, 2.0, 10.0, 12.0];
/// let (mut w, mut m, mut v) = ([0.0; 2], [0.0; 2], [0.0; 2]);
/// gmm_diag_init_from_labels(&x, 4, 1, 2, &[0, 0, 1, 1], 1e-6, DiagGmm { weights: &mut w, means: &mut m, variances: &mut v }).unwrap();
/// assert!((w[0] - 0.5).abs() < 1e-14); // (2 + 10ε) / 4, as sklearn
/// assert!((m[1] - 11.0).abs() < 1e-12 && (v[0] - 1.0).abs() < 1e-5);
/// ```
pub fn gmm_diag_init_from_labels(
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    labels: &[u32],
    reg_covar: f64,
    model: DiagGmm<'_>,
) -> Result<(), Error> {
    table_len(n, d, x.len())?;
    ensure_len("labels", labels, n)?;
    ensure_len("weights", model.weights, k)?;
    ensure_len("means", model.means, k * d)?;
    ensure_len("variances", model.variances, k * d)?;
    if labels[..n].iter().any(|&l| l as usize >= k) {
        return Err(Error::InvalidArgument("gmm: a label is not below k"));
    }
    let nk = &mut model.weights[..k];
    let means = &mut model.means[..k * d];
    let sq = &mut model.variances[..k * d];
    nk.fill(0.0);
    means.fill(0.0);
    sq.fill(0.0);
    for (r, &l) in x.chunks_exact(d.max(1)).zip(labels).take(n) {
        let l = l as usize;
        nk[l] += 1.0;
        for (j, v) in r.iter().enumerate() {
            means[l * d + j] += v;
            sq[l * d + j] += v * v;
        }
    }
    for c in 0..k {
        let w = nk[c] + 10.0 * f64::EPSILON;
        for j in 0..d {
            let m = means[c * d + j] / w;
            means[c * d + j] = m;
            sq[c * d + j] = sq[c * d + j] / w - m * m + reg_covar;
        }
        nk[c] = w / n as f64;
    }
    if sq.iter().any(|v| v.is_nan() || *v <= 0.0) {
        return Err(Error::InvalidArgument("gmm: a variance is not positive (increase reg_covar)"));
    }
    Ok(())
}

/// `Σ_j x_j · mp_t[j, c]` and `Σ_j x_j² · p_t[j, c]` for the [`LANES`]
/// components from `c0` (the E-step's `x·(μ/σ²)` and `x²·(1/σ²)`).
#[inline]
fn block_cross_sq(
    row: &[f64],
    mean_prec_t: &[f64],
    prec_t: &[f64],
    kp: usize,
    c0: usize,
) -> ([f64; LANES], [f64; LANES]) {
    let mut cross = [0.0f64; LANES];
    let mut sq = [0.0f64; LANES];
    for (j, xj) in row.iter().enumerate() {
        let at = j * kp + c0;
        if let (Some(mp), Some(p)) =
            (mean_prec_t[at..].first_chunk::<LANES>(), prec_t[at..].first_chunk::<LANES>())
        {
            let x2 = xj * xj;
            for (((c, s), m), q) in cross.iter_mut().zip(sq.iter_mut()).zip(mp).zip(p) {
                *c += xj * m;
                *s += x2 * q;
            }
        }
    }
    (cross, sq)
}

/// E-step: replaces the weighted log densities of each row by its
/// responsibilities and returns the mean log-likelihood. The row's
/// log-normaliser is sklearn's `_logsumexp` (`log1p(Σ_{others} e^(a−max) /
/// m) + ln m + max`, `m` = how many entries equal the maximum), and the
/// responsibilities reuse its exponentials: `e^(a−max) / (m + Σ)`, which is
/// `exp(log_resp)` to rounding. `work` holds `2k + 2·padded(k)·d`.
fn e_step(
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    model: &DiagGmm<'_>,
    resp: &mut [f64],
    work: &mut [f64],
) -> f64 {
    const LOG_2PI: f64 = 1.837_877_066_409_345_3;
    let kp = padded(k);
    let (log_det, rest) = work.split_at_mut(k);
    let (mu_p, rest) = rest.split_at_mut(k);
    let (prec_t, rest) = rest.split_at_mut(kp * d);
    let mean_prec_t = &mut rest[..kp * d];
    // Per component: Σ log(precision_chol) with precision_chol = 1/√var (sklearn's), the log
    // weight and the constant; and Σ μ²/σ².
    for c in 0..k {
        let var = &model.variances[c * d..(c + 1) * d];
        let mean = &model.means[c * d..(c + 1) * d];
        log_det[c] = var.iter().map(|v| libm::log(1.0 / libm::sqrt(*v))).sum::<f64>()
            + libm::log(model.weights[c])
            - 0.5 * d as f64 * LOG_2PI;
        mu_p[c] = mean.iter().zip(var).map(|(m, v)| m * m * (1.0 / v)).sum();
    }
    transpose_into(k, d, prec_t, |c, j| 1.0 / model.variances[c * d + j]);
    transpose_into(k, d, mean_prec_t, |c, j| model.means[c * d + j] * (1.0 / model.variances[c * d + j]));
    let mut total = 0.0;
    for (r, out) in x.chunks_exact(d.max(1)).zip(resp.chunks_exact_mut(k)).take(n) {
        for c0 in (0..kp).step_by(LANES) {
            let (cross, sq) = block_cross_sq(r, mean_prec_t, prec_t, kp, c0);
            for i in 0..LANES.min(k - c0) {
                let log_prob = mu_p[c0 + i] - 2.0 * cross[i] + sq[i];
                out[c0 + i] = -0.5 * log_prob + log_det[c0 + i];
            }
        }
        let max = out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let shift = if max.is_finite() { max } else { 0.0 };
        let (mut m, mut others) = (0.0f64, 0.0f64);
        for v in out.iter_mut() {
            if *v == max {
                m += 1.0;
                *v = libm::exp(max - shift);
            } else {
                *v = libm::exp(*v - shift);
                others += *v;
            }
        }
        let scaled = if others != 0.0 { others / m } else { others };
        let norm = libm::log1p(scaled) + libm::log(m) + max;
        let denom = m * libm::exp(max - shift) + others;
        out.iter_mut().for_each(|v| *v /= denom);
        total += norm;
    }
    total / n as f64
}

/// Adds `Σ resp`, `Σ resp·x` and `Σ resp·x²` of the given rows to the
/// model's weights, means and variances (the M-step's sums).
fn accumulate_rows(rows: &[(&[f64], &[f64])], d: usize, model: &mut DiagGmm<'_>) {
    let k = model.weights.len().min(rows.first().map_or(0, |(_, rr)| rr.len()));
    for c in 0..k {
        let means = &mut model.means[c * d..(c + 1) * d];
        let sq = &mut model.variances[c * d..(c + 1) * d];
        if let [(x0, r0), (x1, r1), (x2, r2), (x3, r3)] = rows {
            let (a, b, e, f) = (r0[c], r1[c], r2[c], r3[c]);
            model.weights[c] += ((a + b) + e) + f;
            let (x0, x1, x2, x3) = (&x0[..d], &x1[..d], &x2[..d], &x3[..d]);
            let (means, sq) = (&mut means[..d], &mut sq[..d]);
            for j in 0..d {
                let (v0, v1, v2, v3) = (x0[j], x1[j], x2[j], x3[j]);
                means[j] += ((a * v0 + b * v1) + e * v2) + f * v3;
                sq[j] += ((a * (v0 * v0) + b * (v1 * v1)) + e * (v2 * v2)) + f * (v3 * v3);
            }
        } else {
            for (x, rr) in rows {
                let w = rr[c];
                model.weights[c] += w;
                for ((m, s), v) in means.iter_mut().zip(sq.iter_mut()).zip(x.iter()) {
                    *m += w * v;
                    *s += w * (v * v);
                }
            }
        }
    }
}

/// M-step from the responsibilities: weights, means, variances (sklearn's
/// `_estimate_gaussian_parameters` with `reg_covar`, weights normalised).
fn m_step(
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    reg_covar: f64,
    model: &mut DiagGmm<'_>,
    resp: &[f64],
) -> Result<(), Error> {
    model.weights[..k].fill(0.0);
    model.means[..k * d].fill(0.0);
    model.variances[..k * d].fill(0.0);
    // Four rows at a time: a quarter of the loads and stores of the accumulators.
    let rows = x.chunks_exact(d.max(1)).zip(resp.chunks_exact(k)).take(n);
    let mut quad: [(&[f64], &[f64]); 4] = [(&[], &[]); 4];
    let mut filled = 0;
    for (r, rr) in rows {
        quad[filled] = (r, rr);
        filled += 1;
        if filled == 4 {
            accumulate_rows(&quad, d, model);
            filled = 0;
        }
    }
    for &(r, rr) in &quad[..filled] {
        accumulate_rows(&[(r, rr)], d, model);
    }
    let mut total = 0.0;
    for c in 0..k {
        let nk = model.weights[c] + 10.0 * f64::EPSILON;
        for j in 0..d {
            let m = model.means[c * d + j] / nk;
            model.means[c * d + j] = m;
            model.variances[c * d + j] = model.variances[c * d + j] / nk - m * m + reg_covar;
        }
        model.weights[c] = nk;
        total += nk;
    }
    model.weights[..k].iter_mut().for_each(|w| *w /= total);
    if model.variances[..k * d].iter().any(|v| v.is_nan() || *v <= 0.0) {
        return Err(Error::InvalidArgument("gmm: a variance is not positive (increase reg_covar)"));
    }
    Ok(())
}

/// Fits a diagonal Gaussian mixture by EM from the parameters in `model`
/// (updated in place), as sklearn's `GaussianMixture(covariance_type="diag",
/// n_init=1)` from `weights_init`, `means_init`, `precisions_init = 1 /
/// variances`: E-step, M-step, stop when `|Δ lower bound| < tol`; a final
/// E-step gives `labels` (argmax responsibility, ties to the lower index).
///
/// # Errors
///
/// Size errors; [`Error::InvalidArgument`] for `k` of 0, non-finite
/// values, non-positive weights or variances, or a variance that collapses
/// during EM.
///
/// ```
/// use cellmap_core::cluster::{DiagGmm, GmmParams, gmm_diag_fit, gmm_diag_fit_scratch_len};
/// let x = [0.0, 0.5, 1.0, 10.0, 10.5, 11.0];
/// let (mut w, mut m, mut v) = ([0.5, 0.5], [1.0, 9.0], [1.0, 1.0]);
/// let mut labels = [0u32; 6];
/// let model = DiagGmm { weights: &mut w, means: &mut m, variances: &mut v };
/// let fit = gmm_diag_fit(&x, 6, 1, 2, GmmParams::default(), model, &mut labels, &mut [0.0; 32]).unwrap();
/// assert_eq!(labels, [0, 0, 0, 1, 1, 1]);
/// assert!(fit.converged && (m[1] - 10.5).abs() < 1e-6);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn gmm_diag_fit(
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    params: GmmParams,
    mut model: DiagGmm<'_>,
    labels: &mut [u32],
    scratch: &mut [f64],
) -> Result<GmmFit, Error> {
    table_len(n, d, x.len())?;
    if k == 0 || n == 0 {
        return Err(Error::InvalidArgument("gmm: need k >= 1 and at least one sample"));
    }
    ensure_len("weights", model.weights, k)?;
    ensure_len("means", model.means, k * d)?;
    ensure_len("variances", model.variances, k * d)?;
    ensure_len("labels", labels, n)?;
    ensure_len("scratch", scratch, gmm_diag_fit_scratch_len(n, d, k))?;
    check_finite(x, "gmm: values must be finite")?;
    check_finite(&model.means[..k * d], "gmm: means must be finite")?;
    if model.weights[..k].iter().any(|w| !(*w > 0.0 && w.is_finite())) {
        return Err(Error::InvalidArgument("gmm: weights must be positive"));
    }
    if model.variances[..k * d].iter().any(|v| !(*v > 0.0 && v.is_finite())) {
        return Err(Error::InvalidArgument("gmm: variances must be positive"));
    }
    if !(params.tol >= 0.0 && params.reg_covar >= 0.0) {
        return Err(Error::InvalidArgument("gmm: tol and reg_covar must be >= 0"));
    }
    let (resp, rest) = scratch.split_at_mut(n * k);
    let work = &mut rest[..2 * k + 2 * padded(k) * d];
    let mut lower_bound = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    for _ in 0..params.max_iter {
        iterations += 1;
        let previous = lower_bound;
        let ll = e_step(x, n, d, k, &model, resp, work);
        m_step(x, n, d, k, params.reg_covar, &mut model, resp)?;
        lower_bound = ll;
        if (lower_bound - previous).abs() < params.tol {
            converged = true;
            break;
        }
    }
    e_step(x, n, d, k, &model, resp, work);
    for (row, label) in resp.chunks_exact(k).zip(labels.iter_mut()) {
        let mut best = 0;
        for (c, v) in row.iter().enumerate() {
            if *v > row[best] {
                best = c;
            }
        }
        *label = best as u32;
    }
    Ok(GmmFit { iterations, converged, lower_bound })
}

/// Scratch (`u64` elements) that the agreement scores need: the `n_true ×
/// n_pred` contingency table plus both margins.
///
/// ```
/// assert_eq!(cellmap_core::cluster::adjusted_rand_index_scratch_len(3, 4), 12 + 7);
/// ```
pub const fn adjusted_rand_index_scratch_len(n_true: usize, n_pred: usize) -> usize {
    n_true.saturating_mul(n_pred).saturating_add(n_true).saturating_add(n_pred)
}

/// The contingency table and its row and column sums.
type Contingency<'a> = (&'a [u64], &'a [u64], &'a [u64]);

fn contingency<'a>(
    truth: &[u32],
    pred: &[u32],
    n_true: usize,
    n_pred: usize,
    scratch: &'a mut [u64],
) -> Result<Contingency<'a>, Error> {
    if truth.len() != pred.len() {
        return Err(Error::ShapeMismatch { expected: truth.len(), got: pred.len() });
    }
    ensure_len("scratch", scratch, adjusted_rand_index_scratch_len(n_true, n_pred))?;
    let (table, rest) = scratch.split_at_mut(n_true * n_pred);
    let (rows, rest) = rest.split_at_mut(n_true);
    let cols = &mut rest[..n_pred];
    table.fill(0);
    rows.fill(0);
    cols.fill(0);
    for (&t, &p) in truth.iter().zip(pred) {
        let (t, p) = (t as usize, p as usize);
        if t >= n_true || p >= n_pred {
            return Err(Error::InvalidArgument("agreement: a label is not below its number of classes"));
        }
        table[t * n_pred + p] += 1;
        rows[t] += 1;
        cols[p] += 1;
    }
    Ok((table, rows, cols))
}

/// Adjusted Rand index of two labellings, exactly as sklearn's
/// `adjusted_rand_score` (pair counts in integers, one rounding at the end;
/// 1.0 when no pair is split differently, including empty input).
///
/// # Errors
///
/// [`Error::ShapeMismatch`] for labellings of different lengths,
/// [`Error::InvalidArgument`] for a label out of range, short scratch.
///
/// ```
/// use cellmap_core::cluster::{adjusted_rand_index, adjusted_rand_index_scratch_len};
/// let mut s = [0u64; 32];
/// let ari = adjusted_rand_index(&[0, 0, 1, 2], &[0, 0, 1, 1], 3, 2, &mut s).unwrap();
/// assert!((ari - 0.5714285714285714).abs() < 1e-15);
/// ```
pub fn adjusted_rand_index(
    truth: &[u32],
    pred: &[u32],
    n_true: usize,
    n_pred: usize,
    scratch: &mut [u64],
) -> Result<f64, Error> {
    let n = truth.len() as i128;
    let (table, rows, cols) = contingency(truth, pred, n_true, n_pred, scratch)?;
    let sum_squares: i128 = table.iter().map(|&v| (v as i128) * (v as i128)).sum();
    let rows_sq: i128 = rows.iter().map(|&v| (v as i128) * (v as i128)).sum();
    let cols_sq: i128 = cols.iter().map(|&v| (v as i128) * (v as i128)).sum();
    let tp = sum_squares - n;
    let fp = cols_sq - sum_squares; // contingency · n_k summed
    let fn_ = rows_sq - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = tp * tn - fn_ * fp;
    let den = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    Ok(2.0 * (num as f64) / (den as f64))
}

/// The scratch buffers of [`normalized_mutual_info`] for `n_true` and
/// `n_pred` classes: the contingency table with its margins (`u64`), and
/// one `f64` term per table cell and margin.
///
/// ```
/// let s = cellmap_core::cluster::NormalizedMutualInfoScratch::new(3, 4);
/// assert_eq!((s.table, s.terms), (12 + 7, 12 + 7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NormalizedMutualInfoScratch {
    /// `u64` elements of `table`.
    pub table: usize,
    /// `f64` elements of `terms`.
    pub terms: usize,
}

impl NormalizedMutualInfoScratch {
    /// The scratch lengths for `n_true` and `n_pred` classes.
    pub const fn new(n_true: usize, n_pred: usize) -> Self {
        let cells = n_true.saturating_mul(n_pred).saturating_add(n_true).saturating_add(n_pred);
        Self { table: cells, terms: cells }
    }
}

/// Entropy of the nonzero `counts` as sklearn's `entropy` (natural log).
fn entropy(counts: &[u64], terms: &mut [f64]) -> f64 {
    let mut m = 0;
    for &c in counts {
        if c > 0 {
            terms[m] = c as f64;
            m += 1;
        }
    }
    if m <= 1 {
        return 0.0;
    }
    let pi_sum = pairwise_sum(&terms[..m]);
    let log_sum = libm::log(pi_sum);
    for t in terms[..m].iter_mut() {
        *t = (*t / pi_sum) * (libm::log(*t) - log_sum);
    }
    -pairwise_sum(&terms[..m])
}

/// Normalised mutual information with the arithmetic mean of the entropies
/// (sklearn's `normalized_mutual_info_score`, its default
/// `average_method="arithmetic"`): 1.0 when both labellings have a single
/// class, 0.0 when the mutual information is below ε.
///
/// # Errors
///
/// As [`adjusted_rand_index`]; scratch sizes from [`NormalizedMutualInfoScratch`].
///
/// ```
/// use cellmap_core::cluster::normalized_mutual_info;
/// let (mut s, mut t) = ([0u64; 32], [0.0; 32]);
/// let nmi = normalized_mutual_info(&[0, 0, 1, 1], &[1, 1, 0, 0], 2, 2, &mut s, &mut t).unwrap();
/// assert!((nmi - 1.0).abs() < 1e-15);
/// ```
pub fn normalized_mutual_info(
    truth: &[u32],
    pred: &[u32],
    n_true: usize,
    n_pred: usize,
    table: &mut [u64],
    terms: &mut [f64],
) -> Result<f64, Error> {
    ensure_len("terms", terms, NormalizedMutualInfoScratch::new(n_true, n_pred).terms)?;
    let (table, rows, cols) = contingency(truth, pred, n_true, n_pred, table)?;
    let present_rows = rows.iter().filter(|&&v| v > 0).count();
    let present_cols = cols.iter().filter(|&&v| v > 0).count();
    if present_rows == present_cols && present_rows <= 1 {
        return Ok(1.0);
    }
    // mutual_info_score on the sparse contingency (row-major nonzeros).
    let mi = if present_rows == 1 || present_cols == 1 {
        0.0
    } else {
        let total = truth.len() as f64;
        let log_total = libm::log(total);
        let log_pi_sum = libm::log(rows.iter().sum::<u64>() as f64);
        let log_pj_sum = libm::log(cols.iter().sum::<u64>() as f64);
        let mut m = 0;
        for (t, row) in table.chunks_exact(n_pred.max(1)).enumerate().take(n_true) {
            for (p, &v) in row.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                let val = v as f64;
                let nm = val / total;
                let outer = ((rows[t] as i64) * (cols[p] as i64)) as f64;
                let log_outer = -libm::log(outer) + log_pi_sum + log_pj_sum;
                let term = nm * (libm::log(val) - log_total) + nm * log_outer;
                terms[m] = if term.abs() < f64::EPSILON { 0.0 } else { term };
                m += 1;
            }
        }
        pairwise_sum(&terms[..m]).max(0.0)
    };
    if mi.abs() < f64::EPSILON {
        return Ok(0.0);
    }
    let h_true = entropy(rows, terms);
    let h_pred = entropy(cols, terms);
    let normalizer = (h_true + h_pred) / 2.0;
    Ok(mi / normalizer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// Pair counting over all pairs: the definition of the Rand index terms.
    fn ari_brute(a: &[u32], b: &[u32]) -> f64 {
        let n = a.len();
        let (mut tp, mut fp, mut fn_, mut tn) = (0i128, 0i128, 0i128, 0i128);
        for i in 0..n {
            for j in 0..n {
                if i == j {
                    continue;
                }
                match (a[i] == a[j], b[i] == b[j]) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    (false, false) => tn += 1,
                }
            }
        }
        if fn_ == 0 && fp == 0 {
            return 1.0;
        }
        2.0 * ((tp * tn - fn_ * fp) as f64) / (((tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn)) as f64)
    }

    proptest! {
        #[test]
        fn ari_equals_pair_counting(pairs in proptest::collection::vec((0u32..4, 0u32..5), 0..60)) {
            let (a, b): (Vec<u32>, Vec<u32>) = pairs.into_iter().unzip();
            let mut s = vec![0u64; adjusted_rand_index_scratch_len(4, 5)];
            let got = adjusted_rand_index(&a, &b, 4, 5, &mut s).unwrap();
            prop_assert_eq!(got, ari_brute(&a, &b));
        }

        #[test]
        fn nmi_is_symmetric_and_bounded(pairs in proptest::collection::vec((0u32..4, 0u32..5), 1..60)) {
            let (a, b): (Vec<u32>, Vec<u32>) = pairs.into_iter().unzip();
            let mut s = vec![0u64; adjusted_rand_index_scratch_len(5, 5)];
            let mut t = vec![0.0; NormalizedMutualInfoScratch::new(5, 5).terms];
            let ab = normalized_mutual_info(&a, &b, 4, 5, &mut s, &mut t).unwrap();
            let ba = normalized_mutual_info(&b, &a, 5, 4, &mut s, &mut t).unwrap();
            prop_assert!((ab - ba).abs() < 1e-12);
            prop_assert!((0.0..=1.0 + 1e-12).contains(&ab));
        }

        #[test]
        fn assignment_is_the_nearest_centre(points in proptest::collection::vec(-10.0f64..10.0, 2..40), centres in proptest::collection::vec(-10.0f64..10.0, 2..80)) {
            let d = 2;
            let k = centres.len() / d;
            let centres = &centres[..k * d];
            let n = points.len() / d;
            let x = &points[..n * d];
            let norms: Vec<f64> = centres.chunks(d).map(|c| c.iter().map(|v| v * v).sum()).collect();
            let mut labels = vec![0u32; n];
            let mut centres_t = vec![0.0; padded(k) * d];
            transpose_into(k, d, &mut centres_t, |c, j| centres[c * d + j]);
            assign(x, d, k, &centres_t, &norms, &mut labels);
            for (r, &l) in x.chunks(d).zip(&labels) {
                let got = squared_distance(r, &centres[l as usize * d..(l as usize + 1) * d]);
                let best = centres.chunks(d).map(|c| squared_distance(r, c)).fold(f64::INFINITY, f64::min);
                prop_assert!(got <= best + 1e-9);
            }
        }
    }

    #[test]
    fn random_state_is_numpys() {
        // np.random.RandomState(0).random_sample(2); RandomState(12345).uniform(size=2)
        let mut r = RandomState::new(0);
        assert_eq!((r.random_sample(), r.random_sample()), (0.5488135039273248, 0.7151893663724195));
        let mut r = RandomState::new(12345);
        assert_eq!(r.random_sample(), 0.9296160928171479);
        // past the first 624 words: the state is regenerated.
        let mut r = RandomState::new(1);
        let tail = (0..1000).map(|_| r.random_sample()).last();
        assert_eq!(tail, Some(0.7744772660150796)); // RandomState(1).random_sample(1000)[-1]
    }

    #[test]
    fn e_step_is_the_gaussian_log_density() {
        // d > 256 and k > 16 take every blocked path.
        let (n, d, k) = (5, 300, 20);
        let mut rng = RandomState::new(3);
        let x: Vec<f64> = (0..n * d).map(|_| rng.random_sample() * 4.0 - 2.0).collect();
        let mut means: Vec<f64> = (0..k * d).map(|_| rng.random_sample() - 0.5).collect();
        let mut vars: Vec<f64> = (0..k * d).map(|_| 0.5 + rng.random_sample()).collect();
        let mut weights: Vec<f64> = (0..k).map(|c| (c + 1) as f64 / 210.0).collect();
        let model = DiagGmm { weights: &mut weights, means: &mut means, variances: &mut vars };
        let mut resp = vec![0.0; n * k];
        let mut work = vec![0.0; 2 * k + 2 * padded(k) * d];
        let mean_ll = e_step(&x, n, d, k, &model, &mut resp, &mut work);
        let mut want_total = 0.0;
        for i in 0..n {
            let logp: Vec<f64> = (0..k)
                .map(|c| {
                    let mut s = libm::log(model.weights[c]);
                    for j in 0..d {
                        let (m, v) = (model.means[c * d + j], model.variances[c * d + j]);
                        s += -0.5
                            * (libm::log(2.0 * core::f64::consts::PI * v)
                                + (x[i * d + j] - m) * (x[i * d + j] - m) / v);
                    }
                    s
                })
                .collect();
            let max = logp.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let norm = max + libm::log(logp.iter().map(|v| libm::exp(v - max)).sum::<f64>());
            want_total += norm;
            for c in 0..k {
                let want = libm::exp(logp[c] - norm);
                assert!((resp[i * k + c] - want).abs() < 1e-12 + 1e-9 * want, "row {i} component {c}");
            }
        }
        assert!((mean_ll - want_total / n as f64).abs() < 1e-9 * want_total.abs() / n as f64);
    }

    proptest! {
        /// EM never decreases the likelihood: the lower bound after t iterations is
        /// non-decreasing in t (from the same start).
        #[test]
        fn em_lower_bound_never_decreases(points in proptest::collection::vec(-5.0f64..5.0, 24..120), seed in 0u32..1000) {
            let (d, k) = (2, 3);
            let n = points.len() / d;
            let x = &points[..n * d];
            let mut rng = RandomState::new(seed);
            let w0 = [0.2, 0.3, 0.5];
            let m0: Vec<f64> = (0..k * d).map(|_| rng.random_sample() * 6.0 - 3.0).collect();
            let v0: Vec<f64> = (0..k * d).map(|_| 0.5 + rng.random_sample()).collect();
            let mut last = f64::NEG_INFINITY;
            for t in 1..8 {
                let (mut w, mut m, mut v) = (w0.to_vec(), m0.clone(), v0.clone());
                let model = DiagGmm { weights: &mut w, means: &mut m, variances: &mut v };
                let params = GmmParams { tol: 0.0, max_iter: t, reg_covar: 1e-6 };
                let mut labels = vec![0u32; n];
                let mut s = vec![0.0; gmm_diag_fit_scratch_len(n, d, k)];
                let fit = gmm_diag_fit(x, n, d, k, params, model, &mut labels, &mut s).unwrap();
                prop_assert!(fit.lower_bound >= last - 1e-9 * last.abs().max(1.0), "{} after {}", fit.lower_bound, last);
                last = fit.lower_bound;
            }
        }
    }

    #[test]
    fn kmeans_relocates_an_empty_cluster() {
        let x = [0.0, 1.0, 2.0, 20.0];
        let mut centres = [0.0, 100.0, 1.0];
        let (mut labels, mut prev) = ([0u32; 4], [0u32; 4]);
        let mut s = vec![0.0; KMeansLloydScratch::new(4, 1, 3).scratch];
        let fit = kmeans_lloyd(&x, 4, 1, 3, 300, 1e-4, &mut centres, &mut labels, &mut prev, &mut s).unwrap();
        // sklearn: KMeans(3, init=[[0], [100], [1]], n_init=1).fit([[0], [1], [2], [20]])
        assert_eq!((centres, labels, fit.iterations), ([0.0, 20.0, 1.5], [0, 2, 2, 1], 2));
    }

    #[test]
    fn bad_input_is_rejected() {
        let mut s = vec![0.0; 64];
        let (mut l, mut p) = ([0u32; 2], [0u32; 2]);
        assert!(kmeans_lloyd(&[0.0, 1.0], 2, 1, 3, 10, 1e-4, &mut [0.0; 3], &mut l, &mut p, &mut s).is_err());
        assert!(
            kmeans_lloyd(&[0.0, f64::NAN], 2, 1, 1, 10, 1e-4, &mut [0.0; 1], &mut l, &mut p, &mut s).is_err()
        );
        let model = DiagGmm { weights: &mut [1.0], means: &mut [0.0], variances: &mut [0.0] };
        assert!(gmm_diag_fit(&[0.0, 1.0], 2, 1, 1, GmmParams::default(), model, &mut l, &mut s).is_err());
        let mut c = [0u64; 16];
        assert!(adjusted_rand_index(&[0, 1], &[0], 2, 2, &mut c).is_err());
        assert!(adjusted_rand_index(&[0, 3], &[0, 1], 2, 2, &mut c).is_err());
    }
}
