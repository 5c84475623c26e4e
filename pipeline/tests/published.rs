//! The lazy reader of published stores against stores written by zarr-python
//! (tests/generators/published.py): labels chunks (one omitted: background),
//! CSC columns across chunk boundaries, colours as matplotlib paints them,
//! the LRU bound, and a sharded store refused by name.

use std::path::{Path, PathBuf};

use cellmap::published::{LazyStore, META_ARRAYS, Window};
use cellmap::{ColorScale, Colormap, Range, Stat};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/published")
}

fn read_key(store: &Path, key: &str) -> Option<Vec<u8>> {
    std::fs::read(store.join(key)).ok()
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("expected.json")).unwrap()).unwrap()
}

/// Opens store.zarr with its metadata arrays loaded.
fn open(capacity: usize) -> (LazyStore, PathBuf) {
    let dir = fixtures().join("store.zarr");
    let root = std::fs::read(dir.join("zarr.json")).unwrap();
    let mut lazy = LazyStore::open(&root, "store.zarr", capacity, 4).unwrap();
    for name in META_ARRAYS {
        let chunks: Vec<Option<Vec<u8>>> =
            lazy.array_keys(name).unwrap().iter().map(|k| read_key(&dir, k)).collect();
        let refs: Vec<Option<&[u8]>> = chunks.iter().map(Option::as_deref).collect();
        lazy.set_array(name, &refs).unwrap();
    }
    (lazy, dir)
}

fn load_window(lazy: &mut LazyStore, dir: &Path, window: Window) -> Vec<String> {
    let missing = lazy.missing_chunks(&window);
    let keys: Vec<String> = missing.iter().map(|(_, _, k)| k.clone()).collect();
    for (i, j, key) in missing {
        lazy.put_chunk(window.level, i, j, read_key(dir, &key).as_deref()).unwrap();
    }
    lazy.compose(window).unwrap();
    keys
}

fn load_gene(lazy: &mut LazyStore, dir: &Path, gene: usize) -> usize {
    let ks = lazy.column_chunks(gene).unwrap();
    let (data, indices): (Vec<_>, Vec<_>) = ks
        .iter()
        .map(|&k| {
            let (d, x) = lazy.column_keys(k);
            (read_key(dir, &d), read_key(dir, &x))
        })
        .unzip();
    let d: Vec<Option<&[u8]>> = data.iter().map(Option::as_deref).collect();
    let x: Vec<Option<&[u8]>> = indices.iter().map(Option::as_deref).collect();
    lazy.put_column(gene, &d, &x).unwrap();
    ks.len()
}

#[test]
fn layout_and_names_match_the_generator() {
    let want = expected();
    let (lazy, _) = open(16);
    let store = lazy.store();
    assert_eq!(store.height, want["height"].as_u64().unwrap());
    assert_eq!(store.width, want["width"].as_u64().unwrap());
    assert_eq!(store.n_obs, want["cells"].as_u64().unwrap());
    let shapes: Vec<Vec<u64>> = store.levels.iter().map(|l| l.array.shape.clone()).collect();
    let want_shapes: Vec<Vec<u64>> = serde_json::from_value(want["levels"].clone()).unwrap();
    assert_eq!(shapes, want_shapes);
    assert_eq!(store.levels.iter().map(|l| l.factor).collect::<Vec<_>>(), [1, 2, 4]);
    let names: Vec<String> = serde_json::from_value(want["genes"].clone()).unwrap();
    assert_eq!(lazy.gene_names(), names.as_slice());
    assert_eq!(store.level_for_zoom(1.0), 0);
    assert_eq!(store.level_for_zoom(0.5), 1);
    assert_eq!(store.level_for_zoom(0.3), 1);
    assert_eq!(store.level_for_zoom(0.01), 2);
}

#[test]
fn gene_columns_equal_the_tables_values_across_chunk_boundaries() {
    let want = expected();
    let (mut lazy, dir) = open(16);
    let names: Vec<String> = lazy.gene_names().to_vec();
    let mut spanning = 0;
    for (gene, name) in names.iter().enumerate() {
        let fetched = load_gene(&mut lazy, &dir, gene);
        if fetched > 1 {
            spanning += 1;
        }
        if name == "Empty1" {
            assert_eq!(fetched, 0, "an empty column needs no chunk");
        }
        lazy.compute(&[gene], Stat::Sum).unwrap();
        let values: Vec<f64> = serde_json::from_value(want["by_gene"][name]["values"].clone()).unwrap();
        assert!(lazy.values()[0].is_nan());
        assert_eq!(&lazy.values()[1..], values.as_slice(), "gene {name}");
        // cached: nothing more to fetch
        assert!(lazy.column_chunks(gene).unwrap().is_empty());
    }
    assert!(spanning >= 3, "the 64-element chunks should split columns ({spanning})");
    // the column cache holds 4 genes: gene 0 was evicted and must be fetched again
    assert!(lazy.compute(&[0], Stat::Sum).unwrap_err().to_string().contains("not loaded"));
    assert!(!lazy.column_chunks(0).unwrap().is_empty());
    // several genes: the sum per cell
    load_gene(&mut lazy, &dir, 0);
    load_gene(&mut lazy, &dir, 2);
    lazy.compute(&[0, 2], Stat::Sum).unwrap();
    let a: Vec<f64> = serde_json::from_value(want["by_gene"][&names[0]]["values"].clone()).unwrap();
    let b: Vec<f64> = serde_json::from_value(want["by_gene"][&names[2]]["values"].clone()).unwrap();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(lazy.values()[i + 1], x + y);
    }
    // X of a mean: an entry not stored is a cell without a value; a sum of genes skips those
    // terms and is no value only when every gene has none (as Session::compute sums layers)
    lazy.compute(&[0], Stat::Mean).unwrap();
    for (i, &x) in a.iter().enumerate() {
        let got = lazy.values()[i + 1];
        assert!(if x == 0.0 { got.is_nan() } else { got == x }, "cell {}: {got} for {x}", i + 1);
    }
    lazy.compute(&[0, 2], Stat::Max).unwrap();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let got = lazy.values()[i + 1];
        let want = if *x == 0.0 && *y == 0.0 { f64::NAN } else { x + y };
        assert!(got == want || (got.is_nan() && want.is_nan()), "cell {}: {got}, want {want}", i + 1);
    }
}

#[test]
fn whole_image_colours_match_matplotlib_and_the_omitted_chunk_is_background() {
    let want = expected();
    let (mut lazy, dir) = open(16);
    let window = lazy.window(0, 0.0, 0.0, 1024.0, 1536.0).unwrap();
    let keys = load_window(&mut lazy, &dir, window);
    assert_eq!(keys.len(), 6);
    assert!(!dir.join(want["omitted_chunk"].as_str().unwrap()).exists());
    let scale = ColorScale { colormap: Colormap::Viridis, range: Range::MinMax, log1p: false };
    for (gene, name) in lazy.gene_names().to_vec().iter().enumerate() {
        load_gene(&mut lazy, &dir, gene);
        lazy.compute(&[gene], Stat::Sum).unwrap();
        let range = lazy.paint(&scale, false).unwrap();
        let want_range: Vec<f64> = serde_json::from_value(want["by_gene"][name]["range"].clone()).unwrap();
        if want_range[0] == want_range[1] {
            assert_eq!(range, Some((want_range[0], want_range[1])));
        } else {
            assert_eq!(range, Some((want_range[0], want_range[1])), "gene {name}");
        }
        for (label, cell) in want["by_gene"][name]["cells"].as_object().unwrap() {
            let (row, col) = (cell["pixel"][0].as_u64().unwrap(), cell["pixel"][1].as_u64().unwrap());
            assert_eq!(lazy.cell_at(row, col), label.parse::<usize>().unwrap());
            let rgba: Vec<u8> = serde_json::from_value(cell["rgba"].clone()).unwrap();
            let got = lazy.pixels()[(row * 1536 + col) as usize].to_ne_bytes();
            assert_eq!(got.to_vec(), rgba, "gene {name} cell {label}");
        }
    }
    // the omitted chunk's block is background (transparent)
    let px = lazy.pixels()[(700 * 1536 + 100) as usize].to_ne_bytes();
    assert_eq!(px, cellmap::BACKGROUND_RGBA);
    assert_eq!(lazy.cell_at(700, 100), 0);
}

#[test]
fn a_window_fetches_only_the_chunks_it_touches_and_coarse_levels_read_their_own() {
    let (mut lazy, dir) = open(16);
    // level 0 rows 10..300, cols 600..700: chunk (0, 1) only
    let window = lazy.window(0, 10.0, 600.0, 300.0, 700.0).unwrap();
    assert_eq!(window, Window { level: 0, row0: 10, col0: 600, height: 290, width: 100 });
    assert_eq!(load_window(&mut lazy, &dir, window), ["labels/cells/s0/c/0/1"]);
    // level 2: one chunk for the whole image; a pixel there is 4 × 4 level-0 pixels
    let window = lazy.window(2, 0.0, 0.0, 1024.0, 1536.0).unwrap();
    assert_eq!((window.height, window.width), (256, 384));
    assert_eq!(load_window(&mut lazy, &dir, window), ["labels/cells/s2/c/0/0"]);
    let want = expected();
    let cell = &want["by_gene"]["Actb"]["cells"]["7"]["pixel"];
    let (row, col) = (cell[0].as_u64().unwrap(), cell[1].as_u64().unwrap());
    // nearest (stride 2) downsampling keeps the pixel at multiples of 4
    let shown = lazy.cell_at(row, col);
    assert!(shown == 0 || shown <= 552);
    // a window the cache holds needs nothing
    assert!(lazy.missing_chunks(&window).is_empty());
}

#[test]
fn the_cache_holds_at_most_its_capacity() {
    let (mut lazy, dir) = open(2);
    let window = lazy.window(0, 0.0, 0.0, 1024.0, 1536.0).unwrap();
    for (i, j, key) in lazy.missing_chunks(&window) {
        lazy.put_chunk(0, i, j, read_key(&dir, &key).as_deref()).unwrap();
        assert!(lazy.cached_chunks() <= 2);
    }
    assert_eq!(lazy.cached_chunks(), 2);
    assert_eq!(lazy.missing_chunks(&window).len(), 4);
    // composing a window whose chunks were evicted says so instead of painting background
    let err = lazy.compose(window).unwrap_err().to_string();
    assert!(err.contains("not loaded"), "{err}");
}

#[test]
fn a_sharded_store_is_refused_naming_the_codec() {
    let root = std::fs::read(fixtures().join("sharded.zarr/zarr.json")).unwrap();
    let err = LazyStore::open(&root, "sharded.zarr", 4, 4).unwrap_err().to_string();
    assert!(
        err.starts_with("sharded.zarr: tables/table/X/data: codec 'sharding_indexed' is not supported"),
        "{err}"
    );
    assert!(err.contains("sharded"), "{err}");
}

#[test]
fn bad_chunks_give_one_line_errors() {
    let (mut lazy, _) = open(4);
    // not zstd
    let err = lazy.put_chunk(0, 0, 0, Some(b"not a zstd frame")).unwrap_err().to_string();
    assert!(err.contains("labels/cells/s0/c/0/0: bad zstd data"), "{err}");
    // outside the grid, or a window larger than the level
    assert!(lazy.put_chunk(0, 9, 0, None).is_err());
    let huge = Window { level: 0, row0: 0, col0: 0, height: 1 << 40, width: 1 << 40 };
    assert!(lazy.compose(huge).unwrap_err().to_string().contains("outside level 0"));
    let past = Window { level: 2, row0: 200, col0: 0, height: 100, width: 10 };
    assert!(lazy.compose(past).is_err());
    // a store without consolidated metadata
    let err = LazyStore::open(br#"{"zarr_format":3,"node_type":"group","attributes":{}}"#, "bare.zarr", 4, 4)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bare.zarr: zarr.json: no consolidated metadata"), "{err}");
}
