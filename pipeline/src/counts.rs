//! Counts per cell and gene as a sparse (CSR) table, built straight from
//! the assignment: never the dense `cells × genes` table.

use crate::memory::{budget, filled};
use crate::{Assignment, Error, grouped};

/// A `cells × genes` count table in CSR form (scipy's `csr_matrix` layout):
/// row `k − 1` = cell `k`; its genes are `indices[indptr[k−1]..indptr[k]]`
/// (sorted, each once) with their counts in `data` (never 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparseCounts {
    /// Number of rows (cells `1..=n_cells`).
    pub n_cells: usize,
    /// Number of columns (genes).
    pub n_genes: usize,
    /// `n_cells + 1` row pointers.
    pub indptr: Vec<i64>,
    /// Gene (column) of each stored count, sorted within a row.
    pub indices: Vec<i32>,
    /// The counts (`> 0`).
    pub data: Vec<i64>,
}

impl SparseCounts {
    /// Number of stored (nonzero) counts.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// The dense table, row-major (for tests and small tables).
    pub fn to_dense(&self) -> Vec<i64> {
        let mut dense = vec![0i64; self.n_cells * self.n_genes];
        for row in 0..self.n_cells {
            for k in self.indptr[row] as usize..self.indptr[row + 1] as usize {
                dense[row * self.n_genes + self.indices[k] as usize] = self.data[k];
            }
        }
        dense
    }
}

/// Counts per cell and gene as a [`SparseCounts`] (`genes[i]` is transcript
/// `i`'s gene index, `< n_genes`; transcripts on background or outside the
/// image are not counted). Memory: 4 bytes per transcript in a cell, 8 per
/// cell and 12 per nonzero count, each checked against the memory budget.
///
/// ```
/// use cellmap::{AssignSummary, Assignment, count_transcripts_sparse};
/// let assignment = Assignment { cell_ids: vec![2, 1, 2, 0, 2], summary: AssignSummary::default() };
/// let counts = count_transcripts_sparse(&assignment, &[1, 0, 1, 0, 0], 3, 2)?;
/// assert_eq!((counts.indptr, counts.indices, counts.data), (vec![0, 1, 3, 3], vec![0, 0, 1], vec![1, 1, 2]));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn count_transcripts_sparse(
    assignment: &Assignment,
    genes: &[u32],
    n_cells: usize,
    n_genes: usize,
) -> Result<SparseCounts, Error> {
    let cell_ids = &assignment.cell_ids;
    if cell_ids.len() != genes.len() {
        return Err(Error::input(format!(
            "{} transcript cells but {} transcript genes",
            grouped(cell_ids.len()),
            grouped(genes.len())
        )));
    }
    if n_genes > i32::MAX as usize {
        return Err(Error::input(format!("{} genes are more than a CSR's int32 columns", grouped(n_genes))));
    }
    // Transcripts per cell, then their start in the bucketed gene list.
    let mut start = filled(n_cells + 2, 0usize, "the per-cell transcript counts")?;
    for (i, (&cell, &gene)) in cell_ids.iter().zip(genes).enumerate() {
        if gene as usize >= n_genes {
            return Err(Error::input(format!(
                "transcript {i} has gene index {gene}, but there are {n_genes} genes"
            )));
        }
        if (1..=n_cells).contains(&(cell as usize)) {
            start[cell as usize + 1] += 1;
        }
    }
    for c in 1..start.len() {
        start[c] += start[c - 1];
    }
    let in_cells = start[n_cells + 1];
    let mut bucket = filled(in_cells, 0u32, "the transcript genes by cell")?;
    let mut next = filled(start.len(), 0usize, "the per-cell write positions")?;
    next.copy_from_slice(&start);
    for (&cell, &gene) in cell_ids.iter().zip(genes) {
        if (1..=n_cells).contains(&(cell as usize)) {
            bucket[next[cell as usize]] = gene;
            next[cell as usize] += 1;
        }
    }
    drop(next);
    // Sort each cell's genes; count the distinct ones.
    let mut nnz = 0usize;
    for c in 1..=n_cells {
        let row = &mut bucket[start[c]..start[c + 1]];
        row.sort_unstable();
        nnz += row.iter().enumerate().filter(|&(k, g)| k == 0 || row[k - 1] != *g).count();
    }
    budget(|| format!("the sparse counts ({} nonzero)", grouped(nnz)), nnz as u128, 12)?;
    let mut indptr = filled(n_cells + 1, 0i64, "the counts' row pointers")?;
    let mut indices = Vec::new();
    let mut data = Vec::new();
    indices.try_reserve_exact(nnz).map_err(|_| Error::out_of_memory("not enough memory for the counts"))?;
    data.try_reserve_exact(nnz).map_err(|_| Error::out_of_memory("not enough memory for the counts"))?;
    for c in 1..=n_cells {
        for &gene in &bucket[start[c]..start[c + 1]] {
            if indices.len() as i64 > indptr[c - 1] && indices.last() == Some(&(gene as i32)) {
                *data.last_mut().expect("a count per index") += 1;
            } else {
                indices.push(gene as i32);
                data.push(1);
            }
        }
        indptr[c] = indices.len() as i64;
    }
    Ok(SparseCounts { n_cells, n_genes, indptr, indices, data })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AssignSummary, CellTable, Stat, TableValues, count_transcripts};

    #[test]
    fn sparse_counts_equal_the_dense_table() {
        let mut state = 12345u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for (cells, genes) in [(0, 3), (1, 1), (7, 5), (40, 13)] {
            let n = 500;
            let cell_ids: Vec<u32> = (0..n)
                .map(|_| match next(10) {
                    0 => crate::OUT_OF_IMAGE,
                    _ => next(cells as u64 + 1) as u32,
                })
                .collect();
            let gene: Vec<u32> = (0..n).map(|_| next(genes as u64) as u32).collect();
            let assignment = Assignment { cell_ids, summary: AssignSummary::default() };
            let sparse = count_transcripts_sparse(&assignment, &gene, cells, genes).unwrap();
            let dense = count_transcripts(&assignment, &gene, cells, genes).unwrap();
            assert_eq!(sparse.to_dense(), dense.iter().map(|&c| i64::from(c)).collect::<Vec<_>>());
            assert!(sparse.data.iter().all(|&c| c > 0));
            for row in 0..cells {
                let cols = &sparse.indices[sparse.indptr[row] as usize..sparse.indptr[row + 1] as usize];
                assert!(cols.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }

    #[test]
    fn the_count_table_of_sparse_counts_is_the_dense_count_table() {
        let cell_ids = vec![2, 1, 2, 0, 2, crate::OUT_OF_IMAGE, 4, 4];
        let genes = [1, 0, 1, 0, 2, 1, 2, 2];
        let assignment = Assignment { cell_ids, summary: AssignSummary::default() };
        let sparse = count_transcripts_sparse(&assignment, &genes, 4, 3).unwrap();
        let dense = count_transcripts(&assignment, &genes, 4, 3).unwrap();
        let sum = CellTable::from_counts(&sparse, Stat::Sum).unwrap();
        let count = CellTable::from_counts(&sparse, Stat::Count).unwrap();
        assert_eq!(sum.values(), &TableValues::F64(dense.iter().map(|&c| f64::from(c)).collect()));
        assert_eq!(count.values(), &TableValues::I64(dense.iter().map(|&c| i64::from(c)).collect()));
        assert_eq!((sum.n_cells(), sum.n_genes(), count.stat()), (4, 3, Stat::Count));
        assert_eq!(sum.values_by_label(2)[1..], [0.0, 1.0, 0.0, 2.0]);
        for stat in [Stat::Mean, Stat::Min, Stat::Max] {
            let e = CellTable::from_counts(&sparse, stat).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::Argument);
            assert!(e.to_string().starts_with(&format!("{} of transcript counts", stat.name())), "{e}");
        }
    }

    #[test]
    fn inconsistent_sparse_counts_are_an_error_not_a_panic() {
        let good = SparseCounts {
            n_cells: 2,
            n_genes: 2,
            indptr: vec![0, 1, 2],
            indices: vec![1, 0],
            data: vec![3, 1],
        };
        assert!(CellTable::from_counts(&good, Stat::Sum).is_ok());
        let bad = [
            SparseCounts { indptr: vec![0, 1], ..good.clone() },
            SparseCounts { indptr: vec![0, 2, 1], ..good.clone() },
            SparseCounts { indptr: vec![1, 1, 2], ..good.clone() },
            SparseCounts { indptr: vec![0, 1, 3], ..good.clone() },
            SparseCounts { indices: vec![1, 2], ..good.clone() },
            SparseCounts { indices: vec![1, -1], ..good.clone() },
            SparseCounts { data: vec![3], ..good.clone() },
            SparseCounts { n_cells: usize::MAX, indptr: vec![0; 1], ..good.clone() },
        ];
        for counts in bad {
            let e = CellTable::from_counts(&counts, Stat::Sum).unwrap_err();
            assert!(e.to_string().contains("do not agree"), "{counts:?}: {e}");
        }
    }

    #[test]
    fn a_table_too_large_to_be_dense_is_counted_sparse() {
        // 4,096 cells × 2,000,000 genes: 32.8 GB dense (refused by count_transcripts), a few bytes sparse.
        let assignment = Assignment { cell_ids: vec![4096, 1, 4096], summary: AssignSummary::default() };
        let counts =
            count_transcripts_sparse(&assignment, &[1_999_999, 7, 1_999_999], 4096, 2_000_000).unwrap();
        assert_eq!((counts.indices, counts.data), (vec![7, 1_999_999], vec![1, 2]));
        assert_eq!(
            (counts.indptr[0], counts.indptr[1], counts.indptr[4095], counts.indptr[4096]),
            (0, 1, 1, 2)
        );
    }

    #[test]
    fn a_gene_index_out_of_range_is_an_error() {
        let assignment = Assignment { cell_ids: vec![1], summary: AssignSummary::default() };
        let e = count_transcripts_sparse(&assignment, &[2], 1, 2).unwrap_err();
        assert_eq!(e.to_string(), "transcript 0 has gene index 2, but there are 2 genes");
    }
}
