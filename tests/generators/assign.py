#!/usr/bin/env python3
"""Transcript-assignment fixtures from real numpy/scipy.

Run from the repository root with the project venv:

    .venv/bin/python tests/generators/assign.py

Writes tests/fixtures/assign/*.npy for tests/integration/assign.rs:
  labels.npy            int32 label image (scipy.ndimage.label of blobs)
  points_f32.npy        (n, 2) float32 x, y in µm;  cells_f32.npy: expected ids
  points_f64.npy        (n, 2) float64 x, y in µm;  cells_f64.npy: expected ids
  nearest_inf.npy       nearest-cell map, any distance (brute force, ties -> smallest label)
  nearest_r3.npy        the same within radius 3 px
  edt.npy               scipy.ndimage.distance_transform_edt(labels == 0)
  pairs.npy             (m, 2) uint32 (cell, gene);  counts.npy: np.add.at table
"""
import pathlib

import numpy as np
from scipy import ndimage

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "assign"
SCALE = 0.2125  # Xenium µm per pixel
OUT = np.iinfo(np.uint32).max


def lookup(labels: np.ndarray, xy: np.ndarray, scale) -> np.ndarray:
    """numpy's `labels[trunc(y / scale), trunc(x / scale)]`, points outside -> OUT."""
    h, w = labels.shape
    col = xy[:, 0] / scale  # float32 stays float32 (NEP 50: the scale is a weak Python float)
    row = xy[:, 1] / scale
    assert col.dtype == xy.dtype
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    cells = np.full(len(xy), OUT, dtype=np.uint32)
    cells[inside] = labels[row[inside].astype(np.int64), col[inside].astype(np.int64)]
    return cells


def points(rng: np.random.Generator, labels: np.ndarray, dtype) -> np.ndarray:
    h, w = labels.shape
    xy = np.column_stack([rng.uniform(-0.5, w * SCALE + 0.5, 3000), rng.uniform(-0.5, h * SCALE + 0.5, 3000)])
    special = [
        (0.0, 0.0), (-0.0, -0.0), (-1e-3, 1.0), (1.0, -1e-3), (w * SCALE, 1.0), (1.0, h * SCALE),
        (np.nan, 1.0), (1.0, np.nan), (np.inf, 1.0), (1.0, -np.inf), (1e30, 1e30),
    ]
    # Points exactly on pixel boundaries (k · scale), where float rounding decides.
    k = np.arange(0, min(h, w))
    boundary = np.column_stack([k * SCALE, k[::-1] * SCALE])
    return np.concatenate([xy, np.array(special), boundary]).astype(dtype)


def nearest_brute(labels: np.ndarray, radius: float) -> np.ndarray:
    """For every pixel: the label of the nearest cell pixel, ties -> smallest label, 0 beyond radius."""
    h, w = labels.shape
    fr, fc = np.nonzero(labels)
    fl = labels[fr, fc].astype(np.int64)
    rr, cc = np.mgrid[0:h, 0:w]
    d2 = (rr.reshape(-1, 1) - fr) ** 2 + (cc.reshape(-1, 1) - fc) ** 2  # (pixels, cell pixels)
    key = d2 * (fl.max() + 1) + fl  # lexicographic (d², label)
    best = key.min(axis=1)
    d2_best, label = np.divmod(best, fl.max() + 1)
    label[d2_best > radius**2] = 0
    return label.reshape(h, w).astype(np.uint32)


def main() -> None:
    FIX.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261122)
    # Blobs with wide gaps (so nearest-cell matters) and equidistant ties:
    # symmetric pairs of cells, an isolated pixel.
    blobs = ndimage.binary_opening(ndimage.gaussian_filter(rng.random((41, 53)), 2.0) > 0.53)
    labels, n = ndimage.label(blobs)
    labels[2, 40] = n + 1
    labels[2, 46] = n + 2  # column 43 is equidistant from both
    labels[30:33, 2] = n + 4
    labels[30:33, 8] = n + 3  # larger label on the left this time
    labels = labels.astype(np.int32)
    np.save(FIX / "labels.npy", labels)

    for dtype, name in ((np.float32, "f32"), (np.float64, "f64")):
        xy = points(rng, labels, dtype)
        np.save(FIX / f"points_{name}.npy", xy)
        np.save(FIX / f"cells_{name}.npy", lookup(labels, xy, SCALE))

    np.save(FIX / "nearest_inf.npy", nearest_brute(labels, np.inf))
    np.save(FIX / "nearest_r3.npy", nearest_brute(labels, 3.0))
    np.save(FIX / "edt.npy", ndimage.distance_transform_edt(labels == 0))

    n_cells, n_genes = int(labels.max()), 17
    cells = rng.integers(0, n_cells + 1, 5000).astype(np.uint32)
    cells[rng.choice(5000, 100, replace=False)] = OUT
    genes = rng.integers(0, n_genes, 5000).astype(np.uint32)
    counts = np.zeros((n_cells + 1, n_genes), np.uint32)  # row = label, row 0 = background
    keep = cells != OUT
    np.add.at(counts, (cells[keep].astype(np.int64), genes[keep]), 1)
    np.save(FIX / "pairs.npy", np.column_stack([cells, genes]))
    np.save(FIX / "counts.npy", counts)


if __name__ == "__main__":
    main()
