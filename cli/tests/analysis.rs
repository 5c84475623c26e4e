//! The analysis subcommands on the parity fixtures: `cellmap segeval` gives GeneSegNet's numbers
//! (tests/generators/segeval.py) in its CSV and JSON, and refuses bad input with exit 1 or 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cellmap_tests::npy;

fn fixture(name: &str) -> PathBuf {
    npy::fixture_path(name)
}

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[test]
fn segeval_writes_genesegnet_scores() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("scores.csv");
    let (truth, pred) = (fixture("segeval/case2/truth.npy"), fixture("segeval/case2/pred.npy"));
    let thresholds = npy::load("segeval/case2/thresholds.npy").values;
    let list = thresholds.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
    let run = cellmap(&["segeval", s(&truth), s(&pred), "--thresholds", &list, "--csv", s(&csv), "--json"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let expected = npy::load("segeval/case2/scores.npy").values;
    let table = std::fs::read_to_string(&csv).unwrap();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "threshold,tp,fp,fn,ap");
    for (k, row) in rows[1..=thresholds.len()].iter().enumerate() {
        let fields: Vec<f64> = row.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(fields[0], thresholds[k]);
        assert_eq!(fields[1..], expected[4 * k..4 * k + 4], "row {row}");
    }
    let aji = npy::load("segeval/case2/aji.npy").values[0];
    assert_eq!(rows[thresholds.len() + 1], format!("aji,,,,{aji}"));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(summary["aji"].as_f64(), Some(aji));
    // A second run refuses the existing CSV (exit 1) unless --overwrite.
    let again = cellmap(&["segeval", s(&truth), s(&pred), "--csv", s(&csv)]);
    assert_eq!(again.status.code(), Some(1));
    let again = cellmap(&["segeval", s(&truth), s(&pred), "--csv", s(&csv), "--overwrite"]);
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn segeval_cleans_the_prediction_as_genesegnet() {
    let dir = tempfile::tempdir().unwrap();
    let cleaned = dir.path().join("clean.npy");
    let labels = fixture("segeval/fill_remove/labels.npy");
    let run = cellmap(&["segeval", s(&labels), s(&labels), "--min-size", "15", "--cleaned", s(&cleaned)]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let got = npy::parse(&std::fs::read(&cleaned).unwrap()).unwrap();
    assert_eq!(got.values, npy::load("segeval/fill_remove/filled.npy").values);
}

#[test]
fn segeval_refuses_bad_input() {
    let a = fixture("segeval/case0/truth.npy");
    let b = fixture("segeval/case1/truth.npy");
    let run = cellmap(&["segeval", s(&a), s(&b)]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("same size"));
    let run = cellmap(&["segeval", s(&a), s(&a), "--thresholds", "1.5"]);
    assert_eq!(run.status.code(), Some(2));
    let run = cellmap(&["segeval", s(&a), s(&a), "--cleaned", "x.npy"]);
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn heatmap_writes_the_numpy_maps() {
    let dir = tempfile::tempdir().unwrap();
    let (labels, table) = (fixture("heatmap/labels.npy"), fixture("heatmap/transcripts.csv"));
    for (flags, reference) in [
        (vec![], "all_max"),
        (vec!["--combine", "sum"], "all_sum"),
        (vec!["--each-gene"], "genes_max"),
        (vec!["--genes", "Sst,Vip,Gad1"], "genes_max"),
        (vec!["--in-cells"], "in_cells_max"),
    ] {
        let out = dir.path().join(format!("{reference}.npy"));
        let mut args = vec!["heatmap", s(&labels), s(&table), "-o", s(&out), "--overwrite"];
        args.extend(&flags);
        let run = cellmap(&args);
        assert_eq!(run.status.code(), Some(0), "{flags:?}: {}", String::from_utf8_lossy(&run.stderr));
        let got = npy::parse(&std::fs::read(&out).unwrap()).unwrap();
        let want = npy::load(&format!("heatmap/{reference}.npy"));
        assert_eq!((got.shape, got.dtype, got.values), (want.shape, want.dtype, want.values), "{flags:?}");
    }
    let png = dir.path().join("map.png");
    let run =
        cellmap(&["heatmap", s(&labels), s(&table), "-o", s(&dir.path().join("m.npy")), "--png", s(&png)]);
    assert_eq!(run.status.code(), Some(0));
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn heatmap_refuses_bad_input() {
    let (labels, table) = (fixture("heatmap/labels.npy"), fixture("heatmap/transcripts.csv"));
    let run = cellmap(&["heatmap", s(&labels), s(&table), "-o", "/tmp/never.npy", "--genes", "Nope"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no gene \"Nope\""));
    assert!(!Path::new("/tmp/never.npy").exists());
    let run = cellmap(&["heatmap", s(&labels), s(&table), "-o", "/tmp/never.npy", "--sigma", "0"]);
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn evaluate_reports_pandas_pcc_and_the_top_svgs() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("genes.csv");
    let (pred, measured, labels) =
        (fixture("evaluate/pred.csv"), fixture("evaluate/measured.npy"), fixture("evaluate/labels.npy"));
    let run =
        cellmap(&["evaluate", s(&pred), s(&measured), "--labels", s(&labels), "--csv", s(&csv), "--json"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let want = npy::load("evaluate/summary.npy").values;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12;
    assert!(close(summary["mean_pcc"].as_f64().unwrap(), want[0]));
    assert!(close(summary["median_pcc"].as_f64().unwrap(), want[1]));
    assert_eq!(summary["nan_genes"].as_f64(), Some(want[2]));
    let top = npy::load("evaluate/top_median.npy").values;
    for (k, entry) in summary["top_svgs"].as_array().unwrap().iter().enumerate() {
        assert!(close(entry["median_pcc"].as_f64().unwrap(), top[k]), "{entry}");
    }
    let lines = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(lines.lines().next(), Some("gene,pcc,morans_i,svg_rank"));
    assert_eq!(lines.lines().count(), 71);
    // Tables that cannot be matched: exit 1, naming both files.
    let run = cellmap(&["evaluate", s(&pred), s(&labels)]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("labels.npy"));
}
