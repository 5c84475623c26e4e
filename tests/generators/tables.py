#!/usr/bin/env python3
"""Fixtures for transcript tables in other formats and frames (cli/tests/tables.rs).

Run with the project venv:  .venv/bin/python tests/generators/tables.py
Writes tests/fixtures/tables/ (deterministic; commit the output). Expected values are
computed here with numpy from the pixel coordinates each table encodes:

  labels.npy            int32 (40, 60) scipy.ndimage.label of random rectangles
  xenium.parquet        pyarrow, Xenium schema (transcript_id, cell_id, overlaps_nucleus,
                        feature_name (string), x_location, y_location, z_location (µm at
                        0.2125 µm/px), qv (float32)); row groups of 128 rows; controls
                        (NegControlProbe_*, BLANK_*) and qv < 20 rows to drop
  xenium_binary.parquet the same with feature_name as binary and float32 coordinates, gzip
  named.tsv             Gene<TAB>x<TAB>y (pciSeq order), pixels
  semicolon.csv         x;y;gene, pixels (the same points)
  cosmx.csv             fov,cell_ID,x_local_px,y_local_px,x_global_px,y_global_px,target:
                        two FOVs; local pixels with y up (y_local = 40 - row); control probes
  merscope.csv          ,barcode_id,global_x,global_y,global_z,x,y,fov,gene (µm), Blank-* rows
  micron_to_mosaic_pixel_transform.csv  3×3 affine µm -> mosaic pixels (space separated)
  half.csv              x,y,gene with 60 % of the points outside the image
  xenium.csv, xenium.csv.gz  the rows of xenium.parquet as Xenium's transcripts.csv(.gz)
                        (expected: the xenium case); gzip without a time stamp
  plain.csv             x,y,gene, pixels (the named points: expected the named case)
  unnamed.csv           molecule,px_col,px_row,target_name: no column the presets know
                        (read with the columns named: the named case)
  outside.csv           x,y,gene with every point right of the image
  <case>_counts.npy     int64 (cells, genes) expected counts; <case>_genes.txt the gene names
                        (first-seen order among kept rows); cases: xenium, named,
                        named_nearest, cosmx_fov2, merscope, half
  expected.json         per case: transcripts kept, in_cells, background, outside, dropped
"""

from __future__ import annotations

import gzip
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import ndimage

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "tables")
H, W = 40, 60
GENES = ["Actb", "Gad1", "Pvalb", "Sst", "Vip"]


def fl(v) -> str:
    """Shortest round-trip text of a float (Python repr, not numpy's)."""
    return repr(float(v))


def labels() -> np.ndarray:
    rng = np.random.default_rng(12)
    mask = np.zeros((H, W), bool)
    for _ in range(14):
        r, c = rng.integers(0, H - 4), rng.integers(0, W - 4)
        mask[r : r + rng.integers(2, 8), c : c + rng.integers(2, 10)] = True
    lab, _ = ndimage.label(mask)
    return lab.astype(np.int32)


def expect(lab, genes, px, py, keep, rounding="floor"):
    """Counts and summary for pixel coordinates px, py of the kept rows."""
    g = [genes[i] for i in np.flatnonzero(keep)]
    x, y = px[keep], py[keep]
    if rounding == "nearest":
        x, y = x + 0.5, y + 0.5
    names = list(dict.fromkeys(g))
    col, row = np.floor(x), np.floor(y)
    inside = (col >= 0) & (col < W) & (row >= 0) & (row < H)
    cell = np.full(len(g), -1)
    cell[inside] = lab[row[inside].astype(int), col[inside].astype(int)]
    n = int(lab.max())
    counts = np.zeros((n + 1, len(names)), np.int64)
    for c, name in zip(cell, g):
        if c >= 0:
            counts[c, names.index(name)] += 1
    summary = {
        "transcripts": len(g),
        "in_cells": int((cell > 0).sum()),
        "background": int((cell == 0).sum()),
        "outside": int((cell < 0).sum()),
    }
    return counts[1:], names, summary


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    lab = labels()
    np.save(os.path.join(OUT, "labels.npy"), lab)
    rng = np.random.default_rng(7)
    n = 500
    # Pixel coordinates, a few outside (negative ones just below 0 test floor vs trunc).
    px = rng.uniform(-3, W + 3, n).round(3)
    py = rng.uniform(-3, H + 3, n).round(3)
    px[:5] = [-0.5, -0.25, 0.25, W - 0.25, W + 0.25]
    py[:5] = [0.5, 0.5, -0.4, 0.5, 0.5]
    genes = [GENES[i] for i in rng.integers(0, len(GENES), n)]
    expected = {}

    def save_case(case, counts, names, summary, **extra):
        np.save(os.path.join(OUT, f"{case}_counts.npy"), counts)
        with open(os.path.join(OUT, f"{case}_genes.txt"), "w") as f:
            f.write("".join(g + "\n" for g in names))
        expected[case] = {**summary, **extra}

    # --- Xenium parquet (µm): controls and low qv dropped.
    xg = list(genes)
    for i in range(0, n, 23):
        xg[i] = "NegControlProbe_00042"
    for i in range(5, n, 37):
        xg[i] = "BLANK_0007"
    qv = (10 + (np.arange(n) * 7) % 31).astype(np.float32)  # 10..40
    scale = 0.2125
    xum, yum = px * scale, py * scale
    control = np.array([g.startswith(("NegControl", "BLANK")) for g in xg])
    keep = ~control & (qv >= 20)
    # The reader divides by the scale: the expected pixel coordinate is the same division.
    counts, names, summary = expect(lab, xg, xum / scale, yum / scale, keep)
    save_case("xenium", counts, names, summary,
              dropped_controls=int(control.sum()), dropped_low_qv=int((~control & (qv < 20)).sum()))
    table = pa.table({
        "transcript_id": pa.array(np.arange(n, dtype=np.uint64) + 281474976710657),
        "cell_id": pa.array(["UNASSIGNED"] * n),
        "overlaps_nucleus": pa.array(np.zeros(n, np.uint8)),
        "feature_name": pa.array(xg, pa.string()),
        "x_location": pa.array(xum.astype(np.float64)),
        "y_location": pa.array(yum.astype(np.float64)),
        "z_location": pa.array(np.full(n, 10.5)),
        "qv": pa.array(qv),
    })
    pq.write_table(table, os.path.join(OUT, "xenium.parquet"), row_group_size=128)
    # The same rows as Xenium's CSV: coordinates as the shortest text of the float64 values.
    header = "transcript_id,cell_id,overlaps_nucleus,feature_name,x_location,y_location,z_location,qv\n"
    xenium_csv = header + "".join(
        f"{281474976710657 + i},UNASSIGNED,0,{xg[i]},{fl(xum[i])},{fl(yum[i])},10.5,{fl(qv[i])}\n"
        for i in range(n))
    with open(os.path.join(OUT, "xenium.csv"), "w") as f:
        f.write(xenium_csv)
    with open(os.path.join(OUT, "xenium.csv.gz"), "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(xenium_csv.encode())
    # float32 coordinates and binary gene names (gzip): expected from the float32 values.
    x32, y32 = xum.astype(np.float32).astype(np.float64), yum.astype(np.float32).astype(np.float64)
    counts, names, summary = expect(lab, xg, x32 / scale, y32 / scale, keep)
    save_case("xenium_binary", counts, names, summary)
    table = table.set_column(3, "feature_name", pa.array([g.encode() for g in xg], pa.binary()))
    table = table.set_column(4, "x_location", pa.array(xum.astype(np.float32)))
    table = table.set_column(5, "y_location", pa.array(yum.astype(np.float32)))
    pq.write_table(table, os.path.join(OUT, "xenium_binary.parquet"), row_group_size=100, compression="gzip")

    # --- Named TSV / semicolon CSV (pixels), floor and nearest.
    with open(os.path.join(OUT, "named.tsv"), "w") as f:
        f.write("Gene\tx\ty\n" + "".join(f"{g}\t{fl(x)}\t{fl(y)}\n" for g, x, y in zip(genes, px, py)))
    with open(os.path.join(OUT, "semicolon.csv"), "w") as f:
        f.write("x;y;gene\n" + "".join(f"{fl(x)};{fl(y)};{g}\n" for g, x, y in zip(genes, px, py)))
    with open(os.path.join(OUT, "plain.csv"), "w") as f:
        f.write("x,y,gene\n" + "".join(f"{fl(x)},{fl(y)},{g}\n" for g, x, y in zip(genes, px, py)))
    with open(os.path.join(OUT, "unnamed.csv"), "w") as f:
        f.write("molecule,px_col,px_row,target_name\n"
                + "".join(f"{i},{fl(x)},{fl(y)},{g}\n" for i, (g, x, y) in enumerate(zip(genes, px, py))))
    with open(os.path.join(OUT, "outside.csv"), "w") as f:
        f.write("x,y,gene\n" + "".join(f"{fl(x + 10 * W)},{fl(y)},{g}\n" for g, x, y in zip(genes, px, py)))
    all_rows = np.ones(n, bool)
    save_case("named", *expect(lab, genes, px, py, all_rows))
    save_case("named_nearest", *expect(lab, genes, px, py, all_rows, "nearest"))

    # --- CosMx: two FOVs; FOV 2's local frame has y up (y_local = H - row).
    fov = np.where(np.arange(n) % 3 == 0, 1, 2)
    cg = list(genes)
    for i in range(1, n, 19):
        cg[i] = ["NegPrb3", "FalseCode_12", "SystemControl7", "Negative2"][i % 4]
    with open(os.path.join(OUT, "cosmx.csv"), "w") as f:
        f.write("fov,cell_ID,x_local_px,y_local_px,x_global_px,y_global_px,target\n")
        for i in range(n):
            f.write(f"{fov[i]},0,{fl(px[i])},{fl(H - py[i])},{fl(px[i] + 5000 * fov[i])},{fl(py[i])},{cg[i]}\n")
    control = np.array([g.startswith(("FalseCode", "SystemControl", "NegPrb", "Negative")) for g in cg])
    keep = (fov == 2) & ~control
    # The transform 1,0,0;0,-1,H applied as Rust does: -1*y + H (y_local as parsed).
    yl = np.array([float(fl(H - v)) for v in py])
    row = (0.0 * px + -1.0 * yl) + H
    col = (1.0 * px + 0.0 * yl) + 0.0
    counts, names, summary = expect(lab, cg, col, row, keep)
    save_case("cosmx_fov2", counts, names, summary,
              dropped_controls=int((control & (fov == 2)).sum()), dropped_filtered=int((fov != 2).sum()))

    # --- MERSCOPE: µm and the micron -> mosaic pixel transform.
    s, tx, ty = 9.259259, -120.5, 33.25
    gx, gy = (px - tx) / s, (py - ty) / s
    mg = list(genes)
    for i in range(2, n, 29):
        mg[i] = "Blank-0003"
    with open(os.path.join(OUT, "merscope.csv"), "w") as f:
        f.write(",barcode_id,global_x,global_y,global_z,x,y,fov,gene\n")
        for i in range(n):
            f.write(f"{i},3,{fl(gx[i])},{fl(gy[i])},0.0,1.0,1.0,0,{mg[i]}\n")
    with open(os.path.join(OUT, "micron_to_mosaic_pixel_transform.csv"), "w") as f:
        f.write(f"{fl(s)} 0.0 {fl(tx)}\n0.0 {fl(s)} {fl(ty)}\n0.0 0.0 1.0\n")
    col = (s * gx + 0.0 * gy) + tx
    row = (0.0 * gx + s * gy) + ty
    control = np.array([g.startswith("Blank-") for g in mg])
    counts, names, summary = expect(lab, mg, col, row, ~control)
    save_case("merscope", counts, names, summary, dropped_controls=int(control.sum()))

    # --- More than half outside (a warning, not an error).
    hx = np.where(np.arange(n) % 5 < 3, px + 2 * W, px)
    with open(os.path.join(OUT, "half.csv"), "w") as f:
        f.write("x,y,gene\n" + "".join(f"{fl(x)},{fl(y)},{g}\n" for g, x, y in zip(genes, hx, py)))
    save_case("half", *expect(lab, genes, hx, py, all_rows))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
