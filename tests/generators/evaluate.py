"""Writes the prediction-evaluation fixtures into tests/fixtures/evaluate/.

Run with the project venv: .venv/bin/python tests/generators/evaluate.py

A Voronoi label image (300 cells) gives the cells and their centroids
(``ndimage.center_of_mass``). The measured table has spatial genes (smooth functions of the
centroid plus noise), noise genes and one constant gene; the prediction is the measured table
plus noise of growing strength, with some NaNs. References (SEED-SYSTEMS.md section 4.3):

* per-gene PCC: pandas ``DataFrame.corrwith`` (pairwise-complete, NaN for a constant column);
  its mean and median over the finite values (``np.nanmean``, ``np.nanmedian``);
* Moran's I on the directed k = 8 nearest-centroid graph (numpy brute force, ties by the
  smaller cell), binary weights, GHIST+'s ``(N / (k N)) sum_i sum_j z_i z_j / sum_i z_i^2``,
  0 when the denominator is 0; SVGs = genes by Moran's I of the measured table, descending
  (ties by gene index); median PCC of the top 20 and top 50 (finite PCCs).

Files: ``labels.npy``, ``centroids.npy`` (row, col per cell 1..N), ``pred.csv`` (unnamed index
column = cell id, then genes), ``measured.npy`` (cells x genes, row k-1 = cell k),
``genes.txt``, ``pcc.npy``, ``summary.npy`` (mean, median, NaN count), ``morans_i.npy``,
``svg_order.npy``, ``top_median.npy`` (top 20, top 50).
"""
import os

import numpy as np
import pandas as pd
from scipy import ndimage

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "evaluate")
K = 8


def knn(xs, ys, k):
    n = xs.size
    out = np.zeros((n, k), np.int64)
    idx = np.arange(n)
    for i in range(n):
        others = idx[idx != i]
        dx, dy = xs[others] - xs[i], ys[others] - ys[i]
        out[i] = others[np.lexsort((others, dx * dx + dy * dy))[:k]]
    return out


def morans_i(x, nn):
    n, k = nn.shape
    z = x - x.mean(axis=0)
    num = (z * z[nn].sum(axis=1)).sum(axis=0)
    den = (z * z).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        i = (n / (k * n)) * num / den
    return np.where((den > 0) & np.isfinite(i), i, 0.0)


def main():
    rng = np.random.default_rng(55)
    h, w, n = 160, 200, 300
    seeds = np.stack([rng.uniform(0, h, n), rng.uniform(0, w, n)], axis=1)
    yy, xx = np.mgrid[0:h, 0:w]
    d2 = (yy[..., None] - seeds[:, 0]) ** 2 + (xx[..., None] - seeds[:, 1]) ** 2
    labels = (d2.argmin(axis=2) + 1).astype(np.int32)
    centroids = np.array(ndimage.center_of_mass(np.ones_like(labels), labels, np.arange(1, n + 1)))
    rows, cols = centroids[:, 0], centroids[:, 1]
    g = 70
    measured = np.empty((n, g))
    for j in range(g):
        if j < 30:  # spatial
            fx, fy, phase = rng.uniform(0.01, 0.06, 3)
            measured[:, j] = 3 + 2 * np.sin(fx * cols + phase * 50) * np.cos(fy * rows) + rng.normal(0, 0.3 * (j % 5 + 1), n)
        else:
            measured[:, j] = rng.gamma(2.0, 1.0, n)
    measured[:, 40] = 1.5  # constant
    pred = measured + rng.normal(0, 1, (n, g)) * np.linspace(0.1, 3, g)
    pred[rng.random((n, g)) < 0.02] = np.nan
    pred[:, 41] = 0.0  # constant prediction
    genes = [f"G{j:02d}" for j in range(g)]
    pcc = pd.DataFrame(pred, columns=genes).corrwith(pd.DataFrame(measured, columns=genes)).to_numpy()
    finite = pcc[np.isfinite(pcc)]
    summary = np.array([np.nanmean(finite), np.nanmedian(finite), np.isnan(pcc).sum()])
    nn = knn(cols, rows, K)
    mi = morans_i(measured, nn)
    order = np.lexsort((np.arange(g), -mi))
    top = []
    for k in (20, 50):
        v = pcc[order[:k]]
        top.append(np.median(v[np.isfinite(v)]))
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "labels.npy"), labels)
    np.save(os.path.join(OUT, "centroids.npy"), centroids)
    frame = pd.DataFrame(pred, columns=genes, index=np.arange(1, n + 1))
    frame.to_csv(os.path.join(OUT, "pred.csv"), float_format="%.17g")
    np.save(os.path.join(OUT, "measured.npy"), measured)
    with open(os.path.join(OUT, "genes.txt"), "w") as f:
        f.write("".join(x + "\n" for x in genes))
    np.save(os.path.join(OUT, "pcc.npy"), pcc)
    np.save(os.path.join(OUT, "summary.npy"), summary)
    np.save(os.path.join(OUT, "morans_i.npy"), mi)
    np.save(os.path.join(OUT, "svg_order.npy"), order.astype(np.int64))
    np.save(os.path.join(OUT, "top_median.npy"), np.array(top))
    print(f"evaluate fixtures: {n} cells x {g} genes, mean PCC {summary[0]:.4f} -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
