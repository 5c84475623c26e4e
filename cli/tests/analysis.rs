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

#[test]
fn evaluate_scores_cell_types_as_sklearn() {
    let dir = tempfile::tempdir().unwrap();
    let types_csv = dir.path().join("types.csv");
    let (pred, measured) = (fixture("evaluate/pred.csv"), fixture("evaluate/measured.npy"));
    // The text case: 300 measured cells, a shuffled prediction with 5 cells of its own and 6 missing.
    let (pred_types, measured_types) =
        (fixture("evaluate/types/text_pred.csv"), fixture("evaluate/types/text_true.csv"));
    let args = [
        "evaluate",
        s(&pred),
        s(&measured),
        "--pred-types",
        s(&pred_types),
        "--measured-types",
        s(&measured_types),
    ];
    let run = cellmap(&[&args[..], &["--types-csv", s(&types_csv), "--json"]].concat());
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let types = &summary["cell_types"];
    let want = npy::load("evaluate/types/text_scores.npy").values;
    // JSON numbers are f64's shortest round-trip form: sklearn's bits.
    assert_eq!(types["accuracy"].as_f64(), Some(want[0]));
    assert_eq!(types["macro_f1"].as_f64(), Some(want[1]));
    assert_eq!(
        (types["cells"].as_f64(), types["pred_only"].as_u64(), types["measured_only"].as_u64()),
        (Some(want[2]), Some(5), Some(6))
    );
    let per_type = npy::load("evaluate/types/text_per_type.npy").values;
    let labels = std::fs::read_to_string(fixture("evaluate/types/text_labels.txt")).unwrap();
    let rows = types["types"].as_array().unwrap();
    assert_eq!(
        rows.iter().map(|r| r["type"].as_str().unwrap()).collect::<Vec<_>>(),
        labels.lines().collect::<Vec<_>>()
    );
    for (row, want) in rows.iter().zip(per_type.chunks_exact(4)) {
        let got = ["precision", "recall", "f1", "support"].map(|k| row[k].as_f64().unwrap());
        assert_eq!(got, want, "{row}");
    }
    // The CSV: a row per type, then accuracy and macro avg (sklearn's classification_report).
    let csv = std::fs::read_to_string(&types_csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "type,precision,recall,f1,support,predicted");
    assert_eq!(lines.len(), 1 + rows.len() + 2);
    for (line, (label, want)) in lines[1..].iter().zip(labels.lines().zip(per_type.chunks_exact(4))) {
        let fields: Vec<&str> = line.split(',').collect();
        let values: Vec<f64> = fields[1..5].iter().map(|f| f.parse().unwrap()).collect();
        assert_eq!((fields[0], &values[..]), (label, want), "{line}");
    }
    let field = |line: &str, k: usize| line.rsplit(',').nth(5 - k).unwrap().parse::<f64>().unwrap();
    let accuracy = lines[lines.len() - 2];
    assert!(accuracy.starts_with("accuracy,,,"), "{csv}");
    assert_eq!(field(accuracy, 3), want[0]);
    let macro_avg = lines[lines.len() - 1];
    assert!(macro_avg.starts_with("macro avg,"), "{csv}");
    assert_eq!([field(macro_avg, 1), field(macro_avg, 2), field(macro_avg, 3)], [want[4], want[5], want[1]]);
    // The text report names both scores.
    let run = cellmap(&args);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains(&format!("accuracy {:.6}, macro-F1 {:.6}", want[0], want[1])), "{text}");
    // Bad type files: one line naming the file (exit 1); one flag without the other: usage (exit 2).
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "cell_id,type\n1,B\n1,T\n").unwrap();
    let run = cellmap(&[
        "evaluate",
        s(&pred),
        s(&measured),
        "--pred-types",
        s(&bad),
        "--measured-types",
        s(&measured_types),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("bad.csv line 3: cell 1 is listed twice") && err.trim_end().lines().count() == 1,
        "{err}"
    );
    std::fs::write(&bad, "cell_id,type\n900,B\n").unwrap();
    let run = cellmap(&[
        "evaluate",
        s(&pred),
        s(&measured),
        "--pred-types",
        s(&bad),
        "--measured-types",
        s(&measured_types),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no cell id is in both"));
    let run = cellmap(&["evaluate", s(&pred), s(&measured), "--pred-types", s(&pred_types)]);
    assert_eq!(run.status.code(), Some(2));
}
