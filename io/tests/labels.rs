//! Label images as segmentation tools save them (`tests/generators/labels.py`
//! → `tests/fixtures/labels/`): every reader gives the generator's array.

use std::path::PathBuf;

use cellmap_io::npy::{self, ArrayData};
use cellmap_io::{Limits, fs, image};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/labels").join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e} (run tests/generators/labels.py)"))
}

/// The expected labels as u64, C order.
fn expected() -> Vec<u64> {
    let array = npy::read(&bytes("expected_labels.npy"), "expected_labels.npy").unwrap();
    assert_eq!(array.shape(), &[40, 50]);
    as_u64(array.data())
}

fn as_u64(data: &ArrayData) -> Vec<u64> {
    data.to_f64().unwrap().into_iter().map(|v| v as u64).collect()
}

fn check(name: &str, dtype: &str) {
    let from_bytes = image::read_mask(&bytes(name), name).unwrap_or_else(|e| panic!("{e}"));
    let from_file = fs::read_mask(&fixture(name), &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    for array in [from_bytes, from_file] {
        assert_eq!(array.shape(), &[40, 50], "{name}");
        assert_eq!(array.data().dtype().name(), dtype, "{name}");
        assert_eq!(as_u64(array.data()), expected(), "{name}");
    }
}

#[test]
fn float32_label_tiff() {
    check("float_labels.tif", "float32");
}

#[test]
fn cellpose_seg_npy_uint16_and_fortran_uint32() {
    check("cellpose_seg.npy", "uint16");
    check("cellpose32_seg.npy", "uint32");
    for protocol in [2, 3, 5] {
        check(&format!("protocol{protocol}_seg.npy"), "uint16");
    }
}

#[test]
fn scipy_sparse_coo_csr_csc() {
    for format in ["coo", "csr", "csc"] {
        check(&format!("labels_{format}.npz"), "uint32");
    }
}

#[test]
fn xenium_cells_zarr_zip_reads_masks_1() {
    check("cells.zarr.zip", "uint32");
}

fn error(name: &str) -> String {
    let e = fs::read_mask(&fixture(name), &Limits::default()).unwrap_err().to_string();
    assert!(e.starts_with(&fixture(name).display().to_string()), "{e}");
    let b = image::read_mask(&bytes(name), name).unwrap_err().to_string();
    assert!(b.starts_with(name), "{b}");
    e
}

#[test]
fn a_pickle_naming_another_global_is_refused() {
    let e = error("evil_seg.npy");
    assert!(e.contains("refuses the global posix.system"), "{e}");
}

#[test]
fn a_truncated_pickle_is_refused() {
    let e = error("truncated_seg.npy");
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn an_unknown_zarr_codec_is_named() {
    let e = error("blosc_cells.zarr.zip");
    assert!(e.contains("compressor \"blosc\" is not supported"), "{e}");
}

#[test]
fn every_cut_of_a_seg_npy_fails_cleanly() {
    let whole = bytes("cellpose_seg.npy");
    for end in (0..whole.len()).step_by(97) {
        let _ = image::read_mask(&whole[..end], "cut_seg.npy");
    }
    let zip = bytes("cells.zarr.zip");
    for end in (0..zip.len()).step_by(31) {
        let _ = image::read_mask(&zip[..end], "cut.zarr.zip");
    }
}

#[test]
fn zarr_v3_with_gzip_reads_too() {
    check("cells_v3.zarr.zip", "uint32");
}

/// Random byte changes and cuts of every fixture: an error or an array, never a panic.
#[test]
fn mutated_label_files_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in [
        "cellpose_seg.npy",
        "cellpose32_seg.npy",
        "labels_coo.npz",
        "labels_csr.npz",
        "labels_csc.npz",
        "cells.zarr.zip",
        "cells_v3.zarr.zip",
    ] {
        let original = bytes(name);
        for _ in 0..1500 {
            let mut data = original.clone();
            for _ in 0..(1 + next() % 4) {
                let at = (next() as usize) % data.len();
                data[at] = next() as u8;
            }
            if next() % 8 == 0 {
                data.truncate((next() as usize) % data.len());
            }
            let _ = image::read_mask(&data, name);
        }
    }
}
