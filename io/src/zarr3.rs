//! A Zarr v3 writer for stores that are read lazily over HTTP: groups, numeric arrays and
//! `vlen-utf8` string arrays, every chunk encoded `bytes` (little-endian) + `zstd`, no sharding,
//! and the whole hierarchy's metadata consolidated inline into the root `zarr.json`, written
//! last (zarr-python's extension, which static hosts without directory listings need).
//!
//! Node metadata is written as each node is declared, so a reader never finds a chunk whose array
//! has no `zarr.json`; [`Zarr3Writer::finish`] then writes the root. Chunks may be written from
//! several threads at once ([`Zarr3Writer::chunk`] takes `&self`).
//!
//! ```
//! use cellmap_io::zarr3::{ArraySpec, MemStore, Zarr3Writer};
//! let store = MemStore::default();
//! let writer = Zarr3Writer::new(&store, "demo.zarr");
//! writer.group("cells", serde_json::json!({"kind": "demo"}))?;
//! writer.array_1d("cells/id", &[1i32, 2, 3], 2, serde_json::json!({}))?;
//! writer.finish(serde_json::json!({}))?;
//! let keys: Vec<String> = store.keys();
//! assert_eq!(keys, ["cells/id/c/0", "cells/id/c/1", "cells/id/zarr.json", "cells/zarr.json", "zarr.json"]);
//! let root: serde_json::Value = serde_json::from_slice(&store.get("zarr.json").unwrap())?;
//! assert_eq!(root["consolidated_metadata"]["metadata"]["cells/id"]["shape"], serde_json::json!([3]));
//! # let _ = ArraySpec::new(vec![1], vec![1], "int32");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind};
use crate::npy::Element;

/// The zstd level of every chunk (zarr-python's default).
pub const ZSTD_LEVEL: i32 = 3;

/// Where a store's keys go. `put` may be called from several threads at once.
pub trait Store: Sync {
    /// Writes the object `key` (`"labels/cells/s0/c/0/1"`) with the bytes `value`.
    fn put(&self, key: &str, value: &[u8]) -> std::io::Result<()>;

    /// Writes the object `key` with what `write` writes (a large object that is not a chunk,
    /// e.g. a Parquet file). By default buffered in memory, then [`put`](Store::put).
    fn put_stream(
        &self,
        key: &str,
        write: &mut dyn FnMut(&mut (dyn std::io::Write + Send)) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        self.put(key, &bytes)
    }
}

/// A store in a folder on disk: keys become files and subfolders.
#[derive(Debug, Clone)]
pub struct DirStore(pub PathBuf);

impl Store for DirStore {
    fn put(&self, key: &str, value: &[u8]) -> std::io::Result<()> {
        let path = self.0.join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, value)
    }

    fn put_stream(
        &self,
        key: &str,
        write: &mut dyn FnMut(&mut (dyn std::io::Write + Send)) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let path = self.0.join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        write(&mut file)?;
        std::io::Write::flush(&mut file)
    }
}

/// A store in memory (for tests): key → bytes.
#[derive(Debug, Default)]
pub struct MemStore(Mutex<BTreeMap<String, Vec<u8>>>);

impl MemStore {
    /// The keys written, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// The bytes of `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned()
    }
}

impl Store for MemStore {
    fn put(&self, key: &str, value: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(key.to_string(), value.to_vec());
        Ok(())
    }
}

/// The Zarr v3 `data_type` of a numeric [`Element`] (by its numpy `descr`).
pub fn data_type<T: Element>() -> &'static str {
    match T::DESCR {
        "|b1" => "bool",
        "|i1" => "int8",
        "|u1" => "uint8",
        "<i2" => "int16",
        "<u2" => "uint16",
        "<i4" => "int32",
        "<u4" => "uint32",
        "<i8" => "int64",
        "<u8" => "uint64",
        "<f4" => "float32",
        _ => "float64",
    }
}

/// What an array's `zarr.json` says: shape, chunk shape, data type, dimension names and
/// attributes (the codecs are always `bytes` + `zstd`, or `vlen-utf8` + `zstd` for strings).
#[derive(Debug, Clone, PartialEq)]
pub struct ArraySpec {
    /// Elements along each dimension (empty: a 0-d array).
    pub shape: Vec<u64>,
    /// Elements of one chunk along each dimension (as many as `shape`).
    pub chunk_shape: Vec<u64>,
    /// `int32`, `float32`, ..., or `string`.
    pub data_type: &'static str,
    /// Names of the dimensions, if any.
    pub dimension_names: Option<Vec<String>>,
    /// The array's attributes (a JSON object).
    pub attributes: Value,
}

impl ArraySpec {
    /// An array without dimension names or attributes.
    pub fn new(shape: Vec<u64>, chunk_shape: Vec<u64>, data_type: &'static str) -> Self {
        Self { shape, chunk_shape, data_type, dimension_names: None, attributes: json!({}) }
    }

    /// Elements of one chunk.
    pub fn chunk_len(&self) -> usize {
        self.chunk_shape.iter().map(|&d| d as usize).product()
    }

    fn fill_value(&self) -> Value {
        match self.data_type {
            "string" => json!(""),
            "bool" => json!(false),
            "float32" | "float64" => json!(0.0),
            _ => json!(0),
        }
    }

    /// The `zarr.json` of the array.
    pub fn metadata(&self) -> Value {
        let first = if self.data_type == "string" {
            json!({"name": "vlen-utf8"})
        } else {
            json!({"name": "bytes", "configuration": {"endian": "little"}})
        };
        let mut node = json!({
            "zarr_format": 3,
            "node_type": "array",
            "shape": self.shape,
            "data_type": self.data_type,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": self.chunk_shape}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "fill_value": self.fill_value(),
            "codecs": [first, {"name": "zstd", "configuration": {"level": ZSTD_LEVEL, "checksum": false}}],
            "attributes": self.attributes,
        });
        if let Some(names) = &self.dimension_names {
            node["dimension_names"] = json!(names);
        }
        node
    }
}

/// The key of chunk `coords` of the array at `path` (`path/c/i/j`, `path/c` for a 0-d array).
pub fn chunk_key(path: &str, coords: &[u64]) -> String {
    let mut key = format!("{path}/c");
    for c in coords {
        key.push('/');
        key.push_str(&c.to_string());
    }
    key
}

/// Writes a Zarr v3 hierarchy into a [`Store`]; `dest` names the store in errors.
#[derive(Debug)]
pub struct Zarr3Writer<'a, S: Store + ?Sized> {
    store: &'a S,
    dest: String,
    /// Every node's metadata by path, for the consolidated metadata.
    nodes: Mutex<BTreeMap<String, Value>>,
}

impl<'a, S: Store + ?Sized> Zarr3Writer<'a, S> {
    /// A writer into `store`.
    pub fn new(store: &'a S, dest: &str) -> Self {
        Self { store, dest: dest.to_string(), nodes: Mutex::new(BTreeMap::new()) }
    }

    fn error(&self, key: &str, error: std::io::Error) -> Error {
        Error::new(format!("{}/{key}", self.dest), ErrorKind::Io(error))
    }

    fn put(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        self.store.put(key, value).map_err(|e| self.error(key, e))
    }

    fn node(&self, path: &str, metadata: Value) -> Result<(), Error> {
        let text = serde_json::to_vec(&metadata).map_err(|e| self.error(path, e.into()))?;
        self.put(&format!("{path}/zarr.json"), &text)?;
        self.nodes.lock().unwrap_or_else(|e| e.into_inner()).insert(path.to_string(), metadata);
        Ok(())
    }

    /// The group at `path` (not the root: see [`finish`](Self::finish)) with `attributes`.
    pub fn group(&self, path: &str, attributes: Value) -> Result<(), Error> {
        self.node(path, json!({"zarr_format": 3, "node_type": "group", "attributes": attributes}))
    }

    /// Writes the object `key` (not a Zarr node: e.g. a Parquet file inside a group) with what
    /// `write` writes.
    pub fn object(
        &self,
        key: &str,
        write: &mut dyn FnMut(&mut (dyn std::io::Write + Send)) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        self.store.put_stream(key, write).map_err(|e| self.error(key, e))
    }

    /// Declares the array at `path`: writes its `zarr.json`. Chunks follow with [`chunk`](Self::chunk).
    pub fn array(&self, path: &str, spec: &ArraySpec) -> Result<(), Error> {
        if spec.shape.len() != spec.chunk_shape.len() || spec.chunk_shape.contains(&0) {
            return Err(Error::new(
                format!("{}/{path}", self.dest),
                ErrorKind::Header(format!("chunk shape {:?} for shape {:?}", spec.chunk_shape, spec.shape)),
            ));
        }
        self.node(path, spec.metadata())
    }

    fn compress(&self, key: &str, raw: &[u8]) -> Result<Vec<u8>, Error> {
        zstd::bulk::compress(raw, ZSTD_LEVEL).map_err(|e| self.error(key, e))
    }

    /// Writes chunk `coords` of the numeric array at `path`: `data` holds the chunk's
    /// elements in C order, padded to the full chunk shape (edge chunks included).
    pub fn chunk<T: Element>(&self, path: &str, coords: &[u64], data: &[T]) -> Result<(), Error> {
        let key = chunk_key(path, coords);
        let mut raw = Vec::with_capacity(std::mem::size_of_val(data));
        T::write_le(data, &mut raw).map_err(|e| self.error(&key, e))?;
        let encoded = self.compress(&key, &raw)?;
        self.put(&key, &encoded)
    }

    /// Writes chunk `coords` of the string array at `path` (`vlen-utf8`: a little-endian u32
    /// count, then a u32 length and the UTF-8 bytes of each item), padded with empty strings
    /// to `chunk_len` items.
    pub fn string_chunk(
        &self,
        path: &str,
        coords: &[u64],
        items: &[&str],
        chunk_len: usize,
    ) -> Result<(), Error> {
        let key = chunk_key(path, coords);
        let count = items.len().max(chunk_len);
        let bytes: usize = items.iter().map(|s| s.len() + 4).sum();
        let mut raw = Vec::with_capacity(4 + bytes + 4 * (count - items.len()));
        let too_long = || self.error(&key, std::io::Error::other("a string chunk over 4 GiB"));
        raw.extend_from_slice(&u32::try_from(count).map_err(|_| too_long())?.to_le_bytes());
        for item in items {
            raw.extend_from_slice(&u32::try_from(item.len()).map_err(|_| too_long())?.to_le_bytes());
            raw.extend_from_slice(item.as_bytes());
        }
        for _ in items.len()..count {
            raw.extend_from_slice(&0u32.to_le_bytes());
        }
        let encoded = self.compress(&key, &raw)?;
        self.put(&key, &encoded)
    }

    /// A whole 1-d numeric array at `path`, in chunks of `chunk_len` elements (the last padded
    /// with zeros), with `attributes`.
    pub fn array_1d<T: Element + Default>(
        &self,
        path: &str,
        data: &[T],
        chunk_len: usize,
        attributes: Value,
    ) -> Result<(), Error> {
        let chunk_len = chunk_len.max(1);
        let spec = ArraySpec {
            attributes,
            ..ArraySpec::new(vec![data.len() as u64], vec![chunk_len as u64], data_type::<T>())
        };
        self.array(path, &spec)?;
        let mut padded = Vec::new();
        for (k, part) in data.chunks(chunk_len).enumerate() {
            let full = if part.len() == chunk_len {
                part
            } else {
                padded.clear();
                padded.extend_from_slice(part);
                padded.resize(chunk_len, T::default());
                &padded
            };
            self.chunk(path, &[k as u64], full)?;
        }
        Ok(())
    }

    /// A whole 2-d numeric array of `rows × cols` elements (C order) at `path`, in chunks of
    /// `chunk_rows` whole rows, with `attributes`.
    pub fn array_2d<T: Element + Default>(
        &self,
        path: &str,
        data: &[T],
        cols: usize,
        chunk_rows: usize,
        attributes: Value,
    ) -> Result<(), Error> {
        let (cols, chunk_rows) = (cols.max(1), chunk_rows.max(1));
        let rows = data.len() / cols;
        let spec = ArraySpec {
            attributes,
            ..ArraySpec::new(
                vec![rows as u64, cols as u64],
                vec![chunk_rows as u64, cols as u64],
                data_type::<T>(),
            )
        };
        self.array(path, &spec)?;
        let per_chunk = chunk_rows * cols;
        let mut padded = Vec::new();
        for (k, part) in data.chunks(per_chunk).enumerate() {
            let full = if part.len() == per_chunk {
                part
            } else {
                padded.clear();
                padded.extend_from_slice(part);
                padded.resize(per_chunk, T::default());
                &padded
            };
            self.chunk(path, &[k as u64, 0], full)?;
        }
        Ok(())
    }

    /// A whole 1-d string array at `path`, in chunks of `chunk_len` items, with `attributes`.
    pub fn strings_1d<I: AsRef<str>>(
        &self,
        path: &str,
        items: &[I],
        chunk_len: usize,
        attributes: Value,
    ) -> Result<(), Error> {
        let chunk_len = chunk_len.max(1);
        let spec = ArraySpec {
            attributes,
            ..ArraySpec::new(vec![items.len() as u64], vec![chunk_len as u64], "string")
        };
        self.array(path, &spec)?;
        for (k, part) in items.chunks(chunk_len).enumerate() {
            let part: Vec<&str> = part.iter().map(AsRef::as_ref).collect();
            self.string_chunk(path, &[k as u64], &part, chunk_len)?;
        }
        Ok(())
    }

    /// A 0-d string array (a scalar) at `path`, with `attributes`.
    pub fn string_scalar(&self, path: &str, value: &str, attributes: Value) -> Result<(), Error> {
        let spec = ArraySpec { attributes, ..ArraySpec::new(Vec::new(), Vec::new(), "string") };
        self.array(path, &spec)?;
        self.string_chunk(path, &[], &[value], 1)
    }

    /// Writes the root group with `attributes` and every node's metadata consolidated inline
    /// (the last key written: a reader that finds it finds a complete store).
    pub fn finish(self, attributes: Value) -> Result<(), Error> {
        let nodes = self.nodes.into_inner().unwrap_or_else(|e| e.into_inner());
        let root = json!({
            "zarr_format": 3,
            "node_type": "group",
            "attributes": attributes,
            "consolidated_metadata": {"kind": "inline", "must_understand": false, "metadata": nodes},
        });
        let text = serde_json::to_vec(&root).map_err(|e| Error::new(&self.dest, ErrorKind::Io(e.into())))?;
        self.store
            .put("zarr.json", &text)
            .map_err(|e| Error::new(format!("{}/zarr.json", self.dest), ErrorKind::Io(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Vec<u8> {
        zstd::stream::decode_all(bytes).unwrap()
    }

    #[test]
    fn chunks_are_little_endian_zstd_frames_padded_to_the_chunk() {
        let store = MemStore::default();
        let writer = Zarr3Writer::new(&store, "t.zarr");
        writer.array_1d("a", &[1i32, -2, 3], 2, json!({"x": 1})).unwrap();
        assert_eq!(decode(&store.get("a/c/0").unwrap()), [1, 0, 0, 0, 254, 255, 255, 255]);
        assert_eq!(decode(&store.get("a/c/1").unwrap()), [3, 0, 0, 0, 0, 0, 0, 0]);
        let meta: Value = serde_json::from_slice(&store.get("a/zarr.json").unwrap()).unwrap();
        assert_eq!(meta["data_type"], "int32");
        assert_eq!(meta["chunk_grid"]["configuration"]["chunk_shape"], json!([2]));
        assert_eq!(meta["attributes"], json!({"x": 1}));
        writer.array_2d("b", &[1.5f32, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 2, json!({})).unwrap();
        let b1 = decode(&store.get("b/c/1/0").unwrap());
        assert_eq!(b1.len(), 16);
        assert_eq!(&b1[..4], &5.0f32.to_le_bytes());
        assert_eq!(&b1[8..], &[0; 8]);
    }

    #[test]
    fn strings_are_vlen_utf8_with_a_count() {
        let store = MemStore::default();
        let writer = Zarr3Writer::new(&store, "t.zarr");
        writer.strings_1d("s", &["ab", "é"], 3, json!({})).unwrap();
        let raw = decode(&store.get("s/c/0").unwrap());
        let want: Vec<u8> = [
            &3u32.to_le_bytes()[..],
            &2u32.to_le_bytes(),
            b"ab",
            &2u32.to_le_bytes(),
            "é".as_bytes(),
            &0u32.to_le_bytes(),
        ]
        .concat();
        assert_eq!(raw, want);
        writer.string_scalar("k", "cells", json!({})).unwrap();
        let raw = decode(&store.get("k/c").unwrap());
        assert_eq!(raw, [&1u32.to_le_bytes()[..], &5u32.to_le_bytes(), b"cells"].concat());
        let meta: Value = serde_json::from_slice(&store.get("k/zarr.json").unwrap()).unwrap();
        assert_eq!(meta["shape"], json!([]));
        assert_eq!(meta["fill_value"], "");
        assert_eq!(meta["codecs"][0]["name"], "vlen-utf8");
    }

    #[test]
    fn the_root_consolidates_every_node_and_comes_last() {
        let store = MemStore::default();
        let writer = Zarr3Writer::new(&store, "t.zarr");
        writer.group("g", json!({"a": 1})).unwrap();
        writer.array_1d("g/x", &[1u8], 4, json!({})).unwrap();
        assert!(store.get("zarr.json").is_none());
        writer.finish(json!({"r": true})).unwrap();
        let root: Value = serde_json::from_slice(&store.get("zarr.json").unwrap()).unwrap();
        let nodes = &root["consolidated_metadata"]["metadata"];
        assert_eq!(nodes["g"]["attributes"], json!({"a": 1}));
        assert_eq!(nodes["g/x"]["data_type"], "uint8");
        assert_eq!(root["attributes"], json!({"r": true}));
    }

    #[test]
    fn a_chunk_shape_must_fit_the_shape() {
        let store = MemStore::default();
        let writer = Zarr3Writer::new(&store, "t.zarr");
        assert!(writer.array("a", &ArraySpec::new(vec![4], vec![], "int32")).is_err());
        assert!(writer.array("a", &ArraySpec::new(vec![4], vec![0], "int32")).is_err());
        assert!(store.keys().is_empty());
    }
}
