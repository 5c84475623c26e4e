use cellmap_core::linalg::{pairwise_sum, symmetric_eigen};
use cellmap_core::loess::{LoessScratch, loess_fit};
use cellmap_core::preprocess::{
    HvgSeuratV3, HvgSeuratV3Scratch, gene_mean_var, hvg_seurat_v3, log1p, normalize_total, pca,
    pca_scratch_len,
};

/// The 8×8 mask as an 8-cell × 8-gene count table (value + row + column):
/// preprocessing, loess, eigen-decomposition.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let mut counts = [0f64; 64];
    for (p, (c, &m)) in counts.iter_mut().zip(mask).enumerate() {
        *c = f64::from(m) + ((p * 7) % 5) as f64 + (p / 8) as f64;
    }
    let mut ok = 0u32;
    let (mut means, mut vars, mut norm, mut rank) = ([0f64; 8], [0f64; 8], [0f64; 8], [0u32; 8]);
    let mut f = [0f64; HvgSeuratV3Scratch::new(8).scratch];
    let mut u = [0u32; HvgSeuratV3Scratch::new(8).index];
    let out =
        HvgSeuratV3 { means: &mut means, variances: &mut vars, variances_norm: &mut norm, rank: &mut rank };
    ok += u32::from(hvg_seurat_v3(&counts, 8, 8, 0.9, out, &mut f, &mut u).is_ok());
    ok += u32::from(gene_mean_var(&counts, 8, 8, &mut means, &mut vars).is_ok());
    let mut fit = [0f64; 8];
    let mut lf = [0f64; LoessScratch::new(8).scratch];
    let mut lu = [0u32; LoessScratch::new(8).index];
    ok += u32::from(loess_fit(&means, &vars, 1.0, &mut fit, &mut lf, &mut lu).is_ok());
    let mut x = counts;
    ok += u32::from(normalize_total(&mut x, 8, 8, 1e4).is_ok());
    log1p(&mut x);
    let (mut scores, mut comps, mut var) = ([0f64; 16], [0f64; 16], [0f64; 2]);
    let mut ps = [0f64; pca_scratch_len(8)];
    ok += u32::from(pca(&x, 8, 8, 2, &mut scores, &mut comps, &mut var, &mut ps).is_ok());
    let mut a = [2.0, 1.0, 1.0, 2.0];
    let mut values = [0f64; 2];
    ok += u32::from(symmetric_eigen(&mut a, 2, &mut values, &mut [0.0; 2]).is_ok());
    ok + (pairwise_sum(&x) + fit[0] + scores[0] + norm[0]) as u32
}

/// k-means++, Lloyd, the diagonal Gaussian mixture and the agreement scores
/// on the mask's 64 pixels as 1-D points.
pub(crate) fn check_clustering(mask: &[u8; 64]) -> u32 {
    use cellmap_core::cluster::{
        DiagGmm, GmmParams, adjusted_rand_index, gmm_diag_fit, gmm_diag_init_from_labels, kmeans_lloyd,
        kmeans_plus_plus, normalized_mutual_info,
    };
    let mut x = [0f64; 64];
    for (p, (v, &m)) in x.iter_mut().zip(mask).enumerate() {
        *v = f64::from(m) * 10.0 + (p % 3) as f64;
    }
    let mut centres = [0f64; 2];
    let mut scratch = [0f64; 160];
    let mut ok = u32::from(kmeans_plus_plus(&x, 64, 1, 2, 1, &mut centres, &mut scratch).is_ok());
    let (mut labels, mut previous) = ([0u32; 64], [0u32; 64]);
    ok += u32::from(
        kmeans_lloyd(&x, 64, 1, 2, 300, 1e-4, &mut centres, &mut labels, &mut previous, &mut scratch).is_ok(),
    );
    let (mut w, mut m, mut v) = ([0f64; 2], [0f64; 2], [0f64; 2]);
    let model = DiagGmm { weights: &mut w, means: &mut m, variances: &mut v };
    ok += u32::from(gmm_diag_init_from_labels(&x, 64, 1, 2, &labels, 1e-6, model).is_ok());
    let model = DiagGmm { weights: &mut w, means: &mut m, variances: &mut v };
    ok += u32::from(
        gmm_diag_fit(&x, 64, 1, 2, GmmParams::default(), model, &mut previous, &mut scratch).is_ok(),
    );
    let mut table = [0u64; 8];
    let mut terms = [0f64; 8];
    let ari = adjusted_rand_index(&labels, &previous, 2, 2, &mut table).unwrap_or(0.0);
    let nmi = normalized_mutual_info(&labels, &previous, 2, 2, &mut table, &mut terms).unwrap_or(0.0);
    ok + ((ari + nmi) * 100.0) as u32 + centres[0] as u32
}
