"""Writes the neighbour-graph and smoothing fixtures into tests/fixtures/graph/.

Run with the project venv: .venv/bin/python tests/generators/graph.py

Nodes are per-label rows (node 0 = background, NaN coordinates = no node), as the core's tables.
References, numpy brute force and scipy.sparse (SEED-SYSTEMS.md section 3.3, 3.5):

* kNN (k = 5): squared distances ``dx*dx + dy*dy`` in float64 to every other present node,
  ``np.lexsort`` (stable: ties by the smaller node), first k; symmetrised by OR as Bio_GMM_VGAE
  does (``A + A.T > 0``, diagonal removed), CSR with sorted indices;
* radius graph: every other present node with ``dx*dx + dy*dy <= r*r``;
* touching cells: per 4- (or 8-) neighbour pixel pair with two different nonzero labels, one
  contact for the pair of labels; CSR weights = contacts;
* smoothing: ``A_hat = A + I``, ``d = A_hat.sum(1)``, ``dinv = 1 / sqrt(d)``,
  ``S = diags(dinv) @ A_hat @ diags(dinv)`` (sorted indices), ``X <- S @ X`` K times.

Points sit on a half-pixel lattice with duplicates, so that distance ties occur.
"""
import os

import numpy as np
import scipy.sparse as sp

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "graph")
K = 5


def knn(xs, ys, k):
    n = xs.size
    out = np.full((n, k), -1, np.int64)
    present = ~np.isnan(xs)
    idx = np.arange(n)
    for i in range(n):
        if not present[i]:
            continue
        others = idx[present & (idx != i)]
        dx, dy = xs[others] - xs[i], ys[others] - ys[i]
        d2 = dx * dx + dy * dy
        order = np.lexsort((others, d2))
        out[i, : min(k, others.size)] = others[order[:k]]
    return out


def symmetrize(nn):
    n = nn.shape[0]
    rows, cols = np.nonzero(nn >= 0)
    a = sp.csr_matrix((np.ones(rows.size), (rows, nn[rows, cols])), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.float64).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    a.sort_indices()
    return a


def radius(xs, ys, r):
    n = xs.size
    present = ~np.isnan(xs)
    rows, cols = [], []
    for i in range(n):
        if not present[i]:
            continue
        dx, dy = xs - xs[i], ys - ys[i]
        ok = present & (dx * dx + dy * dy <= r * r)
        ok[i] = False
        j = np.nonzero(ok)[0]
        rows += [i] * j.size
        cols += list(j)
    a = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    a.sort_indices()
    return a


def touching(labels, n, eight):
    h, w = labels.shape
    pairs = [(labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])]
    if eight:
        pairs += [(labels[:-1, :-1], labels[1:, 1:]), (labels[:-1, 1:], labels[1:, :-1])]
    dense = np.zeros((n + 1, n + 1), np.int64)
    for p, q in pairs:
        ok = (p != 0) & (q != 0) & (p != q)
        np.add.at(dense, (p[ok], q[ok]), 1)
        np.add.at(dense, (q[ok], p[ok]), 1)
    a = sp.csr_matrix(dense.astype(np.float64))
    a.sort_indices()
    return a


def smooth(a, x, steps):
    n = a.shape[0]
    a_hat = (a + sp.eye(n, format="csr")).tocsr()
    d = np.asarray(a_hat.sum(1)).ravel()
    dinv = 1.0 / np.sqrt(d)
    s = (sp.diags(dinv) @ a_hat @ sp.diags(dinv)).tocsr()
    s.sort_indices()
    for _ in range(steps):
        x = s @ x
    return x


def save_csr(prefix, a):
    np.save(os.path.join(OUT, f"{prefix}_indptr.npy"), a.indptr.astype(np.int64))
    np.save(os.path.join(OUT, f"{prefix}_indices.npy"), a.indices.astype(np.int64))
    np.save(os.path.join(OUT, f"{prefix}_data.npy"), a.data.astype(np.float64))


def main():
    rng = np.random.default_rng(5)
    n = 301
    xs = np.round(rng.uniform(0, 60, n) * 2) / 2
    ys = np.round(rng.uniform(0, 40, n) * 2) / 2
    xs[10:20], ys[10:20] = xs[20:30], ys[20:30]  # duplicate points
    xs[0] = ys[0] = np.nan  # the background
    absent = rng.choice(np.arange(1, n), 12, replace=False)
    xs[absent] = ys[absent] = np.nan
    nn = knn(xs, ys, K)
    a = symmetrize(nn)
    features = rng.normal(size=(n, 6))
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "xs.npy"), xs)
    np.save(os.path.join(OUT, "ys.npy"), ys)
    np.save(os.path.join(OUT, "knn.npy"), nn)
    save_csr("knn_graph", a)
    save_csr("radius_graph", radius(xs, ys, 3.0))
    np.save(os.path.join(OUT, "features.npy"), features)
    for steps in (1, 3):
        np.save(os.path.join(OUT, f"smooth_knn_{steps}.npy"), smooth(a, features, steps))
    # Touching cells of a label image, and smoothing with contact weights.
    labels = np.zeros((50, 60), np.int32)
    yy, xx = np.mgrid[0:50, 0:60]
    for k in range(1, 40):
        cy, cx, r = rng.uniform(0, 50), rng.uniform(0, 60), rng.uniform(3, 9)
        labels[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = k
    labels[labels == 4] = 0
    np.save(os.path.join(OUT, "labels.npy"), labels)
    for eight in (False, True):
        t = touching(labels, 39, eight)
        name = "touch8" if eight else "touch4"
        save_csr(name, t)
        np.save(os.path.join(OUT, f"smooth_{name}_2.npy"), smooth(t, features[:40], 2))
    print(f"graph fixtures: {n} nodes, {a.nnz} kNN entries -> {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
