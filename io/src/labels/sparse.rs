//! Label images saved as scipy sparse matrices (`scipy.sparse.save_npz`, as
//! pciSeq ships them): COO (`row`/`col` or `coords`), CSR or CSC of shape
//! `(height, width)`, made dense. Duplicate COO entries add up, as
//! `toarray()` does.

use std::io::{Read, Seek};

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::npy::{Array, ArrayData};
use crate::npz::Npz;

/// `true` when the archive's members are those of `scipy.sparse.save_npz`.
pub fn is_sparse<R: Read + Seek>(npz: &Npz<R>) -> bool {
    let names = npz.names();
    names.iter().any(|n| n == "format")
        && names.iter().any(|n| n == "shape")
        && names.iter().any(|n| n == "data")
}

fn indices(array: &Array, what: &str, source: &str) -> Result<Vec<i64>, Error> {
    let bad = || Error::new(source, ErrorKind::Sparse(format!("{what} must hold integers")));
    Ok(match array.data() {
        ArrayData::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
        ArrayData::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
        ArrayData::I16(v) => v.iter().map(|&x| i64::from(x)).collect(),
        ArrayData::U16(v) => v.iter().map(|&x| i64::from(x)).collect(),
        ArrayData::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
        ArrayData::U32(v) => v.iter().map(|&x| i64::from(x)).collect(),
        ArrayData::I64(v) => v.clone(),
        ArrayData::U64(v) => v.iter().map(|&x| i64::try_from(x).unwrap_or(i64::MAX)).collect(),
        _ => return Err(bad()),
    })
}

/// Adds `from[src]` into `to[dst]` for every `(src, dst)`.
trait Accumulate: Copy + Default {
    fn acc(self, other: Self) -> Self;
}
macro_rules! wrapping {
    ($($t:ty)*) => {$(impl Accumulate for $t { fn acc(self, o: Self) -> Self { self.wrapping_add(o) } })*};
}
wrapping!(i8 u8 i16 u16 i32 u32 i64 u64);
impl Accumulate for f32 {
    fn acc(self, o: Self) -> Self {
        self + o
    }
}
impl Accumulate for f64 {
    fn acc(self, o: Self) -> Self {
        self + o
    }
}
impl Accumulate for bool {
    fn acc(self, o: Self) -> Self {
        self | o
    }
}

fn scatter<T: Accumulate>(values: &[T], positions: &[usize], len: usize) -> Vec<T> {
    let mut dense = vec![T::default(); len];
    for (&v, &p) in values.iter().zip(positions) {
        dense[p] = dense[p].acc(v);
    }
    dense
}

/// Reads a `save_npz` matrix as a dense `(height, width)` array of its
/// `data` dtype.
pub fn read_sparse_labels<R: Read + Seek>(
    npz: &mut Npz<R>,
    source: &str,
    limits: &Limits,
) -> Result<Array, Error> {
    let sparse = |why: String| Error::new(source, ErrorKind::Sparse(why));
    let format = match npz.array("format")?.into_parts().1 {
        ArrayData::Str(s) if s.len() == 1 => s[0].clone(),
        _ => return Err(sparse("member format must be a string ('coo', 'csr' or 'csc')".into())),
    };
    let shape = indices(&npz.array("shape")?, "shape", source)?;
    let [height, width] = shape[..] else {
        return Err(sparse(format!("a label image must be 2-D, the matrix has shape {shape:?}")));
    };
    let (height, width) = (usize::try_from(height), usize::try_from(width));
    let (Ok(height), Ok(width)) = (height, width) else { return Err(sparse("negative shape".into())) };
    let pixels = height.checked_mul(width).ok_or_else(|| sparse("shape overflows".into()))?;
    let data = npz.array("data")?;
    let item = data.data().dtype().item_size();
    let what = || format!("{source}: dense label image of {width}×{height} pixels");
    limits
        .memory
        .check_elements(what, pixels as u128, item.max(1))
        .map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))?;
    let nnz = data.data().len();
    let position = |r: i64, c: i64| -> Result<usize, Error> {
        match (usize::try_from(r), usize::try_from(c)) {
            (Ok(r), Ok(c)) if r < height && c < width => Ok(r * width + c),
            _ => Err(sparse(format!("entry ({r}, {c}) is outside the shape ({height}, {width})"))),
        }
    };
    let mut positions = Vec::with_capacity(nnz);
    match format.as_str() {
        "coo" => {
            let (rows, cols) = if npz.names().iter().any(|n| n == "coords") {
                let coords = indices(&npz.array("coords")?, "coords", source)?;
                if coords.len() != 2 * nnz {
                    return Err(sparse(format!("coords holds {} values for {nnz} entries", coords.len())));
                }
                let (r, c) = coords.split_at(nnz);
                (r.to_vec(), c.to_vec())
            } else {
                (indices(&npz.array("row")?, "row", source)?, indices(&npz.array("col")?, "col", source)?)
            };
            if rows.len() != nnz || cols.len() != nnz {
                return Err(sparse(format!(
                    "row/col/data lengths differ ({}, {}, {nnz})",
                    rows.len(),
                    cols.len()
                )));
            }
            for (&r, &c) in rows.iter().zip(&cols) {
                positions.push(position(r, c)?);
            }
        }
        "csr" | "csc" => {
            let indptr = indices(&npz.array("indptr")?, "indptr", source)?;
            let index = indices(&npz.array("indices")?, "indices", source)?;
            let major = if format == "csr" { height } else { width };
            if major.checked_add(1) != Some(indptr.len())
                || index.len() != nnz
                || indptr.last() != Some(&(nnz as i64))
            {
                return Err(sparse(format!(
                    "{format}: indptr of {} entries, indices of {}, data of {nnz} do not agree with shape ({height}, {width})",
                    indptr.len(),
                    index.len()
                )));
            }
            for (m, span) in indptr.windows(2).enumerate() {
                let (Ok(start), Ok(end)) = (usize::try_from(span[0]), usize::try_from(span[1])) else {
                    return Err(sparse("negative indptr".into()));
                };
                if start > end || end > nnz {
                    return Err(sparse("indptr is not monotone".into()));
                }
                for &i in &index[start..end] {
                    positions.push(if format == "csr" {
                        position(m as i64, i)?
                    } else {
                        position(i, m as i64)?
                    });
                }
            }
        }
        other => {
            return Err(sparse(format!(
                "a {other:?} sparse matrix; label images are read from 'coo', 'csr' or 'csc'"
            )));
        }
    }
    let dense = match data.data() {
        ArrayData::Bool(v) => ArrayData::Bool(scatter(v, &positions, pixels)),
        ArrayData::I8(v) => ArrayData::I8(scatter(v, &positions, pixels)),
        ArrayData::U8(v) => ArrayData::U8(scatter(v, &positions, pixels)),
        ArrayData::I16(v) => ArrayData::I16(scatter(v, &positions, pixels)),
        ArrayData::U16(v) => ArrayData::U16(scatter(v, &positions, pixels)),
        ArrayData::I32(v) => ArrayData::I32(scatter(v, &positions, pixels)),
        ArrayData::U32(v) => ArrayData::U32(scatter(v, &positions, pixels)),
        ArrayData::I64(v) => ArrayData::I64(scatter(v, &positions, pixels)),
        ArrayData::U64(v) => ArrayData::U64(scatter(v, &positions, pixels)),
        ArrayData::F32(v) => ArrayData::F32(scatter(v, &positions, pixels)),
        ArrayData::F64(v) => ArrayData::F64(scatter(v, &positions, pixels)),
        ArrayData::Str(_) => return Err(sparse("data must hold numbers".into())),
    };
    Array::new(vec![height, width], dense, source)
}
