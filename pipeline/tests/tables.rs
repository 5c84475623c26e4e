//! The cell × gene table from dense values of any dtype equals a brute-force reference, for
//! every statistic, with and without zeros and a restricting mask.

use cellmap::{CellTable, Expression, Image, LabelImage, Selection, Stat, TableValues, cell_table};
use cellmap_io::npy;
use proptest::prelude::*;

/// Brute force: the values of each cell and gene that count, then the statistic.
fn reference(
    labels: &[i32],
    values: &[f64],
    genes: usize,
    within: Option<&[bool]>,
    keep_zeros: bool,
    stat: Stat,
    cells: usize,
) -> Vec<f64> {
    let mut out = Vec::new();
    for cell in 1..=cells as i32 {
        for g in 0..genes {
            let counted: Vec<f64> = labels
                .iter()
                .enumerate()
                .filter(|&(p, &l)| l == cell && within.is_none_or(|m| m[p]))
                .map(|(p, _)| values[p * genes + g])
                .filter(|v| !v.is_nan() && (keep_zeros || *v != 0.0))
                .collect();
            let n = counted.len() as f64;
            let sum: f64 = counted.iter().sum();
            out.push(match stat {
                Stat::Mean => {
                    if n == 0.0 {
                        f64::NAN
                    } else {
                        sum / n
                    }
                }
                Stat::Sum => sum,
                Stat::Count => n,
                Stat::Min => counted.iter().copied().reduce(f64::min).unwrap_or(f64::NAN),
                Stat::Max => counted.iter().copied().reduce(f64::max).unwrap_or(f64::NAN),
            });
        }
    }
    out
}

fn as_f64(table: &CellTable) -> Vec<f64> {
    match table.values() {
        TableValues::F64(v) => v.clone(),
        TableValues::I64(v) => v.iter().map(|&x| x as f64).collect(),
        TableValues::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

proptest! {
    #[test]
    fn dense_tables_match_brute_force(
        (w, h, genes, labels, values, within) in (1usize..7, 1usize..7, 1usize..4).prop_flat_map(|(w, h, g)| (
            Just(w), Just(h), Just(g),
            prop::collection::vec(0i32..4, w * h),
            prop::collection::vec(prop_oneof![Just(0.0), Just(f64::NAN), -5.0f64..5.0], w * h * g),
            prop::collection::vec(any::<bool>(), w * h),
        )),
        keep_zeros in any::<bool>(),
        restrict in any::<bool>(),
    ) {
        let label_image = LabelImage::new(Image::new(w, h, labels.clone()).unwrap()).unwrap();
        let bytes = npy::encode(&[h, w, genes], &values).unwrap();
        let expression = Expression::from_dense(&npy::read(&bytes, "v.npy").unwrap(), "v.npy", h, w).unwrap();
        let mask = Image::new(w, h, within.clone()).unwrap();
        let selection = Selection { within: restrict.then_some(&mask), keep_zeros };
        for stat in Stat::ALL {
            let table = cell_table(&label_image, &expression, selection, stat).unwrap();
            let want = reference(&labels, &values, genes, restrict.then_some(&within[..]), keep_zeros, stat, label_image.n_cells());
            let got = as_f64(&table);
            prop_assert_eq!(got.len(), want.len());
            for (i, (&g, &r)) in got.iter().zip(&want).enumerate() {
                let r = if matches!(stat, Stat::Min | Stat::Max) { f64::from(r as f32) } else { r };
                prop_assert!(close(g, r), "{:?} entry {}: {} vs {}", stat, i, g, r);
            }
        }
    }
}
