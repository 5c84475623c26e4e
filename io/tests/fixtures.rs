//! Reads the files written by real numpy / scipy / Pillow
//! (`tests/generators/io.py` → `tests/fixtures/io/`) and checks every value.

use std::path::PathBuf;

use cellmap_io::npy::{self, Array, ArrayData};
use cellmap_io::npz::{Csr, CsrView, IndexArray, Npz, ValueArray};
use cellmap_io::transcripts::{self, Options};
use cellmap_io::{Limits, fs, image};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/io").join(name)
}

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e} (run tests/generators/io.py)"))
}

fn load(name: &str) -> Array {
    npy::read(&bytes(name), name).unwrap()
}

/// The generator's `pattern(code, n)`: element `i` in C order.
fn base(i: i128) -> i128 {
    (i * 7) % 100
}

fn expected(code: &str, n: usize) -> ArrayData {
    let signed = |scale: i128| (0..n as i128).map(move |i| (base(i) - 50) * scale);
    let unsigned = |scale: i128| (0..n as i128).map(move |i| base(i) * scale);
    match code {
        "b1" => ArrayData::Bool((0..n).map(|i| i % 3 == 0).collect()),
        "i1" => ArrayData::I8(signed(1).map(|v| v as i8).collect()),
        "u1" => ArrayData::U8(unsigned(1).map(|v| v as u8).collect()),
        "i2" => ArrayData::I16(signed(600).map(|v| v as i16).collect()),
        "u2" => ArrayData::U16(unsigned(600).map(|v| v as u16).collect()),
        "i4" => ArrayData::I32(signed(40_000_000).map(|v| v as i32).collect()),
        "u4" => ArrayData::U32(unsigned(40_000_000).map(|v| v as u32).collect()),
        "i8" => ArrayData::I64(signed(100_000_000_000_000_000).map(|v| v as i64).collect()),
        "u8" => ArrayData::U64(unsigned(100_000_000_000_000_000).map(|v| v as u64).collect()),
        "f4" => ArrayData::F32((0..n as i128).map(|i| base(i) as f32 * 0.25 - 3.0).collect()),
        "f8" => ArrayData::F64((0..n as i128).map(|i| base(i) as f64 * 0.25 - 3.0).collect()),
        _ => unreachable!("unknown dtype code {code}"),
    }
}

#[test]
fn npy_every_dtype_order_and_endianness() {
    let mut checked = 0;
    for code in ["b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8"] {
        for order in ["C", "F"] {
            for endian in ["le", "be"] {
                let name = format!("npy_{code}_{order}_{endian}.npy");
                if !fixture(&name).exists() {
                    assert!(endian == "be" && ["b1", "i1", "u1"].contains(&code), "{name} missing");
                    continue;
                }
                let array = load(&name);
                assert_eq!(array.shape(), &[3, 4], "{name}");
                assert_eq!(array.data(), &expected(code, 12), "{name}");
                // The path reader gives the same array.
                assert_eq!(fs::read_npy(&fixture(&name), &Limits::default()).unwrap(), array, "{name}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 38);
}

#[test]
fn npy_format_versions_2_and_3() {
    for name in ["npy_f4_C_le_v2.npy", "npy_f4_C_le_v3.npy"] {
        let raw = bytes(name);
        assert_eq!(raw[6], if name.contains("v2") { 2 } else { 3 });
        let array = npy::read(&raw, name).unwrap();
        assert_eq!(array.data(), &expected("f4", 12), "{name}");
    }
}

#[test]
fn npy_fortran_3d_scalar_and_empty() {
    let cube = load("npy_3d_F.npy");
    assert_eq!(cube.shape(), &[2, 3, 4]);
    let want: Vec<f64> = (0..2)
        .flat_map(|i| (0..3).flat_map(move |j| (0..4).map(move |k| (100 * i + 10 * j + k) as f64)))
        .collect();
    assert_eq!(cube.data(), &ArrayData::F64(want));
    let scalar = load("npy_scalar_i8.npy");
    assert_eq!((scalar.shape(), scalar.data()), (&[][..], &ArrayData::I64(vec![42])));
    let empty = load("npy_empty_f4.npy");
    assert_eq!((empty.shape(), empty.data().len()), (&[0, 5][..], 0));
}

#[test]
fn npy_object_arrays_are_rejected_by_name() {
    let err = npy::read(&bytes("npy_object.npy"), "cells.npy").unwrap_err().to_string();
    assert!(err.starts_with("cells.npy: unsupported dtype: object arrays ('O') cannot be read"), "{err}");
}

/// Densifies a CSR matrix by brute force, summing duplicates (as `toarray()`).
fn densify(csr: &Csr) -> Vec<f64> {
    let (rows, cols) = csr.shape;
    let mut dense = vec![0.0; rows * cols];
    for row in 0..rows {
        let (start, end) = (csr.indptr.get(row).unwrap() as usize, csr.indptr.get(row + 1).unwrap() as usize);
        for k in start..end {
            let value = match &csr.data {
                ValueArray::F32(v) => f64::from(v[k]),
                ValueArray::F64(v) => v[k],
            };
            dense[row * cols + csr.indices.get(k).unwrap() as usize] += value;
        }
    }
    dense
}

fn as_f64(data: &ArrayData) -> Vec<f64> {
    match data {
        ArrayData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        ArrayData::F64(v) => v.clone(),
        other => panic!("not float: {other:?}"),
    }
}

#[test]
fn scipy_save_npz_csr_stored_deflated_int32_int64_f32_f64() {
    for data in ["f4", "f8"] {
        let dense = load(&format!("csr_{data}_dense.npy"));
        for index in ["i4", "i8"] {
            for method in ["stored", "deflated"] {
                let name = format!("csr_{data}_{index}_{method}.npz");
                let csr = Npz::from_bytes(&bytes(&name), &name).unwrap().csr().unwrap();
                csr.validate().unwrap();
                let rows = match csr.view().unwrap() {
                    CsrView::I32F32(v) => (v.rows(), v.cols(), v.nnz()),
                    CsrView::I32F64(v) => (v.rows(), v.cols(), v.nnz()),
                    CsrView::I64F32(v) => (v.rows(), v.cols(), v.nnz()),
                    CsrView::I64F64(v) => (v.rows(), v.cols(), v.nnz()),
                };
                assert_eq!(rows, (30, 7, csr.nnz()), "{name}");
                assert_eq!(csr.shape, (30, 7), "{name}");
                assert_eq!(matches!(csr.indices, IndexArray::I64(_)), index == "i8", "{name}");
                assert_eq!(matches!(csr.data, ValueArray::F64(_)), data == "f8", "{name}");
                assert_eq!(densify(&csr), as_f64(dense.data()), "{name}");
                csr.check_mask_shape(6, 5).unwrap();
                assert_eq!(
                    fs::read_csr(&fixture(&name), &Limits::default()).unwrap(),
                    Csr { source: fixture(&name).display().to_string(), ..csr }
                );
            }
        }
    }
}

#[test]
fn non_canonical_csr_keeps_duplicates_and_explicit_zeros() {
    let csr = Npz::from_bytes(&bytes("csr_noncanonical.npz"), "nc.npz").unwrap().csr().unwrap();
    assert_eq!(csr.indices, IndexArray::I32(vec![3, 1, 2, 1, 1, 0]));
    assert_eq!(csr.nnz(), 6);
    csr.validate().unwrap();
    assert_eq!(densify(&csr), as_f64(load("csr_noncanonical_dense.npy").data()));
}

#[test]
fn csc_matrices_are_rejected_with_a_hint() {
    let err = Npz::from_bytes(&bytes("csc.npz"), "st.npz").unwrap().csr().unwrap_err().to_string();
    assert_eq!(err, "st.npz: sparse format 'csc' is not supported; save a CSR matrix (matrix.tocsr())");
}

#[test]
fn dense_arrays_in_npz_stored_and_deflated() {
    for name in ["dense.npz", "dense_compressed.npz"] {
        let raw = bytes(name);
        let mut npz = Npz::from_bytes(&raw, name).unwrap();
        assert_eq!(npz.names(), vec!["mask", "expr"]);
        assert_eq!(npz.array("mask").unwrap(), load("dense_mask.npy"), "{name}");
        assert_eq!(npz.array("expr.npy").unwrap(), load("dense_expr.npy"), "{name}");
    }
}

#[test]
fn png_and_tiff_masks_match_numpy() {
    for (file, reference) in [
        ("img_u8.png", "img_u8.npy"),
        ("img_u16_cp_masks.png", "img_u16.npy"),
        ("img_u8.tif", "img_u8.npy"),
        ("img_u16.tif", "img_u16.npy"),
        ("img_u16_deflate.tif", "img_u16.npy"),
        ("img_i32.tif", "img_i32.npy"),
        ("img_i32_lzw.tif", "img_i32.npy"),
    ] {
        let want = load(reference);
        assert_eq!(image::read_mask(&bytes(file), file).unwrap(), want, "{file}");
        assert_eq!(fs::read_mask(&fixture(file), &Limits::default()).unwrap(), want, "{file}");
    }
    let err = image::read_mask(&bytes("img_rgb.png"), "rgb.png").unwrap_err().to_string();
    assert_eq!(err, "rgb.png: expected a grayscale mask or label PNG, got Rgb pixels");
}

#[test]
fn xenium_transcripts_gz_with_default_filters() {
    let path = fixture("xenium_transcripts.csv.gz");
    let table =
        transcripts::read(fs::open_maybe_gzip(&path).unwrap(), "t.csv.gz", &Options::xenium()).unwrap();
    let xy = load("xenium_expected_xy.npy");
    let ArrayData::F64(xy) = xy.data() else { panic!("xy dtype") };
    let genes: Vec<String> = std::fs::read_to_string(fixture("xenium_expected_genes.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(table.len(), genes.len());
    for (i, gene) in genes.iter().enumerate() {
        assert_eq!((table.x[i], table.y[i]), (xy[2 * i], xy[2 * i + 1]), "row {i}");
        assert_eq!(&table.gene_names[table.gene[i] as usize], gene, "row {i}");
    }
    assert!(table.dropped_controls > 0 && table.dropped_low_qv > 0);
    assert_eq!(table.units_per_pixel, 0.2125);
    // The same from bytes.
    assert_eq!(
        transcripts::read_bytes(&bytes("xenium_transcripts.csv.gz"), "t.csv.gz", &Options::xenium()).unwrap(),
        table
    );
}

#[test]
fn genesegnet_spots_and_mapping_csv_match_the_original_script() {
    let table =
        transcripts::read_bytes(&bytes("genesegnet_spots.csv"), "spots.csv", &Options::genesegnet()).unwrap();
    let label = load("genesegnet_label.npy");
    let (_, width) = label.dims_2d("label.npy", "label image").unwrap();
    let ArrayData::U16(label) = label.into_parts().1 else { panic!("label dtype") };
    // GeneSegNet's lookup: label[int(y), int(x)].
    let cells: Vec<u32> = (0..table.len())
        .map(|i| u32::from(label[table.y[i] as usize * width + table.x[i] as usize]))
        .collect();
    let mut out = Vec::new();
    transcripts::write_mapping_csv(&mut out, "map.csv", &table, &cells).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        String::from_utf8(bytes("genesegnet_expected_mapping.csv")).unwrap().replace("\r\n", "\n")
    );
}
