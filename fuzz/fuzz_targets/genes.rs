//! The `--genes` grammar of `cellmap run` (`10..30`, `10..=29`, `7`, `1,5,7`), parsed by the
//! pipeline's `cellmap::GeneSelection::parse`: any text must parse or be refused quickly and
//! in bounded memory — `0..=18446744073709551615` used to expand to a list and abort.
//!
//! Needs `cellmap::GeneSelection` (the flags fix); built only with `--features gene-selection`
//! (scripts/fuzz.sh enables it once the pipeline exports `GeneSelection`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cellmap::GeneSelection::parse(text);
    }
});
