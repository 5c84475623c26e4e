//! `cellmap::GeneSelection::parse` (the `--genes` grammar of `cellmap run`) must return `Ok` or
//! an argument error on any text — never panic, and never allocate by the numbers it reads.
#![no_main]

use cellmap::{ErrorKind, GeneSelection};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match GeneSelection::parse(text) {
        Ok(genes) => {
            assert!(!genes.is_empty() && genes.ranges().len() <= GeneSelection::MAX_PARTS);
            assert!(genes.contains(genes.min()) && genes.contains(genes.max()));
            assert!(genes.iter().take(1000).all(|g| genes.contains(g)));
            assert!(genes.check(genes.max()).is_err() && genes.check(genes.max() + 1).is_ok());
            assert_eq!(GeneSelection::parse(&genes.to_string()).as_ref(), Ok(&genes));
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::Argument),
    }
});
