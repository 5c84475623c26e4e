"""Times the Python peers of cellmap's per-cell statistics on the bench data.

    .venv/bin/python bench/peers/stats.py [--data target/bench-data] [--json] [--repeat 7]

Inputs (made by ``bash bench/make-data.sh``): ``mask_1024x1024_s0.npy``
(filled and labelled here with scipy, 4-connectivity) and
``st_1024x1024_s0_g5100_d0.01.npz`` (pixel x gene CSR). The dense value
image is the same deterministic image the Rust benchmark
(``tests/benches/stats.rs``) uses: ``(p * 2654435761 mod 1000) / 100`` for
pixel ``p``. File reading is never timed. Median ms per peer, as **CPU time
of the thread** (``time.thread_time``, like the Rust bench's measurement:
the bench machines are shared, so wall time mostly measures the scheduler;
``--wall`` for wall-clock time):

* ``bincount``: ``np.bincount(labels, weights)`` — the dense-mean target;
* ``bincount_mean_skip``: the full zero/NaN-skipping mean with two
  bincounts (what cellmap's ``cell_means`` computes);
* ``ndimage_mean``: ``scipy.ndimage.mean(values, labels, index)``;
* ``indicator_product``: ``A @ X`` with ``A`` the (N, H*W) 0/1 indicator
  CSR (how ``scanpy.get.aggregate`` sums cells), ``A`` built outside;
* ``indicator_build``: building that ``A``;
* ``tocsc``: ``X.tocsc()`` (the gene-major transpose);
* ``gene_bincount``: one gene's per-cell sums from the CSC form.
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import scipy.sparse as sp
from scipy import ndimage


CLOCK = time.thread_time  # CPU time of this thread; --wall switches to time.perf_counter


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        fn()
        times.append((CLOCK() - t0) * 1e3)
    return statistics.median(times)


def dense_values(h, w):
    p = np.arange(h * w, dtype=np.uint64)
    return ((p * np.uint64(2654435761)) % np.uint64(1000)).astype(np.float32).reshape(h, w) / np.float32(100)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "target", "bench-data"))
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ap.add_argument("--skip-csr", action="store_true", help="only the dense peers (no 26 M-nnz load)")
    ap.add_argument("--wall", action="store_true", help="wall-clock instead of thread CPU time")
    args = ap.parse_args()
    global CLOCK
    if args.wall:
        CLOCK = time.perf_counter

    mask = np.load(os.path.join(args.data, "mask_1024x1024_s0.npy"))
    labels, n = ndimage.label(ndimage.binary_fill_holes(mask != 0))
    flat = labels.ravel()
    values = dense_values(*mask.shape)
    v = values.ravel()
    index = np.arange(1, n + 1)
    results = {"cells": int(n), "pixels": int(flat.size), "clock": "wall" if args.wall else "thread_cpu"}

    results["bincount"] = median_ms(lambda: np.bincount(flat, v, minlength=n + 1), args.repeat)

    def skip_mean():
        ok = (v != 0) & ~np.isnan(v)
        s = np.bincount(flat[ok], v[ok], minlength=n + 1)
        c = np.bincount(flat[ok], minlength=n + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / c

    results["bincount_mean_skip"] = median_ms(skip_mean, args.repeat)
    results["ndimage_mean"] = median_ms(lambda: ndimage.mean(values, labels, index), args.repeat)

    if not args.skip_csr:
        x = sp.load_npz(os.path.join(args.data, "st_1024x1024_s0_g5100_d0.01.npz")).tocsr()
        results["nnz"], results["genes"] = int(x.nnz), int(x.shape[1])
        fg = np.flatnonzero(flat)

        def build():
            return sp.csr_matrix((np.ones(fg.size, np.float32), (flat[fg] - 1, fg)), shape=(n, flat.size))

        a = build()
        results["indicator_build"] = median_ms(build, min(args.repeat, 3))
        results["indicator_product"] = median_ms(lambda: a @ x, args.repeat)
        results["tocsc"] = median_ms(lambda: x.tocsc(), min(args.repeat, 3))
        xc = x.tocsc()
        start, end = xc.indptr[7], xc.indptr[8]
        rows, vals = xc.indices[start:end], xc.data[start:end]
        results["gene_bincount"] = median_ms(
            lambda: np.bincount(flat[rows], vals, minlength=n + 1), max(args.repeat, 21)
        )

    if args.json:
        print(json.dumps(results))
    else:
        nnz = f", {results['nnz']} nnz" if "nnz" in results else ""
        print(f"peers on {results['pixels']} px, {n} cells{nnz} ({results['clock']} ms, median)")
        for key, val in results.items():
            if key not in ("cells", "pixels", "nnz", "genes", "clock"):
                print(f"  {key:20s} {val:10.3f} ms")


if __name__ == "__main__":
    main()
