#!/usr/bin/env python3
"""Fixtures for the browser e2e tests (tests/e2e/): a small mask, a scipy CSR
expression matrix and the per-cell numbers scipy computes for them.

Writes into tests/fixtures/e2e/:
  mask.npy        uint8 0/255, 40 x 56 (not square, so a transposed reading fails):
                  solid blocks, a ring whose hole is filled by binary_fill_holes,
                  two squares touching only at a corner (2 cells with 4-connectivity,
                  1 with 8), and a cell with no expression for gene 0 ("no value").
  expression.npz  scipy.sparse.save_npz CSR (H*W, 5) float32, row = y*W + x, with
                  unsorted column indices, an explicit zero, a NaN and background
                  (ambient) values — all legal inputs.
  genes.txt       one gene name per line.
  malformed.npy   a .npy whose header promises more data than the file holds.
  expected.json   per-cell numbers from scipy for every (fill, connectivity) setting:
                  label count, and for each cell its first pixel in raster order
                  (where scipy's label numbering starts), area, centroid, and the
                  mean / sum / max per gene over the mask's own pixels, not the filled
                  hole (mean skips zeros and NaN; null = NaN).

Run with the project venv: .venv/bin/python tests/generators/e2e.py
"""

import json
import pathlib

import numpy as np
import scipy.ndimage as ndi
import scipy.sparse as sp

HEIGHT, WIDTH, GENES = 40, 56, 5
OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "e2e"
STRUCTURES = {4: ndi.generate_binary_structure(2, 1), 8: ndi.generate_binary_structure(2, 2)}


def make_mask():
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[2:10, 3:14] = 255  # solid block
    mask[3:15, 20:32] = 255  # ring with a 4 x 4 hole
    mask[7:11, 24:28] = 0
    mask[20:25, 4:9] = 255  # two squares touching only at a corner
    mask[25:30, 9:14] = 255
    mask[18:34, 38:52] = 255  # a large cell
    mask[33:38, 20:30] = 255  # a cell that gets no expression for gene 0
    mask[30:33, 2:4] = 255  # a small cell
    return mask


def make_expression(mask, rng):
    dense = np.zeros((HEIGHT * WIDTH, GENES), np.float32)
    inside = (mask > 0).reshape(-1)
    # gene g is nonzero on a fraction of the cell pixels, with per-gene levels
    for g in range(GENES):
        on = inside & (rng.random(HEIGHT * WIDTH) < 0.3 + 0.1 * g)
        dense[on, g] = rng.lognormal(g * 0.5, 0.6, on.sum()).astype(np.float32)
    # the hole of the ring carries expression: in the ring's cell once filled, never counted
    # (statistics take the mask's own pixels, as cellmap run does)
    hole = np.zeros((HEIGHT, WIDTH), bool)
    hole[7:11, 24:28] = True
    dense[hole.reshape(-1), 1] = 40.0
    # a cell with no value for gene 0
    no_gene0 = np.zeros((HEIGHT, WIDTH), bool)
    no_gene0[33:38, 20:30] = True
    dense[no_gene0.reshape(-1), 0] = 0.0
    # ambient background transcripts, a NaN
    background = ~inside & (rng.random(HEIGHT * WIDTH) < 0.05)
    dense[background, 2] = 7.0
    dense[3 * WIDTH + 5, 3] = np.nan
    csr = sp.csr_matrix(dense)
    # an explicit zero in row (2, 4) and shuffled column order in every row
    row = 2 * WIDTH + 4
    start, end = csr.indptr[row], csr.indptr[row + 1]
    csr.data[start] = 0.0
    for r in range(csr.shape[0]):
        a, b = csr.indptr[r], csr.indptr[r + 1]
        order = rng.permutation(b - a)
        csr.indices[a:b] = csr.indices[a:b][order]
        csr.data[a:b] = csr.data[a:b][order]
    csr.has_sorted_indices = False
    return csr


def per_cell(mask, dense, fill, connectivity):
    binary = ndi.binary_fill_holes(mask > 0) if fill else mask > 0
    labels, count = ndi.label(binary, structure=STRUCTURES[connectivity])
    index = np.arange(1, count + 1)
    cells = []
    with np.errstate(invalid="ignore", divide="ignore"):
        areas = ndi.sum(np.ones_like(labels), labels, index)
        centroids = ndi.center_of_mass(np.ones_like(labels), labels, index)
        stats = []
        for g in range(GENES):
            gene = dense[:, g].reshape(HEIGHT, WIDTH).astype(np.float64)
            valid = (gene != 0) & ~np.isnan(gene)
            within = np.where(mask > 0, labels, 0)  # the mask's own pixels, not the filled holes
            valid_labels = np.where(valid, within, 0)
            means = ndi.mean(gene, valid_labels, index)
            sums = ndi.sum(np.nan_to_num(gene), within, index)
            maxima = ndi.maximum(np.where(valid, gene, -np.inf), within, index)
            maxima = np.where(np.isneginf(maxima), np.nan, maxima)
            stats.append((means, sums, maxima))
    for i in range(count):
        rows, cols = np.nonzero(labels == i + 1)
        cells.append(
            {
                "label": i + 1,
                "firstPixel": [int(rows[0]), int(cols[0])],
                "area": int(areas[i]),
                "centroid": [float(centroids[i][0]), float(centroids[i][1])],
                "mean": [finite_or_none(stats[g][0][i]) for g in range(GENES)],
                "sum": [finite_or_none(stats[g][1][i]) for g in range(GENES)],
                "max": [finite_or_none(stats[g][2][i]) for g in range(GENES)],
            }
        )
    return {"fillHoles": fill, "connectivity": connectivity, "cellCount": int(count), "cells": cells}


def finite_or_none(value):
    return float(value) if np.isfinite(value) else None


def main():
    rng = np.random.default_rng(5)
    OUT.mkdir(parents=True, exist_ok=True)
    mask = make_mask()
    np.save(OUT / "mask.npy", mask)
    csr = make_expression(mask, rng)
    sp.save_npz(OUT / "expression.npz", csr)
    dense = csr.toarray()
    names = ["ACTB", "CD3E", "MS4A1", "KRT19", "PECAM1"]
    (OUT / "genes.txt").write_text("\n".join(names) + "\n")
    good = (OUT / "mask.npy").read_bytes()
    (OUT / "malformed.npy").write_bytes(good[: len(good) // 2])
    settings = [per_cell(mask, dense, fill, conn) for fill in (True, False) for conn in (4, 8)]
    expected = {"height": HEIGHT, "width": WIDTH, "genes": names, "settings": settings}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
