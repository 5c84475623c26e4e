//! Parity tests: neighbour graphs against numpy brute force and scipy.sparse, smoothing against
//! scipy.sparse's `diags(d^-1/2) @ (A + I) @ diags(d^-1/2) @ X` (fixtures by
//! `tests/generators/graph.py`), bit for bit.
use cellmap::graph::{NO_NEIGHBOR, knn, knn_graph, radius_graph, smooth, touching_graph};
use cellmap::{Connectivity, Image, LabelImage};
use cellmap_tests::npy::load;

fn csr(prefix: &str) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
    let indptr = load(&format!("graph/{prefix}_indptr.npy")).to();
    let indices = load(&format!("graph/{prefix}_indices.npy")).to();
    (indptr, indices, load(&format!("graph/{prefix}_data.npy")).values)
}

#[test]
fn knn_and_radius_graphs_match_numpy_and_scipy() {
    let (xs, ys) = (load("graph/xs.npy").values, load("graph/ys.npy").values);
    let nn = knn(&xs, &ys, 5).unwrap();
    let want: Vec<u32> =
        load("graph/knn.npy").values.iter().map(|&v| if v < 0.0 { NO_NEIGHBOR } else { v as u32 }).collect();
    assert_eq!(nn, want);
    let g = knn_graph(&xs, &ys, 5).unwrap();
    let (indptr, indices, _) = csr("knn_graph");
    assert_eq!((g.indptr, g.indices), (indptr, indices));
    let g = radius_graph(&xs, &ys, 3.0).unwrap();
    let (indptr, indices, _) = csr("radius_graph");
    assert_eq!((g.indptr, g.indices), (indptr, indices));
}

#[test]
fn smoothing_matches_scipy_sparse() {
    let (xs, ys) = (load("graph/xs.npy").values, load("graph/ys.npy").values);
    let features = load("graph/features.npy");
    let g = knn_graph(&xs, &ys, 5).unwrap();
    for steps in [1, 3] {
        let out = smooth(&g, &features.values, 6, steps).unwrap();
        assert_eq!(out, load(&format!("graph/smooth_knn_{steps}.npy")).values, "{steps} steps");
    }
}

#[test]
fn touching_graphs_and_weighted_smoothing_match_scipy() {
    let labels = load("graph/labels.npy");
    let labels = LabelImage::new(Image::new(labels.shape[1], labels.shape[0], labels.to()).unwrap()).unwrap();
    let features = load("graph/features.npy").values;
    for (connectivity, name) in [(Connectivity::Four, "touch4"), (Connectivity::Eight, "touch8")] {
        let g = touching_graph(&labels, connectivity).unwrap();
        let (indptr, indices, data) = csr(name);
        assert_eq!((&g.indptr, &g.indices, g.weights.as_ref()), (&indptr, &indices, Some(&data)), "{name}");
        let table = &features[..40 * 6];
        let out = smooth(&g, table, 6, 2).unwrap();
        assert_eq!(out, load(&format!("graph/smooth_{name}_2.npy")).values, "{name}");
    }
}

/// Over 4,096 nodes the pipeline's kNN splits the rows between threads: the table equals one
/// call of the core kernel over all rows (20,000 points of a seeded generator, some coinciding
/// and some absent).
#[test]
fn knn_in_threads_equals_one_kernel_call() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    let n = 20_000;
    let (mut xs, mut ys): (Vec<f64>, Vec<f64>) =
        (0..n).map(|_| ((next() * 500.0).round(), (next() * 500.0).round())).unzip();
    for i in (0..n).step_by(97) {
        (xs[i], ys[i]) = (f64::NAN, f64::NAN);
    }
    let k = 7;
    let mut want = vec![0u32; n * k];
    let mut scratch = vec![0u32; cellmap_core::graph::point_grid_scratch_len(n)];
    cellmap_core::graph::knn(&xs, &ys, k, &mut want, &mut scratch).unwrap();
    assert_eq!(knn(&xs, &ys, k).unwrap(), want);
}
