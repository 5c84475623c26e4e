#!/usr/bin/env python3
"""End-to-end clustering recipe: `cellmap cluster` against scanpy + scikit-learn on the same
counts, in the same run (the Bio_GMM_VGAE preprocessing, then a diagonal Gaussian mixture).

Usage (from a checkout, after `cargo build --release -p cellmap-cli`):

    .venv/bin/python bench/cluster_recipe.py [--cells 10000] [--genes 2000] [--hvg 500] [--pcs 30]
                                             [--k 7] [--cellmap target/release/cellmap]

Both sides: seurat_v3 highly variable genes on the raw counts, normalize_total(1e4), log1p, the
HVG subset, PCA, GaussianMixture(k, covariance_type="diag", random_state=0). scanpy's PCA runs
with svd_solver="full" in float64 (its default ARPACK + float32 agrees to float32 rounding).
The peer runs with one BLAS / OpenMP thread. Times: cellmap's whole process (reading the .npy,
writing the CSV) as wall and user+system CPU; the peer's steps (the counts already in memory)
as wall and process CPU. The labels of both are compared: they must be identical.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import warnings  # noqa: E402

import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import scanpy as sc  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=int, default=10_000)
    ap.add_argument("--genes", type=int, default=2_000)
    ap.add_argument("--hvg", type=int, default=500)
    ap.add_argument("--pcs", type=int, default=30)
    ap.add_argument("--k", type=int, default=7)
    ap.add_argument("--cellmap", default=os.path.join(ROOT, "target", "release", "cellmap"))
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    groups = rng.integers(0, args.k, args.cells)
    base = np.exp(rng.uniform(np.log(0.05), np.log(20.0), args.genes))
    effect = np.exp(rng.normal(0.0, 0.3, (args.k, args.genes)))
    counts = rng.poisson(rng.gamma(2.0, base[None, :] * effect[groups] / 2.0)).astype(np.int32)

    with tempfile.TemporaryDirectory() as tmp:
        table = os.path.join(tmp, "counts.npy")
        out = os.path.join(tmp, "clusters.csv")
        np.save(table, counts)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([args.cellmap, "cluster", table, "-o", out, "--hvg", str(args.hvg), "--normalize",
                        "--log1p", "--pca", str(args.pcs), "--k", str(args.k), "--seed", "0"],
                       check=True, capture_output=True)
        ours_wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        ours = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)[:, 1]

    x = counts.astype(np.float64)
    start, cpu = time.perf_counter(), time.process_time()
    a = ad.AnnData(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.pp.highly_variable_genes(a, flavor="seurat_v3", n_top_genes=args.hvg)
    sc.pp.normalize_total(a, target_sum=1e4)
    sc.pp.log1p(a)
    a = a[:, a.var["highly_variable"].to_numpy()].copy()
    sc.pp.pca(a, n_comps=args.pcs, svd_solver="full", dtype="float64")
    peer = GaussianMixture(args.k, covariance_type="diag", random_state=0).fit_predict(a.obsm["X_pca"])
    peer_wall, peer_cpu = time.perf_counter() - start, time.process_time() - cpu

    same = int((peer == ours).sum())
    print(f"{args.cells} cells x {args.genes} genes -> {args.hvg} HVGs -> {args.pcs} PCs -> GMM k = {args.k}")
    print(f"cellmap cluster (whole process): {ours_wall * 1e3:8.0f} ms wall {ours_cpu * 1e3:8.0f} ms CPU")
    print(f"scanpy + sklearn (1 thread):     {peer_wall * 1e3:8.0f} ms wall {peer_cpu * 1e3:8.0f} ms CPU")
    print(f"ratio (peer / cellmap): wall {peer_wall / ours_wall:.2f}x, CPU {peer_cpu / ours_cpu:.2f}x; "
          f"identical labels: {same} of {args.cells}")


if __name__ == "__main__":
    main()
