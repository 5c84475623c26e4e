use cellmap_core::Grid;
use cellmap_core::segeval::{
    ApScore, DEFAULT_THRESHOLDS, FillRemoveScratch, MatchingScratch, Overlap, aggregated_jaccard_index,
    average_precision, fill_holes_and_remove_small_masks, overlap_table_len, overlaps,
};

/// The 8×8 mask (labels 0..=15 by its low bits) scored against itself shifted by one pixel, then
/// post-processed as GeneSegNet does.
pub(crate) fn check(mask: &[u8; 64]) -> u32 {
    let truth: [u8; 64] = core::array::from_fn(|i| mask[i] & 15);
    let pred: [u8; 64] = core::array::from_fn(|i| mask[(i + 1) % 64] & 15);
    let (Ok(t), Ok(p)) = (Grid::new(8, 8, &truth[..]), Grid::new(8, 8, &pred[..])) else {
        return 1;
    };
    let (mut ta, mut pa) = ([0u32; 16], [0u32; 16]);
    let mut table = [Overlap::default(); overlap_table_len(64)];
    let Ok(counts) = overlaps(t, p, 15, 15, &mut ta, &mut pa, &mut table) else {
        return 2;
    };
    const S: MatchingScratch = MatchingScratch::new(15, 15, 64);
    let (mut floats, mut ints, mut matched) = ([0.0f64; S.floats], [0u32; S.ints], [0u32; 16]);
    let mut out = [ApScore { threshold: 0.0, tp: 0, fp: 0, fn_: 0, ap: 0.0 }; 3];
    let pairs = &table[..counts.pairs];
    let ok = average_precision(
        pairs,
        &ta,
        &pa,
        15,
        15,
        &DEFAULT_THRESHOLDS,
        &mut out,
        &mut matched,
        &mut floats,
        &mut ints,
    )
    .is_ok();
    let aji =
        aggregated_jaccard_index(pairs, &ta, &pa, counts.union, 15, 15, &mut matched, &mut floats, &mut ints)
            .unwrap_or(0.0);
    const F: FillRemoveScratch = FillRemoveScratch::new(8, 8, 15);
    let (mut fi, mut ff) = ([0u32; F.ints], [false; F.flags]);
    let mut labels = truth;
    let kept = fill_holes_and_remove_small_masks(&mut labels, 8, 8, 15, 2, &mut fi, &mut ff).unwrap_or(0);
    u32::from(ok) + out[0].tp as u32 + (aji * 100.0) as u32 + kept as u32
}
