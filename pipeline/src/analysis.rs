//! Expression analysis on a dense cell × gene table, as scanpy / sklearn
//! do it (the Bio_GMM_VGAE recipe): normalisation, `log1p`, Seurat v3
//! highly variable genes, PCA. The kernels are the core's
//! ([`cellmap_core::preprocess`]); this layer owns the buffers and checks
//! sizes against the memory budget.

use cellmap_core::preprocess as kernels;

use crate::Error;
use crate::memory::filled;

/// A dense, row-major `n_cells × n_features` table of `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseTable {
    n_cells: usize,
    n_features: usize,
    values: Vec<f64>,
}

impl DenseTable {
    /// Wraps `values` (row-major) as an `n_cells × n_features` table.
    ///
    /// # Errors
    ///
    /// An [`crate::ErrorKind::Input`] error when the length is not
    /// `n_cells × n_features`.
    ///
    /// ```
    /// let t = cellmap::DenseTable::new(2, 3, vec![0.0; 6]).unwrap();
    /// assert_eq!((t.n_cells(), t.n_features()), (2, 3));
    /// assert!(cellmap::DenseTable::new(2, 3, vec![0.0; 5]).is_err());
    /// ```
    pub fn new(n_cells: usize, n_features: usize, values: Vec<f64>) -> Result<Self, Error> {
        if n_cells.checked_mul(n_features) != Some(values.len()) {
            return Err(Error::input(format!(
                "a {n_cells} × {n_features} table needs {} values, got {}",
                n_cells.saturating_mul(n_features),
                values.len()
            )));
        }
        Ok(DenseTable { n_cells, n_features, values })
    }

    /// Number of rows (cells).
    pub fn n_cells(&self) -> usize {
        self.n_cells
    }

    /// Number of columns (genes or components).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The values, row-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Row `cell`.
    ///
    /// # Panics
    ///
    /// If `cell` is not below [`DenseTable::n_cells`].
    pub fn row(&self, cell: usize) -> &[f64] {
        &self.values[cell * self.n_features..(cell + 1) * self.n_features]
    }

    /// The table keeping only `columns` (in the order given).
    ///
    /// # Errors
    ///
    /// An argument error for a column out of range; out of memory.
    pub fn select_columns(&self, columns: &[usize]) -> Result<DenseTable, Error> {
        if let Some(&bad) = columns.iter().find(|&&c| c >= self.n_features) {
            return Err(Error::argument(format!(
                "column {bad} out of range: the table has {}",
                self.n_features
            )));
        }
        let mut values = filled(self.n_cells.saturating_mul(columns.len()), 0.0, "the selected columns")?;
        if !columns.is_empty() {
            for (out, row) in
                values.chunks_exact_mut(columns.len()).zip(self.values.chunks_exact(self.n_features))
            {
                for (o, &c) in out.iter_mut().zip(columns) {
                    *o = row[c];
                }
            }
        }
        Ok(DenseTable { n_cells: self.n_cells, n_features: columns.len(), values })
    }

    /// Scales each row to sum to `target_sum` (scanpy's `normalize_total`;
    /// all-zero rows stay zero).
    ///
    /// ```
    /// let mut t = cellmap::DenseTable::new(1, 2, vec![1.0, 3.0]).unwrap();
    /// t.normalize_total(1e4).unwrap();
    /// assert_eq!(t.values(), &[2500.0, 7500.0]);
    /// ```
    pub fn normalize_total(&mut self, target_sum: f64) -> Result<(), Error> {
        kernels::normalize_total(&mut self.values, self.n_cells, self.n_features, target_sum)
            .map_err(|e| Error::core("normalize_total", e))?;
        Ok(())
    }

    /// `x ← ln(1 + x)` (scanpy's `log1p`).
    pub fn log1p(&mut self) {
        kernels::log1p(&mut self.values);
    }
}

/// Seurat v3 highly variable genes of a raw-count table (scanpy's
/// `highly_variable_genes(flavor="seurat_v3")`).
#[derive(Debug, Clone, PartialEq)]
pub struct HighlyVariable {
    /// Per-gene mean.
    pub means: Vec<f64>,
    /// Per-gene unbiased variance.
    pub variances: Vec<f64>,
    /// Per-gene normalised variance.
    pub variances_norm: Vec<f64>,
    /// Rank of the normalised variance, 0 = most variable.
    pub rank: Vec<u32>,
}

impl HighlyVariable {
    /// The `n_top` most variable genes, in gene order (the columns scanpy
    /// keeps with `subset=True`).
    ///
    /// ```
    /// let h = cellmap::HighlyVariable { means: vec![], variances: vec![], variances_norm: vec![], rank: vec![2, 0, 1] };
    /// assert_eq!(h.top(2), vec![1, 2]);
    /// ```
    pub fn top(&self, n_top: usize) -> Vec<usize> {
        (0..self.rank.len()).filter(|&g| (self.rank[g] as usize) < n_top).collect()
    }
}

/// Computes [`HighlyVariable`] on raw counts with the loess `span` (scanpy's
/// default 0.3).
///
/// # Errors
///
/// Input errors from the kernel (fewer than 2 cells, too few non-constant
/// genes for the span, non-finite counts); out of memory.
pub fn highly_variable_genes(counts: &DenseTable, span: f64) -> Result<HighlyVariable, Error> {
    let g = counts.n_features;
    let kernels::HvgSeuratV3Scratch { scratch: nf, index: nu } = kernels::HvgSeuratV3Scratch::new(g);
    let mut means = filled(g, 0.0, "gene means")?;
    let mut variances = filled(g, 0.0, "gene variances")?;
    let mut variances_norm = filled(g, 0.0, "normalised variances")?;
    let mut rank = filled(g, 0u32, "gene ranks")?;
    let mut scratch = filled(nf, 0.0, "highly variable genes scratch")?;
    let mut index = filled(nu, 0u32, "highly variable genes scratch")?;
    let out = kernels::HvgSeuratV3 {
        means: &mut means,
        variances: &mut variances,
        variances_norm: &mut variances_norm,
        rank: &mut rank,
    };
    kernels::hvg_seurat_v3(&counts.values, counts.n_cells, g, span, out, &mut scratch, &mut index)
        .map_err(|e| Error::core("highly variable genes", e))?;
    Ok(HighlyVariable { means, variances, variances_norm, rank })
}

/// A principal component analysis: scores (`n_cells × n_comps`),
/// components (`n_comps × n_genes`, row-major) and explained variances.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// The cells in component space (scanpy's `X_pca`).
    pub scores: DenseTable,
    /// Principal axes, one row per component (sklearn's `components_`).
    pub components: Vec<f64>,
    /// Variance along each component (sklearn's `explained_variance_`).
    pub explained_variance: Vec<f64>,
}

/// The most genes [`pca`] accepts: the covariance of 5,000 genes is 200 MB
/// and 50,000 cells take about 10¹² multiply-adds.
pub const MAX_PCA_GENES: usize = 5000;

/// Exact PCA of `table` to `n_comps` components (see
/// [`cellmap_core::preprocess::pca`]: covariance eigen-decomposition,
/// sklearn's sign convention).
///
/// # Errors
///
/// Argument errors for `n_comps` out of `1..=min(cells, genes)` or more
/// than [`MAX_PCA_GENES`] genes; input errors for non-finite values; out of
/// memory.
///
/// ```
/// let t = cellmap::DenseTable::new(3, 2, vec![0.0, 0.0, 1.0, 2.0, 2.0, 4.0]).unwrap();
/// let p = cellmap::pca(&t, 1).unwrap();
/// assert!((p.explained_variance[0] - 5.0).abs() < 1e-12);
/// ```
pub fn pca(table: &DenseTable, n_comps: usize) -> Result<Pca, Error> {
    let (n, g) = (table.n_cells, table.n_features);
    if g > MAX_PCA_GENES {
        return Err(Error::argument(format!(
            "PCA of {g} genes: the exact PCA costs cells × genes², at most {MAX_PCA_GENES} genes \
             (select highly variable genes first)"
        )));
    }
    if n_comps == 0 || n_comps > n.min(g) {
        return Err(Error::argument(format!(
            "{n_comps} principal components asked of a {n} × {g} table (at most {})",
            n.min(g)
        )));
    }
    let mut scores = filled(n * n_comps, 0.0, "PCA scores")?;
    let mut components = filled(n_comps * g, 0.0, "PCA components")?;
    let mut explained_variance = filled(n_comps, 0.0, "PCA variances")?;
    let mut scratch = filled(kernels::pca_scratch_len(g), 0.0, "PCA covariance matrix")?;
    kernels::pca(
        &table.values,
        n,
        g,
        n_comps,
        &mut scores,
        &mut components,
        &mut explained_variance,
        &mut scratch,
    )
    .map_err(|e| Error::core("pca", e))?;
    Ok(Pca {
        scores: DenseTable { n_cells: n, n_features: n_comps, values: scores },
        components,
        explained_variance,
    })
}

/// The preprocessing steps before clustering, in the Bio_GMM_VGAE / scanpy
/// order: highly variable genes on the raw counts, then `normalize_total`,
/// `log1p`, the HVG subset, PCA.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Preprocess {
    /// `normalize_total` to this row sum (scanpy's 1e4).
    pub normalize_total: Option<f64>,
    /// `log1p` after normalisation.
    pub log1p: bool,
    /// Keep the `n` Seurat v3 highly variable genes (chosen on the raw counts, span 0.3).
    pub highly_variable: Option<usize>,
    /// Project onto this many principal components.
    pub pca: Option<usize>,
}

/// A preprocessed table and the genes it kept (column indices of the input).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The features to cluster: genes, or principal components with [`Preprocess::pca`].
    pub table: DenseTable,
    /// The input columns kept by the highly-variable selection (all without it).
    pub genes: Vec<usize>,
}

/// Runs the [`Preprocess`] steps on a raw-count table.
///
/// # Errors
///
/// Argument errors (more HVGs than genes, PCA components out of range) and
/// the kernels' input errors; out of memory.
///
/// ```
/// use cellmap::{DenseTable, Preprocess, preprocess};
/// let counts = DenseTable::new(3, 2, vec![1.0, 0.0, 0.0, 2.0, 1.0, 1.0]).unwrap();
/// let steps = Preprocess { normalize_total: Some(10.0), log1p: false, ..Preprocess::default() };
/// assert_eq!(preprocess(counts, steps).unwrap().table.row(2), &[5.0, 5.0]);
/// ```
pub fn preprocess(counts: DenseTable, steps: Preprocess) -> Result<Prepared, Error> {
    let genes = match steps.highly_variable {
        Some(n) if n > counts.n_features => {
            return Err(Error::argument(format!(
                "{n} highly variable genes asked of a table of {} genes",
                counts.n_features
            )));
        }
        Some(n) => highly_variable_genes(&counts, 0.3)?.top(n),
        None => (0..counts.n_features).collect(),
    };
    let mut table = counts;
    if let Some(target) = steps.normalize_total {
        table.normalize_total(target)?;
    }
    if steps.log1p {
        table.log1p();
    }
    if genes.len() != table.n_features {
        table = table.select_columns(&genes)?;
    }
    if let Some(n) = steps.pca {
        table = pca(&table, n)?.scores;
    }
    Ok(Prepared { table, genes })
}

/// A clustering: one label in `0..k` per cell and how the fit went.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Cluster of each cell.
    pub labels: Vec<u32>,
    /// Iterations of the last fit (Lloyd or EM).
    pub iterations: usize,
    /// Whether that fit converged before its iteration limit.
    pub converged: bool,
    /// k-means: the inertia; Gaussian mixture: the mean log-likelihood (lower bound).
    pub objective: f64,
}

fn check_k(table: &DenseTable, k: usize) -> Result<(), Error> {
    if k == 0 || k > table.n_cells {
        return Err(Error::argument(format!(
            "k = {k} clusters asked of {} cells (need 1..={})",
            table.n_cells, table.n_cells
        )));
    }
    Ok(())
}

/// k-means as sklearn's `KMeans(k, n_init=1, random_state=seed)` with its
/// defaults (k-means++ seeding with numpy's `RandomState(seed)`, Lloyd
/// iterations, 300 at most, `tol` 1e-4): the same clusters.
///
/// # Errors
///
/// An argument error for `k` out of `1..=cells`; input errors for non-finite
/// values; out of memory.
///
/// ```
/// let t = cellmap::DenseTable::new(4, 1, vec![0.0, 1.0, 10.0, 11.0]).unwrap();
/// let c = cellmap::kmeans(&t, 2, 0).unwrap();
/// assert_eq!(c.labels[0], c.labels[1]);
/// assert_ne!(c.labels[1], c.labels[2]);
/// ```
pub fn kmeans(table: &DenseTable, k: usize, seed: u32) -> Result<Clustering, Error> {
    use cellmap_core::cluster as kc;
    check_k(table, k)?;
    let (n, d) = (table.n_cells, table.n_features);
    let mut centres = filled(k.saturating_mul(d), 0.0, "k-means centres")?;
    let need = kc::KMeansLloydScratch::new(n, d, k);
    let mut scratch = filled(kc::kmeans_plus_plus_scratch_len(n).max(need.scratch), 0.0, "k-means scratch")?;
    kc::kmeans_plus_plus(&table.values, n, d, k, seed, &mut centres, &mut scratch)
        .map_err(|e| Error::core("k-means++", e))?;
    let mut labels = filled(n, 0u32, "cluster labels")?;
    let mut previous = filled(need.previous, 0u32, "k-means scratch")?;
    let fit = kc::kmeans_lloyd(
        &table.values,
        n,
        d,
        k,
        300,
        1e-4,
        &mut centres,
        &mut labels,
        &mut previous,
        &mut scratch,
    )
    .map_err(|e| Error::core("k-means", e))?;
    Ok(Clustering { labels, iterations: fit.iterations, converged: fit.converged, objective: fit.inertia })
}

/// A diagonal-covariance Gaussian mixture as sklearn's
/// `GaussianMixture(k, covariance_type="diag", random_state=seed)` with its
/// defaults (`tol` 1e-3, 100 iterations, `reg_covar` 1e-6, `init_params=
/// "kmeans"`: responsibilities from the labels of [`kmeans`] with the same
/// seed). Bio_GMM_VGAE's `fix_seed(0)` is `seed = 0`.
///
/// # Errors
///
/// As [`kmeans`], and an input error when a variance collapses.
///
/// ```
/// let t = cellmap::DenseTable::new(6, 1, vec![0.0, 0.5, 1.0, 10.0, 10.5, 11.0]).unwrap();
/// let c = cellmap::gaussian_mixture(&t, 2, 0).unwrap();
/// assert!(c.converged && c.labels[0] != c.labels[5]);
/// ```
pub fn gaussian_mixture(table: &DenseTable, k: usize, seed: u32) -> Result<Clustering, Error> {
    use cellmap_core::cluster as kc;
    let init = kmeans(table, k, seed)?;
    let (n, d) = (table.n_cells, table.n_features);
    let mut weights = filled(k, 0.0, "mixture weights")?;
    let mut means = filled(k.saturating_mul(d), 0.0, "mixture means")?;
    let mut variances = filled(k.saturating_mul(d), 0.0, "mixture variances")?;
    let params = kc::GmmParams::default();
    let model = kc::DiagGmm { weights: &mut weights, means: &mut means, variances: &mut variances };
    kc::gmm_diag_init_from_labels(&table.values, n, d, k, &init.labels, params.reg_covar, model)
        .map_err(|e| Error::core("gaussian mixture", e))?;
    let mut labels = init.labels;
    let mut scratch = filled(kc::gmm_diag_fit_scratch_len(n, d, k), 0.0, "mixture responsibilities")?;
    let model = kc::DiagGmm { weights: &mut weights, means: &mut means, variances: &mut variances };
    let fit = kc::gmm_diag_fit(&table.values, n, d, k, params, model, &mut labels, &mut scratch)
        .map_err(|e| Error::core("gaussian mixture", e))?;
    Ok(Clustering {
        labels,
        iterations: fit.iterations,
        converged: fit.converged,
        objective: fit.lower_bound,
    })
}

/// Adjusted Rand index and normalised mutual information of `predicted`
/// against `truth` (any labels with an order: they are coded in sorted
/// order, as `np.unique`), exactly as sklearn's `adjusted_rand_score` and
/// `normalized_mutual_info_score`.
///
/// # Errors
///
/// An input error when the labellings differ in length; out of memory.
///
/// ```
/// let (ari, nmi) = cellmap::agreement(&["a", "a", "b", "b"], &[1, 1, 0, 0]).unwrap();
/// assert_eq!((ari, nmi), (1.0, 1.0));
/// ```
pub fn agreement<T: Ord, U: Ord>(truth: &[T], predicted: &[U]) -> Result<(f64, f64), Error> {
    use cellmap_core::cluster as kc;
    if truth.len() != predicted.len() {
        return Err(Error::input(format!("{} truth labels for {} cells", truth.len(), predicted.len())));
    }
    let (a, na) = codes(truth)?;
    let (b, nb) = codes(predicted)?;
    let need = kc::NormalizedMutualInfoScratch::new(na, nb);
    let mut table =
        filled(need.table.max(kc::adjusted_rand_index_scratch_len(na, nb)), 0u64, "the contingency table")?;
    let mut terms = filled(need.terms, 0.0, "the contingency table")?;
    let ari = kc::adjusted_rand_index(&a, &b, na, nb, &mut table)
        .map_err(|e| Error::core("adjusted Rand index", e))?;
    let nmi = kc::normalized_mutual_info(&a, &b, na, nb, &mut table, &mut terms)
        .map_err(|e| Error::core("normalised mutual information", e))?;
    Ok((ari, nmi))
}

/// Dense codes `0..m` of `labels` in sorted label order, and `m`.
fn codes<T: Ord>(labels: &[T]) -> Result<(Vec<u32>, usize), Error> {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| labels[a].cmp(&labels[b]));
    let mut out = filled(labels.len(), 0u32, "label codes")?;
    let mut code = 0u32;
    for (i, w) in order.iter().enumerate() {
        if i > 0 && labels[order[i - 1]] != labels[*w] {
            code = code.checked_add(1).ok_or_else(|| Error::input("more than 2^32 distinct labels"))?;
        }
        out[*w] = code;
    }
    let m = if labels.is_empty() { 0 } else { code as usize + 1 };
    Ok((out, m))
}
