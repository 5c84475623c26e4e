"""Writes the dense per-cell statistics fixtures into tests/fixtures/stats/.

Run with the project venv: .venv/bin/python tests/generators/stats.py

A small synthetic tissue (disks with holes, some touching) is filled and
labelled with scipy, a float32 value image gets zeros, -0.0, negative
values, NaN, infinities-free outliers and one cell with no valid value.
References are computed with plain numpy, per label 0..N (0 = background):

* default: pixels whose value is neither 0 nor NaN;
* keep: pixels whose value is not NaN;
* within: the research script's way — ``masked = values * (unfilled > 0)``,
  ``masked[masked == 0] = nan``, then per cell ``np.mean`` of the non-NaN
  values (plus count/sum/min/max of the same pixels).
"""
import os

import numpy as np
from scipy import ndimage

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "stats")


def tissue(rng, h, w, spacing=13, radius=(2.0, 7.0)):
    """Disks on a jittered grid: some touch (merge into one label), some have a hole."""
    yy, xx = np.mgrid[0:h, 0:w]
    mask = np.zeros((h, w), bool)
    for gy in range(spacing // 2, h, spacing):
        for gx in range(spacing // 2, w, spacing):
            cy, cx = gy + rng.uniform(-2, 2), gx + rng.uniform(-2, 2)
            r = rng.uniform(*radius)
            mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            if r > 0.65 * radius[1]:  # a hole that fill_holes closes
                mask[int(cy), int(cx)] = False
    return mask


def per_label(labels, values, n, select):
    count = np.zeros(n + 1, np.int64)
    total, mean = np.zeros(n + 1), np.full(n + 1, np.nan)
    lo, hi = np.full(n + 1, np.nan), np.full(n + 1, np.nan)
    for c in range(n + 1):
        v = values[(labels == c) & select].astype(np.float64)
        count[c] = v.size
        if v.size:
            total[c], mean[c], lo[c], hi[c] = v.sum(), np.mean(v), v.min(), v.max()
    return {"count": count, "sum": total, "mean": mean, "min": lo, "max": hi}


def main():
    rng = np.random.default_rng(7)
    h, w = 48, 64
    unfilled = tissue(rng, h, w)
    filled = ndimage.binary_fill_holes(unfilled)
    labels, n = ndimage.label(filled)
    values = rng.normal(2.0, 3.0, (h, w)).astype(np.float32)  # includes negatives
    values[rng.random((h, w)) < 0.25] = 0.0
    values[rng.random((h, w)) < 0.05] = -0.0
    values[rng.random((h, w)) < 0.08] = np.nan
    values[rng.random((h, w)) < 0.01] = 1e6
    # cell 1 has no valid value at all: only zeros, -0.0 and NaN
    cell1 = labels == 1
    values[cell1] = np.where(rng.random(cell1.sum()) < 0.5, np.float32(0.0), np.float32(np.nan))
    values[cell1 & (rng.random((h, w)) < 0.3)] = -0.0
    assert np.signbit(values[values == 0]).any() and (values < 0).any()

    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "labels.npy"), labels.astype(np.int32))
    np.save(os.path.join(OUT, "values.npy"), values)
    np.save(os.path.join(OUT, "unfilled.npy"), (unfilled * 255).astype(np.uint8))

    finite = ~np.isnan(values)
    variants = {
        "default": per_label(labels, values, n, finite & (values != 0)),
        "keep": per_label(labels, values, n, finite),
    }
    # the research script: multiply by the unfilled mask, zeros become NaN, nanmean per cell
    masked = values.astype(np.float64) * (unfilled > 0)
    masked[masked == 0] = np.nan
    within = per_label(labels, masked, n, ~np.isnan(masked))
    for c in range(n + 1):  # the script's own expression for the mean
        v = masked[labels == c]
        v = v[~np.isnan(v)]
        assert (np.isnan(within["mean"][c]) and v.size == 0) or np.mean(v) == within["mean"][c]
    variants["within"] = within
    for name, table in variants.items():
        for stat, arr in table.items():
            np.save(os.path.join(OUT, f"{name}_{stat}.npy"), arr)
    print(f"stats fixtures: {h}x{w}, {n} cells -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
