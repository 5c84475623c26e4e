//! The expression matrix of a tile, stored gene-major once so that
//! switching the shown gene touches only that gene's entries.

use cellmap_core::sparse::{self, Csr, GeneMajor, SparseIndex, SparseValue};
use cellmap_core::stats::{CellStats, Options};
use cellmap_core::{Error, Grid};

use crate::text::filled;

/// Gene-major (CSC) expression in the input's precision, as
/// [`sparse::csr_to_gene_major`] lays it out: for gene `g`, entries
/// `gene_ptr[g]..gene_ptr[g + 1]` of `pixels` (ascending) and `values`.
#[derive(Debug)]
pub(crate) struct Expression {
    n_pixels: usize,
    gene_ptr: Vec<usize>,
    pixels: Vec<u32>,
    values: Values,
    names: Vec<String>,
}

/// Stored values: `float32` or `float64`, as in the file.
#[derive(Debug)]
pub(crate) enum Values {
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// A value type the expression can hold.
pub(crate) trait Value: SparseValue + Default {
    fn wrap(values: Vec<Self>) -> Values;
}

impl Value for f32 {
    fn wrap(values: Vec<Self>) -> Values {
        Values::F32(values)
    }
}

impl Value for f64 {
    fn wrap(values: Vec<Self>) -> Values {
        Values::F64(values)
    }
}

impl Expression {
    /// Converts a pixel-major CSR matrix (one row per pixel) to gene-major.
    pub(crate) fn from_csr<I: SparseIndex, V: Value>(x: &Csr<'_, I, V>) -> Result<Self, String> {
        let mut gene_ptr = filled(sparse::gene_ptr_len(x.cols()), 0usize, "the gene offsets")?;
        let mut pixels = filled(x.nnz(), 0u32, "the gene-major pixel indices")?;
        let mut values = filled(x.nnz(), V::default(), "the gene-major values")?;
        sparse::csr_to_gene_major(x, &mut gene_ptr, &mut pixels, &mut values).map_err(|e| e.to_string())?;
        Ok(Expression {
            n_pixels: x.rows(),
            gene_ptr,
            pixels,
            values: V::wrap(values),
            names: default_names(x.cols()),
        })
    }

    /// A dense pixel-major image with `genes` values per pixel (`(H, W)`
    /// or `(H, W, G)` in C order); zeros are not stored.
    pub(crate) fn from_dense<V: Value + PartialEq>(genes: usize, data: &[V]) -> Result<Self, String> {
        let zero = V::default();
        let rows = data.chunks_exact(genes.max(1));
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let (mut indices, mut stored) = (Vec::new(), Vec::new());
        indptr.push(0usize);
        for row in rows {
            for (g, &v) in row.iter().enumerate() {
                if v != zero {
                    indices.push(g);
                    stored.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Expression::from_csr(&Csr::new(genes, &indptr, &indices, &stored).map_err(|e| e.to_string())?)
    }

    /// Appends a gene column from a dense per-pixel image (`n_pixels`
    /// values, row-major; zeros are not stored) called `name`.
    pub(crate) fn push_gene(&mut self, name: String, image: &[f32]) -> Result<(), String> {
        if image.len() != self.n_pixels {
            return Err(format!("a gene image needs {} values, got {}", self.n_pixels, image.len()));
        }
        let nonzero = image.iter().enumerate().filter(|&(_, &v)| v != 0.0);
        for (pixel, &v) in nonzero {
            self.pixels.push(u32::try_from(pixel).map_err(|_| "too many pixels for a gene image")?);
            match &mut self.values {
                Values::F32(values) => values.push(v),
                Values::F64(values) => values.push(f64::from(v)),
            }
        }
        self.gene_ptr.push(self.pixels.len());
        self.names.push(name);
        Ok(())
    }

    pub(crate) fn gene_count(&self) -> usize {
        self.gene_ptr.len().saturating_sub(1)
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Replaces the names; there must be one per gene.
    pub(crate) fn set_names(&mut self, names: Vec<String>) -> Result<(), String> {
        if names.len() != self.gene_count() {
            return Err(format!(
                "setGeneNames: {} names given but the expression has {} genes (one name per gene, in column order)",
                names.len(),
                self.gene_count()
            ));
        }
        self.names = names;
        Ok(())
    }

    /// Per-cell statistics of gene `gene` (`< gene_count()`), see
    /// [`sparse::gene_cell_stats`]; `scratch` needs
    /// [`sparse::gene_scratch_len(1, n_cells)`](sparse::gene_scratch_len).
    pub(crate) fn gene_stats(
        &self,
        labels: Grid<'_, u32>,
        gene: usize,
        n_cells: usize,
        options: Options,
        out: &mut [CellStats],
        scratch: &mut [usize],
    ) -> Result<(), Error> {
        match &self.values {
            Values::F32(values) => self.stats_of(values, labels, gene, n_cells, options, out, scratch),
            Values::F64(values) => self.stats_of(values, labels, gene, n_cells, options, out, scratch),
        }
    }

    /// Validating a gene-major view costs a pass over its entries, so the
    /// view covers only the gene: a slice of the buffers.
    #[allow(clippy::too_many_arguments)] // gene_stats' arguments plus the typed values
    fn stats_of<V: SparseValue>(
        &self,
        values: &[V],
        labels: Grid<'_, u32>,
        gene: usize,
        n_cells: usize,
        options: Options,
        out: &mut [CellStats],
        scratch: &mut [usize],
    ) -> Result<(), Error> {
        let entries = self.gene_ptr[gene]..self.gene_ptr[gene + 1];
        let ptr = [0, entries.len()];
        let view = GeneMajor::new(self.n_pixels, &ptr, &self.pixels[entries.clone()], &values[entries])?;
        sparse::gene_cell_stats(labels, &view, &[0], n_cells, options, out, scratch)
    }
}

fn default_names(genes: usize) -> Vec<String> {
    (0..genes).map(|g| format!("gene {g}")).collect()
}
