"""Checks a site written by `cellmap publish` with the pinned SpatialData stack
(tests/requirements-spatialdata.txt, in .venv-spatialdata); run by cli/tests/publish.rs.

    publish_check.py SITE LABELS.npy TABLE GENES.txt LEVELS [TRANSCRIPTS.csv]

SITE/data.zarr must open in spatialdata.read_zarr with the labels (level 0 equal to LABELS.npy,
renumbered 1..N; level k equal to LABELS[::2**k, ::2**k]; LEVELS levels) annotated by the table,
whose X (CSC, float32) equals TABLE (cells x genes: a .npy or ARCHIVE.npz:MEMBER, NaN = no entry,
or a scipy sparse .npz) and whose var names are
GENES.txt, with obs bounding boxes equal to scipy.ndimage.find_objects' and obsm/cellmap_top_genes /
cellmap_top_values each cell's 10 largest values (ties in gene order); anndata.read_zarr must read the same table from a loopback HTTP server (range requests,
consolidated metadata only: no directory listing). With TRANSCRIPTS.csv (x, y, gene in pixels), the
store's points element must hold them all, in Morton order, each with the cell under it.
"""

import functools
import http.server
import json
import sys
import threading
import warnings

import anndata as ad
import numpy as np
import scipy.sparse as sp
from scipy import ndimage
import spatialdata as sd
import zarr
from RangeHTTPServer import RangeRequestHandler
from spatialdata import get_element_annotators, get_values

site, labels_path, table_path, genes_path, levels = sys.argv[1:6]
transcripts_path = sys.argv[6] if len(sys.argv) > 6 else None
levels = int(levels)
store = f"{site}/data.zarr"
labels = np.load(labels_path)
if ".npz:" in table_path:
    archive, member = table_path.rsplit(":", 1)
    table = np.load(archive)[member]
elif table_path.endswith(".npz"):
    table = sp.load_npz(table_path).toarray()
else:
    table = np.load(table_path)
genes = open(genes_path).read().split()

# The store, by spatialdata: no warning about the format (an old or unknown version warns).
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    sdata = sd.read_zarr(store)
format_warnings = [str(w.message) for w in caught if "format" in str(w.message).lower()]
assert not format_warnings, format_warnings
assert set(sdata.labels) == {"cells"} and set(sdata.tables) == {"table"}, sdata

# Labels: int32 (y, x), the multiscale levels, each a nearest-neighbour sample of level 0.
cells = sdata.labels["cells"]
if levels == 1:
    scales = [cells]
else:
    scales = [cells[f"scale{k}"]["image"] for k in range(len(cells))]
    assert len(scales) == levels, (len(scales), levels)
present = np.unique(labels[labels > 0])
renumber = np.zeros(labels.max() + 1, dtype=np.int64)
renumber[present] = np.arange(1, present.size + 1)
want0 = renumber[labels]
for k, level in enumerate(scales):
    assert level.dims == ("y", "x"), level.dims
    assert level.dtype == np.int32, level.dtype
    got = level.values
    want = want0[:: 2**k, :: 2**k][: labels.shape[0] >> k or 1, : labels.shape[1] >> k or 1]
    assert got.shape == want.shape, (k, got.shape, want.shape)
    assert (got == want).all(), f"level {k} differs from level 0 sampled every {2**k} pixels"

# The table annotates the labels, one row per cell 1..N in order.
assert get_element_annotators(sdata, "cells") == {"table"}
adata = sdata.tables["table"]
attrs = adata.uns["spatialdata_attrs"]
assert (attrs["region"], attrs["region_key"], attrs["instance_key"]) == ("cells", "region", "cell_id"), attrs
n = present.size
assert adata.shape == (n, len(genes)), (adata.shape, n, len(genes))
assert adata.obs["cell_id"].tolist() == list(range(1, n + 1))
assert list(adata.obs_names) == [str(i) for i in range(1, n + 1)]
assert adata.obs["region"].dtype == "category" and set(adata.obs["region"]) == {"cells"}
assert list(adata.var_names) == genes
area = np.bincount(want0.ravel(), minlength=n + 1)[1:]
assert (adata.obs["area"].to_numpy() == area).all()
rows, cols = np.indices(labels.shape)
for axis, grid in (("centroid_y", rows), ("centroid_x", cols)):
    sums = np.bincount(want0.ravel(), weights=grid.ravel(), minlength=n + 1)[1:]
    assert adata.obs[axis].dtype == np.float64, adata.obs[axis].dtype
    np.testing.assert_allclose(adata.obs[axis].to_numpy(), sums / area, rtol=1e-12)
spatial = adata.obs[["centroid_x", "centroid_y"]].to_numpy().astype(np.float32)
np.testing.assert_array_equal(adata.obsm["spatial"], spatial)
# The bounding boxes (end-exclusive, as regions.csv), by scipy.
boxes = ndimage.find_objects(want0)
for k, name in enumerate(("bbox_min_row", "bbox_min_col", "bbox_max_row", "bbox_max_col")):
    axis, end = k % 2, k >= 2
    bound = [(box[axis].stop if end else box[axis].start) for box in boxes]
    np.testing.assert_array_equal(adata.obs[name].to_numpy(), bound, err_msg=name)

# X: CSC float32 with an entry for every value that is neither 0 nor NaN, equal to the table.
assert sp.issparse(adata.X) and adata.X.format == "csc" and adata.X.dtype == np.float32, type(adata.X)
table = table[present - 1] if table.shape[0] != n else table
want = np.where(np.isnan(table), 0, table).astype(np.float32)
assert adata.X.nnz == np.count_nonzero(want), (adata.X.nnz, np.count_nonzero(want))
np.testing.assert_array_equal(adata.X.toarray(), want)

# Each cell's 10 largest stored values, largest first, ties in gene order (-1 / NaN after the
# last stored value): the viewer's cell detail.
top_genes, top_values = adata.obsm["cellmap_top_genes"], adata.obsm["cellmap_top_values"]
assert top_genes.shape == top_values.shape == (n, 10), (top_genes.shape, top_values.shape)
assert top_genes.dtype == np.int32 and top_values.dtype == np.float32, (top_genes.dtype, top_values.dtype)
for cell in range(n):
    stored = np.flatnonzero(want[cell])
    order = stored[np.lexsort((stored, -want[cell, stored]))][:10]
    expected_genes = np.full(10, -1, np.int32)
    expected_genes[: order.size] = order
    expected_values = np.full(10, np.nan, np.float32)
    expected_values[: order.size] = want[cell, order]
    np.testing.assert_array_equal(top_genes[cell], expected_genes, err_msg=f"cell {cell + 1}")
    np.testing.assert_array_equal(top_values[cell], expected_values, err_msg=f"cell {cell + 1}")

# spatialdata's own lookup of a gene's values per cell.
gene = genes[int(np.argmax((want != 0).sum(axis=0)))]
values = get_values(value_key=gene, sdata=sdata, element_name="cells", table_name="table")
np.testing.assert_array_equal(values[gene].to_numpy(), want[:, genes.index(gene)])

# The points: every transcript, at its place, with the (renumbered) cell under it.
if transcripts_path is None:
    assert set(sdata.points) == set(), sdata.points
else:
    import pandas as pd

    points = sdata.points["transcripts"].compute()
    given = pd.read_csv(transcripts_path)
    assert len(points) == len(given), (len(points), len(given))
    # A plain Parquet string column (no arrow schema in the file): pandas strings, not categories.
    assert str(points["gene"].dtype) in ("category", "string", "object"), points.dtypes
    codes = points["morton_code_2d"].to_numpy().astype(np.uint32)
    assert (np.diff(codes.astype(np.int64)) >= 0).all(), "rows in Morton order"
    def positions(frame):
        xy = frame[["x", "y"]].to_numpy(np.float32)
        return xy[np.lexsort((xy[:, 1], xy[:, 0]))]

    np.testing.assert_array_equal(positions(points), positions(given))
    row, col = points["y"].to_numpy().astype(np.int64), points["x"].to_numpy().astype(np.int64)
    np.testing.assert_array_equal(points["cell_id"].to_numpy(), want0[row, col])
    assert (np.asarray(genes)[points["feature_index"].to_numpy()] == points["gene"].astype(str).to_numpy()).all()

# The manifest names the store and the default gene (the one in most cells).
manifest = json.load(open(f"{site}/manifest.json"))
assert manifest["data"] == "data.zarr" and manifest["default_view"]["gene"] == gene, manifest

# anndata over HTTP, from the consolidated metadata (the server lists no folders).
class Quiet(RangeRequestHandler):
    def log_message(self, *args):
        pass

    def list_directory(self, path):
        self.send_error(404, "no listings on a static host")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
try:
    url = f"http://127.0.0.1:{server.server_address[1]}/data.zarr"
    root = zarr.open_group(zarr.storage.FsspecStore.from_url(url, read_only=True), mode="r")
    remote = ad.read_zarr(root["tables/table"])
    assert remote.shape == adata.shape and list(remote.var_names) == genes
    assert (remote.X != adata.X).nnz == 0
    remote_labels = root["labels/cells/s0"]
    assert remote_labels.shape == labels.shape and (remote_labels[:] == want0).all()
finally:
    server.shutdown()
print("ok")
