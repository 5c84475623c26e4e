"""cellmap from numpy: labels, holes, statistics, regions and assignment equal scipy/numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.sparse as sp
from conftest import fixture_masks, picture, scipy_label
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cellmap

MASKS = fixture_masks()


@pytest.mark.parametrize("name", sorted(MASKS))
@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("fill", [True, False])
def test_parity_fixtures_equal_scipy(name, connectivity, fill):
    mask = MASKS[name]
    labels, n = cellmap.label(mask, connectivity=connectivity, fill_holes=fill)
    want, want_n = scipy_label(mask, connectivity, fill)
    assert labels.dtype == np.int32 and n == want_n
    np.testing.assert_array_equal(labels, want)
    if mask.size:
        np.testing.assert_array_equal(cellmap.fill_holes(mask), ndi.binary_fill_holes(mask != 0))


@settings(max_examples=200, deadline=None)
@given(
    mask=hnp.arrays(np.bool_, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=40)),
    connectivity=st.sampled_from([4, 8]),
    fill=st.booleans(),
)
def test_random_masks_equal_scipy(mask, connectivity, fill):
    labels, n = cellmap.label(mask, connectivity, fill)
    want, want_n = scipy_label(mask, connectivity, fill)
    assert n == want_n
    np.testing.assert_array_equal(labels, want)


def test_dtypes_and_layouts():
    rng = np.random.default_rng(1)
    mask = rng.random((37, 53)) < 0.5
    want, n = scipy_label(mask)
    for m in [mask, mask.astype(np.uint8) * 255, mask.astype(np.float64), mask.astype(np.int64), mask.T.copy().T]:
        np.testing.assert_array_equal(cellmap.label(m)[0], want)
    np.testing.assert_array_equal(cellmap.label(np.asfortranarray(mask))[0], want)
    np.testing.assert_array_equal(cellmap.label(mask[::2, ::3])[0], scipy_label(mask[::2, ::3])[0])


def test_errors_are_value_and_type_errors():
    with pytest.raises(ValueError, match="2-D"):
        cellmap.label(np.zeros(5))
    with pytest.raises(ValueError, match="connectivity"):
        cellmap.label(np.zeros((2, 2)), connectivity=6)
    with pytest.raises(ValueError, match="statistic"):
        cellmap.cell_stats(np.zeros((2, 2), np.int32), np.zeros((2, 2)), "median")
    with pytest.raises(ValueError, match="shape"):
        cellmap.cell_stats(np.zeros((2, 2), np.int32), np.zeros((2, 3)))
    with pytest.raises(TypeError):
        cellmap.cell_stats(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="label 3"):  # the core's message: a label beyond n_cells
        cellmap.cell_stats(np.array([[3, 0]]), np.ones((1, 2)), n_cells=2)


def numpy_stat(labels, values, n, stat, skip_zeros=True, within=None):
    out = np.full(n, np.nan)
    ok = ~np.isnan(values)
    if skip_zeros:
        ok &= values != 0
    if within is not None:
        ok &= within != 0
    for k in range(1, n + 1):
        v = values[(labels == k) & ok].astype(np.float64)
        out[k - 1] = {
            "mean": v.mean() if v.size else np.nan,
            "sum": v.sum(),
            "count": v.size,
            "min": v.min() if v.size else np.nan,
            "max": v.max() if v.size else np.nan,
        }[stat]
    return out


@pytest.mark.parametrize("stat", cellmap.STATS)
@pytest.mark.parametrize("skip_zeros", [True, False])
def test_cell_stats_equal_numpy(stat, skip_zeros):
    rng = np.random.default_rng(7)
    labels, n = cellmap.label(rng.random((60, 70)) < 0.55)
    values = rng.integers(0, 4, labels.shape).astype(np.float32) * rng.random(labels.shape).astype(np.float32)
    values[rng.random(labels.shape) < 0.05] = np.nan
    within = rng.random(labels.shape) < 0.8
    got = cellmap.cell_stats(labels, values, stat, skip_zeros=skip_zeros)
    np.testing.assert_allclose(got, numpy_stat(labels, values, n, stat, skip_zeros), rtol=1e-6)
    got = cellmap.cell_stats(labels, values, stat, skip_zeros=skip_zeros, within=within)
    np.testing.assert_allclose(got, numpy_stat(labels, values, n, stat, skip_zeros, within), rtol=1e-6)
    if stat == "mean" and skip_zeros:  # the research scripts' ndimage.mean over nonzero values
        nz = np.where(np.isnan(values), 0, values)
        with np.errstate(invalid="ignore"):
            want = ndi.sum(nz, labels, np.arange(1, n + 1)) / ndi.sum(nz != 0, labels, np.arange(1, n + 1))
        np.testing.assert_allclose(got if within is None else cellmap.cell_stats(labels, values), want, rtol=1e-6)


@pytest.mark.parametrize("stat", cellmap.STATS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_cell_gene_stats_equal_dense(stat, fmt):
    rng = np.random.default_rng(3)
    labels, n = cellmap.label(rng.random((30, 40)) < 0.55)
    dense = (rng.random((labels.size, 6)) < 0.3) * rng.random((labels.size, 6))
    X = sp.csr_matrix(dense).asformat(fmt)
    got = cellmap.cell_gene_stats(labels, X, stat)
    assert got.shape == (n, 6)
    for g in range(6):
        want = cellmap.cell_stats(labels, dense[:, g].reshape(labels.shape), stat)
        np.testing.assert_allclose(got[:, g], want, rtol=1e-6)
    assert sp.issparse(cellmap.cell_gene_stats(labels, X, stat, sparse=True))


def test_regions_equal_scipy():
    rng = np.random.default_rng(5)
    labels, n = cellmap.label(rng.random((50, 45)) < 0.5)
    r = cellmap.regions(labels)
    index = np.arange(1, n + 1)
    np.testing.assert_array_equal(np.asarray(r["area"]), ndi.sum(np.ones_like(labels), labels, index))
    com = np.array(ndi.center_of_mass(np.ones_like(labels), labels, index))
    np.testing.assert_allclose(np.asarray(r["centroid_row"]), com[:, 0])
    np.testing.assert_allclose(np.asarray(r["centroid_col"]), com[:, 1])
    for k, sl in enumerate(ndi.find_objects(labels)):
        assert (r["bbox_min_row"][k], r["bbox_max_row"][k]) == (sl[0].start, sl[0].stop)
        assert (r["bbox_min_col"][k], r["bbox_max_col"][k]) == (sl[1].start, sl[1].stop)


def test_assign_and_counts():
    labels = np.array([[1, 1, 0], [0, 2, 0]], dtype=np.int32)
    ids = cellmap.assign(labels, [0.5, 2.5, 1.2, 7.0], [0.2, 0.5, 1.9, 0.0])
    np.testing.assert_array_equal(ids, [1, 0, 2, -1])
    near = cellmap.assign(labels, [2.5], [0.5], max_distance=1.0)
    np.testing.assert_array_equal(near, [1])
    ids, counts, genes = cellmap.assign(labels, [1.0, 2.0, 4.0], [1.0, 2.0, 0.0], gene=["x", "y", "x"], scale=2.0)
    assert counts.shape == (2, 2) and counts.toarray().tolist() == [[1, 0], [0, 1]]


def test_to_anndata():
    anndata = pytest.importorskip("anndata")
    labels = np.array([[1, 1, 0, 2]], dtype=np.int32)
    X = sp.csr_matrix(np.array([[1.0, 0], [3.0, 2.0], [9.0, 9.0], [0, 4.0]]))
    adata = cellmap.to_anndata(labels, X, genes=["a", "b"])
    assert isinstance(adata, anndata.AnnData)
    assert adata.shape == (2, 2) and list(adata.var_names) == ["a", "b"]
    np.testing.assert_allclose(adata.X, [[2.0, 2.0], [np.nan, 4.0]])
    np.testing.assert_allclose(adata.obsm["spatial"], [[0.5, 0.0], [3.0, 0.0]])
    assert adata.obs["area"].tolist() == [2, 1]


def test_zero_copy_and_gil_release():
    import threading
    import time

    mask = np.random.default_rng(0).random((3000, 3000)) < 0.5
    t0 = time.perf_counter()
    cellmap.label(mask)
    one = time.perf_counter() - t0
    # Two threads: the GIL is released, so both run at once on 2 cores (not asserted on time: CI
    # machines are shared), and both results are right.
    out = [None, None]
    threads = [threading.Thread(target=lambda k=k: out.__setitem__(k, cellmap.label(mask))) for k in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert out[0][1] == out[1][1] == scipy_label(mask)[1] and one > 0


def test_pictures():
    ring = picture("#####", "#...#", "#.#.#", "#...#", "#####")
    labels, n = cellmap.label(ring)
    assert n == 1 and (labels == 1).all()
    labels, n = cellmap.label(ring, fill_holes=False)
    assert n == 2
