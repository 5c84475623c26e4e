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

/// Runs `rasterize` on a polygon fixture; returns the labels, the ids table and stderr.
#[track_caller]
fn rasterize(polygons: &str, extra: &[&str]) -> (Vec<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l.npy");
    let run = cellmap(
        &[&["rasterize", "--polygons", &fixture(polygons), "-o", out.to_str().unwrap()], extra].concat(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(0), "{polygons}: {stderr}");
    let ids = std::fs::read_to_string(dir.path().join("l_ids.csv")).unwrap();
    (labels(&out), ids, stderr)
}

#[test]
fn xenium_parquet_draws_what_the_csv_draws() {
    let (want, want_ids, _) = rasterize("xenium_cell_boundaries.csv.gz", &["--shape", "30,40"]);
    assert_eq!(want, npy::load("polygons/xenium_labels.npy").to::<i32>());
    for name in ["xenium_cell_boundaries.parquet", "xenium_cell_boundaries_binary.parquet"] {
        let (got, ids, stderr) = rasterize(name, &["--shape", "30,40"]);
        assert_eq!((got, ids), (want.clone(), want_ids.clone()), "{name}");
        assert!(stderr.is_empty(), "{stderr}");
    }
    // Older files with integer cell ids: the same cells, those ids.
    let (got, ids, _) = rasterize("xenium_cell_boundaries_int.parquet", &["--shape", "30,40"]);
    assert_eq!(got, want);
    assert!(ids.starts_with("label,cell_id\n1,1\n2,2\n"), "{ids}");
    // --scale as for the CSV: half the pixel size, twice the coordinates.
    let csv = rasterize("xenium_cell_boundaries.csv.gz", &["--shape", "60,80", "--scale", "0.10625"]).0;
    let parquet = rasterize("xenium_cell_boundaries.parquet", &["--shape", "60,80", "--scale", "0.10625"]).0;
    assert_eq!(csv, parquet);
    assert_ne!(csv.iter().filter(|&&l| l != 0).count(), want.iter().filter(|&&l| l != 0).count());
}

#[test]
fn merscope_parquet_through_the_transform_one_plane() {
    let transform = fixture("merscope/images/micron_to_mosaic_pixel_transform.csv");
    let polygons = "merscope/cell_boundaries.parquet";
    for (z, extra) in [(3, &[][..]), (3, &["--z-plane", "3"][..]), (0, &["--z-plane", "0"][..])] {
        let want = npy::load(&format!("polygons/merscope_z{z}_labels.npy"));
        let shape = format!("{},{}", want.shape[0], want.shape[1]);
        let (got, ids, stderr) =
            rasterize(polygons, &[&["--shape", &shape, "--transform", &transform][..], extra].concat());
        assert_eq!(got, want.to::<i32>(), "z-plane {z}");
        assert!(ids.starts_with("label,cell_id\n1,1780200000000000007\n"), "{ids}");
        // The default plane is announced; a chosen one is not.
        assert_eq!(stderr.contains("note: ") && stderr.contains("z-plane 3"), extra.is_empty(), "{stderr}");
    }
}

#[test]
fn bad_parquet_polygons_are_one_line_naming_the_file() {
    let cases: [(&str, &[&str], &[&str]); 7] = [
        ("bad/restart.parquet", &[], &["row 5", "cell `a` starts again"]),
        ("bad/text_vertex.parquet", &[], &["vertex_x", "not a float column"]),
        ("bad/empty.parquet", &[], &["no rows"]),
        ("bad/truncated_wkb.parquet", &[], &["row 2", "EntityID 12", "bad Geometry"]),
        ("bad/no_zindex.parquet", &[], &["ZIndex"]),
        ("merscope/cell_boundaries.parquet", &["--z-plane", "7"], &["z-plane 7", "0, 1, 2, 3, 4, 5, 6"]),
        ("xenium_cell_boundaries.parquet", &["--z-plane", "3"], &["--z-plane", "Xenium"]),
    ];
    for (name, extra, words) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("l.npy");
        let args = ["rasterize", "--polygons", &fixture(name), "--shape", "4,4", "-o", out.to_str().unwrap()];
        let run = cellmap(&[&args[..], extra].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(name), "{err}");
        for word in words {
            assert!(err.contains(word), "{name}: {word}: {err}");
        }
        assert!(!out.exists());
    }
    // --transform is for Parquet polygons.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l.npy");
    let csv = fixture("xenium_cell_boundaries.csv.gz");
    let run = cellmap(&[
        "rasterize",
        "--polygons",
        &csv,
        "--shape",
        "4,4",
        "-o",
        out.to_str().unwrap(),
        "--transform",
        "1,0,0;0,1,0",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("--transform") && err.contains("xenium_cell_boundaries.csv.gz"), "{err}");
}

#[test]
fn assign_takes_xenium_parquet_polygons_as_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let table = npy::fixture_path("tables/xenium.parquet").display().to_string();
    let mut outputs = Vec::new();
    for (k, polygons) in
        ["xenium_cell_boundaries.csv.gz", "xenium_cell_boundaries.parquet"].iter().enumerate()
    {
        let out = dir.path().join(format!("out{k}"));
        let args = ["assign", &fixture(polygons), &table, "--preset", "xenium", "-o", out.to_str().unwrap()];
        let run = cellmap(&[&args[..], &["--shape", "30,40"]].concat());
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
        let read = |name: &str| std::fs::read(out.join(name)).unwrap();
        outputs.push([read("assignments.csv"), read("counts.npz"), read("cell_ids.csv")]);
    }
    assert!(outputs[0] == outputs[1]);
    // Some transcripts fall in cells, so the labels were used.
    let assignments = String::from_utf8(outputs[0][0].clone()).unwrap();
    assert!(
        assignments.lines().skip(1).any(|l| !l.starts_with("0,") && !l.starts_with("-1,")),
        "{assignments}"
    );
}
