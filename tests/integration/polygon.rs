//! `skimage.draw.polygon` parity for the polygon rasteriser: every case
//! written by `tests/generators/polygons.py` (random concave stars, vertices
//! on a quarter-pixel grid, and edge cases: shared edges, horizontal edges,
//! self-intersecting and self-touching rings, tiny and degenerate polygons,
//! holes, multipolygons, rings partly outside the image) must come out
//! pixel for pixel, later polygons over earlier ones.

use cellmap_core::polygon::{fill_polygon, fill_polygon_scratch_len};
use cellmap_tests::npy;

fn check_case(name: &str) {
    let vertices: Vec<[f64; 2]> =
        npy::load(&format!("polygons/{name}_vertices.npy")).values.chunks(2).map(|p| [p[0], p[1]]).collect();
    let rings: Vec<usize> = npy::load(&format!("polygons/{name}_rings.npy")).to();
    let polygons: Vec<usize> = npy::load(&format!("polygons/{name}_polygons.npy")).to();
    let shape: Vec<usize> = npy::load(&format!("polygons/{name}_shape.npy")).to();
    let want: Vec<i32> = npy::load(&format!("polygons/{name}_labels.npy")).to();
    let (height, width) = (shape[0], shape[1]);
    let mut labels = vec![0i32; width * height];
    let mut scratch = vec![0.0; fill_polygon_scratch_len(vertices.len())];
    let (mut ring, mut vertex) = (0, 0);
    for (k, &end) in polygons.iter().enumerate() {
        let ends: Vec<usize> = rings[ring..end].iter().map(|&e| e - vertex).collect();
        let stop = rings[..end].last().copied().unwrap_or(vertex);
        fill_polygon(&mut labels, width, height, &vertices[vertex..stop], &ends, k as i32 + 1, &mut scratch)
            .unwrap();
        (ring, vertex) = (end, stop);
    }
    let differ = labels.iter().zip(&want).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "{name}: {differ} pixels differ from skimage.draw.polygon");
}

#[test]
fn edge_cases_match_skimage() {
    check_case("edge_cases");
}

#[test]
fn random_stars_match_skimage() {
    check_case("random_stars");
}

#[test]
fn quarter_grid_vertices_match_skimage() {
    check_case("quarter_grid");
}

/// A reader fixture through `cellmap::read_polygons` and
/// `polygons_to_labels`, against the labels the generator drew with skimage.
fn check_reader(file: &str, expected: &str) -> Vec<String> {
    let path = npy::fixture_path(&format!("polygons/{file}"));
    let bytes = std::fs::read(&path).unwrap();
    let polygons = cellmap::read_polygons(&bytes, file, None, None).unwrap();
    let want = npy::load(&format!("polygons/{expected}"));
    let (height, width) = (want.shape[0], want.shape[1]);
    let out = cellmap::polygons_to_labels(&polygons, height, width).unwrap();
    let want: Vec<i32> = want.to();
    assert_eq!(out.labels.labels().data(), &want[..], "{file}");
    assert_eq!(out.labels.n_cells(), out.ids.len());
    out.ids
}

#[test]
fn xenium_cell_boundaries_csv_gz_match_skimage() {
    let ids = check_reader("xenium_cell_boundaries.csv.gz", "xenium_labels.npy");
    assert_eq!(ids, (0..6).map(|k| format!("cell{k:03}-1")).collect::<Vec<_>>());
}

#[test]
fn geojson_with_holes_and_multipolygons_matches_skimage() {
    let ids = check_reader("cells.geojson", "geojson_labels.npy");
    assert_eq!(ids, ["a7", "42", "3"]);
}
