//! Parity tests: prediction evaluation against pandas `corrwith` (per-gene PCC, nanmean,
//! nanmedian) and GHIST+'s Moran's I on the directed 8-NN graph, SVG order and top-SVG medians
//! (fixtures by `tests/generators/evaluate.py`).
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
