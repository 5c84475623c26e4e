//! A store written by `cellmap::publish` and read back by the lazy viewer's
//! reader (`cellmap::published`) gives what a [`Session`] on the same mask and
//! expression gives: the cells' table (region fields and each gene's values,
//! as `float32`), the cells in a polygon, and each cell's top genes.

use cellmap::publish::{Contents, CscTable, PublishOptions, TOP_GENES, write_spatialdata};
use cellmap::published::{BBOX_ARRAYS, LazyStore, META_ARRAYS};
use cellmap::{CellImage, Demo, Selection, Session, Stat, cell_table, region_fields, segment};
use cellmap_io::zarr3::MemStore;

const GENES: usize = 12;

/// The demo tissue published with `stat`, the store opened lazily with its metadata and boxes,
/// and a session on the same data with `stat`'s values of every gene at hand.
fn published(stat: Stat) -> (LazyStore, MemStore, Session) {
    let demo = Demo::new(11, 300, 260, GENES).unwrap();
    let labels = segment(demo.mask(), Default::default()).unwrap();
    let selection = Selection { within: Some(demo.mask()), keep_zeros: false };
    let table =
        CscTable::from_table(&cell_table(&labels, demo.expression(), selection, stat).unwrap()).unwrap();
    let genes: Vec<String> = (0..GENES).map(|g| format!("gene_{g}")).collect();
    let store = MemStore::default();
    let contents = Contents { labels: &labels, table: &table, genes: &genes, points: None };
    let done = write_spatialdata(&store, "mem.zarr", &contents, &PublishOptions::default(), &|_| {}).unwrap();
    assert!(!done.renumbered, "every label of a segmented mask has pixels");
    let mut lazy = LazyStore::open(&store.get("zarr.json").unwrap(), "mem.zarr", 16, GENES).unwrap();
    for name in META_ARRAYS.iter().chain(&BBOX_ARRAYS) {
        let chunks: Vec<Option<Vec<u8>>> =
            lazy.array_keys(name).unwrap().iter().map(|k| store.get(k)).collect();
        let refs: Vec<Option<&[u8]>> = chunks.iter().map(Option::as_deref).collect();
        lazy.set_array(name, &refs).unwrap();
    }
    assert!(lazy.has_bboxes());
    let mut session = Session::new(CellImage::Mask(demo.mask().clone())).unwrap();
    session.attach_expression(demo.expression()).unwrap();
    (lazy, store, session)
}

fn load_gene(lazy: &mut LazyStore, store: &MemStore, gene: usize) {
    let ks = lazy.column_chunks(gene).unwrap();
    let (data, indices): (Vec<_>, Vec<_>) = ks
        .iter()
        .map(|&k| {
            let (d, x) = lazy.column_keys(k);
            (store.get(&d), store.get(&x))
        })
        .unzip();
    let d: Vec<Option<&[u8]>> = data.iter().map(Option::as_deref).collect();
    let x: Vec<Option<&[u8]>> = indices.iter().map(Option::as_deref).collect();
    lazy.put_column(gene, &d, &x).unwrap();
}

/// Equal, or both NaN.
fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

#[test]
fn region_fields_are_the_sessions_bit_for_bit() {
    let (lazy, _, session) = published(Stat::Mean);
    let want: Vec<f64> = session.regions().iter().skip(1).flat_map(region_fields).collect();
    let got = lazy.region_fields();
    assert_eq!(got.len(), want.len());
    assert!(got.iter().zip(&want).all(|(a, b)| same(*a, *b)), "region fields differ");
}

#[test]
fn gene_values_are_the_sessions_as_float32_for_every_statistic() {
    for stat in [Stat::Mean, Stat::Sum, Stat::Count, Stat::Min, Stat::Max] {
        let (mut lazy, store, mut session) = published(stat);
        for gene in 0..GENES {
            load_gene(&mut lazy, &store, gene);
            let got = lazy.gene_values(gene, stat).unwrap();
            let want = session.gene_values(gene, stat).unwrap()[1..].to_vec();
            for (cell, (a, b)) in got.iter().zip(&want).enumerate() {
                // X is float32; a mean of exactly 0 is not stored (reads as no value)
                let b32 = f64::from(*b as f32);
                assert!(
                    same(*a, b32) || (*b == 0.0 && a.is_nan()),
                    "{stat:?}, gene {gene}, cell {}: {a} vs {b}",
                    cell + 1
                );
            }
        }
    }
}

#[test]
fn the_cells_in_a_polygon_are_the_sessions() {
    let (lazy, _, session) = published(Stat::Sum);
    for ring in [
        vec![[40.0, 30.0], [210.5, 30.0], [210.5, 190.25], [40.0, 190.25]],
        vec![[10.0, 10.0], [280.0, 60.0], [90.0, 250.0]],
        vec![],
    ] {
        let want = cellmap::cells_in_ring(session.regions(), &ring);
        assert_eq!(lazy.cells_in_ring(&ring), want);
        assert!(ring.is_empty() || want.len() > 5, "{} cells in {ring:?}", want.len());
    }
}

#[test]
fn the_top_genes_are_the_sessions_from_their_chunk_only() {
    for stat in [Stat::Mean, Stat::Count] {
        let (mut lazy, store, session) = published(stat);
        let cells = lazy.store().n_obs as usize;
        for label in 1..=cells {
            if let Some((k, genes, values)) = lazy.top_genes_chunk(label) {
                lazy.put_top_genes(k, store.get(&genes).as_deref(), store.get(&values).as_deref()).unwrap();
            }
            let got = lazy.top_genes(label).unwrap().unwrap();
            let want: Vec<(usize, f64)> = session
                .top_genes(label, stat, TOP_GENES)
                .unwrap()
                .into_iter()
                .map(|(g, v)| (g, f64::from(v as f32)))
                .collect();
            assert_eq!(got, want, "{stat:?}: cell {label}");
        }
        assert!(lazy.top_genes_chunk(1).is_none(), "cached");
        assert!(lazy.top_genes(cells + 1).is_err());
    }
}

/// The root `zarr.json` of the demo store with `edit` applied to its consolidated metadata.
fn edited_root(edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> Vec<u8> {
    let (_, store, _) = published(Stat::Count);
    let mut root: serde_json::Value = serde_json::from_slice(&store.get("zarr.json").unwrap()).unwrap();
    edit(root["consolidated_metadata"]["metadata"].as_object_mut().unwrap());
    serde_json::to_vec(&root).unwrap()
}

#[test]
fn top_genes_that_do_not_fit_the_table_are_refused_and_absent_ones_are_none() {
    let root = edited_root(|meta| {
        meta["tables/table/obsm/cellmap_top_values"]["shape"][1] = 9.into();
    });
    let error = LazyStore::open(&root, "mem.zarr", 4, 4).unwrap_err().to_string();
    assert!(
        error.contains("mem.zarr") && error.contains("tables/table/obsm/cellmap_top_genes: expected"),
        "{error}"
    );
    // a store without them (another tool's): no chunk to fetch, no ranking
    let root = edited_root(|meta| {
        meta.remove("tables/table/obsm/cellmap_top_genes");
        meta.remove("tables/table/obsm/cellmap_top_values");
    });
    let mut lazy = LazyStore::open(&root, "mem.zarr", 4, 4).unwrap();
    assert!(lazy.top_genes_chunk(1).is_none());
    assert_eq!(lazy.top_genes(1).unwrap(), None);
}
