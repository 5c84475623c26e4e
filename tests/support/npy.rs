//! Fixture loading for the scipy-parity tests: `.npy` files decoded by
//! `cellmap-io` and widened to `f64`, so one code path compares every
//! numeric dtype the generators write.

use std::path::{Path, PathBuf};

use cellmap_io::npy::ArrayData;

/// A loaded fixture array: its shape and its values widened to `f64`
/// (exact for every dtype the generators write, including int64 < 2^53).
#[derive(Debug, Clone)]
pub struct Array {
    /// numpy shape.
    pub shape: Vec<usize>,
    /// numpy dtype descriptor in little-endian form, e.g. `<i4`, `|b1`, `<f8`.
    pub dtype: String,
    /// Values in C order.
    pub values: Vec<f64>,
}

impl Array {
    /// Values cast to `T` (fixtures hold small integers or floats).
    pub fn to<T: FromF64>(&self) -> Vec<T> {
        self.values.iter().map(|&v| T::from_f64(v)).collect()
    }
}

/// Lossless-enough conversion from the widened values.
pub trait FromF64 {
    /// Converts.
    fn from_f64(v: f64) -> Self;
}
macro_rules! from_f64 { ($($t:ty),*) => {$( impl FromF64 for $t { fn from_f64(v: f64) -> Self { v as $t } } )*}; }
from_f64!(u8, u16, u32, u64, i32, i64, usize, f32, f64);
impl FromF64 for bool {
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
}

/// `tests/fixtures/<rel>` inside this repository.
pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

/// Reads `tests/fixtures/<rel>`; panics with the file name on any problem
/// (test code only).
pub fn load(rel: &str) -> Array {
    let path = fixture_path(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode(&bytes, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses `.npy` bytes (any version, either byte order, C or Fortran order;
/// numeric dtypes only).
pub fn parse(bytes: &[u8]) -> Result<Array, String> {
    decode(bytes, ".npy bytes")
}

/// Decodes with `cellmap-io`, naming `source` in errors, and widens the values.
fn decode(bytes: &[u8], source: &str) -> Result<Array, String> {
    let (shape, data) = cellmap_io::npy::read(bytes, source).map_err(|e| e.to_string())?.into_parts();
    // Descriptors in little-endian form: the values are already in native
    // order, whatever the file's byte order was.
    let (dtype, values) = match data {
        ArrayData::Bool(v) => ("|b1", widen(v)),
        ArrayData::I8(v) => ("|i1", widen(v)),
        ArrayData::U8(v) => ("|u1", widen(v)),
        ArrayData::I16(v) => ("<i2", widen(v)),
        ArrayData::U16(v) => ("<u2", widen(v)),
        ArrayData::I32(v) => ("<i4", widen(v)),
        ArrayData::U32(v) => ("<u4", widen(v)),
        ArrayData::I64(v) => ("<i8", v.into_iter().map(|x| x as f64).collect()),
        ArrayData::U64(v) => ("<u8", v.into_iter().map(|x| x as f64).collect()),
        ArrayData::F32(v) => ("<f4", widen(v)),
        ArrayData::F64(v) => ("<f8", v),
        ArrayData::Str(_) => return Err(format!("{source}: string arrays are not numeric fixtures")),
    };
    Ok(Array { shape, dtype: dtype.to_string(), values })
}

/// Values of a dtype that converts to `f64` exactly.
fn widen<T: Into<f64>>(values: Vec<T>) -> Vec<f64> {
    values.into_iter().map(Into::into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_widens_values_and_names_the_dtype() {
        let bytes = cellmap_io::npy::encode(&[2, 2], &[-3i16, 0, 7, i16::MAX]).unwrap();
        let array = parse(&bytes).unwrap();
        assert_eq!(array.shape, [2, 2]);
        assert_eq!(array.dtype, "<i2");
        assert_eq!(array.values, [-3.0, 0.0, 7.0, 32767.0]);
        assert_eq!(array.to::<i32>(), [-3, 0, 7, 32767]);
        let bytes = cellmap_io::npy::encode(&[3], &[true, false, true]).unwrap();
        let array = parse(&bytes).unwrap();
        assert_eq!((array.dtype.as_str(), array.to::<bool>()), ("|b1", vec![true, false, true]));
    }

    #[test]
    fn parse_rejects_bytes_that_are_not_npy() {
        let err = parse(b"PK\x03\x04 not an npy file").unwrap_err();
        assert!(err.starts_with(".npy bytes: "), "{err}");
    }
}
