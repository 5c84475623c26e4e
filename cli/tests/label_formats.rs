//! Every label-image format, through the binary (`tests/generators/labels.py` →
//! `tests/fixtures/labels/`): `label` writes the generator's array, `reduce` gives numpy's
//! means, `assign` reads them, and bad files fail with one line naming the file.

use std::path::Path;
use std::process::{Command, Output};

use cellmap_tests::npy;

const FORMATS: [&str; 8] = [
    "float_labels.tif",
    "cellpose_seg.npy",
    "cellpose32_seg.npy",
    "labels_coo.npz",
    "labels_csr.npz",
    "labels_csc.npz",
    "cells.zarr.zip",
    "cells_v3.zarr.zip",
];

fn fixture(name: &str) -> String {
    npy::fixture_path(&format!("labels/{name}")).display().to_string()
}

fn cellmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cellmap")).args(args).output().expect("cellmap runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "stdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

fn load(path: &Path) -> npy::Array {
    npy::parse(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn label_reads_every_format_as_the_generators_array() {
    let expected = npy::load("labels/expected_labels.npy").to::<f64>();
    let dir = tempfile::tempdir().unwrap();
    for name in FORMATS {
        let out = dir.path().join(format!("{name}.npy"));
        let stdout = ok(&cellmap(&["label", &fixture(name), "-o", out.to_str().unwrap()]));
        assert!(stdout.contains(": label image (--mask-kind auto: whole numbers"), "{name}: {stdout}");
        let labels = load(&out);
        assert_eq!((labels.shape.as_slice(), labels.dtype.as_str()), (&[40, 50][..], "<i4"), "{name}");
        assert_eq!(labels.to::<f64>(), expected, "{name}");
    }
}

#[test]
fn reduce_means_equal_numpy_for_every_format() {
    let expected = npy::load("labels/expected_means.npy").to::<f64>();
    let dir = tempfile::tempdir().unwrap();
    for name in FORMATS {
        let out = dir.path().join(format!("{name}.means.npy"));
        ok(&cellmap(&["reduce", &fixture(name), &fixture("values.npy"), "-o", out.to_str().unwrap()]));
        let got = load(&out).to::<f64>();
        assert_eq!(got.len(), expected.len(), "{name}");
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert!(
                g.to_bits() == e.to_bits() || (g - e).abs() <= 1e-12 * e.abs(),
                "{name}: cell {}: {g} vs {e}",
                i + 1
            );
        }
    }
}

#[test]
fn assign_reads_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    // genesegnet preset: x, y in pixels, gene
    std::fs::write(&csv, "spotX,spotY,gene\n1.5,2.5,A\n49.0,39.0,B\n").unwrap();
    for name in FORMATS {
        let out = dir.path().join(name);
        let o = cellmap(&["assign", &fixture(name), csv.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        ok(&o);
        assert!(out.join("counts.npz").exists(), "{name}");
    }
}

#[test]
fn bad_label_files_fail_with_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, why) in [
        ("evil_seg.npy", "refuses the global posix.system"),
        ("truncated_seg.npy", "truncated"),
        ("blosc_cells.zarr.zip", "compressor \"blosc\" is not supported"),
    ] {
        let out = dir.path().join("x.npy");
        let o = cellmap(&["label", &fixture(name), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&fixture(name)) && err.contains(why), "{name}: {err}");
    }
}

#[test]
fn a_speckled_label_image_gets_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("speckle.npy");
    let ids: Vec<u8> = (0u8..100).map(|i| if i % 3 == 0 { 0 } else { i }).collect();
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (10, 10), }".to_vec();
    header.resize(117, b' ');
    header.push(b'\n');
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&ids);
    std::fs::write(&path, bytes).unwrap();
    let o = cellmap(&["label", path.to_str().unwrap(), "-o", dir.path().join("l.npy").to_str().unwrap()]);
    ok(&o);
    assert!(
        text(&o.stderr).contains("have a single pixel: is this an intensity image"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn help_lists_the_label_formats() {
    for command in ["assign", "reduce"] {
        let help = ok(&cellmap(&[command, "--help"]));
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(".npy, PNG, TIFF, Cellpose _seg.npy, scipy sparse .npz, Xenium cells.zarr.zip"),
            "{command}: {help}"
        );
    }
}

#[test]
fn run_discovers_seg_npy_and_zarr_zip_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    // a 2-gene CSR of 40×50 pixels: one value per cell row of pixel 0 and 1999
    let mut w = cellmap_io::npz::NpzWriter::new(std::io::Cursor::new(Vec::new()), "st.npz").compressed();
    w.add("indices", &[2], &[0i32, 1]).unwrap();
    let indptr: Vec<i32> = (0..=2000)
        .map(|i| {
            if i == 0 {
                0
            } else if i < 2000 {
                1
            } else {
                2
            }
        })
        .collect();
    w.add("indptr", &[2001], &indptr).unwrap();
    w.add_bytes_string("format", b"csr").unwrap();
    w.add("shape", &[2], &[2000i64, 2]).unwrap();
    w.add("data", &[2], &[1.5f32, 2.0]).unwrap();
    let st = w.finish().unwrap().into_inner();
    for (mask, tile) in [("cellpose_seg.npy", "a_seg.npy"), ("cells.zarr.zip", "b.zarr.zip")] {
        std::fs::copy(fixture(mask), tiles.join(tile)).unwrap();
        let name = tile.split(['_', '.']).next().unwrap();
        std::fs::write(tiles.join(format!("{name}_ST_1024.npz")), &st).unwrap();
    }
    let out = dir.path().join("out");
    let stdout =
        ok(&cellmap(&["run", tiles.to_str().unwrap(), "-o", out.to_str().unwrap(), "--genes", "0..2"]));
    assert!(
        stdout.contains("ok    a: 30 cells, 2 genes") && stdout.contains("; label image (--mask-kind auto"),
        "{stdout}"
    );
    assert!(stdout.contains("ok    b: 30 cells"), "{stdout}");
    let expected = npy::load("labels/expected_labels.npy").to::<f64>();
    for tile in ["a", "b"] {
        assert_eq!(load(&out.join(tile).join("labels.npy")).to::<f64>(), expected, "{tile}");
    }
}
