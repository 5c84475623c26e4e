#!/usr/bin/env python3
"""Issue 16's analysis kernels against their Python peers, in one run on the same inputs.

Usage (from a checkout; the project venv has numpy, scipy and scikit-learn):

    .venv/bin/python bench/analysis.py [--cells 50000] [--genes 5000] [--repeats 3] [--no-squidpy]

It writes a synthetic table (cells on a jittered lattice in a 4,000 px square, per-gene smooth
spatial patterns plus gamma noise, float64) under $CARGO_TARGET_DIR/bench-data (or target/), runs
`cargo bench -p cellmap-tests --bench analysis` on it (tests/benches/analysis.rs: cellmap's
kernels, median wall time of REPEATS after a warm-up), then times the peers the same way:

  * kNN graph (k = 5, OR-symmetrised): sklearn NearestNeighbors(n_neighbors=6).kneighbors,
    self dropped, then scipy.sparse (A + A.T) > 0 — Bio_GMM_VGAE's "Stereo"/"Slide" path;
  * smoothing (K = 1): scipy.sparse diags(d^-1/2) @ (A + I) @ diags(d^-1/2) @ X, X the whole
    cells x genes table (the normalisation included, as cellmap's kernel computes it too);
  * Moran's I of every gene on the directed 8-NN graph (GHIST+): numpy/scipy.sparse
    z = X - mean, I = (N / S0) * sum(z * (W @ z)) / sum(z * z); and squidpy
    sq.gr.spatial_autocorr(mode="moran", n_perms=None, transformation=True) on the same graph,
    run in its own venv bench/.venvs/squidpy (squidpy 1.8.2 pins a dask older than the project's;
    made once by this script) unless --no-squidpy.

The results are checked against each other (graph entries, smoothed checksum, Moran's I) and a
table of times and ratios (peer / cellmap; > 1: cellmap is faster) is printed. The machine is
shared and has 2 cores: sklearn and squidpy may use both, cellmap's kernels use one.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

ROOT = Path(__file__).resolve().parent.parent
SQUIDPY_VENV = ROOT / "bench" / ".venvs" / "squidpy"
SQUIDPY_PINS = ["squidpy==1.8.2", "numpy==2.4.6", "scipy==1.17.1", "scikit-learn==1.9.1"]


def timed(repeats, f):
    f()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def make_data(d: Path, n: int, g: int) -> None:
    if (d / "shape.txt").is_file() and (d / "shape.txt").read_text().split() == [str(n), str(g)]:
        return
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(16)
    side = int(np.ceil(np.sqrt(n)))
    idx = np.arange(n)
    step = 4000.0 / side
    x = (idx % side + 0.5) * step + rng.uniform(-0.35, 0.35, n) * step
    y = (idx // side + 0.5) * step + rng.uniform(-0.35, 0.35, n) * step
    np.stack([x, y], axis=1).astype("<f8").tofile(d / "coords.f64")
    with open(d / "table.f64", "wb") as f:
        for start in range(0, n, 2000):
            rows = slice(start, min(n, start + 2000))
            fx = (np.arange(g) % 17 + 1) / 4000.0
            block = rng.gamma(2.0, 1.0, (rows.stop - rows.start, g))
            block += 2 * np.sin(np.outer(x[rows], fx)) * np.cos(np.outer(y[rows], fx[::-1]))
            block.astype("<f8").tofile(f)
    (d / "shape.txt").write_text(f"{n} {g}\n")


def knn_graph(coords, k):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(coords)
    _, ind = nn.kneighbors(coords)
    n = coords.shape[0]
    rows = np.repeat(np.arange(n), k)
    a = sp.csr_matrix((np.ones(n * k), (rows, ind[:, 1:].ravel())), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.float64).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def knn_directed(coords, k):
    _, ind = NearestNeighbors(n_neighbors=k + 1).fit(coords).kneighbors(coords)
    n = coords.shape[0]
    return sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), ind[:, 1:].ravel())), shape=(n, n))


def smooth(a, x):
    n = a.shape[0]
    a_hat = (a + sp.eye(n, format="csr")).tocsr()
    dinv = 1.0 / np.sqrt(np.asarray(a_hat.sum(1)).ravel())
    s = (sp.diags(dinv) @ a_hat @ sp.diags(dinv)).tocsr()
    return s @ x


def morans_i(w, x):
    n = x.shape[0]
    z = x - x.mean(axis=0)
    num = (z * (w @ z)).sum(axis=0)
    den = (z * z).sum(axis=0)
    return (n / w.sum()) * num / den


SQUIDPY_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np, scipy.sparse as sp, anndata as ad, squidpy as sq
from sklearn.neighbors import NearestNeighbors
warnings.filterwarnings("ignore")
d, n, g, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
coords = np.fromfile(d + "/coords.f64", "<f8").reshape(n, 2)
x = np.fromfile(d + "/table.f64", "<f8").reshape(n, g)
_, ind = NearestNeighbors(n_neighbors=9).fit(coords).kneighbors(coords)
w = sp.csr_matrix((np.ones(n * 8), (np.repeat(np.arange(n), 8), ind[:, 1:].ravel())), shape=(n, n))
adata = ad.AnnData(X=x)
adata.var_names = [f"g{i}" for i in range(g)]
adata.obsm["spatial"] = coords
adata.obsp["spatial_connectivities"] = w
def run():
    return sq.gr.spatial_autocorr(adata, mode="moran", n_perms=None, transformation=True, copy=True, n_jobs=2, show_progress_bar=False)
run()
times = []
for _ in range(repeats):
    t = time.perf_counter(); df = run(); times.append(time.perf_counter() - t)
i = df["I"].reindex(adata.var_names).to_numpy()
print(json.dumps({"morans_i_s": float(np.median(times)), "morans_i_sum": float(np.nansum(i)), "first": i[:5].tolist(), "version": sq.__version__}))
"""


def squidpy_python() -> Path | None:
    python = SQUIDPY_VENV / "bin" / "python"
    if not python.is_file():
        base = Path(sys.base_prefix) / "bin" / "python3"
        subprocess.run([str(base), "-m", "venv", str(SQUIDPY_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *SQUIDPY_PINS], check=True)
    ok = subprocess.run([str(python), "-c", "import squidpy"], capture_output=True).returncode == 0
    return python if ok else None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", type=int, default=50_000)
    p.add_argument("--genes", type=int, default=5_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-squidpy", action="store_true")
    args = p.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    d = target / "bench-data" / f"analysis-{args.cells}x{args.genes}"
    make_data(d, args.cells, args.genes)
    n, g = args.cells, args.genes
    rust = subprocess.run(
        ["cargo", "bench", "-q", "-p", "cellmap-tests", "--bench", "analysis", "--", str(d), str(args.repeats)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    ours = json.loads(rust.stdout.strip().splitlines()[-1])
    coords = np.fromfile(d / "coords.f64", "<f8").reshape(n, 2)
    x = np.fromfile(d / "table.f64", "<f8").reshape(n, g)
    rows = []
    knn_s, a = timed(args.repeats, lambda: knn_graph(coords, 5))
    assert a.nnz == ours["knn_graph_entries"], (a.nnz, ours["knn_graph_entries"])
    rows.append(("kNN graph (k=5, OR)", "sklearn NearestNeighbors + scipy.sparse", knn_s, ours["knn_graph_s"]))
    smooth_s, smoothed = timed(args.repeats, lambda: smooth(a, x))
    checksum = float(smoothed.sum())
    assert abs(checksum - ours["smooth_checksum"]) <= 1e-9 * abs(checksum), (checksum, ours["smooth_checksum"])
    del smoothed
    rows.append(("smoothing K=1", "scipy.sparse D^-1/2 (A+I) D^-1/2 @ X", smooth_s, ours["smooth_s"]))
    w = knn_directed(coords, 8)
    moran_s, mi = timed(args.repeats, lambda: morans_i(w, x))
    assert np.allclose(mi[:5], ours["morans_i_first"], rtol=1e-9, atol=1e-12), (mi[:5], ours["morans_i_first"])
    rows.append((f"Moran's I ({g} genes)", "numpy + scipy.sparse", moran_s, ours["morans_i_s"]))
    del x
    if not args.no_squidpy:
        python = squidpy_python()
        if python is None:
            print("squidpy: not installable here, skipped", file=sys.stderr)
        else:
            out = subprocess.run([str(python), "-c", SQUIDPY_SCRIPT, str(d), str(n), str(g), str(args.repeats)],
                                 check=True, capture_output=True, text=True)
            sq = json.loads(out.stdout.strip().splitlines()[-1])
            assert np.allclose(sq["first"], ours["morans_i_first"], rtol=1e-6), (sq["first"], ours["morans_i_first"])
            rows.append((f"Moran's I ({g} genes)", f"squidpy {sq['version']} spatial_autocorr, n_jobs=2", sq["morans_i_s"], ours["morans_i_s"]))
    print(f"{n:,} cells x {g:,} genes, median of {args.repeats} (wall s); ratio = peer / cellmap")
    print(f"{'kernel':<24} {'peer':<44} {'peer s':>9} {'cellmap s':>10} {'ratio':>7}")
    for kernel, peer, ps, cs in rows:
        print(f"{kernel:<24} {peer:<44} {ps:>9.4f} {cs:>10.4f} {ps / cs:>7.1f}")


if __name__ == "__main__":
    main()
