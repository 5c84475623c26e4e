//! Parity tests for `cellmap_core::color` against matplotlib/numpy fixtures
//! written by `tests/generators/color.py`.

use cellmap_core::Grid;
use cellmap_core::color::{
    Colormap, Normalization, Range, cell_colors, normalize, paint, percentile, value_range,
};
use cellmap_tests::npy::load;

#[test]
fn colormaps_equal_matplotlibs_bytes() {
    let tables = load("color/luts.npy");
    assert_eq!(tables.shape, [7, 256, 3]);
    let expected = tables.to::<u8>();
    for (i, cmap) in Colormap::ALL.into_iter().enumerate() {
        let got: Vec<u8> = cmap.lut().iter().flatten().copied().collect();
        assert_eq!(got, expected[i * 768..(i + 1) * 768], "{cmap}");
    }
}

#[test]
fn colormaps_are_truncated_not_rounded() {
    // matplotlib's bytes=True truncates; rounding would differ by one in
    // hundreds of entries. Guards against "fixing" the generator.
    let rounded = load("color/luts_rounded.npy").to::<u8>();
    let ours: Vec<u8> = Colormap::ALL.into_iter().flat_map(|c| c.lut().iter().flatten().copied()).collect();
    let differing = ours.iter().zip(&rounded).filter(|(a, b)| a != b).count();
    assert!(differing > 1000, "{differing}");
    assert!(ours.iter().zip(&rounded).all(|(&a, &b)| a == b || a + 1 == b));
}

/// Distance in units in the last place between two finite doubles of one sign.
fn ulps(a: f64, b: f64) -> u64 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
}

#[test]
fn log1p_agrees_with_numpy_within_one_ulp() {
    // The core uses `libm` (no_std); numpy uses the platform's (glibc)
    // log1p; they differ by one ulp for ~6 % of these inputs.
    let x = load("color/log1p_x.npy").to::<f64>();
    let y = load("color/log1p_y.npy").to::<f64>();
    for (a, b) in x.iter().zip(&y) {
        let ours = core_log1p(*a);
        assert!(ulps(ours, *b) <= 1, "log1p({a}) = {ours}, numpy {b}");
    }
}

/// The core's log1p, observed through `value_range` with a fixed range.
fn core_log1p(x: f64) -> f64 {
    let n = Normalization { range: Range::Fixed { vmin: x, vmax: x }, log1p: true };
    value_range(&[], &n, &mut []).unwrap().unwrap().0
}

#[test]
fn normalisation_matches_numpys_formula() {
    let values = load("color/values.npy").to::<f64>();
    let params = load("color/norm_params.npy");
    let expected = load("color/norm_levels.npy");
    let n = values.len();
    // By label: a background entry (ignored by normalize) before the cells.
    let table: Vec<f64> = std::iter::once(f64::NAN).chain(values.iter().copied()).collect();
    let mut scratch = vec![0.0; n + 1];
    let mut out = vec![None; n + 1];
    for (case, p) in params.values.chunks(6).enumerate() {
        let log1p = p[1] != 0.0;
        let range = match p[0] as u8 {
            0 => Range::MinMax,
            1 => Range::Fixed { vmin: p[2], vmax: p[3] },
            _ => Range::Percentile { low: p[2], high: p[3] },
        };
        let norm = Normalization { range, log1p };
        let (lo, hi) = normalize(&table, &norm, &mut scratch, &mut out).unwrap().unwrap();
        let tolerance = u64::from(log1p); // see log1p_agrees_with_numpy_within_one_ulp
        assert!(
            ulps(lo, p[4]) <= tolerance && ulps(hi, p[5]) <= tolerance,
            "case {case}: {lo} {hi} vs {p:?}"
        );
        assert_eq!(out[0], None, "case {case}: the background has no level");
        for (i, (got, &want)) in out[1..].iter().zip(&expected.values[case * n..(case + 1) * n]).enumerate() {
            let want = if want < 0.0 { None } else { Some(want as u8) };
            assert_eq!(*got, want, "case {case} {range:?} log1p={log1p}: value {i} = {}", values[i]);
        }
    }
}

#[test]
fn percentiles_equal_np_percentile_bit_for_bit() {
    let samples = load("color/pct_samples.npy").to::<f64>();
    let sizes = load("color/pct_sizes.npy").to::<usize>();
    let expected = load("color/pct_expected.npy");
    let starts: Vec<usize> = sizes.iter().scan(0, |s, &n| Some(std::mem::replace(s, *s + n))).collect();
    let mut scratch = vec![0.0; samples.len()];
    for row in expected.values.chunks(3) {
        let (i, p, want) = (row[0] as usize, row[1], row[2]);
        let sample = &samples[starts[i]..starts[i] + sizes[i]];
        let got = percentile(sample, p, &mut scratch).unwrap().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "n = {}, p = {p}: {got} vs {want}", sizes[i]);
    }
}

#[test]
fn painted_tile_equals_numpy_lut_indexing() {
    let labels = load("color/paint_labels.npy");
    let (h, w) = (labels.shape[0], labels.shape[1]);
    let labels = labels.to::<i32>();
    let grid = Grid::new(w, h, &labels[..]).unwrap();
    let cells = load("color/paint_values.npy").to::<f64>();
    // By label: the background entry first (normalize ignores it).
    let values: Vec<f64> = std::iter::once(0.0).chain(cells).collect();
    let mut lv = vec![None; values.len()];
    normalize(&values, &Normalization::default(), &mut [], &mut lv).unwrap();
    let (background, no_value, outline) = ([1, 2, 3, 0], [200, 200, 200, 255], [255, 0, 0, 255]);

    let mut table = vec![[0u8; 4]; values.len()];
    cell_colors(&lv, Colormap::Magma, background, no_value, &mut table).unwrap();
    let mut image = vec![[0u8; 4]; w * h];
    paint(grid, &table, None, &mut image).unwrap();
    assert_eq!(image.concat(), load("color/paint_image.npy").to::<u8>());
    paint(grid, &table, Some(outline), &mut image).unwrap();
    let outlined = load("color/paint_outlined.npy").to::<u8>();
    assert_eq!(image.concat(), outlined);

    // The u32 pixel format has the same bytes in memory.
    let mut table32 = vec![0u32; values.len()];
    cell_colors(&lv, Colormap::Magma, background, no_value, &mut table32).unwrap();
    let mut image32 = vec![0u32; w * h];
    paint(grid, &table32, Some(u32::from_ne_bytes(outline)), &mut image32).unwrap();
    let bytes: Vec<u8> = image32.iter().flat_map(|p| p.to_ne_bytes()).collect();
    assert_eq!(bytes, outlined);
}
