"""Writes the CSR per-cell x gene fixtures into tests/fixtures/sparse/.

Run with the project venv: .venv/bin/python tests/generators/sparse.py

Two pixel x gene CSR matrices over the same labelled tissue:

* ``a``: int32 indices, float32 data;  ``b``: int64 indices, float64 data.

Both have duplicate (row, col) entries (some pairs cancel to exactly 0),
unsorted column indices within rows, explicit zeros and NaN, next to
canonical rows. The reference is scipy's ``X.toarray()`` (duplicates summed
in the data's dtype), then per label 0..N (0 = background) and gene, with
numpy in float64:

* default: values neither 0 nor NaN; keep: values not NaN (implicit zeros
  count); within: the research script's way on the unfilled mask
  (``masked = dense * (unfilled > 0)``, ``masked[masked == 0] = nan``);
* genesum: per-pixel sum of genes GENESUM (float64), then the default
  statistics per cell — the viewer's "sum of genes".
"""
import os
import sys

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

sys.path.insert(0, os.path.dirname(__file__))
from stats import per_label, tissue  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "sparse")
GENES = 6
GENESUM = [1, 3, 4]


def random_csr(rng, labels, index_dtype, value_dtype):
    rows = labels.size
    indptr, indices, data = [0], [], []
    for r in range(rows):
        p = 0.6 if labels.flat[r] else 0.15
        if rng.random() < p:
            k = int(rng.integers(1, 5))
            cols = list(rng.choice(GENES, size=k, replace=True))  # duplicates possible
            vals = list(rng.normal(1.0, 2.0, k).round(3))
            roll = rng.random()
            if roll < 0.15:  # a pair that cancels: +v, -v on the same gene
                cols += [cols[0]]
                vals += [-vals[0]]
            elif roll < 0.25:
                vals[0] = 0.0  # explicit zero
            elif roll < 0.32:
                vals[-1] = np.nan
            if rng.random() < 0.5:
                order = rng.permutation(len(cols))  # unsorted row
            else:  # canonical row: sorted, duplicates dropped
                keep = {}
                for c, v in zip(cols, vals):
                    keep.setdefault(c, v)
                cols, vals = sorted(keep), [keep[c] for c in sorted(keep)]
                order = range(len(cols))
            indices += [cols[i] for i in order]
            data += [vals[i] for i in order]
        indptr.append(len(indices))
    arrays = {
        "indptr": np.array(indptr, index_dtype),
        "indices": np.array(indices, index_dtype),
        "data": np.array(data, value_dtype),
    }
    # scipy may narrow int64 indices it is given; the saved arrays keep the dtype under test
    x = sp.csr_matrix((arrays["data"], arrays["indices"], arrays["indptr"]), shape=(rows, GENES))
    assert not x.has_canonical_format
    return x, arrays


def per_label_gene(labels, dense, n, select):
    tables = [per_label(labels.ravel(), dense[:, g], n, select[:, g]) for g in range(GENES)]
    return {k: np.stack([t[k] for t in tables], axis=1) for k in tables[0]}  # (n + 1, GENES)


def main():
    rng = np.random.default_rng(11)
    h, w = 36, 44
    unfilled = tissue(rng, h, w, spacing=9, radius=(1.5, 5.0))
    labels, n = ndimage.label(ndimage.binary_fill_holes(unfilled))
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "labels.npy"), labels.astype(np.int32))
    np.save(os.path.join(OUT, "unfilled.npy"), unfilled)
    for name, index_dtype, value_dtype in [("a", np.int32, np.float32), ("b", np.int64, np.float64)]:
        x, arrays = random_csr(rng, labels, index_dtype, value_dtype)
        for part, arr in arrays.items():
            np.save(os.path.join(OUT, f"{name}_{part}.npy"), arr)
        dense = x.toarray()  # duplicates summed in value_dtype: the semantics under test
        assert dense.dtype == value_dtype
        finite = ~np.isnan(dense)
        masked = dense.astype(np.float64) * (unfilled.reshape(-1, 1) > 0)
        masked[masked == 0] = np.nan
        variants = {
            "default": per_label_gene(labels, dense, n, finite & (dense != 0)),
            "keep": per_label_gene(labels, dense, n, finite),
            "within": per_label_gene(labels, masked, n, ~np.isnan(masked)),
        }
        summed = dense[:, GENESUM].astype(np.float64).sum(axis=1)
        variants["genesum"] = per_label(labels.ravel(), summed, n, ~np.isnan(summed) & (summed != 0))
        for variant, table in variants.items():
            for stat, arr in table.items():
                np.save(os.path.join(OUT, f"{name}_{variant}_{stat}.npy"), arr)
    print(f"sparse fixtures: {h}x{w} px, {n} cells, {GENES} genes -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
