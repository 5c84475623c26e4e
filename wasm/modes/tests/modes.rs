//! wasm-bindgen tests of the analysis module against numpy / pandas / GeneSegNet's numbers
//! (`tests/fixtures/evaluate/`, `tests/fixtures/segeval/`, written by `tests/generators/`).
//!
//! They run in node (`cargo test -p cellmap-wasm-modes --target wasm32-unknown-unknown
//! --tests`) and, with `WASM_BINDGEN_USE_BROWSER=1`, in headless Chromium; on the host they
//! count as 0 tests.
use cellmap_wasm_modes::{CellAnnotations, PredictedTable, segmentation_scores};
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const PRED_CSV: &[u8] = include_bytes!("../../../tests/fixtures/evaluate/pred.csv");
const MEASURED_NPY: &[u8] = include_bytes!("../../../tests/fixtures/evaluate/measured.npy");
const PCC_NPY: &[u8] = include_bytes!("../../../tests/fixtures/evaluate/pcc.npy");
const SUMMARY_NPY: &[u8] = include_bytes!("../../../tests/fixtures/evaluate/summary.npy");
const GENES_TXT: &str = include_str!("../../../tests/fixtures/evaluate/genes.txt");
const TRUTH_NPY: &[u8] = include_bytes!("../../../tests/fixtures/segeval/case2/truth.npy");
const SECOND_NPY: &[u8] = include_bytes!("../../../tests/fixtures/segeval/case2/pred.npy");
const PAIRS_NPY: &[u8] = include_bytes!("../../../tests/fixtures/segeval/case2/pairs.npy");
const IOU_NPY: &[u8] = include_bytes!("../../../tests/fixtures/segeval/case2/iou.npy");

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("the field exists")
}

/// A `JsError`'s message.
fn message(error: wasm_bindgen::JsError) -> String {
    String::from(JsValue::from(error).unchecked_into::<js_sys::Error>().message())
}

/// An .npy's shape and values as f64.
fn npy(bytes: &[u8]) -> (Vec<usize>, Vec<f64>) {
    let array = cellmap_io::npy::read(bytes, "fixture.npy").expect("the fixture reads");
    (array.shape().to_vec(), array.data().to_f64().expect("numbers"))
}

#[wasm_bindgen_test]
fn a_prediction_gets_the_pcc_of_pandas_corrwith() {
    let (shape, measured) = npy(MEASURED_NPY);
    let (cells, genes) = (shape[0], shape[1]);
    // gene-major, as the worker passes Session.geneValues of each gene
    let mut columns = vec![0.0; cells * genes];
    for cell in 0..cells {
        for gene in 0..genes {
            columns[gene * cells + cell] = measured[cell * genes + gene];
        }
    }
    let names: Vec<String> = GENES_TXT.lines().map(str::to_string).collect();
    let table = PredictedTable::from_csv(PRED_CSV, "pred.csv").unwrap();
    assert_eq!((table.rows() as usize, table.genes()), (cells, names.clone()));
    let comparison = table.compare(&columns, names, cells as u32).unwrap();
    let scores = comparison.scores().unwrap();
    let pcc: js_sys::Float64Array = get(&scores, "pcc").unchecked_into();
    let (_, want) = npy(PCC_NPY);
    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12;
    for (g, (got, want)) in pcc.to_vec().iter().zip(&want).enumerate() {
        assert!(close(*got, *want), "gene {g}: {got} vs pandas {want}");
    }
    let (_, summary) = npy(SUMMARY_NPY);
    assert!(close(get(&scores, "mean").as_f64().unwrap(), summary[0]));
    assert!(close(get(&scores, "median").as_f64().unwrap(), summary[1]));
    assert_eq!(get(&scores, "nanGenes").as_f64(), Some(summary[2]));
    let csv = comparison.scores_csv().unwrap();
    assert_eq!(csv.lines().next(), Some("gene,pcc"));
    assert_eq!(csv.lines().count(), genes + 1);
    // the difference map of gene 0: predicted − measured, by label
    let difference = comparison.by_label(0, "difference").unwrap();
    assert!(difference[0].is_nan());
    let predicted = comparison.by_label(0, "predicted").unwrap();
    assert_eq!(difference[7], predicted[7] - measured[6 * genes]);
    assert_eq!(
        message(comparison.by_label(0, "ratio").unwrap_err()),
        "unknown map \"ratio\" (known: predicted, measured, difference)"
    );
}

#[wasm_bindgen_test]
fn a_second_label_image_gets_genesegnet_ious() {
    let (shape, truth) = npy(TRUTH_NPY);
    let (_, second) = npy(SECOND_NPY);
    let (h, w) = (shape[0] as u32, shape[1] as u32);
    let as_i32 = |v: &[f64]| v.iter().map(|&x| x as i32).collect::<Vec<_>>();
    let scores = segmentation_scores(as_i32(&truth), w, h, as_i32(&second), w, h, "pred.npy").unwrap();
    let best: js_sys::Float64Array = get(&scores, "bestIou").unchecked_into();
    let best = best.to_vec();
    // the reference: GeneSegNet's IoU of each overlapping pair, the largest per true cell
    let (_, pairs) = npy(PAIRS_NPY);
    let (_, iou) = npy(IOU_NPY);
    let n_true = truth.iter().fold(0.0f64, |a, &b| a.max(b)) as usize;
    let mut want = vec![f64::NAN; n_true + 1];
    for label in truth.iter().filter(|&&l| l > 0.0) {
        want[*label as usize] = 0.0;
    }
    for (pair, &v) in pairs.chunks_exact(3).zip(&iou) {
        let slot = &mut want[pair[0] as usize];
        *slot = slot.max(v);
    }
    assert_eq!(best.len(), want.len());
    for (label, (got, want)) in best.iter().zip(&want).enumerate() {
        assert!((got.is_nan() && want.is_nan()) || got == want, "cell {label}: {got} vs {want}");
    }
    assert_eq!(get(&scores, "pairs").as_f64(), Some(iou.len() as f64));
    let error = segmentation_scores(as_i32(&truth), w, h, vec![0; 4], 2, 2, "small.npy").unwrap_err();
    assert_eq!(
        message(error),
        format!("small.npy: is 2×2, but the cells are {h}×{w}: the label images must have the same size")
    );
}

#[wasm_bindgen_test]
fn a_per_cell_csv_gives_columns_values_and_categories() {
    let csv = b"cell_id,cluster,score\n3,2,0.5\n1,10,\n9,2,1\n";
    let table = CellAnnotations::from_csv(csv, "c.csv", 4).unwrap();
    assert_eq!((table.rows(), table.unmatched(), table.id_column()), (2, 1, "cell_id".to_string()));
    let columns = table.columns().unwrap();
    assert_eq!(get(&columns.get(0), "kind").as_string().unwrap(), "integers");
    assert_eq!(get(&columns.get(1), "kind").as_string().unwrap(), "numbers");
    let score = table.values(1).unwrap();
    assert_eq!(score[3], 0.5);
    assert!(score[1].is_nan() && score[2].is_nan());
    let clusters = table.categories(0).unwrap();
    let by_label: js_sys::Uint32Array = get(&clusters, "byLabel").unchecked_into();
    assert_eq!(by_label.to_vec(), [u32::MAX, 1, u32::MAX, 0, u32::MAX], "2 < 10 numerically");
    let error = CellAnnotations::from_csv(b"cell_id,k\n1,a\n1,b\n", "c.csv", 4).unwrap_err();
    assert_eq!(message(error), "c.csv line 3: cell 1 is listed twice");
}
