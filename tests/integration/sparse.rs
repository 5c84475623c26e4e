//! Parity tests: CSR per-cell × gene statistics and the gene-major path
//! against scipy's `toarray()` + numpy (fixtures by
//! `tests/generators/sparse.py`).
use cellmap_core::Grid;
use cellmap_core::sparse::{
    Csr, CsrCellStatsScratch, SparseIndex, SparseValue, csr_cell_means, csr_cell_stats, csr_to_gene_major,
    gene_cell_stats, gene_cell_stats_scratch_len,
};
use cellmap_core::stats::{CellStats, Options};
use cellmap_tests::npy::{FromF64, load};

use crate::stats::assert_matches;

fn check<I: SparseIndex + FromF64, V: SparseValue + FromF64 + Default>(name: &str) {
    let labels = load("sparse/labels.npy");
    let (h, w) = (labels.shape[0], labels.shape[1]);
    let labels: Vec<i32> = labels.to();
    let unfilled: Vec<bool> = load("sparse/unfilled.npy").to();
    let indptr: Vec<I> = load(&format!("sparse/{name}_indptr.npy")).to();
    let indices: Vec<I> = load(&format!("sparse/{name}_indices.npy")).to();
    let data: Vec<V> = load(&format!("sparse/{name}_data.npy")).to();
    let genes = load(&format!("sparse/{name}_default_count.npy")).shape[1];
    let n = load(&format!("sparse/{name}_default_count.npy")).shape[0] - 1;

    let lg = Grid::new(w, h, &labels[..]).unwrap();
    let mg = Grid::new(w, h, &unfilled[..]).unwrap();
    let x = Csr::new(genes, &indptr, &indices, &data).unwrap();
    let mut out = vec![CellStats::EMPTY; (n + 1) * genes];
    let scratch = CsrCellStatsScratch::new(w * h, n, genes);
    let (mut row_sums, mut order) = (vec![0.0; scratch.row_sums], vec![0u32; scratch.order]);
    csr_cell_stats(lg, &x, n, Options::new(), &mut out, &mut row_sums, &mut order).unwrap();
    assert_matches(name, &out, &format!("sparse/{name}_default"));
    let default = out.clone();
    csr_cell_stats(lg, &x, n, Options::new().keep_zeros(), &mut out, &mut row_sums, &mut order).unwrap();
    assert_matches(name, &out, &format!("sparse/{name}_keep"));
    csr_cell_stats(lg, &x, n, Options::new().within(mg), &mut out, &mut row_sums, &mut order).unwrap();
    assert_matches(name, &out, &format!("sparse/{name}_within"));

    let (mut counts, mut means) = (vec![0u32; out.len()], vec![0.0; out.len()]);
    csr_cell_means(lg, &x, n, Options::new(), &mut counts, &mut means, &mut row_sums, &mut order).unwrap();
    for (i, s) in default.iter().enumerate() {
        assert_eq!((u64::from(counts[i]), means[i].to_bits()), (s.count(), s.mean().to_bits()), "{name} {i}");
    }

    let (mut ptr, mut pix, mut val) = (vec![0; genes + 1], vec![0u32; x.nnz()], vec![V::default(); x.nnz()]);
    let gm = csr_to_gene_major(&x, &mut ptr, &mut pix, &mut val).unwrap();
    let mut per_cell = vec![CellStats::EMPTY; n + 1];
    let mut gscratch = vec![0usize; gene_cell_stats_scratch_len(n)];
    for g in 0..genes {
        gene_cell_stats(lg, &gm, g, n, Options::new(), &mut per_cell, &mut gscratch).unwrap();
        for c in 0..=n {
            assert_eq!(per_cell[c], default[c * genes + g], "{name}: gene {g} cell {c} from gene-major");
        }
    }
    // The generator's `{name}_genesum` fixtures (statistics of a per-pixel sum of genes) are
    // no longer a core kernel: the pipeline sums per-cell layers instead (`cellmap::add_layer`).
}

#[test]
fn int32_indices_f32_data_match_scipy_toarray() {
    check::<i32, f32>("a");
}

#[test]
fn int64_indices_f64_data_match_scipy_toarray() {
    check::<i64, f64>("b");
}

#[test]
fn fixtures_hold_duplicates_unsorted_rows_zeros_and_nan() {
    for name in ["a", "b"] {
        let indptr = load(&format!("sparse/{name}_indptr.npy")).values;
        let indices = load(&format!("sparse/{name}_indices.npy")).values;
        let data = load(&format!("sparse/{name}_data.npy")).values;
        let rows: Vec<&[f64]> = indptr.windows(2).map(|p| &indices[p[0] as usize..p[1] as usize]).collect();
        assert!(rows.iter().any(|r| r.windows(2).any(|p| p[0] > p[1])), "{name}: unsorted row");
        assert!(rows.iter().any(|r| (1..r.len()).any(|i| r[..i].contains(&r[i]))), "{name}: duplicate");
        assert!(data.contains(&0.0) && data.iter().any(|v| v.is_nan()), "{name}: explicit zero and NaN");
    }
}

#[test]
fn mismatched_rows_and_bad_indices_are_rejected() {
    let labels = [0i32; 6];
    let lg = Grid::new(3, 2, &labels[..]).unwrap();
    let five_rows = Csr::new(2, &[0i64, 0, 0, 0, 0, 0], &[], &[] as &[f32]).unwrap();
    let err = csr_cell_stats(
        lg,
        &five_rows,
        0,
        Options::new(),
        &mut [CellStats::EMPTY; 2],
        &mut [0.0; 2],
        &mut [0; 8],
    );
    assert!(matches!(err, Err(cellmap_core::Error::InvalidSparse(_))), "{err:?}");
    assert_eq!(
        Csr::new(2, &[0i32, 1], &[2], &[1.0f32]).unwrap_err(),
        cellmap_core::Error::InvalidSparse("column index out of range 0..n_cols")
    );
}
