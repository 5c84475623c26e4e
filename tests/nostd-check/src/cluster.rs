use cellmap_core::linalg::{pairwise_sum, symmetric_eigen};
use cellmap_core::loess::{loess_fit, loess_scratch_len};
use cellmap_core::preprocess::{
    HvgSeuratV3, gene_mean_var, hvg_seurat_v3, hvg_seurat_v3_scratch_len, log1p, normalize_total, pca,
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
    let mut f = [0f64; hvg_seurat_v3_scratch_len(8).0];
    let mut u = [0u32; hvg_seurat_v3_scratch_len(8).1];
    let out =
        HvgSeuratV3 { means: &mut means, variances: &mut vars, variances_norm: &mut norm, rank: &mut rank };
    ok += u32::from(hvg_seurat_v3(&counts, 8, 8, 0.9, out, &mut f, &mut u).is_ok());
    ok += u32::from(gene_mean_var(&counts, 8, 8, &mut means, &mut vars).is_ok());
    let mut fit = [0f64; 8];
    let mut lf = [0f64; loess_scratch_len(8).0];
    let mut lu = [0u32; loess_scratch_len(8).1];
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
