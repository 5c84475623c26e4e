"""cellmap.dask: labels across chunks equal scipy on the whole array; per-cell statistics
across chunks equal the in-memory ones; the threaded scheduler and a 2-process LocalCluster."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
from conftest import picture, scipy_label
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cellmap
import cellmap.dask


def dask_label(mask, chunks, connectivity=4, fill=True, **kw):
    labels, n = cellmap.dask.label(da.from_array(mask, chunks=chunks), connectivity, fill, **kw)
    with dask.config.set(scheduler="threads"):
        out, count = dask.compute(labels, n)
    return out, int(count)


def assert_like_scipy(mask, chunks, connectivity=4, fill=True):
    got, n = dask_label(mask, chunks, connectivity, fill)
    want, want_n = scipy_label(mask, connectivity, fill)
    assert got.dtype == np.int32 and n == want_n
    np.testing.assert_array_equal(got, want)


RING_4 = picture("########", "#......#", "#......#", "#......#", "#......#", "#......#", "#......#", "########")


@pytest.mark.parametrize(
    "name, mask, chunks",
    [
        # a hole spanning 1, 2 and 4 chunks
        ("hole in 1 chunk", picture("####....", "#..#....", "####....", "........"), 4),
        ("hole across 2 chunks", picture("#######", "#.....#", "#######"), (3, 4)),
        ("hole across 4 chunks", RING_4, 4),
        ("hole across 4 chunks, odd", RING_4, 3),
        # background that reaches the border only through other chunks
        ("open through a neighbour", picture("#########", "#........", "#.......#", "#########"), (2, 3)),
        ("open through a corridor", picture("#########", "#.......#", "#.#####.#", "#.#...#..", "#.#####.#", "#########"), 3),
        # a cell spanning 4 chunks, and a diagonally closed hole on the corner of 4 chunks
        ("cell over 4 chunks", picture("......", ".####.", ".####.", ".####.", ".####.", "......"), 3),
        ("diagonal hole on a corner", picture(".#.", "#.#", ".#."), 1),
    ],
)
@pytest.mark.parametrize("connectivity", [4, 8])
def test_chunk_border_cases(name, mask, chunks, connectivity):
    assert_like_scipy(mask, chunks, connectivity, True)
    assert_like_scipy(mask, chunks, connectivity, False)


def checkerboard(h, w, offset=0):
    return (np.add.outer(np.arange(h), np.arange(w)) + offset) % 2 == 0


@pytest.mark.parametrize("chunks", [1, 2, 3, 7, (4, 8), 64])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_checkerboards_on_chunk_faces(chunks, connectivity):
    for offset in (0, 1):
        board = checkerboard(8, 12, offset) if chunks == 1 else checkerboard(16, 24, offset)
        assert_like_scipy(board, chunks, connectivity, True)
        assert_like_scipy(board, chunks, connectivity, False)


@pytest.mark.parametrize("chunks", [1, 7, 64])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_seeded_random_masks(chunks, connectivity):
    rng = np.random.default_rng(chunks * 10 + connectivity)
    side = 20 if chunks == 1 else 150  # 1-pixel chunks: one task per pixel
    for density in (0.3, 0.5, 0.6, 0.75):
        mask = rng.random((side, side - 7)) < density
        assert_like_scipy(mask, chunks, connectivity, True)
    # blobs with holes that cross chunks
    import scipy.ndimage as ndi

    blobs = ndi.gaussian_filter(rng.random((200, 200)), 3) > 0.5
    rings = blobs ^ ndi.binary_erosion(blobs, iterations=2)
    assert_like_scipy(rings, chunks if chunks > 1 else 25, connectivity, True)


@settings(max_examples=60, deadline=None)
@given(
    mask=hnp.arrays(np.bool_, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24)),
    rows=st.integers(2, 9),
    cols=st.integers(2, 9),
    connectivity=st.sampled_from([4, 8]),
    fill=st.booleans(),
)
def test_random_masks_and_chunks(mask, rows, cols, connectivity, fill):
    assert_like_scipy(mask, (rows, cols), connectivity, fill)


def test_numbering_tiles_is_the_same_partition_and_recompute_the_same_labels():
    rng = np.random.default_rng(11)
    mask = rng.random((90, 70)) < 0.6
    want, n = scipy_label(mask)
    tiles, tn = dask_label(mask, 16, numbering="tiles")
    assert tn == n
    pairs = np.unique(np.stack([want.ravel(), tiles.ravel()]), axis=1)
    assert pairs.shape[1] == n + 1  # a bijection of labels
    again, _ = dask_label(mask, 16, recompute=True)
    np.testing.assert_array_equal(again, want)


def test_errors():
    with pytest.raises(ValueError, match="2-D"):
        cellmap.dask.label(da.zeros((2, 2, 2), chunks=1))
    with pytest.raises(ValueError, match="numbering"):
        cellmap.dask.label(da.zeros((2, 2), chunks=1), numbering="raster")
    with pytest.raises(ValueError, match="connectivity"):
        cellmap.dask.label(da.zeros((2, 2), chunks=1), connectivity=6)


@pytest.mark.parametrize("stat", cellmap.STATS)
def test_cell_stats_across_chunks(stat):
    rng = np.random.default_rng(2)
    labels, n = cellmap.label(rng.random((120, 100)) < 0.55)
    values = (rng.random(labels.shape) < 0.7) * rng.random(labels.shape).astype(np.float32)
    values[rng.random(labels.shape) < 0.03] = np.nan
    want = cellmap.cell_stats(labels, values, stat)
    for chunks in (7, 33, 200):
        got = cellmap.dask.cell_stats(da.from_array(labels, chunks=chunks), da.from_array(values, chunks=chunks), stat)
        np.testing.assert_allclose(got.compute(scheduler="threads"), want, rtol=1e-9)
    got = cellmap.dask.cell_stats(labels, values, stat, skip_zeros=False, n_cells=n + 2, split_every=2)
    want = cellmap.cell_stats(labels, values, stat, skip_zeros=False, n_cells=n + 2)
    assert got.shape == (n + 2,)
    np.testing.assert_allclose(got.compute(), want, rtol=1e-9)


def test_label_then_stats_in_one_graph():
    rng = np.random.default_rng(4)
    mask = rng.random((80, 80)) < 0.6
    values = rng.random((80, 80)).astype(np.float32)
    labels, _ = cellmap.dask.label(da.from_array(mask, chunks=20))
    got = cellmap.dask.cell_stats(labels, da.from_array(values, chunks=20), "mean")
    want = cellmap.cell_stats(cellmap.label(mask)[0], values, "mean")
    np.testing.assert_allclose(got.compute(), want, rtol=1e-9)


def test_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(9)
    mask = rng.random((300, 260)) < 0.6
    values = rng.random(mask.shape).astype(np.float32)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            labels, n = cellmap.dask.label(da.from_array(mask, chunks=64))
            means = cellmap.dask.cell_stats(labels, da.from_array(values, chunks=64), "mean")
            got, count, got_means = client.compute([labels, n, means], sync=True)
    want, want_n = scipy_label(mask)
    assert int(count) == want_n
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got_means, cellmap.cell_stats(want, values, "mean"), rtol=1e-9)
