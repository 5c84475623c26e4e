"""Writes the segmentation-evaluation fixtures into tests/fixtures/segeval/.

Run with the project venv: .venv/bin/python tests/generators/segeval.py

The references restate GeneSegNet's metric functions (``GeneSegNet/metrics.py``,
Cellpose-derived; SEED-SYSTEMS.md section 1.4) and its post-processing
(``utils.fill_holes_and_remove_small_masks``, section 1.5b) in numpy/scipy:

* contingency of (true label, predicted label) pixels over ``0..=max`` each, IoU =
  overlap / (column sum + row sum - overlap), NaN -> 0, background row/column dropped;
* TP(t): pairs with IoU >= t in ``scipy.optimize.linear_sum_assignment`` of the cost
  ``-(IoU >= t) - IoU / (2 min(n_true, n_pred))``; FP = n_pred - TP, FN = n_true - TP with
  n_true, n_pred the largest labels; AP = TP / (TP + FP + FN) in float32;
* AJI: the same assignment at 0.5, the overlaps of all assigned pairs summed, over the
  pixels foreground in either image;
* fill holes and remove small masks (min size 15): labels in increasing order within their
  ``find_objects`` box, erased if smaller than 15 px, else filled
  (``binary_fill_holes`` of the box crop) and renumbered j + 1.

Cases: tissue-like label images (disks, some ringed, label gaps) against predictions that are
shifted, merged, split, dropped and padded with false positives; an empty prediction; and a
tie case (a true cell of 2 px against two 1-px predictions, IoU exactly 0.5).
"""
import os

import numpy as np
from scipy import ndimage
from scipy.optimize import linear_sum_assignment

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "segeval")
THRESHOLDS = [0.25, 0.75, 0.9, 0.5, 0.1]


def label_overlap(x, y):
    overlap = np.zeros((1 + x.max(), 1 + y.max()), dtype=np.uint64)
    np.add.at(overlap, (x.ravel(), y.ravel()), 1)
    return overlap


def intersection_over_union(masks_true, masks_pred):
    overlap = label_overlap(masks_true, masks_pred)
    n_pixels_pred = np.sum(overlap, axis=0, keepdims=True)
    n_pixels_true = np.sum(overlap, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = overlap / (n_pixels_pred + n_pixels_true - overlap)
    iou[np.isnan(iou)] = 0.0
    return iou


def true_positive(iou, th):
    n_min = min(iou.shape[0], iou.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        costs = -(iou >= th).astype(float) - iou / (2 * n_min)
    true_ind, pred_ind = linear_sum_assignment(costs)
    return (iou[true_ind, pred_ind] >= th).sum()


def average_precision(masks_true, masks_pred, threshold):
    k = len(threshold)
    ap, tp, fp, fn = (np.zeros(k, np.float32) for _ in range(4))
    n_true, n_pred = masks_true.max(), masks_pred.max()
    if n_pred > 0:
        iou = intersection_over_union(masks_true, masks_pred)[1:, 1:]
        for i, th in enumerate(threshold):
            tp[i] = true_positive(iou, th)
    fp[:] = n_pred - tp
    fn[:] = n_true - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        ap[:] = tp / (tp + fp + fn)
    return ap, tp, fp, fn


def aggregated_jaccard_index(masks_true, masks_pred):
    iou = intersection_over_union(masks_true, masks_pred)[1:, 1:]
    n_min = min(iou.shape[0], iou.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        costs = -(iou >= 0.5).astype(float) - iou / (2 * n_min)
    true_ind, pred_ind = linear_sum_assignment(costs)
    preds = np.zeros(masks_true.max(), int)
    preds[true_ind] = pred_ind + 1
    inds = np.arange(0, masks_true.max(), 1, int)
    overlap = label_overlap(masks_true, masks_pred)
    union = np.logical_or(masks_true > 0, masks_pred > 0).sum()
    overlap = overlap[inds[preds > 0] + 1, preds[preds > 0].astype(int)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return overlap.sum() / union


def fill_holes_and_remove_small_masks(masks, min_size=15):
    masks = masks.copy()
    slices = ndimage.find_objects(masks)
    j = 0
    for i, slc in enumerate(slices):
        if slc is not None:
            msk = masks[slc] == (i + 1)
            npix = msk.sum()
            if min_size > 0 and npix < min_size:
                masks[slc][msk] = 0
            elif npix > 0:
                msk = ndimage.binary_fill_holes(msk)
                masks[slc][msk] = j + 1
                j += 1
    return masks, j


def cells(rng, h, w, n, radius=(3.0, 11.0)):
    """Disks with labels 1..n drawn in order (later ones on top); some are rings."""
    yy, xx = np.mgrid[0:h, 0:w]
    labels = np.zeros((h, w), np.int32)
    for label in range(1, n + 1):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(*radius)
        disk = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        if r > 6 and rng.random() < 0.4:
            disk &= (yy - cy) ** 2 + (xx - cx) ** 2 > (r - 2.5) ** 2
        labels[disk] = label
    return labels


def predict(rng, truth, shift=True):
    """A plausible prediction: shifted, some cells merged, split or dropped, false positives."""
    h, w = truth.shape
    dy, dx = rng.integers(-1, 2, size=2) if shift else (0, 0)
    pred = np.roll(truth, (dy, dx), axis=(0, 1)).copy()
    n = truth.max()
    for label in rng.choice(np.arange(1, n + 1), size=max(1, n // 8), replace=False):
        pred[pred == label] = 0  # dropped
    for label in rng.choice(np.arange(1, n + 1), size=max(1, n // 8), replace=False):
        pred[pred == label] = label % n + 1  # merged into a neighbour id
    for label in rng.choice(np.arange(1, n + 1), size=max(1, n // 8), replace=False):
        rows, cols = np.nonzero(pred == label)
        if rows.size:
            half = cols > np.median(cols)
            pred[rows[half], cols[half]] = n + 1 + label  # split
    extra = cells(rng, h, w, max(1, n // 6), radius=(2.0, 5.0))
    pred[(pred == 0) & (extra > 0)] = extra[(pred == 0) & (extra > 0)] + 3 * n
    # Consecutive ids by first appearance (fastremap.renumber), as GeneSegNet scores them.
    flat = pred.ravel()
    _, first = np.unique(flat, return_index=True)
    order = flat[np.sort(first)]
    order = order[order != 0]
    lut = np.zeros(flat.max() + 1, np.int32)
    lut[order] = np.arange(1, order.size + 1)
    return lut[pred]


def write_case(name, truth, pred):
    ap, tp, fp, fn = average_precision(truth, pred, THRESHOLDS)
    aji = aggregated_jaccard_index(truth, pred)
    overlap = label_overlap(truth, pred)
    iou = intersection_over_union(truth, pred)
    t_idx, p_idx = np.nonzero(overlap[1:, 1:])
    pairs = np.stack([t_idx + 1, p_idx + 1, overlap[t_idx + 1, p_idx + 1]], axis=1).astype(np.int64)
    scores = np.stack([tp, fp, fn, ap], axis=1).astype(np.float64)
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "truth.npy"), truth.astype(np.int32))
    np.save(os.path.join(d, "pred.npy"), pred.astype(np.int32))
    np.save(os.path.join(d, "thresholds.npy"), np.array(THRESHOLDS, np.float64))
    np.save(os.path.join(d, "scores.npy"), scores)
    np.save(os.path.join(d, "aji.npy"), np.array([aji], np.float64))
    np.save(os.path.join(d, "pairs.npy"), pairs)
    np.save(os.path.join(d, "iou.npy"), iou[t_idx + 1, p_idx + 1].astype(np.float64))
    return scores, aji


def main():
    rng = np.random.default_rng(16)
    summary = []
    for k, (h, w, n) in enumerate([(64, 80, 24), (120, 96, 60), (160, 160, 120)]):
        truth = cells(rng, h, w, n)
        truth[truth == 3] = 0  # a gap: n_true is the largest label, not the count
        pred = predict(rng, truth, shift=k != 0)
        summary.append(write_case(f"case{k}", truth, pred))
    truth = cells(rng, 40, 40, 6)
    write_case("empty_pred", truth, np.zeros_like(truth))
    # IoU exactly 0.5 twice: a 2-px true cell against two 1-px predictions.
    truth = np.zeros((3, 4), np.int32)
    truth[1, 1:3] = 1
    pred = np.zeros((3, 4), np.int32)
    pred[1, 1], pred[1, 2] = 1, 2
    write_case("tie", truth, pred)
    # Post-processing: cells inside other cells' holes, small cells, a label gap.
    labels = cells(rng, 96, 96, 50, radius=(1.0, 10.0))
    labels[labels == 7] = 0
    filled, kept = fill_holes_and_remove_small_masks(labels, 15)
    d = os.path.join(OUT, "fill_remove")
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "labels.npy"), labels.astype(np.int32))
    np.save(os.path.join(d, "filled.npy"), filled.astype(np.int32))
    np.save(os.path.join(d, "kept.npy"), np.array([kept], np.int64))
    print(f"segeval fixtures: {len(summary)} cases + empty + tie, fill_remove kept {kept} -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
