//! A scipy CSR `.npz` decoded straight into column-major (gene-major) form,
//! streaming its members: the row-major arrays are never held whole.
//!
//! Two passes over `indices` (count the entries of each column, then place
//! each entry) and one over `data`, read in lockstep with the second: what
//! is held is the result, `indptr` and a few chunk buffers.

use std::io::{Read, Seek};

use zip::ZipArchive;

use super::{CsrHeaders, Npz, PROGRESS_STEP, ValueArray, finish_member, index_array, one_d_len, zip_error};
use crate::error::{Error, ErrorKind, grouped};
use crate::limits::{Limits, format_bytes};
use crate::npy::{self, ArrayData, Dtype};
use crate::ranges::{RangeReader, ReadAt};

/// Elements read from a member at a time.
const CHUNK: usize = 1 << 16;

/// A CSR matrix regrouped by column (CSC): column `c` holds the rows
/// `rows[col_ptr[c]..col_ptr[c + 1]]` and their `values`, in row order,
/// with duplicates and explicit zeros kept in stored order — what
/// `cellmap_core::sparse::csr_to_gene_major` makes of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    /// `(rows, cols)` of the matrix.
    pub shape: (usize, usize),
    /// `cols + 1` offsets into `rows` and `values`.
    pub col_ptr: Vec<usize>,
    /// The row of each entry.
    pub rows: Vec<u32>,
    /// The entries' values: `float32` data stays `float32`, any other
    /// numeric dtype becomes `float64` (as in [`super::Csr`]).
    pub values: ValueArray,
}

/// Reads the scipy CSR `.npz` in `bytes` in column-major form
/// ([`Columns`]), reading `bytes` range by range (they can stay where they
/// are, e.g. in JS memory) and never holding its row-major arrays whole.
///
/// First the shape is read (`format` and `shape` only) and handed to
/// `check_shape(rows, cols)`; then the headers are checked
/// ([`Npz::check_csr`]'s checks) and what the result takes against the
/// memory budget (a one-line error giving the file's size, the matrix and
/// the bytes needed), all before anything big is allocated. `indptr` is
/// read whole and checked (same messages as [`super::Csr::validate`]);
/// `indices` is read twice (counting each column's entries, then placing
/// them; every column index checked) and `data` once, in lockstep with the
/// second pass. `progress(done, total)` is called as the members are
/// decoded (in bytes of the archive, at most once per 4 MiB, and at the
/// end).
///
/// ```
/// use cellmap_io::npz::{self, ValueArray};
/// //  row 0: col 1 = 5    row 1: col 0 = 6, col 1 = 7
/// let w = npz::write_csr(std::io::Cursor::new(Vec::new()), "m.npz", (2, 2), &[0, 1, 3], &[1, 0, 1], &[5.0f32, 6.0, 7.0])?;
/// let (limits, bytes) = (cellmap_io::Limits::default(), w.get_ref().as_slice());
/// let columns = npz::read_csr_columns(&bytes, "m.npz", limits, &mut |_, _| Ok(()), &mut |_, _| {})?;
/// assert_eq!((columns.col_ptr, columns.rows), (vec![0, 1, 3], vec![1, 0, 1]));
/// assert_eq!(columns.values, ValueArray::F32(vec![6.0, 5.0, 7.0]));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn read_csr_columns(
    bytes: &dyn ReadAt,
    source: &str,
    limits: Limits,
    check_shape: &mut dyn FnMut(usize, usize) -> Result<(), Error>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Columns, Error> {
    // One reader type, so that the archive code is compiled once, here.
    let mut npz = Npz::new(RangeReader::new(bytes), source, limits)?;
    let (rows, cols) = npz.csr_shape()?;
    check_shape(rows, cols)?;
    npz.csr_columns(progress)
}

impl<R: Read + Seek + Clone> Npz<R> {
    /// [`read_csr_columns`] past the shape check; `R: Clone` opens
    /// `indices` and `data` at once.
    fn csr_columns(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Result<Columns, Error> {
        // Only opening members depends on `R`: the decoding is compiled once.
        let source = self.source.clone();
        let headers = self.csr_headers()?;
        let mut decoder = Decoder::new(&source, self.len, self.limits, headers, progress)?;
        decoder.row_offsets(index_array(self.array("indptr")?, "indptr", &source)?)?;
        decoder.count(&mut member(&mut self.archive, "indices", &source)?)?;
        let mut data_archive = self.archive.clone();
        let mut indices = member(&mut self.archive, "indices", &source)?;
        decoder.place(&mut indices, &mut member(&mut data_archive, "data", &source)?)
    }
}

/// Opens member `name` (`"indices"`) of an archive.
fn member<'a, R: Read + Seek>(
    archive: &'a mut ZipArchive<R>,
    name: &str,
    source: &str,
) -> Result<zip::read::ZipFile<'a, R>, Error> {
    let member = format!("{name}.npy");
    let index = archive.index_for_name(&member).ok_or_else(|| {
        Error::new(source, ErrorKind::MissingMember { name: member.clone(), present: Vec::new() })
    })?;
    archive.by_index(index).map_err(|e| zip_error(source, e).in_member(member))
}

/// The decoding of [`Npz::csr_columns`], on members opened for it.
struct Decoder<'a> {
    source: &'a str,
    limits: Limits,
    shape: (usize, usize),
    nnz: usize,
    /// `float32` data (kept as `float32`), else widened to `float64`.
    f32_values: bool,
    /// `indptr` as offsets.
    row_ptr: Vec<usize>,
    /// Pass 1 counts into `col_ptr[c + 1]`; pass 2 uses `col_ptr[c]` as
    /// column `c`'s cursor.
    col_ptr: Vec<usize>,
    tracker: Tracker<'a>,
}

impl<'a> Decoder<'a> {
    /// Checks what the result takes against the memory budget, before
    /// anything big is allocated.
    #[inline(never)]
    fn new(
        source: &'a str,
        len: u64,
        limits: Limits,
        headers: CsrHeaders,
        progress: &'a mut dyn FnMut(u64, u64),
    ) -> Result<Self, Error> {
        let CsrHeaders { shape: (rows, cols), indptr, indices, data } = headers;
        let nnz = one_d_len(&data);
        if u32::try_from(rows).is_err() {
            return Err(Error::new(
                source,
                ErrorKind::Sparse(format!(
                    "{} rows are too many (at most {})",
                    grouped(rows as u128),
                    u32::MAX
                )),
            ));
        }
        let f32_values = data.dtype == Dtype::F32;
        let usize_bytes = size_of::<usize>() as u128;
        // The result, `indptr` as read and as offsets, and the chunks.
        let needed = (cols as u128 + 1) * usize_bytes
            + nnz as u128 * (4 + if f32_values { 4 } else { 8 })
            + (rows as u128 + 1) * (indptr.dtype.item_size() as u128 + usize_bytes)
            + CHUNK as u128 * 32;
        let what = || {
            format!(
                "the gene-major copy of this {} file's {} × {} matrix ({} stored values)",
                format_bytes(u128::from(len)),
                grouped(rows as u128),
                grouped(cols as u128),
                grouped(nnz as u128)
            )
        };
        limits
            .memory
            .check(what, needed)
            .map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))?;
        let tracker = Tracker {
            done: 0,
            reported: 0,
            // `indices` is read twice.
            work: 2 * data_bytes(&indices) + data_bytes(&data) + data_bytes(&indptr),
            len,
            progress,
        };
        Ok(Self {
            source,
            limits,
            shape: (rows, cols),
            nnz,
            f32_values,
            row_ptr: Vec::new(),
            col_ptr: Vec::new(),
            tracker,
        })
    }

    /// `indptr` as offsets, checked as [`super::Csr::validate`] checks it
    /// (same messages): it starts at 0, never decreases and ends at `nnz`.
    #[inline(never)]
    fn row_offsets(&mut self, indptr: super::IndexArray) -> Result<(), Error> {
        let (source, nnz) = (self.source, self.nnz);
        let sparse = |why: String| Error::new(source, ErrorKind::Sparse(why));
        let end = indptr.get(indptr.len().saturating_sub(1)).unwrap_or(0);
        if end != nnz as i64 {
            return Err(sparse(format!("indptr ends at {end}, but there are {nnz} stored values")));
        }
        let mut offsets = filled(indptr.len(), 0usize, "the row offsets", source)?;
        let mut previous = 0i64;
        for (row, offset) in offsets.iter_mut().enumerate() {
            let p = indptr.get(row).unwrap_or(0);
            if (row == 0 && p != 0) || p < previous {
                return Err(sparse(format!(
                    "indptr must start at 0 and never decrease, but indptr[{row}] = {p} (previous {previous})"
                )));
            }
            previous = p;
            // 0 <= p <= nnz: fits.
            *offset = p as usize;
        }
        self.tracker
            .add((indptr.len() * if matches!(indptr, super::IndexArray::I32(_)) { 4 } else { 8 }) as u64);
        self.row_ptr = offsets;
        Ok(())
    }

    /// Pass 1: the entries of each column (every column index checked),
    /// then their prefix sums: column `c` starts at `col_ptr[c]`.
    #[inline(never)]
    fn count(&mut self, indices: &mut dyn Read) -> Result<(), Error> {
        let cols = self.shape.1;
        let mut col_ptr = filled(cols + 1, 0usize, "the column offsets", self.source)?;
        let mut genes = Vec::with_capacity(CHUNK);
        let mut member = Member::new(indices, "indices", self.source, self.limits)?;
        let mut first = 0;
        while let Some(chunk) = member.next_chunk(&mut self.tracker)? {
            column_indices(chunk, first, self.shape, self.source, &mut genes)?;
            for &c in &genes {
                col_ptr[c + 1] += 1;
            }
            first += genes.len();
        }
        member.finish()?;
        for c in 0..cols {
            col_ptr[c + 1] += col_ptr[c];
        }
        self.col_ptr = col_ptr;
        Ok(())
    }

    /// Pass 2: each entry to its column's cursor (`indices` and `data` read
    /// in lockstep); returns the result.
    #[inline(never)]
    fn place(mut self, indices: &mut dyn Read, data: &mut dyn Read) -> Result<Columns, Error> {
        let (source, nnz, (_, cols)) = (self.source, self.nnz, self.shape);
        let mut rows = filled(nnz, 0u32, "the rows of the entries", source)?;
        let mut values = if self.f32_values {
            ValueArray::F32(filled(nnz, 0.0, "the values of the entries", source)?)
        } else {
            ValueArray::F64(filled(nnz, 0.0, "the values of the entries", source)?)
        };
        let mut index_member = Member::new(indices, "indices", source, self.limits)?;
        let mut data_member = Member::new(data, "data", source, self.limits)?;
        let mut genes = Vec::with_capacity(CHUNK);
        let mut place =
            Placer { first: 0, row: 0, row_ptr: &self.row_ptr, cursors: &mut self.col_ptr, rows: &mut rows };
        while let Some(chunk) = index_member.next_chunk(&mut self.tracker)? {
            column_indices(chunk, place.first, self.shape, source, &mut genes)?;
            let chunk = data_member.next_chunk(&mut self.tracker)?;
            let placed = match (&mut values, chunk) {
                (ValueArray::F32(out), Some(ArrayData::F32(v))) => place.entries(&genes, &v, out),
                (ValueArray::F64(out), Some(ArrayData::F64(v))) => place.entries(&genes, &v, out),
                (ValueArray::F64(out), Some(other)) => match other.to_f64() {
                    Some(v) => place.entries(&genes, &v, out),
                    None => false,
                },
                _ => false,
            };
            if !placed {
                let why = "indices and data changed while they were read".to_string();
                return Err(Error::new(source, ErrorKind::Sparse(why)));
            }
        }
        index_member.finish()?;
        data_member.finish()?;
        // Each cursor ended at its column's end: shift to starts.
        let mut col_ptr = self.col_ptr;
        col_ptr.copy_within(0..cols, 1);
        col_ptr[0] = 0;
        let len = self.tracker.len;
        (self.tracker.progress)(len, len);
        Ok(Columns { shape: self.shape, col_ptr, rows, values })
    }
}

/// The declared data bytes of a member.
fn data_bytes(header: &npy::Header) -> u64 {
    header.data_len().unwrap_or(0)
}

/// `len` copies of `value`, or an error naming `what` when the memory
/// cannot be had.
fn filled<T: Clone>(len: usize, value: T, what: &str, source: &str) -> Result<Vec<T>, Error> {
    let mut v = Vec::new();
    if v.try_reserve_exact(len).is_err() {
        let why =
            format!("not enough memory for {what} ({} × {} bytes)", grouped(len as u128), size_of::<T>());
        return Err(Error::new(
            source,
            ErrorKind::Io(std::io::Error::new(std::io::ErrorKind::OutOfMemory, why)),
        ));
    }
    crate::advise_huge_pages(v.spare_capacity_mut());
    v.resize(len, value);
    Ok(v)
}

/// The column indices of a chunk of `indices` (entries `first..`) into
/// `out`, each checked to be in `0..cols` (the message of
/// [`super::Csr::validate`]).
fn column_indices(
    chunk: ArrayData,
    first: usize,
    (rows, cols): (usize, usize),
    source: &str,
    out: &mut Vec<usize>,
) -> Result<(), Error> {
    fn convert<I: Copy + Into<i64>>(v: &[I], cols: usize, out: &mut Vec<usize>) -> Option<usize> {
        for (i, &c) in v.iter().enumerate() {
            match usize::try_from(c.into()) {
                Ok(c) if c < cols => out.push(c),
                _ => return Some(i),
            }
        }
        None
    }
    out.clear();
    let bad = match &chunk {
        ArrayData::I32(v) => convert(v, cols, out),
        ArrayData::I64(v) => convert(v, cols, out),
        other => {
            return Err(Error::new(
                source,
                ErrorKind::Sparse(format!("expected int32 or int64 indices, got {}", other.dtype().name())),
            )
            .in_member("indices.npy"));
        }
    };
    match bad {
        None => Ok(()),
        Some(i) => {
            let column = match &chunk {
                ArrayData::I32(v) => i64::from(v[i]),
                ArrayData::I64(v) => v[i],
                _ => 0,
            };
            Err(Error::new(
                source,
                ErrorKind::Sparse(format!(
                    "column index {column} at position {} is out of range for CSR shape ({rows}, {cols})",
                    first + i
                )),
            ))
        }
    }
}

/// Places entries at their columns' cursors (pass 2).
struct Placer<'a> {
    /// The position in the matrix of the next entry.
    first: usize,
    /// The row of the next entry.
    row: usize,
    row_ptr: &'a [usize],
    cursors: &'a mut [usize],
    rows: &'a mut [u32],
}

impl Placer<'_> {
    /// Places entries `first..first + genes.len()` (columns `genes`,
    /// values `values`); `false` if a column overflows its space, which
    /// only happens when `indices` differs from what the first pass read.
    fn entries<V: Copy>(&mut self, genes: &[usize], values: &[V], out: &mut [V]) -> bool {
        for (&c, &v) in genes.iter().zip(values) {
            let k = self.first;
            // row_ptr ends at nnz > k: the row is found.
            while self.row_ptr.get(self.row + 1).is_some_and(|&end| end <= k) {
                self.row += 1;
            }
            let Some(slot) = self.cursors.get_mut(c) else { return false };
            let (Some(row), Some(value)) = (self.rows.get_mut(*slot), out.get_mut(*slot)) else {
                return false;
            };
            // rows < 2^32, checked before the passes.
            *row = self.row as u32;
            *value = v;
            *slot += 1;
            self.first += 1;
        }
        genes.len() == values.len()
    }
}

/// A member's array read in chunks of [`CHUNK`] elements.
struct Member<'r> {
    file: &'r mut dyn Read,
    header: npy::Header,
    name: &'static str,
    source: &'r str,
    limits: Limits,
    /// Elements not read yet.
    remaining: usize,
    /// Data bytes read so far.
    read: u64,
}

impl<'r> Member<'r> {
    /// Reads the header of member `name` (`"indices"`), opened as `file`.
    fn new(
        mut file: &'r mut dyn Read,
        name: &'static str,
        source: &'r str,
        limits: Limits,
    ) -> Result<Self, Error> {
        let header = npy::read_header(&mut file, source).map_err(|e| e.in_member(format!("{name}.npy")))?;
        let remaining = one_d_len(&header);
        Ok(Self { file, header, name, source, limits, remaining, read: 0 })
    }

    /// The next chunk, `None` at the end of the array.
    fn next_chunk(&mut self, tracker: &mut Tracker<'_>) -> Result<Option<ArrayData>, Error> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let count = self.remaining.min(CHUNK);
        let chunk = npy::Header { shape: vec![count], fortran_order: false, ..self.header.clone() };
        let bytes = data_bytes(&chunk);
        let array =
            npy::read_data(&mut self.file, &chunk, bytes, self.source, &self.limits).map_err(|e| {
                let e = match e.kind() {
                    // Say how much of the whole array was there.
                    ErrorKind::Truncated { got, .. } => Error::new(
                        self.source,
                        ErrorKind::Truncated { expected: data_bytes(&self.header), got: self.read + got },
                    ),
                    _ => e,
                };
                e.in_member(format!("{}.npy", self.name))
            })?;
        self.remaining -= count;
        self.read += bytes;
        tracker.add(bytes);
        Ok(Some(array.into_parts().1))
    }

    /// Reads to the member's end (its CRC is checked).
    fn finish(self) -> Result<(), Error> {
        finish_member(self.file, self.source).map_err(|e| e.in_member(format!("{}.npy", self.name)))
    }
}

/// Progress in bytes of the archive, from the data bytes decoded.
struct Tracker<'p> {
    done: u64,
    reported: u64,
    /// Data bytes to decode in all.
    work: u64,
    /// The archive's size.
    len: u64,
    progress: &'p mut dyn FnMut(u64, u64),
}

impl Tracker<'_> {
    fn add(&mut self, bytes: u64) {
        self.done += bytes;
        let at = (self.done.min(self.work) as f64 / self.work.max(1) as f64 * self.len as f64) as u64;
        if at - self.reported >= PROGRESS_STEP {
            self.reported = at;
            (self.progress)(at, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npz::{Csr, IndexArray, NpzWriter};
    use cellmap_core::sparse::{self, SparseIndex, SparseValue};

    /// What the core makes of `csr`: the reference.
    fn reference(csr: &Csr) -> Columns {
        fn run<I: SparseIndex, V: SparseValue + Default + Clone>(
            rows: usize,
            cols: usize,
            indptr: &[I],
            indices: &[I],
            data: &[V],
        ) -> (Vec<usize>, Vec<u32>, Vec<V>) {
            let x = sparse::Csr::new(cols, indptr, indices, data).unwrap();
            let (mut p, mut r, mut v) =
                (vec![0; cols + 1], vec![0; data.len()], vec![V::default(); data.len()]);
            sparse::csr_to_gene_major(&x, &mut p, &mut r, &mut v).unwrap();
            assert_eq!(x.rows(), rows);
            (p, r, v)
        }
        let (rows, cols) = csr.shape;
        match (&csr.indptr, &csr.indices, &csr.data) {
            (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F32(d)) => {
                let (col_ptr, r, v) = run(rows, cols, p, i, d);
                Columns { shape: csr.shape, col_ptr, rows: r, values: ValueArray::F32(v) }
            }
            (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F64(d)) => {
                let (col_ptr, r, v) = run(rows, cols, p, i, d);
                Columns { shape: csr.shape, col_ptr, rows: r, values: ValueArray::F64(v) }
            }
            (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F32(d)) => {
                let (col_ptr, r, v) = run(rows, cols, p, i, d);
                Columns { shape: csr.shape, col_ptr, rows: r, values: ValueArray::F32(v) }
            }
            (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F64(d)) => {
                let (col_ptr, r, v) = run(rows, cols, p, i, d);
                Columns { shape: csr.shape, col_ptr, rows: r, values: ValueArray::F64(v) }
            }
            _ => unreachable!(),
        }
    }

    fn read(
        bytes: &[u8],
        limits: crate::Limits,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Columns, Error> {
        read_csr_columns(&bytes, "r.npz", limits, &mut |_, _| Ok(()), progress)
    }

    /// A small LCG, for reproducible random matrices.
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) % n.max(1)
        }
    }

    /// A random `rows × cols` CSR: unsorted and duplicate columns, explicit
    /// zeros, empty rows; values in `data` (by dtype `kind`).
    fn random_archive(seed: u64, rows: usize, cols: usize, wide: bool, kind: u8, deflate: bool) -> Vec<u8> {
        let mut rng = Lcg(seed);
        let mut indptr = vec![0i64];
        let mut indices = Vec::new();
        for _ in 0..rows {
            for _ in 0..if cols == 0 { 0 } else { rng.below(6) } {
                indices.push(rng.below(cols as u64) as i64);
            }
            indptr.push(indices.len() as i64);
        }
        let values: Vec<i64> = indices.iter().map(|_| rng.below(5) as i64 - 1).collect();
        let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()), "r.npz");
        if deflate {
            w = w.compressed();
        }
        if wide {
            w.add("indices", &[indices.len()], &indices).unwrap();
            w.add("indptr", &[indptr.len()], &indptr).unwrap();
        } else {
            let narrow = |v: &[i64]| v.iter().map(|&x| x as i32).collect::<Vec<_>>();
            w.add("indices", &[indices.len()], &narrow(&indices)).unwrap();
            w.add("indptr", &[indptr.len()], &narrow(&indptr)).unwrap();
        }
        w.add_bytes_string("format", b"csr").unwrap();
        w.add("shape", &[2], &[rows as i64, cols as i64]).unwrap();
        let n = values.len();
        match kind {
            0 => w.add("data", &[n], &values.iter().map(|&v| v as f32 * 0.3).collect::<Vec<_>>()).unwrap(),
            1 => w.add("data", &[n], &values.iter().map(|&v| v as f64 * 0.7).collect::<Vec<_>>()).unwrap(),
            2 => w.add("data", &[n], &values).unwrap(),
            _ => w.add("data", &[n], &values.iter().map(|&v| v as i16).collect::<Vec<_>>()).unwrap(),
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn equals_the_row_major_read_then_transposed() {
        // Rows beyond one chunk too, so entries cross chunk boundaries.
        for (seed, rows, cols) in [(1, 0, 3), (2, 7, 1), (3, 40, 5), (4, 3, 0), (5, 30_000, 17)] {
            for wide in [false, true] {
                for kind in 0..4 {
                    let deflate = seed % 2 == 1;
                    let bytes = random_archive(seed, rows, cols, wide, kind, deflate);
                    let csr = Npz::from_bytes(&bytes, "r.npz").unwrap().csr().unwrap();
                    csr.validate().unwrap();
                    let mut calls = Vec::new();
                    let mut progress = |done, total| calls.push((done, total));
                    let columns = read(&bytes, crate::Limits::default(), &mut progress).unwrap();
                    assert_eq!(columns, reference(&csr), "seed {seed} wide {wide} kind {kind}");
                    let len = bytes.len() as u64;
                    assert_eq!(calls.last(), Some(&(len, len)));
                    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 == len), "{calls:?}");
                }
            }
        }
    }

    fn archive_of(indptr: &[i32], indices: &[i32], data: &[f32], shape: [i64; 2]) -> Vec<u8> {
        let mut w = NpzWriter::new(std::io::Cursor::new(Vec::new()), "st.npz");
        w.add("indices", &[indices.len()], indices).unwrap();
        w.add("indptr", &[indptr.len()], indptr).unwrap();
        w.add_bytes_string("format", b"csr").unwrap();
        w.add("shape", &[2], &shape).unwrap();
        w.add("data", &[data.len()], data).unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn bad_structure_has_the_row_major_messages() {
        let error = |bytes: &[u8]| {
            let columns = read(bytes, crate::Limits::default(), &mut |_, _| {}).unwrap_err();
            let csr = Npz::from_bytes(bytes, "r.npz").unwrap().csr().and_then(|c| c.validate()).unwrap_err();
            assert_eq!(columns.to_string(), csr.to_string());
            columns.to_string()
        };
        let column = error(&archive_of(&[0, 2, 3], &[1, 0, 9], &[5.0, 6.0, 7.0], [2, 2]));
        assert_eq!(column, "r.npz: column index 9 at position 2 is out of range for CSR shape (2, 2)");
        let negative = error(&archive_of(&[0, 2, 3], &[1, -1, 0], &[5.0, 6.0, 7.0], [2, 2]));
        assert!(negative.contains("column index -1 at position 1"), "{negative}");
        let end = error(&archive_of(&[0, 2, 2], &[1, 0, 1], &[5.0, 6.0, 7.0], [2, 2]));
        assert_eq!(end, "r.npz: indptr ends at 2, but there are 3 stored values");
        let order = error(&archive_of(&[0, 3, 1, 3], &[1, 0, 1], &[5.0, 6.0, 7.0], [3, 2]));
        assert!(order.contains("indptr must start at 0 and never decrease, but indptr[2] = 1"), "{order}");
        let lengths = error(&archive_of(&[0, 2, 3], &[1, 0], &[5.0, 6.0, 7.0], [2, 2]));
        assert_eq!(lengths, "r.npz: indices has 2 entries but data has 3");
    }

    #[test]
    fn a_matrix_over_the_budget_is_refused_before_reading() {
        let bytes = archive_of(&[0, 2, 3], &[1, 0, 1], &[5.0, 6.0, 7.0], [2, 2]);
        let limits =
            crate::Limits { memory: crate::MemoryBudget::new(1000).with_hint("test"), ..Default::default() };
        let e = read(&bytes, limits, &mut |_, _| panic!("nothing is decoded")).unwrap_err().to_string();
        let size = format_bytes(bytes.len() as u128);
        assert!(
            e.starts_with(&format!(
                "r.npz: the gene-major copy of this {size} file's 2 × 2 matrix (3 stored values) needs "
            )) && e.ends_with(", over the memory budget of 1 kB (test)"),
            "{e}"
        );
    }
}
