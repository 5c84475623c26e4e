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
