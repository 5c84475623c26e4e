//! Transcript tables (CSV, gzip detected by magic) with every preset.
#![no_main]

use cellmap_io::transcripts::{self, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for options in [Options::xenium(), Options::genesegnet(), Options::pixels("x", "y", "gene")] {
        match transcripts::read_bytes(data, "fuzz.csv", &options) {
            Ok(table) => {
                assert_eq!(table.x.len(), table.len());
                assert!(table.gene.iter().all(|&g| (g as usize) < table.gene_names.len()));
                let cells = vec![0u32; table.len()];
                transcripts::write_mapping_csv(Vec::new(), "out.csv", &table, &cells).expect("write");
            }
            Err(e) => assert!(e.to_string().starts_with("fuzz.csv: ")),
        }
    }
});
