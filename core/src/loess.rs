//! One-predictor LOESS (local quadratic regression) as the netlib `dloess`
//! code computes it with its default `surface = "interpolate"` — the code
//! behind `skmisc.loess.loess(x, y, span=…, degree=2)`, which scanpy's
//! `highly_variable_genes(flavor="seurat_v3")` fits to log variance against
//! log mean.
//!
//! The rules, restated from `dloess` (`lowesd`, `lowesb`, `ehg126`,
//! `ehg124`, `ehg127`, `ehg128`) for one predictor, degree 2, Gaussian
//! family, unit weights:
//!
//! 1. **Bounding box**: `[min − μ, max + μ]`, `μ = 0.005 · max(max − min,
//!    1e-10 · max(|min|, |max|) + 1e-30)`.
//! 2. **k-d tree**: a cell holding more than `fc = ⌊n · span · cell⌋` points
//!    (`cell = 0.2`) is split at its median point `m = ⌊(l + u) / 2⌋` (ranks
//!    in sorted order, 1-based); when that point ties with the next one the
//!    split moves to the nearest rank boundary between different values,
//!    trying `m, m + 1, m − 1, m + 2, …`; a cell whose split value equals one
//!    of its own ends stays a leaf. Cells are processed in creation order,
//!    and at most `max(200, n)` cells and vertices are made.
//! 3. **Vertex fits**: at every vertex `q`, the `nf = ⌊n · span + 1e-5⌋`
//!    nearest points define `ρ` = the largest of their squared distances;
//!    points with `(x − q)² < ρ` get tricube weights `(1 − (|x − q|/√ρ)³)³`
//!    and a weighted least-squares fit of `1, (x − q), (x − q)²` (columns
//!    equilibrated, Householder QR, SVD pseudo-inverse with tolerance
//!    `100 · ε · σ₁`) gives the value and the slope at `q`.
//! 4. **Surface**: each point is evaluated by cubic Hermite interpolation
//!    between the values and slopes of the two vertices of its leaf.
//!
//! The results agree with `skmisc` to rounding (the summation order of the
//! least-squares fits differs): 1e-13 relative on the fixtures, tested at 1e-12.

use crate::Error;
use crate::error::ensure_len;

/// The `cell` parameter of `dloess` (its default, and skmisc's).
pub const LOESS_CELL: f64 = 0.2;

/// Capacity of the k-d tree (cells and vertices), as `loess_workspace`
/// sizes it: `max(200, n)`.
const fn tree_capacity(n: usize) -> usize {
    if n > 200 { n } else { 200 }
}

/// The scratch buffers of [`loess_fit`]: their lengths for `n` points.
/// Lengths saturate at `usize::MAX` for impossible sizes.
///
/// ```
/// use cellmap_core::loess::LoessScratch;
/// let s = LoessScratch::new(10);
/// assert_eq!((s.scratch, s.index), (10 * 6 + 3 * 200, 10 + 4 * 200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoessScratch {
    /// `f64` elements of `scratch`: the sorted points, the least-squares
    /// columns, and three per k-d tree vertex (`max(200, n)` of them).
    pub scratch: usize,
    /// `u32` elements of `index`: the sort order and four per k-d tree cell.
    pub index: usize,
}

impl LoessScratch {
    /// The scratch lengths for `n` points.
    pub const fn new(n: usize) -> Self {
        let cap = tree_capacity(n);
        Self {
            scratch: n.saturating_mul(6).saturating_add(cap.saturating_mul(3)),
            index: n.saturating_add(cap.saturating_mul(4)),
        }
    }
}

/// Fits a degree-2 LOESS of `y` on `x` with the given `span` and writes
/// the fitted values (the interpolated surface at every `x`) to `fitted`.
/// Returns the number of vertices of the k-d tree.
///
/// `fitted` needs `x.len()` elements; the scratch sizes come from
/// [`LoessScratch`].
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `x` and `y` differ in length,
/// [`Error::BufferTooSmall`] for short outputs or scratch, and
/// [`Error::InvalidArgument`] for a non-finite input, a span outside
/// `(0, 1]`, or a span too small for a quadratic (fewer than 4 neighbours,
/// or all neighbours at the same `x`, dloess's errors 104, 120 and 121).
/// `fitted` is untouched on every error.
///
/// ```
/// use cellmap_core::loess::{loess_fit, LoessScratch};
/// // A quadratic is reproduced exactly (up to rounding).
/// let x: Vec<f64> = (0..50).map(|i| i as f64 / 10.0).collect();
/// let y: Vec<f64> = x.iter().map(|v| 1.0 + 2.0 * v - 0.5 * v * v).collect();
/// let LoessScratch { scratch: nf, index: nu } = LoessScratch::new(x.len());
/// let mut fitted = vec![0.0; x.len()];
/// loess_fit(&x, &y, 0.3, &mut fitted, &mut vec![0.0; nf], &mut vec![0; nu]).unwrap();
/// for (f, t) in fitted.iter().zip(&y) {
///     assert!((f - t).abs() < 1e-9);
/// }
/// ```
pub fn loess_fit(
    x: &[f64],
    y: &[f64],
    span: f64,
    fitted: &mut [f64],
    scratch: &mut [f64],
    index: &mut [u32],
) -> Result<usize, Error> {
    let n = x.len();
    if y.len() != n {
        return Err(Error::ShapeMismatch { expected: n, got: y.len() });
    }
    ensure_len("fitted", fitted, n)?;
    let LoessScratch { scratch: need_f, index: need_u } = LoessScratch::new(n);
    ensure_len("scratch", scratch, need_f)?;
    ensure_len("index", index, need_u)?;
    if n > u32::MAX as usize - 1 {
        return Err(Error::InvalidArgument("loess: too many points for u32 indices"));
    }
    if !(span > 0.0 && span <= 1.0) {
        return Err(Error::InvalidArgument("loess: span must be in (0, 1]"));
    }
    if x.iter().chain(y).any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument("loess: x and y must be finite"));
    }
    let nf = {
        let f = libm::floor(n as f64 * span + 1e-5);
        if f < 1.0 { 0 } else { (f as usize).min(n) }
    };
    // dloess: k = 3 columns needs nf - 1 >= 3 (error 104), nf > 0 ("span is too small").
    if nf < 4 {
        return Err(Error::InvalidArgument("loess: span too small (fewer than 4 neighbours)"));
    }
    let cap = tree_capacity(n);
    let (order, rest_u) = index.split_at_mut(n);
    let cells = rest_u.get_mut(..4 * cap).ok_or(Error::InvalidArgument("loess: index"))?;
    let (xs, rest) = scratch.split_at_mut(n);
    let (ys, rest) = rest.split_at_mut(n);
    let (work, rest) = rest.split_at_mut(4 * n);
    let (vpos, rest) = rest.split_at_mut(cap);
    let (vval, rest) = rest.split_at_mut(cap);
    let vslope = rest.get_mut(..cap).ok_or(Error::InvalidArgument("loess: scratch"))?;

    // Sort the points by x (ties by input order; only values matter below).
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u32;
    }
    order.sort_unstable_by(|&a, &b| {
        let (xa, xb) = (x[a as usize], x[b as usize]);
        xa.total_cmp(&xb).then(a.cmp(&b))
    });
    for ((o, xv), yv) in order.iter().zip(xs.iter_mut()).zip(ys.iter_mut()) {
        *xv = x[*o as usize];
        *yv = y[*o as usize];
    }

    // 1. Bounding box (ehg126).
    let (lo, hi) = (xs[0], xs[n - 1]);
    let mu = 0.005 * f64::max(hi - lo, 1e-10 * f64::max(lo.abs(), hi.abs()) + 1e-30);
    vpos[0] = lo - mu;
    vpos[1] = hi + mu;
    let mut nv = 2usize;

    // 2. k-d tree (ehg124), cells as (l, u, lower vertex, upper vertex) with 0-based
    // inclusive ranks; an empty cell has u = l - 1, stored as l = u + 1.
    let fc = libm::floor(n as f64 * (span * LOESS_CELL));
    let mut nc = 1usize;
    cells[0] = 0;
    cells[1] = n as u32;
    cells[2] = 0;
    cells[3] = 1;
    let mut p = 0usize;
    while p < nc {
        let l = cells[4 * p] as i64;
        let u = cells[4 * p + 1] as i64 - 1; // stored +1 so that empty cells fit in u32
        let (va, vb) = (cells[4 * p + 2] as usize, cells[4 * p + 3] as usize);
        let diam = vpos[vb] - vpos[va];
        let mut leaf = ((u - l + 1) as f64) <= fc || diam <= 0.0;
        if !leaf {
            leaf = cap < nc + 2 || (cap as f64) < nv as f64 + 1.0;
        }
        let mut m = (l + u).div_euclid(2);
        if !leaf {
            let mut offset: i64 = 0;
            loop {
                let at = m + offset;
                if at >= u || at < l {
                    break;
                }
                if xs[at as usize] == xs[at as usize + 1] {
                    offset = -offset;
                    if offset >= 0 {
                        offset += 1;
                    }
                } else {
                    m = at;
                    break;
                }
            }
            let split = xs[m as usize];
            leaf = vpos[va] == split || vpos[vb] == split;
        }
        if !leaf {
            let split = xs[m as usize];
            let new_vertex = nv;
            vpos[new_vertex] = split;
            nv += 1;
            let left = [l as u32, (m + 1) as u32, va as u32, new_vertex as u32];
            let right = [(m + 1) as u32, (u + 1) as u32, new_vertex as u32, vb as u32];
            cells[4 * nc..4 * nc + 4].copy_from_slice(&left);
            cells[4 * (nc + 1)..4 * (nc + 1) + 4].copy_from_slice(&right);
            nc += 2;
        }
        p += 1;
    }
    // 3. Local quadratic fits at the vertices (ehg127).
    for v in 0..nv {
        let (value, slope) = local_quadratic(xs, ys, vpos[v], nf, work)?;
        vval[v] = value;
        vslope[v] = slope;
    }

    // 4. Hermite interpolation inside the leaf holding each point (ehg128). Leaves are
    // the intervals between consecutive vertices; a point on a split value belongs to
    // the lower cell, and either cell gives exactly the vertex value there.
    let vorder = &mut cells[..nv];
    for (i, o) in vorder.iter_mut().enumerate() {
        *o = i as u32;
    }
    vorder.sort_unstable_by(|&a, &b| vpos[a as usize].total_cmp(&vpos[b as usize]));
    for (z, out) in x.iter().zip(fitted.iter_mut()) {
        // First sorted vertex at or above z (z lies strictly inside the bounding box).
        let k = vorder.partition_point(|&v| vpos[v as usize] < *z).clamp(1, nv - 1);
        let (a, b) = (vorder[k - 1] as usize, vorder[k] as usize);
        let width = vpos[b] - vpos[a];
        let h = (z - vpos[a]) / width;
        let phi0 = (1.0 - h) * (1.0 - h) * (1.0 + 2.0 * h);
        let phi1 = h * h * (3.0 - 2.0 * h);
        let psi0 = h * (1.0 - h) * (1.0 - h);
        let psi1 = h * h * (h - 1.0);
        *out = phi0 * vval[a] + phi1 * vval[b] + (psi0 * vslope[a] + psi1 * vslope[b]) * width;
    }
    Ok(nv)
}

/// Value and slope at `q` of the tricube-weighted quadratic fit to the `nf`
/// nearest of the sorted points `xs` (ehg127). `work` holds `4 · n`.
fn local_quadratic(xs: &[f64], ys: &[f64], q: f64, nf: usize, work: &mut [f64]) -> Result<(f64, f64), Error> {
    let n = xs.len();
    // The nf nearest points form a window of the sorted x; grow it from q.
    let start = xs.partition_point(|&v| v < q);
    let (mut lo, mut hi) = (start, start);
    let mut rho = 0.0f64;
    for _ in 0..nf {
        let left = if lo > 0 { Some((xs[lo - 1] - q) * (xs[lo - 1] - q)) } else { None };
        let right = if hi < n { Some((xs[hi] - q) * (xs[hi] - q)) } else { None };
        match (left, right) {
            (Some(dl), Some(dr)) if dl <= dr => {
                lo -= 1;
                rho = rho.max(dl);
            }
            (_, Some(dr)) => {
                hi += 1;
                rho = rho.max(dr);
            }
            (Some(dl), None) => {
                lo -= 1;
                rho = rho.max(dl);
            }
            (None, None) => break,
        }
    }
    if rho <= 0.0 {
        return Err(Error::InvalidArgument("loess: span too small (all neighbours at one x)"));
    }
    // Weighted design (columns 1, dx, dx², then w·y), rows with zero weight dropped.
    let rows = hi - lo;
    let (c0, rest) = work.split_at_mut(rows);
    let (c1, rest) = rest.split_at_mut(rows);
    let (c2, rest) = rest.split_at_mut(rows);
    let eta = &mut rest[..rows];
    let mut m = 0usize;
    for i in lo..hi {
        let dx = xs[i] - q;
        let d2 = dx * dx;
        if d2 >= rho {
            continue;
        }
        let t = libm::sqrt(d2 / rho);
        let tri = 1.0 - t * t * t;
        let w = libm::sqrt(tri * tri * tri);
        c0[m] = w;
        c1[m] = w * dx;
        c2[m] = w * dx * dx;
        eta[m] = w * ys[i];
        m += 1;
    }
    if m == 0 {
        return Err(Error::InvalidArgument("loess: span too small (zero weights)"));
    }
    let mut cols: [&mut [f64]; 3] = [&mut c0[..m], &mut c1[..m], &mut c2[..m]];
    let eta = &mut eta[..m];
    // Equilibrate the columns.
    let mut colnorm = [1.0f64; 3];
    for (c, norm) in cols.iter_mut().zip(colnorm.iter_mut()) {
        let s = libm::sqrt(c.iter().map(|v| v * v).sum::<f64>());
        if s > 0.0 {
            c.iter_mut().for_each(|v| *v /= s);
            *norm = s;
        }
    }
    // Householder QR without pivoting (LINPACK dqrdc), applying Qᵀ to eta (dqrsl).
    let k = 3usize.min(m);
    let mut r = [[0.0f64; 3]; 3];
    for l in 0..k {
        let (before, after) = cols.split_at_mut(l + 1);
        let cl = &mut before[l][l..];
        let mut nrm = libm::sqrt(cl.iter().map(|v| v * v).sum::<f64>());
        if nrm != 0.0 {
            if cl[0] != 0.0 {
                nrm = nrm.copysign(cl[0]);
            }
            cl.iter_mut().for_each(|v| *v /= nrm);
            cl[0] += 1.0;
            for cj in after.iter_mut() {
                let cj = &mut cj[l..];
                let t = -dot(cl, cj) / cl[0];
                cj.iter_mut().zip(cl.iter()).for_each(|(a, b)| *a += t * b);
            }
            let e = &mut eta[l..];
            let t = -dot(cl, e) / cl[0];
            e.iter_mut().zip(cl.iter()).for_each(|(a, b)| *a += t * b);
            r[l][l] = -nrm;
        }
        for (j, cj) in after.iter().enumerate() {
            if l + 1 + j < k {
                r[l][l + 1 + j] = cj[l];
            }
        }
    }
    let mut qty = [0.0f64; 3];
    qty[..k].copy_from_slice(&eta[..k]);
    let coef = pseudo_solve(&r, &qty, k);
    Ok((coef[0] / colnorm[0], if k > 1 { coef[1] / colnorm[1] } else { 0.0 }))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimum-norm solution of `R c = b` for the `k × k` upper triangle `r`
/// through its SVD (one-sided Jacobi), singular values below
/// `100 · ε · σ_max` dropped, as dloess's `dsvdc` pseudo-inverse.
fn pseudo_solve(r: &[[f64; 3]; 3], b: &[f64; 3], k: usize) -> [f64; 3] {
    // Columns of A = R, V = I; rotate until the columns are orthogonal.
    let mut a = [[0.0f64; 3]; 3]; // a[col][row]
    let mut v = [[0.0f64; 3]; 3]; // v[col][row]
    for col in 0..k {
        for row in 0..k {
            a[col][row] = r[row][col];
        }
        v[col][col] = 1.0;
    }
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..k {
            for q in p + 1..k {
                let alpha: f64 = (0..k).map(|i| a[p][i] * a[p][i]).sum();
                let beta: f64 = (0..k).map(|i| a[q][i] * a[q][i]).sum();
                let gamma: f64 = (0..k).map(|i| a[p][i] * a[q][i]).sum();
                if gamma == 0.0 || gamma.abs() <= f64::EPSILON * libm::sqrt(alpha * beta) {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + libm::sqrt(1.0 + zeta * zeta));
                let c = 1.0 / libm::sqrt(1.0 + t * t);
                let s = c * t;
                for i in 0..k {
                    let (ap, aq) = (a[p][i], a[q][i]);
                    a[p][i] = c * ap - s * aq;
                    a[q][i] = s * ap + c * aq;
                    let (vp, vq) = (v[p][i], v[q][i]);
                    v[p][i] = c * vp - s * vq;
                    v[q][i] = s * vp + c * vq;
                }
            }
        }
        if !rotated {
            break;
        }
    }
    let mut sigma = [0.0f64; 3];
    for j in 0..k {
        sigma[j] = libm::sqrt((0..k).map(|i| a[j][i] * a[j][i]).sum::<f64>());
    }
    let smax = sigma[..k].iter().cloned().fold(0.0, f64::max);
    let tol = smax * (100.0 * f64::EPSILON);
    let mut c = [0.0f64; 3];
    for j in 0..k {
        if sigma[j] > tol {
            // u_jᵀ b / σ_j with u_j = a_j / σ_j
            let g = (0..k).map(|i| a[j][i] * b[i]).sum::<f64>() / (sigma[j] * sigma[j]);
            for i in 0..k {
                c[i] += v[j][i] * g;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    proptest! {
        /// A local quadratic fit reproduces a quadratic, so the interpolated surface (k-d tree,
        /// vertex fits, Hermite cubics) must too, whatever the ties and the order of the points.
        #[test]
        fn any_quadratic_is_reproduced(
            raw in proptest::collection::vec(0u32..400, 20..300),
            a in -3.0f64..3.0, b in -3.0f64..3.0, c in -1.0f64..1.0, span in 0.2f64..1.0,
        ) {
            let x: Vec<f64> = raw.iter().map(|&v| f64::from(v) / 40.0).collect();
            let distinct = { let mut d = x.clone(); d.sort_by(f64::total_cmp); d.dedup(); d.len() };
            prop_assume!(distinct >= 8);
            let y: Vec<f64> = x.iter().map(|v| a + b * v + c * v * v).collect();
            match fit(&x, &y, span) {
                Ok(f) => {
                    for (g, w) in f.iter().zip(&y) {
                        prop_assert!((g - w).abs() < 1e-7 * (1.0 + w.abs()), "{} vs {}", g, w);
                    }
                }
                // Too few distinct neighbours for the span: dloess's error too.
                Err(Error::InvalidArgument(_)) => {}
                Err(e) => prop_assert!(false, "{:?}", e),
            }
        }
    }

    fn fit(x: &[f64], y: &[f64], span: f64) -> Result<Vec<f64>, Error> {
        let LoessScratch { scratch: nf, index: nu } = LoessScratch::new(x.len());
        let mut out = vec![0.0; x.len()];
        loess_fit(x, y, span, &mut out, &mut vec![0.0; nf], &mut vec![0; nu])?;
        Ok(out)
    }

    #[test]
    fn reproduces_quadratics_with_ties_and_any_order() {
        let x: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64 / 7.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 - v + 0.25 * v * v).collect();
        let f = fit(&x, &y, 0.3).unwrap();
        for (a, b) in f.iter().zip(&y) {
            assert!((a - b).abs() < 1e-8 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(fit(&[1.0, 2.0], &[1.0], 0.3).is_err());
        assert!(fit(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], 0.3).is_err());
        let x = [1.0; 20];
        assert!(fit(&x, &x, 0.5).is_err());
        let mut y = [0.0; 20];
        y[3] = f64::NAN;
        let x: Vec<f64> = (0..20).map(f64::from).collect();
        assert!(fit(&x, &y, 0.5).is_err());
        assert!(fit(&x, &x, 1.5).is_err());
    }
}
