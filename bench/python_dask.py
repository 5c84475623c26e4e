#!/usr/bin/env python3
"""One side-by-side run of issue 17's benchmark in the current venv (see bench/python-dask.sh).

  python bench/python_dask.py MASK.npy --out RESULT.json [--repeats 3] [--chunk 2048]
  python bench/python_dask.py --table RESULT_dask2025.json RESULT_dask2026.json

Wall seconds, median of --repeats runs, everything computed into memory. Checks on the way: the
in-memory and Dask labels of cellmap equal scipy's (labels and count); dask-image's count equals
scipy's without hole filling. Peak RSS per worker is measured on a fresh 2-worker LocalCluster
reducing the labels (labels.max()), so the output is not gathered.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np


def timed(fn, repeats):
    """Median wall time of `repeats` runs after one untimed warm-up run (page cache, huge
    pages, worker imports), the same for every contender."""
    fn()
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    TIMES.append(times)
    return statistics.median(times), out


TIMES: list = []


def _hwm_mb():
    """This process's peak RSS (VmHWM; ru_maxrss would include the parent's peak, kept across exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_hwm():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mb(client):
    return max(client.run(_hwm_mb).values())


def run(path, repeats, chunk, out):
    import dask
    import dask.array as da
    import dask_image.ndmeasure as dim
    import distributed
    import scipy.ndimage as ndi

    import cellmap
    import cellmap.dask

    mask = np.load(path)
    size = mask.shape[0]
    res = {"size": size, "chunk": chunk, "dask": dask.__version__, "repeats": repeats}
    log = lambda k: print(f"  {k}: {res[k]:.3f}" if isinstance(res[k], float) else f"  {k}: {res[k]}", flush=True)
    print(f"{path} {mask.shape} dask {dask.__version__}", flush=True)

    res["scipy_fill_label"], (want, want_n) = timed(lambda: ndi.label(ndi.binary_fill_holes(mask)), repeats)
    log("scipy_fill_label")
    res["n_cells"] = int(want_n)
    _, unfilled_n = ndi.label(mask)
    res["cellmap_label"], (labels, n) = timed(lambda: cellmap.label(mask), repeats)
    assert n == want_n and np.array_equal(labels, want), "cellmap.label differs from scipy"
    log("cellmap_label")

    dmask = da.from_array(mask, chunks=chunk)
    with dask.config.set(scheduler="threads"):
        res["cellmap_dask_threads"], (dl, dn) = timed(lambda: dask.compute(*cellmap.dask.label(dmask)), repeats)
        assert int(dn) == want_n and np.array_equal(dl, want), "cellmap.dask.label differs from scipy"
        log("cellmap_dask_threads")
        res["cellmap_dask_threads_recompute"], _ = timed(
            lambda: dask.compute(*cellmap.dask.label(dmask, recompute=True)), repeats
        )
        log("cellmap_dask_threads_recompute")
        res["dask_image_threads"], (il, i_n) = timed(lambda: dask.compute(*dim.label(dmask)), repeats)
        assert int(i_n) == unfilled_n, "dask-image's count differs from scipy (unfilled)"
        res["dask_image_renumbered"] = float(np.mean(il[il > 0] != ndi.label(mask)[0][il > 0]))
        log("dask_image_threads")
        del il, dl

        # all-cells per-cell mean across chunks
        rng = np.random.default_rng(0)
        values = rng.random(mask.shape, dtype=np.float32)
        values[rng.random(mask.shape) < 0.5] = 0
        dlab, dval = da.from_array(labels, chunks=chunk), da.from_array(values, chunks=chunk)
        res["cellmap_dask_mean"], means = timed(
            lambda: cellmap.dask.cell_stats(dlab, dval, "mean", n_cells=n).compute(), repeats
        )
        np.testing.assert_allclose(means, cellmap.cell_stats(labels, values, "mean"), rtol=1e-9)
        log("cellmap_dask_mean")
        res["cellmap_mean_in_memory"], _ = timed(lambda: cellmap.cell_stats(labels, values, "mean"), repeats)
        log("cellmap_mean_in_memory")
        k = 20  # dask-image: one pass over the image per cell; measured on k cells, scaled to all
        t0 = time.perf_counter()
        dim.mean(dval, dlab, np.arange(1, k + 1)).compute()
        t = time.perf_counter() - t0
        res["dask_image_mean_all_cells_est"] = t / k * n
        log("dask_image_mean_all_cells_est")
        del values, dlab, dval

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            res["cellmap_dask_distributed"], (dl, dn) = timed(
                lambda: client.compute(list(cellmap.dask.label(dmask)), sync=True), repeats
            )
            assert int(dn) == want_n and np.array_equal(dl, want)
            log("cellmap_dask_distributed")
            del dl
            res["dask_image_distributed"], _ = timed(lambda: client.compute(list(dim.label(dmask)), sync=True), repeats)
            log("dask_image_distributed")

    for name, make in [
        ("cellmap", lambda: cellmap.dask.label(dmask)[0]),
        ("cellmap_recompute", lambda: cellmap.dask.label(dmask, recompute=True)[0]),
        ("dask_image", lambda: dim.label(dmask)[0]),
    ]:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            with distributed.Client(c) as client:
                client.run(_reset_hwm)
                base = peak_rss_mb(client)
                client.compute(make().max(), sync=True)
                res[f"rss_{name}_mb"] = peak_rss_mb(client)
                res["rss_idle_worker_mb"] = base
                log(f"rss_{name}_mb")
    res["chunk_mb_int32"] = chunk * chunk * 4 / 2**20
    res["all_times"] = TIMES
    res["load_average"] = __import__("os").getloadavg()
    with open(out, "w") as f:
        json.dump(res, f, indent=1)


def table(paths):
    a, b = (json.load(open(p)) for p in paths)
    s = a["size"]
    lines = [
        f"{s}² ({a['n_cells']:,} cells), {a['chunk']}² chunks, 2 cores; wall s, median of {a['repeats']} after a warm-up; "
        f"one run of bench/python-dask.sh; load average {a['load_average'][0]:.1f} / {b['load_average'][0]:.1f}",
        "",
        "| what | seconds | ratio |",
        "|---|---:|---:|",
        f"| scipy binary_fill_holes + label (whole array) | {a['scipy_fill_label']:.2f} | 1 |",
        f"| cellmap.label (in memory, fill + label) | {a['cellmap_label']:.3f} | "
        f"{a['scipy_fill_label'] / a['cellmap_label']:.1f}× scipy |",
    ]
    for r in (a, b):
        d = r["dask"]
        lines += [
            f"| dask-image ndmeasure.label, threaded, dask {d} (no fill) | {r['dask_image_threads']:.2f} | |",
            f"| cellmap.dask.label **with exact fill**, threaded, dask {d} | {r['cellmap_dask_threads']:.3f} | "
            f"{r['dask_image_threads'] / r['cellmap_dask_threads']:.1f}× dask-image |",
            f"| same, recompute=True (bounded memory), dask {d} | {r['cellmap_dask_threads_recompute']:.3f} | "
            f"{r['dask_image_threads'] / r['cellmap_dask_threads_recompute']:.1f}× dask-image |",
            f"| dask-image label, 2-worker LocalCluster, dask {d} | {r['dask_image_distributed']:.2f} | |",
            f"| cellmap.dask.label, 2-worker LocalCluster, dask {d} | {r['cellmap_dask_distributed']:.2f} | "
            f"{r['dask_image_distributed'] / r['cellmap_dask_distributed']:.1f}× dask-image |",
        ]
    lines += [
        f"| cellmap.dask.cell_stats mean, all cells, dask {a['dask']} | {a['cellmap_dask_mean']:.3f} | "
        f"target ≤ 1 s |",
        f"| cellmap.cell_stats mean in memory | {a['cellmap_mean_in_memory']:.3f} | |",
        f"| dask-image ndmeasure.mean, all cells (20 measured, scaled) | {a['dask_image_mean_all_cells_est'] / 3600:.1f} h | "
        f"{a['dask_image_mean_all_cells_est'] / a['cellmap_dask_mean']:,.0f}× cellmap.dask |",
        "",
        f"Peak RSS per worker (MB, 2-worker LocalCluster, labels.max(); idle worker "
        f"{a['rss_idle_worker_mb']:.0f} MB, one int32 chunk {a['chunk_mb_int32']:.0f} MB): "
        f"cellmap {a['rss_cellmap_mb']:.0f}, cellmap recompute=True {a['rss_cellmap_recompute_mb']:.0f}, "
        f"dask-image {a['rss_dask_image_mb']:.0f} (dask {a['dask']}).",
        f"dask-image pixels whose label differs from scipy's (unfilled): {100 * a['dask_image_renumbered']:.1f} %.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mask", nargs="?")
    ap.add_argument("--out")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=2048)
    ap.add_argument("--table", nargs=2)
    args = ap.parse_args()
    if args.table:
        table(args.table)
    else:
        run(args.mask, args.repeats, args.chunk, args.out)
    sys.exit(0)
