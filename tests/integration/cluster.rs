//! Parity tests: preprocessing and clustering against scanpy / scikit-misc /
//! scikit-learn (fixtures by `tests/generators/cluster.py`).
use cellmap_core::cluster::{
    DiagGmm, GmmParams, KMeansLloydScratch, NormalizedMutualInfoScratch, adjusted_rand_index,
    adjusted_rand_index_scratch_len, gmm_diag_fit, gmm_diag_fit_scratch_len, gmm_diag_init_from_labels,
    kmeans_lloyd, normalized_mutual_info,
};
use cellmap_core::loess::{LoessScratch, loess_fit};
use cellmap_core::preprocess::{
    HvgSeuratV3, HvgSeuratV3Scratch, gene_mean_var, hvg_seurat_v3, log1p, normalize_total, pca,
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
    let LoessScratch { scratch: nf, index: nu } = LoessScratch::new(x.len());
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
    let HvgSeuratV3Scratch { scratch: nf, index: nu } = HvgSeuratV3Scratch::new(g);
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

fn u32s(rel: &str) -> Vec<u32> {
    load(rel).values.iter().map(|&v| v as u32).collect()
}

fn kmeans_case(name: &str) {
    let x = load(&format!("cluster/kmeans_{name}_x.npy"));
    let (n, d) = (x.shape[0], x.shape[1]);
    let mut centres = load(&format!("cluster/kmeans_{name}_init.npy")).values;
    let k = centres.len() / d;
    let stats = load(&format!("cluster/kmeans_{name}_stats.npy")).values;
    let need = KMeansLloydScratch::new(n, d, k);
    let (mut labels, mut previous) = (vec![0u32; n], vec![0u32; need.previous]);
    let mut scratch = vec![0.0; need.scratch];
    let fit = kmeans_lloyd(
        &x.values,
        n,
        d,
        k,
        stats[2] as usize,
        1e-4,
        &mut centres,
        &mut labels,
        &mut previous,
        &mut scratch,
    )
    .unwrap();
    assert_eq!(labels, u32s(&format!("cluster/kmeans_{name}_labels.npy")), "{name}: labels");
    assert_eq!(fit.iterations, stats[1] as usize, "{name}: n_iter_");
    assert_close(
        &format!("{name}: centres"),
        &centres,
        &load(&format!("cluster/kmeans_{name}_centres.npy")).values,
        1e-12,
        1e-12,
    );
    assert_close(&format!("{name}: inertia"), &[fit.inertia], &stats[..1], 1e-12, 0.0);
}

#[test]
fn kmeans_matches_sklearn_from_the_same_centres() {
    kmeans_case("pca");
    kmeans_case("blobs_empty");
    kmeans_case("blobs_short");
}

fn gmm_check(
    name: &str,
    x: &[f64],
    n: usize,
    d: usize,
    k: usize,
    (w, m, v): (&mut [f64], &mut [f64], &mut [f64]),
    params: GmmParams,
) {
    let mut labels = vec![0u32; n];
    let mut scratch = vec![0.0; gmm_diag_fit_scratch_len(n, d, k)];
    let model = DiagGmm { weights: &mut *w, means: &mut *m, variances: &mut *v };
    let fit = gmm_diag_fit(x, n, d, k, params, model, &mut labels, &mut scratch).unwrap();
    let stats = load(&format!("cluster/gmm_{name}_stats.npy")).values;
    assert_close(&format!("{name}: lower bound"), &[fit.lower_bound], &stats[..1], 1e-10, 0.0);
    assert_eq!(
        (fit.iterations, fit.converged),
        (stats[1] as usize, stats[2] != 0.0),
        "{name}: n_iter_, converged_"
    );
    assert_eq!(labels, u32s(&format!("cluster/gmm_{name}_labels.npy")), "{name}: labels");
    assert_close(
        &format!("{name}: weights"),
        w,
        &load(&format!("cluster/gmm_{name}_weights.npy")).values,
        1e-9,
        1e-12,
    );
    assert_close(
        &format!("{name}: means"),
        m,
        &load(&format!("cluster/gmm_{name}_means.npy")).values,
        1e-9,
        1e-12,
    );
    assert_close(
        &format!("{name}: variances"),
        v,
        &load(&format!("cluster/gmm_{name}_covariances.npy")).values,
        1e-9,
        1e-12,
    );
}

#[test]
fn gaussian_mixture_matches_sklearn() {
    // sklearn's default path: responsibilities from k-means labels (the labels its KMeans gave).
    let x = load("cluster/gmm_pca_x.npy");
    let (n, d) = (x.shape[0], x.shape[1]);
    let init = u32s("cluster/gmm_pca_init_labels.npy");
    let k = 4;
    let (mut w, mut m, mut v) = (vec![0.0; k], vec![0.0; k * d], vec![0.0; k * d]);
    let model = DiagGmm { weights: &mut w, means: &mut m, variances: &mut v };
    gmm_diag_init_from_labels(&x.values, n, d, k, &init, 1e-6, model).unwrap();
    gmm_check("pca", &x.values, n, d, k, (&mut w, &mut m, &mut v), GmmParams::default());

    // Explicit weights / means / precisions.
    let x = load("cluster/gmm_blobs_x.npy");
    let (n, d) = (x.shape[0], x.shape[1]);
    let mut w = load("cluster/gmm_blobs_init_weights.npy").values;
    let mut m = load("cluster/gmm_blobs_init_means.npy").values;
    let mut v: Vec<f64> =
        load("cluster/gmm_blobs_init_precisions.npy").values.iter().map(|p| 1.0 / p).collect();
    let params = GmmParams { tol: 1e-6, max_iter: 500, ..GmmParams::default() };
    gmm_check("blobs", &x.values, n, d, 4, (&mut w, &mut m, &mut v), params);
}

#[test]
fn ari_and_nmi_match_sklearn() {
    let want = load("cluster/metrics_scores.npy").values;
    let score = |a: &[u32], b: &[u32]| {
        let (na, nb) = (*a.iter().max().unwrap() as usize + 1, *b.iter().max().unwrap() as usize + 1);
        let mut s = vec![0u64; adjusted_rand_index_scratch_len(na, nb)];
        let mut t = vec![0.0; NormalizedMutualInfoScratch::new(na, nb).terms];
        (
            adjusted_rand_index(a, b, na, nb, &mut s).unwrap(),
            normalized_mutual_info(a, b, na, nb, &mut s, &mut t).unwrap(),
        )
    };
    let (ari, nmi) = score(&u32s("cluster/metrics_groups.npy"), &u32s("cluster/metrics_gmm_labels.npy"));
    assert_eq!((ari, nmi), (want[0], want[1]));
    let (ari, nmi) = score(&u32s("cluster/metrics_big_a.npy"), &u32s("cluster/metrics_big_b.npy"));
    assert_eq!(ari, want[2], "ARI of the 50,000-element labellings");
    assert_eq!(nmi, want[3], "NMI of the 50,000-element labellings");
}

#[test]
fn pipeline_preprocess_is_the_scanpy_recipe() {
    // HVG on raw counts, normalize_total 1e4, log1p, HVG subset, PCA: the generator's steps.
    let (x, n, g) = counts();
    let steps = cellmap::Preprocess {
        normalize_total: Some(1e4),
        log1p: true,
        highly_variable: Some(80),
        pca: Some(10),
    };
    let prepared = cellmap::preprocess(cellmap::DenseTable::new(n, g, x).unwrap(), steps).unwrap();
    let hv = load("cluster/hvg_highly_variable.npy").values;
    assert_eq!(prepared.genes, (0..g).filter(|&j| hv[j] != 0.0).collect::<Vec<_>>());
    let want = load("cluster/pca_scores.npy").values;
    let scale = want.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    assert_close("pipeline scores", prepared.table.values(), &want, 0.0, 1e-9 * scale);
    let groups = u32s("cluster/groups.npy");
    let clusters = cellmap::gaussian_mixture(&prepared.table, 4, 0).unwrap();
    let (ari, nmi) = cellmap::agreement(&groups, &clusters.labels).unwrap();
    assert!(ari > 0.9 && nmi > 0.9, "4 well separated groups: ARI {ari}, NMI {nmi}");
}

#[test]
fn seeded_pipeline_clusterings_are_sklearns() {
    // KMeans(4, n_init=1, random_state=seed) and GaussianMixture(4, "diag", random_state=seed):
    // k-means++ draws from numpy's RandomState, so the whole fit is sklearn's.
    let x = load("cluster/gmm_pca_x.npy");
    let table = cellmap::DenseTable::new(x.shape[0], x.shape[1], x.values).unwrap();
    let km = cellmap::kmeans(&table, 4, 0).unwrap();
    assert_eq!(
        km.labels,
        u32s("cluster/gmm_pca_init_labels.npy"),
        "KMeans(random_state=0) on the PCA scores"
    );
    let gm = cellmap::gaussian_mixture(&table, 4, 0).unwrap();
    assert_eq!(gm.labels, u32s("cluster/gmm_pca_labels.npy"), "GaussianMixture(random_state=0)");
    assert_close("lower bound", &[gm.objective], &load("cluster/gmm_pca_stats.npy").values[..1], 1e-10, 0.0);

    let x = load("cluster/kmeans_blobs_empty_x.npy");
    let table = cellmap::DenseTable::new(x.shape[0], x.shape[1], x.values).unwrap();
    let stats = load("cluster/seeded_blobs_stats.npy").values;
    let km = cellmap::kmeans(&table, 4, 3).unwrap();
    assert_eq!(
        km.labels,
        u32s("cluster/seeded_blobs_kmeans_labels.npy"),
        "KMeans(random_state=3) on the blobs"
    );
    assert_eq!(km.iterations, stats[1] as usize);
    assert_close("inertia", &[km.objective], &stats[..1], 1e-12, 0.0);
    let gm = cellmap::gaussian_mixture(&table, 4, 3).unwrap();
    assert_eq!(
        gm.labels,
        u32s("cluster/seeded_blobs_gmm_labels.npy"),
        "GaussianMixture(random_state=3) on the blobs"
    );
    assert_eq!(gm.iterations, stats[3] as usize);
    assert_close("lower bound", &[gm.objective], &stats[2..3], 1e-10, 0.0);
}
