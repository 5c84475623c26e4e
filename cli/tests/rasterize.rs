//! `cellmap rasterize` on the polygon fixtures of `tests/generators/polygons.py`: the label
//! image is the one skimage.draw.polygon gives, the ids table maps labels to the file's ids, and
//! bad input is one line naming the file, exit 1.

use std::path::Path;
use std::process::{Command, Output};

use cellmap_tests::npy;

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn fixture(name: &str) -> String {
    npy::fixture_path(&format!("polygons/{name}")).display().to_string()
}

fn labels(path: &Path) -> Vec<i32> {
    npy::parse(&std::fs::read(path).unwrap()).unwrap().to()
}

#[test]
fn geojson_to_labels_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("labels.npy");
    let run = cellmap(&[
        "rasterize",
        "--polygons",
        &fixture("cells.geojson"),
        "--shape",
        "20,24",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(labels(&out), npy::load("polygons/geojson_labels.npy").to::<i32>());
    let ids = std::fs::read_to_string(dir.path().join("labels_ids.csv")).unwrap();
    assert_eq!(ids, "label,cell_id\n1,a7\n2,42\n3,3\n");
}

#[test]
fn xenium_csv_gz_with_explicit_ids_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.npy");
    let ids = dir.path().join("ids.csv");
    let run = cellmap(&[
        "rasterize",
        "--polygons",
        &fixture("xenium_cell_boundaries.csv.gz"),
        "--shape",
        "30,40",
        "-o",
        out.to_str().unwrap(),
        "--ids",
        ids.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(labels(&out), npy::load("polygons/xenium_labels.npy").to::<i32>());
    assert!(std::fs::read_to_string(&ids).unwrap().starts_with("label,cell_id\n1,cell000-1\n"));
}

#[test]
fn bad_polygon_file_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cells.geojson");
    std::fs::write(&bad, r#"{"type": "FeatureCollection", "features": [{"geometry": {"type": "LineString", "coordinates": []}}]}"#).unwrap();
    let out = dir.path().join("l.npy");
    let run = cellmap(&[
        "rasterize",
        "--polygons",
        bad.to_str().unwrap(),
        "--shape",
        "4,4",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cells.geojson") && err.contains("LineString"), "{err}");
    assert!(!out.exists());
}

#[test]
fn assign_takes_a_polygon_file_for_labels() {
    let dir = tempfile::tempdir().unwrap();
    let spots = dir.path().join("spots.csv");
    // Cell a7 (label 1), its hole (background), cell 42 (label 2), outside the polygons' extent.
    std::fs::write(&spots, "spotX,spotY,gene\n2.5,2.5,Gad1\n5.5,5.5,Gad1\n20.5,15.5,Pvalb\n30,1,Gad1\n")
        .unwrap();
    let out = dir.path().join("out");
    let args = ["assign", &fixture("cells.geojson"), spots.to_str().unwrap(), "-o", out.to_str().unwrap()];
    let run = cellmap(&args);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    assert_eq!(
        assignments,
        "cell_id,spotX,spotY,gene\n0,5.5,5.5,Gad1\n1,2.5,2.5,Gad1\n2,20.5,15.5,Pvalb\n-1,30,1,Gad1\n"
    );
    let ids = std::fs::read_to_string(out.join("cell_ids.csv")).unwrap();
    assert_eq!(ids, "label,cell_id\n1,a7\n2,42\n3,3\n");
    // --shape widens the image: the last spot is then on the background.
    let run = cellmap(&[&args[..], &["--shape", "20,40", "--overwrite"]].concat());
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let assignments = std::fs::read_to_string(out.join("assignments.csv")).unwrap();
    assert!(assignments.contains("\n0,30,1,Gad1\n"), "{assignments}");
}
