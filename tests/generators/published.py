#!/usr/bin/env python3
"""Published stores (PUBLISH-FORMAT.md: SpatialData Zarr v3, container "0.2") written by
zarr-python itself, for the lazy viewer's reader (pipeline/src/published.rs, wasm/store) and
the browser test tests/e2e/lazy.test.mjs.

Writes into tests/fixtures/published/:
  store.zarr/     labels/cells s0..s2 (int32 1024 x 1536, 512 x 768, 256 x 384; 512 x 512
                  chunks, bytes + zstd level 3; nearest (stride 2) downsampling; the
                  all-background chunk s0/c/1/0 is omitted, as zarr-python omits chunks equal to
                  the fill value); the table (AnnData, X in CSC float32, obs sorted by cell_id
                  1..N with area and centroid, var names, obsm/spatial, uns/spatialdata_attrs);
                  consolidated metadata inline in the root zarr.json, written last.
                  X/data and X/indices use 64-element chunks (the format's 2^17 would put every
                  column of this small table in one chunk): columns span chunk boundaries.
  sharded.zarr/   the same layout, small (64 x 64, one level), with X/data written sharded
                  (codec sharding_indexed, as anndata >= 0.13 writes zarr v3): not readable lazily.
  manifest.json   what `cellmap publish` writes next to data.zarr, for store.zarr: X holds the
                  sum, the store opens on gene Gapdh with magma (the viewer reads it first).
  expected.json   for each gene: the values by cell (row = label - 1), the min-max range over
                  cells, and for a few cells their first pixel and the RGBA matplotlib paints them
                  with viridis under that range (level round-half-even of 255 (v - lo) / (hi - lo)).

Run with the project venv: .venv/bin/python tests/generators/published.py
"""

import json
import pathlib
import shutil

import matplotlib
import numpy as np
import zarr
from zarr.codecs import BytesCodec, ZstdCodec

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "published"
HEIGHT, WIDTH, LEVELS = 1024, 1536, 3
GENES = ["Actb", "Gapdh", "Sox2", "Olig2", "Empty1", "Pvalb"]
ZSTD = ZstdCodec(level=3, checksum=False)
IDENTITY = {
    "type": "identity",
    "input": {"name": "yx", "axes": [{"name": "y", "type": "space", "unit": "unit"},
                                     {"name": "x", "type": "space", "unit": "unit"}]},
    "output": {"name": "global", "axes": [{"name": "y", "type": "space", "unit": "unit"},
                                          {"name": "x", "type": "space", "unit": "unit"}]},
}


def make_labels(height, width, rng, spacing):
    """Discs and rectangles on a jittered grid, renumbered 1..N in raster order of their first
    pixel; the block rows 512..1023, cols 0..511 is left empty (an all-background chunk)."""
    labels = np.zeros((height, width), np.int32)
    yy, xx = np.mgrid[0:height, 0:width]
    n = 0
    for cy in range(spacing // 2, height, spacing):
        for cx in range(spacing // 2, width, spacing):
            if height > 512 and cy >= 512 and cx < 512 + spacing:
                continue
            r = int(rng.integers(spacing // 4, spacing // 2 - 1))
            y, x = cy + int(rng.integers(-3, 4)), cx + int(rng.integers(-3, 4))
            n += 1
            if rng.random() < 0.5:
                cell = (yy - y) ** 2 + (xx - x) ** 2 <= r * r
            else:
                cell = (abs(yy - y) <= r) & (abs(xx - x) <= r * 2 // 3)
            if height > 512:
                cell &= ~((yy >= 512) & (xx < 512))
            labels[cell & (labels == 0)] = n
    # renumber 1..N by first pixel in raster order
    ids, first = np.unique(labels.ravel(), return_index=True)
    order = ids[1:][np.argsort(first[1:])]
    remap = np.zeros(n + 1, np.int32)
    remap[order] = np.arange(1, len(order) + 1, dtype=np.int32)
    return remap[labels]


def make_table(n_cells, rng):
    """Dense (n_cells, genes) float32 counts, mostly zero; gene "Empty1" has no values."""
    dense = rng.poisson(1.2, size=(n_cells, len(GENES))).astype(np.float32)
    dense[rng.random(dense.shape) < 0.4] = 0
    dense[:, GENES.index("Empty1")] = 0
    dense[:, GENES.index("Pvalb")] *= 3.5  # non-integer values
    return dense


def array(group, name, data, chunks, codecs_for_strings=False, attributes=None, shards=None):
    data = np.asarray(data)
    kwargs = {}
    if shards is not None:
        kwargs["shards"] = shards
    a = group.create_array(
        name,
        shape=data.shape,
        chunks=chunks,
        dtype=str if codecs_for_strings else data.dtype,
        fill_value="" if codecs_for_strings else 0,
        compressors=ZSTD,
        serializer="auto" if codecs_for_strings else BytesCodec(endian="little"),
        attributes=attributes or {},
        **kwargs,
    )
    a[...] = data
    return a


def write_store(path, labels, dense, levels, x_chunk, shard_x=False):
    if path.exists():
        shutil.rmtree(path)
    root = zarr.open_group(zarr.storage.LocalStore(path), mode="w", zarr_format=3)
    root.attrs.update({"spatialdata_attrs": {"version": "0.2", "spatialdata_software_version": "cellmap 0.1.0"}})
    lab = root.create_group("labels", attributes={"ome": {"labels": ["cells"]}})
    datasets = [{"path": f"s{k}", "coordinateTransformations": [{"type": "scale", "scale": [2.0**k, 2.0**k]}]}
                for k in range(levels)]
    cells = lab.create_group("cells", attributes={
        "ome": {"version": "0.5-dev-spatialdata", "image-label": {"version": "0.5"},
                "multiscales": [{"name": "cells", "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                                 "datasets": datasets, "coordinateTransformations": [IDENTITY]}]},
        "spatialdata_attrs": {"version": "0.3"}})
    level = labels
    for k in range(levels):
        a = cells.create_array(f"s{k}", shape=level.shape, chunks=(512, 512), dtype=np.int32, fill_value=0,
                               compressors=ZSTD, serializer=BytesCodec(endian="little"), dimension_names=["y", "x"])
        a[...] = level
        level = level[::2, ::2][: level.shape[0] // 2, : level.shape[1] // 2]

    n_cells, n_genes = dense.shape
    ids = np.arange(1, n_cells + 1, dtype=np.int32)
    area = np.bincount(labels.ravel(), minlength=n_cells + 1)[1:].astype(np.float32)
    yy, xx = np.mgrid[0: labels.shape[0], 0: labels.shape[1]]
    cy = (np.bincount(labels.ravel(), weights=yy.ravel(), minlength=n_cells + 1)[1:] / area).astype(np.float32)
    cx = (np.bincount(labels.ravel(), weights=xx.ravel(), minlength=n_cells + 1)[1:] / area).astype(np.float32)

    tables = root.create_group("tables")
    table = tables.create_group("table", attributes={
        "encoding-type": "anndata", "encoding-version": "0.1.0", "spatialdata-encoding-type": "ngff:regions_table",
        "region": "cells", "region_key": "region", "instance_key": "cell_id", "version": "0.2"})
    # X in CSC: columns are genes
    indptr = [0]
    indices, data = [], []
    for g in range(n_genes):
        rows = np.nonzero(dense[:, g])[0]
        indices.extend(rows.tolist())
        data.extend(dense[rows, g].tolist())
        indptr.append(len(indices))
    x = table.create_group("X", attributes={"encoding-type": "csc_matrix", "encoding-version": "0.1.0",
                                            "shape": [n_cells, n_genes]})
    array(x, "data", np.array(data, np.float32), (x_chunk,), shards=(x_chunk * 4,) if shard_x else None)
    array(x, "indices", np.array(indices, np.int32), (x_chunk,))
    array(x, "indptr", np.array(indptr, np.int64), (n_genes + 1,))
    plain = {"encoding-type": "array", "encoding-version": "0.2.0"}
    strings = {"encoding-type": "string-array", "encoding-version": "0.2.0"}
    obs = table.create_group("obs", attributes={
        "encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index",
        "column-order": ["region", "cell_id", "area", "centroid_y", "centroid_x"]})
    array(obs, "_index", np.array([str(i) for i in ids], dtype=object), (n_cells,), True, strings)
    region = obs.create_group("region", attributes={"encoding-type": "categorical", "encoding-version": "0.2.0",
                                                     "ordered": False})
    array(region, "categories", np.array(["cells"], dtype=object), (1,), True, strings)
    array(region, "codes", np.zeros(n_cells, np.int8), (n_cells,), attributes=plain)
    array(obs, "cell_id", ids, (n_cells,), attributes=plain)
    array(obs, "area", area, (n_cells,), attributes=plain)
    array(obs, "centroid_y", cy, (n_cells,), attributes=plain)
    array(obs, "centroid_x", cx, (n_cells,), attributes=plain)
    var = table.create_group("var", attributes={"encoding-type": "dataframe", "encoding-version": "0.2.0",
                                                "_index": "_index", "column-order": []})
    array(var, "_index", np.array(GENES[:n_genes], dtype=object), (n_genes,), True, strings)
    dict_attrs = {"encoding-type": "dict", "encoding-version": "0.1.0"}
    obsm = table.create_group("obsm", attributes=dict_attrs)
    array(obsm, "spatial", np.stack([cx, cy], axis=1), (n_cells, 2), attributes=plain)
    uns = table.create_group("uns", attributes=dict_attrs)
    sd = uns.create_group("spatialdata_attrs", attributes=dict_attrs)
    for key, value in (("region", "cells"), ("region_key", "region"), ("instance_key", "cell_id")):
        a = sd.create_array(key, shape=(), dtype=str, fill_value="", compressors=ZSTD,
                            attributes={"encoding-type": "string", "encoding-version": "0.2.0"})
        a[()] = value
    zarr.consolidate_metadata(zarr.storage.LocalStore(path))
    return area, cy, cx


def expected_colours(labels, dense, area):
    viridis = matplotlib.colormaps["viridis"]
    first = {}
    flat = labels.ravel()
    ids, index = np.unique(flat, return_index=True)
    for label, i in zip(ids, index):
        if label:
            first[int(label)] = [int(i // labels.shape[1]), int(i % labels.shape[1])]
    genes = {}
    for g, name in enumerate(GENES):
        values = dense[:, g].astype(np.float64)
        shown = values[area > 0]
        lo, hi = float(shown.min()), float(shown.max())
        cells = {}
        for label in (1, 2, 7, len(values) // 2, len(values)):
            v = values[label - 1]
            level = 128 if hi == lo else int(np.clip(np.round(255 * (v - lo) / (hi - lo)), 0, 255))
            cells[str(label)] = {"pixel": first[label], "value": float(v), "area": int(area[label - 1]),
                                 "rgba": [int(c) for c in viridis(level, bytes=True)]}
        genes[name] = {"range": [lo, hi], "values": values.tolist(), "cells": cells}
    return genes


def main():
    rng = np.random.default_rng(20261205)
    labels = make_labels(HEIGHT, WIDTH, rng, 48)
    n_cells = int(labels.max())
    dense = make_table(n_cells, rng)
    area, _, _ = write_store(OUT / "store.zarr", labels, dense, LEVELS, 64)
    small = make_labels(64, 64, rng, 16)
    write_store(OUT / "sharded.zarr", small, make_table(int(small.max()), rng), 1, 16, shard_x=True)
    expected = {"height": HEIGHT, "width": WIDTH, "cells": n_cells, "genes": GENES,
                "levels": [[HEIGHT >> k, WIDTH >> k] for k in range(LEVELS)],
                "omitted_chunk": "labels/cells/s0/c/1/0", "colormap": "viridis",
                "by_gene": expected_colours(labels, dense, area)}
    manifest = {"generator": "cellmap publish", "format": 1, "cellmap_version": "0.1.0",
                "title": "published fixture", "data": "store.zarr", "labels": "labels/cells",
                "table": "tables/table", "points": None, "statistic": "sum",
                "shape": [HEIGHT, WIDTH], "levels": LEVELS, "cells": n_cells, "genes": len(GENES),
                "sources": [], "default_view": {"gene": "Gapdh", "colormap": "magma"},
                "files": ["store.zarr", "sharded.zarr"]}
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (OUT / "expected.json").write_text(json.dumps(expected, indent=None, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
