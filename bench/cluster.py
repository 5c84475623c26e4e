#!/usr/bin/env python3
"""Clustering benchmark: cellmap's k-means and diagonal Gaussian mixture against scikit-learn on
the same 50,000-cell table, from the same initial centres / parameters, in the same run.

Usage (from a checkout, with the project venv):

    .venv/bin/python bench/cluster.py [--cells 50000] [--features 30] [--k 7] [--repeats 5]
                                      [--clock cpu|wall] [--data DIR] [--json]

It writes DIR (default: a temporary folder) with a table of --cells rows drawn around --k
anisotropic centres in --features dimensions (the size of a PCA embedding), the k-means++ centres
of sklearn.cluster.kmeans_plusplus(random_state=0) and the GMM start that
GaussianMixture(init_params="kmeans") would derive from the KMeans labels (weights, means,
precisions), then times:

  * k-means   sklearn KMeans(init=centres, n_init=1, max_iter=300, tol=1e-4)  | cellmap_core::cluster::kmeans_lloyd
  * GMM fit   sklearn GaussianMixture(covariance_type="diag", weights_init,     | cellmap_core::cluster::gmm_diag_fit
              means_init, precisions_init, max_iter=100, tol=1e-3)

sklearn runs twice: with its default threads (OpenMP/BLAS on every core) and limited to one
thread (threadpoolctl); cellmap's kernels use one thread. cellmap's figures come from
`cargo bench -p cellmap-tests --bench cluster -- DIR` (release build), run by this script. Times
are medians over --repeats runs of --clock: "cpu" (default; the machines are shared and loaded,
so wall time mostly measures the scheduler) is the thread CPU time of cellmap's kernel and of
single-threaded sklearn (time.thread_time), and the process CPU time of all of sklearn's threads
with its default threads (time.process_time: the work it spends); "wall" is wall-clock time for
all. Ratios are sklearn time / cellmap time (> 1 means cellmap is faster). The iteration counts of
both sides are printed: they must agree, and the labels are compared (ARI).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KMEANS = (300, 1e-4)
GMM = (100, 1e-3, 1e-6)


def median_ms(fn, repeats, now):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = now()
        fn()
        times.append((now() - start) * 1e3)
    return statistics.median(times)


def make_data(dir_, cells, features, k):
    rng = np.random.default_rng(7)
    centres = rng.normal(0.0, 1.0, (k, features))  # overlapping: tens of iterations
    scales = rng.uniform(0.5, 2.0, (k, features))
    labels = rng.integers(0, k, cells)
    x = centres[labels] + rng.normal(0.0, 1.0, (cells, features)) * scales[labels]
    init, _ = kmeans_plusplus(x, k, random_state=0)
    km_labels = KMeans(k, init=init, n_init=1).fit(x).labels_
    resp = np.zeros((cells, k))
    resp[np.arange(cells), km_labels] = 1.0
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
    means = resp.T @ x / nk[:, None]
    variances = resp.T @ (x * x) / nk[:, None] - means**2 + GMM[2]
    np.save(os.path.join(dir_, "x.npy"), x)
    np.save(os.path.join(dir_, "kmeans_init.npy"), init)
    np.save(os.path.join(dir_, "gmm_weights.npy"), nk / cells)
    np.save(os.path.join(dir_, "gmm_means.npy"), means)
    np.save(os.path.join(dir_, "gmm_precisions.npy"), 1.0 / variances)
    np.save(os.path.join(dir_, "params.npy"), np.array([*KMEANS, *GMM], dtype=np.float64))
    return x, init, (nk / cells, means, 1.0 / variances)


def sklearn_times(x, init, gmm_init, repeats, now):
    k = init.shape[0]
    out = {}

    def kmeans():
        out["kmeans"] = KMeans(k, init=init, n_init=1, max_iter=KMEANS[0], tol=KMEANS[1]).fit(x)

    def gmm():
        w, m, p = gmm_init
        out["gmm"] = GaussianMixture(k, covariance_type="diag", weights_init=w, means_init=m, precisions_init=p,
                                     max_iter=GMM[0], tol=GMM[1], reg_covar=GMM[2]).fit(x)

    times = {"kmeans_ms": median_ms(kmeans, repeats, now), "gmm_ms": median_ms(gmm, repeats, now)}
    return times, out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cells", type=int, default=50_000)
    ap.add_argument("--features", type=int, default=30)
    ap.add_argument("--k", type=int, default=7)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    ap.add_argument("--data")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = None
    if args.data:
        os.makedirs(args.data, exist_ok=True)
        dir_ = args.data
    else:
        tmp = tempfile.TemporaryDirectory()
        dir_ = tmp.name
    x, init, gmm_init = make_data(dir_, args.cells, args.features, args.k)

    env = dict(os.environ, REPEATS=str(args.repeats), CELLMAP_BENCH_CLOCK=args.clock)
    done = subprocess.run(["cargo", "bench", "-q", "-p", "cellmap-tests", "--bench", "cluster", "--", dir_],
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    ours = json.loads(done.stdout.strip().splitlines()[-1])

    wall = args.clock == "wall"
    peer_default, fitted = sklearn_times(x, init, gmm_init, args.repeats,
                                         time.perf_counter if wall else time.process_time)
    with threadpool_limits(limits=1):
        peer_single, _ = sklearn_times(x, init, gmm_init, args.repeats,
                                       time.perf_counter if wall else time.thread_time)

    km_labels = np.fromfile(os.path.join(dir_, "cellmap_kmeans_labels.bin"), dtype="<u4")
    gmm_labels = np.fromfile(os.path.join(dir_, "cellmap_gmm_labels.bin"), dtype="<u4")
    report = {
        "cells": args.cells, "features": args.features, "k": args.k, "repeats": args.repeats,
        "clock": args.clock,
        "cellmap": ours,
        "sklearn_default_threads": peer_default,
        "sklearn_one_thread": peer_single,
        "sklearn_kmeans_iterations": int(fitted["kmeans"].n_iter_),
        "sklearn_gmm_iterations": int(fitted["gmm"].n_iter_),
        "sklearn_inertia": float(fitted["kmeans"].inertia_),
        "sklearn_lower_bound": float(fitted["gmm"].lower_bound_),
        "kmeans_labels_ari": adjusted_rand_score(fitted["kmeans"].labels_, km_labels),
        "gmm_labels_ari": adjusted_rand_score(fitted["gmm"].predict(x), gmm_labels),
    }
    for kernel in ("kmeans", "gmm"):
        report[f"{kernel}_ratio_default_threads"] = peer_default[f"{kernel}_ms"] / ours[f"{kernel}_ms"]
        report[f"{kernel}_ratio_one_thread"] = peer_single[f"{kernel}_ms"] / ours[f"{kernel}_ms"]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    what = "wall ms" if wall else "CPU ms (sklearn default threads: all threads' CPU)"
    print(f"{args.cells} cells x {args.features} features, k = {args.k}; median {what} of {args.repeats}")
    print(f"{'kernel':<8} {'cellmap':>9} {'sklearn':>9} {'ratio':>7} {'sklearn 1 thr':>14} {'ratio':>7}  iterations (cellmap / sklearn)")
    for kernel, it_ours, it_peer in (("kmeans", ours["kmeans_iterations"], report["sklearn_kmeans_iterations"]),
                                     ("gmm", ours["gmm_iterations"], report["sklearn_gmm_iterations"])):
        print(f"{kernel:<8} {ours[kernel + '_ms']:>9.2f} {peer_default[kernel + '_ms']:>9.2f} "
              f"{report[kernel + '_ratio_default_threads']:>6.2f}x {peer_single[kernel + '_ms']:>14.2f} "
              f"{report[kernel + '_ratio_one_thread']:>6.2f}x  {it_ours} / {it_peer}")
    print(f"inertia {ours['inertia']:.6f} / {report['sklearn_inertia']:.6f}; lower bound "
          f"{ours['lower_bound']:.9f} / {report['sklearn_lower_bound']:.9f}; labels ARI k-means "
          f"{report['kmeans_labels_ari']:.6f}, GMM {report['gmm_labels_ari']:.6f}")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
