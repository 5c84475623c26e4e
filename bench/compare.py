#!/usr/bin/env python3
"""Peer comparison: cellmap against scipy / OpenCV / numpy on the same inputs, in the same run.

Usage (from a checkout, after `bash bench/make-data.sh` and `cargo build --release -p cellmap-cli`):

    .venv/bin/python bench/compare.py [--data target/bench-data] [--cellmap target/release/cellmap]
                                      [--repeats 5] [--research-genes 2] [--clock wall|cpu] [--json]

It times, on the 1024x1024 synthetic tile (mask_1024x1024_s0.npy, 2,487 cells) and its CSR
expression (st_1024x1024_s0_g5100_d0.01.npz: 5,100 genes, 26 M nonzeros):

  * fill holes         scipy.ndimage.binary_fill_holes | OpenCV floodFill      | cellmap fill_holes
  * label (4-conn.)    scipy.ndimage.label | cv2.connectedComponents, 1 thread | cellmap label
  * fill + label       scipy | OpenCV                                          | cellmap fill + label
  * per-cell mean      ndimage.mean | np.bincount (one dense gene)             | cellmap mean (dense)
  * all-genes CSR      sparse indicator products A @ X and A @ (X != 0)        | cellmap CSR per-cell mean
                       (sums and nonzero counts: the zero-skipping mean)       | (zeros skipped)
                       scanpy.get.aggregate's mean, (A @ X) / cell area        | the same, --keep-zeros
  * whole tile job     the research script's approach on the 100-gene file     | `cellmap run` on a
                       (load_npz + toarray + mask + per-cell loop per gene;      folder holding the
                       the loop is timed on --research-genes genes and           5,100-gene tile, end
                       extrapolated linearly to 100 and 5,100 genes)             to end incl. I/O
  * label 4096² mask  an OpenCV-in-Python process: np.load + floodFill fill      | `cellmap label`, whole
    (whole process)  + connectedComponents + np.save (wall or CPU time, RSS)  | process, same output

cellmap's kernel figures come from `cellmap bench --json --data DIR` run by this script; the peer
figures are medians over --repeats runs. The OpenCV peer functions of bench/peers/labeling.py
(opencv_fill, opencv_label, scipy_fill_label, opencv_fill_label) are reused when that module exists. Ratios are peer time / cellmap time
(> 1 means cellmap is faster). The machines are shared and noisy: quote ratios from one run, and
prefer --clock cpu (thread CPU time for the single-threaded kernels and peers; the whole-tile job
then compares cellmap's CPU time over all its threads) when other work runs on the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
now = CLOCKS["wall"]


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = now()
        fn()
        times.append((now() - t0) * 1e3)
    return statistics.median(times)


def load_peer_module(name: str):
    """bench/peers/<name>.py, written by the labeling / stats work, if present."""
    path = os.path.join(ROOT, "bench", "peers", f"{name}.py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location(f"peers_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # a broken peer module must not stop the comparison
        print(f"note: bench/peers/{name}.py not usable ({e}); using built-in peers", file=sys.stderr)
        return None
    finally:
        sys.path.pop(0)
    return module


def peer_fn(module, names, fallback):
    """The first of `names` that `module` defines, else `fallback`."""
    for name in names:
        fn = getattr(module, name, None) if module is not None else None
        if callable(fn):
            return fn
    return fallback


# ---------------------------------------------------------------- built-in peers


def cv2_fill(mask_u8):
    import cv2

    h, w = mask_u8.shape
    padded = np.zeros((h + 2, w + 2), np.uint8)
    padded[1:-1, 1:-1] = (mask_u8 != 0).astype(np.uint8) * 255
    flood = padded.copy()
    ff_mask = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(flood, ff_mask, (0, 0), 255, flags=4)
    return ((padded | cv2.bitwise_not(flood))[1:-1, 1:-1] != 0).astype(np.uint8) * 255


def cv2_label(mask_u8):
    import cv2

    return cv2.connectedComponents(mask_u8, connectivity=4, ltype=cv2.CV_32S)[0] - 1


def indicator(labels, n, within=None):
    """Sparse cells x pixels indicator matrix (restricted to `within` if given)."""
    flat = labels.ravel()
    keep = flat > 0 if within is None else (flat > 0) & (within.ravel() != 0)
    pixels = np.flatnonzero(keep)
    return sp.csr_matrix(
        (np.ones(pixels.size, np.float64), (flat[pixels] - 1, pixels)), shape=(n, flat.size)
    )


def research_cell_loop(labeled_array, masked_st):
    """cell_wise_gene_averaging from the research script (the per-cell loop), verbatim logic."""
    unique_labels = np.unique(labeled_array)
    cell_labels = unique_labels[unique_labels != 0]
    masked_st[masked_st == 0] = np.nan
    clustered = np.zeros_like(masked_st)
    for label in cell_labels:
        cell_mask = labeled_array == label
        values = masked_st[cell_mask]
        valid = values[(values != label) & ~np.isnan(values)]
        clustered[cell_mask] = np.nan if len(valid) == 0 else np.mean(valid)
    return clustered


# ---------------------------------------------------------------- whole processes

# The OpenCV-in-Python peer of `cellmap label`, as a process of its own: load the mask, fill holes
# (floodFill of the background from the border of a padded copy, 4-conn.), label
# (connectedComponents, 4-conn., CV_32S, 1 thread), save the int32 labels with np.save.
OPENCV_LABEL_SCRIPT = """
import sys
import cv2
import numpy as np
cv2.setNumThreads(1)
mask = np.load(sys.argv[1])
mask = np.where(mask != 0, 255, 0).astype(np.uint8)
padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
flood = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
cv2.floodFill(padded, flood, (0, 0), 255, flags=4)
filled = mask | cv2.bitwise_not(padded[1:-1, 1:-1])
n, labels = cv2.connectedComponents(filled, connectivity=4, ltype=cv2.CV_32S)
np.save(sys.argv[2], labels)
"""


GNU_TIME = "/usr/bin/time"


def run_process(argv):
    """Wall seconds, CPU seconds (user + sys, all threads) and peak RSS (MB) of one process.

    The peak RSS comes from GNU time (`-f %M`) when it is installed: a child forked from this
    (large) Python process would report this process's RSS as its own peak (Linux keeps the
    pre-exec high-water mark). Without it the RSS is NaN."""
    wrapped = os.access(GNU_TIME, os.X_OK)
    full = [GNU_TIME, "-f", "%M"] + argv if wrapped else argv
    t0 = time.perf_counter()
    proc = subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {err}")
    rss_mb = float("nan")
    if wrapped:
        try:
            rss_mb = int(err.strip().splitlines()[-1]) / 1024
        except (IndexError, ValueError):
            pass
    return wall, usage.ru_utime + usage.ru_stime, rss_mb


def median_process(argv, repeats: int):
    """Medians of run_process over `repeats` runs after a warm-up (page cache)."""
    run_process(argv)
    runs = [run_process(argv) for _ in range(repeats)]
    return tuple(statistics.median(r[i] for r in runs) for i in range(3))


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "target", "bench-data"))
    ap.add_argument("--cellmap", default=os.path.join(ROOT, "target", "release", "cellmap"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--research-genes", type=int, default=2, help="genes the per-cell loop is timed on")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                    help="wall time, or CPU time of the timing thread (steadier on a busy machine)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    global now
    now = CLOCKS[args.clock]

    mask_path = os.path.join(args.data, "mask_1024x1024_s0.npy")
    st_path = os.path.join(args.data, "st_1024x1024_s0_g5100_d0.01.npz")
    st100_path = os.path.join(args.data, "st_1024x1024_s0_g100_d0.01.npz")
    for p in (mask_path, st_path, st100_path):
        if not os.path.exists(p):
            print(f"missing {p}: run `bash bench/make-data.sh` first", file=sys.stderr)
            return 1
    if not os.path.exists(args.cellmap):
        print(f"missing {args.cellmap}: run `cargo build --release -p cellmap-cli`", file=sys.stderr)
        return 1

    labeling = load_peer_module("labeling")
    opencv_fill = peer_fn(labeling, ["opencv_fill"], cv2_fill)
    opencv_label = peer_fn(labeling, ["opencv_label"], cv2_label)
    scipy_fill_label = peer_fn(labeling, ["scipy_fill_label"], lambda m: ndimage.label(ndimage.binary_fill_holes(m)))
    opencv_fill_label = peer_fn(labeling, ["opencv_fill_label"], lambda m: opencv_label(opencv_fill(m)))
    import cv2

    cv2.setNumThreads(1)

    mask = np.load(mask_path)
    h, w = mask.shape
    r = args.repeats
    filled = ndimage.binary_fill_holes(mask)
    filled_u8 = filled.astype(np.uint8) * 255
    labels, n = ndimage.label(filled)
    gene = sp.load_npz(st100_path).tocsc()[:, 10].toarray().reshape(h, w).astype(np.float32)
    idx = np.arange(1, n + 1)

    def bincount_mean():
        flat = labels.ravel()
        v = gene.ravel().astype(np.float64)
        ok = (flat > 0) & (v != 0) & ~np.isnan(v)
        s = np.bincount(flat[ok], weights=v[ok], minlength=n + 1)
        c = np.bincount(flat[ok], minlength=n + 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s[1:] / c[1:]

    def ndimage_mean():
        # scipy's own per-label mean (it counts zeros; the reference figure times this call)
        return ndimage.mean(gene, labels, idx)


    peers = {}
    peers["fill_scipy"] = median_ms(lambda: ndimage.binary_fill_holes(mask), r)
    peers["fill_opencv"] = median_ms(lambda: opencv_fill(mask), r)
    peers["label_scipy"] = median_ms(lambda: ndimage.label(filled), r)
    peers["label_opencv"] = median_ms(lambda: opencv_label(filled_u8), r)
    peers["fill_label_scipy"] = median_ms(lambda: scipy_fill_label(mask), r)
    peers["fill_label_opencv"] = median_ms(lambda: opencv_fill_label(mask), r)
    peers["mean_ndimage"] = median_ms(ndimage_mean, r)
    peers["mean_bincount"] = median_ms(bincount_mean, r)

    t0 = now()
    st = sp.load_npz(st_path)
    peers["load_npz"] = (now() - t0) * 1e3
    nnz = st.nnz
    a = indicator(labels, n, within=mask)

    def indicator_mean():
        nz = st.copy()
        nz.data = (nz.data != 0) & ~np.isnan(nz.data)
        sums = a @ st
        counts = a @ nz.astype(np.float64)
        return sums, counts

    peers["csr_indicator_product"] = median_ms(indicator_mean, max(1, min(r, 3)))

    def scanpy_mean():
        # scanpy.get.aggregate(func="mean"): asarray(A @ X) / np.bincount(cell)[:, None], i.e. one
        # product, densified, divided by each cell's pixel count.
        area = np.asarray(a.sum(axis=1), dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (a @ st).toarray() / area

    peers["csr_scanpy_mean"] = median_ms(scanpy_mean, max(1, min(r, 3)))
    del st, a

    # The research script's approach on the 100-gene file: densify, mask, per-cell loop per gene.
    t0 = now()
    st100 = sp.load_npz(st100_path).toarray().astype(np.float32).reshape(h, w, -1)
    st100 = np.einsum("ijk,ij->ijk", st100, mask)
    research_setup_s = now() - t0
    genes100 = st100.shape[2]
    t0 = now()
    for i in range(10, 10 + args.research_genes):
        single = st100[:, :, i].copy()
        lo, hi = single.min(), single.max()
        single = (single - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(single)
        research_cell_loop(labels, single)
    per_gene_s = (now() - t0) / args.research_genes
    del st100

    bench = subprocess.run(
        [args.cellmap, "bench", "--json", "--data", args.data, "--repeats", str(r), "--clock", args.clock],
        check=True,
        capture_output=True,
        text=True,
    )
    ours = {row["kernel"]: row for row in json.loads(bench.stdout)["results"]}

    with tempfile.TemporaryDirectory(prefix="cellmap-compare-") as tmp:
        tiles = os.path.join(tmp, "tiles")
        os.makedirs(tiles)
        os.symlink(mask_path, os.path.join(tiles, "tile.npy"))
        os.symlink(st_path, os.path.join(tiles, "tile_ST_1024.npz"))
        run_times = []
        run_cpu = []
        run_json = None
        for _ in range(max(1, min(r, 3))):
            out = os.path.join(tmp, "out")
            shutil.rmtree(out, ignore_errors=True)
            t0 = time.perf_counter()
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run(
                [args.cellmap, "run", tiles, "-o", out, "--json"], check=True, capture_output=True, text=True
            )
            run_times.append(time.perf_counter() - t0)
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            run_cpu.append(cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime)
            run_json = json.loads(done.stdout)
        run_s = statistics.median(run_times)
        run_cpu_s = statistics.median(run_cpu)

    # Whole-process `cellmap label` on the 4096² mask (read + fill + label + write .npy, incl.
    # start-up and exit) vs the OpenCV-in-Python process doing the same.
    label_runs = None
    mask4096 = os.path.join(args.data, "mask_4096x4096_s0.npy")
    if os.path.exists(mask4096):
        with tempfile.TemporaryDirectory(prefix="cellmap-compare-label-") as tmp:
            out_ours = os.path.join(tmp, "labels_cellmap.npy")
            out_peer = os.path.join(tmp, "labels_opencv.npy")
            ours_label = median_process([args.cellmap, "label", mask4096, "-o", out_ours, "--overwrite"], r)
            peer_label = median_process([sys.executable, "-c", OPENCV_LABEL_SCRIPT, mask4096, out_peer], r)
        label_runs = {"cellmap": ours_label, "opencv": peer_label}
    else:
        print(f"note: {mask4096} missing; no whole-process label row", file=sys.stderr)

    def our_ms(kernel):
        row = ours.get(kernel)
        return row["ms"] if row else float("nan")

    rows = [
        ("fill holes", "scipy binary_fill_holes", peers["fill_scipy"], "fill_holes"),
        ("fill holes", "OpenCV floodFill", peers["fill_opencv"], "fill_holes"),
        ("label 4-conn", "scipy ndimage.label", peers["label_scipy"], "label4"),
        ("label 4-conn", "OpenCV connectedComponents (1 thread)", peers["label_opencv"], "label4"),
        ("fill + label", "scipy", peers["fill_label_scipy"], "fill_label"),
        ("fill + label", "OpenCV", peers["fill_label_opencv"], "fill_label"),
        ("per-cell mean, 1 gene", "ndimage.mean", peers["mean_ndimage"], "mean_dense"),
        ("per-cell mean, 1 gene", "np.bincount", peers["mean_bincount"], "mean_dense"),
        (f"all genes CSR ({nnz / 1e6:.0f} M nnz), zero-skipping mean", "A @ X and A @ (X != 0)",
         peers["csr_indicator_product"], "csr_mean"),
        (f"all genes CSR ({nnz / 1e6:.0f} M nnz), mean over all pixels", "scanpy-style (A @ X) / area",
         peers["csr_scanpy_mean"], "csr_mean_keep_zeros"),
        ("read CSR .npz (5,100 genes)", "scipy load_npz", peers["load_npz"], "read_csr"),
    ]
    research_100_s = research_setup_s + per_gene_s * genes100
    research_5100_s = research_setup_s * 51 + per_gene_s * 5100
    table = []
    for op, peer, peer_ms, kernel in rows:
        mine = our_ms(kernel)
        table.append({"operation": op, "peer": peer, "peer_ms": peer_ms, "cellmap_ms": mine,
                      "ratio": peer_ms / mine if mine and mine == mine else float("nan")})
    # The whole job: cellmap's wall time, or its CPU time (all threads) with --clock cpu.
    job_s = run_cpu_s if args.clock == "cpu" else run_s
    table.append({"operation": "whole tile job", "peer": "research script, 100 genes (extrapolated loop)",
                  "peer_ms": research_100_s * 1e3, "cellmap_ms": job_s * 1e3,
                  "ratio": research_100_s / job_s, "note": "cellmap: all 5,100 genes, end to end"})
    table.append({"operation": "whole tile job", "peer": "research script, 5,100 genes (extrapolated)",
                  "peer_ms": research_5100_s * 1e3, "cellmap_ms": job_s * 1e3, "ratio": research_5100_s / job_s})

    if label_runs is not None:
        # wall time, or CPU time (user + sys, all threads) with --clock cpu
        pick = 1 if args.clock == "cpu" else 0
        peer_s, ours_s = label_runs["opencv"][pick], label_runs["cellmap"][pick]
        table.append({"operation": "label 4096² whole process", "peer": "OpenCV-in-Python process",
                      "peer_ms": peer_s * 1e3, "cellmap_ms": ours_s * 1e3, "ratio": peer_s / ours_s,
                      "note": "np.load + floodFill + connectedComponents + np.save vs `cellmap label`",
                      "peak_rss_mb": {"opencv": label_runs["opencv"][2], "cellmap": label_runs["cellmap"][2]}})

    if args.json:
        print(json.dumps({"cells": int(n), "nnz": int(nnz), "table": table,
                          "research": {"setup_s": research_setup_s, "per_gene_s": per_gene_s},
                          "cellmap_run_wall_s": run_s, "cellmap_run_cpu_s": run_cpu_s,
                          "load_average": os.getloadavg(),
                          "cellmap_run": run_json, "cellmap_bench": ours}, indent=1))
        return 0
    print(f"1024x1024 tile, {n} cells, {nnz:,} nonzeros over 5,100 genes; median {args.clock} time of {r} "
          f"repeats (ms)")
    op_w = max(len(row["operation"]) for row in table)
    peer_w = max(len(row["peer"]) for row in table)
    print(f"{'operation':<{op_w}} {'peer':<{peer_w}} {'peer ms':>11} {'cellmap ms':>11} {'ratio':>8}")
    for row in table:
        print(f"{row['operation']:<{op_w}} {row['peer']:<{peer_w}} {row['peer_ms']:>11.2f} "
              f"{row['cellmap_ms']:>11.2f} {row['ratio']:>7.1f}x")
    print(f"research per-cell loop: {per_gene_s:.2f} s per gene (timed on {args.research_genes}), "
          f"densify + mask of 100 genes {research_setup_s:.2f} s")
    print(f"`cellmap run` whole tile (5,100 genes, read + everything + write): {run_s:.2f} s wall, "
          f"{run_cpu_s:.2f} s CPU (user + sys, all threads); target < 1.5 s")
    if label_runs is not None:
        (ow, oc, orss), (pw, pc, prss) = label_runs["cellmap"], label_runs["opencv"]
        print(f"`cellmap label` 4096² whole process: {ow * 1e3:.0f} ms wall, {oc * 1e3:.0f} ms CPU, "
              f"{orss:.0f} MB peak RSS; OpenCV-in-Python: {pw * 1e3:.0f} ms wall, {pc * 1e3:.0f} ms CPU, "
              f"{prss:.0f} MB peak RSS (medians of {r})")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
