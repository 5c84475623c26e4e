//! `.npy` arrays (format versions 1, 2 and 3): read and write.
//!
//! Hand-written rather than `npyz`: the header is a small Python dict
//! literal, and reading straight into the final typed `Vec` (through
//! `bytemuck`) lets an `.npz` member inflate directly into it. Measured on a
//! 100 MB `float32` array (2-core machine, same run): `npyz::into_vec` 58–88 ms,
//! this decoding 47–81 ms, a plain `memcpy` 39–61 ms. From a zip member
//! `npyz` would need the inflated bytes first and then a second full copy
//! (+50 ms and +100 MB peak memory per 100 MB array), which this avoids.
//!
//! Arrays are always returned in C (row-major) order: a Fortran-order file
//! is transposed while reading, so `shape` and element order mean what they
//! mean for `np.ascontiguousarray(a)`.

use std::io::{Read, Write};

use crate::error::{Error, ErrorKind, shape_string};
use crate::limits::Limits;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy's own default cap on header text (`max_header_size`) is 10 000 bytes;
/// allow more, but never a huge allocation for a header.
const MAX_HEADER_LEN: usize = 1 << 20;

/// The element type of an array (the `descr` of the header, byte order aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dtype {
    /// `|b1`
    Bool,
    /// `|i1`
    I8,
    /// `|u1`
    U8,
    /// `i2`
    I16,
    /// `u2`
    U16,
    /// `i4`
    I32,
    /// `u4`
    U32,
    /// `i8`
    I64,
    /// `u8`
    U64,
    /// `f4`
    F32,
    /// `f8`
    F64,
    /// `|S<n>`: fixed-width byte strings of `n` bytes.
    Bytes(usize),
    /// `U<n>`: fixed-width unicode strings of `n` code points.
    Unicode(usize),
}

impl Dtype {
    /// Bytes per element.
    pub const fn item_size(self) -> usize {
        match self {
            Dtype::Bool | Dtype::I8 | Dtype::U8 => 1,
            Dtype::I16 | Dtype::U16 => 2,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::U64 | Dtype::F64 => 8,
            Dtype::Bytes(n) => n,
            Dtype::Unicode(n) => n.saturating_mul(4),
        }
    }

    /// numpy's name for the type (`"float32"`, `"uint16"`, ...).
    pub fn name(self) -> String {
        match self {
            Dtype::Bool => "bool".into(),
            Dtype::I8 => "int8".into(),
            Dtype::U8 => "uint8".into(),
            Dtype::I16 => "int16".into(),
            Dtype::U16 => "uint16".into(),
            Dtype::I32 => "int32".into(),
            Dtype::U32 => "uint32".into(),
            Dtype::I64 => "int64".into(),
            Dtype::U64 => "uint64".into(),
            Dtype::F32 => "float32".into(),
            Dtype::F64 => "float64".into(),
            Dtype::Bytes(n) => format!("bytes{}", n * 8),
            Dtype::Unicode(n) => format!("str{}", n * 32),
        }
    }
}

/// The elements of an array, by dtype, in C order.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    /// `bool` (`|b1`; any nonzero byte is `true`).
    Bool(Vec<bool>),
    /// `int8`
    I8(Vec<i8>),
    /// `uint8`
    U8(Vec<u8>),
    /// `int16`
    I16(Vec<i16>),
    /// `uint16`
    U16(Vec<u16>),
    /// `int32`
    I32(Vec<i32>),
    /// `uint32`
    U32(Vec<u32>),
    /// `int64`
    I64(Vec<i64>),
    /// `uint64`
    U64(Vec<u64>),
    /// `float32`
    F32(Vec<f32>),
    /// `float64`
    F64(Vec<f64>),
    /// `|S<n>` and `U<n>` arrays, trailing NULs removed.
    Str(Vec<String>),
}

macro_rules! for_each_numeric {
    ($data:expr, $v:ident => $body:expr, Str($s:ident) => $str_body:expr) => {
        match $data {
            ArrayData::Bool($v) => $body,
            ArrayData::I8($v) => $body,
            ArrayData::U8($v) => $body,
            ArrayData::I16($v) => $body,
            ArrayData::U16($v) => $body,
            ArrayData::I32($v) => $body,
            ArrayData::U32($v) => $body,
            ArrayData::I64($v) => $body,
            ArrayData::U64($v) => $body,
            ArrayData::F32($v) => $body,
            ArrayData::F64($v) => $body,
            ArrayData::Str($s) => $str_body,
        }
    };
}

impl ArrayData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        for_each_numeric!(self, v => v.len(), Str(s) => s.len())
    }

    /// `true` when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype (strings report their longest element).
    pub fn dtype(&self) -> Dtype {
        match self {
            ArrayData::Bool(_) => Dtype::Bool,
            ArrayData::I8(_) => Dtype::I8,
            ArrayData::U8(_) => Dtype::U8,
            ArrayData::I16(_) => Dtype::I16,
            ArrayData::U16(_) => Dtype::U16,
            ArrayData::I32(_) => Dtype::I32,
            ArrayData::U32(_) => Dtype::U32,
            ArrayData::I64(_) => Dtype::I64,
            ArrayData::U64(_) => Dtype::U64,
            ArrayData::F32(_) => Dtype::F32,
            ArrayData::F64(_) => Dtype::F64,
            ArrayData::Str(s) => Dtype::Unicode(s.iter().map(|s| s.chars().count()).max().unwrap_or(0)),
        }
    }
}

/// Conversion to the `f64` values the pipeline widens other dtypes to.
impl ArrayData {
    /// Every numeric element as `f64` (bool as 0/1; 64-bit integers rounded
    /// above 2^53); `None` for strings.
    ///
    /// ```
    /// use cellmap_io::npy::ArrayData;
    /// assert_eq!(ArrayData::I16(vec![-2, 7]).to_f64(), Some(vec![-2.0, 7.0]));
    /// assert_eq!(ArrayData::Bool(vec![true, false]).to_f64(), Some(vec![1.0, 0.0]));
    /// assert_eq!(ArrayData::Str(vec!["csr".into()]).to_f64(), None);
    /// ```
    pub fn to_f64(&self) -> Option<Vec<f64>> {
        fn widen<T: Copy + Into<f64>>(values: &[T]) -> Vec<f64> {
            values.iter().map(|&v| v.into()).collect()
        }
        Some(match self {
            ArrayData::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
            ArrayData::I8(v) => widen(v),
            ArrayData::U8(v) => widen(v),
            ArrayData::I16(v) => widen(v),
            ArrayData::U16(v) => widen(v),
            ArrayData::I32(v) => widen(v),
            ArrayData::U32(v) => widen(v),
            ArrayData::I64(v) => v.iter().map(|&x| x as f64).collect(),
            ArrayData::U64(v) => v.iter().map(|&x| x as f64).collect(),
            ArrayData::F32(v) => widen(v),
            ArrayData::F64(v) => v.clone(),
            ArrayData::Str(_) => return None,
        })
    }
}

/// An n-dimensional array in C order, as read from an `.npy` file.
///
/// ```
/// use cellmap_io::npy::{self, ArrayData};
/// let bytes = npy::encode(&[2, 3], &[1u16, 2, 3, 4, 5, 6])?;
/// let array = npy::read(&bytes, "small.npy")?;
/// assert_eq!(array.shape(), &[2, 3]);
/// assert_eq!(array.data(), &ArrayData::U16(vec![1, 2, 3, 4, 5, 6]));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    shape: Vec<usize>,
    data: ArrayData,
}

impl Array {
    /// An array of `shape`; fails (naming `source`) unless `data` has
    /// exactly the product of `shape` elements.
    pub fn new(shape: Vec<usize>, data: ArrayData, source: &str) -> Result<Self, Error> {
        let expected = element_count(&shape, source)?;
        if expected != data.len() {
            return Err(Error::new(
                source,
                ErrorKind::Shape(format!(
                    "shape {} needs {expected} elements, got {}",
                    shape_string(&shape),
                    data.len()
                )),
            ));
        }
        Ok(Self { shape, data })
    }

    /// The dimensions (`()` for a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The elements in C order.
    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    /// Shape and elements.
    pub fn into_parts(self) -> (Vec<usize>, ArrayData) {
        (self.shape, self.data)
    }

    /// The array as `.npy` file bytes (its own dtype, little-endian), as
    /// [`encode`] writes them; text arrays (`Str`) are an error naming
    /// `source`.
    ///
    /// ```
    /// use cellmap_io::npy::{self, Array, ArrayData};
    /// let array = Array::new(vec![1, 2], ArrayData::U16(vec![0, 7]), "m")?;
    /// assert_eq!(npy::read(&array.encode("m")?, "m.npy")?, array);
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn encode(&self, source: &str) -> Result<Vec<u8>, Error> {
        for_each_numeric!(&self.data, v => encode(&self.shape, v), Str(_s) => Err(Error::new(
            source,
            ErrorKind::Header("a text array cannot be written as a numeric .npy".into()),
        )))
    }

    /// `(height, width)` of a 2-D array, or an error like
    /// `mask.npy: expected a 2-D mask, got shape (3, 1024, 1024)`.
    ///
    /// ```
    /// use cellmap_io::npy;
    /// let cube = npy::read(&npy::encode(&[3, 2, 2], &[0u8; 12])?, "mask.npy")?;
    /// let err = cube.dims_2d("mask.npy", "mask").unwrap_err();
    /// assert_eq!(err.to_string(), "mask.npy: expected a 2-D mask, got shape (3, 2, 2)");
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn dims_2d(&self, source: &str, what: &str) -> Result<(usize, usize), Error> {
        match self.shape[..] {
            [height, width] => Ok((height, width)),
            _ => Err(Error::new(
                source,
                ErrorKind::Shape(format!("expected a 2-D {what}, got shape {}", shape_string(&self.shape))),
            )),
        }
    }
}

/// Number of elements of `shape`, or an error if it overflows.
pub(crate) fn element_count(shape: &[usize], source: &str) -> Result<usize, Error> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| {
        Error::new(source, ErrorKind::Header(format!("shape {} overflows", shape_string(shape))))
    })
}

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Element type.
    pub dtype: Dtype,
    /// Big-endian data (`>` in the descr).
    pub big_endian: bool,
    /// Fortran (column-major) data order in the file.
    pub fortran_order: bool,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Bytes from the start of the file to the first data byte.
    pub data_offset: usize,
}

impl Header {
    /// Bytes of data the header declares (`None` on overflow).
    pub fn data_len(&self) -> Option<u64> {
        let count = self.shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))?;
        count.checked_mul(self.dtype.item_size() as u64)
    }
}

/// Reads an `.npy` array from in-memory bytes; `source` names them in errors.
///
/// ```
/// use cellmap_io::npy::{self, ArrayData};
/// // A big-endian Fortran-order 2×2 float64 array, as numpy writes it.
/// let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
/// let dict = b"{'descr': '>f8', 'fortran_order': True, 'shape': (2, 2), }";
/// let header_len = 118; // pad to 64-byte alignment, ending in '\n'
/// bytes.extend_from_slice(&(header_len as u16).to_le_bytes());
/// bytes.extend_from_slice(dict);
/// bytes.resize(10 + header_len - 1, b' ');
/// bytes.push(b'\n');
/// for v in [1.0f64, 3.0, 2.0, 4.0] { bytes.extend_from_slice(&v.to_be_bytes()); }
/// let array = npy::read(&bytes, "m.npy")?;
/// assert_eq!(array.data(), &ArrayData::F64(vec![1.0, 2.0, 3.0, 4.0])); // C order
///
/// let err = npy::read(&bytes[..bytes.len() - 3], "m.npy").unwrap_err();
/// assert_eq!(err.to_string(), "m.npy: truncated data (expected 32 bytes, got 29)");
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn read(bytes: &[u8], source: &str) -> Result<Array, Error> {
    read_with_limits(bytes, source, &Limits::default())
}

/// [`read`] with explicit [`Limits`].
pub fn read_with_limits(bytes: &[u8], source: &str, limits: &Limits) -> Result<Array, Error> {
    let mut reader = bytes;
    let header = read_header(&mut reader, source)?;
    let available = reader.len() as u64;
    read_data(&mut reader, &header, available, source, limits)
}

/// Reads and parses the header from the start of `reader`, leaving it at the
/// first data byte.
pub fn read_header<R: Read>(reader: &mut R, source: &str) -> Result<Header, Error> {
    header_from(reader, source)
}

/// [`read_header`], compiled once for every reader type.
fn header_from(reader: &mut dyn Read, source: &str) -> Result<Header, Error> {
    let header_error = |why: String| Error::new(source, ErrorKind::Header(why));
    let mut preamble = [0u8; 8];
    let got = read_full(reader, &mut preamble).map_err(|e| io_or_zip(source, e))?;
    if got < preamble.len() || &preamble[..6] != MAGIC {
        return Err(header_error("not an .npy file (missing the \\x93NUMPY magic)".into()));
    }
    let major = preamble[6];
    let (len_bytes, utf8) = match major {
        1 => (2, false),
        2 => (4, false),
        3 => (4, true),
        _ => return Err(header_error(format!("unsupported .npy format version {major}.{}", preamble[7]))),
    };
    let mut len_buf = [0u8; 4];
    let got = read_full(reader, &mut len_buf[..len_bytes]).map_err(|e| io_or_zip(source, e))?;
    if got < len_bytes {
        return Err(header_error("file ends inside the header length".into()));
    }
    let header_len = u32::from_le_bytes(len_buf) as usize;
    if header_len > MAX_HEADER_LEN {
        return Err(header_error(format!("header of {header_len} bytes is implausibly long")));
    }
    let mut text = vec![0u8; header_len];
    let got = read_full(reader, &mut text).map_err(|e| io_or_zip(source, e))?;
    if got < header_len {
        return Err(Error::new(
            source,
            ErrorKind::Truncated {
                expected: (8 + len_bytes + header_len) as u64,
                got: (8 + len_bytes + got) as u64,
            },
        ));
    }
    let text = if utf8 {
        String::from_utf8(text).map_err(|_| header_error("header is not UTF-8".into()))?
    } else {
        text.iter().map(|&b| b as char).collect()
    };
    let dict = parse_dict(&text).map_err(|why| {
        // Quote at most 200 characters of the header: messages stay one short line.
        let shown = text.trim_end();
        let shown = match shown.char_indices().nth(200) {
            Some((end, _)) => format!("{:?}…", &shown[..end]),
            None => format!("{shown:?}"),
        };
        header_error(format!("{why} in {shown}"))
    })?;
    let (dtype, big_endian) = parse_descr(&dict.descr).map_err(|e| Error::new(source, e))?;
    Ok(Header {
        dtype,
        big_endian,
        fortran_order: dict.fortran_order,
        shape: dict.shape,
        data_offset: 8 + len_bytes + header_len,
    })
}

/// Reads the data that follows `header` from `reader`.
///
/// `available` bounds the bytes that can physically follow (remaining
/// file or buffer length, or the bound of a compressed member): the
/// declared shape is checked against it and against `limits` before
/// anything is allocated, so a lying header cannot exhaust memory.
pub fn read_data<R: Read>(
    reader: &mut R,
    header: &Header,
    available: u64,
    source: &str,
    limits: &Limits,
) -> Result<Array, Error> {
    data_from(reader, header, available, source, limits)
}

/// [`read_data`], compiled once for every reader type.
fn data_from(
    reader: &mut dyn Read,
    header: &Header,
    available: u64,
    source: &str,
    limits: &Limits,
) -> Result<Array, Error> {
    let count = element_count(&header.shape, source)?;
    let expected = header.data_len().ok_or_else(|| {
        Error::new(source, ErrorKind::Header(format!("shape {} overflows", shape_string(&header.shape))))
    })?;
    if expected > available {
        return Err(Error::new(source, ErrorKind::Truncated { expected, got: available }));
    }
    check_limits(header, source, limits)?;
    let big = header.big_endian;
    let data = match header.dtype {
        Dtype::Bool => {
            let bytes: Vec<u8> = read_elements(reader, count, false, expected, source)?;
            ArrayData::Bool(bytes.into_iter().map(|b| b != 0).collect())
        }
        Dtype::I8 => ArrayData::I8(read_elements(reader, count, big, expected, source)?),
        Dtype::U8 => ArrayData::U8(read_elements(reader, count, big, expected, source)?),
        Dtype::I16 => ArrayData::I16(read_elements(reader, count, big, expected, source)?),
        Dtype::U16 => ArrayData::U16(read_elements(reader, count, big, expected, source)?),
        Dtype::I32 => ArrayData::I32(read_elements(reader, count, big, expected, source)?),
        Dtype::U32 => ArrayData::U32(read_elements(reader, count, big, expected, source)?),
        Dtype::I64 => ArrayData::I64(read_elements(reader, count, big, expected, source)?),
        Dtype::U64 => ArrayData::U64(read_elements(reader, count, big, expected, source)?),
        Dtype::F32 => ArrayData::F32(read_elements(reader, count, big, expected, source)?),
        Dtype::F64 => ArrayData::F64(read_elements(reader, count, big, expected, source)?),
        Dtype::Bytes(width) => {
            let bytes: Vec<u8> = read_elements(reader, expected as usize, false, expected, source)?;
            let strings = chunks_or_empty(&bytes, width, count)
                .map(|s| {
                    let end = s.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                    String::from_utf8_lossy(&s[..end]).into_owned()
                })
                .collect();
            ArrayData::Str(strings)
        }
        Dtype::Unicode(width) => {
            let units: Vec<u32> = read_elements(reader, count.saturating_mul(width), big, expected, source)?;
            let strings = chunks_or_empty(&units, width, count)
                .map(|s| {
                    s.iter()
                        .take_while(|&&u| u != 0)
                        .map(|&u| char::from_u32(u).unwrap_or('\u{fffd}'))
                        .collect()
                })
                .collect();
            ArrayData::Str(strings)
        }
    };
    let data =
        if header.fortran_order && header.shape.len() > 1 { fortran_to_c(data, &header.shape) } else { data };
    Ok(Array { shape: header.shape.clone(), data })
}

/// The most memory reading an array with `header` takes at once: its data,
/// plus a second copy while bools are converted or a Fortran-order array is
/// transposed, plus a `String` per element of a string array (`None` on
/// overflow).
pub fn peak_bytes(header: &Header) -> Option<u128> {
    let data = u128::from(header.data_len()?);
    let count = header.shape.iter().try_fold(1u128, |acc, &d| acc.checked_mul(d as u128))?;
    let copies = 1
        + u128::from(header.dtype == Dtype::Bool)
        + u128::from(header.fortran_order && header.shape.len() > 1);
    let strings = match header.dtype {
        Dtype::Bytes(_) | Dtype::Unicode(_) => count.checked_mul(size_of::<String>() as u128)? + data,
        _ => 0,
    };
    data.checked_mul(copies)?.checked_add(strings)
}

/// Checks the array `header` declares against `limits`: its data against
/// `max_array_bytes`, what reading it takes ([`peak_bytes`]) against the
/// memory budget. Nothing is allocated.
pub fn check_limits(header: &Header, source: &str, limits: &Limits) -> Result<(), Error> {
    let overflow =
        || Error::new(source, ErrorKind::Header(format!("shape {} overflows", shape_string(&header.shape))));
    let expected = header.data_len().ok_or_else(overflow)?;
    if expected > limits.max_array_bytes {
        return Err(Error::new(
            source,
            ErrorKind::LimitExceeded {
                what: "array",
                needed: expected,
                unit: "bytes",
                limit: limits.max_array_bytes,
            },
        ));
    }
    let peak = peak_bytes(header).ok_or_else(overflow)?;
    let what = || format!("array {} of {}", shape_string(&header.shape), header.dtype.name());
    limits.memory.check(what, peak).map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))
}

/// `count` chunks of `width` (empty strings when `width == 0`).
fn chunks_or_empty<T>(items: &[T], width: usize, count: usize) -> impl Iterator<Item = &[T]> {
    (0..count).map(move |i| if width == 0 { &items[..0] } else { &items[i * width..(i + 1) * width] })
}

/// Reads exactly `count` elements (`expected` bytes), failing with
/// [`ErrorKind::Truncated`] if the reader ends first.
fn read_elements<T: Swap>(
    reader: &mut dyn Read,
    count: usize,
    big_endian: bool,
    expected: u64,
    source: &str,
) -> Result<Vec<T>, Error> {
    let mut out: Vec<T> = crate::pages::zeroed_vec(count);
    let got = read_full(reader, bytemuck::cast_slice_mut(&mut out)).map_err(|e| io_or_zip(source, e))?;
    if (got as u64) < expected {
        return Err(Error::new(source, ErrorKind::Truncated { expected, got: got as u64 }));
    }
    if big_endian != cfg!(target_endian = "big") {
        out.iter_mut().for_each(|v| *v = v.swap_bytes());
    }
    Ok(out)
}

/// Maps a read error: the zip crate and flate2 report bad CRCs and deflate
/// streams as `io::Error`s of kind `InvalidData`, `InvalidInput`,
/// `UnexpectedEof` or `Other`.
pub(crate) fn io_or_zip(source: &str, e: std::io::Error) -> Error {
    use std::io::ErrorKind as Kind;
    match e.kind() {
        Kind::InvalidData | Kind::InvalidInput | Kind::UnexpectedEof | Kind::Other => {
            Error::new(source, ErrorKind::Zip(format!("corrupt compressed data: {e}")))
        }
        _ => Error::new(source, ErrorKind::Io(e)),
    }
}

/// Fills `buf` as far as the reader allows; returns the bytes read.
pub(crate) fn read_full<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reorders a Fortran-order (first index fastest) array into C order. The
/// permutation works on elements as unsigned integers of their size (one copy
/// of the loop per element size, not per dtype: Fortran order is rare and the
/// code is kept small, for the wasm viewer).
fn fortran_to_c(data: ArrayData, shape: &[usize]) -> ArrayData {
    fn permute<E: Copy>(src: &[E], out: &mut [E], shape: &[usize]) {
        if src.is_empty() {
            return;
        }
        // Fortran stride of each axis.
        let mut strides = vec![1usize; shape.len()];
        for axis in 1..shape.len() {
            strides[axis] = strides[axis - 1] * shape[axis - 1];
        }
        let mut index = vec![0usize; shape.len()];
        let mut offset = 0usize;
        let last = shape.len() - 1;
        for slot in out.iter_mut() {
            *slot = src[offset];
            // Advance the C-order odometer (last axis fastest).
            let mut axis = last;
            loop {
                index[axis] += 1;
                offset += strides[axis];
                if index[axis] < shape[axis] || axis == 0 {
                    break;
                }
                offset -= strides[axis] * shape[axis];
                index[axis] = 0;
                axis -= 1;
            }
        }
    }
    /// Permutes `src` as elements of the same-sized unsigned type `E`.
    fn as_bits<T: bytemuck::Pod, E: bytemuck::Pod>(src: Vec<T>, shape: &[usize]) -> Vec<T> {
        let mut out = src.clone();
        permute::<E>(bytemuck::cast_slice(&src), bytemuck::cast_slice_mut(&mut out), shape);
        out
    }
    match data {
        ArrayData::Bool(v) => {
            let mut out = v.clone();
            permute(&v, &mut out, shape);
            ArrayData::Bool(out)
        }
        ArrayData::I8(v) => ArrayData::I8(as_bits::<_, u8>(v, shape)),
        ArrayData::U8(v) => ArrayData::U8(as_bits::<_, u8>(v, shape)),
        ArrayData::I16(v) => ArrayData::I16(as_bits::<_, u16>(v, shape)),
        ArrayData::U16(v) => ArrayData::U16(as_bits::<_, u16>(v, shape)),
        ArrayData::I32(v) => ArrayData::I32(as_bits::<_, u32>(v, shape)),
        ArrayData::U32(v) => ArrayData::U32(as_bits::<_, u32>(v, shape)),
        ArrayData::I64(v) => ArrayData::I64(as_bits::<_, u64>(v, shape)),
        ArrayData::U64(v) => ArrayData::U64(as_bits::<_, u64>(v, shape)),
        ArrayData::F32(v) => ArrayData::F32(as_bits::<_, u32>(v, shape)),
        ArrayData::F64(v) => ArrayData::F64(as_bits::<_, u64>(v, shape)),
        ArrayData::Str(v) => {
            let positions: Vec<usize> = (0..v.len()).collect();
            let mut order = positions.clone();
            permute(&positions, &mut order, shape);
            ArrayData::Str(order.into_iter().map(|i| v[i].clone()).collect())
        }
    }
}

struct DictFields {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_dict(text: &str) -> Result<DictFields, String> {
    let mut p = Parser { s: text.as_bytes(), pos: 0 };
    p.expect(b'{')?;
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        match key.as_str() {
            "descr" => {
                p.skip_ws();
                if p.peek() == Some(b'[') {
                    return Err("structured dtypes (record arrays) are not supported".into());
                }
                descr = Some(p.string()?);
            }
            "fortran_order" => fortran_order = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            other => return Err(format!("unexpected key '{other}'")),
        }
        p.skip_ws();
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    Ok(DictFields {
        descr: descr.ok_or("missing 'descr'")?,
        fortran_order: fortran_order.ok_or("missing 'fortran_order'")?,
        shape: shape.ok_or("missing 'shape'")?,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) { Ok(()) } else { Err(format!("expected '{}' at byte {}", c as char, self.pos)) }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_ws();
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(format!("expected a string at byte {}", self.pos)),
        };
        let start = self.pos + 1;
        let len = self.s[start..].iter().position(|&c| c == quote).ok_or("unterminated string")?;
        self.pos = start + len + 1;
        Ok(String::from_utf8_lossy(&self.s[start..start + len]).into_owned())
    }

    fn boolean(&mut self) -> Result<bool, String> {
        self.skip_ws();
        for (word, value) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.pos..].starts_with(word) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        Err(format!("expected True or False at byte {}", self.pos))
    }

    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut dims = Vec::new();
        loop {
            if self.eat(b')') {
                return Ok(dims);
            }
            self.skip_ws();
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            // Python 2 era files may write `3L`.
            let digits = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or_default();
            if self.peek() == Some(b'L') {
                self.pos += 1;
            }
            let dim = digits.parse::<usize>().map_err(|_| format!("expected a dimension at byte {start}"))?;
            dims.push(dim);
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(dims);
            }
        }
    }
}

/// `'<f4'` → `(F32, little-endian)`.
pub(crate) fn parse_descr(descr: &str) -> Result<(Dtype, bool), ErrorKind> {
    let unsupported = |why: String| Err(ErrorKind::UnsupportedDtype(why));
    let (big_endian, rest) = match descr.as_bytes().first() {
        Some(b'<') => (false, &descr[1..]),
        Some(b'>') => (true, &descr[1..]),
        Some(b'|' | b'=') => (cfg!(target_endian = "big"), &descr[1..]),
        _ => (cfg!(target_endian = "big"), descr),
    };
    let mut chars = rest.chars();
    let kind = chars.next().map(String::from).unwrap_or_default();
    let size: Option<usize> = chars.as_str().parse().ok();
    let dtype = match (kind.as_str(), size) {
        ("S" | "U", Some(0)) => return unsupported(format!("zero-width strings '{descr}'")),
        ("b", Some(1)) | ("?", None) => Dtype::Bool,
        ("i", Some(1)) => Dtype::I8,
        ("u", Some(1)) | ("B", None) => Dtype::U8,
        ("i", Some(2)) => Dtype::I16,
        ("u", Some(2)) => Dtype::U16,
        ("i", Some(4)) => Dtype::I32,
        ("u", Some(4)) => Dtype::U32,
        ("i", Some(8)) => Dtype::I64,
        ("u", Some(8)) => Dtype::U64,
        ("f", Some(4)) => Dtype::F32,
        ("f", Some(8)) => Dtype::F64,
        ("S", Some(n)) => Dtype::Bytes(n),
        ("U", Some(n)) => Dtype::Unicode(n),
        ("O", _) => {
            return unsupported(
                "object arrays ('O') cannot be read without unpickling; save plain numbers, \
                 e.g. np.save(path, arr.astype(np.float64))"
                    .into(),
            );
        }
        _ => return unsupported(format!("'{descr}' (supported: bool, int8-64, uint8-64, float32/64)")),
    };
    Ok((dtype, big_endian))
}

/// A number type that can be stored in `.npy` files.
///
/// Implemented for `bool`, `i8`..`i64`, `u8`..`u64`, `f32`, `f64`.
pub trait Element: sealed::Sealed + Copy + 'static {
    /// The little-endian `descr` numpy writes (`"<f4"`, `"|b1"`, ...).
    const DESCR: &'static str;
    /// Writes `data` as little-endian bytes.
    fn write_le<W: Write + ?Sized>(data: &[Self], writer: &mut W) -> std::io::Result<()>;
}

mod sealed {
    pub trait Sealed {}
}

/// Byte-order swaps of plain-old-data numbers (the reader's view).
trait Swap: bytemuck::Pod {
    fn swap_bytes(self) -> Self;
}

macro_rules! plain_element {
    ($($t:ty => $descr:literal, $bits:ty;)*) => {$(
        impl sealed::Sealed for $t {}
        impl Swap for $t {
            fn swap_bytes(self) -> Self {
                <$t>::from_ne_bytes(<$bits>::from_ne_bytes(self.to_ne_bytes()).swap_bytes().to_ne_bytes())
            }
        }
        impl Element for $t {
            const DESCR: &'static str = $descr;
            fn write_le<W: Write + ?Sized>(data: &[Self], writer: &mut W) -> std::io::Result<()> {
                if cfg!(target_endian = "little") {
                    writer.write_all(bytemuck::cast_slice(data))
                } else {
                    for chunk in data.chunks(8192) {
                        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
                        writer.write_all(&bytes)?;
                    }
                    Ok(())
                }
            }
        }
    )*};
}

plain_element! {
    i8 => "|i1", u8;
    u8 => "|u1", u8;
    i16 => "<i2", u16;
    u16 => "<u2", u16;
    i32 => "<i4", u32;
    u32 => "<u4", u32;
    i64 => "<i8", u64;
    u64 => "<u8", u64;
    f32 => "<f4", u32;
    f64 => "<f8", u64;
}

impl sealed::Sealed for bool {}
impl Element for bool {
    const DESCR: &'static str = "|b1";
    fn write_le<W: Write + ?Sized>(data: &[Self], writer: &mut W) -> std::io::Result<()> {
        for chunk in data.chunks(1 << 16) {
            let bytes: Vec<u8> = chunk.iter().map(|&b| u8::from(b)).collect();
            writer.write_all(&bytes)?;
        }
        Ok(())
    }
}

/// Writes `data` (C order) as an `.npy` array of `shape` (format 1.0, or
/// 2.0 if the header needs it). `dest` names the output in errors.
///
/// ```
/// use cellmap_io::npy;
/// let mut out = Vec::new();
/// npy::write(&mut out, &[2], &[true, false], "flags.npy")?;
/// assert_eq!(&out[..8], b"\x93NUMPY\x01\x00");
/// assert_eq!(out.len() % 64, 2); // 64-byte aligned header, then 2 data bytes
/// let err = npy::write(&mut Vec::new(), &[3], &[1.0f32], "x.npy").unwrap_err();
/// assert_eq!(err.to_string(), "x.npy: shape (3,) needs 3 elements, got 1");
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write<W: Write + ?Sized, T: Element>(
    writer: &mut W,
    shape: &[usize],
    data: &[T],
    dest: &str,
) -> Result<(), Error> {
    let expected = element_count(shape, dest)?;
    if expected != data.len() {
        return Err(Error::new(
            dest,
            ErrorKind::Shape(format!(
                "shape {} needs {expected} elements, got {}",
                shape_string(shape),
                data.len()
            )),
        ));
    }
    let io = |e| Error::new(dest, ErrorKind::Io(e));
    writer.write_all(&header_bytes(T::DESCR, shape)).map_err(io)?;
    T::write_le(data, writer).map_err(io)
}

/// [`write()`] into a new `Vec<u8>`.
///
/// ```
/// let bytes = cellmap_io::npy::encode(&[2, 2], &[1i32, 2, 3, 4])?;
/// assert_eq!(bytes.len(), 128 + 16);
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn encode<T: Element>(shape: &[usize], data: &[T]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(128 + std::mem::size_of_val(data));
    write(&mut out, shape, data, "<bytes>")?;
    Ok(out)
}

/// The magic, version, length and dict, padded with spaces and a final
/// `\n` to a multiple of 64 bytes (as numpy does).
pub(crate) fn header_bytes(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {}, }}", shape_string(shape));
    let unpadded_v1 = 10 + dict.len() + 1;
    let (version, prefix) =
        if unpadded_v1.div_ceil(64) * 64 - 10 <= u16::MAX as usize { (1u8, 10) } else { (2u8, 12) };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    let header_len = total - prefix;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_to_f64_rounds_above_2_pow_53() {
        assert_eq!(ArrayData::U64(vec![1 << 60]).to_f64(), Some(vec![(1u64 << 60) as f64]));
        assert_eq!(ArrayData::Str(vec![]).to_f64(), None);
    }

    #[test]
    fn round_trips_every_dtype_and_shape() {
        fn check<T: Element + std::fmt::Debug>(data: Vec<T>, shape: &[usize], wrap: fn(Vec<T>) -> ArrayData) {
            let bytes = encode(shape, &data).unwrap();
            assert_eq!(bytes[..8], *b"\x93NUMPY\x01\x00");
            let array = read(&bytes, "t.npy").unwrap();
            assert_eq!(array.shape(), shape);
            assert_eq!(array.data(), &wrap(data));
        }
        check(vec![true, false, true], &[3], ArrayData::Bool);
        check(vec![-1i8, 2], &[2, 1], ArrayData::I8);
        check(vec![255u8; 6], &[1, 2, 3], ArrayData::U8);
        check(vec![-300i16, 7], &[2], ArrayData::I16);
        check(vec![65535u16, 0, 1, 2], &[2, 2], ArrayData::U16);
        check(vec![i32::MIN, i32::MAX], &[2], ArrayData::I32);
        check(vec![u32::MAX], &[1, 1], ArrayData::U32);
        check(vec![i64::MIN; 4], &[4], ArrayData::I64);
        check(vec![u64::MAX; 2], &[2], ArrayData::U64);
        check(vec![1.5f32, f32::NAN.copysign(1.0).min(0.0), -0.0], &[3], ArrayData::F32);
        check(vec![f64::INFINITY, 1e-300], &[2], ArrayData::F64);
        check(Vec::<f32>::new(), &[0, 5], ArrayData::F32);
        check(vec![7u8], &[], ArrayData::U8);
    }

    #[test]
    fn transposes_fortran_order_of_three_dimensions() {
        // shape (2, 3, 2): Fortran offset = i + 2 j + 6 k; value = 100 i + 10 j + k.
        let mut fortran = vec![0u32; 12];
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..2 {
                    fortran[i + 2 * j + 6 * k] = (100 * i + 10 * j + k) as u32;
                }
            }
        }
        let c = fortran_to_c(ArrayData::U32(fortran), &[2, 3, 2]);
        let expected: Vec<u32> = (0..2)
            .flat_map(|i| (0..3).flat_map(move |j| (0..2).map(move |k| 100 * i + 10 * j + k)))
            .collect();
        assert_eq!(c, ArrayData::U32(expected));
    }

    #[test]
    fn rejects_object_and_structured_arrays_by_name() {
        let object = header_with("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }");
        let err = read(&object, "cells.npy").unwrap_err().to_string();
        assert!(err.starts_with("cells.npy: unsupported dtype: object arrays ('O')"), "{err}");
        let record = header_with("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }");
        let err = read(&record, "rec.npy").unwrap_err().to_string();
        assert!(err.contains("structured dtypes"), "{err}");
    }

    #[test]
    fn wrong_magic_and_huge_shapes_are_clear_errors() {
        let err = read(b"PK\x03\x04 not npy", "x.npy").unwrap_err().to_string();
        assert_eq!(err, "x.npy: bad header: not an .npy file (missing the \\x93NUMPY magic)");
        let huge = header_with("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }");
        let err = read(&huge, "big.npy").unwrap_err().to_string();
        assert_eq!(err, "big.npy: truncated data (expected 8000000000000 bytes, got 0)");
        let overflow =
            header_with("{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 3), }");
        assert!(read(&overflow, "o.npy").unwrap_err().to_string().contains("overflows"));
    }

    #[test]
    fn limits_refuse_before_allocating() {
        let bytes = encode(&[4], &[0f64; 4]).unwrap();
        let limits = Limits { max_array_bytes: 16, ..Limits::default() };
        let err = read_with_limits(&bytes, "l.npy", &limits).unwrap_err().to_string();
        assert_eq!(err, "l.npy: array needs 32 bytes, above the limit of 16 (raise it in Limits)");
    }

    fn header_with(dict: &str) -> Vec<u8> {
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(dict.len() as u16 + 1).to_le_bytes());
        out.extend_from_slice(dict.as_bytes());
        out.push(b'\n');
        out
    }
}
