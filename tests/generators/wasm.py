#!/usr/bin/env python3
"""Fixtures for the wasm-bindgen tests of the JS API (wasm/tests/api.rs).

Writes into tests/fixtures/wasm/:
  mask.npy          uint8 0/255, 12 x 16 (not square): a ring whose 2 x 2 hole
                    binary_fill_holes fills, two squares touching only at a
                    corner (2 cells with 4-connectivity, 1 with 8), a bar, a dot.
  mask.png          the same mask as an 8-bit grayscale PNG (cv2.imwrite).
  mask.tif          the same mask as an 8-bit TIFF (cv2.imwrite, LZW).
  labels_u16.png    scipy's labels of the filled mask as a 16-bit PNG, like a
                    Cellpose `*_cp_masks.png`.
  expression.npz    scipy.sparse.save_npz CSR (H*W, 3) float32, row = y*W + x,
                    with unsorted column indices, an explicit zero and a NaN.
  dense.npy         the same expression as float32 (H, W, 3).
  mask_6x8.npy      a 6 x 8 mask (the wrong size for the expression).
  expected.json     scipy's numbers for every (fill, connectivity) setting:
                    cell count, label image, and per cell: area, centroid,
                    bounding box, and per gene mean / sum / count / max over
                    the mask's own pixels, not the filled hole (mean, count
                    and max skip zeros and NaN; null = NaN), plus for genes
                    0 and 2 the per-cell sum of their two values of each
                    statistic (NaN skipped; null when both are NaN).

Run with the project venv: .venv/bin/python tests/generators/wasm.py
"""

import json
import pathlib

import cv2
import numpy as np
import scipy.ndimage as ndi
import scipy.sparse as sp

HEIGHT, WIDTH, GENES = 12, 16, 3
OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "wasm"
STRUCTURES = {4: ndi.generate_binary_structure(2, 1), 8: ndi.generate_binary_structure(2, 2)}


def make_mask():
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[1:5, 1:5] = 255  # ring with a 2 x 2 hole
    mask[2:4, 2:4] = 0
    mask[1:3, 8:10] = 255  # two squares touching only at a corner
    mask[3:5, 10:12] = 255
    mask[7:10, 2:14] = 255  # a bar
    mask[11, 15] = 255  # a one-pixel cell in the corner
    return mask


def make_expression(mask, rng):
    dense = np.zeros((HEIGHT * WIDTH, GENES), np.float32)
    inside = (mask > 0).reshape(-1)
    for g in range(GENES):
        on = inside & (rng.random(HEIGHT * WIDTH) < 0.4 + 0.2 * g)
        dense[on, g] = np.round(rng.lognormal(g * 0.5, 0.6, on.sum()), 2).astype(np.float32)
    hole = np.zeros((HEIGHT, WIDTH), bool)
    hole[2:4, 2:4] = True
    dense[hole.reshape(-1), 1] = 40.0  # in the hole: part of the ring's cell once filled, never counted
    dense[11 * WIDTH + 15, 0] = 0.0  # the dot has no value for gene 0
    dense[8 * WIDTH + 5, 2] = np.nan
    csr = sp.csr_matrix(dense)
    row = 7 * WIDTH + 2  # an explicit zero
    csr.data[csr.indptr[row]] = 0.0
    for r in range(csr.shape[0]):
        a, b = csr.indptr[r], csr.indptr[r + 1]
        order = rng.permutation(b - a)
        csr.indices[a:b] = csr.indices[a:b][order]
        csr.data[a:b] = csr.data[a:b][order]
    csr.has_sorted_indices = False
    return csr, csr.toarray().reshape(HEIGHT, WIDTH, GENES)


def stats(values, labels, index):
    values = values.astype(np.float64)
    valid = (values != 0) & ~np.isnan(values)
    valid_labels = np.where(valid, labels, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = ndi.mean(values, valid_labels, index)
    sums = ndi.sum(np.nan_to_num(values), labels, index)
    counts = ndi.sum(valid.astype(np.float64), labels, index)
    maxima = ndi.maximum(np.where(valid, values, -np.inf), labels, index)
    maxima = np.where(np.isneginf(maxima), np.nan, maxima)
    return {"mean": nullable(means), "sum": nullable(sums), "count": nullable(counts), "max": nullable(maxima)}


def sum_of_genes(per_gene):
    """The viewer's sum of several genes: per statistic, the sum over genes of
    each gene's per-cell value, NaN terms skipped, NaN when all are NaN."""
    summed = {}
    for key in per_gene[0]:
        terms = np.array([[np.nan if v is None else v for v in gene[key]] for gene in per_gene])
        all_nan = np.isnan(terms).all(axis=0)
        summed[key] = nullable(np.where(all_nan, np.nan, np.nansum(terms, axis=0)))
    return summed


def per_setting(mask, dense, fill, connectivity):
    binary = ndi.binary_fill_holes(mask > 0) if fill else mask > 0
    labels, count = ndi.label(binary, structure=STRUCTURES[connectivity])
    index = np.arange(1, count + 1)
    ones = np.ones_like(labels)
    areas = ndi.sum(ones, labels, index)
    centroids = ndi.center_of_mass(ones, labels, index)
    boxes = ndi.find_objects(labels)
    # statistics over the mask's own pixels (cellmap run's rule): the filled hole's pixels are not counted
    within = np.where(mask > 0, labels, 0)
    genes = [stats(dense[:, :, g], within, index) for g in range(GENES)]
    summed = sum_of_genes([genes[0], genes[2]])
    return {
        "fillHoles": fill,
        "connectivity": connectivity,
        "cellCount": int(count),
        "labels": labels.reshape(-1).tolist(),
        "area": [int(a) for a in areas],
        "centroid": [[float(r), float(c)] for r, c in centroids],
        # inclusive bounds: [minRow, minCol, maxRow, maxCol]
        "bbox": [[b[0].start, b[1].start, b[0].stop - 1, b[1].stop - 1] for b in boxes],
        "genes": genes,
        "sumOfGenes0And2": summed,
    }


def nullable(values):
    return [float(v) if np.isfinite(v) else None for v in values]


def main():
    rng = np.random.default_rng(7)
    OUT.mkdir(parents=True, exist_ok=True)
    mask = make_mask()
    np.save(OUT / "mask.npy", mask)
    cv2.imwrite(str(OUT / "mask.png"), mask)
    cv2.imwrite(str(OUT / "mask.tif"), mask)
    labels, _ = ndi.label(ndi.binary_fill_holes(mask > 0))
    cv2.imwrite(str(OUT / "labels_u16.png"), labels.astype(np.uint16))
    csr, dense = make_expression(mask, rng)
    sp.save_npz(OUT / "expression.npz", csr)
    np.save(OUT / "dense.npy", dense)
    np.save(OUT / "mask_6x8.npy", mask[:6, :8])
    settings = [per_setting(mask, dense, fill, conn) for fill in (True, False) for conn in (4, 8)]
    expected = {"height": HEIGHT, "width": WIDTH, "settings": settings}
    (OUT / "expected.json").write_text(json.dumps(expected) + "\n")


if __name__ == "__main__":
    main()
