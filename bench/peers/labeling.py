#!/usr/bin/env python3
"""Python peers of cellmap's hole filling and labeling, timed on the bench
masks (target/bench-data/mask_<N>x<N>_s0.npy, from `bash bench/make-data.sh`):

  scipy   ndimage.binary_fill_holes, ndimage.label (4-connectivity), both;
  OpenCV  hole fill by floodFill of the background from the border of a
          1-px padded copy (4-connectivity), connectedComponents
          (4-connectivity, CV_32S, cv2.setNumThreads(1)), both.

Prints median milliseconds as a table, or JSON with --json. `--clock cpu`
times thread CPU time instead of wall time (steadier on a shared, loaded
machine; compare it with CPU-time figures of cellmap). Before timing it
checks that the OpenCV fill equals scipy's and that both find the same
number of components. Run it back to back with
`cargo bench -p cellmap-tests --bench labeling` (the machines are noisy).

bench/compare.py imports `measure(data_dir, sizes, repeats)`, which returns
a list of {"size", "peer", "operation", "median_ms", "runs", "clock"} rows.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import cv2
import numpy as np
from scipy import ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(ROOT, "target", "bench-data")


def opencv_fill(mask: np.ndarray) -> np.ndarray:
    """0/255 uint8 mask with holes filled: flood the background from the
    border of a padded copy; what the flood does not reach is a hole."""
    padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    flood_mask = np.zeros((padded.shape[0] + 2, padded.shape[1] + 2), np.uint8)
    cv2.floodFill(padded, flood_mask, (0, 0), 255, flags=4)
    return mask | cv2.bitwise_not(padded[1:-1, 1:-1])


def opencv_label(mask: np.ndarray) -> int:
    n, _ = cv2.connectedComponents(mask, connectivity=4, ltype=cv2.CV_32S)
    return n - 1  # OpenCV counts the background as label 0


def scipy_fill_label(mask: np.ndarray) -> int:
    return ndi.label(ndi.binary_fill_holes(mask))[1]


def opencv_fill_label(mask: np.ndarray) -> int:
    return opencv_label(opencv_fill(mask))


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}


def median_ms(fn, arg, repeats: int, clock: str = "wall") -> float:
    now = CLOCKS[clock]
    fn(arg)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = now()
        fn(arg)
        times.append((now() - t0) / 1e6)
    return statistics.median(times)


def load(data_dir: str, size: int) -> np.ndarray:
    path = os.path.join(data_dir, f"mask_{size}x{size}_s0.npy")
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing: run `bash bench/make-data.sh` first")
    mask = np.load(path)
    return np.where(mask != 0, 255, 0).astype(np.uint8)


def check(mask: np.ndarray) -> None:
    filled_scipy = ndi.binary_fill_holes(mask)
    filled_cv = opencv_fill(mask)
    assert np.array_equal(filled_scipy, filled_cv != 0), "OpenCV fill differs from scipy"
    assert ndi.label(mask)[1] == opencv_label(mask), "OpenCV and scipy count different components"


def measure(data_dir: str = DEFAULT_DATA, sizes=(1024, 4096), repeats: int | None = None,
            clock: str = "wall") -> list[dict]:
    cv2.setNumThreads(1)
    rows = []
    for size in sizes:
        mask = load(data_dir, size)
        check(mask)
        runs = repeats or (31 if size <= 1024 else 5)
        ops = [
            ("scipy", "fill", ndi.binary_fill_holes),
            ("scipy", "label_4", ndi.label),
            ("scipy", "fill_label_4", scipy_fill_label),
            ("opencv", "fill", opencv_fill),
            ("opencv", "label_4", opencv_label),
            ("opencv", "fill_label_4", opencv_fill_label),
        ]
        for peer, op, fn in ops:
            rows.append({"size": size, "peer": peer, "operation": op,
                         "median_ms": median_ms(fn, mask, runs, clock), "runs": runs, "clock": clock})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DEFAULT_DATA, help="directory of mask_<N>x<N>_s0.npy")
    ap.add_argument("--sizes", default="1024,4096", help="comma list of mask sizes")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per operation")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall time or thread CPU time")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows = measure(args.data, sizes, args.repeats, args.clock)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'size':>6} {'peer':<7} {'operation':<13} {'median ms':>10}  ({args.clock} clock)")
    for r in rows:
        print(f"{r['size']:>6} {r['peer']:<7} {r['operation']:<13} {r['median_ms']:>10.2f}")


if __name__ == "__main__":
    main()
