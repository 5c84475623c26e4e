//! The viewer's label formats (`tests/fixtures/labels/`, written by
//! `tests/generators/labels.py` with tifffile and numpy): `Session.fromMask`
//! reads a uint32 `.npy` label image with the generator's ids. TIFF,
//! Cellpose `_seg.npy`, scipy sparse `.npz` and `cells.zarr.zip` are left out
//! of this package (cellmap-io features `tiff-images`, `seg-npy` and
//! `label-formats`, for its gzip size budget): `maskReaderNeeded` names the
//! feature, the viewer then loads the readers module (`wasm/readers`, whose
//! tests decode them to the same ids), and `fromMask` alone refuses them
//! with a message saying so.
//!
//! They run in node and, with `WASM_BINDGEN_USE_BROWSER=1`, in headless
//! Chromium; on the host they count as 0 tests.
use cellmap_wasm::{Session, mask_reader_needed};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const FLOAT_TIF: &[u8] = include_bytes!("../../tests/fixtures/labels/float_labels.tif");
const SEG_NPY: &[u8] = include_bytes!("../../tests/fixtures/labels/cellpose_seg.npy");
const ZARR_ZIP: &[u8] = include_bytes!("../../tests/fixtures/labels/cells.zarr.zip");
const EXPECTED: &[u8] = include_bytes!("../../tests/fixtures/labels/expected_labels.npy");

fn expected() -> Vec<i32> {
    let array = cellmap_io::npy::read(EXPECTED, "expected_labels.npy").unwrap();
    array.data().to_f64().unwrap().into_iter().map(|v| v as i32).collect()
}

fn labels(session: &Session) -> Vec<i32> {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::Int32Array::new_with_byte_offset_and_length(
        &memory.buffer(),
        session.labels_ptr() as u32,
        session.labels_len() as u32,
    )
    .to_vec()
}

fn message(error: wasm_bindgen::JsError) -> String {
    let value: JsValue = error.into();
    js_sys::Reflect::get(&value, &JsValue::from_str("message")).unwrap().as_string().unwrap_or_default()
}

#[wasm_bindgen_test]
fn a_uint32_npy_label_image_keeps_its_ids() {
    let session = Session::from_mask(EXPECTED.to_vec(), "expected_labels.npy").unwrap();
    assert!(session.is_label_image());
    assert_eq!((session.width(), session.height(), session.cell_count()), (50, 40, 30));
    assert_eq!(labels(&session), expected());
}

#[wasm_bindgen_test]
fn from_mask_alone_refuses_the_left_out_formats_with_a_message() {
    let seg = message(Session::from_mask(SEG_NPY.to_vec(), "tile_seg.npy").unwrap_err());
    assert!(seg.starts_with("tile_seg.npy:") && seg.contains("seg-npy"), "{seg}");
    let zarr = message(Session::from_mask(ZARR_ZIP.to_vec(), "cells.zarr.zip").unwrap_err());
    assert!(zarr.starts_with("cells.zarr.zip:") && zarr.contains("label-formats"), "{zarr}");
    let tiff = message(Session::from_mask(FLOAT_TIF.to_vec(), "float_labels.tif").unwrap_err());
    assert!(tiff.starts_with("float_labels.tif:") && tiff.contains("tiff-images"), "{tiff}");
}

#[wasm_bindgen_test]
fn mask_reader_needed_names_the_left_out_reader_from_the_first_bytes() {
    let head = |bytes: &[u8]| mask_reader_needed(&bytes[..bytes.len().min(4096)]);
    assert_eq!(head(SEG_NPY).as_deref(), Some("seg-npy"));
    assert_eq!(head(ZARR_ZIP).as_deref(), Some("label-formats"));
    assert_eq!(head(FLOAT_TIF).as_deref(), Some("tiff-images"));
    assert_eq!(head(EXPECTED), None);
}
