//! The pipeline's assign: a fuzzed transcript table (CSV or gzip CSV) read with
//! `cellmap_io::transcripts::read_bytes` (GeneSegNet — the CLI's default —, Xenium, and the
//! demo's x,y,gene columns), then `cellmap::assign_transcripts` (by pixel, and to the nearest
//! cell within 2.5 px) and `cellmap::count_transcripts` (dense, and the sparse form `assign`
//! writes, which must agree) over the CLI fixture's label image (24×32, 17 cells). Must return `Ok` or an `Err` — never panic, abort or over-allocate.
#![no_main]

use std::sync::OnceLock;

use cellmap::{LabelImage, assign_transcripts, count_transcripts, count_transcripts_sparse};
use cellmap_io::transcripts::{self, Options};
use libfuzzer_sys::fuzz_target;

fn labels() -> &'static LabelImage {
    static LABELS: OnceLock<LabelImage> = OnceLock::new();
    LABELS.get_or_init(|| {
        LabelImage::from_bytes(include_bytes!("../../tests/fixtures/cli/labels.npy"), "labels.npy")
            .expect("fixture labels")
    })
}

fuzz_target!(|data: &[u8]| {
    let labels = labels();
    for options in [Options::genesegnet(), Options::xenium(), Options::pixels("x", "y", "gene")] {
        let table = match transcripts::read_bytes(data, "t.csv", &options) {
            Ok(table) => table,
            Err(e) => {
                assert!(e.to_string().starts_with("t.csv: "), "{e}");
                continue;
            }
        };
        for radius in [None, Some(2.5)] {
            let assignment = assign_transcripts(labels, &table.x, &table.y, table.units_per_pixel, radius)
                .expect("a valid table and scale assign");
            assert_eq!(assignment.cell_ids.len(), table.len());
            let summary = assignment.summary;
            assert_eq!(summary.in_cells + summary.background + summary.out_of_image, table.len());
            let (cells, genes) = (labels.n_cells(), table.gene_names.len());
            match count_transcripts(&assignment, &table.gene, cells, genes) {
                Ok(counts) => {
                    assert_eq!(counts.len(), cells * genes);
                    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
                    assert_eq!(total, summary.in_cells as u64);
                    // The sparse counts (what `assign` writes) are the dense table.
                    let sparse = count_transcripts_sparse(&assignment, &table.gene, cells, genes)
                        .expect("sparse counts fit where the dense table does");
                    let dense: Vec<i64> = counts.iter().map(|&c| i64::from(c)).collect();
                    assert_eq!(sparse.to_dense(), dense);
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    }
});
