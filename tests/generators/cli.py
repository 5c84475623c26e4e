#!/usr/bin/env python3
"""Fixtures for the `cellmap` CLI integration tests (cli/tests/*.rs), made by real scipy.

Run with the project venv:  .venv/bin/python tests/generators/cli.py
Writes tests/fixtures/cli/ (deterministic; commit the output):

  mask.npy            uint8 0/255 cell mask, 24x32: touching cells, a hole, a ring inside a
                      hole, a hole open to the border, 1-px cells, diagonal-only contacts
  mask.png            the same mask as an 8-bit greyscale PNG (OpenCV imwrite)
  filled.npy          bool, scipy.ndimage.binary_fill_holes(mask)
  labels.npy          int32, scipy.ndimage.label(filled) (4-connectivity)
  labels8.npy         int32, scipy.ndimage.label(filled, 8-connectivity structure)
  labels_nofill.npy   int32, scipy.ndimage.label(mask) (no hole filling)
  st.npz              scipy save_npz CSR (H*W, 7) float32, NON-canonical: unsorted columns,
                      duplicate (row, col) entries, explicit zeros, NaN values, values outside
                      the unfilled mask
  st_means_within.npy float64 (N, 7): the research semantics: toarray() (duplicates summed),
                      multiplied by the unfilled mask, zeros and NaN skipped, per-cell mean
                      over labels.npy (f64 accumulation), NaN for a cell with no value
  st_pixel_range_within.npy  float64 (7, 2): per gene (min(0, min), max(0, max)) over the
                      masked gene image (NaN aside): the research script's normalisation range
  st_means.npy        float64 (N, 7): same without the mask restriction
  st_counts.npy       int64 (N, 7): the number of values used by st_means.npy
  dense.npy           float32 (24, 32): one gene image with zeros and NaN
  dense_{mean,sum,count,min,max}.npy  per-cell stats of dense.npy over labels.npy
                      (zeros and NaN skipped): float64, float64, int64, float32, float32
  dense_mean_keepzeros.npy  per-cell mean keeping zeros (NaN still skipped)
  dense_small.npy     float32 (20, 32): does not match the 24x32 labels
  regions.csv         label,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,
                      bbox_max_row,bbox_max_col (scipy center_of_mass / find_objects;
                      bbox max exclusive)
  spots.csv           GeneSegNet-style transcripts: spotX,spotY,gene (pixels)
  spots_cells.npy     int32 cell id of each spot: labels[trunc(y), trunc(x)], -1 outside
  xenium.csv.gz       Xenium-style transcripts: transcript_id,x_location,y_location,
                      feature_name,qv in micrometres (0.2125 um/px), all qv >= 20
  xenium_cells.npy    int32 cell id of each Xenium transcript
  xenium_genes.txt    the distinct feature names in first-seen order
  xenium_counts.npy   int64 (N, genes) counts per cell and gene (genes in xenium_genes.txt order)
  bad_indices.npz     CSR (H*W, 7) with a column index 7 (out of range)
  bad_indptr.npz      CSR (H*W, 7) with a decreasing indptr
  st_wrong_shape.npz  CSR (20*20, 7): does not match the 24x32 mask
  cp_masks.npy        uint32 (24, 32) label image (Xenium-Ranger style): touching cells with
                      distinct ids, a cell with a hole, label 5 unused (an empty cell)
  cp_masks.png        the same labels as a 16-bit PNG (Cellpose *_cp_masks.png)
  cp_means.npy        float64 (9, 7): per-cell mean of st.npz over cp_masks (zeros and NaN
                      skipped), NaN for the unused label 5
  cp_binary_labels.npy  int32: scipy label(binary_fill_holes(cp_masks != 0)): what treating
                      it as a binary mask gives (touching cells merged)
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "cli")

CP_MASKS = """
................................
.1111222.....33333..............
.1111222.....33333.....7777.....
.1111222.....33.33.....7777.....
.1111222.....33333.....77777777.
...44444.....33333........77777.
...44444..................777...
................................
............666666..............
............666666888...........
............666666888.....9.....
......................8.........
................................
..8.............................
................................
................................
................................
................................
................................
................................
................................
................................
................................
................................
"""

MASK = """
................................
.####.....######........##......
.####....#......#.......##......
.#..#....#.####.#.........##....
.####....#.#..#.#.........##....
.........#.####.#...............
.###.....#......#....#.#.#......
.#.#......######......#.#.......
.###.................#.#.#......
...........#..........#.#.......
..........#.#..................#
...........#......########.....#
.....#............#......#.....#
.....#............#.####.#.....#
.....###..........#.#..#.#......
..................#.####.#......
.########.........#......#......
.#......#.........########......
.#......#.......................
.########......#####....#.......
..............##...##..###......
#####.........#.....#...#.......
#...#.........##...##...........
#...#..........#####...........#
""".split()


def save(name: str, array: np.ndarray) -> None:
    np.save(os.path.join(OUT, name), array)


def csr_raw(name: str, data, indices, indptr, shape) -> None:
    """Writes a save_npz-compatible CSR without scipy's validation (for malformed inputs)."""
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        indices=np.asarray(indices, dtype=np.int32),
        indptr=np.asarray(indptr, dtype=np.int32),
        format=np.array(b"csr"),
        shape=np.asarray(shape, dtype=np.int64),
        data=np.asarray(data, dtype=np.float32),
    )
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(buf.getvalue())


def per_cell(labels: np.ndarray, values: np.ndarray, n: int, keep_zeros: bool = False):
    """Per-cell mean/sum/count/min/max of values over labels, f64 accumulation."""
    mean = np.full(n, np.nan)
    total = np.zeros(n)
    count = np.zeros(n, dtype=np.int64)
    lo = np.full(n, np.nan, dtype=np.float32)
    hi = np.full(n, np.nan, dtype=np.float32)
    for k in range(1, n + 1):
        v = values[labels == k]
        v = v[~np.isnan(v)]
        if not keep_zeros:
            v = v[v != 0]
        count[k - 1] = v.size
        total[k - 1] = v.astype(np.float64).sum() if v.size else 0.0
        if v.size:
            mean[k - 1] = v.astype(np.float64).mean()
            lo[k - 1] = v.min()
            hi[k - 1] = v.max()
    return mean, total, count, lo, hi


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240601)

    mask = np.array([[255 if c == "#" else 0 for c in row] for row in MASK], dtype=np.uint8)
    h, w = mask.shape
    save("mask.npy", mask)
    import cv2  # opencv-python-headless, pinned in tests/requirements.txt

    cv2.imwrite(os.path.join(OUT, "mask.png"), mask)
    filled = ndimage.binary_fill_holes(mask)
    save("filled.npy", filled)
    labels, n = ndimage.label(filled)
    labels = labels.astype(np.int32)
    save("labels.npy", labels)
    labels8, _ = ndimage.label(filled, structure=np.ones((3, 3), dtype=bool))
    save("labels8.npy", labels8.astype(np.int32))
    nofill, _ = ndimage.label(mask)
    save("labels_nofill.npy", nofill.astype(np.int32))

    # Non-canonical CSR (H*W, G): per pixel a few genes, some duplicated, unsorted.
    genes = 7
    data, indices, indptr = [], [], [0]
    for r in range(h * w):
        k = rng.integers(0, 4)
        cols = list(rng.integers(0, genes, size=k))
        if k and rng.random() < 0.3:
            cols.append(cols[0])  # duplicate entry: summed by toarray()
        for c in cols:
            roll = rng.random()
            v = 0.0 if roll < 0.05 else (np.nan if roll < 0.08 else rng.lognormal(0.0, 1.0))
            data.append(v)
            indices.append(c)
        indptr.append(len(data))
    st = sp.csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int32)),
        shape=(h * w, genes),
    )
    assert not st.has_canonical_format
    sp.save_npz(os.path.join(OUT, "st.npz"), st, compressed=True)

    dense_all = st.toarray().astype(np.float32)  # duplicates summed in float32, like scipy
    masked = dense_all * (mask.reshape(-1, 1) != 0)
    means_within = np.stack([per_cell(labels, masked[:, g].reshape(h, w), n)[0] for g in range(genes)], 1)
    stats_all = [per_cell(labels, dense_all[:, g].reshape(h, w), n) for g in range(genes)]
    save("st_means_within.npy", means_within)
    # The research script's normalisation range of each masked gene image (NaN aside).
    save("st_pixel_range_within.npy", np.stack([
        [min(0.0, float(np.nanmin(masked[:, g]))), max(0.0, float(np.nanmax(masked[:, g])))] for g in range(genes)
    ]))
    save("st_means.npy", np.stack([s[0] for s in stats_all], 1))
    save("st_counts.npy", np.stack([s[2] for s in stats_all], 1))

    dense = rng.lognormal(0.0, 1.0, size=(h, w)).astype(np.float32)
    dense[rng.random((h, w)) < 0.3] = 0.0
    dense[rng.random((h, w)) < 0.05] = np.nan
    save("dense.npy", dense)
    mean, total, count, lo, hi = per_cell(labels, dense, n)
    save("dense_mean.npy", mean)
    save("dense_sum.npy", total)
    save("dense_count.npy", count)
    save("dense_min.npy", lo)
    save("dense_max.npy", hi)
    save("dense_mean_keepzeros.npy", per_cell(labels, dense, n, keep_zeros=True)[0])
    save("dense_small.npy", dense[:20])

    idx = np.arange(1, n + 1)
    areas = ndimage.sum_labels(np.ones_like(labels), labels, idx).astype(np.int64)
    centroids = ndimage.center_of_mass(np.ones_like(labels, dtype=np.float64), labels, idx)
    objects = ndimage.find_objects(labels)
    with open(os.path.join(OUT, "regions.csv"), "w") as f:
        f.write("label,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col\n")
        for k in range(n):
            rs, cs = objects[k]
            cr, cc = centroids[k]
            f.write(f"{k + 1},{areas[k]},{float(cr)!r},{float(cc)!r},{rs.start},{cs.start},{rs.stop},{cs.stop}\n")

    # GeneSegNet spots, pixels; a few outside the image.
    names = ["ACTB", "CD3E", "EPCAM", "MKI67"]
    m = 200
    xs = rng.uniform(-1.5, w + 1.5, m).round(3)
    ys = rng.uniform(-1.5, h + 1.5, m).round(3)
    gs = rng.integers(0, len(names), m)
    with open(os.path.join(OUT, "spots.csv"), "w") as f:
        f.write("spotX,spotY,gene\n")
        for x, y, g in zip(xs, ys, gs):
            f.write(f"{x},{y},{names[g]}\n")

    def lookup(x: float, y: float) -> int:
        """GeneSegNet's labels[int(y), int(x)]; -1 outside the image (cellmap's mapping CSV)."""
        r, c = int(y), int(x)
        return int(labels[r, c]) if 0 <= x and 0 <= y and r < h and c < w else -1

    save("spots_cells.npy", np.array([lookup(x, y) for x, y in zip(xs, ys)], dtype=np.int32))

    # Xenium, micrometres; inside the image only, gene names in first-seen order.
    scale = 0.2125
    xnames = ["GAPDH", "KRT8", "PTPRC"]
    px = rng.uniform(0, w, m)
    py = rng.uniform(0, h, m)
    xum = (px * scale).round(4)
    yum = (py * scale).round(4)
    xg = rng.integers(0, len(xnames), m)
    text = "transcript_id,x_location,y_location,feature_name,qv\n" + "".join(
        f"{281474976710656 + i},{x},{y},{xnames[g]},{30 + (i % 10)}\n" for i, (x, y, g) in enumerate(zip(xum, yum, xg))
    )
    with open(os.path.join(OUT, "xenium.csv.gz"), "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as z:
            z.write(text.encode())
    cells = np.array([lookup(x / scale, y / scale) for x, y in zip(xum, yum)], dtype=np.int32)
    save("xenium_cells.npy", cells)
    seen = list(dict.fromkeys(xnames[g] for g in xg))
    with open(os.path.join(OUT, "xenium_genes.txt"), "w") as f:
        f.write("".join(s + "\n" for s in seen))
    counts = np.zeros((n, len(seen)), dtype=np.int64)
    for c, g in zip(cells, xg):
        if c > 0:
            counts[c - 1, seen.index(xnames[g])] += 1
    save("xenium_counts.npy", counts)

    # Malformed CSRs.
    ok_indptr = np.zeros(h * w + 1, dtype=np.int32)
    ok_indptr[1:] = 1
    csr_raw("bad_indices.npz", [1.0], [genes], ok_indptr, (h * w, genes))
    bad_indptr = np.zeros(h * w + 1, dtype=np.int32)
    bad_indptr[5:] = 2
    bad_indptr[6] = 1
    csr_raw("bad_indptr.npz", [1.0, 2.0], [0, 1], bad_indptr, (h * w, genes))
    small = sp.random(20 * 20, genes, density=0.05, format="csr", dtype=np.float32, random_state=3)
    sp.save_npz(os.path.join(OUT, "st_wrong_shape.npz"), small)

    # An already-labelled mask: used as is, touching cells stay apart (label 8 has two parts).
    cp = np.array([[0 if c == "." else int(c) for c in row] for row in CP_MASKS.strip().splitlines()], dtype=np.uint32)
    assert cp.shape == (h, w) and 5 not in cp
    save("cp_masks.npy", cp)
    cv2.imwrite(os.path.join(OUT, "cp_masks.png"), cp.astype(np.uint16))
    n_cp = int(cp.max())
    save("cp_means.npy", np.stack([per_cell(cp, dense_all[:, g].reshape(h, w), n_cp)[0] for g in range(genes)], 1))
    merged, _ = ndimage.label(ndimage.binary_fill_holes(cp != 0))
    save("cp_binary_labels.npy", merged.astype(np.int32))

    # zipfile is imported so a reader sees how the npz members were made; check they are there.
    with zipfile.ZipFile(os.path.join(OUT, "st.npz")) as z:
        assert sorted(z.namelist()) == ["data.npy", "format.npy", "indices.npy", "indptr.npy", "shape.npy"]
    print(f"wrote {OUT}: {n} cells, {genes} genes")


if __name__ == "__main__":
    main()
