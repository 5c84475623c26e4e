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
    let (nf, nu) = kernels::hvg_seurat_v3_scratch_len(g);
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

/// Exact PCA of `table` to `n_comps` components (see
/// [`cellmap_core::preprocess::pca`]: covariance eigen-decomposition,
/// sklearn's sign convention).
///
/// # Errors
///
/// Argument errors for `n_comps` out of `1..=min(cells, genes)`; input
/// errors for non-finite values; out of memory.
///
/// ```
/// let t = cellmap::DenseTable::new(3, 2, vec![0.0, 0.0, 1.0, 2.0, 2.0, 4.0]).unwrap();
/// let p = cellmap::pca(&t, 1).unwrap();
/// assert!((p.explained_variance[0] - 5.0).abs() < 1e-12);
/// ```
pub fn pca(table: &DenseTable, n_comps: usize) -> Result<Pca, Error> {
    let (n, g) = (table.n_cells, table.n_features);
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
