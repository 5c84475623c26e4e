//! Parity tests for `cellmap_core::assign` against numpy/scipy fixtures
//! written by `tests/generators/assign.py`.

use cellmap_core::Grid;
use cellmap_core::assign::{
    OUT_OF_IMAGE, assign_points, count_cell_genes, nearest_cell_map, nearest_cell_map_scratch_len,
};
use cellmap_tests::npy::load;

const SCALE: f64 = 0.2125;

fn labels() -> (usize, usize, Vec<i32>) {
    let a = load("assign/labels.npy");
    (a.shape[1], a.shape[0], a.to())
}

#[test]
fn point_lookup_matches_numpy_for_f32_and_f64_points() {
    let (w, h, data) = labels();
    let grid = Grid::new(w, h, &data[..]).unwrap();
    let check = |name: &str, cells: Vec<u32>, expected: Vec<u32>| {
        assert_eq!(cells.len(), expected.len());
        for (i, (c, e)) in cells.iter().zip(&expected).enumerate() {
            assert_eq!(c, e, "{name} point {i}");
        }
        assert!(expected.contains(&OUT_OF_IMAGE) && expected.contains(&0));
    };

    let points = load("assign/points_f32.npy").to::<f32>();
    let (xs, ys): (Vec<f32>, Vec<f32>) = points.chunks(2).map(|p| (p[0], p[1])).unzip();
    let mut cells = vec![0u32; xs.len()];
    let summary = assign_points(grid, &xs, &ys, SCALE as f32, &mut cells).unwrap();
    let expected = load("assign/cells_f32.npy").to::<u32>();
    assert_eq!(summary.out_of_image, expected.iter().filter(|&&c| c == OUT_OF_IMAGE).count());
    assert_eq!(summary.background, expected.iter().filter(|&&c| c == 0).count());
    check("f32", cells, expected);

    let points = load("assign/points_f64.npy").to::<f64>();
    let (xs, ys): (Vec<f64>, Vec<f64>) = points.chunks(2).map(|p| (p[0], p[1])).unzip();
    let mut cells = vec![0u32; xs.len()];
    assign_points(grid, &xs, &ys, SCALE, &mut cells).unwrap();
    check("f64", cells, load("assign/cells_f64.npy").to());
}

fn nearest(radius: f64) -> (usize, Vec<u32>) {
    let (w, h, data) = labels();
    let mut map = vec![0u32; w * h];
    let mut scratch = vec![0u32; nearest_cell_map_scratch_len(w, h)];
    nearest_cell_map(Grid::new(w, h, &data[..]).unwrap(), radius, &mut map, &mut scratch).unwrap();
    (w, map)
}

#[test]
fn nearest_map_matches_the_brute_force_reference() {
    for (radius, file) in [(f64::INFINITY, "assign/nearest_inf.npy"), (3.0, "assign/nearest_r3.npy")] {
        let (w, map) = nearest(radius);
        let expected = load(file).to::<u32>();
        for (p, (got, want)) in map.iter().zip(&expected).enumerate() {
            assert_eq!(got, want, "radius {radius}, pixel ({}, {})", p / w, p % w);
        }
    }
}

#[test]
fn nearest_cell_is_at_scipys_euclidean_distance_and_is_the_smallest_such_label() {
    let (w, h, data) = labels();
    let (_, map) = nearest(f64::INFINITY);
    let edt = load("assign/edt.npy").to::<f64>();
    for p in 0..w * h {
        let (pr, pc) = ((p / w) as i64, (p % w) as i64);
        // Squared distance from p to the nearest pixel of each label.
        let mut nearest_of = std::collections::BTreeMap::<u32, i64>::new();
        for (q, &l) in data.iter().enumerate().filter(|(_, l)| **l != 0) {
            let d = (pr - (q / w) as i64).pow(2) + (pc - (q % w) as i64).pow(2);
            let e = nearest_of.entry(l as u32).or_insert(i64::MAX);
            *e = (*e).min(d);
        }
        let scipy_d2 = (edt[p] * edt[p]).round() as i64;
        assert_eq!(nearest_of[&map[p]], scipy_d2, "pixel {p}: distance");
        let first_at_that_distance = nearest_of.iter().find(|(_, d)| **d == scipy_d2).map(|(l, _)| *l);
        assert_eq!(first_at_that_distance, Some(map[p]), "pixel {p}: tie-break");
    }
}

#[test]
fn counts_match_numpy_add_at() {
    let pairs = load("assign/pairs.npy").to::<u32>();
    let expected = load("assign/counts.npy");
    let (n_cells, n_genes) = (expected.shape[0] - 1, expected.shape[1]);
    let (cells, genes): (Vec<u32>, Vec<u32>) = pairs.chunks(2).map(|p| (p[0], p[1])).unzip();
    let mut counts = vec![0u32; (n_cells + 1) * n_genes];
    let in_cells = count_cell_genes(&cells, &genes, n_cells, n_genes, &mut counts).unwrap();
    assert_eq!(counts, expected.to::<u32>());
    assert_eq!(in_cells, counts[n_genes..].iter().map(|&c| c as usize).sum::<usize>());
    // Counting in two chunks gives the same table.
    let mut chunked = vec![0u32; (n_cells + 1) * n_genes];
    let half = cells.len() / 2;
    count_cell_genes(&cells[..half], &genes[..half], n_cells, n_genes, &mut chunked).unwrap();
    count_cell_genes(&cells[half..], &genes[half..], n_cells, n_genes, &mut chunked).unwrap();
    assert_eq!(chunked, counts);
    // The sparse counts `cellmap assign` writes (CSR, cells 1..=N) are the same table.
    let assignment = cellmap::Assignment { cell_ids: cells, summary: Default::default() };
    let sparse = cellmap::count_transcripts_sparse(&assignment, &genes, n_cells, n_genes).unwrap();
    let dense: Vec<i64> = counts[n_genes..].iter().map(|&c| i64::from(c)).collect();
    assert_eq!(sparse.to_dense(), dense);
}
