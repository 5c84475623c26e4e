#!/usr/bin/env python3
"""Writes the polygon-rasterisation fixtures into tests/fixtures/polygons/
(run with the project venv: numpy, scikit-image, matplotlib pinned in
tests/requirements.txt):

    .venv/bin/python tests/generators/polygons.py

The reference is `skimage.draw.polygon(r, c, shape)` (scikit-image 0.26):
pixel (r, c) has its centre at x = c, y = r and belongs to a ring when
skimage's point_in_polygon says inside, on an edge or on a vertex (the
boundary is in); a polygon of several rings (holes, multipolygon parts) is
the XOR of its rings' masks, and polygons are painted in order, a later one
over an earlier one, with labels 1, 2, ...

For every case NAME it writes
  NAME_vertices.npy  float64 (V, 2): [x, y] of all rings, one after another;
  NAME_rings.npy     int64 (R,): end (exclusive) of each ring in vertices;
  NAME_polygons.npy  int64 (P,): end (exclusive) of each polygon in rings;
  NAME_shape.npy     int64 [height, width];
  NAME_labels.npy    int32 (H, W): the expected label image.

It also writes the reader fixtures (the same rule after the readers' shift
of half a pixel, `px = coordinate / pixel_size - 0.5`, see
cellmap_io::polygons):
  xenium_cell_boundaries.csv.gz   cell_id,vertex_x,vertex_y in µm
                                  (0.2125 µm/px; float32 values, written
                                  as their shortest f64 text), with
                                  xenium_labels.npy;
  xenium_cell_boundaries.parquet  the same rows, Xenium's parquet schema
                                  (cell_id string, vertex_x/vertex_y
                                  float32, label_id int32), row groups of
                                  16 rows (cells span row groups);
  xenium_cell_boundaries_binary.parquet  older layouts: cell_id bytes,
  xenium_cell_boundaries_int.parquet     or int64 (1..6); float64, gzip;
  cells.geojson                   a FeatureCollection in pixels (Polygon
                                  with a hole, MultiPolygon, ids in
                                  properties), with geojson_labels.npy;
  merscope/                       a MERSCOPE bundle: cell_boundaries.parquet
                                  (vpt's schema: ID, EntityID, ZIndex,
                                  Geometry = WKB MultiPolygon in µm, Type,
                                  ZLevel, Name, ParentID, ParentType; one
                                  row per cell and z-plane, planes 0..6, not
                                  every cell on every plane, a hole, a
                                  two-part cell), images/micron_to_mosaic_
                                  pixel_transform.csv and detected_
                                  transcripts.csv; the reference puts the µm
                                  through the transform as Rust does,
                                  px = ((a*x + b*y) + c) / 1.0 - 0.5, with
                                  merscope_z{3,0}_labels.npy (each the
                                  polygons' extent, ceil(max) + 1) and, for
                                  `assign --merscope` (z-plane 3, floor),
                                  merscope_counts.npy, merscope_genes.txt,
                                  merscope_expected.json;
  bad/                            small broken tables for the error tests.

matplotlib's Path.contains_points on the same centres is compared and the
number of disagreeing pixels printed: it differs on centres that lie on the
boundary (which it leaves out or takes depending on the edge's direction);
skimage, which always takes them, is the reference.
Deterministic: re-running gives identical files.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from matplotlib.path import Path
from skimage.draw import polygon as sk_polygon

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "tests", "fixtures", "polygons")
XENIUM_UM_PER_PX = 0.2125


def ring_mask(ring: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, dtype=bool)
    if len(ring) == 0:
        return m
    rr, cc = sk_polygon(ring[:, 1], ring[:, 0], shape)
    m[rr, cc] = True
    return m


def mpl_ring_mask(ring: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if len(ring) < 3:
        return np.zeros(shape, dtype=bool)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    inside = Path(ring).contains_points(np.column_stack([xx.ravel(), yy.ravel()]))
    return inside.reshape(shape)


def rasterise(polygons: list[list[np.ndarray]], shape: tuple[int, int], ring_fn=ring_mask) -> np.ndarray:
    labels = np.zeros(shape, dtype=np.int32)
    for k, rings in enumerate(polygons):
        m = np.zeros(shape, dtype=bool)
        for ring in rings:
            m ^= ring_fn(ring, shape)
        labels[m] = k + 1
    return labels


def save_case(name: str, polygons: list[list[np.ndarray]], shape: tuple[int, int]) -> None:
    vertices, rings, ends = [], [], []
    for poly in polygons:
        for ring in poly:
            vertices.extend(ring.tolist())
            rings.append(len(vertices))
        ends.append(len(rings))
    labels = rasterise(polygons, shape)
    np.save(os.path.join(OUT, f"{name}_vertices.npy"), np.array(vertices, dtype=np.float64).reshape(-1, 2))
    np.save(os.path.join(OUT, f"{name}_rings.npy"), np.array(rings, dtype=np.int64))
    np.save(os.path.join(OUT, f"{name}_polygons.npy"), np.array(ends, dtype=np.int64))
    np.save(os.path.join(OUT, f"{name}_shape.npy"), np.array(shape, dtype=np.int64))
    np.save(os.path.join(OUT, f"{name}_labels.npy"), labels)
    differ = int((rasterise(polygons, shape, mpl_ring_mask) != labels).sum())
    print(f"{name}: {len(polygons)} polygons, {int((labels > 0).sum())} pixels, matplotlib differs on {differ}")


def star(rng: np.random.Generator, cx: float, cy: float, r: float, n: int) -> np.ndarray:
    """A concave star-shaped ring around (cx, cy)."""
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.3 * r, r, n)
    return np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])


def a(*xy: float) -> np.ndarray:
    return np.array(xy, dtype=np.float64).reshape(-1, 2)


def edge_cases() -> list[list[np.ndarray]]:
    return [
        # Square with corners on pixel centres, and one sharing its right edge.
        [a(1, 1, 5, 1, 5, 4, 1, 4)],
        [a(5, 1, 8, 1, 8, 4, 5, 4)],
        # Concave "L" with horizontal edges on centre rows.
        [a(10, 0, 14, 0, 14, 2, 12, 2, 12, 6, 10, 6)],
        # Bowtie (self-intersecting) and a ring touching itself at a vertex.
        [a(16, 0, 22, 6, 22, 0, 16, 6)],
        [a(1, 6, 4, 6, 4, 9, 7, 9, 7, 12, 4, 12, 4, 9, 1, 9)],
        # Tiny: inside one pixel without its centre; around one centre; a sliver.
        [a(9.1, 8.1, 9.4, 8.1, 9.4, 8.4)],
        [a(10.8, 8.8, 11.2, 8.8, 11.2, 9.2, 10.8, 9.2)],
        [a(12, 8, 12.0001, 8, 12.0001, 11)],
        # With a hole, and a ring inside the hole (filled again).
        [a(14, 8, 24, 8, 24, 18, 14, 18), a(16, 10, 22, 10, 22, 16, 16, 16), a(18, 12, 20, 12, 20, 14, 18, 14)],
        # Two parts (a multipolygon), one overlapping the previous polygon.
        [a(1, 14, 4, 14, 4, 17, 1, 17), a(20.5, 16.5, 26.5, 16.5, 26.5, 19.5, 20.5, 19.5)],
        # Closed ring (first vertex repeated), partly outside the image.
        [a(-3.5, 18, 3, 18, 3, 25, -3.5, 25, -3.5, 18)],
        [a(26, -4, 33, -4, 33, 3, 26, 3)],
        # Degenerate: two vertices, collinear, a single vertex, empty.
        [a(2, 20, 8, 22)],
        [a(10, 20, 12, 21, 14, 22)],
        [a(15, 21)],
        [np.zeros((0, 2))],
        # Vertical and horizontal edges through half-pixel positions.
        [a(8.5, 19.5, 12.5, 19.5, 12.5, 23.5, 8.5, 23.5)],
    ]


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(12)
    save_case("edge_cases", edge_cases(), (24, 30))

    polys = []
    for _ in range(40):
        cx, cy = rng.uniform(-3, 63), rng.uniform(-3, 43)
        polys.append([star(rng, cx, cy, rng.uniform(1, 9), int(rng.integers(3, 14)))])
    save_case("random_stars", polys, (40, 60))

    # Vertices on a quarter-pixel grid: many centres exactly on edges and vertices.
    polys = []
    for _ in range(60):
        n = int(rng.integers(3, 8))
        cx, cy = rng.integers(0, 32), rng.integers(0, 24)
        polys.append([np.column_stack([cx + rng.integers(-24, 25, n) / 4, cy + rng.integers(-24, 25, n) / 4])])
    save_case("quarter_grid", polys, (24, 32))

    write_xenium(rng)
    write_geojson()
    write_merscope(rng)
    write_bad()


def write_xenium(rng: np.random.Generator) -> None:
    """Six cells as Xenium writes them: rows per cell, ring closed, µm."""
    shape = (30, 40)
    rows, polys = [], []
    for k in range(6):
        cx, cy = 4 + 6.5 * k, 6 + 3.0 * k
        ring = star(rng, cx, cy, 5.0, 9) * XENIUM_UM_PER_PX  # pixels -> µm
        # Xenium's float32 values; the CSV has their shortest text, so both files hold the same numbers.
        ring = np.round(ring, 4).astype(np.float32).astype(np.float64)
        ring = np.vstack([ring, ring[:1]])
        cell = f"cell{k:03d}-1"
        rows.extend((cell, float(x), float(y)) for x, y in ring)
        polys.append([ring / XENIUM_UM_PER_PX - 0.5])
    text = io.StringIO()
    text.write("cell_id,vertex_x,vertex_y,label_id\n")
    for cell, x, y in rows:
        text.write(f'"{cell}",{x!r},{y!r},{int(cell[4:7]) + 1}\n')
    with open(os.path.join(OUT, "xenium_cell_boundaries.csv.gz"), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(text.getvalue().encode())
    np.save(os.path.join(OUT, "xenium_labels.npy"), rasterise(polys, shape))
    ids = [cell for cell, _, _ in rows]
    xs = np.array([x for _, x, _ in rows])
    ys = np.array([y for _, _, y in rows])
    label = pa.array([int(c[4:7]) + 1 for c in ids], pa.int32())
    table = pa.table({
        "cell_id": pa.array(ids, pa.string()),
        "vertex_x": pa.array(xs.astype(np.float32)),
        "vertex_y": pa.array(ys.astype(np.float32)),
        "label_id": label,
    })
    pq.write_table(table, os.path.join(OUT, "xenium_cell_boundaries.parquet"), row_group_size=16)
    for name, cell_ids in [
        ("binary", pa.array([c.encode() for c in ids], pa.binary())),
        ("int", pa.array([int(c[4:7]) + 1 for c in ids], pa.int64())),
    ]:
        table = pa.table({"cell_id": cell_ids, "vertex_x": pa.array(xs), "vertex_y": pa.array(ys)})
        path = os.path.join(OUT, f"xenium_cell_boundaries_{name}.parquet")
        pq.write_table(table, path, row_group_size=7, compression="gzip")


def write_geojson() -> None:
    """QuPath / Baysor style: pixel coordinates, pixel c spanning [c, c + 1)."""
    shape = (20, 24)
    features = [
        {
            "type": "Feature",
            "id": "ignored-because-properties-win",
            "geometry": {"type": "Polygon", "coordinates": [
                [[1, 1], [11, 1], [11, 11], [1, 11], [1, 1]],
                [[4, 4], [8, 4], [8, 8], [4, 8], [4, 4]],
            ]},
            "properties": {"objectId": "a7", "classification": {"name": "Tumor"}},
        },
        {
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": [
                [[[13.3, 2.2], [20.7, 3.1], [17.5, 9.9], [13.3, 2.2]]],
                [[[14, 12], [22, 12], [22, 18], [14, 18], [14, 12]]],
            ]},
            "properties": {"cell_id": 42},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[2.5, 13.5], [9.5, 12.5], [6, 19.5], [2.5, 13.5]]]},
            "properties": {},
        },
    ]
    with open(os.path.join(OUT, "cells.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, indent=1)
        f.write("\n")
    polys = []
    for feat in features:
        g = feat["geometry"]
        parts = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        polys.append([np.array(ring, dtype=np.float64) - 0.5 for part in parts for ring in part])
    np.save(os.path.join(OUT, "geojson_labels.npy"), rasterise(polys, shape))


def wkb_multipolygon(parts: list[list[np.ndarray]]) -> bytes:
    """Little-endian WKB MultiPolygon (type 6) of Polygon parts (type 3), 2-D."""
    out = struct.pack("<BII", 1, 6, len(parts))
    for rings in parts:
        out += struct.pack("<BII", 1, 3, len(rings))
        for ring in rings:
            out += struct.pack("<I", len(ring)) + struct.pack(f"<{2 * len(ring)}d", *ring.ravel().tolist())
    return out


# The MERSCOPE transform of tests/fixtures/tables (µm -> mosaic pixels): x' = s*x + tx, y' = s*y + ty.
M_S, M_TX, M_TY = 9.259259, -120.5, 33.25
M_GENES = ["Actb", "Gad1", "Pvalb", "Sst", "Vip", "Blank-0003"]


def to_mosaic(um: np.ndarray) -> np.ndarray:
    """µm -> the rasteriser's frame, with Rust's operations: ((a*x + b*y) + c) / 1.0 - 0.5."""
    x, y = um[:, 0], um[:, 1]
    col = (M_S * x + 0.0 * y) + M_TX
    row = (0.0 * x + M_S * y) + M_TY
    return np.column_stack([col / 1.0 - 0.5, row / 1.0 - 0.5])


def extent(polys: list[list[np.ndarray]]) -> tuple[int, int]:
    """The polygons' extent as cellmap sizes an image without --shape: ceil(max) + 1."""
    v = np.vstack([ring for rings in polys for ring in rings])
    size = [int(np.ceil(v[:, k].max())) + 1 if v[:, k].max() > -1 else 0 for k in (1, 0)]
    return size[0], size[1]


def write_merscope(rng: np.random.Generator) -> None:
    """A MERSCOPE output folder: cell polygons per z-plane, transform, transcripts."""
    out = os.path.join(OUT, "merscope")
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    with open(os.path.join(out, "images", "micron_to_mosaic_pixel_transform.csv"), "w") as f:
        f.write(f"{M_S!r} 0.0 {M_TX!r}\n0.0 {M_S!r} {M_TY!r}\n0.0 0.0 1.0\n")

    def um(ring_px: np.ndarray) -> np.ndarray:
        ring = np.vstack([ring_px, ring_px[:1]])  # closed, as vpt writes
        return np.column_stack([(ring[:, 0] - M_TX) / M_S, (ring[:, 1] - M_TY) / M_S])

    # Cells in mosaic pixels: (parts of rings), and the planes they are on.
    cells = []
    for k in range(7):
        cx, cy = 5 + 7.5 * k, 6 + 4.0 * (k % 4) + 2 * k
        cells.append(([[star(rng, cx, cy, rng.uniform(3, 6), int(rng.integers(5, 12)))]], range(7)))
    box = np.array([[20.0, 30.0], [34.0, 30.0], [34.0, 40.0], [20.0, 40.0]])
    hole = np.array([[24.0, 33.0], [29.0, 33.0], [29.0, 37.0], [24.0, 37.0]])
    cells.append(([[box, hole]], range(7)))  # a hole
    cells.append(([[star(rng, 45, 33, 3, 7)], [star(rng, 54, 36, 2.5, 6)]], range(2, 5)))  # two parts
    cells.append(([[star(rng, 8, 34, 4, 9)]], [0, 1, 5, 6]))  # not on plane 3
    columns = {k: [] for k in ["ID", "EntityID", "ZIndex", "Geometry", "Type", "ZLevel", "Name", "ParentID", "ParentType"]}
    per_plane: dict[int, list[list[np.ndarray]]] = {z: [] for z in range(7)}
    for k, (parts, planes) in enumerate(cells):
        for z in planes:
            shift = np.array([0.3 * (z - 3), -0.2 * (z - 3)])  # cells drift a little with z
            parts_um = [[um(ring + shift) for ring in rings] for rings in parts]
            columns["ID"].append(len(columns["ID"]))
            columns["EntityID"].append(1_780_200_000_000_000_000 + 1000 * k + 7)
            columns["ZIndex"].append(z)
            columns["Geometry"].append(wkb_multipolygon(parts_um))
            columns["Type"].append("cell")
            columns["ZLevel"].append(1.5 * (z + 1))
            columns["Name"].append(None)
            columns["ParentID"].append(None)
            columns["ParentType"].append(None)
            per_plane[z].append([to_mosaic(ring) for rings in parts_um for ring in rings])
    table = pa.table({
        "ID": pa.array(columns["ID"], pa.int64()),
        "EntityID": pa.array(columns["EntityID"], pa.int64()),
        "ZIndex": pa.array(columns["ZIndex"], pa.int64()),
        "Geometry": pa.array(columns["Geometry"], pa.binary()),
        "Type": pa.array(columns["Type"], pa.string()),
        "ZLevel": pa.array(columns["ZLevel"], pa.float64()),
        "Name": pa.array(columns["Name"], pa.string()),
        "ParentID": pa.array(columns["ParentID"], pa.string()),
        "ParentType": pa.array(columns["ParentType"], pa.string()),
    })
    pq.write_table(table, os.path.join(out, "cell_boundaries.parquet"), row_group_size=10)
    for z in (3, 0):
        np.save(os.path.join(OUT, f"merscope_z{z}_labels.npy"), rasterise(per_plane[z], extent(per_plane[z])))

    # Transcripts (µm) and what `assign --merscope` gives: plane 3, the extent, floor, Blank-* dropped.
    lab = rasterise(per_plane[3], extent(per_plane[3]))
    h, w = lab.shape
    n = 300
    px, py = rng.uniform(-2, w + 2, n).round(3), rng.uniform(-2, h + 2, n).round(3)
    gx, gy = (px - M_TX) / M_S, (py - M_TY) / M_S
    genes = [M_GENES[i] for i in rng.integers(0, len(M_GENES), n)]
    with open(os.path.join(out, "detected_transcripts.csv"), "w") as f:
        f.write(",barcode_id,global_x,global_y,global_z,x,y,fov,gene\n")
        for i in range(n):
            f.write(f"{i},3,{float(gx[i])!r},{float(gy[i])!r},3.0,1.0,1.0,0,{genes[i]}\n")
    keep = np.array([not g.startswith("Blank-") for g in genes])
    col = np.floor((M_S * gx + 0.0 * gy) + M_TX)[keep]
    row = np.floor((0.0 * gx + M_S * gy) + M_TY)[keep]
    kept = [g for g, k in zip(genes, keep) if k]
    names = list(dict.fromkeys(kept))
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    cell = np.full(len(kept), -1)
    cell[inside] = lab[row[inside].astype(int), col[inside].astype(int)]
    counts = np.zeros((len(per_plane[3]) + 1, len(names)), np.int64)
    for c, g in zip(cell, kept):
        if c >= 0:
            counts[c, names.index(g)] += 1
    np.save(os.path.join(OUT, "merscope_counts.npy"), counts[1:])
    with open(os.path.join(OUT, "merscope_genes.txt"), "w") as f:
        f.write("".join(g + "\n" for g in names))
    summary = {
        "transcripts": len(kept),
        "in_cells": int((cell > 0).sum()),
        "background": int((cell == 0).sum()),
        "outside": int((cell < 0).sum()),
        "dropped_controls": int((~keep).sum()),
        "cells": len(per_plane[3]),
        "genes": len(names),
        "shape": [h, w],
    }
    with open(os.path.join(OUT, "merscope_expected.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
        f.write("\n")


def write_bad() -> None:
    """Broken tables, one fault each."""
    out = os.path.join(OUT, "bad")
    os.makedirs(out, exist_ok=True)

    def xenium(ids, xs, ys, name):
        table = pa.table({"cell_id": pa.array(ids, pa.string()), "vertex_x": xs, "vertex_y": ys})
        pq.write_table(table, os.path.join(out, name))

    f64 = lambda v: pa.array(v, pa.float64())  # noqa: E731
    xenium(["a", "a", "b", "b", "a"], f64([0, 1, 0, 1, 0]), f64([0, 0, 1, 1, 1]), "restart.parquet")
    xenium(["a", "a"], pa.array(["0", "1"]), f64([0, 0]), "text_vertex.parquet")
    xenium([], f64([]), f64([]), "empty.parquet")
    square = [[np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])]]
    good = wkb_multipolygon(square)
    table = pa.table({
        "EntityID": pa.array([11, 12], pa.int64()),
        "ZIndex": pa.array([3, 3], pa.int64()),
        "Geometry": pa.array([good, good[:30]], pa.binary()),
    })
    pq.write_table(table, os.path.join(out, "truncated_wkb.parquet"))
    table = pa.table({"EntityID": pa.array([11], pa.int64()), "Geometry": pa.array([good], pa.binary())})
    pq.write_table(table, os.path.join(out, "no_zindex.parquet"))


if __name__ == "__main__":
    main()
