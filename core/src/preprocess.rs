//! Expression preprocessing as scanpy does it before clustering (the
//! Bio_GMM_VGAE recipe): `normalize_total`, `log1p`, highly variable genes
//! of the Seurat v3 flavour, and PCA.
//!
//! Tables are dense, row-major `n_cells × n_genes` `f64` slices.
//!
//! | kernel | reference | agreement |
//! | --- | --- | --- |
//! | [`normalize_total`] | `sc.pp.normalize_total(target_sum=…)` on float64 | bit-exact (numpy's pairwise row sums) |
//! | [`log1p`] | `sc.pp.log1p` (`np.log1p`) | libm vs glibc, ≤ 1 ulp |
//! | [`gene_mean_var`] | scanpy `_get_mean_var` (`E[x²] − E[x]²`, × n/(n−1)) | bit-exact (sequential column sums) |
//! | [`hvg_seurat_v3`] | `sc.pp.highly_variable_genes(flavor="seurat_v3")` with skmisc's loess | normalised variances to 1e-12 relative (measured 1e-13); same ranks except exact ties (ours: lower gene index first; numpy's unstable argsort is unspecified) |
//! | [`pca`] | sklearn `PCA(svd_solver="covariance_eigh")`, `svd_flip(u_based_decision=False)` | components and scores to 1e-8 relative to the largest; scanpy's `sc.pp.pca` (ARPACK, cast to float32) to float32 rounding |
//!
//! Outputs on error: every size, shape and argument check happens before the
//! first write; the one later failure, [`hvg_seurat_v3`]'s LOESS (too few
//! non-constant genes for the span), leaves `means` and `variances` written
//! and the other outputs untouched.

use crate::Error;
use crate::error::ensure_len;
use crate::linalg::{pairwise_sum, symmetric_eigen};
use crate::loess::{LoessScratch, loess_fit};

fn table_len(n_cells: usize, n_genes: usize, got: usize) -> Result<usize, Error> {
    let need = n_cells.checked_mul(n_genes).ok_or(Error::InvalidArgument("table too large"))?;
    if got != need {
        return Err(Error::ShapeMismatch { expected: need, got });
    }
    Ok(need)
}

/// Scales every row of `x` to sum to `target_sum` (scanpy's
/// `normalize_total`): the row is divided by `row_sum / target_sum`, rows
/// summing to zero are left as they are. Returns the number of such rows.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `x` is not `n_cells × n_genes`;
/// [`Error::InvalidArgument`] if `target_sum` is not positive and finite.
///
/// ```
/// use cellmap_core::preprocess::normalize_total;
/// let mut x = [1.0, 3.0, 0.0, 0.0];
/// assert_eq!(normalize_total(&mut x, 2, 2, 1e4).unwrap(), 1);
/// assert_eq!(x, [2500.0, 7500.0, 0.0, 0.0]);
/// ```
pub fn normalize_total(
    x: &mut [f64],
    n_cells: usize,
    n_genes: usize,
    target_sum: f64,
) -> Result<usize, Error> {
    table_len(n_cells, n_genes, x.len())?;
    if !(target_sum > 0.0 && target_sum.is_finite()) {
        return Err(Error::InvalidArgument("normalize_total: target_sum must be positive"));
    }
    if n_genes == 0 {
        return Ok(n_cells);
    }
    let mut empty = 0;
    for row in x.chunks_exact_mut(n_genes) {
        let mut factor = pairwise_sum(row) / target_sum;
        if factor == 0.0 {
            factor = 1.0;
            empty += 1;
        }
        row.iter_mut().for_each(|v| *v /= factor);
    }
    Ok(empty)
}

/// `x ← ln(1 + x)` element-wise (scanpy's `log1p`, natural log).
///
/// ```
/// let mut x = [0.0, core::f64::consts::E - 1.0];
/// cellmap_core::preprocess::log1p(&mut x);
/// assert_eq!(x[0], 0.0);
/// assert!((x[1] - 1.0).abs() < 1e-15);
/// ```
pub fn log1p(x: &mut [f64]) {
    x.iter_mut().for_each(|v| *v = libm::log1p(*v));
}

/// Per-gene mean and unbiased variance as scanpy's `_get_mean_var` computes
/// them on a dense table: `mean = Σx / n`, `var = (Σx²/n − mean²) · n/(n−1)`
/// (sums in row order, as numpy's axis-0 sums). One cell gives the biased
/// variance (0), as scanpy.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] / [`Error::BufferTooSmall`] on sizes.
///
/// ```
/// use cellmap_core::preprocess::gene_mean_var;
/// let x = [1.0, 10.0, 3.0, 10.0];
/// let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
/// gene_mean_var(&x, 2, 2, &mut m, &mut v).unwrap();
/// assert_eq!((m, v), ([2.0, 10.0], [2.0, 0.0]));
/// ```
pub fn gene_mean_var(
    x: &[f64],
    n_cells: usize,
    n_genes: usize,
    means: &mut [f64],
    variances: &mut [f64],
) -> Result<(), Error> {
    table_len(n_cells, n_genes, x.len())?;
    ensure_len("means", means, n_genes)?;
    ensure_len("variances", variances, n_genes)?;
    let (means, variances) = (&mut means[..n_genes], &mut variances[..n_genes]);
    means.fill(0.0);
    variances.fill(0.0);
    if n_genes == 0 {
        return Ok(());
    }
    for row in x.chunks_exact(n_genes) {
        for ((m, s), v) in means.iter_mut().zip(variances.iter_mut()).zip(row) {
            *m += v;
            *s += v * v;
        }
    }
    let n = n_cells as f64;
    for (m, s) in means.iter_mut().zip(variances.iter_mut()) {
        *m /= n;
        *s = *s / n - *m * *m;
        if n_cells != 1 {
            *s *= n / (n - 1.0);
        }
    }
    Ok(())
}

/// The scratch buffers of [`hvg_seurat_v3`]: their lengths for `n_genes`
/// genes (five `f64` per gene and a `u32` per gene, plus [`LoessScratch`]).
///
/// ```
/// let s = cellmap_core::preprocess::HvgSeuratV3Scratch::new(1000);
/// assert_eq!((s.scratch, s.index), (5 * 1000 + 6 * 1000 + 3 * 1000, 1000 + 1000 + 4 * 1000));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HvgSeuratV3Scratch {
    /// `f64` elements of `scratch`.
    pub scratch: usize,
    /// `u32` elements of `index`.
    pub index: usize,
}

impl HvgSeuratV3Scratch {
    /// The scratch lengths for `n_genes` genes.
    pub const fn new(n_genes: usize) -> Self {
        let loess = LoessScratch::new(n_genes);
        Self {
            scratch: n_genes.saturating_mul(5).saturating_add(loess.scratch),
            index: n_genes.saturating_add(loess.index),
        }
    }
}

/// Outputs of [`hvg_seurat_v3`], one element per gene (the columns scanpy
/// writes to `adata.var`).
#[derive(Debug)]
pub struct HvgSeuratV3<'a> {
    /// `means`: per-gene mean of the raw counts.
    pub means: &'a mut [f64],
    /// `variances`: per-gene unbiased variance.
    pub variances: &'a mut [f64],
    /// `variances_norm`: variance of the clipped, standardised counts.
    pub variances_norm: &'a mut [f64],
    /// Rank of `variances_norm` in descending order (0 = most variable);
    /// `highly_variable` is `rank < n_top_genes`.
    pub rank: &'a mut [u32],
}

/// Highly variable genes, Seurat v3 flavour, on raw counts (one batch), as
/// scanpy's `highly_variable_genes(flavor="seurat_v3", span=…)`:
///
/// 1. mean and variance per gene ([`gene_mean_var`]);
/// 2. for genes with variance > 0, a degree-2 [LOESS](crate::loess) of
///    `log10 var` on `log10 mean` with `span`; `σ̂ = √(10^fit)` (`σ̂ = 1`
///    for constant genes);
/// 3. counts clipped at `σ̂ · √n + mean`; `variances_norm = (n·mean² + Σc² −
///    2·mean·Σc) / ((n − 1) σ̂²)`;
/// 4. genes ranked by decreasing `variances_norm`, ties by gene index.
///
/// # Errors
///
/// Size errors, [`Error::InvalidArgument`] for fewer than 2 cells, and the
/// LOESS errors (too few non-constant genes for the span).
///
/// ```
/// use cellmap_core::preprocess::{hvg_seurat_v3, HvgSeuratV3Scratch, HvgSeuratV3};
/// let (cells, genes) = (30, 40);
/// let counts: Vec<f64> = (0..cells * genes).map(|i| ((i * 7919) % 13 * (i % genes)) as f64 % 17.0).collect();
/// let (mut m, mut v, mut vn, mut rank) = (vec![0.0; genes], vec![0.0; genes], vec![0.0; genes], vec![0; genes]);
/// let HvgSeuratV3Scratch { scratch: nf, index: nu } = HvgSeuratV3Scratch::new(genes);
/// let out = HvgSeuratV3 { means: &mut m, variances: &mut v, variances_norm: &mut vn, rank: &mut rank };
/// hvg_seurat_v3(&counts, cells, genes, 0.3, out, &mut vec![0.0; nf], &mut vec![0; nu]).unwrap();
/// let top = rank.iter().position(|&r| r == 0).unwrap();
/// assert!(vn.iter().all(|&x| x <= vn[top]));
/// ```
pub fn hvg_seurat_v3(
    counts: &[f64],
    n_cells: usize,
    n_genes: usize,
    span: f64,
    out: HvgSeuratV3<'_>,
    scratch: &mut [f64],
    index: &mut [u32],
) -> Result<(), Error> {
    table_len(n_cells, n_genes, counts.len())?;
    ensure_len("variances_norm", out.variances_norm, n_genes)?;
    ensure_len("rank", out.rank, n_genes)?;
    let HvgSeuratV3Scratch { scratch: need_f, index: need_u } = HvgSeuratV3Scratch::new(n_genes);
    ensure_len("scratch", scratch, need_f)?;
    ensure_len("index", index, need_u)?;
    if n_cells < 2 {
        return Err(Error::InvalidArgument("highly variable genes: need at least 2 cells"));
    }
    if n_genes > u32::MAX as usize {
        return Err(Error::InvalidArgument("highly variable genes: too many genes"));
    }
    if counts.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument("highly variable genes: counts must be finite"));
    }
    gene_mean_var(counts, n_cells, n_genes, out.means, out.variances)?;
    let (means, variances) = (&out.means[..n_genes], &out.variances[..n_genes]);
    let (lx, rest) = scratch.split_at_mut(n_genes);
    let (ly, rest) = rest.split_at_mut(n_genes);
    let (fit, rest) = rest.split_at_mut(n_genes);
    let (sums, rest) = rest.split_at_mut(n_genes);
    let (sq_sums, loess_scratch) = rest.split_at_mut(n_genes);
    let (order, loess_index) = index.split_at_mut(n_genes);
    let mut m = 0;
    for (mean, var) in means.iter().zip(variances) {
        if *var > 0.0 {
            lx[m] = libm::log10(*mean);
            ly[m] = libm::log10(*var);
            m += 1;
        }
    }
    loess_fit(&lx[..m], &ly[..m], span, &mut fit[..m], loess_scratch, loess_index)?;
    // reg_std per gene, stored in lx (no longer needed).
    let mut k = 0;
    for (g, var) in variances.iter().enumerate() {
        let estimate = if *var > 0.0 {
            k += 1;
            fit[k - 1]
        } else {
            0.0
        };
        lx[g] = libm::sqrt(libm::pow(10.0, estimate));
    }
    let reg_std = &lx[..n_genes];
    let vmax = libm::sqrt(n_cells as f64);
    // Clip values in ly.
    for g in 0..n_genes {
        ly[g] = reg_std[g] * vmax + means[g];
    }
    sums.fill(0.0);
    sq_sums.fill(0.0);
    for row in counts.chunks_exact(n_genes.max(1)) {
        for (((v, clip), s), q) in row.iter().zip(ly.iter()).zip(sums.iter_mut()).zip(sq_sums.iter_mut()) {
            let c = if *v > *clip { *clip } else { *v };
            *s += c;
            *q += c * c;
        }
    }
    let n = n_cells as f64;
    for g in 0..n_genes {
        let mean = means[g];
        out.variances_norm[g] = (1.0 / ((n - 1.0) * (reg_std[g] * reg_std[g])))
            * ((n * (mean * mean)) + sq_sums[g] - 2.0 * sums[g] * mean);
    }
    let norm = &out.variances_norm[..n_genes];
    for (g, o) in order.iter_mut().enumerate() {
        *o = g as u32;
    }
    order.sort_unstable_by(|&a, &b| norm[b as usize].total_cmp(&norm[a as usize]).then(a.cmp(&b)));
    for (r, g) in order.iter().enumerate() {
        out.rank[*g as usize] = r as u32;
    }
    Ok(())
}

/// Scratch (`f64` elements) that [`pca`] needs for `n_genes`:
/// the covariance matrix plus three vectors.
///
/// ```
/// assert_eq!(cellmap_core::preprocess::pca_scratch_len(10), 130);
/// ```
pub const fn pca_scratch_len(n_genes: usize) -> usize {
    n_genes.saturating_mul(n_genes).saturating_add(n_genes.saturating_mul(3))
}

/// Principal components of a cell × gene table, exactly: the covariance
/// matrix `XcᵀXc / (n − 1)` is eigen-decomposed ([`symmetric_eigen`]), the
/// `n_comps` largest eigenpairs are kept in decreasing order, each
/// component's sign makes its largest-magnitude entry positive (sklearn's
/// `svd_flip(u_based_decision=False)`), and `scores = Xc · componentsᵀ`.
///
/// Outputs: `scores` (`n_cells × n_comps`, row-major, scanpy's `X_pca`),
/// `components` (`n_comps × n_genes`, sklearn's `components_`) and
/// `explained_variance` (`n_comps`). Cost O(n_cells·n_genes² + n_genes³):
/// meant for the few thousand genes left after HVG selection.
///
/// # Errors
///
/// Size errors; [`Error::InvalidArgument`] for fewer than 2 cells,
/// `n_comps` of 0 or above `min(n_cells, n_genes)`, non-finite input.
///
/// ```
/// use cellmap_core::preprocess::{pca, pca_scratch_len};
/// // Points on the line y = 2x: one component along (1, 2)/√5.
/// let x = [0.0, 0.0, 1.0, 2.0, 2.0, 4.0];
/// let (mut scores, mut comp, mut var) = ([0.0; 3], [0.0; 2], [0.0; 1]);
/// pca(&x, 3, 2, 1, &mut scores, &mut comp, &mut var, &mut vec![0.0; pca_scratch_len(2)]).unwrap();
/// assert!((comp[1] - 2.0 / 5f64.sqrt()).abs() < 1e-12);
/// assert!((var[0] - 5.0).abs() < 1e-12);
/// assert!((scores[2] - 5f64.sqrt()).abs() < 1e-12);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn pca(
    x: &[f64],
    n_cells: usize,
    n_genes: usize,
    n_comps: usize,
    scores: &mut [f64],
    components: &mut [f64],
    explained_variance: &mut [f64],
    scratch: &mut [f64],
) -> Result<(), Error> {
    table_len(n_cells, n_genes, x.len())?;
    if n_cells < 2 {
        return Err(Error::InvalidArgument("pca: need at least 2 cells"));
    }
    if n_comps == 0 || n_comps > n_cells.min(n_genes) {
        return Err(Error::InvalidArgument("pca: n_comps must be in 1..=min(n_cells, n_genes)"));
    }
    ensure_len("scores", scores, n_cells * n_comps)?;
    ensure_len("components", components, n_comps * n_genes)?;
    ensure_len("explained_variance", explained_variance, n_comps)?;
    ensure_len("scratch", scratch, pca_scratch_len(n_genes))?;
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument("pca: input must be finite"));
    }
    let g = n_genes;
    let (cov, rest) = scratch.split_at_mut(g * g);
    let (mean, rest) = rest.split_at_mut(g);
    let (values, rest) = rest.split_at_mut(g);
    let centred = &mut rest[..g];
    mean.fill(0.0);
    for row in x.chunks_exact(g) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n_cells as f64);
    cov.fill(0.0);
    for row in x.chunks_exact(g) {
        centred.iter_mut().zip(row).zip(mean.iter()).for_each(|((c, v), m)| *c = v - m);
        for i in 0..g {
            let ci = centred[i];
            let line = &mut cov[i * g..i * g + i + 1];
            line.iter_mut().zip(&centred[..=i]).for_each(|(a, cj)| *a += ci * cj);
        }
    }
    let denom = (n_cells - 1) as f64;
    cov.iter_mut().for_each(|v| *v /= denom);
    symmetric_eigen(cov, g, values, centred)?;
    // Largest first: eigenvalues are ascending, vectors are the columns of cov.
    for c in 0..n_comps {
        let col = g - 1 - c;
        explained_variance[c] = values[col];
        let comp = &mut components[c * g..(c + 1) * g];
        let mut best = 0usize;
        for (i, out) in comp.iter_mut().enumerate() {
            *out = cov[i * g + col];
        }
        for (i, v) in comp.iter().enumerate() {
            if v.abs() > comp[best].abs() {
                best = i;
            }
        }
        if comp[best] < 0.0 {
            comp.iter_mut().for_each(|v| *v = -*v);
        }
    }
    for (row, out) in x.chunks_exact(g).zip(scores.chunks_exact_mut(n_comps)) {
        for (c, o) in out.iter_mut().enumerate() {
            let comp = &components[c * g..(c + 1) * g];
            *o = row.iter().zip(mean.iter()).zip(comp).map(|((v, m), w)| (v - m) * w).sum();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec;

    proptest! {
        #[test]
        fn normalize_total_rows_sum_to_target(rows in proptest::collection::vec(proptest::collection::vec(0u32..50, 5), 1..20)) {
            let n = rows.len();
            let mut x: std::vec::Vec<f64> = rows.iter().flatten().map(|&v| f64::from(v)).collect();
            let empty = normalize_total(&mut x, n, 5, 1e4).unwrap();
            let mut zero_rows = 0;
            for (row, orig) in x.chunks(5).zip(&rows) {
                let s: f64 = row.iter().sum();
                if orig.iter().all(|&v| v == 0) { zero_rows += 1; prop_assert_eq!(s, 0.0); }
                else { prop_assert!((s - 1e4).abs() < 1e-8); }
            }
            prop_assert_eq!(empty, zero_rows);
        }

        #[test]
        fn pca_scores_reconstruct_the_centred_table(seed in proptest::collection::vec(-3.0f64..3.0, 24)) {
            let (n, g) = (6, 4);
            let mut scores = vec![0.0; n * g];
            let mut comp = vec![0.0; g * g];
            let mut var = vec![0.0; g];
            pca(&seed, n, g, g, &mut scores, &mut comp, &mut var, &mut vec![0.0; pca_scratch_len(g)]).unwrap();
            let mean: std::vec::Vec<f64> = (0..g).map(|j| (0..n).map(|i| seed[i * g + j]).sum::<f64>() / n as f64).collect();
            for i in 0..n {
                for j in 0..g {
                    let back: f64 = (0..g).map(|c| scores[i * g + c] * comp[c * g + j]).sum();
                    prop_assert!((back + mean[j] - seed[i * g + j]).abs() < 1e-9);
                }
            }
            for c in 1..g { prop_assert!(var[c - 1] >= var[c]); }
        }
    }

    #[test]
    fn size_errors() {
        let mut x = [1.0; 5];
        assert!(normalize_total(&mut x, 2, 2, 1e4).is_err());
        assert!(normalize_total(&mut x[..4], 2, 2, 0.0).is_err());
        let mut s = vec![0.0; 100];
        assert!(pca(&[1.0; 4], 2, 2, 3, &mut [0.0; 6], &mut [0.0; 6], &mut [0.0; 3], &mut s).is_err());
        assert!(pca(&[1.0; 2], 1, 2, 1, &mut [0.0; 2], &mut [0.0; 2], &mut [0.0; 1], &mut s).is_err());
    }
}
