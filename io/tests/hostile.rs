//! Hostile inputs, built at test time (see `hostile_inputs`): every reader
//! refuses them from their headers or within a bounded prefix — quickly,
//! without allocating what they claim, with a one-line message.

mod hostile_inputs;

use std::io::Cursor;
use std::time::{Duration, Instant};

use cellmap_io::npz::Npz;
use cellmap_io::transcripts::{self, Options};
use cellmap_io::{Limits, MemoryBudget, image};
use hostile_inputs::{
    Member, gzip_repeated, npy_format_csr, npy_header, npy_i32, npy_i64, png_of_zeros, zip,
};

/// A 1 GiB budget: far below what the inputs claim.
fn limits() -> Limits {
    Limits { memory: MemoryBudget::new(1 << 30), ..Limits::default() }
}

/// `f`'s error message, checked to come fast and stay one short line.
fn refused<T: std::fmt::Debug>(f: impl FnOnce() -> Result<T, cellmap_io::Error>) -> String {
    let start = Instant::now();
    let message = f().unwrap_err().to_string();
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}: {message}", start.elapsed());
    assert!(message.len() < 300 && !message.contains('\n'), "{message}");
    message
}

fn csr(bytes: &[u8]) -> Result<cellmap_io::npz::Csr, cellmap_io::Error> {
    Npz::new(Cursor::new(bytes), "st.npz", limits())?.csr()
}

#[test]
fn a_shape_member_that_inflates_to_4_gb_is_refused_on_its_header() {
    let n = 500_000_000;
    let bytes = zip(&[
        Member::Stored("format.npy", npy_format_csr()),
        Member::Zeros("shape.npy", npy_header("<i8", &[n]), n * 8),
    ]);
    assert!(bytes.len() < 8 << 20, "{}", bytes.len());
    let err = refused(|| csr(&bytes));
    assert_eq!(
        err,
        "st.npz: member shape.npy: expected the two numbers of the matrix shape, got an array of shape \
         (500000000,) of int64 (at most 64 elements)"
    );
}

#[test]
fn a_data_member_longer_than_indices_is_refused_before_inflating() {
    let n = 1_000_000_000;
    let bytes = zip(&[
        Member::Stored("indices.npy", npy_i32(&[0; 10])),
        Member::Stored("indptr.npy", npy_i32(&[&[0; 4096][..], &[10]].concat())),
        Member::Stored("format.npy", npy_format_csr()),
        Member::Stored("shape.npy", npy_i64(&[4096, 10])),
        Member::Zeros("data.npy", npy_header("<f4", &[n]), n * 4),
    ]);
    let err = refused(|| csr(&bytes));
    assert_eq!(err, "st.npz: indices has 10 entries but data has 1000000000");
}

#[test]
fn a_consistent_csr_over_the_budget_is_refused_before_inflating() {
    let n = 1_000_000_000;
    let bytes = zip(&[
        Member::Zeros("indices.npy", npy_header("<i4", &[n]), n * 4),
        Member::Stored("indptr.npy", npy_i32(&[&[0; 4096][..], &[n as i32]].concat())),
        Member::Stored("format.npy", npy_format_csr()),
        Member::Stored("shape.npy", npy_i64(&[4096, 10])),
        Member::Zeros("data.npy", npy_header("<f4", &[n]), n * 4),
    ]);
    let err = refused(|| csr(&bytes));
    assert!(
        err.starts_with(
            "st.npz: CSR matrix of 4,096 × 10 with 1,000,000,000 stored values needs 8 GB, over the memory \
             budget of 1.07 GB"
        ),
        "{err}"
    );
    // One member alone is checked against the budget too.
    let err = refused(|| Npz::new(Cursor::new(&bytes[..]), "st.npz", limits())?.array("data"));
    assert!(err.starts_with("st.npz: member data.npy: array (1000000000,) of float32 needs 4 GB"), "{err}");
}

#[test]
fn shapes_and_lists_in_messages_are_capped() {
    let bytes = zip(&[
        Member::Stored("format.npy", npy_format_csr()),
        Member::Stored("shape.npy", npy_i64(&[1; 40])),
    ]);
    let err = refused(|| csr(&bytes));
    assert_eq!(
        err,
        "st.npz: shape.npy holds [1, 1, 1, 1, 1, 1, 1, 1, … (40 in all)], expected two non-negative numbers"
    );
    let names: Vec<String> = (0..1000).map(|i| format!("column_{i}")).collect();
    let csv = format!("{}\n", names.join(","));
    let err = refused(|| transcripts::read_bytes(csv.as_bytes(), "t.csv", &Options::xenium()));
    assert!(err.ends_with("column_7, … (1000 in all))"), "{err}");
}

#[test]
fn a_2_gib_csv_field_stops_at_the_field_cap() {
    let bytes = gzip_repeated(b"x,y,gene\n1,1,", &[b'A'; 1 << 20], 2048, b"\n");
    assert!(bytes.len() < 8 << 20);
    let err = refused(|| transcripts::read_bytes(&bytes, "t.csv.gz", &Options::pixels("x", "y", "gene")));
    assert_eq!(err, "t.csv.gz: line 2: a field is longer than 64 KiB (not a transcript table?)");
    // A record of many short fields is capped too, and so is a multi-line quoted field.
    let wide = format!("x,y,gene\n{}\n", "1,".repeat(600_000));
    let err =
        refused(|| transcripts::read_bytes(wide.as_bytes(), "w.csv", &Options::pixels("x", "y", "gene")));
    assert_eq!(err, "w.csv: line 2: a record is longer than 1 MiB (not a transcript table?)");
}

#[test]
fn unterminated_quotes_and_empty_tables_are_errors() {
    let o = Options::pixels("x", "y", "gene");
    let err = refused(|| transcripts::read_bytes(b"x,y,gene\n10,10,\"A\n20,20,B\n", "q.csv", &o));
    assert_eq!(err, "q.csv: line 2: a quoted field is never closed (a \" without its closing quote)");
    let err = refused(|| transcripts::read_bytes(b"", "e.csv", &o));
    assert_eq!(err, "e.csv: bad header: the file is empty (no header line)");
    // Quotes that csv allows still read: escaped, multi-line, inside an unquoted field.
    let t = transcripts::read_bytes(b"x,y,gene\n1,2,\"A \"\"b\"\"\nc\"\n3,4,d\"e\n", "ok.csv", &o).unwrap();
    assert_eq!(t.gene_names, ["A \"b\"\nc", "d\"e"]);
}

#[test]
fn a_png_of_40000_squared_zeros_is_checked_against_the_budget_first() {
    let png = png_of_zeros(40_000, 40_000);
    assert!(png.len() < 4 << 20, "{}", png.len());
    let err = refused(|| image::read_mask_with_limits(&png, "z.png", &limits()));
    assert!(
        err.starts_with("z.png: decoding a 40000×40000 PNG needs 1.6 GB, over the memory budget of 1.07 GB"),
        "{err}"
    );
}

#[test]
fn palette_pngs_are_named() {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 2, 1);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_palette(vec![0, 0, 0, 255, 255, 255]);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[0, 1]).unwrap();
    writer.finish().unwrap();
    let err = image::read_mask(&bytes, "p.png").unwrap_err().to_string();
    assert!(
        err.starts_with("p.png: a palette (indexed-colour) PNG; a mask or label image must be greyscale"),
        "{err}"
    );
}

#[test]
fn one_bit_tiffs_are_read() {
    // A 10×2 bilevel TIFF (BlackIsZero), rows padded to 2 bytes, uncompressed.
    let (width, height) = (10u32, 2u32);
    let pixels = [0b1010_0000u8, 0b0100_0000, 0b0000_0000, 0b1100_0000];
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, width),               // ImageWidth
        (257, 4, height),              // ImageLength
        (258, 3, 1),                   // BitsPerSample
        (259, 3, 1),                   // Compression: none
        (262, 3, 1),                   // BlackIsZero
        (273, 4, 8 + 2 + 8 * 12 + 4),  // StripOffsets
        (278, 4, height),              // RowsPerStrip
        (279, 4, pixels.len() as u32), // StripByteCounts
    ];
    tiff.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            tiff.extend_from_slice(&(value as u16).to_le_bytes());
            tiff.extend_from_slice(&[0, 0]);
        } else {
            tiff.extend_from_slice(&value.to_le_bytes());
        }
    }
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&pixels);
    let mask = image::read_mask(&tiff, "bits.tif").unwrap();
    assert_eq!(mask.shape(), &[2, 10]);
    let want: Vec<u8> = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1].to_vec();
    let got = match mask.data() {
        cellmap_io::npy::ArrayData::U8(v) => v.clone(),
        other => panic!("{other:?}"),
    };
    // Row 0: 1010 0000 | 01 ; row 1: 0000 0000 | 11
    assert_eq!(got, want);
}
