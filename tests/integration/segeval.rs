//! Parity tests: segmentation scores against GeneSegNet's metric functions restated in
//! numpy/scipy (`linear_sum_assignment`), and its fill-holes-and-remove-small-masks
//! post-processing (fixtures by `tests/generators/segeval.py`).
use cellmap::segeval::{fill_holes_and_remove_small_masks, score_segmentation};
use cellmap::{Image, LabelImage};
use cellmap_tests::npy::load;

fn labels(rel: &str) -> LabelImage {
    let a = load(rel);
    LabelImage::new(Image::new(a.shape[1], a.shape[0], a.to()).unwrap()).unwrap()
}

#[test]
fn scores_match_genesegnet_metrics() {
    for case in ["case0", "case1", "case2", "empty_pred", "tie"] {
        let truth = labels(&format!("segeval/{case}/truth.npy"));
        let pred = labels(&format!("segeval/{case}/pred.npy"));
        let thresholds = load(&format!("segeval/{case}/thresholds.npy")).values;
        let expected = load(&format!("segeval/{case}/scores.npy")).values;
        let s = score_segmentation(&truth, &pred, &thresholds).unwrap();
        for (k, score) in s.scores.iter().enumerate() {
            let row = &expected[4 * k..4 * k + 4];
            let got = [score.tp as f64, score.fp as f64, score.fn_ as f64, f64::from(score.ap)];
            assert_eq!(got, row, "{case} at threshold {}", thresholds[k]);
        }
        let aji = load(&format!("segeval/{case}/aji.npy")).values[0];
        assert_eq!(s.aji, aji, "{case}: AJI");
        // The sparse pairs are the nonzero entries of numpy's contingency table, with its IoU.
        let pairs = load(&format!("segeval/{case}/pairs.npy")).values;
        let iou = load(&format!("segeval/{case}/iou.npy")).values;
        assert_eq!(s.pairs.len(), iou.len(), "{case}: pairs");
        for (k, p) in s.pairs.iter().enumerate() {
            assert_eq!(
                [p.true_label as f64, p.pred_label as f64, p.pixels as f64],
                pairs[3 * k..3 * k + 3],
                "{case}: pair {k}"
            );
            assert_eq!(s.iou(p), iou[k], "{case}: IoU of pair {k}");
        }
    }
}

#[test]
fn fill_remove_matches_genesegnet() {
    let input = labels("segeval/fill_remove/labels.npy");
    let expected = load("segeval/fill_remove/filled.npy");
    let kept = load("segeval/fill_remove/kept.npy").values[0] as usize;
    let out = fill_holes_and_remove_small_masks(&input, 15).unwrap();
    let want: Vec<i32> = expected.to();
    assert_eq!(out.labels().data(), &want[..]);
    assert_eq!(out.n_cells(), kept);
}
