//! scipy parity for hole filling and labeling: every fixture written by
//! `tests/generators/labeling.py` (real `ndimage.binary_fill_holes` and
//! `ndimage.label`) must be reproduced exactly — filled mask, hole pixel
//! count, label images including numbering, and N — for both
//! connectivities, every mask dtype and several label types.

use cellmap_core::{
    Connectivity, Error, Grid, Label, MaskValue, fill_holes, fill_holes_and_label,
    fill_holes_and_label_scratch_len, fill_holes_scratch_len, label, label_scratch_len,
};
use cellmap_tests::npy::{self, Array};

const CASES: &[&str] = &[
    "one_by_one_foreground",
    "one_by_one_background",
    "one_row",
    "one_column",
    "two_rows",
    "two_columns",
    "empty_width",
    "empty_height",
    "all_zero",
    "all_foreground",
    "checkerboard_8x8",
    "checkerboard_odd",
    "checkerboard_u8_overflow",
    "spiral",
    "spiral_open",
    "holes_open_to_border",
    "holes_closed_diagonally",
    "nested_rings",
    "u_shapes",
    "touching_blocks",
    "random_0_1_u8",
    "random_0_255_u8",
    "random_bool",
    "random_float64_nan_negzero",
    "random_float32_nan_negzero",
    "random_int16_negative",
    "random_sparse",
    "random_dense",
    "tissue_224",
];

/// What scipy computed for one case.
struct Expected {
    filled: Vec<bool>,
    /// `[label(mask), label(mask, 8), label(filled), label(filled, 8)]`.
    labels: [Vec<usize>; 4],
    /// `[N4, N8, N4 of filled, N8 of filled, pixels filled]`.
    counts: [usize; 5],
}

fn load_expected(name: &str, len: usize) -> Expected {
    let filled = npy::load(&format!("labeling/{name}_filled.npy")).to::<bool>();
    let stack = npy::load(&format!("labeling/{name}_labels.npy")).to::<usize>();
    let counts = npy::load(&format!("labeling/{name}_counts.npy")).to::<usize>();
    assert_eq!(stack.len(), 4 * len, "{name}: label stack size");
    assert_eq!(filled.len(), len, "{name}: filled size");
    let labels = std::array::from_fn(|k| stack[k * len..(k + 1) * len].to_vec());
    Expected { filled, labels, counts: counts.try_into().expect("5 counts") }
}

fn shape(name: &str, mask: &Array) -> (usize, usize) {
    assert_eq!(mask.shape.len(), 2, "{name}: 2-d mask");
    (mask.shape[1], mask.shape[0])
}

/// Runs `kernel` (label or fused) with label type `L` and checks the labels
/// and N against scipy, or `TooManyLabels` when N does not fit in `L`.
fn check_labels<L: Label>(
    context: &str,
    want_labels: &[usize],
    want_n: usize,
    run: impl FnOnce(&mut [L]) -> Result<usize, Error>,
) {
    let sentinel = L::from_index(1);
    let mut labels = vec![sentinel; want_labels.len()];
    let result = run(&mut labels);
    if want_n > L::MAX_LABEL {
        assert_eq!(result, Err(Error::TooManyLabels { capacity: L::MAX_LABEL }), "{context}");
        assert!(labels.iter().all(|&l| l == sentinel), "{context}: labels written before the error");
        return;
    }
    assert_eq!(result, Ok(want_n), "{context}: N");
    let got: Vec<usize> = labels.iter().map(|l| l.index()).collect();
    if let Some(at) = got.iter().zip(want_labels).position(|(g, w)| g != w) {
        panic!("{context}: pixel {at} is {} in cellmap, {} in scipy", got[at], want_labels[at]);
    }
}

fn check_case<M: MaskValue>(name: &str, width: usize, height: usize, mask: &[M], want: &Expected) {
    let grid = Grid::new(width, height, mask).expect("fixture shape");

    let mut filled = vec![false; mask.len()];
    let mut scratch = vec![0u32; fill_holes_scratch_len(width, height)];
    assert_eq!(fill_holes(grid, &mut filled, &mut scratch), Ok(want.counts[4]), "{name}: pixels filled");
    assert!(filled == want.filled, "{name}: filled mask differs from binary_fill_holes");

    let mut scratch =
        vec![0u32; label_scratch_len(width, height).max(fill_holes_and_label_scratch_len(width, height))];
    for (k, connectivity) in [Connectivity::Four, Connectivity::Eight].into_iter().enumerate() {
        let plain = |what: &str| format!("{name}: {what} label, {connectivity:?}");
        macro_rules! each_label_type {
            ($($t:ty),*) => {$(
                check_labels::<$t>(&plain(concat!("plain ", stringify!($t))), &want.labels[k], want.counts[k], |out| {
                    label(grid, connectivity, out, &mut scratch)
                });
                check_labels::<$t>(
                    &plain(concat!("fill+label ", stringify!($t))),
                    &want.labels[2 + k],
                    want.counts[2 + k],
                    |out| fill_holes_and_label(grid, connectivity, out, &mut scratch),
                );
            )*};
        }
        each_label_type!(i32, u32, u16, u8);
    }
}

#[test]
fn fill_and_label_match_scipy_on_every_fixture() {
    for &name in CASES {
        let mask = npy::load(&format!("labeling/{name}_mask.npy"));
        let (width, height) = shape(name, &mask);
        let want = load_expected(name, width * height);
        match mask.dtype.as_str() {
            "|u1" => check_case(name, width, height, &mask.to::<u8>(), &want),
            "|b1" => check_case(name, width, height, &mask.to::<bool>(), &want),
            "<i2" => {
                let values: Vec<i16> = mask.to::<i32>().iter().map(|&v| v as i16).collect();
                check_case(name, width, height, &values, &want)
            }
            "<f4" => check_case(name, width, height, &mask.to::<f32>(), &want),
            "<f8" => check_case(name, width, height, &mask.to::<f64>(), &want),
            other => panic!("{name}: mask dtype {other} not covered"),
        }
    }
}

#[test]
fn float_fixtures_hold_nan_and_negative_zero() {
    // Guards the fixtures themselves: the float cases must exercise both rules.
    for name in ["random_float32_nan_negzero", "random_float64_nan_negzero"] {
        let mask = npy::load(&format!("labeling/{name}_mask.npy")).to::<f64>();
        assert!(mask.iter().any(|v| v.is_nan()), "{name}: no NaN");
        assert!(mask.iter().any(|v| *v == 0.0 && v.is_sign_negative()), "{name}: no -0.0");
    }
}

#[test]
fn u8_labels_overflow_on_the_big_checkerboard() {
    let counts = npy::load("labeling/checkerboard_u8_overflow_counts.npy").to::<usize>();
    assert!(counts[0] > 255 && counts[2] <= 255, "fixture must overflow u8 only before filling");
}
