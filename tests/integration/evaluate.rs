//! Parity tests: prediction evaluation against pandas `corrwith` (per-gene PCC, nanmean,
//! nanmedian) and GHIST+'s Moran's I on the directed 8-NN graph, SVG order and top-SVG medians
//! (fixtures by `tests/generators/evaluate.py`); cell-type accuracy and macro-F1 against
//! scikit-learn (`tests/generators/cell_types.py`).
use cellmap::evaluate::{Table, align, evaluate};
use cellmap_tests::npy::{fixture_path, load};

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn evaluation_matches_pandas_and_ghist() {
    let pred = Table::read(&fixture_path("evaluate/pred.csv")).unwrap();
    let measured = Table::read(&fixture_path("evaluate/measured.npy")).unwrap();
    let a = align(&pred, &measured).unwrap();
    let (p, m, n, genes) = (&a.pred, &a.measured, a.n_cells, &a.genes);
    assert_eq!(a.cell_ids.as_ref().unwrap()[0], "1");
    let centroids = load("evaluate/centroids.npy").values;
    let ys: Vec<f64> = centroids.iter().step_by(2).copied().collect();
    let xs: Vec<f64> = centroids.iter().skip(1).step_by(2).copied().collect();
    let e = evaluate(p, m, n, genes, Some((&xs, &ys)), 8, &[20, 50]).unwrap();
    let pcc = load("evaluate/pcc.npy").values;
    for (g, (&a, &b)) in e.pcc.iter().zip(&pcc).enumerate() {
        assert!(close(a, b), "gene {g}: {a} vs pandas {b}");
    }
    let summary = load("evaluate/summary.npy").values;
    assert!(close(e.mean, summary[0]) && close(e.median, summary[1]), "{} {}", e.mean, e.median);
    assert_eq!(e.nan_genes as f64, summary[2]);
    let mi = load("evaluate/morans_i.npy").values;
    for (g, (&a, &b)) in e.morans_i.as_ref().unwrap().iter().zip(&mi).enumerate() {
        assert!(close(a, b), "Moran's I of gene {g}: {a} vs {b}");
    }
    let order: Vec<u32> = load("evaluate/svg_order.npy").to();
    assert_eq!(e.svg_order.as_ref().unwrap(), &order);
    let top = load("evaluate/top_median.npy").values;
    assert_eq!(e.top_svgs.iter().map(|t| t.0).collect::<Vec<_>>(), [20, 50]);
    for (t, &want) in e.top_svgs.iter().zip(&top) {
        assert!(close(t.1, want), "top {}: {} vs {want}", t.0, t.1);
    }
}

/// The cases of `tests/generators/cell_types.py`.
const TYPE_CASES: [&str; 5] = ["text", "numeric", "many", "one", "disjoint"];

#[test]
fn category_scores_equal_sklearn_bit_for_bit() {
    use cellmap_core::evaluate::{CategoryTally, category_scores, category_scores_scratch_len};
    for case in TYPE_CASES {
        let truth: Vec<u32> = load(&format!("evaluate/types/{case}_true.npy")).to();
        let pred: Vec<u32> = load(&format!("evaluate/types/{case}_pred.npy")).to();
        let want = load(&format!("evaluate/types/{case}_scores.npy")).values;
        let n_labels = want[3] as usize;
        let mut tallies = vec![CategoryTally::default(); n_labels];
        let mut scratch = vec![0.0; category_scores_scratch_len(n_labels)];
        let s = category_scores(&truth, &pred, &mut tallies, &mut scratch).unwrap();
        // accuracy_score and f1_score(average="macro"): the same bits.
        assert_eq!((s.accuracy, s.macro_f1), (want[0], want[1]), "{case}");
        assert_eq!((s.n_cells, s.n_present), (want[2] as usize, n_labels), "{case}");
        // precision_recall_fscore_support(average=None), zero division giving 0.
        let per_type = load(&format!("evaluate/types/{case}_per_type.npy")).values;
        for (k, (t, row)) in tallies.iter().zip(per_type.chunks_exact(4)).enumerate() {
            let got = [t.precision(), t.recall(), t.f1(), t.actual as f64];
            assert_eq!(got, row, "{case}: type {k}");
        }
    }
}

#[test]
fn cell_type_files_score_as_sklearn() {
    use cellmap::evaluate::{CellTypes, score_types};
    for case in TYPE_CASES {
        let read = |side: &str| {
            CellTypes::read(&fixture_path(&format!("evaluate/types/{case}_{side}.csv"))).unwrap()
        };
        let (pred, measured) = (read("pred"), read("true"));
        let s = score_types(&pred, &measured).unwrap();
        let want = load(&format!("evaluate/types/{case}_scores.npy")).values;
        assert_eq!((s.accuracy, s.macro_f1, s.n_cells as f64), (want[0], want[1], want[2]), "{case}");
        assert_eq!((s.macro_precision, s.macro_recall), (want[4], want[5]), "{case}");
        // sklearn's label order (numbers numerically, text by code point).
        let labels =
            std::fs::read_to_string(fixture_path(&format!("evaluate/types/{case}_labels.txt"))).unwrap();
        assert_eq!(s.types, labels.lines().collect::<Vec<_>>(), "{case}");
        let per_type = load(&format!("evaluate/types/{case}_per_type.npy")).values;
        let f1: Vec<f64> = s.tallies.iter().map(|t| t.f1()).collect();
        assert_eq!(f1, per_type.chunks_exact(4).map(|r| r[2]).collect::<Vec<_>>(), "{case}");
        let only = (s.pred_only, s.measured_only);
        assert_eq!(
            only,
            if case == "text" { (5, measured.cell_ids.len() - s.n_cells) } else { (0, 0) },
            "{case}"
        );
    }
}
