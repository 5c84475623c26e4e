//! A tiny `.npy` reader for the fixture tests: little-endian, C order, the
//! dtypes the fixture generators write. (The full reader is `cellmap-io`;
//! this one keeps the core's parity tests independent of it.)

use std::path::{Path, PathBuf};

/// A loaded fixture array: its shape and its values widened to `f64`
/// (exact for every dtype the generators write, including int64 < 2^53).
#[derive(Debug, Clone)]
pub struct Array {
    /// numpy shape.
    pub shape: Vec<usize>,
    /// numpy dtype descriptor, e.g. `<i4`, `|b1`, `<f8`.
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
    parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses `.npy` bytes.
pub fn parse(bytes: &[u8]) -> Result<Array, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not an .npy file".into());
    }
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => (u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize, 12),
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).map_err(|e| e.to_string())?;
    let field = |key: &str| -> Result<&str, String> {
        let at = header.find(key).ok_or(format!("header lacks {key}"))? + key.len();
        Ok(header[at..].trim_start_matches([' ', ':']))
    };
    let descr = field("'descr'")?;
    let dtype = descr[1..].split('\'').next().unwrap_or_default().to_string();
    if field("'fortran_order'")?.starts_with("True") {
        return Err("fortran order not supported by the test reader".into());
    }
    let shape_txt = field("'shape'")?;
    let shape_txt = &shape_txt[1..shape_txt.find(')').ok_or("bad shape")?];
    let shape: Vec<usize> =
        shape_txt.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    let data = &bytes[start + header_len..];
    let n: usize = shape.iter().product();
    macro_rules! read {
        ($t:ty) => {{
            let w = std::mem::size_of::<$t>();
            if data.len() < n * w {
                return Err("truncated data".into());
            }
            data.chunks_exact(w).take(n).map(|c| <$t>::from_le_bytes(c.try_into().unwrap()) as f64).collect()
        }};
    }
    let values: Vec<f64> = match dtype.as_str() {
        "|b1" | "|u1" => data.iter().take(n).map(|&b| b as f64).collect(),
        "|i1" => data.iter().take(n).map(|&b| b as i8 as f64).collect(),
        "<u2" => read!(u16),
        "<i2" => read!(i16),
        "<u4" => read!(u32),
        "<i4" => read!(i32),
        "<u8" => read!(u64),
        "<i8" => read!(i64),
        "<f4" => read!(f32),
        "<f8" => read!(f64),
        other => return Err(format!("dtype {other} not supported by the test reader")),
    };
    if values.len() != n {
        return Err("truncated data".into());
    }
    Ok(Array { shape, dtype, values })
}
