#!/usr/bin/env python3
"""Inputs of the front-end parity test (tests/e2e/parity.test.mjs): the same files go through the
`cellmap` CLI and through the wasm viewer session, whose labels, per-cell values, RGBA maps and
region tables must be identical. Each file exercises a place where the two front ends once
disagreed. Made with numpy / scipy from the CLI fixtures (tests/fixtures/cli/).

Run with the project venv:  .venv/bin/python tests/generators/parity.py
Writes tests/fixtures/parity/ (deterministic; commit the output):

  st_i64_f64.npz      the CLI fixture st.npz (non-canonical: duplicates, unsorted columns,
                      explicit zeros, NaN) saved with int64 indices and float64 data
  dense_f64.npy       float64 (24, 32, 3): three gene images of the 24x32 mask (zeros, NaN,
                      values that float32 cannot hold exactly)
  labels_big_ids.npy  int32 (24, 32): the CLI fixture cp_masks.npy with ids renumbered to large
                      ids (up to 60000 > 24*32 pixels, <= 65535): a crop of a larger label image
  labels_big_ids.npz  scipy CSR (24*32, 4) float32 expression for it
  labels_float.npy    float32 (24, 32): cp_masks.npy as whole-number floats (the CosMx /
                      terra float32 label TIFF case): a label image under --mask-kind auto
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.path.join(HERE, "..", "fixtures", "cli")
OUT = os.path.join(HERE, "..", "fixtures", "parity")


def save_npz(path: str, matrix: sp.csr_matrix) -> None:
    # save_npz(compressed=False) writes the arrays as they are (dtypes and order kept)
    sp.save_npz(path, matrix, compressed=False)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261205)

    st = sp.load_npz(os.path.join(CLI, "st.npz"))
    wide = sp.csr_matrix(
        (st.data.astype(np.float64), st.indices.astype(np.int64), st.indptr.astype(np.int64)),
        shape=st.shape,
    )
    # scipy may narrow the index arrays on construction: set them again
    wide.indices = st.indices.astype(np.int64)
    wide.indptr = st.indptr.astype(np.int64)
    assert wide.indices.dtype == np.int64 and wide.data.dtype == np.float64
    save_npz(os.path.join(OUT, "st_i64_f64.npz"), wide)

    mask = np.load(os.path.join(CLI, "mask.npy"))
    h, w = mask.shape
    dense = rng.uniform(0.1, 9.0, size=(h, w, 3)) + 1e-9  # not exact in float32
    dense[rng.uniform(size=(h, w, 3)) < 0.4] = 0.0
    dense[rng.uniform(size=(h, w, 3)) < 0.05] = np.nan
    np.save(os.path.join(OUT, "dense_f64.npy"), dense.astype(np.float64))

    cp = np.load(os.path.join(CLI, "cp_masks.npy")).astype(np.int64)
    ids = np.unique(cp[cp > 0])
    big = np.zeros_like(cp, dtype=np.int32)
    for k, cell in enumerate(ids):
        big[cp == cell] = 60000 - 7 * (len(ids) - 1 - k)
    assert big.max() == 60000 and big.max() > h * w
    np.save(os.path.join(OUT, "labels_big_ids.npy"), big)
    counts = rng.poisson(0.6, size=(h * w, 4)).astype(np.float32)
    save_npz(os.path.join(OUT, "labels_big_ids.npz"), sp.csr_matrix(counts))

    np.save(os.path.join(OUT, "labels_float.npy"), cp.astype(np.float32))


if __name__ == "__main__":
    main()
