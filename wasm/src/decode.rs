//! File bytes → plain buffers, through `cellmap-io`. Every error names the
//! file and says what is wrong.

use cellmap_core::sparse::Csr;
use cellmap_io::image;
use cellmap_io::npy::{self, ArrayData};
use cellmap_io::npz::{self, IndexArray, ValueArray};

use crate::expression::Expression;
use crate::text::grouped;

/// Largest label id accepted in a label image: every pixel its own cell, or
/// any 16-bit id (label images cropped from a larger one keep their ids).
const fn max_label_id(pixels: usize) -> usize {
    if pixels > u16::MAX as usize { pixels } else { u16::MAX as usize }
}

/// A decoded mask: 1 for foreground (any nonzero value), 0 for background,
/// and for a label image (an integer image with several distinct nonzero
/// values) its labels as given and the largest one.
pub(crate) struct Mask {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) foreground: Vec<u8>,
    pub(crate) labels: Option<(Vec<u32>, usize)>,
}

/// Decodes a mask or label image file (`.npy`, PNG or TIFF, recognised by
/// its first bytes; foreground = nonzero).
pub(crate) fn mask(bytes: &[u8], file_name: &str) -> Result<Mask, String> {
    let array = image::read_mask(bytes, file_name).map_err(|e| e.to_string())?;
    let (height, width) = array.dims_2d(file_name, "mask").map_err(|e| e.to_string())?;
    let data = array.data();
    let foreground = data
        .foreground()
        .ok_or_else(|| format!("{file_name}: a mask must hold numbers, not strings"))?
        .into_iter()
        .map(u8::from)
        .collect();
    let labels = if data.is_label_image() {
        let (labels, top) =
            data.to_labels(max_label_id(height * width), file_name).map_err(|e| e.to_string())?;
        // `to_labels` checked every label is in 0..=top, so none is negative.
        Some((labels.into_iter().map(|l| l.unsigned_abs()).collect(), top))
    } else {
        None
    };
    Ok(Mask { width, height, foreground, labels })
}

/// Decodes an expression matrix for a `height × width` mask: a scipy CSR
/// `.npz` of shape `(H·W, G)` or a dense `.npy` of shape `(H, W)` or
/// `(H, W, G)`, recognised by their first bytes.
pub(crate) fn expression(
    bytes: &[u8],
    file_name: &str,
    height: usize,
    width: usize,
) -> Result<Expression, String> {
    if bytes.starts_with(b"PK") {
        csr_expression(bytes, file_name, height, width)
    } else if bytes.starts_with(b"\x93NUMPY") {
        dense_expression(bytes, file_name, height, width)
    } else {
        Err(format!(
            "{file_name}: not an expression file (use a scipy CSR .npz from save_npz, or a dense .npy)"
        ))
    }
}

fn csr_expression(bytes: &[u8], file_name: &str, height: usize, width: usize) -> Result<Expression, String> {
    let csr = npz::Npz::from_bytes(bytes, file_name).and_then(|mut a| a.csr()).map_err(|e| e.to_string())?;
    let pixels = height * width;
    if csr.shape.0 != pixels {
        return Err(format!(
            "{file_name}: mask is {height}×{width} but the expression has {} rows \
             (it needs one row per mask pixel: {} rows)",
            grouped(csr.shape.0),
            grouped(pixels)
        ));
    }
    let genes = csr.shape.1;
    match (&csr.indptr, &csr.indices, &csr.data) {
        (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F32(d)) => from_csr(genes, p, i, d),
        (IndexArray::I32(p), IndexArray::I32(i), ValueArray::F64(d)) => from_csr(genes, p, i, d),
        (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F32(d)) => from_csr(genes, p, i, d),
        (IndexArray::I64(p), IndexArray::I64(i), ValueArray::F64(d)) => from_csr(genes, p, i, d),
        _ => {
            return Err(format!(
                "{file_name}: indptr and indices have different integer types; save the matrix with \
                 scipy.sparse.save_npz"
            ));
        }
    }
    .map_err(|e| format!("{file_name}: {e}"))
}

fn dense_expression(
    bytes: &[u8],
    file_name: &str,
    height: usize,
    width: usize,
) -> Result<Expression, String> {
    let array = npy::read(bytes, file_name).map_err(|e| e.to_string())?;
    let genes = match *array.shape() {
        [h, w] if (h, w) == (height, width) => 1,
        [h, w, g] if (h, w) == (height, width) => g,
        _ => {
            return Err(format!(
                "{file_name}: mask is {height}×{width} but the expression has shape {:?}; a dense \
                 expression must be ({height}, {width}) or ({height}, {width}, genes)",
                array.shape()
            ));
        }
    };
    match array.data() {
        ArrayData::F32(v) => Expression::from_dense(genes, v),
        ArrayData::F64(v) => Expression::from_dense(genes, v),
        other => {
            let widened = other
                .to_f64()
                .ok_or_else(|| format!("{file_name}: a dense expression must hold numbers, not strings"))?;
            Expression::from_dense(genes, &widened)
        }
    }
    .map_err(|e| format!("{file_name}: {e}"))
}

fn from_csr<I: cellmap_core::sparse::SparseIndex, V: crate::expression::Value>(
    genes: usize,
    indptr: &[I],
    indices: &[I],
    data: &[V],
) -> Result<Expression, String> {
    Expression::from_csr(&Csr::new(genes, indptr, indices, data).map_err(|e| e.to_string())?)
}
