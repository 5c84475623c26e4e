//! The gene-major form read straight from a scipy `.npz`
//! (`GeneColumns::read_npz`, the viewer's path) equals the row-major read
//! then transposed (`Expression::from_csr` + `GeneColumns::new`), on the
//! scipy-written fixtures: int32 and int64 indices, float32 and float64
//! data, stored and deflated, unsorted and duplicate columns.
use cellmap::{Expression, GeneColumns};

#[test]
fn streaming_equals_the_row_major_read_on_scipy_fixtures() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/io");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("csr_") && name.ends_with(".npz")) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let csr = cellmap_io::npz::Npz::from_bytes(&bytes, &name).unwrap().csr().unwrap();
        let rows = csr.shape.0;
        let expected = GeneColumns::new(&Expression::from_csr(csr, rows, 1).unwrap()).unwrap();
        let streamed = GeneColumns::read_npz(&bytes.as_slice(), &name, rows, 1, &mut |_, _| {}).unwrap();
        assert_eq!(streamed, expected, "{name}");
        seen += 1;
    }
    assert!(seen >= 9, "{seen} fixtures");
}
