//! wasm-bindgen tests of the JS API against scipy's numbers
//! (`tests/fixtures/wasm/`, written by `tests/generators/wasm.py`).
//!
//! They run in node (`cargo test -p cellmap-wasm --target
//! wasm32-unknown-unknown --tests`) and, with `WASM_BINDGEN_USE_BROWSER=1`,
//! in headless Chromium; on the host they count as 0 tests.
use cellmap_wasm::{Colormap, Connectivity, Stat, Tile, reference_digest};
use js_sys::{JSON, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const MASK_NPY: &[u8] = include_bytes!("../../tests/fixtures/wasm/mask.npy");
const MASK_PNG: &[u8] = include_bytes!("../../tests/fixtures/wasm/mask.png");
const MASK_TIF: &[u8] = include_bytes!("../../tests/fixtures/wasm/mask.tif");
const LABELS_PNG: &[u8] = include_bytes!("../../tests/fixtures/wasm/labels_u16.png");
const EXPRESSION_NPZ: &[u8] = include_bytes!("../../tests/fixtures/wasm/expression.npz");
const DENSE_NPY: &[u8] = include_bytes!("../../tests/fixtures/wasm/dense.npy");
const EXPECTED_JSON: &str = include_str!("../../tests/fixtures/wasm/expected.json");

const SETTINGS: [(bool, Connectivity); 4] = [
    (true, Connectivity::Four),
    (true, Connectivity::Eight),
    (false, Connectivity::Four),
    (false, Connectivity::Eight),
];

/// scipy's numbers for one (fill holes, connectivity) setting.
struct Expected(JsValue);

impl Expected {
    fn load(fill_holes: bool, connectivity: Connectivity) -> Expected {
        let all = JSON::parse(EXPECTED_JSON).expect("expected.json parses");
        let settings: js_sys::Array = get(&all, "settings").unchecked_into();
        let conn = if connectivity == Connectivity::Four { 4.0 } else { 8.0 };
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

fn tile_with_expression() -> Tile {
    let mut tile = Tile::from_mask(MASK_NPY, "mask.npy").expect("mask loads");
    tile.attach_expression(EXPRESSION_NPZ, "expression.npz").expect("expression loads");
    tile
}

#[wasm_bindgen_test]
fn enums_have_the_documented_js_values() {
    assert_eq!((Colormap::Viridis as u32, Colormap::Gray as u32), (0, 6));
    assert_eq!((Stat::Mean as u32, Stat::Max as u32), (0, 3));
    assert_eq!((Connectivity::Four as u32, Connectivity::Eight as u32), (0, 1));
}

#[wasm_bindgen_test]
fn labels_and_cell_counts_match_scipy_for_every_setting() {
    let mut tile = Tile::from_mask(MASK_NPY, "mask.npy").unwrap();
    assert_eq!((tile.width(), tile.height()), (16, 12));
    assert_eq!(tile.cell_count(), Expected::load(true, Connectivity::Four).cell_count()); // defaults
    for (fill, connectivity) in SETTINGS {
        let expected = Expected::load(fill, connectivity);
        assert_eq!(tile.set_mask_options(fill, connectivity).unwrap(), expected.cell_count());
        assert_eq!(tile.cell_count(), expected.cell_count());
        let labels = expected.numbers("labels");
        for row in 0..12 {
            for col in 0..16 {
                assert_eq!(
                    f64::from(tile.cell_at(row, col)),
                    labels[(row * 16 + col) as usize],
                    "({row}, {col})"
                );
            }
        }
    }
    assert_eq!(tile.cell_at(12, 0), 0, "outside the tile is background");
    assert_eq!(tile.cell_at(0, u32::MAX), 0);
}

#[wasm_bindgen_test]
fn pixels_in_memory_give_the_same_labels_as_the_file() {
    let npy = Tile::from_mask(MASK_NPY, "mask.npy").unwrap();
    let labels = Expected::load(true, Connectivity::Four).numbers("labels");
    // Any nonzero value is foreground: pass the scipy labels themselves as the mask.
    let mask: Vec<u8> = labels.iter().map(|&l| l as u8).collect();
    let tile = Tile::from_pixels(16, 12, &mask).unwrap();
    assert_eq!(tile.cell_count(), npy.cell_count());
    for row in 0..12 {
        for col in 0..16 {
            assert_eq!(tile.cell_at(row, col), npy.cell_at(row, col));
        }
    }
    let error = message(Tile::from_pixels(16, 11, &mask).unwrap_err());
    assert!(error.contains("11×16") && error.contains("176") && error.contains("192"), "{error}");
}

#[wasm_bindgen_test]
fn png_and_tiff_masks_give_the_same_labels_as_npy() {
    let npy = Tile::from_mask(MASK_NPY, "mask.npy").unwrap();
    assert!(!npy.is_label_image());
    for (bytes, name) in [(MASK_PNG, "mask.png"), (MASK_TIF, "mask.tif")] {
        let tile = Tile::from_mask(bytes, name).unwrap();
        assert!(!tile.is_label_image(), "{name} is a 0/255 mask");
        assert_eq!((tile.width(), tile.height(), tile.cell_count()), (16, 12, npy.cell_count()), "{name}");
        for row in 0..12 {
            for col in 0..16 {
                assert_eq!(tile.cell_at(row, col), npy.cell_at(row, col), "{name} ({row}, {col})");
            }
        }
    }
}

#[wasm_bindgen_test]
fn a_label_image_keeps_its_labels_whatever_the_mask_options() {
    // scipy's labels of the filled mask, 4-connectivity: the squares touching
    // at a corner are two cells, which 8-connectivity on a mask would merge
    let mut tile = Tile::from_mask(LABELS_PNG, "labels_u16.png").unwrap();
    assert!(tile.is_label_image());
    let expected = Expected::load(true, Connectivity::Four);
    let labels = expected.numbers("labels");
    for (fill, connectivity) in SETTINGS {
        assert_eq!(tile.set_mask_options(fill, connectivity).unwrap(), expected.cell_count());
        assert_eq!((tile.fill_holes(), tile.connectivity()), (fill, connectivity));
        for (pixel, &want) in labels.iter().enumerate() {
            let (row, col) = ((pixel / 16) as u32, (pixel % 16) as u32);
            assert_eq!(f64::from(tile.cell_at(row, col)), want, "{fill} {connectivity:?} ({row}, {col})");
        }
    }
}

#[wasm_bindgen_test]
fn a_label_image_with_touching_cells_and_an_unused_id() {
    use cellmap_io::npy::encode;
    // 1 1 2 2 .      label 3 unused: 4 cells, cell 3 has no value
    // 1 1 2 2 4
    let labels = encode(&[2, 5], &[1u16, 1, 2, 2, 0, 1, 1, 2, 2, 4]).unwrap();
    let mut tile = Tile::from_mask(&labels, "labels.npy").unwrap();
    assert!(tile.is_label_image());
    assert_eq!(tile.cell_count(), 4);
    assert_eq!(tile.set_mask_options(true, Connectivity::Eight).unwrap(), 4, "touching cells stay apart");
    let expression = encode(&[2, 5], &[1f32, 2.0, 3.0, 4.0, 9.0, 5.0, 6.0, 7.0, 8.0, 10.0]).unwrap();
    tile.attach_expression(&expression, "expression.npy").unwrap();
    for (stat, want) in [(Stat::Sum, [14.0, 22.0, f64::NAN, 10.0]), (Stat::Count, [4.0, 4.0, f64::NAN, 1.0])]
    {
        tile.compute_values(&[0], stat).unwrap();
        let got: Vec<f64> = (1..=4).map(|l| tile.cell_value(l)).collect();
        assert!(got.iter().zip(want).all(|(&g, w)| same(g, w)), "{stat:?}: {got:?}");
    }
}

#[wasm_bindgen_test]
fn region_properties_match_scipy() {
    let mut tile = Tile::from_mask(MASK_NPY, "mask.npy").unwrap();
    for (fill, connectivity) in SETTINGS {
        tile.set_mask_options(fill, connectivity).unwrap();
        let expected = Expected::load(fill, connectivity);
        let areas = expected.numbers("area");
        for label in 1..=tile.cell_count() {
            let info: JsValue = tile.cell_info(label).unwrap().into();
            let field = |k: &str| get(&info, k).as_f64().unwrap();
            assert_eq!(field("label"), f64::from(label));
            assert_eq!(field("area"), areas[label as usize - 1]);
            assert_eq!([field("centroidRow"), field("centroidCol")], expected.cell("centroid", label)[..]);
            let bbox = [field("bboxMinRow"), field("bboxMinCol"), field("bboxMaxRow"), field("bboxMaxCol")];
            assert_eq!(bbox, expected.cell("bbox", label)[..]);
            assert!(field("value").is_nan(), "no values computed yet");
        }
    }
}

#[wasm_bindgen_test]
fn per_cell_values_of_csr_expression_match_scipy() {
    let mut tile = tile_with_expression();
    assert_eq!(tile.gene_count(), 3);
    assert_eq!(tile.gene_names(), ["gene 0", "gene 1", "gene 2"]);
    let stats = [(Stat::Mean, "mean"), (Stat::Sum, "sum"), (Stat::Count, "count"), (Stat::Max, "max")];
    for (fill, connectivity) in SETTINGS {
        tile.set_mask_options(fill, connectivity).unwrap();
        let expected = Expected::load(fill, connectivity);
        for (stat, key) in stats {
            for gene in 0..3u32 {
                tile.compute_values(&[gene], stat).unwrap();
                let want = expected.stat(Some(gene as usize), key);
                for label in 1..=tile.cell_count() {
                    let got = tile.cell_value(label);
                    assert!(
                        same(got, want[label as usize - 1]),
                        "gene {gene} {key} cell {label}: {got} vs scipy"
                    );
                }
            }
            tile.compute_values(&[0, 2], stat).unwrap();
            let want = expected.stat(None, key);
            for label in 1..=tile.cell_count() {
                let got = tile.cell_value(label);
                assert!(same(got, want[label as usize - 1]), "genes 0+2 {key} cell {label}: {got} vs scipy");
            }
        }
    }
}

#[wasm_bindgen_test]
fn values_follow_mask_options() {
    let mut tile = tile_with_expression();
    tile.compute_values(&[1], Stat::Mean).unwrap();
    let filled = tile.cell_value(1);
    tile.set_mask_options(false, Connectivity::Four).unwrap();
    let unfilled = tile.cell_value(1);
    let want = |fill| Expected::load(fill, Connectivity::Four).stat(Some(1), "mean")[0];
    assert_eq!((filled, unfilled), (want(true), want(false)), "the ring's hole carries gene 1");
}

#[wasm_bindgen_test]
fn dense_expression_gives_the_same_values_as_csr() {
    let mut csr = tile_with_expression();
    let mut dense = Tile::from_mask(MASK_NPY, "mask.npy").unwrap();
    dense.attach_expression(DENSE_NPY, "dense.npy").unwrap();
    assert_eq!(dense.gene_count(), 3);
    for stat in [Stat::Mean, Stat::Sum, Stat::Count, Stat::Max] {
        for genes in [&[0u32][..], &[1], &[2], &[0, 2]] {
            csr.compute_values(genes, stat).unwrap();
            dense.compute_values(genes, stat).unwrap();
            for label in 1..=csr.cell_count() {
                assert!(
                    same(csr.cell_value(label), dense.cell_value(label)),
                    "{genes:?} {stat:?} cell {label}"
                );
            }
        }
    }
}

#[wasm_bindgen_test]
fn value_range_and_paint_use_the_colormap_lut() {
    let mut tile = tile_with_expression();
    tile.compute_values(&[0], Stat::Mean).unwrap();
    let means = Expected::load(true, Connectivity::Four).stat(Some(0), "mean");
    let finite: Vec<f64> = means.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = (
        finite.iter().copied().fold(f64::INFINITY, f64::min),
        finite.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    assert_eq!(tile.value_range().unwrap(), [lo, hi]);

    for colormap in [Colormap::Viridis, Colormap::Turbo, Colormap::Gray] {
        tile.paint(colormap, f64::NAN, f64::NAN, false).unwrap();
        let lut = tile.colormap_lut(colormap);
        assert_eq!(lut.len(), 256 * 4);
        let pixels = tile_pixels(&tile);
        let mut no_value = None;
        for row in 0..12u32 {
            for col in 0..16u32 {
                let i = (row * 16 + col) as usize * 4;
                let rgba = &pixels[i..i + 4];
                match tile.cell_at(row, col) {
                    0 => assert_eq!(rgba[3], 0, "background is transparent"),
                    label => {
                        let v = means[label as usize - 1];
                        if v.is_nan() {
                            no_value.get_or_insert(rgba.to_vec());
                            assert_eq!(Some(rgba.to_vec()), no_value, "one no-value colour");
                        } else {
                            let index = (255.0 * (v - lo) / (hi - lo)).round() as usize;
                            assert_eq!(rgba, &lut[index * 4..index * 4 + 4], "cell {label} value {v}");
                        }
                    }
                }
            }
        }
        assert_eq!(no_value.expect("the dot has no value for gene 0"), Tile::no_value_color());
    }
}

#[wasm_bindgen_test]
fn fixed_range_clamps_and_outlines_change_only_cell_borders() {
    let mut tile = tile_with_expression();
    tile.compute_values(&[2], Stat::Sum).unwrap();
    let lut = tile.colormap_lut(Colormap::Magma);
    tile.paint(Colormap::Magma, -1000.0, -999.0, false).unwrap();
    let above = tile_pixels(&tile);
    let bar = (8 * 16 + 8) * 4; // inside the bar, which has a positive sum
    assert_eq!(&above[bar..bar + 4], &lut[255 * 4..256 * 4], "values above vmax take the top colour");

    tile.paint(Colormap::Magma, f64::NAN, f64::NAN, false).unwrap();
    let plain = tile_pixels(&tile);
    tile.paint(Colormap::Magma, f64::NAN, f64::NAN, true).unwrap();
    let outlined = tile_pixels(&tile);
    assert_ne!(plain, outlined);
    assert_eq!(&plain[bar..bar + 4], &outlined[bar..bar + 4], "the bar's inside keeps its colour");
    for (i, (a, b)) in plain.chunks(4).zip(outlined.chunks(4)).enumerate() {
        let (row, col) = ((i / 16) as u32, (i % 16) as u32);
        if a != b {
            let label = tile.cell_at(row, col);
            assert_ne!(label, 0, "outlines are drawn on cell pixels only");
            let border = [(0, 1), (2, 1), (1, 0), (1, 2)].iter().any(|&(dr, dc)| {
                tile.cell_at((row + dr).wrapping_sub(1), (col + dc).wrapping_sub(1)) != label
            });
            assert!(border, "pixel ({row}, {col}) changed but is not on its cell's border");
        }
    }

    let error = message(tile.paint(Colormap::Magma, 5.0, 1.0, false).unwrap_err());
    assert!(error.contains("vmin") && error.contains("vmax"), "{error}");
}

/// The RGBA pixels, read from the tile's buffer.
fn tile_pixels(tile: &Tile) -> Vec<u8> {
    // SAFETY-free path: the tests run in the same wasm instance, so the
    // pointer is a real address in this module's memory.
    let ptr = tile.pixels_ptr();
    let len = tile.pixels_len();
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    js_sys::Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), ptr as u32, len as u32).to_vec()
}

#[wasm_bindgen_test]
fn errors_name_the_file_and_say_what_is_wrong() {
    let bad = message(Tile::from_mask(&MASK_NPY[..MASK_NPY.len() / 2], "half.npy").unwrap_err());
    assert!(bad.contains("half.npy"), "{bad}");
    let unknown = message(Tile::from_mask(b"GIF89a....", "mask.gif").unwrap_err());
    assert!(unknown.contains("mask.gif") && unknown.contains(".npy"), "{unknown}");

    let mut tile = Tile::from_mask(MASK_NPY, "mask.npy").unwrap();
    let none = message(tile.compute_values(&[0], Stat::Mean).unwrap_err());
    assert!(none.contains("attachExpression"), "{none}");

    // A 6 x 8 mask against the expression of a 12 x 16 tile.
    let mut small =
        Tile::from_mask(include_bytes!("../../tests/fixtures/wasm/mask_6x8.npy"), "small.npy").unwrap();
    let rows = message(small.attach_expression(EXPRESSION_NPZ, "expression.npz").unwrap_err());
    assert!(rows.contains("expression.npz") && rows.contains("6×8") && rows.contains("192 rows"), "{rows}");
    let dense = message(small.attach_expression(DENSE_NPY, "dense.npy").unwrap_err());
    assert!(dense.contains("dense.npy") && dense.contains("6×8") && dense.contains("[12, 16, 3]"), "{dense}");

    tile.attach_expression(EXPRESSION_NPZ, "expression.npz").unwrap();
    let gene = message(tile.compute_values(&[3], Stat::Mean).unwrap_err());
    assert!(gene.contains('3') && gene.contains("3 genes"), "{gene}");
    let empty = message(tile.compute_values(&[], Stat::Mean).unwrap_err());
    assert!(empty.contains("gene"), "{empty}");
    let names = message(tile.set_gene_names(vec!["A".into(), "B".into()]).unwrap_err());
    assert!(names.contains('2') && names.contains("3 genes"), "{names}");
    tile.set_gene_names(vec!["A".into(), "B".into(), "C".into()]).unwrap();
    assert_eq!(tile.gene_names(), ["A", "B", "C"]);
    let cell = message(tile.cell_info(0).unwrap_err());
    assert!(cell.contains("no cell 0"), "{cell}");

    let huge = message(Tile::demo(1, 70_000, 70_000).unwrap_err());
    assert!(huge.contains("70000×70000"), "{huge}");
}

#[wasm_bindgen_test]
fn simulator_output_is_bit_identical_to_the_host() {
    // The same constant the host test of cellmap-sim checks.
    assert_eq!(cellmap_sim::reference_digest(), Ok(cellmap_sim::REFERENCE_DIGEST));
    assert_eq!(reference_digest().unwrap(), format!("{:016x}", cellmap_sim::REFERENCE_DIGEST));
}

#[wasm_bindgen_test]
fn demo_tile_is_deterministic_and_has_named_genes_with_values() {
    let mut a = Tile::demo(7, 96, 80).unwrap();
    let mut b = Tile::demo(7, 96, 80).unwrap();
    assert_eq!((a.width(), a.height()), (96, 80));
    assert!(a.cell_count() > 5, "{} cells", a.cell_count());
    assert_eq!((a.cell_count(), a.gene_count()), (b.cell_count(), 27), "20 genes and 7 true factors");
    let names = a.gene_names();
    assert_eq!(names[0].split(" · ").next(), Some("gene 0"));
    assert!(
        names.iter().any(|n| n.contains("spatial factor")) && names.iter().any(|n| n.contains("non-spatial"))
    );
    a.compute_values(&[0], Stat::Mean).unwrap();
    b.compute_values(&[0], Stat::Mean).unwrap();
    assert_eq!(a.cell_values().len(), a.cell_count() as usize + 1);
    for label in 1..=a.cell_count() {
        assert!(same(a.cell_value(label), b.cell_value(label)));
    }
    assert!(a.value_range().unwrap()[1] > 0.0, "the demo expresses gene 0");
    let mut other = Tile::demo(8, 96, 80).unwrap();
    other.compute_values(&[0], Stat::Mean).unwrap();
    assert!(
        (1..=a.cell_count().min(other.cell_count())).any(|l| !same(a.cell_value(l), other.cell_value(l)))
    );
}

#[wasm_bindgen_test]
fn demo_true_factors_are_genes_whose_cell_mean_is_the_factor() {
    use cellmap_core::Grid;
    use cellmap_sim::{self as sim, Factor, SimCell};
    let (seed, width, height) = (7u32, 96usize, 80usize);
    let mut tile = Tile::demo(seed, width as u32, height as u32).unwrap();
    let names = tile.gene_names();
    let factors = [
        Factor::Spatial(0),
        Factor::Spatial(1),
        Factor::Spatial(2),
        Factor::Spatial(3),
        Factor::NonSpatial(0),
        Factor::NonSpatial(1),
        Factor::NonSpatial(2),
    ];
    let factor_names = [
        "true spatial factor 0",
        "true spatial factor 1",
        "true spatial factor 2",
        "true spatial factor 3",
        "true non-spatial factor 0",
        "true non-spatial factor 1",
        "true non-spatial factor 2",
    ];
    assert_eq!(names[sim::DEMO_GENES..], factor_names);

    // the simulator's own cells and owners for the same tile
    let mut mask = vec![0u8; width * height];
    let mut owner = vec![0u32; width * height];
    let mut cells = vec![SimCell::EMPTY; sim::demo_cell_capacity(width, height)];
    let mut rates = vec![0f64; cells.len() * sim::DEMO_GENES];
    let demo =
        sim::demo_tissue(u64::from(seed), width, height, &mut mask, &mut owner, &mut cells, &mut rates)
            .unwrap();
    let owner = Grid::new(width, height, &owner[..]).unwrap();
    let cells = &cells[..demo.mask.cells];
    // the sim cell (owner) of every pixel of each label: Some(o) while all agree
    let mut owner_of = vec![None::<Option<u32>>; tile.cell_count() as usize + 1];
    for (pixel, &o) in owner.as_slice().iter().enumerate() {
        let label = tile.cell_at((pixel / width) as u32, (pixel % width) as u32) as usize;
        let seen = &mut owner_of[label];
        *seen = match *seen {
            None => Some(Some(o)),
            Some(Some(prev)) if prev == o => Some(Some(o)),
            Some(_) => Some(None),
        };
    }
    let single_owner: Vec<(u32, usize)> = (1..owner_of.len())
        .filter_map(|label| match owner_of[label] {
            Some(Some(o)) if o > 0 => Some((label as u32, owner.as_slice().iter().position(|&p| p == o)?)),
            _ => None,
        })
        .collect();
    assert!(single_owner.len() > 5, "{} cells hold one simulated cell", single_owner.len());

    let mut image = vec![0f32; width * height];
    for (offset, factor) in factors.into_iter().enumerate() {
        demo.model.factor_image(&owner, cells, factor, &mut image).unwrap();
        tile.compute_values(&[(sim::DEMO_GENES + offset) as u32], Stat::Mean).unwrap();
        let mut shown = 0;
        for &(label, pixel) in &single_owner {
            let want = image[pixel];
            let got = tile.cell_value(label);
            if want == 0.0 {
                assert!(
                    got.is_nan(),
                    "{factor:?} cell {label}: factor 0 has no mean (zeros skipped), got {got}"
                );
            } else {
                assert_eq!(got, f64::from(want), "{factor:?} cell {label}");
                shown += 1;
            }
        }
        assert!(shown > 0, "{factor:?} is nonzero in some cell");
    }
}
