//! Zarr v3 stores as `cellmap publish` writes them, read from bytes: the
//! (consolidated) JSON metadata, chunks with the codecs `bytes` (little
//! endian) + `zstd` and `vlen-utf8` strings. No I/O: the caller fetches the
//! keys ([`ArrayMeta::chunk_key`]) and passes their bytes, or `None` for a
//! chunk that is not in the store (it reads as the array's fill value).
//!
//! Any other codec (`sharding_indexed`, `blosc`, `transpose`, ...) is refused
//! with a message naming the array and the codec: stores rewritten by Python
//! (anndata ≥ 0.13 shards v3 writes) are not what the viewer can read lazily.
//!
//! ```
//! use cellmap_io::zarr_read::{ArrayMeta, Numbers};
//! let meta = br#"{"zarr_format":3,"node_type":"array","shape":[3,2],"data_type":"int32",
//!   "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[2,2]}},
//!   "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":0,
//!   "codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}"#;
//! let array = ArrayMeta::from_bytes("labels/s0", meta, "data.zarr")?;
//! assert_eq!(array.chunk_grid(), vec![2, 1]);
//! assert_eq!(array.chunk_key(&[1, 0]), "labels/s0/c/1/0");
//! let chunk: Vec<u8> = [5i32, 6, 7, 8].iter().flat_map(|v| v.to_le_bytes()).collect();
//! assert_eq!(array.decode(Some(&chunk))?, Numbers::I32(vec![5, 6, 7, 8]));
//! assert_eq!(array.decode(None)?, Numbers::I32(vec![0; 4])); // a missing chunk: the fill value
//! # Ok::<(), cellmap_io::Error>(())
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};

/// The largest chunk decoded, in elements (2^24: 64 MiB of `int32`; the
/// format's chunks are 2^18 labels and 2^17 table values).
pub const MAX_CHUNK_ELEMENTS: u64 = 1 << 24;

/// The codecs this reader knows, for messages.
const KNOWN_CODECS: &str = "'bytes', 'zstd' and 'vlen-utf8'";

fn zarr_error(source: &str, why: impl Into<String>) -> Error {
    Error::new(source, ErrorKind::Zarr(why.into()))
}

/// An array's element type (`data_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// `int8`
    I8,
    /// `int16`
    I16,
    /// `int32`
    I32,
    /// `int64`
    I64,
    /// `uint8`
    U8,
    /// `uint16`
    U16,
    /// `uint32`
    U32,
    /// `uint64`
    U64,
    /// `float32`
    F32,
    /// `float64`
    F64,
    /// `string` (variable-length UTF-8, codec `vlen-utf8`)
    String,
}

impl DataType {
    fn from_name(name: &str) -> Option<DataType> {
        Some(match name {
            "int8" => DataType::I8,
            "int16" => DataType::I16,
            "int32" => DataType::I32,
            "int64" => DataType::I64,
            "uint8" => DataType::U8,
            "uint16" => DataType::U16,
            "uint32" => DataType::U32,
            "uint64" => DataType::U64,
            "float32" => DataType::F32,
            "float64" => DataType::F64,
            "string" => DataType::String,
            _ => return None,
        })
    }

    /// Bytes per element; 0 for strings.
    pub fn size(self) -> usize {
        match self {
            DataType::I8 | DataType::U8 => 1,
            DataType::I16 | DataType::U16 => 2,
            DataType::I32 | DataType::U32 | DataType::F32 => 4,
            DataType::I64 | DataType::U64 | DataType::F64 => 8,
            DataType::String => 0,
        }
    }
}

/// A decoded numeric chunk (C order, the full chunk shape: edge chunks
/// include their padding).
#[derive(Debug, Clone, PartialEq)]
pub enum Numbers {
    /// `int8`
    I8(Vec<i8>),
    /// `int16`
    I16(Vec<i16>),
    /// `int32`
    I32(Vec<i32>),
    /// `int64`
    I64(Vec<i64>),
    /// `uint8`
    U8(Vec<u8>),
    /// `uint16`
    U16(Vec<u16>),
    /// `uint32`
    U32(Vec<u32>),
    /// `uint64`
    U64(Vec<u64>),
    /// `float32`
    F32(Vec<f32>),
    /// `float64`
    F64(Vec<f64>),
}

impl Numbers {
    /// The values as `f64` (exact for every type but 64-bit integers above 2^53).
    #[allow(clippy::cast_precision_loss)]
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Numbers::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::I16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::I64(v) => v.iter().map(|&x| x as f64).collect(),
            Numbers::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::U16(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::U32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::U64(v) => v.iter().map(|&x| x as f64).collect(),
            Numbers::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
            Numbers::F64(v) => v.clone(),
        }
    }

    /// Integer values as `i64`; `None` for floats and for `uint64` above `i64::MAX`.
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        Some(match self {
            Numbers::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Numbers::I16(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Numbers::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Numbers::I64(v) => v.clone(),
            Numbers::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Numbers::U16(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Numbers::U32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            Numbers::U64(v) => v.iter().map(|&x| i64::try_from(x).ok()).collect::<Option<_>>()?,
            Numbers::F32(_) | Numbers::F64(_) => return None,
        })
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            Numbers::I8(v) => v.len(),
            Numbers::I16(v) => v.len(),
            Numbers::I32(v) => v.len(),
            Numbers::I64(v) => v.len(),
            Numbers::U8(v) => v.len(),
            Numbers::U16(v) => v.len(),
            Numbers::U32(v) => v.len(),
            Numbers::U64(v) => v.len(),
            Numbers::F32(v) => v.len(),
            Numbers::F64(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The metadata of one array (`zarr.json` with `node_type` `array`).
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayMeta {
    /// The array's path in the store (`labels/cells/s0`), without a trailing `/`.
    pub path: String,
    /// The store's name, for messages (`data.zarr`, a URL).
    pub source: String,
    /// The array's shape.
    pub shape: Vec<u64>,
    /// The regular chunk grid's chunk shape (same rank as `shape`).
    pub chunk_shape: Vec<u64>,
    /// The element type.
    pub data_type: DataType,
    /// The chunk key separator (`/` or `.`).
    pub separator: char,
    /// Whether chunks are `zstd` frames (after `bytes` / `vlen-utf8`).
    pub zstd: bool,
    /// The fill value as a number (0 for strings, whose fill is `""`).
    pub fill: f64,
    /// `attributes`.
    pub attributes: Map<String, Value>,
}

impl ArrayMeta {
    /// Parses an array's `zarr.json` (bytes) at `path` in the store `source`.
    pub fn from_bytes(path: &str, bytes: &[u8], source: &str) -> Result<ArrayMeta, Error> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| zarr_error(source, format!("{path}/zarr.json: not JSON: {e}")))?;
        ArrayMeta::from_json(path, &value, source)
    }

    /// Parses an array's metadata (the JSON object of its `zarr.json`).
    pub fn from_json(path: &str, value: &Value, source: &str) -> Result<ArrayMeta, Error> {
        let path = path.trim_end_matches('/').to_string();
        let bad = |why: String| zarr_error(source, format!("{path}: {why}"));
        let object = value.as_object().ok_or_else(|| bad("the metadata is not a JSON object".into()))?;
        if object.get("zarr_format").and_then(Value::as_u64) != Some(3) {
            return Err(bad("not a zarr v3 array (zarr_format is not 3)".into()));
        }
        if object.get("node_type").and_then(Value::as_str) != Some("array") {
            return Err(bad("not an array (node_type is not \"array\")".into()));
        }
        let shape =
            u64_list(object.get("shape")).ok_or_else(|| bad("shape is not a list of sizes".into()))?;
        let type_name = object.get("data_type").and_then(Value::as_str).unwrap_or("?");
        let data_type = DataType::from_name(type_name)
            .ok_or_else(|| bad(format!("data_type '{type_name}' is not supported")))?;
        let grid = object.get("chunk_grid").and_then(Value::as_object);
        if grid.and_then(|g| g.get("name")).and_then(Value::as_str) != Some("regular") {
            return Err(bad("the chunk grid is not 'regular'".into()));
        }
        let chunk_shape =
            u64_list(grid.and_then(|g| g.get("configuration")).and_then(|c| c.get("chunk_shape")))
                .ok_or_else(|| bad("chunk_shape is not a list of sizes".into()))?;
        if chunk_shape.len() != shape.len() || chunk_shape.contains(&0) {
            return Err(bad(format!("chunk shape {chunk_shape:?} does not fit shape {shape:?}")));
        }
        let elements = chunk_shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
        if elements.is_none_or(|n| n > MAX_CHUNK_ELEMENTS) {
            return Err(bad(format!(
                "chunk shape {chunk_shape:?} is above the limit of {MAX_CHUNK_ELEMENTS} elements per chunk"
            )));
        }
        let encoding = object.get("chunk_key_encoding").and_then(Value::as_object);
        let separator = match encoding.and_then(|e| e.get("name")).and_then(Value::as_str) {
            Some("default") => {
                match encoding.and_then(|e| e.get("configuration")).and_then(|c| c.get("separator")) {
                    None => '/',
                    Some(Value::String(s)) if s == "/" => '/',
                    Some(Value::String(s)) if s == "." => '.',
                    Some(other) => return Err(bad(format!("chunk key separator {other} is not '/' or '.'"))),
                }
            }
            other => {
                return Err(bad(format!(
                    "chunk key encoding {} is not supported (only 'default')",
                    other.unwrap_or("?")
                )));
            }
        };
        let zstd = check_codecs(object.get("codecs"), data_type).map_err(bad)?;
        let fill = match (data_type, object.get("fill_value")) {
            (DataType::String, _) => 0.0,
            (_, Some(Value::Number(n))) => n.as_f64().unwrap_or(0.0),
            (_, Some(Value::String(s))) if s == "NaN" => f64::NAN,
            (_, other) => {
                return Err(bad(format!("fill_value {} is not a number", other.unwrap_or(&Value::Null))));
            }
        };
        let attributes = object.get("attributes").and_then(Value::as_object).cloned().unwrap_or_default();
        Ok(ArrayMeta {
            path,
            source: source.to_string(),
            shape,
            chunk_shape,
            data_type,
            separator,
            zstd,
            fill,
            attributes,
        })
    }

    /// Chunks along each dimension (`ceil(shape / chunk_shape)`).
    pub fn chunk_grid(&self) -> Vec<u64> {
        self.shape.iter().zip(&self.chunk_shape).map(|(&s, &c)| s.div_ceil(c)).collect()
    }

    /// Elements in one chunk (the product of the chunk shape).
    pub fn chunk_len(&self) -> usize {
        // checked against MAX_CHUNK_ELEMENTS when parsed
        usize::try_from(self.chunk_shape.iter().product::<u64>()).unwrap_or(usize::MAX)
    }

    /// The store key of chunk `index` (`<path>/c/<i>/<j>`).
    pub fn chunk_key(&self, index: &[u64]) -> String {
        let mut key = format!("{}/c", self.path);
        for i in index {
            key.push(self.separator);
            key.push_str(&i.to_string());
        }
        key
    }

    fn name(&self, index: Option<&[u64]>) -> String {
        match index {
            Some(index) => self.chunk_key(index),
            None => self.path.clone(),
        }
    }

    /// The raw element bytes of a chunk: its zstd frame decompressed (when
    /// the array has `zstd`), checked to be exactly `expected` bytes when given.
    fn inflate(&self, bytes: &[u8], expected: Option<usize>, key: &str) -> Result<Vec<u8>, Error> {
        if !self.zstd {
            return Ok(bytes.to_vec());
        }
        let limit = usize::try_from(MAX_CHUNK_ELEMENTS * 8).unwrap_or(usize::MAX);
        let Some(want) = expected else {
            // strings: the size is not known before decoding; read at most `limit` bytes
            use std::io::Read;
            let mut input = bytes;
            let decoder = ruzstd::decoding::StreamingDecoder::new(&mut input)
                .map_err(|e| zarr_error(&self.source, format!("{key}: bad zstd data: {e}")))?;
            let mut out = Vec::new();
            decoder
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| zarr_error(&self.source, format!("{key}: bad zstd data: {e}")))?;
            if out.len() > limit {
                return Err(zarr_error(&self.source, format!("{key}: more than {limit} bytes decompressed")));
            }
            return Ok(out);
        };
        if want > limit {
            return Err(zarr_error(
                &self.source,
                format!("{key}: {want} bytes decompressed is above the limit of {limit}"),
            ));
        }
        let mut out = vec![0u8; want];
        let written = ruzstd::decoding::FrameDecoder::new()
            .decode_all(bytes, &mut out)
            .map_err(|e| zarr_error(&self.source, format!("{key}: bad zstd data: {e}")))?;
        if written != want {
            return Err(zarr_error(
                &self.source,
                format!("{key}: the chunk holds {written} bytes, expected {want}"),
            ));
        }
        Ok(out)
    }

    /// Decodes a numeric chunk (`None`: the chunk is not in the store, every
    /// element is the fill value).
    pub fn decode(&self, bytes: Option<&[u8]>) -> Result<Numbers, Error> {
        self.decode_at(bytes, None)
    }

    /// [`ArrayMeta::decode`], naming chunk `index` in messages.
    pub fn decode_at(&self, bytes: Option<&[u8]>, index: Option<&[u64]>) -> Result<Numbers, Error> {
        let key = self.name(index);
        let n = self.chunk_len();
        let size = self.data_type.size();
        if size == 0 {
            return Err(zarr_error(&self.source, format!("{key}: a string array read as numbers")));
        }
        let raw = match bytes {
            Some(bytes) => self.inflate(bytes, Some(n * size), &key)?,
            None => fill_bytes(self.data_type, self.fill, n),
        };
        if raw.len() != n * size {
            return Err(zarr_error(
                &self.source,
                format!("{key}: the chunk holds {} bytes, expected {} ({n} elements)", raw.len(), n * size),
            ));
        }
        Ok(from_le(self.data_type, &raw))
    }

    /// Decodes a `vlen-utf8` string chunk (`None`: every element is `""`).
    pub fn decode_strings(&self, bytes: Option<&[u8]>, index: Option<&[u64]>) -> Result<Vec<String>, Error> {
        let key = self.name(index);
        let n = self.chunk_len();
        if self.data_type != DataType::String {
            return Err(zarr_error(&self.source, format!("{key}: not a string array")));
        }
        let Some(bytes) = bytes else {
            return Ok(vec![String::new(); n]);
        };
        let raw = self.inflate(bytes, None, &key)?;
        let bad = |why: &str| zarr_error(&self.source, format!("{key}: bad vlen-utf8 chunk: {why}"));
        let mut rest = raw.as_slice();
        let take_u32 = |rest: &mut &[u8]| -> Option<usize> {
            let (head, tail) = rest.split_first_chunk::<4>()?;
            *rest = tail;
            usize::try_from(u32::from_le_bytes(*head)).ok()
        };
        let count = take_u32(&mut rest).ok_or_else(|| bad("shorter than its count"))?;
        if count != n {
            return Err(bad(&format!("{count} items, the chunk shape has {n}")));
        }
        let mut items = Vec::with_capacity(n.min(rest.len() / 4));
        for _ in 0..n {
            let len = take_u32(&mut rest).ok_or_else(|| bad("truncated"))?;
            let item = rest.get(..len).ok_or_else(|| bad("truncated"))?;
            rest = &rest[len..];
            items.push(String::from_utf8(item.to_vec()).map_err(|_| bad("an item is not UTF-8"))?);
        }
        Ok(items)
    }
}

/// The `bytes` of `n` fill values.
fn fill_bytes(data_type: DataType, fill: f64, n: usize) -> Vec<u8> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let one: Vec<u8> = match data_type {
        DataType::I8 => (fill as i8).to_le_bytes().to_vec(),
        DataType::I16 => (fill as i16).to_le_bytes().to_vec(),
        DataType::I32 => (fill as i32).to_le_bytes().to_vec(),
        DataType::I64 => (fill as i64).to_le_bytes().to_vec(),
        DataType::U8 => (fill as u8).to_le_bytes().to_vec(),
        DataType::U16 => (fill as u16).to_le_bytes().to_vec(),
        DataType::U32 => (fill as u32).to_le_bytes().to_vec(),
        DataType::U64 => (fill as u64).to_le_bytes().to_vec(),
        DataType::F32 => (fill as f32).to_le_bytes().to_vec(),
        DataType::F64 => fill.to_le_bytes().to_vec(),
        DataType::String => Vec::new(),
    };
    one.repeat(n)
}

fn from_le(data_type: DataType, raw: &[u8]) -> Numbers {
    macro_rules! le {
        ($t:ty, $n:literal) => {
            raw.chunks_exact($n).map(|c| <$t>::from_le_bytes(c.try_into().unwrap_or([0; $n]))).collect()
        };
    }
    match data_type {
        DataType::I8 => Numbers::I8(le!(i8, 1)),
        DataType::I16 => Numbers::I16(le!(i16, 2)),
        DataType::I32 => Numbers::I32(le!(i32, 4)),
        DataType::I64 => Numbers::I64(le!(i64, 8)),
        DataType::U8 => Numbers::U8(raw.to_vec()),
        DataType::U16 => Numbers::U16(le!(u16, 2)),
        DataType::U32 => Numbers::U32(le!(u32, 4)),
        DataType::U64 => Numbers::U64(le!(u64, 8)),
        DataType::F32 => Numbers::F32(le!(f32, 4)),
        DataType::F64 => Numbers::F64(le!(f64, 8)),
        DataType::String => Numbers::U8(Vec::new()),
    }
}

/// Checks the codec list: `bytes` (+ `zstd`) for numbers, `vlen-utf8`
/// (+ `zstd`) for strings; returns whether there is `zstd`.
fn check_codecs(codecs: Option<&Value>, data_type: DataType) -> Result<bool, String> {
    let codecs = codecs.and_then(Value::as_array).ok_or("codecs is not a list")?;
    let names: Vec<&str> =
        codecs.iter().map(|c| c.get("name").and_then(Value::as_str).unwrap_or("?")).collect();
    if let Some(unknown) = names.iter().find(|n| !matches!(**n, "bytes" | "zstd" | "vlen-utf8")) {
        let hint = if *unknown == "sharding_indexed" {
            " (the store is sharded, as Python's anndata ≥ 0.13 writes zarr v3: write it with `cellmap publish`, which does not shard)"
        } else {
            ""
        };
        return Err(format!("codec '{unknown}' is not supported: cellmap reads {KNOWN_CODECS}{hint}"));
    }
    let first = if data_type == DataType::String { "vlen-utf8" } else { "bytes" };
    let zstd = match names.as_slice() {
        [only] if *only == first => false,
        [head, "zstd"] if *head == first => true,
        _ => {
            return Err(format!(
                "codecs {names:?} are not supported: cellmap reads ['{first}'] or ['{first}', 'zstd']"
            ));
        }
    };
    if let Some(endian) = codecs.first().and_then(|c| c.get("configuration")).and_then(|c| c.get("endian")) {
        if endian.as_str() != Some("little") {
            return Err(format!("{endian} byte order is not supported (only little)"));
        }
    }
    Ok(zstd)
}

fn u64_list(value: Option<&Value>) -> Option<Vec<u64>> {
    value?.as_array()?.iter().map(Value::as_u64).collect()
}

/// A store's metadata from its root `zarr.json` with inline consolidated
/// metadata (`consolidated_metadata.metadata`: node path → metadata), as
/// zarr-python's `consolidate_metadata` writes it.
#[derive(Debug, Clone)]
pub struct Consolidated {
    /// The store's name, for messages.
    pub source: String,
    /// The root group's attributes.
    pub root_attributes: Map<String, Value>,
    nodes: BTreeMap<String, Value>,
}

impl Consolidated {
    /// Parses the root `zarr.json` of `source`.
    pub fn from_root(bytes: &[u8], source: &str) -> Result<Consolidated, Error> {
        let bad = |why: String| zarr_error(source, format!("zarr.json: {why}"));
        let root: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        if root.get("zarr_format").and_then(Value::as_u64) != Some(3) {
            return Err(bad("not a zarr v3 store (zarr_format is not 3)".into()));
        }
        let metadata = root
            .get("consolidated_metadata")
            .and_then(|c| c.get("metadata"))
            .and_then(Value::as_object)
            .ok_or_else(|| {
                bad("no consolidated metadata: a static host cannot list folders, so the store needs it (zarr.consolidate_metadata)".into())
            })?;
        let root_attributes = root.get("attributes").and_then(Value::as_object).cloned().unwrap_or_default();
        let nodes = metadata.iter().map(|(k, v)| (k.trim_matches('/').to_string(), v.clone())).collect();
        Ok(Consolidated { source: source.to_string(), root_attributes, nodes })
    }

    /// Whether the node `path` exists.
    pub fn has(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    /// The metadata of array `path`.
    pub fn array(&self, path: &str) -> Result<ArrayMeta, Error> {
        let value = self.nodes.get(path).ok_or_else(|| {
            zarr_error(&self.source, format!("{path}: not in the store's consolidated metadata"))
        })?;
        ArrayMeta::from_json(path, value, &self.source)
    }

    /// The attributes of node `path` (a group or an array).
    pub fn attributes(&self, path: &str) -> Result<&Map<String, Value>, Error> {
        let value = self.nodes.get(path).ok_or_else(|| {
            zarr_error(&self.source, format!("{path}: not in the store's consolidated metadata"))
        })?;
        value
            .get("attributes")
            .and_then(Value::as_object)
            .ok_or_else(|| zarr_error(&self.source, format!("{path}: no attributes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(data_type: &str, codecs: &str, fill: &str) -> String {
        format!(
            r#"{{"zarr_format":3,"node_type":"array","shape":[5],"data_type":"{data_type}",
            "chunk_grid":{{"name":"regular","configuration":{{"chunk_shape":[3]}}}},
            "chunk_key_encoding":{{"name":"default","configuration":{{"separator":"/"}}}},
            "fill_value":{fill},"codecs":{codecs}}}"#
        )
    }

    const BYTES: &str = r#"[{"name":"bytes","configuration":{"endian":"little"}}]"#;

    #[test]
    fn unknown_codecs_are_refused_by_name() {
        for (codecs, named) in [
            (
                r#"[{"name":"sharding_indexed","configuration":{}}]"#,
                "codec 'sharding_indexed' is not supported",
            ),
            (r#"[{"name":"bytes"},{"name":"blosc"}]"#, "codec 'blosc' is not supported"),
            (r#"[{"name":"transpose"},{"name":"bytes"}]"#, "codec 'transpose' is not supported"),
            (r#"[{"name":"bytes"},{"name":"gzip"}]"#, "codec 'gzip' is not supported"),
            (r#"[{"name":"bytes","configuration":{"endian":"big"}}]"#, "byte order is not supported"),
            (r#"[{"name":"zstd"},{"name":"bytes"}]"#, "are not supported"),
        ] {
            let err =
                ArrayMeta::from_bytes("X/data", meta("int32", codecs, "0").as_bytes(), "s.zarr").unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("s.zarr: X/data: "), "{text}");
            assert!(text.contains(named), "{text}");
        }
        let text = ArrayMeta::from_bytes(
            "a",
            meta("int32", r#"[{"name":"sharding_indexed"}]"#, "0").as_bytes(),
            "s",
        )
        .unwrap_err()
        .to_string();
        assert!(text.contains("sharded"), "{text}");
    }

    #[test]
    fn missing_chunks_read_as_the_fill_value() {
        let array = ArrayMeta::from_bytes("a", meta("float32", BYTES, "\"NaN\"").as_bytes(), "s").unwrap();
        let Numbers::F32(v) = array.decode(None).unwrap() else { panic!("float32") };
        assert!(v.len() == 3 && v.iter().all(|x| x.is_nan()));
        let array = ArrayMeta::from_bytes("a", meta("int64", BYTES, "7").as_bytes(), "s").unwrap();
        assert_eq!(array.decode(None).unwrap(), Numbers::I64(vec![7; 3]));
        let strings =
            ArrayMeta::from_bytes("a", meta("string", r#"[{"name":"vlen-utf8"}]"#, "\"\"").as_bytes(), "s")
                .unwrap();
        assert_eq!(strings.decode_strings(None, None).unwrap(), ["", "", ""]);
    }

    #[test]
    fn vlen_utf8_chunks_and_their_damage() {
        let array = ArrayMeta::from_bytes(
            "var/_index",
            meta("string", r#"[{"name":"vlen-utf8"}]"#, "\"\"").as_bytes(),
            "s",
        )
        .unwrap();
        let mut chunk = 3u32.to_le_bytes().to_vec();
        for item in ["Actb", "", "Sox2µ"] {
            chunk.extend((item.len() as u32).to_le_bytes());
            chunk.extend(item.as_bytes());
        }
        assert_eq!(array.decode_strings(Some(&chunk), Some(&[0])).unwrap(), ["Actb", "", "Sox2µ"]);
        let err = array.decode_strings(Some(&chunk[..chunk.len() - 2]), Some(&[1])).unwrap_err().to_string();
        assert_eq!(err, "s: var/_index/c/1: bad vlen-utf8 chunk: truncated");
        let mut wrong_count = chunk.clone();
        wrong_count[0] = 2;
        assert!(array.decode_strings(Some(&wrong_count), None).is_err());
    }

    #[test]
    fn chunks_of_the_wrong_size_are_errors() {
        let array = ArrayMeta::from_bytes("a", meta("int32", BYTES, "0").as_bytes(), "s").unwrap();
        let err = array.decode_at(Some(&[0u8; 8]), Some(&[1])).unwrap_err().to_string();
        assert_eq!(err, "s: a/c/1: the chunk holds 8 bytes, expected 12 (3 elements)");
        let huge = r#"{"zarr_format":3,"node_type":"array","shape":[1000000000],"data_type":"int32",
            "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[1000000000]}},
            "chunk_key_encoding":{"name":"default"},"fill_value":0,"codecs":[{"name":"bytes"}]}"#;
        assert!(
            ArrayMeta::from_bytes("a", huge.as_bytes(), "s")
                .unwrap_err()
                .to_string()
                .contains("above the limit")
        );
    }
}
