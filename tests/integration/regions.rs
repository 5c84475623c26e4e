//! Parity tests: region properties against `scipy.ndimage.sum_labels`,
//! `center_of_mass` and `find_objects` (fixtures by
//! `tests/generators/regions.py`).
use cellmap_core::Grid;
use cellmap_core::regions::{Region, region_props};
use cellmap_tests::npy::load;

#[test]
fn region_props_match_scipy() {
    let labels = load("regions/labels.npy");
    let (h, w) = (labels.shape[0], labels.shape[1]);
    let area = load("regions/area.npy").values;
    let centroid = load("regions/centroid.npy").values;
    let bbox = load("regions/bbox.npy").values;
    let n = area.len() - 1;
    let as_i32: Vec<i32> = labels.to();
    let as_u32: Vec<u32> = labels.to();
    let mut by_i32 = vec![Region::EMPTY; n + 1];
    let mut by_u32 = vec![Region::EMPTY; n + 1];
    region_props(Grid::new(w, h, &as_i32[..]).unwrap(), n, &mut by_i32).unwrap();
    region_props(Grid::new(w, h, &as_u32[..]).unwrap(), n, &mut by_u32).unwrap();
    assert_eq!(by_i32, by_u32);
    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs();
    for (c, r) in by_i32.iter().enumerate() {
        assert_eq!(r.area() as f64, area[c], "area of {c}");
        let (row, col) = r.centroid();
        assert!(close(row, centroid[2 * c]), "centroid row of {c}: {row} vs {}", centroid[2 * c]);
        assert!(close(col, centroid[2 * c + 1]), "centroid col of {c}: {col} vs {}", centroid[2 * c + 1]);
        if c == 0 {
            continue; // find_objects has no background entry
        }
        let expected = &bbox[4 * (c - 1)..4 * c];
        match r.bounding_box() {
            None => assert_eq!(expected, [-1.0; 4], "label {c} should be present"),
            Some(b) => assert_eq!(
                [b.row_start, b.row_end, b.col_start, b.col_end].map(|v| v as f64),
                expected,
                "bbox of {c}"
            ),
        }
    }
    assert!(by_i32.iter().any(|r| r.bounding_box().is_none()), "the fixture has an absent label");
}
