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
                                  (0.2125 µm/px), with xenium_labels.npy;
  cells.geojson                   a FeatureCollection in pixels (Polygon
                                  with a hole, MultiPolygon, ids in
                                  properties), with geojson_labels.npy.

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

import numpy as np
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


def write_xenium(rng: np.random.Generator) -> None:
    """Six cells as Xenium writes them: rows per cell, ring closed, µm."""
    shape = (30, 40)
    rows, polys = [], []
    for k in range(6):
        cx, cy = 4 + 6.5 * k, 6 + 3.0 * k
        ring = star(rng, cx, cy, 5.0, 9) * XENIUM_UM_PER_PX  # pixels -> µm
        ring = np.round(ring, 4)  # Xenium's float32 precision, written as text
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


if __name__ == "__main__":
    main()
