//! Xenium `cells.zarr.zip`: a zip of a zarr group whose `masks/0` (nuclei)
//! and `masks/1` (cells) arrays are label images. [`read_zarr_labels`]
//! reads `masks/1`.
//!
//! Supported: zarr v2 (`.zarray`: `compressor` null, `zlib` or `gzip`, no
//! filters, C order) and zarr v3 (`zarr.json`: codecs `bytes` then
//! optionally `gzip`; default or v2 chunk keys), regular chunks, fill value
//! 0. Other codecs (Blosc, Zstd, LZ4, ...) are refused with a message naming
//! them.

use std::io::{Read, Seek};

use flate2::read::{GzDecoder, ZlibDecoder};
use zip::ZipArchive;

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::npy::{self, Array, Header};

/// The array a `cells.zarr.zip` label image is read from (cells; `masks/0`
/// holds the nuclei).
pub const CELLS_ARRAY: &str = "masks/1";

/// `true` when the archive holds zarr metadata (`.zgroup`, `.zarray` or `zarr.json`).
pub fn is_zarr<R: Read + Seek>(archive: &ZipArchive<R>) -> bool {
    archive.file_names().any(|n| {
        let base = n.rsplit('/').next().unwrap_or(n);
        matches!(base, ".zgroup" | ".zarray" | "zarr.json")
    })
}

fn err(source: &str, why: String) -> Error {
    Error::new(source, ErrorKind::Image(format!("zarr {CELLS_ARRAY}: {why}")))
}

enum Codec {
    None,
    Zlib,
    Gzip,
}

/// Reads the `masks/1` label array of a `cells.zarr.zip` archive.
pub fn read_zarr_labels<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    source: &str,
    limits: &Limits,
) -> Result<Array, Error> {
    let e = |why: String| err(source, why);
    let names: Vec<String> = archive.file_names().map(str::to_string).collect();
    let meta_name = names
        .iter()
        .filter(|n| {
            n.ends_with(&format!("{CELLS_ARRAY}/.zarray")) || n.ends_with(&format!("{CELLS_ARRAY}/zarr.json"))
        })
        .min_by_key(|n| n.len())
        .ok_or_else(|| {
            e("no such array in the archive (a Xenium cells.zarr.zip has masks/0 and masks/1)".into())
        })?
        .clone();
    let dir = &meta_name[..meta_name.rfind('/').map_or(0, |i| i + 1)];
    let meta_text = read_member(archive, &meta_name, 1 << 20, source)?;
    let meta =
        Json::parse(&String::from_utf8_lossy(&meta_text)).map_err(|why| e(format!("bad metadata: {why}")))?;
    let dims = |key: &str, v: Option<&Json>| -> Result<Vec<usize>, Error> {
        v.and_then(Json::as_array)
            .and_then(|a| a.iter().map(Json::as_usize).collect::<Option<Vec<_>>>())
            .ok_or_else(|| e(format!("metadata has no {key}")))
    };
    let v3 = meta_name.ends_with("zarr.json");
    let shape = dims("shape", meta.get("shape"))?;
    let (descr, chunks, codec, separator, v2_keys) = if v3 {
        let descr = match meta.get("data_type").and_then(Json::as_str) {
            Some("bool") => "|b1",
            Some("uint8") => "|u1",
            Some("int8") => "|i1",
            Some("uint16") => "u2",
            Some("int16") => "i2",
            Some("uint32") => "u4",
            Some("int32") => "i4",
            Some("uint64") => "u8",
            Some("int64") => "i8",
            Some("float32") => "f4",
            Some("float64") => "f8",
            other => return Err(e(format!("data type {other:?} is not a label type"))),
        };
        let chunks = dims(
            "chunk_shape",
            meta.get("chunk_grid").and_then(|g| g.get("configuration")).and_then(|c| c.get("chunk_shape")),
        )?;
        let mut big = false;
        let mut codec = Codec::None;
        for c in meta.get("codecs").and_then(Json::as_array).unwrap_or(&[]) {
            match c.get("name").and_then(Json::as_str) {
                Some("bytes") => {
                    big = c.get("configuration").and_then(|c| c.get("endian")).and_then(Json::as_str)
                        == Some("big")
                }
                Some("gzip") => codec = Codec::Gzip,
                other => {
                    return Err(e(format!(
                        "codec {:?} is not supported (bytes and gzip are; rewrite the store with gzip)",
                        other.unwrap_or("?")
                    )));
                }
            }
        }
        let descr = if descr.starts_with('|') {
            descr.to_string()
        } else {
            format!("{}{descr}", if big { '>' } else { '<' })
        };
        let key = meta.get("chunk_key_encoding");
        let v2_keys = key.and_then(|k| k.get("name")).and_then(Json::as_str) == Some("v2");
        let sep =
            key.and_then(|k| k.get("configuration")).and_then(|c| c.get("separator")).and_then(Json::as_str);
        (descr, chunks, codec, sep.unwrap_or(if v2_keys { "." } else { "/" }).to_string(), v2_keys)
    } else {
        let descr =
            meta.get("dtype").and_then(Json::as_str).ok_or_else(|| e("metadata has no dtype".into()))?;
        if meta.get("order").and_then(Json::as_str) == Some("F") {
            return Err(e("Fortran-order chunks are not supported".into()));
        }
        if meta
            .get("filters")
            .is_some_and(|f| !matches!(f, Json::Null) && f.as_array().is_none_or(|a| !a.is_empty()))
        {
            return Err(e("zarr filters are not supported".into()));
        }
        let codec = match meta.get("compressor") {
            None | Some(Json::Null) => Codec::None,
            Some(c) => match c.get("id").and_then(Json::as_str) {
                Some("zlib") => Codec::Zlib,
                Some("gzip") => Codec::Gzip,
                other => {
                    return Err(e(format!(
                        "compressor {:?} is not supported (zlib and gzip are; rewrite the store with zlib)",
                        other.unwrap_or("?")
                    )));
                }
            },
        };
        let sep = meta.get("dimension_separator").and_then(Json::as_str).unwrap_or(".").to_string();
        (descr.to_string(), dims("chunks", meta.get("chunks"))?, codec, sep, true)
    };
    match meta.get("fill_value") {
        None | Some(Json::Null) => {}
        Some(Json::Num(v)) if *v == 0.0 => {}
        Some(Json::Bool(false)) => {}
        Some(other) => return Err(e(format!("fill value {other:?} is not supported (0 is)"))),
    }
    let (dtype, big_endian) = npy::parse_descr(&descr).map_err(|k| Error::new(source, k))?;
    let (&[height, width], &[ch, cw]) = (&shape[..], &chunks[..]) else {
        return Err(e(format!(
            "expected a 2-D array with 2-D chunks, got shape {shape:?} chunks {chunks:?}"
        )));
    };
    if ch == 0 || cw == 0 {
        return Err(e("zero-sized chunks".into()));
    }
    let item = dtype.item_size();
    let total = (height as u128) * (width as u128) * item as u128;
    let what = || format!("{source}: label image of {width}×{height} pixels");
    // The assembled bytes, their decoded copy, and one chunk.
    let chunk_bytes = (ch as u128) * (cw as u128) * item as u128;
    limits
        .memory
        .check(what, total * 2 + chunk_bytes)
        .map_err(|o| Error::new(source, ErrorKind::OverBudget(Box::new(o))))?;
    if total > u128::from(limits.max_array_bytes) || chunk_bytes > u128::from(limits.max_array_bytes) {
        return Err(e(format!("array of {total} bytes is over the limit of {}", limits.max_array_bytes)));
    }
    let (total, chunk_bytes) = (total as usize, chunk_bytes as usize);
    let mut out = vec![0u8; total];
    for ci in 0..height.div_ceil(ch) {
        for cj in 0..width.div_ceil(cw) {
            let key = if v2_keys {
                format!("{ci}{separator}{cj}")
            } else {
                format!("c{separator}{ci}{separator}{cj}")
            };
            let name = format!("{dir}{key}");
            if archive.index_for_name(&name).is_none() {
                continue; // fill value
            }
            let raw = read_member(archive, &name, chunk_bytes as u64 * 1100 + 1024, source)?;
            let chunk = match codec {
                Codec::None => raw,
                Codec::Zlib => inflate(ZlibDecoder::new(&raw[..]), chunk_bytes, source, &name)?,
                Codec::Gzip => inflate(GzDecoder::new(&raw[..]), chunk_bytes, source, &name)?,
            };
            if chunk.len() != chunk_bytes {
                return Err(err(
                    source,
                    format!("chunk {name} holds {} bytes, expected {chunk_bytes}", chunk.len()),
                ));
            }
            let rows = ch.min(height - ci * ch);
            let cols = cw.min(width - cj * cw);
            for r in 0..rows {
                let src = &chunk[r * cw * item..(r * cw + cols) * item];
                let at = ((ci * ch + r) * width + cj * cw) * item;
                out[at..at + cols * item].copy_from_slice(src);
            }
        }
    }
    let header =
        Header { dtype, big_endian, fortran_order: false, shape: vec![height, width], data_offset: 0 };
    let mut reader: &[u8] = &out;
    npy::read_data(&mut reader, &header, total as u64, source, limits)
}

fn read_member<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &str,
    max: u64,
    source: &str,
) -> Result<Vec<u8>, Error> {
    let zip = |why: String| Error::new(source, ErrorKind::Zip(why)).in_member(name);
    let file = archive.by_name(name).map_err(|e| zip(e.to_string()))?;
    if file.size() > max {
        return Err(zip(format!("member of {} bytes is larger than expected ({max})", file.size())));
    }
    let mut out = Vec::with_capacity(file.size() as usize);
    file.take(max).read_to_end(&mut out).map_err(|e| zip(e.to_string()))?;
    Ok(out)
}

fn inflate(reader: impl Read, expected: usize, source: &str, name: &str) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(expected);
    reader.take(expected as u64 + 1).read_to_end(&mut out).map_err(|e| {
        Error::new(source, ErrorKind::Zip(format!("bad compressed chunk: {e}"))).in_member(name)
    })?;
    Ok(out)
}

/// A JSON value (enough for zarr metadata).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser { s: text.as_bytes(), i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing characters at {}", p.i));
        }
        Ok(v)
    }
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }
    fn as_usize(&self) -> Option<usize> {
        match self {
            Json::Num(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 9.0e15 => Some(*n as usize),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }
    fn lit(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("unexpected character at {}", self.i))
        }
    }
    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        self.depth += 1;
        if self.depth > 64 {
            return Err("nested too deeply".into());
        }
        let v = match self.s.get(self.i) {
            None => return Err("unexpected end".into()),
            Some(b'n') => self.lit("null", Json::Null)?,
            Some(b't') => self.lit("true", Json::Bool(true))?,
            Some(b'f') => self.lit("false", Json::Bool(false))?,
            Some(b'N') => self.lit("NaN", Json::Num(f64::NAN))?,
            Some(b'"') => Json::Str(self.string()?),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        break;
                    }
                    if !items.is_empty() {
                        self.expect(b',')?;
                    }
                    items.push(self.value()?);
                }
                Json::Arr(items)
            }
            Some(b'{') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        break;
                    }
                    if !items.is_empty() {
                        self.expect(b',')?;
                        self.ws();
                    }
                    let k = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    items.push((k, self.value()?));
                }
                Json::Obj(items)
            }
            Some(_) => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|b| b"+-.eE0123456789".contains(b)) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                Json::Num(t.parse().map_err(|_| format!("bad number at {start}"))?)
            }
        };
        self.depth -= 1;
        Ok(v)
    }
    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", b as char, self.i))
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => return Err("unterminated string".into()),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    let c = *self.s.get(self.i + 1).ok_or("unterminated string")?;
                    out.push(match c {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'u' => {
                            self.i += 4; // \uXXXX: not needed for zarr keys
                            b'?'
                        }
                        other => other,
                    });
                    self.i += 2;
                }
                Some(&b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }
}
