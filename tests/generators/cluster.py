"""Writes the preprocessing and clustering fixtures into tests/fixtures/cluster/.

Run with the project venv: .venv/bin/python tests/generators/cluster.py

References (pinned in tests/requirements.txt): scanpy 1.11.5 (normalize_total, log1p,
highly_variable_genes flavor="seurat_v3" with scikit-misc 0.5.3's loess, pca), scikit-learn
1.9.1 (PCA, KMeans, GaussianMixture, adjusted_rand_score, normalized_mutual_info_score).

* counts.npy: int32 cells x genes raw counts: negative-binomial-like genes with spread means,
  all-zero genes, and genes holding a single count (equal means: ties in the loess x).
* log.npy: sc.pp.normalize_total(target_sum=1e4) then sc.pp.log1p on float64 counts.
* hvg_*.npy: sc.pp.highly_variable_genes(flavor="seurat_v3", n_top_genes=HVG, span=0.3) on the
  raw counts: means, variances, variances_norm, highly_variable.
* loess_{x,y,fit}.npy: skmisc.loess.loess(x, y, span=0.3, degree=2).fit() on the same
  log10 mean / log10 variance pairs; loess_small_*: 60 points with ties (n < 500 takes skmisc's
  exact-trace path; the surface is the same).
* pca_*.npy: PCA of the log-normalised HVG table: sklearn PCA(PCS, svd_solver="full")
  components_, explained_variance_, transform (float64), and scanpy's sc.pp.pca X_pca
  (ARPACK, float32).
* kmeans_*: sklearn KMeans(K, init=<centres>, n_init=1) on the PCA scores (centres = rows picked
  by the generator's rng) and on "blobs" (max_iter=2 stops early; a far initial centre empties
  its cluster and is relocated): labels, centres, inertia, n_iter.
* gmm_*: GaussianMixture(K, covariance_type="diag", random_state=0) on the PCA scores (its
  init labels = KMeans(K, n_init=1, random_state=0) labels, saved), and from explicit
  weights_init / means_init / precisions_init on the blobs: weights, means, covariances, labels,
  lower_bound, n_iter, converged.
* seeded_blobs_*: KMeans(K, n_init=1, random_state=3) and GaussianMixture(K, "diag",
  random_state=3) on the blobs, seeded end to end: labels, inertia, lower bound, n_iter.
* metrics_*: adjusted_rand_score and normalized_mutual_info_score of the groups vs the GMM labels
  and of two random 50,000-element labellings (7 and 9 classes).
"""
import os
import sys

# This folder holds sparse.py, which would shadow the `sparse` package dask probes for.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one thread: bit-identical fixtures (sklearn sums per-thread chunks)
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import warnings  # noqa: E402

import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import scanpy as sc  # noqa: E402
from skmisc.loess import loess  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "cluster")
CELLS, GENES, HVG, PCS = 240, 300, 80, 10


def save(name, array):
    np.save(os.path.join(OUT, name), array, allow_pickle=False)


def counts_table(rng):
    """Cells from 4 groups; genes with log-uniform means, group effects, NB noise."""
    groups = rng.integers(0, 4, CELLS)
    base = np.exp(rng.uniform(np.log(0.02), np.log(40.0), GENES))
    effect = np.exp(rng.normal(0.0, 0.8, (4, GENES)))
    mu = base[None, :] * effect[groups]
    shape = 2.0
    lam = rng.gamma(shape, mu / shape)
    counts = rng.poisson(lam).astype(np.int32)
    counts[:, :6] = 0  # constant genes (variance 0)
    for g in range(6, 14):  # one count each: equal means, equal variances
        counts[:, g] = 0
        counts[rng.integers(0, CELLS), g] = 1
    return counts, groups


def preprocessing(rng):
    counts, groups = counts_table(rng)
    save("counts.npy", counts)
    save("groups.npy", groups.astype(np.int32))

    a = ad.AnnData(counts.astype(np.float64))
    sc.pp.normalize_total(a, target_sum=1e4)
    sc.pp.log1p(a)
    save("log.npy", np.asarray(a.X, dtype=np.float64))

    raw = ad.AnnData(counts.astype(np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.pp.highly_variable_genes(raw, flavor="seurat_v3", n_top_genes=HVG, span=0.3)
    var = raw.var
    save("hvg_means.npy", var["means"].to_numpy(np.float64))
    save("hvg_variances.npy", var["variances"].to_numpy(np.float64))
    save("hvg_variances_norm.npy", var["variances_norm"].to_numpy(np.float64))
    save("hvg_highly_variable.npy", var["highly_variable"].to_numpy(np.uint8))

    means = var["means"].to_numpy(np.float64)
    variances = var["variances"].to_numpy(np.float64)
    keep = variances > 0
    x, y = np.log10(means[keep]), np.log10(variances[keep])
    model = loess(x, y, span=0.3, degree=2)
    model.fit()
    save("loess_x.npy", x)
    save("loess_y.npy", y)
    save("loess_fit.npy", np.asarray(model.outputs.fitted_values, dtype=np.float64))

    xs = np.round(rng.uniform(0.0, 6.0, 60), 1)  # ties
    ys = np.sin(xs) + rng.normal(0.0, 0.2, 60)
    small = loess(xs, ys, span=0.5, degree=2)
    small.fit()
    save("loess_small_x.npy", xs)
    save("loess_small_y.npy", ys)
    save("loess_small_fit.npy", np.asarray(small.outputs.fitted_values, dtype=np.float64))

    hv = var["highly_variable"].to_numpy()
    table = np.asarray(a.X, dtype=np.float64)[:, hv]
    pca = PCA(n_components=PCS, svd_solver="full")
    scores = pca.fit_transform(table)
    save("pca_components.npy", pca.components_)
    save("pca_explained_variance.npy", pca.explained_variance_)
    save("pca_scores.npy", scores)
    sub = ad.AnnData(table)
    sc.pp.pca(sub, n_comps=PCS)
    save("pca_scanpy_scores.npy", np.asarray(sub.obsm["X_pca"]))
    return groups, scores


def kmeans_case(name, x, init, max_iter=300):
    km = KMeans(init.shape[0], init=init, n_init=1, max_iter=max_iter, tol=1e-4).fit(x)
    save(f"kmeans_{name}_x.npy", x)
    save(f"kmeans_{name}_init.npy", init)
    save(f"kmeans_{name}_labels.npy", km.labels_.astype(np.int32))
    save(f"kmeans_{name}_centres.npy", km.cluster_centers_)
    save(f"kmeans_{name}_stats.npy", np.array([km.inertia_, km.n_iter_, max_iter], dtype=np.float64))


def gmm_save(name, x, gm):
    save(f"gmm_{name}_x.npy", x)
    save(f"gmm_{name}_weights.npy", gm.weights_)
    save(f"gmm_{name}_means.npy", gm.means_)
    save(f"gmm_{name}_covariances.npy", gm.covariances_)
    save(f"gmm_{name}_labels.npy", gm.predict(x).astype(np.int32))
    save(f"gmm_{name}_stats.npy", np.array([gm.lower_bound_, gm.n_iter_, float(gm.converged_)]))


def clustering(rng, groups, scores):
    k = 4
    kmeans_case("pca", scores, scores[rng.choice(scores.shape[0], k, replace=False)])
    centers = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -1.0], [3.0, 3.0, 3.0]])
    blob_labels = rng.integers(0, 4, 400)
    blobs = centers[blob_labels] + rng.normal(0.0, 1.0, (400, 3)) * np.array([1.0, 0.5, 1.5])
    far = np.vstack([blobs[:3], [[50.0, 50.0, 50.0]]])
    kmeans_case("blobs_empty", blobs, far)
    kmeans_case("blobs_short", blobs, blobs[[0, 1, 2, 3]], max_iter=2)

    init_labels = KMeans(k, n_init=1, random_state=0).fit(scores).labels_
    save("gmm_pca_init_labels.npy", init_labels.astype(np.int32))
    gm = GaussianMixture(k, covariance_type="diag", random_state=0).fit(scores)
    gmm_save("pca", scores, gm)

    w0 = np.array([0.1, 0.2, 0.3, 0.4])
    m0 = blobs[[5, 6, 7, 8]]
    p0 = 1.0 / rng.uniform(0.5, 2.0, (4, 3))
    save("gmm_blobs_init_weights.npy", w0)
    save("gmm_blobs_init_means.npy", m0)
    save("gmm_blobs_init_precisions.npy", p0)
    gm = GaussianMixture(k, covariance_type="diag", weights_init=w0, means_init=m0, precisions_init=p0,
                         tol=1e-6, max_iter=500).fit(blobs)
    gmm_save("blobs", blobs, gm)

    # Seeded end to end (k-means++ draws from numpy's RandomState(seed)), on the overlapping blobs.
    km = KMeans(k, n_init=1, random_state=3).fit(blobs)
    save("seeded_blobs_kmeans_labels.npy", km.labels_.astype(np.int32))
    gm = GaussianMixture(k, covariance_type="diag", random_state=3).fit(blobs)
    save("seeded_blobs_gmm_labels.npy", gm.predict(blobs).astype(np.int32))
    save("seeded_blobs_stats.npy", np.array([km.inertia_, km.n_iter_, gm.lower_bound_, gm.n_iter_]))

    gmm_labels = GaussianMixture(k, covariance_type="diag", random_state=0).fit_predict(scores)
    a = rng.integers(0, 7, 50_000)
    b = np.where(rng.random(50_000) < 0.6, a, rng.integers(0, 9, 50_000))
    save("metrics_groups.npy", groups.astype(np.int32))
    save("metrics_gmm_labels.npy", gmm_labels.astype(np.int32))
    save("metrics_big_a.npy", a.astype(np.int32))
    save("metrics_big_b.npy", b.astype(np.int32))
    save("metrics_scores.npy", np.array([
        adjusted_rand_score(groups, gmm_labels), normalized_mutual_info_score(groups, gmm_labels),
        adjusted_rand_score(a, b), normalized_mutual_info_score(a, b),
    ]))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261205)
    groups, scores = preprocessing(rng)
    clustering(rng, groups, scores)


if __name__ == "__main__":
    main()
