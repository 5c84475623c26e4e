//! A minimal zarr v2 writer: groups, numeric arrays and `vlen-utf8` string
//! arrays, uncompressed, as `zarr-python` (2 and 3) reads them.
//!
//! Keys are `/`-separated paths inside the store; every chunk is stored
//! whole (zarr v2 pads the last chunk of an array to the chunk shape).

use std::io::Write;
use std::path::PathBuf;

use crate::error::{Error, ErrorKind};
use crate::npy::Element;

/// The most elements of one chunk (8 MB of `f64`).
pub const CHUNK_ELEMENTS: usize = 1 << 20;

/// Where a store's keys go: a folder, a staged output folder, memory.
pub trait Sink {
    /// Writes the object `key` (`"obs/_index/0"`) with `body`.
    fn put(
        &mut self,
        key: &str,
        body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()>;
}

/// A store in a folder on disk (keys become files and subfolders).
#[derive(Debug, Clone)]
pub struct DirSink(pub PathBuf);

impl Sink for DirSink {
    fn put(
        &mut self,
        key: &str,
        body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let path = self.0.join(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        body(&mut w)?;
        w.flush()
    }
}

/// A store in memory: `(key, bytes)` in the order written (for tests).
#[derive(Debug, Clone, Default)]
pub struct MemSink(pub Vec<(String, Vec<u8>)>);

impl Sink for MemSink {
    fn put(
        &mut self,
        key: &str,
        body: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut bytes = Vec::new();
        body(&mut bytes)?;
        self.0.push((key.to_string(), bytes));
        Ok(())
    }
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_list(items: &[usize]) -> String {
    let items: Vec<String> = items.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// Writes zarr v2 groups and arrays into a [`Sink`]; `dest` names the
/// store in errors.
#[derive(Debug)]
pub struct ZarrWriter<S: Sink> {
    sink: S,
    dest: String,
}

impl<S: Sink> ZarrWriter<S> {
    /// A writer into `sink`.
    pub fn new(sink: S, dest: &str) -> Self {
        Self { sink, dest: dest.to_string() }
    }

    /// The sink back.
    pub fn into_inner(self) -> S {
        self.sink
    }

    fn put(
        &mut self,
        key: &str,
        mut body: impl FnMut(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        self.sink
            .put(key, &mut body)
            .map_err(|e| Error::new(format!("{}/{key}", self.dest), ErrorKind::Io(e)))
    }

    fn text(&mut self, key: &str, text: &str) -> Result<(), Error> {
        self.put(key, |w| w.write_all(text.as_bytes()))
    }

    fn key(path: &str, name: &str) -> String {
        if path.is_empty() { name.to_string() } else { format!("{path}/{name}") }
    }

    /// A group at `path` (`""`: the root) with attributes `attrs` (a JSON object).
    pub fn group(&mut self, path: &str, attrs: &str) -> Result<(), Error> {
        self.text(&Self::key(path, ".zgroup"), "{\"zarr_format\": 2}\n")?;
        self.text(&Self::key(path, ".zattrs"), &format!("{attrs}\n"))
    }

    /// `.zarray` and `.zattrs` of an array; `kind` = (dtype, fill value, filters) as JSON.
    fn metadata(
        &mut self,
        path: &str,
        shape: &[usize],
        chunks: &[usize],
        kind: (&str, &str, &str),
        attrs: &str,
    ) -> Result<(), Error> {
        let (dtype, fill, filters) = kind;
        let zarray = format!(
            "{{\"chunks\": {}, \"compressor\": null, \"dimension_separator\": \".\", \"dtype\": {}, \
             \"fill_value\": {fill}, \"filters\": {filters}, \"order\": \"C\", \"shape\": {}, \"zarr_format\": 2}}\n",
            json_list(chunks),
            json_string(dtype),
            json_list(shape)
        );
        self.text(&Self::key(path, ".zarray"), &zarray)?;
        self.text(&Self::key(path, ".zattrs"), &format!("{attrs}\n"))
    }

    /// Chunk rows and the number of chunks of a `shape` (1-d or 2-d) array.
    fn chunking(shape: &[usize]) -> (usize, usize) {
        let rows = shape[0];
        let cols: usize = shape[1..].iter().product();
        let chunk_rows = (CHUNK_ELEMENTS / cols.max(1)).clamp(1, rows.max(1));
        let n_chunks = if rows == 0 || cols == 0 { 0 } else { rows.div_ceil(chunk_rows) };
        (chunk_rows, n_chunks)
    }

    fn chunk_key(path: &str, index: usize, dims: usize) -> String {
        let tail = ".0".repeat(dims - 1);
        Self::key(path, &format!("{index}{tail}"))
    }

    /// A numeric array at `path` of `shape` (1-d or 2-d, C order), chunked
    /// by rows, with attributes `attrs` (a JSON object).
    pub fn array<T: Element>(
        &mut self,
        path: &str,
        shape: &[usize],
        data: &[T],
        attrs: &str,
    ) -> Result<(), Error> {
        let elements = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if shape.is_empty() || shape.len() > 2 || elements != Some(data.len()) {
            return Err(Error::new(
                format!("{}/{path}", self.dest),
                ErrorKind::Header(format!("{} values for shape {shape:?}", data.len())),
            ));
        }
        let (chunk_rows, n_chunks) = Self::chunking(shape);
        let cols: usize = shape[1..].iter().product();
        let mut chunks = vec![chunk_rows];
        chunks.extend(shape[1..].iter().map(|&d| d.max(1)));
        let fill = if T::DESCR.contains('f') {
            "0.0"
        } else if T::DESCR == "|b1" {
            "false"
        } else {
            "0"
        };
        self.metadata(path, shape, &chunks, (T::DESCR, fill, "null"), attrs)?;
        let per_chunk = chunk_rows * cols;
        for c in 0..n_chunks {
            let part = &data[c * per_chunk..((c + 1) * per_chunk).min(data.len())];
            let pad = (per_chunk - part.len()) * size_of::<T>();
            self.put(&Self::chunk_key(path, c, shape.len()), |w| {
                T::write_le(part, w)?;
                w.write_all(&vec![0u8; pad])
            })?;
        }
        Ok(())
    }

    /// A 1-d array of UTF-8 strings at `path` (`dtype |O`, the `vlen-utf8`
    /// filter), with attributes `attrs`.
    pub fn strings<T: AsRef<str>>(&mut self, path: &str, values: &[T], attrs: &str) -> Result<(), Error> {
        let (chunk_rows, n_chunks) = Self::chunking(&[values.len()]);
        self.metadata(
            path,
            &[values.len()],
            &[chunk_rows],
            ("|O", "\"\"", r#"[{"id": "vlen-utf8"}]"#),
            attrs,
        )?;
        for c in 0..n_chunks {
            let part = &values[c * chunk_rows..((c + 1) * chunk_rows).min(values.len())];
            let pad = chunk_rows - part.len();
            let too_long = |_| std::io::Error::other("a string of 4 GiB or more");
            self.put(&Self::chunk_key(path, c, 1), |w| {
                w.write_all(&u32::try_from(chunk_rows).map_err(too_long)?.to_le_bytes())?;
                for s in part {
                    let s = s.as_ref().as_bytes();
                    w.write_all(&u32::try_from(s.len()).map_err(too_long)?.to_le_bytes())?;
                    w.write_all(s)?;
                }
                (0..pad).try_for_each(|_| w.write_all(&0u32.to_le_bytes()))
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(sink: &'a MemSink, key: &str) -> &'a [u8] {
        &sink.0.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("no {key}")).1
    }

    #[test]
    fn arrays_are_chunked_by_rows_and_padded() {
        let mut z = ZarrWriter::new(MemSink::default(), "t.zarr");
        let rows = CHUNK_ELEMENTS / 4 + 1;
        let data: Vec<i32> = (0..rows as i32 * 4).collect();
        z.array("a", &[rows, 4], &data, "{}").unwrap();
        z.strings("s", &["é", "b"], "{}").unwrap();
        z.array::<f64>("e", &[0, 3], &[], "{}").unwrap();
        let sink = z.into_inner();
        let meta = String::from_utf8(get(&sink, "a/.zarray").to_vec()).unwrap();
        assert!(meta.contains(&format!("\"chunks\": [{}, 4]", CHUNK_ELEMENTS / 4)), "{meta}");
        assert_eq!(get(&sink, "a/0.0").len(), CHUNK_ELEMENTS * 4);
        let last = get(&sink, "a/1.0");
        assert_eq!(last.len(), CHUNK_ELEMENTS * 4);
        assert_eq!(&last[..4], &(CHUNK_ELEMENTS as i32).to_le_bytes());
        assert!(last[16..].iter().all(|&b| b == 0));
        assert_eq!(get(&sink, "s/0"), b"\x02\0\0\0\x02\0\0\0\xc3\xa9\x01\0\0\0b");
        assert!(!sink.0.iter().any(|(k, _)| k.starts_with("e/0")));
        assert_eq!(json_string("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
