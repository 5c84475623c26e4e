//! Parity tests: dense per-cell statistics against numpy
//! (fixtures by `tests/generators/stats.py`).
use cellmap_core::stats::{CellStats, Options, Zeros, cell_means, cell_stats};
use cellmap_core::{Grid, Label};
use cellmap_tests::npy::load;

/// Means and sums at rtol 1e-12 (NaN == NaN), counts, min and max exactly.
pub(crate) fn assert_matches(what: &str, got: &[CellStats], prefix: &str) {
    let count = load(&format!("{prefix}_count.npy")).values;
    let sum = load(&format!("{prefix}_sum.npy")).values;
    let mean = load(&format!("{prefix}_mean.npy")).values;
    let min = load(&format!("{prefix}_min.npy")).values;
    let max = load(&format!("{prefix}_max.npy")).values;
    assert_eq!(got.len(), count.len(), "{what}: table length");
    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-12 * b.abs();
    let exact = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || a == b;
    for (i, s) in got.iter().enumerate() {
        assert_eq!(s.count() as f64, count[i], "{what}: count of entry {i}");
        assert!(close(s.mean(), mean[i]), "{what}: mean of entry {i}: {} vs numpy {}", s.mean(), mean[i]);
        assert!(close(s.sum(), sum[i]), "{what}: sum of entry {i}: {} vs numpy {}", s.sum(), sum[i]);
        assert!(exact(s.min(), min[i]), "{what}: min of entry {i}: {} vs numpy {}", s.min(), min[i]);
        assert!(exact(s.max(), max[i]), "{what}: max of entry {i}: {} vs numpy {}", s.max(), max[i]);
    }
}

struct Fixture {
    width: usize,
    height: usize,
    labels: Vec<i32>,
    values: Vec<f32>,
    unfilled: Vec<u8>,
    n_cells: usize,
}

fn fixture() -> Fixture {
    let labels = load("stats/labels.npy");
    let (height, width) = (labels.shape[0], labels.shape[1]);
    let n_cells = load("stats/default_count.npy").values.len() - 1;
    Fixture {
        width,
        height,
        labels: labels.to(),
        values: load("stats/values.npy").to(),
        unfilled: load("stats/unfilled.npy").to(),
        n_cells,
    }
}

fn run<L: Label>(f: &Fixture, labels: &[L]) {
    let lg = Grid::new(f.width, f.height, labels).unwrap();
    let vg = Grid::new(f.width, f.height, &f.values[..]).unwrap();
    let mg = Grid::new(f.width, f.height, &f.unfilled[..]).unwrap();
    let mut out = vec![CellStats::EMPTY; f.n_cells + 1];
    cell_stats(lg, vg, f.n_cells, Options::new(), &mut out).unwrap();
    assert_matches("default", &out, "stats/default");
    cell_stats(lg, vg, f.n_cells, Options::new().keep_zeros(), &mut out).unwrap();
    assert_matches("keep zeros", &out, "stats/keep");
    cell_stats(lg, vg, f.n_cells, Options::new().within(mg), &mut out).unwrap();
    assert_matches("within unfilled mask", &out, "stats/within");

    let (mut counts, mut means) = (vec![0u32; f.n_cells + 1], vec![0.0; f.n_cells + 1]);
    for (zeros, prefix) in [(Zeros::Skip, "stats/default"), (Zeros::Keep, "stats/keep")] {
        let opts = Options { zeros, ..Options::new() };
        cell_means(lg, vg, f.n_cells, opts, &mut counts, &mut means).unwrap();
        cell_stats(lg, vg, f.n_cells, opts, &mut out).unwrap();
        for c in 0..=f.n_cells {
            assert_eq!(u64::from(counts[c]), out[c].count(), "{prefix}: count {c}");
            assert_eq!(means[c].to_bits(), out[c].mean().to_bits(), "{prefix}: mean {c}");
        }
    }
    let expected = load("stats/within_mean.npy").values;
    cell_means(lg, vg, f.n_cells, Options::new().within(mg), &mut counts, &mut means).unwrap();
    for c in 0..=f.n_cells {
        let (a, b) = (means[c], expected[c]);
        assert!((a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * b.abs(), "within mean {c}");
    }
}

#[test]
fn dense_stats_match_numpy_for_every_label_type() {
    let f = fixture();
    run(&f, &f.labels);
    let as_u16: Vec<u16> = f.labels.iter().map(|&l| l as u16).collect();
    run(&f, &as_u16);
    let as_u8: Vec<u8> = f.labels.iter().map(|&l| l as u8).collect();
    run(&f, &as_u8);
}

#[test]
fn fixture_has_the_edge_cases_it_claims() {
    let f = fixture();
    assert!(f.values.iter().any(|v| *v == 0.0 && v.is_sign_negative()), "-0.0");
    assert!(f.values.iter().any(|v| *v < 0.0), "negative values");
    assert!(f.values.iter().any(|v| v.is_nan()), "NaN");
    assert!(load("stats/default_count.npy").values.contains(&0.0), "a cell without a valid value");
}

#[test]
fn too_small_n_cells_is_reported_with_the_label() {
    let f = fixture();
    let lg = Grid::new(f.width, f.height, &f.labels[..]).unwrap();
    let vg = Grid::new(f.width, f.height, &f.values[..]).unwrap();
    let mut out = vec![CellStats::EMPTY; f.n_cells];
    let err = cell_stats(lg, vg, f.n_cells - 1, Options::new(), &mut out).unwrap_err();
    assert_eq!(err, cellmap_core::Error::LabelOutOfRange { label: f.n_cells, max: f.n_cells - 1 });
}
