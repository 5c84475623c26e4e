//! `cellmap assign` on transcript tables in other formats and frames: Parquet, TSV, `;`,
//! named headers, the presets, --transform, --round, --where, and the outside-the-image checks.
//! Fixtures and expected counts: tests/generators/tables.py (numpy).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cellmap_tests::npy::{self, Array};

fn fixture(name: &str) -> PathBuf {
    npy::fixture_path(&format!("tables/{name}"))
}

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn expected(case: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&text).unwrap()[case].clone()
}

/// `counts.npz` (scipy sparse CSR, as `load_npz` reads it) as a dense (cells, genes) array.
fn counts(path: &Path) -> Array {
    use cellmap_io::npz::ValueArray;
    let csr = cellmap_io::fs::read_csr(path, &Default::default()).unwrap();
    let (rows, cols) = csr.shape;
    let mut values = vec![0.0; rows * cols];
    let data: Vec<f64> = match &csr.data {
        ValueArray::F64(v) => v.clone(),
        ValueArray::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
    };
    for row in 0..rows {
        let (start, end) = (csr.indptr.get(row).unwrap() as usize, csr.indptr.get(row + 1).unwrap() as usize);
        for k in start..end {
            values[row * cols + csr.indices.get(k).unwrap() as usize] += data[k];
        }
    }
    Array { shape: vec![rows, cols], dtype: "<i8".into(), values }
}

/// Runs `assign` on `table` with `extra` flags and checks the summary, counts and genes of `case`.
#[track_caller]
fn check(case: &str, table: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (labels, table) = (fixture("labels.npy"), fixture(table));
    let out = cellmap(&[&["assign", s(&labels), s(&table), "-o", s(&out_dir), "--json"], extra].concat());
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{case}: {stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = expected(case);
    for (key, value) in want.as_object().unwrap() {
        assert_eq!(&summary[key], value, "{case}: {key}");
    }
    let got = counts(&out_dir.join("counts.npz"));
    let want = npy::parse(&std::fs::read(fixture(&format!("{case}_counts.npy"))).unwrap()).unwrap();
    assert_eq!(got.shape, want.shape, "{case}: shape");
    assert_eq!(got.values, want.values, "{case}: counts");
    let genes = std::fs::read_to_string(out_dir.join("genes.txt")).unwrap();
    assert_eq!(genes, std::fs::read_to_string(fixture(&format!("{case}_genes.txt"))).unwrap(), "{case}");
    out
}

#[test]
fn xenium_parquet() {
    check("xenium", "xenium.parquet", &["--preset", "xenium"]);
    check("xenium_binary", "xenium_binary.parquet", &["--preset", "xenium"]);
}

/// `--preset auto` (the default) on a vendor's table takes that vendor's preset — units, quality
/// filter, control probes — and says so; MERSCOPE's µm without the transform are an error.
#[test]
fn auto_reads_vendor_tables_with_their_preset() {
    let note = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let xenium = check("xenium", "xenium.parquet", &[]);
    assert!(
        note(&xenium).contains("note: ") && note(&xenium).contains("--preset xenium"),
        "{}",
        note(&xenium)
    );
    let cosmx = check("cosmx_fov2", "cosmx.csv", &["--where", "fov=2", "--transform", "1,0,0;0,-1,40"]);
    assert!(note(&cosmx).contains("--preset cosmx"), "{}", note(&cosmx));
    let transform = fixture("micron_to_mosaic_pixel_transform.csv");
    let merscope = check("merscope", "merscope.csv", &["--transform", s(&transform)]);
    assert!(note(&merscope).contains("--preset merscope"), "{}", note(&merscope));
    // no transform: the µm would be taken for pixels
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = cellmap(&["assign", s(&fixture("labels.npy")), s(&fixture("merscope.csv")), "-o", s(&out_dir)]);
    let stderr = note(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for word in ["merscope.csv", "MERSCOPE columns", "--transform", "--merscope DIR"] {
        assert!(stderr.contains(word), "{word}: {stderr}");
    }
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!out_dir.exists(), "nothing written");
    // a plain table stays in pixels, without a note
    let named = check("named", "named.tsv", &[]);
    assert!(!note(&named).contains("note:"), "{}", note(&named));
}

/// The float32 coordinates of a Parquet table: in assignments.csv as the float32's shortest text,
/// which reads back (as float32) to the value the file held.
#[test]
fn parquet_float32_coordinates_are_written_as_float32_text() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    // xenium_binary.parquet: float32 x and y (xenium.parquet's are float64).
    let (labels, table) = (fixture("labels.npy"), fixture("xenium_binary.parquet"));
    let out = cellmap(&["assign", s(&labels), s(&table), "-o", s(&out_dir), "--preset", "xenium"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let options = cellmap_io::transcripts::Options::xenium();
    let t = cellmap_io::fs::read_transcripts(&table, &options).unwrap();
    assert_eq!(t.x_precision, cellmap_io::transcripts::Precision::F32);
    let mut want: Vec<(u32, u32)> =
        t.x.iter().zip(&t.y).map(|(&x, &y)| ((x as f32).to_bits(), (y as f32).to_bits())).collect();
    let csv = std::fs::read_to_string(out_dir.join("assignments.csv")).unwrap();
    let mut got: Vec<(u32, u32)> = csv
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert!(f[1].len() <= 12 && f[2].len() <= 12, "float32 text: {line}");
            (f[1].parse::<f32>().unwrap().to_bits(), f[2].parse::<f32>().unwrap().to_bits())
        })
        .collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn named_headers_tsv_and_semicolons_need_no_flags() {
    check("named", "named.tsv", &[]);
    check("named", "semicolon.csv", &[]);
    check("named", "named.tsv", &["--preset", "pciseq"]);
    check("named_nearest", "named.tsv", &["--round", "nearest"]);
}

#[test]
fn cosmx_fov_with_y_up() {
    check(
        "cosmx_fov2",
        "cosmx.csv",
        &["--preset", "cosmx", "--where", "fov=2", "--transform", "1,0,0;0,-1,40"],
    );
}

#[test]
fn merscope_with_the_transform_file() {
    let transform = fixture("micron_to_mosaic_pixel_transform.csv");
    check("merscope", "merscope.csv", &["--preset", "merscope", "--transform", s(&transform)]);
}

#[test]
fn more_than_half_outside_warns_with_both_boxes() {
    let out = check("half", "half.csv", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("warning: ") && stderr.contains("338 of 500"), "{stderr}");
    assert!(stderr.contains("the image is 0..60 × 0..40"), "{stderr}");
}

#[test]
fn all_outside_exits_1_and_suggests_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let (labels, table) = (fixture("labels.npy"), fixture("named.tsv"));
    let out = cellmap(&["assign", s(&labels), s(&table), "-o", s(&out_dir), "--scale", "0.001"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for word in ["named.tsv", "500 of 500", "0..60 × 0..40", "--scale", "--transform", "--preset"] {
        assert!(stderr.contains(word), "{word}: {stderr}");
    }
    assert!(!out_dir.join("counts.npz").exists());
}

#[test]
fn unknown_columns_are_listed_with_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let table = dir.path().join("t.csv");
    std::fs::write(&table, "a,b,c\n1,2,X\n").unwrap();
    let labels = fixture("labels.npy");
    let out = cellmap(&["assign", s(&labels), s(&table), "-o", s(&out_dir)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for word in ["t.csv", "columns: a, b, c", "--x-col", "--preset"] {
        assert!(stderr.contains(word), "{word}: {stderr}");
    }
    // A bad inline transform or --where is a usage error.
    for bad in [&["--transform", "1,2;3"][..], &["--where", "fov"]] {
        let out = cellmap(&[&["assign", s(&labels), s(&table), "-o", s(&out_dir)], bad].concat());
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
