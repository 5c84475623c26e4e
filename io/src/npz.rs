//! `.npz` archives (numpy `savez` / `savez_compressed`, scipy `save_npz`):
//! read arrays and scipy CSR matrices, write arrays.
//!
//! Members may be stored or deflated, with ZIP64 headers as numpy writes
//! them. Each member inflates straight into its final typed `Vec`; a
//! member's CRC is checked after its data is read.

use std::io::{Read, Seek, Write};

use cellmap_core::sparse::{SparseIndex, SparseValue};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::error::{Error, ErrorKind, grouped, shape_string};
use crate::limits::{Limits, capped_list};
use crate::npy::{self, Array, ArrayData, Element};

mod columns;
pub use columns::{Columns, read_csr_columns};

/// The largest ratio of inflated to deflated bytes a deflate stream can
/// reach (258-byte matches coded in 2 bits): no member can inflate to more.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The most elements a CSR's `format` and `shape` members may hold (they
/// hold 1 and 2): checked on their headers, before inflating.
pub const MAX_SMALL_ELEMENTS: usize = 64;

/// The most bytes a member's data can inflate to: its declared size, and
/// never more than its stored bytes (stored) or 1032 × them (deflated).
fn physical_bound<R: Read>(file: &zip::read::ZipFile<'_, R>) -> u64 {
    let physical = match file.compression() {
        zip::CompressionMethod::Stored => file.compressed_size(),
        _ => file.compressed_size().saturating_mul(MAX_DEFLATE_RATIO),
    };
    file.size().min(physical)
}

/// A member's header against the bytes it can hold (`member_bytes`,
/// header included): nothing allocated yet.
fn check_physical(header: &npy::Header, member_bytes: u64, source: &str) -> Result<(), Error> {
    let available = member_bytes.saturating_sub(header.data_offset as u64);
    let expected = header.data_len().ok_or_else(|| {
        Error::new(source, ErrorKind::Header(format!("shape {} overflows", shape_string(&header.shape))))
    })?;
    if expected > available {
        return Err(Error::new(source, ErrorKind::Truncated { expected, got: available }));
    }
    Ok(())
}

/// An open `.npz` archive.
///
/// ```
/// use cellmap_io::npz::{Npz, NpzWriter};
/// use cellmap_io::npy::ArrayData;
/// let mut writer = NpzWriter::new(std::io::Cursor::new(Vec::new()), "out.npz");
/// writer.add("counts", &[2, 2], &[1i64, 0, 3, 4])?;
/// let bytes = writer.finish()?.into_inner();
///
/// let mut npz = Npz::from_bytes(&bytes, "out.npz")?;
/// assert_eq!(npz.names(), vec!["counts".to_string()]);
/// let counts = npz.array("counts")?;
/// assert_eq!(counts.shape(), &[2, 2]);
/// assert_eq!(counts.data(), &ArrayData::I64(vec![1, 0, 3, 4]));
/// let err = npz.array("means").unwrap_err();
/// assert_eq!(err.to_string(), "out.npz: missing member means.npy (members: counts.npy)");
/// # Ok::<(), cellmap_io::Error>(())
/// ```
#[derive(Debug)]
pub struct Npz<R> {
    archive: ZipArchive<R>,
    source: String,
    limits: Limits,
    /// The archive's size in bytes.
    len: u64,
}

impl<'a> Npz<std::io::Cursor<&'a [u8]>> {
    /// Opens an archive held in memory; `source` names it in errors.
    pub fn from_bytes(bytes: &'a [u8], source: &str) -> Result<Self, Error> {
        Self::new(std::io::Cursor::new(bytes), source, Limits::default())
    }
}

/// Bytes of the archive decoded between two progress reports
/// ([`Npz::csr_columns`]).
const PROGRESS_STEP: u64 = 4 << 20;

impl<R: Read + Seek> Npz<R> {
    /// Opens an archive from a seekable reader (a file, a cursor).
    pub fn new(mut reader: R, source: &str, limits: Limits) -> Result<Self, Error> {
        let len = reader.seek(std::io::SeekFrom::End(0)).map_err(|e| Error::new(source, ErrorKind::Io(e)))?;
        let archive = ZipArchive::new(reader).map_err(|e| zip_error(source, e))?;
        Ok(Self { archive, source: source.to_string(), limits, len })
    }

    /// The array names (member names without `.npy`), in archive order.
    pub fn names(&self) -> Vec<String> {
        self.archive.file_names().map(|n| n.strip_suffix(".npy").unwrap_or(n).to_string()).collect()
    }

    /// The index of member `name` (`"data"` or `"data.npy"`) and its full name.
    fn member(&self, name: &str) -> Result<(usize, String), Error> {
        let member = if name.ends_with(".npy") { name.to_string() } else { format!("{name}.npy") };
        match self.archive.index_for_name(&member) {
            Some(index) => Ok((index, member)),
            None => {
                let mut present: Vec<String> = self.archive.file_names().map(str::to_string).collect();
                present.sort();
                Err(Error::new(self.source.as_str(), ErrorKind::MissingMember { name: member, present }))
            }
        }
    }

    /// Reads only the `.npy` header of array `name` (the first bytes of the
    /// member: nothing else is inflated), checked against the bytes the
    /// member can physically hold (not against the limits: see
    /// [`npy::check_limits`]).
    ///
    /// ```
    /// use cellmap_io::npz::{Npz, NpzWriter};
    /// let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()), "st.npz").compressed();
    /// w.add("data", &[3], &[1.0f32, 2.0, 3.0])?;
    /// let bytes = w.finish()?.into_inner();
    /// assert_eq!(Npz::from_bytes(&bytes, "st.npz")?.header("data")?.shape, vec![3]);
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn header(&mut self, name: &str) -> Result<npy::Header, Error> {
        let (index, member) = self.member(name)?;
        let in_member = |e: Error| e.in_member(member.as_str());
        let source = self.source.as_str();
        let mut file = self.archive.by_index(index).map_err(|e| in_member(zip_error(source, e)))?;
        let available = physical_bound(&file);
        let header = npy::read_header(&mut file, source).map_err(in_member)?;
        check_physical(&header, available, source).map_err(in_member)?;
        Ok(header)
    }

    /// Reads array `name` (`"data"` or `"data.npy"`). Its header is checked
    /// against the member's bytes and the [`Limits`] before any data is
    /// inflated; the data inflates straight into the final array.
    pub fn array(&mut self, name: &str) -> Result<Array, Error> {
        self.array_with(name, |_| Ok(()))
    }

    /// [`array`](Self::array), calling `check` on the header before
    /// inflating the data.
    fn array_with(
        &mut self,
        name: &str,
        check: impl FnOnce(&npy::Header) -> Result<(), Error>,
    ) -> Result<Array, Error> {
        let (index, member) = self.member(name)?;
        let in_member = |e: Error| e.in_member(member.as_str());
        let source = self.source.as_str();
        let mut file = self.archive.by_index(index).map_err(|e| in_member(zip_error(source, e)))?;
        let declared = physical_bound(&file);
        let header = npy::read_header(&mut file, source).map_err(in_member)?;
        check(&header).map_err(in_member)?;
        check_physical(&header, declared, source).map_err(in_member)?;
        npy::check_limits(&header, source, &self.limits).map_err(in_member)?;
        let available = declared.saturating_sub(header.data_offset as u64);
        let array = npy::read_data(&mut file, &header, available, source, &self.limits).map_err(in_member)?;
        finish_member(&mut file, source).map_err(in_member)?;
        Ok(array)
    }

    /// A small member (`format`, `shape`): at most [`MAX_SMALL_ELEMENTS`]
    /// elements, checked on its header before anything is inflated.
    fn small_array(&mut self, name: &str, what: &str) -> Result<Array, Error> {
        let source = self.source.clone();
        self.array_with(name, |header| {
            let count = header.shape.iter().fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
            let bytes = header.data_len().unwrap_or(u64::MAX);
            if count > MAX_SMALL_ELEMENTS as u128 || bytes > 64 * 1024 {
                return Err(Error::new(
                    source.as_str(),
                    ErrorKind::Sparse(format!(
                        "expected {what}, got an array of shape {} of {} (at most {MAX_SMALL_ELEMENTS} elements)",
                        shape_string(&header.shape),
                        header.dtype.name()
                    )),
                ));
            }
            Ok(())
        })
    }

    /// Reads a scipy sparse matrix saved with `scipy.sparse.save_npz` in CSR
    /// format, checking that its arrays agree in length and shape (the
    /// semantic checks — monotone `indptr`, column range — are
    /// [`Csr::validate`] or the core's).
    ///
    /// ```
    /// use cellmap_io::npz::{Npz, NpzWriter};
    /// let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()), "st.npz");
    /// w.add("indices", &[3], &[0i32, 2, 1])?;
    /// w.add("indptr", &[3], &[0i32, 2, 3])?;
    /// w.add("format", &[3], &[b'c', b'x', b'r'])?; // not a real format array
    /// w.add("shape", &[2], &[2i64, 3])?;
    /// w.add("data", &[3], &[1.0f32, 2.0, 3.0])?;
    /// let bytes = w.finish()?.into_inner();
    /// let err = Npz::from_bytes(&bytes, "st.npz")?.csr().unwrap_err();
    /// assert!(err.to_string().starts_with("st.npz: member format.npy: "), "{err}");
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn csr(&mut self) -> Result<Csr, Error> {
        self.csr_with_data(|npz| npz.array("data"))
    }

    /// [`csr`](Self::csr), taking the `data` member from `read_data` (called
    /// after `format` and `shape` are checked), so a caller can inflate it
    /// elsewhere, e.g. on another thread.
    pub(crate) fn csr_with_data(
        &mut self,
        read_data: impl FnOnce(&mut Self) -> Result<Array, Error>,
    ) -> Result<Csr, Error> {
        let source = self.source.clone();
        let (rows, cols) = self.check_csr()?;
        let mut indptr = index_array(self.array("indptr")?, "indptr", &source)?;
        let mut indices = index_array(self.array("indices")?, "indices", &source)?;
        // One index type for both (scipy writes them alike; widen if not).
        match (&indptr, &indices) {
            (IndexArray::I32(p), IndexArray::I64(_)) => {
                indptr = IndexArray::I64(p.iter().map(|&x| x.into()).collect())
            }
            (IndexArray::I64(_), IndexArray::I32(i)) => {
                indices = IndexArray::I64(i.iter().map(|&x| x.into()).collect())
            }
            _ => {}
        }
        let data = value_array(read_data(self)?, &source)?;
        let csr = Csr { source, shape: (rows, cols), indptr, indices, data };
        csr.check_lengths()?;
        Ok(csr)
    }

    /// Everything about a CSR archive that can be checked without
    /// inflating its arrays: `format` (`b'csr'`) and `shape` (two numbers;
    /// both members must be tiny, checked on their headers), and the headers
    /// of `indptr`, `indices` and `data` — 1-D, of index and numeric dtypes,
    /// lengths that agree with each other and the shape, bytes that the
    /// members can hold, and a total that fits in the memory budget.
    /// Returns the shape `(rows, cols)`.
    pub fn check_csr(&mut self) -> Result<(usize, usize), Error> {
        let source = self.source.clone();
        let CsrHeaders { shape: (rows, cols), indptr, indices, data } = self.csr_headers()?;
        let (n_indptr, nnz) = (rows + 1, one_d_len(&data));
        // The matrix as it will be held: both index arrays in the wider
        // dtype, data as float32 or float64 (integers widened, with the
        // file's copy alive while they are).
        let index_size: u128 =
            if indptr.dtype == npy::Dtype::I64 || indices.dtype == npy::Dtype::I64 { 8 } else { 4 };
        let data_bytes = match data.dtype {
            npy::Dtype::F32 | npy::Dtype::F64 => u128::from(data.data_len().unwrap_or(u64::MAX)),
            _ => u128::from(data.data_len().unwrap_or(u64::MAX)) + nnz as u128 * 8,
        };
        let total = index_size * (n_indptr as u128 + nnz as u128) + data_bytes;
        let what = || {
            format!(
                "CSR matrix of {} × {} with {} stored values",
                grouped(rows as u128),
                grouped(cols as u128),
                grouped(nnz as u128)
            )
        };
        self.limits
            .memory
            .check(what, total)
            .map_err(|e| Error::new(source.as_str(), ErrorKind::OverBudget(Box::new(e))))?;
        Ok((rows, cols))
    }

    /// The shape `(rows, cols)` of a scipy CSR archive, from its `format`
    /// (`b'csr'`) and `shape` members only (both must be tiny, checked on
    /// their headers): nothing big is read.
    pub fn csr_shape(&mut self) -> Result<(usize, usize), Error> {
        let source = self.source.clone();
        let sparse = |why: String| Error::new(source.as_str(), ErrorKind::Sparse(why));
        let format = self.small_array("format", "a string such as b'csr'")?;
        match format.data() {
            ArrayData::Str(s) if s.len() == 1 && s[0] == "csr" => {}
            ArrayData::Str(s) if s.len() == 1 => {
                let shown: String = s[0].chars().take(32).collect();
                return Err(sparse(format!(
                    "sparse format '{shown}' is not supported; save a CSR matrix (matrix.tocsr())"
                )));
            }
            _ => {
                return Err(Error::new(
                    source.as_str(),
                    ErrorKind::Sparse(format!(
                        "expected a string such as b'csr', got {} of shape {}",
                        format.data().dtype().name(),
                        shape_string(format.shape())
                    )),
                )
                .in_member("format.npy"));
            }
        }
        let shape = self.small_array("shape", "the two numbers of the matrix shape")?;
        let dims: Vec<i64> = match shape.data() {
            ArrayData::I64(v) => v.clone(),
            ArrayData::I32(v) => v.iter().map(|&d| i64::from(d)).collect(),
            ArrayData::U64(v) => v.iter().map(|&d| i64::try_from(d).unwrap_or(-1)).collect(),
            other => {
                return Err(sparse(format!("shape.npy holds {}, expected integers", other.dtype().name())));
            }
        };
        let (rows, cols) = match dims[..] {
            [r, c] if r >= 0 && c >= 0 => (r as u64, c as u64),
            _ => {
                return Err(sparse(format!(
                    "shape.npy holds [{}], expected two non-negative numbers",
                    capped_list(&dims, 8)
                )));
            }
        };
        let (rows, cols) = match (usize::try_from(rows), usize::try_from(cols)) {
            (Ok(r), Ok(c)) => (r, c),
            _ => return Err(sparse(format!("shape ({rows}, {cols}) is too large for this platform"))),
        };
        Ok((rows, cols))
    }

    /// [`csr_shape`](Self::csr_shape) and the headers of `indptr`,
    /// `indices` and `data`: 1-D, of index and numeric dtypes, lengths that
    /// agree with each other and the shape, bytes that the members can hold.
    fn csr_headers(&mut self) -> Result<CsrHeaders, Error> {
        let source = self.source.clone();
        let sparse = |why: String| Error::new(source.as_str(), ErrorKind::Sparse(why));
        let (rows, cols) = self.csr_shape()?;
        let indptr = self.header("indptr")?;
        let indices = self.header("indices")?;
        let data = self.header("data")?;
        let one_d = |header: &npy::Header, name: &str| -> Result<usize, Error> {
            match header.shape[..] {
                [n] => Ok(n),
                _ => Err(Error::new(
                    source.as_str(),
                    ErrorKind::Sparse(format!(
                        "expected a 1-D array, got shape {}",
                        shape_string(&header.shape)
                    )),
                )
                .in_member(format!("{name}.npy"))),
            }
        };
        for (header, name) in [(&indptr, "indptr"), (&indices, "indices")] {
            one_d(header, name)?;
            if !matches!(header.dtype, npy::Dtype::I32 | npy::Dtype::I64) {
                return Err(Error::new(
                    source.as_str(),
                    ErrorKind::Sparse(format!(
                        "expected int32 or int64 indices, got {}",
                        header.dtype.name()
                    )),
                )
                .in_member(format!("{name}.npy")));
            }
        }
        let (n_indptr, n_indices, nnz) =
            (one_d(&indptr, "indptr")?, one_d(&indices, "indices")?, one_d(&data, "data")?);
        if matches!(data.dtype, npy::Dtype::Bytes(_) | npy::Dtype::Unicode(_)) {
            return Err(Error::new(
                source.as_str(),
                ErrorKind::Sparse("expected numeric data, got strings".into()),
            )
            .in_member("data.npy"));
        }
        if n_indptr != rows.saturating_add(1) {
            return Err(sparse(format!(
                "indptr has {n_indptr} entries, but CSR shape ({rows}, {cols}) needs rows + 1 = {}",
                rows as u128 + 1
            )));
        }
        if n_indices != nnz {
            return Err(sparse(format!("indices has {n_indices} entries but data has {nnz}")));
        }
        Ok(CsrHeaders { shape: (rows, cols), indptr, indices, data })
    }
}

/// The headers of a CSR archive's big members, checked by
/// [`Npz::csr_headers`].
struct CsrHeaders {
    shape: (usize, usize),
    indptr: npy::Header,
    indices: npy::Header,
    data: npy::Header,
}

/// The length of a 1-D array's header (checked by [`Npz::csr_headers`]).
fn one_d_len(header: &npy::Header) -> usize {
    header.shape.first().copied().unwrap_or(0)
}

fn index_array(array: Array, name: &str, source: &str) -> Result<IndexArray, Error> {
    let member = format!("{name}.npy");
    if array.shape().len() != 1 {
        return Err(Error::new(
            source,
            ErrorKind::Sparse(format!("expected a 1-D array, got shape {}", shape_string(array.shape()))),
        )
        .in_member(member));
    }
    match array.into_parts().1 {
        ArrayData::I32(v) => Ok(IndexArray::I32(v)),
        ArrayData::I64(v) => Ok(IndexArray::I64(v)),
        other => Err(Error::new(
            source,
            ErrorKind::Sparse(format!("expected int32 or int64 indices, got {}", other.dtype().name())),
        )
        .in_member(member)),
    }
}

/// Float data stays as is; integer and bool data (count matrices) become
/// `f64`, exact below 2^53.
fn value_array(array: Array, source: &str) -> Result<ValueArray, Error> {
    if array.shape().len() != 1 {
        return Err(Error::new(
            source,
            ErrorKind::Sparse(format!("expected a 1-D array, got shape {}", shape_string(array.shape()))),
        )
        .in_member("data.npy"));
    }
    Ok(match array.into_parts().1 {
        ArrayData::F32(v) => ValueArray::F32(v),
        ArrayData::F64(v) => ValueArray::F64(v),
        other => ValueArray::F64(other.to_f64().ok_or_else(|| {
            Error::new(source, ErrorKind::Sparse("expected numeric data, got strings".into()))
                .in_member("data.npy")
        })?),
    })
}

/// A [`Csr`] as a validated borrowed view for the core kernels, by
/// index and value type.
#[derive(Debug, Clone, Copy)]
pub enum CsrView<'a> {
    /// `int32` indices, `float32` data (what `save_npz` of the bench tiles holds).
    I32F32(cellmap_core::sparse::Csr<'a, i32, f32>),
    /// `int32` indices, `float64` data.
    I32F64(cellmap_core::sparse::Csr<'a, i32, f64>),
    /// `int64` indices, `float32` data.
    I64F32(cellmap_core::sparse::Csr<'a, i64, f32>),
    /// `int64` indices, `float64` data.
    I64F64(cellmap_core::sparse::Csr<'a, i64, f64>),
}

impl CsrView<'_> {
    /// Runs `visitor` on the typed view: the one place where the four
    /// dtype combinations are told apart.
    pub fn visit<T: CsrVisitor>(&self, visitor: T) -> T::Output {
        match self {
            CsrView::I32F32(x) => visitor.visit(x),
            CsrView::I32F64(x) => visitor.visit(x),
            CsrView::I64F32(x) => visitor.visit(x),
            CsrView::I64F64(x) => visitor.visit(x),
        }
    }
}

/// A computation over a CSR matrix of any index and value dtype, run by
/// [`Csr::visit`] / [`CsrView::visit`] (generic code written once instead of
/// a `match` over the dtypes at every call site).
///
/// ```
/// use cellmap_core::sparse::{Csr as CoreCsr, SparseIndex, SparseValue};
/// use cellmap_io::npz::{Csr, CsrValue, CsrVisitor, IndexArray, ValueArray};
/// struct Total;
/// impl CsrVisitor for Total {
///     type Output = f64;
///     fn visit<I: SparseIndex, V: CsrValue>(self, x: &CoreCsr<'_, I, V>) -> f64 {
///         x.data().iter().map(|v| v.to_f64()).sum()
///     }
/// }
/// let csr = Csr {
///     source: "x.npz".into(),
///     shape: (2, 2),
///     indptr: IndexArray::I32(vec![0, 1, 2]),
///     indices: IndexArray::I32(vec![1, 0]),
///     data: ValueArray::F64(vec![2.5, 1.0]),
/// };
/// assert_eq!(csr.visit(Total)?, 3.5);
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub trait CsrVisitor {
    /// What the computation returns.
    type Output;
    /// Runs on the validated typed view.
    fn visit<I: SparseIndex, V: CsrValue>(self, x: &cellmap_core::sparse::Csr<'_, I, V>) -> Self::Output;
}

/// A value dtype of a CSR matrix (`float32`, `float64`): a core
/// [`SparseValue`] that can be stored back in a [`ValueArray`].
pub trait CsrValue: SparseValue + Element + Default {
    /// Wraps values of this type.
    fn into_array(values: Vec<Self>) -> ValueArray;
}

impl CsrValue for f32 {
    fn into_array(values: Vec<Self>) -> ValueArray {
        ValueArray::F32(values)
    }
}

impl CsrValue for f64 {
    fn into_array(values: Vec<Self>) -> ValueArray {
        ValueArray::F64(values)
    }
}

/// Row pointers or column indices of a CSR matrix, in the file's dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexArray {
    /// `int32` (what scipy writes while `nnz` and the shape fit).
    I32(Vec<i32>),
    /// `int64`
    I64(Vec<i64>),
}

impl IndexArray {
    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            IndexArray::I32(v) => v.len(),
            IndexArray::I64(v) => v.len(),
        }
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entry `i` widened to `i64`.
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            IndexArray::I32(v) => v.get(i).map(|&x| i64::from(x)),
            IndexArray::I64(v) => v.get(i).copied(),
        }
    }
}

/// The stored values of a CSR matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueArray {
    /// `float32` data.
    F32(Vec<f32>),
    /// `float64` data (also integer and bool data, widened).
    F64(Vec<f64>),
}

impl ValueArray {
    /// Number of stored values.
    pub fn len(&self) -> usize {
        match self {
            ValueArray::F32(v) => v.len(),
            ValueArray::F64(v) => v.len(),
        }
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A scipy CSR matrix (`pixels × genes` for cellmap): row `r` holds
/// columns `indices[indptr[r]..indptr[r+1]]` with values `data[..]`.
/// Duplicates, unsorted columns and explicit zeros are kept as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// The file (or source name) the matrix came from, for error messages.
    pub source: String,
    /// `(rows, cols)`.
    pub shape: (usize, usize),
    /// `rows + 1` row pointers.
    pub indptr: IndexArray,
    /// Column of each stored value.
    pub indices: IndexArray,
    /// Stored values.
    pub data: ValueArray,
}

impl Csr {
    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    fn error(&self, why: String) -> Error {
        Error::new(self.source.as_str(), ErrorKind::Sparse(why))
    }

    /// Checks that `indptr` has `rows + 1` entries, `indices` and `data`
    /// have the same length, and `indptr` ends at that length.
    pub fn check_lengths(&self) -> Result<(), Error> {
        let (rows, cols) = self.shape;
        if self.indptr.len() != rows.saturating_add(1) {
            return Err(self.error(format!(
                "indptr has {} entries, but CSR shape ({rows}, {cols}) needs rows + 1 = {}",
                self.indptr.len(),
                rows as u128 + 1
            )));
        }
        if self.indices.len() != self.data.len() {
            return Err(self.error(format!(
                "indices has {} entries but data has {}",
                self.indices.len(),
                self.data.len()
            )));
        }
        let end = self.indptr.get(rows).unwrap_or(0);
        if end != self.data.len() as i64 {
            return Err(
                self.error(format!("indptr ends at {end}, but there are {} stored values", self.data.len()))
            );
        }
        Ok(())
    }

    /// The full structural check: [`check_lengths`](Self::check_lengths),
    /// `indptr` starting at 0 and never decreasing, and every column index in
    /// `0..cols`. One pass over `indices`.
    ///
    /// ```
    /// use cellmap_io::npz::{Csr, IndexArray, ValueArray};
    /// let csr = Csr {
    ///     source: "st.npz".into(),
    ///     shape: (2, 3),
    ///     indptr: IndexArray::I32(vec![0, 2, 3]),
    ///     indices: IndexArray::I32(vec![0, 3, 1]),
    ///     data: ValueArray::F32(vec![1.0, 2.0, 3.0]),
    /// };
    /// assert_eq!(
    ///     csr.validate().unwrap_err().to_string(),
    ///     "st.npz: column index 3 at position 1 is out of range for CSR shape (2, 3)"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        self.check_lengths()?;
        let (rows, cols) = self.shape;
        let mut previous = 0i64;
        for row in 0..=rows {
            let p = self.indptr.get(row).unwrap_or(0);
            if (row == 0 && p != 0) || p < previous {
                return Err(self.error(format!(
                    "indptr must start at 0 and never decrease, but indptr[{row}] = {p} (previous {previous})"
                )));
            }
            previous = p;
        }
        let bad = match &self.indices {
            IndexArray::I32(v) => v.iter().position(|&c| c < 0 || c as u64 >= cols as u64),
            IndexArray::I64(v) => v.iter().position(|&c| c < 0 || c as u64 >= cols as u64),
        };
        if let Some(pos) = bad {
            let column = self.indices.get(pos).unwrap_or(0);
            return Err(self.error(format!(
                "column index {column} at position {pos} is out of range for CSR shape ({rows}, {cols})"
            )));
        }
        Ok(())
    }

    /// The matrix as a core view, validated by
    /// [`cellmap_core::sparse::Csr::new`] (errors name the file; for the
    /// position of a bad entry use [`validate`](Self::validate)).
    ///
    /// ```
    /// use cellmap_io::npz::{Csr, CsrView, IndexArray, ValueArray};
    /// let csr = Csr {
    ///     source: "st.npz".into(),
    ///     shape: (2, 3),
    ///     indptr: IndexArray::I32(vec![0, 1, 2]),
    ///     indices: IndexArray::I32(vec![2, 0]),
    ///     data: ValueArray::F32(vec![1.0, 2.0]),
    /// };
    /// let CsrView::I32F32(view) = csr.view()? else { unreachable!() };
    /// assert_eq!((view.rows(), view.cols(), view.nnz()), (2, 3, 2));
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn view(&self) -> Result<CsrView<'_>, Error> {
        use cellmap_core::sparse::Csr as Core;
        let cols = self.shape.1;
        let core = |e| Error::new(self.source.as_str(), ErrorKind::Core(e));
        match (&self.indptr, &self.indices, &self.data) {
            (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F32(d)) => {
                Core::new(cols, p, i, d).map(CsrView::I32F32).map_err(core)
            }
            (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F64(d)) => {
                Core::new(cols, p, i, d).map(CsrView::I32F64).map_err(core)
            }
            (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F32(d)) => {
                Core::new(cols, p, i, d).map(CsrView::I64F32).map_err(core)
            }
            (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F64(d)) => {
                Core::new(cols, p, i, d).map(CsrView::I64F64).map_err(core)
            }
            _ => Err(self.error("indptr and indices have different dtypes (int32 and int64)".into())),
        }
    }

    /// Writes the matrix as `scipy.sparse.save_npz` does (members
    /// `indices`, `indptr`, `format`, `shape`, `data`; `load_npz` reads it).
    pub fn write<W: Write + Seek>(&self, writer: W, dest: &str) -> Result<W, Error> {
        let too_large = |_| Error::new(dest, ErrorKind::Sparse("shape too large for int64".into()));
        let shape = [
            i64::try_from(self.shape.0).map_err(too_large)?,
            i64::try_from(self.shape.1).map_err(too_large)?,
        ];
        let mut npz = NpzWriter::new(writer, dest);
        fn add_index<W: Write + Seek>(
            npz: &mut NpzWriter<W>,
            name: &str,
            a: &IndexArray,
        ) -> Result<(), Error> {
            match a {
                IndexArray::I32(v) => npz.add(name, &[v.len()], v),
                IndexArray::I64(v) => npz.add(name, &[v.len()], v),
            }
        }
        add_index(&mut npz, "indices", &self.indices)?;
        add_index(&mut npz, "indptr", &self.indptr)?;
        npz.add_bytes_string("format", b"csr")?;
        npz.add("shape", &[2], &shape)?;
        match &self.data {
            ValueArray::F32(v) => npz.add("data", &[v.len()], v)?,
            ValueArray::F64(v) => npz.add("data", &[v.len()], v)?,
        }
        npz.finish()
    }

    /// Validates the matrix ([`Csr::view`]) and runs `visitor` on it.
    pub fn visit<T: CsrVisitor>(&self, visitor: T) -> Result<T::Output, Error> {
        Ok(self.view()?.visit(visitor))
    }

    /// Checks that the matrix has one row per pixel of a `height × width`
    /// mask (row `r` = pixel `(r / width, r % width)`).
    ///
    /// ```
    /// use cellmap_io::npz::{Csr, IndexArray, ValueArray};
    /// let csr = Csr {
    ///     source: "st.npz".into(),
    ///     shape: (1048576, 5100),
    ///     indptr: IndexArray::I32(vec![0; 1048577]),
    ///     indices: IndexArray::I32(vec![]),
    ///     data: ValueArray::F32(vec![]),
    /// };
    /// assert!(csr.check_mask_shape(1024, 1024).is_ok());
    /// assert_eq!(
    ///     csr.check_mask_shape(512, 512).unwrap_err().to_string(),
    ///     "st.npz: CSR shape (1048576, 5100) does not match mask 512×512 (needs 262144 rows, one per pixel)"
    /// );
    /// ```
    pub fn check_mask_shape(&self, height: usize, width: usize) -> Result<(), Error> {
        let pixels = height as u128 * width as u128;
        if self.shape.0 as u128 != pixels {
            return Err(self.error(format!(
                "CSR shape ({}, {}) does not match mask {height}×{width} (needs {pixels} rows, one per pixel)",
                self.shape.0, self.shape.1
            )));
        }
        Ok(())
    }
}

/// Writes a CSR matrix of `shape` as `scipy.sparse.save_npz` does (members
/// `indices`, `indptr`, `format`, `shape`, `data`): `scipy.sparse.load_npz`
/// gives a `csr_matrix` of `data`'s dtype. `indptr` and `indices` are
/// stored as int32 when every row pointer fits (as scipy does), else int64.
///
/// ```
/// use cellmap_io::npz::{Npz, IndexArray, write_csr};
/// let w = write_csr(std::io::Cursor::new(Vec::new()), "c.npz", (2, 3), &[0, 1, 3], &[2, 0, 1], &[5i64, 1, 2])?;
/// let csr = Npz::from_bytes(w.get_ref(), "c.npz")?.csr()?;
/// assert_eq!((csr.shape, csr.indptr), ((2, 3), IndexArray::I32(vec![0, 1, 3])));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write_csr<W: Write + Seek, T: Element>(
    writer: W,
    dest: &str,
    shape: (usize, usize),
    indptr: &[i64],
    indices: &[i32],
    data: &[T],
) -> Result<W, Error> {
    let too_large = |_| Error::new(dest, ErrorKind::Sparse("shape too large for int64".into()));
    let dims = [i64::try_from(shape.0).map_err(too_large)?, i64::try_from(shape.1).map_err(too_large)?];
    let mut npz = NpzWriter::new(writer, dest);
    if indptr.iter().all(|&p| i32::try_from(p).is_ok()) {
        npz.add("indices", &[indices.len()], indices)?;
        let narrow: Vec<i32> = indptr.iter().map(|&p| p as i32).collect();
        npz.add("indptr", &[narrow.len()], &narrow)?;
    } else {
        let wide: Vec<i64> = indices.iter().map(|&i| i64::from(i)).collect();
        npz.add("indices", &[wide.len()], &wide)?;
        npz.add("indptr", &[indptr.len()], indptr)?;
    }
    npz.add_bytes_string("format", b"csr")?;
    npz.add("shape", &[2], &dims)?;
    npz.add("data", &[data.len()], data)?;
    npz.finish()
}

/// Writes several named arrays into an `.npz` that `numpy.load` reads.
///
/// Members are stored uncompressed by default (like `np.savez`);
/// [`compressed`](Self::compressed) deflates them (like `np.savez_compressed`).
#[derive(Debug)]
pub struct NpzWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    dest: String,
    method: zip::CompressionMethod,
}

impl<W: Write + Seek> NpzWriter<W> {
    /// Starts an archive on `writer`; `dest` names it in errors.
    pub fn new(writer: W, dest: &str) -> Self {
        Self {
            zip: zip::ZipWriter::new(writer),
            dest: dest.to_string(),
            method: zip::CompressionMethod::Stored,
        }
    }

    /// Deflate the members added from now on.
    pub fn compressed(mut self) -> Self {
        self.method = zip::CompressionMethod::Deflated;
        self
    }

    /// Adds array `name` (stored as `name.npy`) of `shape`, C order.
    pub fn add<T: Element>(&mut self, name: &str, shape: &[usize], data: &[T]) -> Result<(), Error> {
        let member = format!("{name}.npy");
        let bytes = std::mem::size_of_val(data) as u64 + 4096;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(self.method)
            .large_file(bytes >= u64::from(u32::MAX));
        self.zip
            .start_file(member.as_str(), options)
            .map_err(|e| zip_error(&self.dest, e).in_member(&member))?;
        npy::write(&mut self.zip, shape, data, &self.dest).map_err(|e| e.in_member(member))
    }

    /// Adds a 0-d byte-string array (`|S<n>`), as scipy writes `format`.
    ///
    /// ```
    /// use cellmap_io::npz::{Npz, NpzWriter};
    /// use cellmap_io::npy::ArrayData;
    /// let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()), "m.npz");
    /// w.add_bytes_string("format", b"csr")?;
    /// let bytes = w.finish()?.into_inner();
    /// let format = Npz::from_bytes(&bytes, "m.npz")?.array("format")?;
    /// assert_eq!(format.data(), &ArrayData::Str(vec!["csr".into()]));
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn add_bytes_string(&mut self, name: &str, value: &[u8]) -> Result<(), Error> {
        let member = format!("{name}.npy");
        let options = zip::write::SimpleFileOptions::default().compression_method(self.method);
        self.zip
            .start_file(member.as_str(), options)
            .map_err(|e| zip_error(&self.dest, e).in_member(&member))?;
        let io = |e| Error::new(self.dest.as_str(), ErrorKind::Io(e)).in_member(member.as_str());
        let descr = format!("|S{}", value.len().max(1));
        self.zip.write_all(&npy::header_bytes(&descr, &[])).map_err(io)?;
        self.zip.write_all(if value.is_empty() { b"\0" } else { value }).map_err(io)
    }

    /// Writes the central directory and returns the inner writer.
    pub fn finish(self) -> Result<W, Error> {
        self.zip.finish().map_err(|e| zip_error(&self.dest, e))
    }
}

/// Reads a member to its end after its array, so that the zip reader
/// checks its CRC (at most 1 MiB may follow the array).
fn finish_member(file: &mut dyn Read, source: &str) -> Result<(), Error> {
    let mut rest = [0u8; 4096];
    let mut trailing = 0u64;
    loop {
        match file.read(&mut rest) {
            Ok(0) => return Ok(()),
            Ok(n) => trailing += n as u64,
            Err(e) => return Err(Error::new(source, ErrorKind::Zip(format!("corrupt member: {e}")))),
        }
        if trailing > 1 << 20 {
            return Err(Error::new(source, ErrorKind::Zip("more than 1 MiB of data after the array".into())));
        }
    }
}

fn zip_error(source: &str, e: ZipError) -> Error {
    match e {
        ZipError::Io(io) => Error::new(source, ErrorKind::Io(io)),
        other => Error::new(source, ErrorKind::Zip(format!("not a valid .npz (zip) archive: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(members: &[(&str, Vec<u8>)], method: zip::CompressionMethod) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in members {
            zip.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(method))
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn csr_members(
        indptr: &[i32],
        indices: &[i32],
        data: &[f32],
        shape: [i64; 2],
    ) -> Vec<(&'static str, Vec<u8>)> {
        let format = {
            let mut b = b"\x93NUMPY\x01\x00".to_vec();
            let dict = "{'descr': '|S3', 'fortran_order': False, 'shape': (), }";
            b.extend_from_slice(&(dict.len() as u16 + 1).to_le_bytes());
            b.extend_from_slice(dict.as_bytes());
            b.push(b'\n');
            b.extend_from_slice(b"csr");
            b
        };
        vec![
            ("indices.npy", npy::encode(&[indices.len()], indices).unwrap()),
            ("indptr.npy", npy::encode(&[indptr.len()], indptr).unwrap()),
            ("format.npy", format),
            ("shape.npy", npy::encode(&[2], &shape).unwrap()),
            ("data.npy", npy::encode(&[data.len()], data).unwrap()),
        ]
    }

    #[test]
    fn reads_csr_stored_and_deflated() {
        for method in [zip::CompressionMethod::Stored, zip::CompressionMethod::Deflated] {
            let bytes = archive(&csr_members(&[0, 2, 2, 3], &[1, 0, 1], &[5.0, 6.0, 7.0], [3, 2]), method);
            let csr = Npz::from_bytes(&bytes, "st.npz").unwrap().csr().unwrap();
            assert_eq!(csr.shape, (3, 2));
            assert_eq!(csr.indptr, IndexArray::I32(vec![0, 2, 2, 3]));
            assert_eq!(csr.indices, IndexArray::I32(vec![1, 0, 1]));
            assert_eq!(csr.data, ValueArray::F32(vec![5.0, 6.0, 7.0]));
            csr.validate().unwrap();
        }
    }

    #[test]
    fn inconsistent_csr_lengths_are_named() {
        let bytes = archive(
            &csr_members(&[0, 2, 3], &[1, 0, 1], &[5.0, 6.0, 7.0], [3, 2]),
            zip::CompressionMethod::Stored,
        );
        let err = Npz::from_bytes(&bytes, "st.npz").unwrap().csr().unwrap_err().to_string();
        assert_eq!(err, "st.npz: indptr has 3 entries, but CSR shape (3, 2) needs rows + 1 = 4");
        let bytes = archive(
            &csr_members(&[0, 2, 3], &[1, 0], &[5.0, 6.0, 7.0], [2, 2]),
            zip::CompressionMethod::Stored,
        );
        let err = Npz::from_bytes(&bytes, "st.npz").unwrap().csr().unwrap_err().to_string();
        assert_eq!(err, "st.npz: indices has 2 entries but data has 3");
        let bytes = archive(
            &csr_members(&[0, 2, 4], &[1, 0, 1], &[5.0, 6.0, 7.0], [2, 2]),
            zip::CompressionMethod::Stored,
        );
        let err = Npz::from_bytes(&bytes, "st.npz").unwrap().csr().unwrap_err().to_string();
        assert_eq!(err, "st.npz: indptr ends at 4, but there are 3 stored values");
        let bytes = archive(
            &csr_members(&[0, 2, 3], &[1, 0, 9], &[5.0, 6.0, 7.0], [2, 2]),
            zip::CompressionMethod::Stored,
        );
        let csr = Npz::from_bytes(&bytes, "st.npz").unwrap().csr().unwrap();
        let err = csr.validate().unwrap_err().to_string();
        assert_eq!(err, "st.npz: column index 9 at position 2 is out of range for CSR shape (2, 2)");
        let csr = Csr { indptr: IndexArray::I64(vec![0, 4, 3]), ..csr };
        let err = csr.validate().unwrap_err().to_string();
        assert!(err.contains("indptr must start at 0 and never decrease, but indptr[2] = 3"), "{err}");
    }

    #[test]
    fn corrupt_members_are_named() {
        let good = npy::encode(&[1000], &vec![1.5f64; 1000]).unwrap();
        let mut bytes = archive(&[("x.npy", good)], zip::CompressionMethod::Stored);
        // Flip a data byte near the end of the member: the CRC no longer matches.
        let at = bytes.windows(8).position(|w| w == 1.5f64.to_le_bytes()).unwrap() + 4000;
        bytes[at] ^= 0xff;
        let err = Npz::from_bytes(&bytes, "x.npz").unwrap().array("x").unwrap_err().to_string();
        assert!(err.starts_with("x.npz: member x.npy: corrupt member:"), "{err}");

        let err = Npz::from_bytes(b"PK\x03\x04garbage", "y.npz").unwrap_err().to_string();
        assert!(err.starts_with("y.npz: not a valid .npz (zip) archive"), "{err}");
    }

    #[test]
    fn truncated_member_reports_declared_sizes() {
        let mut npy_bytes = npy::encode(&[1_048_577], &vec![0i32; 1_048_577]).unwrap();
        npy_bytes.truncate(128 + 1000);
        let bytes = archive(&[("indptr.npy", npy_bytes)], zip::CompressionMethod::Deflated);
        let err = Npz::from_bytes(&bytes, "st.npz").unwrap().array("indptr").unwrap_err().to_string();
        assert_eq!(err, "st.npz: member indptr.npy: truncated data (expected 4194308 bytes, got 1000)");
    }
}
