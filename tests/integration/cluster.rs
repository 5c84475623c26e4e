//! Parity tests: preprocessing and clustering against scanpy / scikit-misc /
//! scikit-learn (fixtures by `tests/generators/cluster.py`).
use cellmap_core::loess::{loess_fit, loess_scratch_len};
use cellmap_core::preprocess::{
    HvgSeuratV3, gene_mean_var, hvg_seurat_v3, hvg_seurat_v3_scratch_len, log1p, normalize_total, pca,
    pca_scratch_len,
};
use cellmap_tests::npy::load;

fn assert_close(what: &str, got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= atol + rtol * w.abs(), "{what}[{i}]: {g} vs reference {w}");
    }
}

fn counts() -> (Vec<f64>, usize, usize) {
    let c = load("cluster/counts.npy");
    (c.values, c.shape[0], c.shape[1])
}

#[test]
fn normalize_total_and_log1p_match_scanpy() {
    let (mut x, n, g) = counts();
    normalize_total(&mut x, n, g, 1e4).unwrap();
    log1p(&mut x);
    // normalize_total is bit-exact; libm's log1p may differ from glibc's by one ulp.
    assert_close("log-normalised", &x, &load("cluster/log.npy").values, 4e-16, 0.0);
}

#[test]
fn mean_and_variance_are_scanpys() {
    let (x, n, g) = counts();
    let (mut m, mut v) = (vec![0.0; g], vec![0.0; g]);
    gene_mean_var(&x, n, g, &mut m, &mut v).unwrap();
    assert_eq!(m, load("cluster/hvg_means.npy").values);
    assert_eq!(v, load("cluster/hvg_variances.npy").values);
}

fn fit(x: &[f64], y: &[f64], span: f64) -> Vec<f64> {
    let (nf, nu) = loess_scratch_len(x.len());
    let mut out = vec![0.0; x.len()];
    loess_fit(x, y, span, &mut out, &mut vec![0.0; nf], &mut vec![0; nu]).unwrap();
    out
}

#[test]
fn loess_matches_skmisc() {
    let x = load("cluster/loess_x.npy").values;
    let y = load("cluster/loess_y.npy").values;
    assert_close("loess span 0.3", &fit(&x, &y, 0.3), &load("cluster/loess_fit.npy").values, 1e-12, 0.0);
    let x = load("cluster/loess_small_x.npy").values;
    let y = load("cluster/loess_small_y.npy").values;
    assert_close(
        "loess span 0.5, ties",
        &fit(&x, &y, 0.5),
        &load("cluster/loess_small_fit.npy").values,
        1e-12,
        0.0,
    );
}

#[test]
fn seurat_v3_hvg_matches_scanpy() {
    let (x, n, g) = counts();
    let (mut m, mut v, mut vn, mut rank) = (vec![0.0; g], vec![0.0; g], vec![0.0; g], vec![0u32; g]);
    let (nf, nu) = hvg_seurat_v3_scratch_len(g);
    let out = HvgSeuratV3 { means: &mut m, variances: &mut v, variances_norm: &mut vn, rank: &mut rank };
    hvg_seurat_v3(&x, n, g, 0.3, out, &mut vec![0.0; nf], &mut vec![0; nu]).unwrap();
    assert_close("variances_norm", &vn, &load("cluster/hvg_variances_norm.npy").values, 1e-12, 0.0);
    let want = load("cluster/hvg_highly_variable.npy").values;
    let top = want.iter().filter(|&&h| h != 0.0).count() as u32;
    for (i, (r, w)) in rank.iter().zip(&want).enumerate() {
        assert_eq!(*r < top, *w != 0.0, "highly_variable[{i}] (rank {r}, norm var {})", vn[i]);
    }
}

#[test]
fn pca_matches_sklearn_and_scanpy() {
    let (mut x, n, g) = counts();
    normalize_total(&mut x, n, g, 1e4).unwrap();
    log1p(&mut x);
    let hv = load("cluster/hvg_highly_variable.npy").values;
    let keep: Vec<usize> = (0..g).filter(|&j| hv[j] != 0.0).collect();
    let k = keep.len();
    let table: Vec<f64> =
        (0..n).flat_map(|i| keep.iter().map(|&j| x[i * g + j]).collect::<Vec<_>>()).collect();
    let want_var = load("cluster/pca_explained_variance.npy").values;
    let pcs = want_var.len();
    let (mut scores, mut comp, mut var) = (vec![0.0; n * pcs], vec![0.0; pcs * k], vec![0.0; pcs]);
    pca(&table, n, k, pcs, &mut scores, &mut comp, &mut var, &mut vec![0.0; pca_scratch_len(k)]).unwrap();
    assert_close("explained variance", &var, &want_var, 1e-10, 0.0);
    assert_close("components", &comp, &load("cluster/pca_components.npy").values, 0.0, 1e-8);
    let scale = scores.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    assert_close("scores", &scores, &load("cluster/pca_scores.npy").values, 0.0, 1e-9 * scale);
    // scanpy: ARPACK, then cast to float32.
    assert_close("scanpy X_pca", &scores, &load("cluster/pca_scanpy_scores.npy").values, 0.0, 1e-5 * scale);
}
