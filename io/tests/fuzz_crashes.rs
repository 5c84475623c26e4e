//! Inputs the fuzzers (`scripts/fuzz.sh`) once crashed on: every reader
//! must now return an error naming the source (or succeed), never panic or
//! try a huge allocation.

use cellmap_io::npz::Npz;
use cellmap_io::transcripts::{self, Options};
use cellmap_io::{image, npy};

#[test]
fn former_fuzz_crashes_give_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_crashes");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(e) = npy::read(&bytes, &name) {
            assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
        }
        if let Err(e) = image::read_mask(&bytes, &name) {
            assert!(e.to_string().starts_with(&format!("{name}: ")), "{e}");
        }
        if let Ok(mut npz) = Npz::from_bytes(&bytes, &name) {
            let _ = npz.csr();
        }
        let _ = transcripts::read_bytes(&bytes, &name, &Options::xenium());
        count += 1;
    }
    assert!(count > 0);
}

#[test]
fn png_with_huge_declared_size_is_refused_before_allocating() {
    // The fuzz build of `png` skips CRCs; give the IHDR chunk a valid one so
    // the size check (not the CRC check) is what refuses it.
    let mut bytes = include_bytes!("fuzz_crashes/png_huge_dimensions.bin").to_vec();
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[12..29]); // "IHDR" + 13 bytes of header
    bytes[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    let err = image::read_mask(&bytes, "m.png").unwrap_err().to_string();
    assert!(err.starts_with("m.png: the header declares 66806"), "{err}");
}
