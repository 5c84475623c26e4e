//! wasm-bindgen tests of the JS API against scipy's numbers
//! (`tests/fixtures/wasm/`, written by `tests/generators/wasm.py`).
//!
//! They run in node (`cargo test -p cellmap-wasm --target
//! wasm32-unknown-unknown --tests`) and, with `WASM_BINDGEN_USE_BROWSER=1`,
//! in headless Chromium; on the host they count as 0 tests.
use cellmap_wasm::{
    Session, background_color, categorical_palette, colorbar_ticks, colormap_lut, colormap_options,
    connectivity_options, label_image, no_value_color, other_category_color, scale_options, stat_options,
};
use js_sys::{JSON, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const MASK_NPY: &[u8] = include_bytes!("../../tests/fixtures/wasm/mask.npy");
const MASK_PNG: &[u8] = include_bytes!("../../tests/fixtures/wasm/mask.png");
const MASK_TIF: &[u8] = include_bytes!("../../tests/fixtures/wasm/mask.tif");
const LABELS_PNG: &[u8] = include_bytes!("../../tests/fixtures/wasm/labels_u16.png");
const EXPRESSION_NPZ: &[u8] = include_bytes!("../../tests/fixtures/wasm/expression.npz");
const DENSE_NPY: &[u8] = include_bytes!("../../tests/fixtures/wasm/dense.npy");
const EXPECTED_JSON: &str = include_str!("../../tests/fixtures/wasm/expected.json");

/// (fill holes, connectivity name) as JS passes them.
const SETTINGS: [(bool, &str); 4] = [(true, "4"), (true, "8"), (false, "4"), (false, "8")];
/// The statistics scipy's numbers cover (`expected.json` has no min).
const SCIPY_STATS: [&str; 4] = ["mean", "sum", "count", "max"];
const STATS: [&str; 5] = ["mean", "sum", "count", "min", "max"];

/// scipy's numbers for one (fill holes, connectivity) setting.
struct Expected(JsValue);

impl Expected {
    fn load(fill_holes: bool, connectivity: &str) -> Expected {
        let all = JSON::parse(EXPECTED_JSON).expect("expected.json parses");
        let settings: js_sys::Array = get(&all, "settings").unchecked_into();
        let conn: f64 = connectivity.parse().unwrap();
        settings
            .iter()
            .find(|s| {
                get(s, "fillHoles").as_bool() == Some(fill_holes)
                    && get(s, "connectivity").as_f64() == Some(conn)
            })
            .map(Expected)
            .expect("setting present in expected.json")
    }

    fn cell_count(&self) -> u32 {
        get(&self.0, "cellCount").as_f64().unwrap() as u32
    }

    fn numbers(&self, key: &str) -> Vec<f64> {
        numbers(&get(&self.0, key))
    }

    /// Per-cell values of `stat` for gene `gene` (`None`: genes 0 + 2), by label - 1.
    fn stat(&self, gene: Option<usize>, stat: &str) -> Vec<f64> {
        let table = match gene {
            Some(g) => js_sys::Array::from(&get(&self.0, "genes")).get(g as u32),
            None => get(&self.0, "sumOfGenes0And2"),
        };
        numbers(&get(&table, stat))
    }

    fn cell(&self, key: &str, label: u32) -> Vec<f64> {
        numbers(&js_sys::Array::from(&get(&self.0, key)).get(label - 1))
    }

    /// scipy's bounding box of `label` as `[minRow, minCol, maxRow, maxCol]`
    /// with end-exclusive maxima (the fixture holds inclusive ones).
    fn bbox_end_exclusive(&self, label: u32) -> [f64; 4] {
        let b = self.cell("bbox", label);
        [b[0], b[1], b[2] + 1.0, b[3] + 1.0]
    }
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).expect("property")
}

/// A JSON array of numbers (`null` read as NaN).
fn numbers(value: &JsValue) -> Vec<f64> {
    js_sys::Array::from(value).iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect()
}

fn message(error: wasm_bindgen::JsError) -> String {
    let value: JsValue = error.into();
    get(&value, "message").as_string().unwrap_or_default()
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

fn session_with_expression() -> Session {
    let mut session = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").expect("mask loads");
    session.attach_expression(Uint8Array::from(EXPRESSION_NPZ), "expression.npz").expect("expression loads");
    session
}

/// `len` bytes at `ptr` in this module's memory (the tests run in the same
/// wasm instance, so the pointer is a real address).
fn memory_view(ptr: u32, len: u32) -> js_sys::Uint8Array {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), ptr, len)
}

/// The RGBA pixels, read from the session's buffer.
fn session_pixels(session: &Session) -> Vec<u8> {
    memory_view(session.pixels_ptr() as u32, session.pixels_len() as u32).to_vec()
}

/// The labels, read through an `Int32Array` view as JS does.
fn session_labels(session: &Session) -> Vec<i32> {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::Int32Array::new_with_byte_offset_and_length(
        &memory.buffer(),
        session.labels_ptr() as u32,
        session.labels_len() as u32,
    )
    .to_vec()
}

#[wasm_bindgen_test]
fn the_menus_are_the_pipelines_names() {
    let stats = stat_options().unwrap();
    assert_eq!(stats.length() as usize, cellmap::Stat::ALL.len());
    for (option, stat) in stats.iter().zip(cellmap::Stat::ALL) {
        assert_eq!(get(&option, "name").as_string().as_deref(), Some(stat.name()));
        assert_eq!(get(&option, "description").as_string().as_deref(), Some(stat.description()));
    }
    let names: Vec<String> = stats.iter().map(|o| get(&o, "name").as_string().unwrap()).collect();
    assert_eq!(names, STATS, "all five statistics, min included");
    assert_eq!(colormap_options(), ["viridis", "magma", "inferno", "plasma", "cividis", "turbo", "gray"]);
    assert_eq!(connectivity_options(), ["4", "8"]);
    for name in colormap_options() {
        let lut = colormap_lut(&name).unwrap();
        let colormap = cellmap::Colormap::from_name(&name).unwrap();
        assert_eq!(lut.len(), 1024);
        assert_eq!(&lut[..4], &[colormap.lut()[0][0], colormap.lut()[0][1], colormap.lut()[0][2], 255]);
    }
    assert_eq!(no_value_color(), [255, 102, 255, 255]);
    assert_eq!(background_color(), [0, 0, 0, 0]);
}

#[wasm_bindgen_test]
fn unknown_names_are_errors_that_list_the_known_ones() {
    let mut session = session_with_expression();
    let stat = message(session.compute_values(&[0], "median").unwrap_err());
    assert!(stat.contains("\"median\"") && stat.contains("mean, sum, count, min, max"), "{stat}");
    session.compute_values(&[0], "mean").unwrap();
    let colormap = message(session.paint("jet", "minmax", f64::NAN, f64::NAN, false, false).unwrap_err());
    assert!(
        colormap.contains("\"jet\"") && colormap.contains("viridis") && colormap.contains("gray"),
        "{colormap}"
    );
    let lut = message(colormap_lut("jet").unwrap_err());
    assert!(lut.contains("\"jet\"") && lut.contains("viridis"), "{lut}");
    let connectivity = message(session.set_mask_options(true, "6").unwrap_err());
    assert!(connectivity.contains("\"6\"") && connectivity.contains("4, 8"), "{connectivity}");
    assert_eq!(session.connectivity(), "4", "a refused name changes nothing");
}

#[wasm_bindgen_test]
fn labels_and_cell_counts_match_scipy_for_every_setting() {
    let mut session = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    assert_eq!((session.width(), session.height()), (16, 12));
    assert_eq!((session.fill_holes(), session.connectivity().as_str()), (true, "4"), "scipy's defaults");
    assert_eq!(session.cell_count(), Expected::load(true, "4").cell_count());
    for (fill, connectivity) in SETTINGS {
        let expected = Expected::load(fill, connectivity);
        assert_eq!(session.set_mask_options(fill, connectivity).unwrap(), expected.cell_count());
        assert_eq!((session.fill_holes(), session.connectivity().as_str()), (fill, connectivity));
        assert_eq!(session.cell_count(), expected.cell_count());
        assert_eq!(session.cells_with_pixels(), expected.cell_count());
        let labels = expected.numbers("labels");
        let view = session_labels(&session);
        assert_eq!(view.len(), 16 * 12);
        for row in 0..12 {
            for col in 0..16 {
                let pixel = (row * 16 + col) as usize;
                assert_eq!(f64::from(session.cell_at(row, col)), labels[pixel], "({row}, {col})");
                assert_eq!(f64::from(view[pixel]), labels[pixel], "Int32Array view ({row}, {col})");
            }
        }
    }
    assert_eq!(session.cell_at(12, 0), 0, "outside the image is background");
    assert_eq!(session.cell_at(0, u32::MAX), 0);
}

#[wasm_bindgen_test]
fn pixels_in_memory_give_the_same_labels_as_the_file() {
    let npy = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    let labels = Expected::load(true, "4").numbers("labels");
    // Any nonzero value is foreground: pass the scipy labels themselves as the mask.
    let mask: Vec<u8> = labels.iter().map(|&l| l as u8).collect();
    let session = Session::from_pixels(16, 12, &mask).unwrap();
    assert!(!session.is_label_image());
    assert_eq!(session.cell_count(), npy.cell_count());
    assert_eq!(session_labels(&session), session_labels(&npy));
    let error = message(Session::from_pixels(16, 11, &mask).unwrap_err());
    assert!(error.contains("fromPixels") && error.contains("11×16") && error.contains("192"), "{error}");
}

#[wasm_bindgen_test]
fn a_png_mask_gives_the_same_labels_as_npy_and_a_tiff_asks_for_the_readers() {
    let npy = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    assert!(!npy.is_label_image());
    // a TIFF goes through the readers module (wasm/readers, tested there): this package says so
    assert_eq!(cellmap_wasm::mask_reader_needed(&MASK_TIF[..64]).as_deref(), Some("tiff-images"));
    let tiff = Session::from_mask(MASK_TIF.to_vec(), "mask.tif").unwrap_err();
    let tiff = js_sys::Reflect::get(&JsValue::from(tiff), &JsValue::from_str("message")).unwrap();
    assert!(tiff.as_string().unwrap_or_default().starts_with("mask.tif: "), "{tiff:?}");
    let png = Session::from_mask(MASK_PNG.to_vec(), "mask.png").unwrap();
    assert!(!png.is_label_image(), "mask.png is a 0/255 mask");
    assert_eq!((png.width(), png.height(), png.cell_count()), (16, 12, npy.cell_count()));
    assert_eq!(session_labels(&png), session_labels(&npy));
}

#[wasm_bindgen_test]
fn a_label_image_keeps_its_labels_whatever_the_mask_options() {
    // scipy's labels of the filled mask, 4-connectivity: the squares touching
    // at a corner are two cells, which 8-connectivity on a mask would merge
    let mut session = Session::from_mask(LABELS_PNG.to_vec(), "labels_u16.png").unwrap();
    assert!(session.is_label_image());
    let expected = Expected::load(true, "4");
    let labels = expected.numbers("labels");
    for (fill, connectivity) in SETTINGS {
        assert_eq!(session.set_mask_options(fill, connectivity).unwrap(), expected.cell_count());
        assert_eq!((session.fill_holes(), session.connectivity().as_str()), (fill, connectivity));
        for (pixel, &want) in labels.iter().enumerate() {
            let (row, col) = ((pixel / 16) as u32, (pixel % 16) as u32);
            assert_eq!(f64::from(session.cell_at(row, col)), want, "{fill} {connectivity} ({row}, {col})");
        }
    }
}

#[wasm_bindgen_test]
fn a_label_image_with_touching_cells_and_an_unused_id() {
    use cellmap_io::npy::encode;
    // 1 1 2 2 .      label 3 unused: 4 cells, 3 with pixels
    // 1 1 2 2 4
    let labels = encode(&[2, 5], &[1u16, 1, 2, 2, 0, 1, 1, 2, 2, 4]).unwrap();
    let mut session = Session::from_mask(labels.clone(), "labels.npy").unwrap();
    assert!(session.is_label_image());
    assert_eq!((session.cell_count(), session.cells_with_pixels()), (4, 3));
    assert_eq!(session.set_mask_options(true, "8").unwrap(), 4, "touching cells stay apart");
    let expression = encode(&[2, 5], &[1f32, 2.0, 3.0, 4.0, 9.0, 5.0, 6.0, 7.0, 8.0, 10.0]).unwrap();
    session.attach_expression(Uint8Array::from(&expression[..]), "expression.npy").unwrap();
    // the pipeline's rule: an id without pixels is an empty cell (sum and count 0, mean NaN)
    for (stat, want) in [
        ("sum", [14.0, 22.0, 0.0, 10.0]),
        ("count", [4.0, 4.0, 0.0, 1.0]),
        ("mean", [3.5, 5.5, f64::NAN, 10.0]),
    ] {
        session.compute_values(&[0], stat).unwrap();
        let got: Vec<f64> = (1..=4).map(|l| session.cell_value(l)).collect();
        assert!(got.iter().zip(want).all(|(&g, w)| same(g, w)), "{stat}: {got:?}");
    }
    // ... which has no pixel to paint, and does not count for the automatic range
    session.compute_values(&[0], "count").unwrap();
    assert_eq!(session.paint("gray", "minmax", f64::NAN, f64::NAN, false, false).unwrap(), [1.0, 4.0]);
    let info: JsValue = session.cell_info(3).unwrap();
    assert_eq!(get(&info, "area").as_f64(), Some(0.0));
    assert!(get(&info, "bboxMinRow").as_f64().unwrap().is_nan(), "no bounding box without pixels");
}

#[wasm_bindgen_test]
fn region_properties_match_scipy() {
    let mut session = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    for (fill, connectivity) in SETTINGS {
        session.set_mask_options(fill, connectivity).unwrap();
        let expected = Expected::load(fill, connectivity);
        let areas = expected.numbers("area");
        for label in 1..=session.cell_count() {
            let info = session.cell_info(label).unwrap();
            let field = |k: &str| get(&info, k).as_f64().unwrap();
            assert_eq!(field("label"), f64::from(label));
            assert_eq!(field("area"), areas[label as usize - 1]);
            assert_eq!([field("centroidRow"), field("centroidCol")], expected.cell("centroid", label)[..]);
            let bbox = [field("bboxMinRow"), field("bboxMinCol"), field("bboxMaxRow"), field("bboxMaxCol")];
            assert_eq!(
                bbox,
                expected.bbox_end_exclusive(label),
                "cell {label}: end-exclusive like find_objects"
            );
            assert!(field("value").is_nan(), "no values computed yet");
        }
    }
}

#[wasm_bindgen_test]
fn cell_info_bounding_boxes_are_end_exclusive_and_equal_the_regions_table() {
    let demo = Session::demo(7, 96, 80).unwrap();
    let mut mask = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    mask.set_mask_options(false, "8").unwrap();
    let labels = Session::from_mask(LABELS_PNG.to_vec(), "labels_u16.png").unwrap();
    for session in [&demo, &mask, &labels] {
        let (width, height) = (session.width() as usize, session.height() as usize);
        let image = cellmap::Image::new(width, height, session_labels(session)).unwrap();
        let table = cellmap::regions(&cellmap::LabelImage::new(image).unwrap()).unwrap();
        assert_eq!(table.len(), session.cell_count() as usize + 1);
        for label in 1..=session.cell_count() {
            let info = session.cell_info(label).unwrap();
            let field = |k: &str| get(&info, k).as_f64().unwrap();
            let region = &table[label as usize];
            let b = region.bounding_box().expect("every cell here has pixels");
            let bbox = [field("bboxMinRow"), field("bboxMinCol"), field("bboxMaxRow"), field("bboxMaxCol")];
            assert_eq!(
                bbox,
                [b.row_start, b.col_start, b.row_end, b.col_end].map(|v| v as f64),
                "cell {label}"
            );
            assert_eq!(field("area"), region.area() as f64);
            let (row, col) = region.centroid();
            assert_eq!([field("centroidRow"), field("centroidCol")], [row, col]);
            // end-exclusive: the last row and column hold the cell, the ends do not
            let (last_row, last_col) = (b.row_end - 1, b.col_end - 1);
            assert!((b.col_start..b.col_end).any(|c| session.cell_at(last_row as u32, c as u32) == label));
            assert!((b.row_start..b.row_end).any(|r| session.cell_at(r as u32, last_col as u32) == label));
            assert!((0..width).all(|c| session.cell_at(b.row_end as u32, c as u32) != label));
            assert!((0..height).all(|r| session.cell_at(r as u32, b.col_end as u32) != label));
        }
    }
}

#[wasm_bindgen_test]
fn per_cell_values_of_csr_expression_match_scipy() {
    let mut session = session_with_expression();
    assert_eq!(session.gene_count(), 3);
    assert_eq!(session.gene_names(), ["gene 0", "gene 1", "gene 2"]);
    assert!(session.shown_genes().is_empty() && session.shown_stat().is_none(), "nothing computed yet");
    for (fill, connectivity) in SETTINGS {
        session.set_mask_options(fill, connectivity).unwrap();
        let expected = Expected::load(fill, connectivity);
        for key in SCIPY_STATS {
            for gene in 0..3u32 {
                session.compute_values(&[gene], key).unwrap();
                assert_eq!(
                    (session.shown_genes(), session.shown_stat()),
                    (vec![gene], Some(key.to_string()))
                );
                let want = expected.stat(Some(gene as usize), key);
                for label in 1..=session.cell_count() {
                    let got = session.cell_value(label);
                    assert!(
                        same(got, want[label as usize - 1]),
                        "gene {gene} {key} cell {label}: {got} vs scipy"
                    );
                }
            }
            session.compute_values(&[0, 2], key).unwrap();
            let want = expected.stat(None, key);
            for label in 1..=session.cell_count() {
                let got = session.cell_value(label);
                assert!(same(got, want[label as usize - 1]), "genes 0+2 {key} cell {label}: {got} vs scipy");
            }
        }
        // min (not in the fixture): between scipy's nothing and its max, equal to it for one value
        for gene in 0..3u32 {
            session.compute_values(&[gene], "min").unwrap();
            let (count, max) =
                (expected.stat(Some(gene as usize), "count"), expected.stat(Some(gene as usize), "max"));
            let mean = expected.stat(Some(gene as usize), "mean");
            for label in 1..=session.cell_count() {
                let (got, i) = (session.cell_value(label), label as usize - 1);
                if count[i] == 0.0 {
                    assert!(got.is_nan(), "gene {gene} cell {label}: no value, min {got}");
                } else {
                    assert!(got <= mean[i] && got <= max[i], "gene {gene} cell {label}: min {got}");
                }
                if count[i] == 1.0 {
                    assert_eq!(got, max[i], "gene {gene} cell {label}: one value");
                }
            }
        }
    }
}

#[wasm_bindgen_test]
fn values_follow_mask_options() {
    let mut session = session_with_expression();
    session.compute_values(&[1], "mean").unwrap();
    let filled = session.cell_value(1);
    session.set_mask_options(false, "4").unwrap();
    let unfilled = session.cell_value(1);
    let want = |fill| Expected::load(fill, "4").stat(Some(1), "mean")[0];
    assert_eq!((filled, unfilled), (want(true), want(false)));
    // the ring's hole carries 40 of gene 1: filled into the cell, but not one of the mask's pixels
    assert_eq!(filled, unfilled, "the filled hole's values do not count");
    assert_eq!((session.shown_genes(), session.shown_stat().as_deref()), (vec![1], Some("mean")));
    session.set_mask_options(true, "4").unwrap();
    session.compute_values(&[1], "max").unwrap();
    assert!(session.cell_value(1) < 40.0, "the filled hole's values do not count");
}

#[wasm_bindgen_test]
fn dense_expression_gives_the_same_values_as_csr() {
    let mut csr = session_with_expression();
    let mut dense = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    dense.attach_expression(Uint8Array::from(DENSE_NPY), "dense.npy").unwrap();
    assert_eq!(dense.gene_count(), 3);
    for stat in STATS {
        for genes in [&[0u32][..], &[1], &[2], &[0, 2]] {
            csr.compute_values(genes, stat).unwrap();
            dense.compute_values(genes, stat).unwrap();
            assert_eq!(csr.cell_values().len(), csr.cell_count() as usize + 1);
            for (label, (&a, &b)) in csr.cell_values().iter().zip(&dense.cell_values()).enumerate().skip(1) {
                assert!(same(a, b), "{genes:?} {stat} cell {label}");
            }
        }
    }
}

#[wasm_bindgen_test]
fn paint_returns_the_range_and_uses_the_colormap_lut_and_palette() {
    let mut session = session_with_expression();
    session.compute_values(&[0], "mean").unwrap();
    let means = Expected::load(true, "4").stat(Some(0), "mean");
    let finite: Vec<f64> = means.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = (
        finite.iter().copied().fold(f64::INFINITY, f64::min),
        finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );

    for colormap in ["viridis", "turbo", "gray"] {
        assert_eq!(
            session.paint(colormap, "minmax", f64::NAN, f64::NAN, false, false).unwrap(),
            [lo, hi],
            "min–max over cells"
        );
        let lut = colormap_lut(colormap).unwrap();
        let pixels = session_pixels(&session);
        let mut no_value_pixels = 0;
        for row in 0..12u32 {
            for col in 0..16u32 {
                let i = (row * 16 + col) as usize * 4;
                let rgba = &pixels[i..i + 4];
                match session.cell_at(row, col) {
                    0 => assert_eq!(rgba, [0, 0, 0, 0], "background is transparent"),
                    label => {
                        let v = means[label as usize - 1];
                        if v.is_nan() {
                            assert_eq!(rgba, [255, 102, 255, 255], "the no-value colour");
                            no_value_pixels += 1;
                        } else {
                            let index = (255.0 * (v - lo) / (hi - lo)).round() as usize;
                            assert_eq!(rgba, &lut[index * 4..index * 4 + 4], "cell {label} value {v}");
                        }
                    }
                }
            }
        }
        assert!(no_value_pixels > 0, "the dot has no value for gene 0");
    }

    // no value anywhere: the range is [NaN, NaN] and every cell has the no-value colour
    let mut bare = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    let range = bare.paint("viridis", "minmax", f64::NAN, f64::NAN, false, false).unwrap();
    assert!(range.iter().all(|v| v.is_nan()), "{range:?}");
    let pixels = session_pixels(&bare);
    for (i, rgba) in pixels.chunks(4).enumerate() {
        let label = bare.cell_at((i / 16) as u32, (i % 16) as u32);
        assert_eq!(rgba, if label == 0 { [0, 0, 0, 0] } else { [255, 102, 255, 255] }, "pixel {i}");
    }
}

#[wasm_bindgen_test]
fn fixed_range_clamps_and_outlines_change_only_cell_borders() {
    let mut session = session_with_expression();
    session.compute_values(&[2], "sum").unwrap();
    let lut = colormap_lut("magma").unwrap();
    assert_eq!(session.paint("magma", "fixed", -1000.0, -999.0, false, false).unwrap(), [-1000.0, -999.0]);
    let above = session_pixels(&session);
    let bar = (8 * 16 + 8) * 4; // inside the bar, which has a positive sum
    assert_eq!(&above[bar..bar + 4], &lut[255 * 4..256 * 4], "values above vmax take the top colour");

    session.paint("magma", "minmax", f64::NAN, f64::NAN, false, false).unwrap();
    let plain = session_pixels(&session);
    session.paint("magma", "minmax", f64::NAN, f64::NAN, false, true).unwrap();
    let outlined = session_pixels(&session);
    assert_ne!(plain, outlined);
    assert_eq!(&plain[bar..bar + 4], &outlined[bar..bar + 4], "the bar's inside keeps its colour");
    for (i, (a, b)) in plain.chunks(4).zip(outlined.chunks(4)).enumerate() {
        let (row, col) = ((i / 16) as u32, (i % 16) as u32);
        if a != b {
            let label = session.cell_at(row, col);
            assert_ne!(label, 0, "outlines are drawn on cell pixels only");
            assert_eq!(b, [0, 0, 0, 255], "outlines are opaque black");
            let border = [(0, 1), (2, 1), (1, 0), (1, 2)].iter().any(|&(dr, dc)| {
                session.cell_at((row + dr).wrapping_sub(1), (col + dc).wrapping_sub(1)) != label
            });
            assert!(border, "pixel ({row}, {col}) changed but is not on its cell's border");
        }
    }

    let larger = message(session.paint("magma", "fixed", 5.0, 1.0, false, false).unwrap_err());
    assert!(larger.contains("vmin (5) is larger than vmax (1)"), "{larger}");
    let one = message(session.paint("magma", "fixed", 5.0, f64::NAN, false, false).unwrap_err());
    assert!(one.contains("finite"), "{one}");
    let infinite = message(session.paint("magma", "fixed", 0.0, f64::INFINITY, false, false).unwrap_err());
    assert!(infinite.contains("finite"), "{infinite}");
    let percent = message(session.paint("magma", "percentile", 1.0, 101.0, false, false).unwrap_err());
    assert!(percent.contains("0 to 100"), "{percent}");
    let scale = message(session.paint("magma", "log", 0.0, 1.0, false, false).unwrap_err());
    assert!(scale.contains("\"log\"") && scale.contains("minmax, percentile, fixed"), "{scale}");
}

#[wasm_bindgen_test]
fn attaching_drops_the_old_expression_first() {
    let mut session = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    session.attach_expression(Uint8Array::from(EXPRESSION_NPZ), "expression.npz").unwrap();
    session.compute_values(&[1], "mean").unwrap();
    assert_eq!(session.gene_count(), 3);
    // the old expression is freed before the new file is decoded: a file that fails leaves none
    assert!(session.attach_expression(Uint8Array::from(&b"PK\x03\x04 not a zip"[..]), "broken.npz").is_err());
    assert_eq!(session.gene_count(), 0);
    assert!(session.gene_names().is_empty());
    assert!(session.shown_genes().is_empty());
    assert!(session.cell_values().iter().all(|v| v.is_nan()));
    assert!(session.compute_values(&[0], "mean").is_err());
    // the cells are intact and take new expression
    assert_eq!(session.attach_expression(Uint8Array::from(EXPRESSION_NPZ), "expression.npz").unwrap(), 3);
    session.compute_values(&[1], "mean").unwrap();
    assert!(session.cell_values().iter().any(|v| !v.is_nan()));
    session.detach_expression();
    assert_eq!(session.gene_count(), 0);
    assert!(session.cell_values().iter().all(|v| v.is_nan()));
    session.paint("viridis", "minmax", f64::NAN, f64::NAN, false, false).unwrap();
}

#[wasm_bindgen_test]
fn errors_name_the_file_and_say_what_is_wrong() {
    let bad = message(Session::from_mask(MASK_NPY[..MASK_NPY.len() / 2].to_vec(), "half.npy").unwrap_err());
    assert!(bad.contains("half.npy"), "{bad}");
    let unknown = message(Session::from_mask(b"GIF89a....".to_vec(), "mask.gif").unwrap_err());
    assert!(unknown.contains("mask.gif") && unknown.contains(".npy"), "{unknown}");

    let mut session = Session::from_mask(MASK_NPY.to_vec(), "mask.npy").unwrap();
    let none = message(session.compute_values(&[0], "mean").unwrap_err());
    assert!(none.contains("no expression attached"), "{none}");

    // A 6 x 8 mask against the expression of a 12 x 16 image.
    let mut small =
        Session::from_mask(include_bytes!("../../tests/fixtures/wasm/mask_6x8.npy").to_vec(), "small.npy")
            .unwrap();
    let rows =
        message(small.attach_expression(Uint8Array::from(EXPRESSION_NPZ), "expression.npz").unwrap_err());
    assert!(rows.contains("expression.npz") && rows.contains("6×8") && rows.contains("192 rows"), "{rows}");
    let dense = message(small.attach_expression(Uint8Array::from(DENSE_NPY), "dense.npy").unwrap_err());
    assert!(dense.contains("dense.npy") && dense.contains("6×8") && dense.contains("[12, 16, 3]"), "{dense}");

    session.attach_expression(Uint8Array::from(EXPRESSION_NPZ), "expression.npz").unwrap();
    let gene = message(session.compute_values(&[3], "mean").unwrap_err());
    assert!(gene.contains('3') && gene.contains("3 genes"), "{gene}");
    let empty = message(session.compute_values(&[], "mean").unwrap_err());
    assert!(empty.contains("gene"), "{empty}");
    let names = message(session.set_gene_names(vec!["A".into(), "B".into()]).unwrap_err());
    assert!(names.contains('2') && names.contains("3 genes"), "{names}");
    session.set_gene_names(vec!["A".into(), "B".into(), "C".into()]).unwrap();
    assert_eq!(session.gene_names(), ["A", "B", "C"]);
    let cell = message(session.cell_info(0).unwrap_err());
    assert!(cell.contains("no cell 0"), "{cell}");
    let cell = message(session.cell_info(session.cell_count() + 1).unwrap_err());
    assert!(cell.contains("labels run from 1 to"), "{cell}");

    let huge = message(Session::demo(1, 70_000, 70_000).unwrap_err());
    assert!(huge.starts_with("demo:") && huge.contains("70000×70000"), "{huge}");
}

#[wasm_bindgen_test]
fn simulator_output_is_bit_identical_to_the_host() {
    // The same constant the host test of cellmap-sim checks, computed here in node / Chromium.
    assert_eq!(cellmap_sim::reference_digest(), Ok(cellmap_sim::REFERENCE_DIGEST));
}

#[wasm_bindgen_test]
fn the_demo_is_deterministic_named_by_the_simulator_and_opens_on_a_spatial_gene() {
    let a = Session::demo(7, 96, 80).unwrap();
    let b = Session::demo(7, 96, 80).unwrap();
    assert_eq!((a.width(), a.height()), (96, 80));
    assert!(a.cell_count() > 5, "{} cells", a.cell_count());
    assert_eq!((a.cell_count(), a.gene_count()), (b.cell_count(), 27), "20 genes and 7 true factors");

    let demo = cellmap::Demo::new(7, 96, 80, cellmap::DEMO_GENES).unwrap();
    let names = a.gene_names();
    assert_eq!(names[..cellmap::DEMO_GENES], demo.gene_names()[..]);
    assert_eq!(names[0], "sp0_F0");
    assert_eq!(names[cellmap::DEMO_GENES..], ["F0", "F1", "F2", "F3", "U0", "U1", "U2"]);

    // it opens computed, on what Rust chose
    assert_eq!(a.shown_genes(), [demo.first_spatial_gene() as u32]);
    assert_eq!(a.shown_stat().as_deref(), Some("sum"));
    assert_eq!(a.cell_values().len(), a.cell_count() as usize + 1);
    assert!(a.cell_values().iter().skip(1).any(|&v| v > 0.0), "the opening gene is expressed");
    for label in 1..=a.cell_count() {
        assert!(same(a.cell_value(label), b.cell_value(label)));
    }
    let mut other = Session::demo(8, 96, 80).unwrap();
    let mut a = a;
    a.compute_values(&[0], "mean").unwrap();
    other.compute_values(&[0], "mean").unwrap();
    assert!(
        (1..=a.cell_count().min(other.cell_count())).any(|l| !same(a.cell_value(l), other.cell_value(l)))
    );
}

#[wasm_bindgen_test]
fn demo_true_factors_are_genes_whose_cell_mean_is_the_factor() {
    let (seed, width, height) = (7u32, 96usize, 80usize);
    let mut session = Session::demo(seed, width as u32, height as u32).unwrap();
    let demo = cellmap::Demo::new(u64::from(seed), width, height, cellmap::DEMO_GENES).unwrap();
    let factors = demo.factor_images().unwrap();
    assert_eq!(factors.len(), 7);
    let labels = session_labels(&session);
    for (offset, (name, image)) in factors.iter().enumerate() {
        let gene = (cellmap::DEMO_GENES + offset) as u32;
        assert_eq!(&session.gene_names()[gene as usize], name);
        session.compute_values(&[gene], "mean").unwrap();
        // the nonzero factor values over each label's pixels: Some(v) while they agree
        let mut value_of = vec![None::<Option<f32>>; session.cell_count() as usize + 1];
        for (&label, &v) in labels.iter().zip(image) {
            if label == 0 || v == 0.0 {
                continue;
            }
            let seen = &mut value_of[label as usize];
            *seen = match *seen {
                None => Some(Some(v)),
                Some(Some(prev)) if prev == v => Some(Some(v)),
                Some(_) => Some(None),
            };
        }
        let mut shown = 0;
        for (label, &seen) in value_of.iter().enumerate().skip(1) {
            let got = session.cell_value(label as u32);
            match seen {
                Some(Some(want)) => {
                    assert_eq!(got, f64::from(want), "{name} cell {label}");
                    shown += 1;
                }
                None => assert!(got.is_nan(), "{name} cell {label}: zeros are no value"),
                Some(None) => {} // a label over several simulated cells: a mean of their factors
            }
        }
        assert!(shown > 5, "{name}: {shown} cells show the factor");
    }
}

#[wasm_bindgen_test]
fn scales_ticks_defaults_and_cell_ids() {
    let names: Vec<String> =
        scale_options().unwrap().iter().map(|o| get(&o, "name").as_string().unwrap()).collect();
    assert_eq!(names, ["minmax", "percentile", "fixed"]);
    assert_eq!(colorbar_ticks(0.0, 10.0, false, 3), [0.0, 0.0, 5.0, 0.5, 10.0, 1.0]);
    assert!(colorbar_ticks(f64::NAN, f64::NAN, false, 5).is_empty());
    let palette = categorical_palette();
    assert_eq!((palette.len(), &palette[..4]), (80, &[31, 119, 180, 255][..]));

    let mut session = session_with_expression();
    session.compute_values(&[0], "mean").unwrap();
    let minmax = session.paint("viridis", "minmax", f64::NAN, f64::NAN, false, false).unwrap();
    assert_eq!(session.paint("viridis", "percentile", 0.0, 100.0, false, false).unwrap(), minmax);
    let log = session.paint("viridis", "minmax", f64::NAN, f64::NAN, true, false).unwrap();
    assert_eq!(log, [minmax[0].ln_1p(), minmax[1].ln_1p()]);
    let view = session.suggested_view().unwrap();
    let (stat, scale) = if session.is_counts() { ("sum", "percentile") } else { ("mean", "minmax") };
    assert_eq!(get(&view, "stat").as_string().unwrap(), stat);
    assert_eq!(get(&view, "scale").as_string().unwrap(), scale);
    assert_eq!(get(&view, "outlines").as_bool(), Some(false), "a mask's cells never touch");

    session.paint_cell_ids(false).unwrap();
    let pixels = session_pixels(&session);
    for (i, rgba) in pixels.chunks(4).enumerate() {
        let label = session.cell_at((i / 16) as u32, (i % 16) as u32) as usize;
        let want = if label == 0 {
            [0, 0, 0, 0]
        } else {
            let k = (label - 1) % 20 * 4;
            [palette[k], palette[k + 1], palette[k + 2], 255]
        };
        assert_eq!(rgba, want, "pixel {i}");
    }
}

/// The analysis modes' painting: values the caller gives paint as computed ones do, colour slots
/// are the palette, "other" and "no value"; and a label image's ids come back as they are.
#[wasm_bindgen_test]
fn caller_values_and_slots_paint_like_the_session() {
    let mut session = session_with_expression();
    let n = session.cell_count() as usize;
    session.compute_values(&[1], "mean").unwrap();
    let computed = session.paint("magma", "minmax", f64::NAN, f64::NAN, false, true).unwrap();
    let shown = session_pixels(&session);
    let values = session.cell_values();
    let given =
        session.paint_cell_values(&values, "magma", "minmax", f64::NAN, f64::NAN, false, true).unwrap();
    assert_eq!((given, session_pixels(&session)), (computed, shown), "the computed values, given back");
    assert!(session.paint_cell_values(&values[1..], "magma", "minmax", 0.0, 1.0, false, false).is_err());

    // cell l in slot l % 22: 20 palette colours, 20 = other, 21 -> none
    let slots: Vec<u32> = (0..=n as u32).map(|l| if l % 22 == 21 { u32::MAX } else { l % 22 }).collect();
    session.paint_cell_slots(&slots, false).unwrap();
    let (palette, other, none) = (categorical_palette(), other_category_color(), no_value_color());
    for (i, rgba) in session_pixels(&session).chunks(4).enumerate() {
        let label = session.cell_at((i / 16) as u32, (i % 16) as u32) as usize;
        let want = match (label, slots[label]) {
            (0, _) => vec![0, 0, 0, 0],
            (_, 20) => other.clone(),
            (_, u32::MAX) => none.clone(),
            (_, s) => palette[4 * s as usize..4 * s as usize + 4].to_vec(),
        };
        assert_eq!(rgba, &want[..], "pixel {i}");
    }
    assert!(session.paint_cell_slots(&slots[..n], false).is_err());

    let read = label_image(LABELS_PNG, "labels_u16.png").unwrap();
    let from_mask = Session::from_mask(LABELS_PNG.to_vec(), "labels_u16.png").unwrap();
    assert!(from_mask.is_label_image());
    let labels: js_sys::Int32Array = get(&read, "labels").unchecked_into();
    assert_eq!(get(&read, "width").as_f64(), Some(f64::from(from_mask.width())));
    assert_eq!(labels.to_vec(), session_labels(&from_mask), "the ids as they are");
    assert!(label_image(b"not an image", "x.npy").is_err());
}
