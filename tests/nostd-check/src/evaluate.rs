use cellmap_core::evaluate::{
    CategoryTally, category_scores, category_scores_scratch_len, finite_mean_median, gene_pearson,
    gene_pearson_scratch_len, morans_i, morans_i_scratch_len, rank_descending,
};

/// The 8×8 mask as an 8-cell × 8-gene table against its transpose; Moran's I on a ring of cells;
/// the mask's rows (as 8 categories: the row's bit pattern modulo 8) against its columns' for
/// accuracy and macro-F1.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let pred: [f64; 64] = core::array::from_fn(|i| f64::from(mask[i]));
    let measured: [f64; 64] = core::array::from_fn(|i| f64::from(mask[(i % 8) * 8 + i / 8]));
    let mut pcc = [0.0f64; 8];
    let mut scratch = [0.0f64; gene_pearson_scratch_len(8)];
    let nan = gene_pearson(&pred, &measured, 8, 8, &mut pcc, &mut scratch).unwrap_or(0);
    let (mean, _, _) = finite_mean_median(&pcc, &mut scratch).unwrap_or((0.0, 0.0, 0));
    let indptr: [u32; 9] = core::array::from_fn(|i| (2 * i) as u32);
    let indices: [u32; 16] = core::array::from_fn(|k| ((k / 2 + if k % 2 == 0 { 1 } else { 7 }) % 8) as u32);
    let mut mi = [0.0f64; 8];
    let mut ms = [0.0f64; morans_i_scratch_len(8, 8)];
    let ok = morans_i(&indptr, &indices, None, &measured, 8, &mut mi, &mut ms).is_ok();
    let mut order = [0u32; 8];
    let ranked = rank_descending(&mi, &mut order).is_ok();
    let truth: [u32; 8] =
        core::array::from_fn(|r| (0..8).map(|c| u32::from(mask[r * 8 + c] & 1) << c).sum::<u32>() % 8);
    let pred: [u32; 8] =
        core::array::from_fn(|c| (0..8).map(|r| u32::from(mask[r * 8 + c] & 1) << r).sum::<u32>() % 8);
    let mut tallies = [CategoryTally::default(); 8];
    let mut f1 = [0.0f64; category_scores_scratch_len(8)];
    let types =
        category_scores(&truth, &pred, &mut tallies, &mut f1).map_or(0, |s| (s.macro_f1 * 100.0) as u32);
    nan as u32 + u32::from(ok) + u32::from(ranked) + order[0] + (mean * 10.0) as u32 + types
}
