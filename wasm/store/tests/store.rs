//! The store module in node / headless Chromium against the stores zarr-python wrote
//! (tests/generators/published.py): a gene's CSC column, a missing (all-background) chunk, the
//! cell facts, and a sharded store refused with its codec named.

use cellmap_wasm_store::PublishedView;
use js_sys::{Array, JSON, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

macro_rules! fixture {
    ($key:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/published/store.zarr/", $key)).as_slice()
    };
}

const ROOT: &[u8] = fixture!("zarr.json");
const SHARDED_ROOT: &[u8] = include_bytes!("../../../tests/fixtures/published/sharded.zarr/zarr.json");
const EXPECTED: &str = include_str!("../../../tests/fixtures/published/expected.json");

/// The keys these tests read, with their bytes.
fn key(key: &str) -> Option<&'static [u8]> {
    Some(match key {
        "tables/table/X/indptr/c/0" => fixture!("tables/table/X/indptr/c/0"),
        "tables/table/var/_index/c/0" => fixture!("tables/table/var/_index/c/0"),
        "tables/table/obs/cell_id/c/0" => fixture!("tables/table/obs/cell_id/c/0"),
        "tables/table/obs/area/c/0" => fixture!("tables/table/obs/area/c/0"),
        "tables/table/obs/centroid_y/c/0" => fixture!("tables/table/obs/centroid_y/c/0"),
        "tables/table/obs/centroid_x/c/0" => fixture!("tables/table/obs/centroid_x/c/0"),
        "tables/table/X/data/c/0" => fixture!("tables/table/X/data/c/0"),
        "tables/table/X/data/c/1" => fixture!("tables/table/X/data/c/1"),
        "tables/table/X/data/c/2" => fixture!("tables/table/X/data/c/2"),
        "tables/table/X/data/c/3" => fixture!("tables/table/X/data/c/3"),
        "tables/table/X/data/c/4" => fixture!("tables/table/X/data/c/4"),
        "tables/table/X/indices/c/0" => fixture!("tables/table/X/indices/c/0"),
        "tables/table/X/indices/c/1" => fixture!("tables/table/X/indices/c/1"),
        "tables/table/X/indices/c/2" => fixture!("tables/table/X/indices/c/2"),
        "tables/table/X/indices/c/3" => fixture!("tables/table/X/indices/c/3"),
        "tables/table/X/indices/c/4" => fixture!("tables/table/X/indices/c/4"),
        "labels/cells/s0/c/1/1" => fixture!("labels/cells/s0/c/1/1"),
        _ => return None,
    })
}

fn chunks(keys: &[String]) -> Array {
    keys.iter().map(|k| key(k).map_or(JsValue::NULL, |b| Uint8Array::from(b).into())).collect()
}

fn open() -> PublishedView {
    let mut view = PublishedView::new(ROOT, "store.zarr", 8, 4).unwrap();
    for name in view.meta_arrays() {
        let keys = view.array_keys(&name).unwrap();
        view.set_array(&name, &chunks(&keys)).unwrap();
    }
    view
}

fn expected(path: &[&str]) -> JsValue {
    let mut value = JSON::parse(EXPECTED).unwrap();
    for p in path {
        value = Reflect::get(&value, &(*p).into()).unwrap();
    }
    value
}

#[wasm_bindgen_test]
fn a_gene_column_read_from_csc_chunks_equals_the_table() {
    let mut view = open();
    assert_eq!(view.gene_names()[0], "Actb");
    let ks = view.column_chunks(0).unwrap();
    assert!(!ks.is_empty() && ks.iter().all(|&k| k <= 4.0), "{ks:?}");
    let data: Vec<String> = ks.iter().map(|&k| view.column_keys(k)[0].clone()).collect();
    let indices: Vec<String> = ks.iter().map(|&k| view.column_keys(k)[1].clone()).collect();
    view.put_column(0, &chunks(&data), &chunks(&indices)).unwrap();
    view.compute(&[0], "sum").unwrap();
    let values = Array::from(&expected(&["by_gene", "Actb", "values"]));
    assert_eq!(values.length() as f64, view.cell_count());
    for (i, v) in values.iter().enumerate() {
        assert_eq!(view.cell_value(i as u32 + 1), v.as_f64().unwrap(), "cell {}", i + 1);
    }
    assert!(view.cell_value(0).is_nan());
}

#[wasm_bindgen_test]
fn a_chunk_missing_from_the_store_is_background() {
    let mut view = open();
    // level-0 rows 600..700, cols 400..600: chunk (1, 0) is omitted (all background), (1, 1) is not
    let w = view.window(0, 600.0, 400.0, 700.0, 600.0).unwrap();
    let missing = view.missing_chunks(0, w[0], w[1], w[2], w[3]);
    let keys: Vec<String> = missing.iter().map(|m| Array::from(&m).get(2).as_string().unwrap()).collect();
    assert_eq!(keys, ["labels/cells/s0/c/1/0", "labels/cells/s0/c/1/1"]);
    for m in missing.iter() {
        let m = Array::from(&m);
        let bytes = key(&m.get(2).as_string().unwrap()).map(<[u8]>::to_vec);
        view.put_chunk(0, m.get(0).as_f64().unwrap(), m.get(1).as_f64().unwrap(), bytes).unwrap();
    }
    view.compose(0, w[0], w[1], w[2], w[3]).unwrap();
    assert_eq!(view.cell_at(650.0, 450.0), 0);
    view.compute(&[], "sum").unwrap();
    view.paint("viridis", "minmax", 0.0, 0.0, false, false).unwrap();
    let rgba = view.pixels();
    assert_eq!(rgba.len() as f64, w[2] * w[3] * 4.0);
    assert_eq!(&rgba[..4], &[0, 0, 0, 0], "background is transparent");
    // a cell in chunk (1, 1), with its facts from obs
    let label = (512..600).find_map(|c| Some(view.cell_at(650.0, f64::from(c))).filter(|&l| l > 0)).unwrap();
    let info = view.cell_info(label).unwrap();
    assert_eq!(Reflect::get(&info, &"label".into()).unwrap().as_f64(), Some(f64::from(label)));
    assert!(Reflect::get(&info, &"area".into()).unwrap().as_f64().unwrap() > 0.0);
    assert!(view.cell_info(0).is_err());
}

#[wasm_bindgen_test]
fn a_sharded_store_is_refused_with_the_codec_named() {
    let err = PublishedView::new(SHARDED_ROOT, "sharded.zarr", 8, 4).unwrap_err();
    let message = JsValue::from(err);
    let text = Reflect::get(&message, &"message".into()).unwrap().as_string().unwrap();
    assert!(text.contains("codec 'sharding_indexed' is not supported"), "{text}");
}
