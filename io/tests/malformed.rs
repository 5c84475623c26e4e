//! Every malformed input gives an error that names the file and says what
//! is wrong (the messages are part of the CLI's contract).

use std::path::{Path, PathBuf};

use cellmap_io::npz::NpzWriter;
use cellmap_io::transcripts::{self, Options};
use cellmap_io::{Limits, fs, npy};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/io").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run tests/generators/io.py)", path.display()))
}

/// Writes `bytes` as `name` in a fresh temporary directory.
fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Offset of the first data byte of zip member `name` (from its local header).
fn member_data_offset(zip: &[u8], name: &str) -> usize {
    let mut at = 0;
    loop {
        let header = at + zip[at..].windows(4).position(|w| w == b"PK\x03\x04").expect("member not found");
        let name_len = u16::from_le_bytes([zip[header + 26], zip[header + 27]]) as usize;
        let extra_len = u16::from_le_bytes([zip[header + 28], zip[header + 29]]) as usize;
        if &zip[header + 30..header + 30 + name_len] == name.as_bytes() {
            return header + 30 + name_len + extra_len;
        }
        at = header + 4;
    }
}

#[test]
fn truncated_npy_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture("img_i32.npy");
    let path = temp_file(&dir, "labels.npy", &good[..good.len() - 10]);
    let err = fs::read_npy(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: truncated data (expected 396 bytes, got 386)", shown(&path)));
    // Cut inside the header.
    let path = temp_file(&dir, "short.npy", &good[..40]);
    let err = fs::read_npy(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: truncated data (expected 128 bytes, got 40)", shown(&path)));
}

#[test]
fn wrong_npy_headers() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad_version = fixture("img_u8.npy");
    bad_version[6] = 9;
    let path = temp_file(&dir, "mask.npy", &bad_version);
    let err = fs::read_mask(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: bad header: unsupported .npy format version 9.0", shown(&path)));

    let mut bad_dict = fixture("img_u8.npy");
    let at = bad_dict.windows(5).position(|w| w == b"shape").unwrap();
    bad_dict[at..at + 5].copy_from_slice(b"shapf");
    let path = temp_file(&dir, "mask2.npy", &bad_dict);
    let err = fs::read_npy(&path, &Limits::default()).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: bad header: unexpected key 'shapf' in", shown(&path))), "{err}");

    let path = temp_file(&dir, "mask.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let err = fs::read_mask(&path, &Limits::default()).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: bad PNG:", shown(&path))), "{err}");
}

#[test]
fn mask_of_wrong_dimensionality() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "mask.npy", &npy::encode(&[3, 4, 4], &[0u8; 48]).unwrap());
    let err = fs::read_mask(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: expected a 2-D mask, got shape (3, 4, 4)", shown(&path)));
}

#[test]
fn zip_member_with_bad_crc() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = fixture("dense.npz");
    let at = member_data_offset(&zip, "expr.npy") + 128 + 8; // a data byte, after the npy header
    zip[at] ^= 0x55;
    let path = temp_file(&dir, "dense.npz", &zip);
    let err = fs::open_npz(&path, &Limits::default()).unwrap().array("expr").unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: member expr.npy: corrupt member:", shown(&path))), "{err}");
    assert!(err.contains("checksum"), "{err}");
    // The other member is fine.
    assert!(fs::open_npz(&path, &Limits::default()).unwrap().array("mask").is_ok());
}

#[test]
fn zip_member_with_bad_deflate_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = fixture("csr_f4_i4_deflated.npz");
    let at = member_data_offset(&zip, "data.npy");
    zip[at] = 0xff; // final block of reserved type 3
    let path = temp_file(&dir, "st.npz", &zip);
    let err = fs::read_csr(&path, &Limits::default()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("{}: member data.npy: corrupt compressed data:", shown(&path))),
        "{err}"
    );
}

#[test]
fn npz_missing_member_and_not_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "dense.npz", &fixture("dense.npz"));
    let err = fs::read_csr(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: missing member format.npy (members: expr.npy, mask.npy)", shown(&path)));
    let path = temp_file(&dir, "st.npz", b"this is not a zip archive at all");
    let err = fs::read_csr(&path, &Limits::default()).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: not a valid .npz (zip) archive", shown(&path))), "{err}");
}

/// A `save_npz`-layout archive with arrays of our choosing.
fn csr_npz(indptr: &[i32], indices: &[i32], data: &[f32], shape: [i64; 2]) -> Vec<u8> {
    let mut writer = NpzWriter::new(std::io::Cursor::new(Vec::new()), "st.npz");
    writer.add("indices", &[indices.len()], indices).unwrap();
    writer.add("indptr", &[indptr.len()], indptr).unwrap();
    writer.add_bytes_string("format", b"csr").unwrap();
    writer.add("shape", &[2], &shape).unwrap();
    writer.add("data", &[data.len()], data).unwrap();
    writer.finish().unwrap().into_inner()
}

#[test]
fn csr_with_inconsistent_lengths_or_out_of_range_indices() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "st.npz", &csr_npz(&[0, 1, 2], &[0, 1], &[1.0, 2.0], [3, 2]));
    let err = fs::read_csr(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: indptr has 3 entries, but CSR shape (3, 2) needs rows + 1 = 4", shown(&path))
    );

    let path = temp_file(&dir, "st2.npz", &csr_npz(&[0, 1, 2], &[0, 5], &[1.0, 2.0], [2, 2]));
    let csr = fs::read_csr(&path, &Limits::default()).unwrap();
    let err = csr.validate().unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: column index 5 at position 1 is out of range for CSR shape (2, 2)", shown(&path))
    );

    let path = temp_file(&dir, "st3.npz", &csr_npz(&[0, 2, 1], &[0, 1], &[1.0, 2.0], [2, 2]));
    let err = fs::read_csr(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: indptr ends at 1, but there are 2 stored values", shown(&path)));
}

#[test]
fn csr_shape_does_not_match_mask() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/io/csr_f4_i4_stored.npz");
    let csr = fs::read_csr(&path, &Limits::default()).unwrap();
    let err = csr.check_mask_shape(5, 5).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: CSR shape (30, 7) does not match mask 5×5 (needs 25 rows, one per pixel)", shown(&path))
    );
}

#[test]
fn non_utf8_and_missing_columns_in_csv() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "spots.csv", b"spotX,spotY,gene\n1,2,Gad1\n3,4,Pv\xe4lb\n");
    let reader = fs::open_maybe_gzip(&path).unwrap();
    let err = transcripts::read(reader, &shown(&path), &Options::genesegnet()).unwrap_err().to_string();
    assert_eq!(err, format!("{}: line 3: column 3 is not valid UTF-8", shown(&path)));

    let path = temp_file(&dir, "transcripts.csv", b"feature_name,x_location,y\nA,1,2\n");
    let reader = fs::open_maybe_gzip(&path).unwrap();
    let err = transcripts::read(reader, &shown(&path), &Options::xenium()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: missing column `y_location` (columns: feature_name, x_location, y)", shown(&path))
    );
}

#[test]
fn truncated_gzip_csv() {
    let dir = tempfile::tempdir().unwrap();
    let gz = fixture("xenium_transcripts.csv.gz");
    let path = temp_file(&dir, "transcripts.csv.gz", &gz[..gz.len() / 2]);
    let reader = fs::open_maybe_gzip(&path).unwrap();
    let err = transcripts::read(reader, &shown(&path), &Options::xenium()).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}: ", shown(&path))), "{err}");
    assert!(err.contains("gzip"), "{err}");
}

#[test]
fn multi_page_tiff_is_not_a_mask() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, "stack.tif", &fixture("img_stack.tif"));
    let err = fs::read_mask(&path, &Limits::default()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: expected a 2-D mask, got a multi-page TIFF (a stack); save one page", shown(&path))
    );
}
