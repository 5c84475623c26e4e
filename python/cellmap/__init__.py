"""cellmap: exact per-cell gene maps from cell masks and spatial transcriptomics.

Labels equal to ``scipy.ndimage`` (``binary_fill_holes`` + ``label``), per-cell
statistics, regions and transcript assignment, computed by the Rust pipeline
with the GIL released. C-contiguous ``bool``/``uint8`` masks, ``int32`` labels
and ``float32`` values are read without a copy; other arrays are converted.
For arrays larger than memory or than one machine, see :mod:`cellmap.dask`.

>>> import numpy as np, cellmap
>>> ring = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=bool)
>>> labels, n = cellmap.label(ring)
>>> n, labels[1, 1]
(1, np.int32(1))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native

__all__ = [
    "fill_holes",
    "label",
    "cell_stats",
    "cell_gene_stats",
    "regions",
    "assign",
    "to_anndata",
    "STATS",
]

#: The per-cell statistics, by name.
STATS = ("mean", "sum", "count", "min", "max")


def _mask(mask: Any) -> np.ndarray:
    """A 2-D C-contiguous bool/uint8 view of ``mask`` (a copy only when needed)."""
    a = np.asarray(mask)
    if a.ndim != 2:
        raise ValueError(f"a mask must be 2-D, not {a.ndim}-D")
    if a.dtype != np.bool_ and a.dtype != np.uint8:
        a = a != 0
    return np.require(a, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _labels(labels: Any) -> np.ndarray:
    """A 2-D C-contiguous int32 array of ``labels`` (checked: 0..2**31-1)."""
    a = np.asarray(labels)
    if a.ndim != 2:
        raise ValueError(f"labels must be 2-D, not {a.ndim}-D")
    if not np.issubdtype(a.dtype, np.integer):
        raise TypeError(f"labels must be integers, not {a.dtype}")
    if a.dtype != np.int32:
        if a.size and (a.min() < 0 or a.max() > np.iinfo(np.int32).max):
            raise ValueError("labels must be in 0..2**31-1")
        a = a.astype(np.int32)
    return np.require(a, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _values(values: Any, shape: tuple[int, ...]) -> np.ndarray:
    a = np.asarray(values)
    if a.shape != shape:
        raise ValueError(f"values of shape {a.shape} for labels of shape {shape}")
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise TypeError(f"values must be numbers, not {a.dtype}")
    return np.require(a, dtype=np.float32, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _connectivity(connectivity: int) -> int:
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, not {connectivity!r}")
    return connectivity


def fill_holes(mask: Any) -> np.ndarray:
    """``scipy.ndimage.binary_fill_holes`` of a 2-D mask (nonzero = foreground).

    >>> import numpy as np, cellmap
    >>> cellmap.fill_holes(np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]])).all()
    np.True_
    """
    return _native.fill_holes(_mask(mask))


def label(mask: Any, connectivity: int = 4, fill_holes: bool = True) -> tuple[np.ndarray, int]:
    """Labels a 2-D mask: ``(labels, n)`` equal to ``scipy.ndimage.label`` of
    ``binary_fill_holes(mask)`` (of ``mask`` itself with ``fill_holes=False``).

    ``connectivity=4`` is scipy's default structure, ``8`` is
    ``structure=np.ones((3, 3))``. Labels are int32, numbered in raster order.

    >>> import numpy as np, cellmap
    >>> mask = np.array([[1, 0, 1], [0, 1, 0]], dtype=np.uint8)
    >>> cellmap.label(mask)[1], cellmap.label(mask, connectivity=8)[1]
    (3, 1)
    >>> cellmap.label(mask, connectivity=6)
    Traceback (most recent call last):
    ...
    ValueError: connectivity must be 4 or 8, not 6
    """
    return _native.label(_mask(mask), _connectivity(connectivity), bool(fill_holes))


def _stat(stat: str) -> str:
    if stat not in STATS:
        raise ValueError(f"unknown statistic {stat!r}: one of {', '.join(STATS)}")
    return stat


def cell_stats(
    labels: Any,
    values: Any,
    stat: str = "mean",
    skip_zeros: bool = True,
    within: Any = None,
    n_cells: int | None = None,
) -> np.ndarray:
    """One statistic of ``values`` per cell: ``out[k - 1]`` is cell ``k``.

    ``stat`` is one of ``mean``, ``sum``, ``count``, ``min``, ``max``. NaN
    values never count, zeros are skipped unless ``skip_zeros=False``;
    ``within`` (a mask, usually the unfilled one) restricts the pixels. A cell
    with no counted pixel has mean/min/max NaN. Values are read as float32.
    ``n_cells`` defaults to the largest label.

    >>> import numpy as np, cellmap
    >>> labels = np.array([[1, 1, 0, 2]])
    >>> values = np.array([[2.0, 4.0, 9.0, 0.0]])
    >>> cellmap.cell_stats(labels, values)
    array([ 3., nan])
    >>> cellmap.cell_stats(labels, values, "count", skip_zeros=False)
    array([2., 1.])
    """
    lab = _labels(labels)
    val = _values(values, lab.shape)
    inside = None if within is None else _mask(within)
    return _native.cell_stats_dense(lab, val, n_cells, _stat(stat), bool(skip_zeros), inside)


def cell_gene_stats(
    labels: Any,
    X: Any,
    stat: str = "mean",
    skip_zeros: bool = True,
    n_cells: int | None = None,
    sparse: bool = False,
) -> Any:
    """One statistic per cell and gene of a pixels × genes ``scipy.sparse``
    matrix (CSR or CSC, rows in raster order of ``labels``): an (N, G) array,
    or a ``scipy.sparse.csr_matrix`` with ``sparse=True`` (NaN — no value —
    stored as 0).

    >>> import numpy as np, scipy.sparse as sp, cellmap
    >>> labels = np.array([[1, 1, 2]])
    >>> X = sp.csr_matrix(np.array([[2.0, 0.0], [4.0, 1.0], [0.0, 5.0]]))
    >>> cellmap.cell_gene_stats(labels, X)
    array([[ 3.,  1.],
           [nan,  5.]])
    """
    import scipy.sparse as sp

    lab = _labels(labels)
    if not sp.issparse(X):
        raise TypeError(f"X must be a scipy.sparse matrix, not {type(X).__name__}")
    X = X.tocsr()
    if X.shape[0] != lab.size:
        raise ValueError(f"X has {X.shape[0]} rows, the labels {lab.size} pixels")
    index = np.int64 if X.indptr.dtype == np.int64 or X.indices.dtype == np.int64 else np.int32
    data = X.data if X.data.dtype in (np.float32, np.float64) else X.data.astype(np.float64)
    out = _native.cell_gene_stats_csr(
        lab,
        np.ascontiguousarray(X.indptr, dtype=index),
        np.ascontiguousarray(X.indices, dtype=index),
        np.ascontiguousarray(data),
        X.shape[1],
        n_cells,
        _stat(stat),
        bool(skip_zeros),
    )
    if sparse:
        return sp.csr_matrix(np.nan_to_num(out, nan=0.0))
    return out


def regions(labels: Any, n_cells: int | None = None) -> Any:
    """Area, centroid and bounding box per cell (``label`` 1..N): a pandas
    DataFrame when pandas is installed, else a dict of numpy arrays. Columns:
    ``label, area, centroid_row, centroid_col, bbox_min_row, bbox_min_col,
    bbox_max_row, bbox_max_col`` (max exclusive; -1 for an id without pixels).

    >>> import numpy as np, cellmap
    >>> r = cellmap.regions(np.array([[1, 1, 0], [0, 1, 0]]))
    >>> int(r["area"][0]), float(r["centroid_col"][0])
    (3, 0.6666666666666666)
    """
    lab = _labels(labels)
    area, centroid, bbox = _native.regions(lab, n_cells)
    table = {
        "label": np.arange(1, len(area) + 1, dtype=np.int64),
        "area": area,
        "centroid_row": centroid[:, 0],
        "centroid_col": centroid[:, 1],
        "bbox_min_row": bbox[:, 0],
        "bbox_min_col": bbox[:, 1],
        "bbox_max_row": bbox[:, 2],
        "bbox_max_col": bbox[:, 3],
    }
    try:
        import pandas as pd
    except ImportError:
        return table
    return pd.DataFrame(table)


def assign(
    labels: Any,
    x: Any,
    y: Any,
    gene: Any = None,
    scale: float = 1.0,
    max_distance: float | None = None,
) -> Any:
    """Each transcript's cell: ``labels[int(y / scale), int(x / scale)]``
    (x = column, y = row, in units of ``scale`` per pixel), 0 on background,
    -1 outside the image; with ``max_distance`` (pixels) a point on
    background goes to the nearest cell within that distance.

    With ``gene`` (one code or name per transcript), returns
    ``(cell_ids, counts, genes)``: ``counts`` is a cells × genes
    ``scipy.sparse.csr_matrix`` of the transcripts in cells and ``genes`` the
    gene names in column order.

    >>> import numpy as np, cellmap
    >>> labels = np.array([[1, 0, 2]])
    >>> cellmap.assign(labels, [0.5, 1.5, 2.5, 9.0], [0.0, 0.0, 0.0, 0.0])
    array([ 1,  0,  2, -1])
    >>> ids, counts, genes = cellmap.assign(labels, [0.5, 2.5, 2.2], [0, 0, 0], gene=["a", "b", "b"])
    >>> counts.toarray(), genes.tolist()
    (array([[1, 0],
           [0, 2]], dtype=uint32), ['a', 'b'])
    """
    lab = _labels(labels)
    xs = np.ascontiguousarray(x, dtype=np.float64).ravel()
    ys = np.ascontiguousarray(y, dtype=np.float64).ravel()
    if xs.shape != ys.shape:
        raise ValueError(f"{xs.size} x coordinates and {ys.size} y coordinates")
    ids = _native.assign(lab, xs, ys, float(scale), None if max_distance is None else float(max_distance))
    if gene is None:
        return ids
    import scipy.sparse as sp

    genes, codes = np.unique(np.asarray(gene), return_inverse=True)
    if codes.size != ids.size:
        raise ValueError(f"{codes.size} genes for {ids.size} transcripts")
    n_cells = int(lab.max(initial=0))
    inside = ids > 0
    counts = sp.coo_matrix(
        (np.ones(int(inside.sum()), dtype=np.uint32), (ids[inside] - 1, codes[inside])),
        shape=(n_cells, genes.size),
    ).tocsr()
    return ids, counts, genes


def to_anndata(
    labels: Any,
    X: Any,
    genes: Any = None,
    stat: str = "mean",
    skip_zeros: bool = True,
) -> Any:
    """An ``anndata.AnnData`` of the cells: ``X`` the per-cell statistic of
    each gene (a pixels × genes ``scipy.sparse`` matrix, or a cells × genes
    table already reduced, e.g. ``assign``'s counts), ``obs`` the regions
    (area, centroid, bbox; index = label), ``var`` the gene names and
    ``obsm["spatial"]`` the centroids as (x, y) = (column, row).

    >>> import numpy as np, scipy.sparse as sp, cellmap
    >>> labels = np.array([[1, 1, 2]])
    >>> X = sp.csr_matrix(np.array([[2.0], [4.0], [6.0]]))
    >>> adata = cellmap.to_anndata(labels, X, genes=["Gad1"])
    >>> adata.shape, adata.obsm["spatial"][1].tolist()
    ((2, 1), [2.0, 0.0])
    """
    import anndata
    import pandas as pd
    import scipy.sparse as sp

    lab = _labels(labels)
    n_cells = int(lab.max(initial=0))
    if sp.issparse(X) and X.shape[0] == lab.size:
        table = cell_gene_stats(lab, X, stat=stat, skip_zeros=skip_zeros, n_cells=n_cells)
    else:
        table = X
        if table.shape[0] != n_cells:
            raise ValueError(f"X has {table.shape[0]} rows: neither {lab.size} pixels nor {n_cells} cells")
    reg = pd.DataFrame(regions(lab, n_cells=n_cells))
    obs = reg.drop(columns="label").set_index(reg["label"].astype(str).rename(None))
    n_genes = table.shape[1]
    names = [f"gene_{g}" for g in range(n_genes)] if genes is None else [str(g) for g in genes]
    if len(names) != n_genes:
        raise ValueError(f"{len(names)} gene names for {n_genes} genes")
    adata = anndata.AnnData(X=table, obs=obs, var=pd.DataFrame(index=names))
    adata.obsm["spatial"] = np.column_stack([reg["centroid_col"], reg["centroid_row"]])
    return adata
