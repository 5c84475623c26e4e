//! Segmentation evaluation of a predicted label image against a true one,
//! as GeneSegNet scores it (see [`cellmap_core::segeval`]): AP at IoU
//! thresholds, the aggregated Jaccard index, and the post-processing that
//! fills holes and removes small masks.

use cellmap_core::segeval::{
    self as kernels, ApScore, FillRemoveScratch, MatchingScratch, Overlap, max_overlap_pairs,
    overlap_table_len,
};

pub use cellmap_core::segeval::{AJI_THRESHOLD, DEFAULT_MIN_SIZE, DEFAULT_THRESHOLDS};

use crate::memory::filled;
use crate::{Error, Image, LabelImage};

/// The scores of one predicted label image against a true one.
#[derive(Debug, Clone, PartialEq)]
pub struct SegScores {
    /// The largest true label (GeneSegNet's `n_true`).
    pub n_true: usize,
    /// The largest predicted label (`n_pred`).
    pub n_pred: usize,
    /// Overlapping pairs (true, predicted, pixels), sorted.
    pub pairs: Vec<Overlap>,
    /// Pixels per true label (index 0: background).
    pub true_area: Vec<u32>,
    /// Pixels per predicted label.
    pub pred_area: Vec<u32>,
    /// Pixels that are foreground in either image.
    pub union: u64,
    /// One score per threshold, in the order asked.
    pub scores: Vec<ApScore>,
    /// The aggregated Jaccard index (assignment at IoU 0.5).
    pub aji: f64,
}

impl SegScores {
    /// IoU of pair `k` of [`SegScores::pairs`].
    pub fn iou(&self, pair: &Overlap) -> f64 {
        kernels::iou(pair, &self.true_area, &self.pred_area)
    }

    /// Each true cell's best IoU with a predicted cell, by label
    /// (`n_true + 1` entries): the largest [`SegScores::iou`] of its pairs,
    /// 0 for a cell no predicted cell overlaps, NaN for the background and
    /// for ids without pixels.
    ///
    /// ```
    /// use cellmap::{Image, LabelImage, segeval::{score_segmentation, DEFAULT_THRESHOLDS}};
    /// let truth = LabelImage::new(Image::new(5, 1, vec![1, 1, 3, 3, 0])?)?;
    /// let pred = LabelImage::new(Image::new(5, 1, vec![1, 2, 2, 0, 0])?)?;
    /// let best = score_segmentation(&truth, &pred, &DEFAULT_THRESHOLDS)?.best_iou();
    /// // cell 1 meets predicted 1 (IoU 1/2) and 2 (1/3); id 2 has no pixels; cell 3 meets 2 (1/3)
    /// assert_eq!((best[1], best[3]), (0.5, 1.0 / 3.0));
    /// assert!(best[0].is_nan() && best[2].is_nan());
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn best_iou(&self) -> Vec<f64> {
        let mut best: Vec<f64> =
            self.true_area.iter().map(|&area| if area > 0 { 0.0 } else { f64::NAN }).collect();
        if let Some(background) = best.first_mut() {
            *background = f64::NAN;
        }
        for pair in &self.pairs {
            let iou = self.iou(pair);
            if let Some(b) = best.get_mut(pair.true_label as usize) {
                if iou > *b {
                    *b = iou;
                }
            }
        }
        best
    }

    /// Writes the scores as CSV, as `cellmap segeval --csv` does:
    /// `threshold,tp,fp,fn,ap` per threshold, then `aji,,,,VALUE`; numbers
    /// in Rust's shortest round-trip form (AP widened from float32).
    ///
    /// ```
    /// use cellmap::{Image, LabelImage, segeval::score_segmentation};
    /// let truth = LabelImage::new(Image::new(2, 1, vec![1, 1])?)?;
    /// let s = score_segmentation(&truth, &truth, &[0.5])?;
    /// let mut out = Vec::new();
    /// s.write_csv(&mut out)?;
    /// assert_eq!(String::from_utf8(out).unwrap(), "threshold,tp,fp,fn,ap\n0.5,1,0,0,1\naji,,,,1\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_csv(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(w, "threshold,tp,fp,fn,ap")?;
        for s in &self.scores {
            writeln!(w, "{},{},{},{},{}", s.threshold, s.tp, s.fp, s.fn_, f64::from(s.ap))?;
        }
        writeln!(w, "aji,,,,{}", self.aji)
    }
}

/// Scores `pred` against `truth` at `thresholds` (GeneSegNet's:
/// [`DEFAULT_THRESHOLDS`]).
///
/// ```
/// use cellmap::{Image, LabelImage, segeval::{score_segmentation, DEFAULT_THRESHOLDS}};
/// let truth = LabelImage::new(Image::new(4, 1, vec![1, 1, 2, 2])?)?;
/// let pred = LabelImage::new(Image::new(4, 1, vec![1, 1, 1, 0])?)?;
/// let s = score_segmentation(&truth, &pred, &DEFAULT_THRESHOLDS)?;
/// assert_eq!(s.scores.iter().map(|a| a.tp).collect::<Vec<_>>(), [1, 0, 0]);
/// assert_eq!(s.aji, 2.0 / 4.0);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn score_segmentation(
    truth: &LabelImage,
    pred: &LabelImage,
    thresholds: &[f64],
) -> Result<SegScores, Error> {
    if !truth.labels().same_shape(pred.labels()) {
        return Err(Error::input(format!(
            "the label images differ in size: {}×{} (true) and {}×{} (predicted)",
            truth.height(),
            truth.width(),
            pred.height(),
            pred.width()
        )));
    }
    let (n_true, n_pred) = (truth.n_cells(), pred.n_cells());
    let mut true_area = filled(n_true + 1, 0u32, "true label areas")?;
    let mut pred_area = filled(n_pred + 1, 0u32, "predicted label areas")?;
    // A few pairs per cell is the rule; grow to the proven bound if not.
    let bound = max_overlap_pairs(truth.width(), truth.height(), n_true, n_pred);
    let mut slots = overlap_table_len((4 * (n_true + n_pred) + 64).min(bound));
    let (mut table, counts) = loop {
        let mut table = filled(slots, Overlap::default(), "the overlap table")?;
        match kernels::overlaps(
            truth.labels().grid(),
            pred.labels().grid(),
            n_true,
            n_pred,
            &mut true_area,
            &mut pred_area,
            &mut table,
        ) {
            Ok(counts) => break (table, counts),
            Err(cellmap_core::Error::BufferTooSmall { buffer: "table", needed, .. }) if slots < needed => {
                slots = (slots * 2).min(needed);
            }
            Err(e) => return Err(Error::core("overlaps", e)),
        }
    };
    table.truncate(counts.pairs);
    let sizes = MatchingScratch::new(n_true, n_pred, counts.pairs);
    let mut floats = filled(sizes.floats, 0.0f64, "the matching scratch")?;
    let mut ints = filled(sizes.ints, 0u32, "the matching scratch")?;
    let mut matched = filled(n_true + 1, 0u32, "the matching")?;
    let empty = ApScore { threshold: 0.0, tp: 0, fp: 0, fn_: 0, ap: 0.0 };
    let mut scores = vec![empty; thresholds.len()];
    kernels::average_precision(
        &table,
        &true_area,
        &pred_area,
        n_true,
        n_pred,
        thresholds,
        &mut scores,
        &mut matched,
        &mut floats,
        &mut ints,
    )
    .map_err(|e| Error::core("average precision", e))?;
    let aji = kernels::aggregated_jaccard_index(
        &table,
        &true_area,
        &pred_area,
        counts.union,
        n_true,
        n_pred,
        &mut matched,
        &mut floats,
        &mut ints,
    )
    .map_err(|e| Error::core("aggregated Jaccard index", e))?;
    Ok(SegScores { n_true, n_pred, pairs: table, true_area, pred_area, union: counts.union, scores, aji })
}

/// GeneSegNet's `fill_holes_and_remove_small_masks` on a copy of `labels`:
/// masks under `min_size` pixels erased, the others hole-filled and
/// numbered `1..=K` in the order of their old ids ([`DEFAULT_MIN_SIZE`] is
/// GeneSegNet's 15).
///
/// ```
/// use cellmap::{Image, LabelImage, segeval::fill_holes_and_remove_small_masks};
/// let labels = LabelImage::new(Image::new(5, 1, vec![2, 2, 0, 5, 0])?)?;
/// let out = fill_holes_and_remove_small_masks(&labels, 2)?;
/// assert_eq!(out.labels().data(), &[1, 1, 0, 0, 0]);
/// assert_eq!(out.n_cells(), 1);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn fill_holes_and_remove_small_masks(labels: &LabelImage, min_size: usize) -> Result<LabelImage, Error> {
    let (w, h, n) = (labels.width(), labels.height(), labels.n_cells());
    let sizes = FillRemoveScratch::new(w, h, n);
    let mut ints = filled(sizes.ints, 0u32, "the fill scratch")?;
    let mut flags = filled(sizes.flags, false, "the fill scratch")?;
    let mut out = filled(w * h, 0i32, "the filled labels")?;
    out.copy_from_slice(labels.labels().data());
    let kept = kernels::fill_holes_and_remove_small_masks(&mut out, w, h, n, min_size, &mut ints, &mut flags)
        .map_err(|e| Error::core("fill holes and remove small masks", e))?;
    Ok(LabelImage::from_kernel(Image::new(w, h, out)?, kept))
}
