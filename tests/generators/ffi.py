"""Writes the C example fixtures into tests/fixtures/ffi/.

Run with the project venv: .venv/bin/python tests/generators/ffi.py

``examples/c/label_tile.c`` reads a raw mask and a raw value image, labels
the mask (4-connectivity) and prints the cell count and each cell's mean;
its output must equal ``label_tile.expected`` byte for byte. References:

* labels: ``scipy.ndimage.label(mask)`` (no hole filling);
* mean per label 1..N over the pixels whose value is neither 0 nor NaN,
  summed in raster order in float64 (``np.bincount``, the core's order),
  NaN for a cell without such pixels; printed as ``%.17g``.

Raw files: ``tile_mask.u8`` (uint8 0/255, row-major) and
``tile_values.f32`` (little-endian float32), both 96 rows x 128 columns.
"""
import os
import sys

import numpy as np
from scipy import ndimage

sys.path.insert(0, os.path.dirname(__file__))
from stats import tissue  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ffi")
H, W = 96, 128


def main():
    rng = np.random.default_rng(15)
    mask = tissue(rng, H, W, spacing=14)
    labels, n = ndimage.label(mask)
    values = rng.gamma(2.0, 3.0, (H, W)).astype(np.float32)
    values[rng.random((H, W)) < 0.3] = 0.0
    values[rng.random((H, W)) < 0.05] = np.nan
    values[labels == 2] = 0.0  # a cell without a value: mean NaN

    flat, v = labels.ravel(), values.ravel().astype(np.float64)
    counted = (v != 0) & ~np.isnan(v)
    count = np.bincount(flat[counted], minlength=n + 1)
    total = np.bincount(flat[counted], weights=v[counted], minlength=n + 1)
    lines = [f"cells {n}"]
    for c in range(1, n + 1):
        mean = total[c] / count[c] if count[c] else float("nan")
        lines.append(f"{c} {count[c]} " + ("nan" if np.isnan(mean) else "%.17g" % mean))

    os.makedirs(OUT, exist_ok=True)
    (mask.astype(np.uint8) * 255).tofile(os.path.join(OUT, "tile_mask.u8"))
    values.astype("<f4").tofile(os.path.join(OUT, "tile_values.f32"))
    with open(os.path.join(OUT, "label_tile.expected"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"ffi fixtures: {H}x{W}, {n} cells -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
