//! Expression: a pixels × genes matrix, from a scipy CSR `.npz` or a dense
//! `.npy`, and its gene-major form for switching genes fast.

use cellmap_core::sparse::{self, Csr as CsrView, GeneMajor, SparseIndex};
use cellmap_core::stats::{AllPixels, CellStats, Options};
use cellmap_core::{Grid, Label};
use cellmap_io::npy::{Array, ArrayData};
use cellmap_io::npz::{self, Columns, Csr, CsrValue, CsrVisitor, IndexArray, Npz, ValueArray};
use cellmap_io::ranges::ReadAt;

use crate::memory::filled;
use crate::{Error, grouped};

/// Per-pixel expression of every gene: a validated pixels × genes CSR matrix
/// (row `r` is pixel `(r / width, r % width)`).
///
/// Dense inputs become the same matrix (their nonzero values stored), so
/// every statistic has one code path whatever the file was.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    csr: Csr,
    /// Read from a dense `(H, W)` image: one gene, no gene axis.
    single_image: bool,
    /// A dense `(H, W)` bool or uint8 image whose nonzero pixels all hold
    /// one value: a mask rather than expression.
    mask_like: bool,
}

impl Expression {
    /// A scipy CSR matrix for a `height × width` image (checked: one row
    /// per pixel, valid structure).
    pub fn from_csr(csr: Csr, height: usize, width: usize) -> Result<Self, Error> {
        check_rows(csr.shape.0, height, width)
            .map_err(|why| Error::input(format!("{}: {why}", csr.source)))?;
        csr.validate()?;
        Ok(Expression { csr, single_image: false, mask_like: false })
    }

    /// A dense array of shape `(H, W)` (one gene) or `(H, W, G)`, any
    /// numeric dtype (float64 and 64-bit integers are kept in float64,
    /// everything else is exact in float32).
    pub fn from_dense(array: &Array, source: &str, height: usize, width: usize) -> Result<Self, Error> {
        let genes = match *array.shape() {
            [h, w] if (h, w) == (height, width) => 1,
            [h, w, g] if (h, w) == (height, width) => g,
            _ => {
                return Err(Error::input(format!(
                    "{source}: shape mismatch: the image is {height}×{width} but the values have shape {:?}; dense values must be \
                     ({height}, {width}) or ({height}, {width}, genes)",
                    array.shape()
                )));
            }
        };
        let pixels = height * width;
        let mask_like = array.shape().len() == 2
            && match array.data() {
                ArrayData::Bool(_) => true,
                ArrayData::U8(v) => {
                    let mut nonzero = v.iter().filter(|&&x| x != 0);
                    nonzero.next().is_none_or(|&first| nonzero.all(|&x| x == first))
                }
                _ => false,
            };
        let csr = match array.data() {
            ArrayData::F32(v) => dense_to_csr(v, pixels, genes, ValueArray::F32)?,
            ArrayData::F64(v) => dense_to_csr(v, pixels, genes, ValueArray::F64)?,
            ArrayData::Bool(v) => {
                let v: Vec<f32> = v.iter().map(|&b| f32::from(u8::from(b))).collect();
                dense_to_csr(&v, pixels, genes, ValueArray::F32)?
            }
            ArrayData::I8(v) => dense_to_csr(&widen::<_, f32>(v), pixels, genes, ValueArray::F32)?,
            ArrayData::U8(v) => dense_to_csr(&widen::<_, f32>(v), pixels, genes, ValueArray::F32)?,
            ArrayData::I16(v) => dense_to_csr(&widen::<_, f32>(v), pixels, genes, ValueArray::F32)?,
            ArrayData::U16(v) => dense_to_csr(&widen::<_, f32>(v), pixels, genes, ValueArray::F32)?,
            other => {
                let v = other
                    .to_f64()
                    .ok_or_else(|| Error::input(format!("{source}: values must be numbers, not strings")))?;
                dense_to_csr(&v, pixels, genes, ValueArray::F64)?
            }
        };
        let csr = Csr { source: source.to_string(), shape: (pixels, genes), ..csr };
        Ok(Expression { csr, single_image: array.shape().len() == 2, mask_like })
    }

    /// Decodes an expression file's bytes for a `height × width` image: a
    /// scipy CSR `.npz` or a dense `.npy`, recognised by their first bytes.
    pub fn from_bytes(bytes: &[u8], source: &str, height: usize, width: usize) -> Result<Self, Error> {
        if bytes.starts_with(b"PK") {
            Expression::from_csr(Npz::from_bytes(bytes, source)?.csr()?, height, width)
        } else if bytes.starts_with(b"\x93NUMPY") {
            Expression::from_dense(&cellmap_io::npy::read(bytes, source)?, source, height, width)
        } else {
            Err(not_expression(source))
        }
    }

    /// Reads an expression file (see [`Expression::from_bytes`]).
    #[cfg(feature = "fs")]
    pub fn read(path: &std::path::Path, height: usize, width: usize) -> Result<Self, Error> {
        use std::io::Read;
        let source = cellmap_io::fs::source_name(path);
        let limits = cellmap_io::Limits::default();
        let mut magic = [0u8; 6];
        let got = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut magic))
            .map_err(|e| Error::input(format!("{source}: {e}")))?;
        if magic[..got].starts_with(b"PK") {
            Expression::from_csr(cellmap_io::fs::read_csr(path, &limits)?, height, width)
        } else if magic[..got].starts_with(b"\x93NUMPY") {
            Expression::from_dense(&cellmap_io::fs::read_npy(path, &limits)?, &source, height, width)
        } else {
            Err(not_expression(&source))
        }
    }

    /// Number of pixels (rows).
    pub fn n_pixels(&self) -> usize {
        self.csr.shape.0
    }

    /// Number of genes (columns).
    pub fn n_genes(&self) -> usize {
        self.csr.shape.1
    }

    /// Number of stored values.
    pub fn nnz(&self) -> usize {
        self.csr.nnz()
    }

    /// `true` when it was read from a dense `(H, W)` image (one gene and no
    /// gene axis: per-cell results have shape `(cells,)`).
    pub fn is_single_image(&self) -> bool {
        self.single_image
    }

    /// Whether this is a dense `(H, W)` bool or uint8 image whose nonzero
    /// pixels all hold one value: a second mask rather than expression.
    pub fn looks_like_mask(&self) -> bool {
        self.mask_like
    }

    /// The file the expression came from.
    pub fn source(&self) -> &str {
        &self.csr.source
    }

    /// The matrix as read.
    pub fn csr(&self) -> &Csr {
        &self.csr
    }

    /// Runs `visitor` on the typed matrix.
    pub(crate) fn visit<T: CsrVisitor>(&self, visitor: T) -> Result<T::Output, Error> {
        Ok(self.csr.visit(visitor)?)
    }
}

/// The error for a file that is neither a CSR `.npz` nor an `.npy`.
pub(crate) fn not_expression(source: &str) -> Error {
    Error::input(format!(
        "{source}: not an expression file (use a scipy CSR .npz from save_npz, or a dense .npy)"
    ))
}

/// `Ok` when a matrix of `rows` rows has one row per pixel of a
/// `height × width` image, else why not.
fn check_rows(rows: usize, height: usize, width: usize) -> Result<(), String> {
    match height.checked_mul(width) {
        Some(pixels) if rows == pixels => Ok(()),
        Some(pixels) => Err(format!(
            "shape mismatch: the image is {height}×{width} but the expression has {} rows (it needs one row per pixel: {} rows)",
            grouped(rows),
            grouped(pixels)
        )),
        None => Err("image too large".into()),
    }
}

fn widen<T: Copy + Into<U>, U>(values: &[T]) -> Vec<U> {
    values.iter().map(|&v| v.into()).collect()
}

/// A row-major `pixels × genes` dense array as CSR (nonzero values stored,
/// NaN included: it is "no value", not zero).
fn dense_to_csr<V: Copy + PartialEq + Default>(
    values: &[V],
    pixels: usize,
    genes: usize,
    wrap: fn(Vec<V>) -> ValueArray,
) -> Result<Csr, Error> {
    let zero = V::default();
    let nnz = values.iter().filter(|&&v| v != zero).count();
    let mut indptr = filled(pixels + 1, 0i64, "the CSR row offsets")?;
    let mut indices = filled(nnz, 0i64, "the CSR gene indices")?;
    let mut data = filled(nnz, zero, "the CSR values")?;
    let mut k = 0;
    if genes > 0 {
        for (pixel, row) in values.chunks_exact(genes).enumerate() {
            for (g, &v) in row.iter().enumerate() {
                if v != zero {
                    indices[k] = g as i64;
                    data[k] = v;
                    k += 1;
                }
            }
            indptr[pixel + 1] = k as i64;
        }
    }
    let (indptr, indices) = if nnz <= i32::MAX as usize {
        let narrow = |v: Vec<i64>| IndexArray::I32(v.into_iter().map(|x| x as i32).collect());
        (narrow(indptr), narrow(indices))
    } else {
        (IndexArray::I64(indptr), IndexArray::I64(indices))
    };
    Ok(Csr { source: String::new(), shape: (pixels, genes), indptr, indices, data: wrap(data) })
}

/// Gene-major (CSC) expression in the input's precision: switching the shown
/// gene touches only that gene's entries. Built once from an [`Expression`]
/// ([`GeneColumns::new`]) or straight from a CSR `.npz`
/// ([`GeneColumns::read_npz`]); genes can be appended
/// ([`GeneColumns::push_gene`]).
#[derive(Debug, PartialEq)]
pub struct GeneColumns {
    n_pixels: usize,
    gene_ptr: Vec<usize>,
    pixels: Vec<u32>,
    /// Stored values, `float32` or `float64` as in the input.
    values: ValueArray,
}

impl GeneColumns {
    /// Transposes `expression` to gene-major ([`sparse::csr_to_gene_major`]).
    pub fn new(expression: &Expression) -> Result<Self, Error> {
        struct Transpose;
        impl CsrVisitor for Transpose {
            type Output = Result<GeneColumns, Error>;
            fn visit<I: SparseIndex, V: CsrValue>(self, x: &CsrView<'_, I, V>) -> Self::Output {
                let mut gene_ptr = filled(sparse::gene_ptr_len(x.cols()), 0usize, "the gene offsets")?;
                let mut pixels = filled(x.nnz(), 0u32, "the gene-major pixel indices")?;
                let mut values = filled(x.nnz(), V::default(), "the gene-major values")?;
                sparse::csr_to_gene_major(x, &mut gene_ptr, &mut pixels, &mut values)
                    .map_err(|e| Error::core("expression", e))?;
                Ok(GeneColumns { n_pixels: x.rows(), gene_ptr, pixels, values: V::into_array(values) })
            }
        }
        expression.visit(Transpose)?.map_err(|e| e.context(expression.source()))
    }

    /// Reads a scipy CSR `.npz` of shape `(height · width, genes)` straight
    /// into gene-major form ([`cellmap_io::npz::read_csr_columns`]), range
    /// by range from `bytes`: the file's row-major arrays are never held
    /// whole, so this takes about half the memory of
    /// [`Expression::from_csr`] then [`GeneColumns::new`], with the same
    /// result. The shape is checked first, then what the result takes
    /// against the memory budget, before anything big is allocated.
    /// `progress(done, total)` reports bytes of the file decoded.
    ///
    /// ```
    /// # use cellmap::GeneColumns;
    /// let w = cellmap_io::npz::write_csr(std::io::Cursor::new(Vec::new()), "st.npz", (4, 2), &[0, 1, 1, 1, 2], &[1, 0], &[5.0f32, 2.0])?;
    /// let bytes = w.get_ref().as_slice();
    /// assert_eq!(GeneColumns::read_npz(&bytes, "st.npz", 2, 2, &mut |_, _| {})?.n_genes(), 2);
    /// let e = GeneColumns::read_npz(&bytes, "st.npz", 3, 3, &mut |_, _| {}).unwrap_err();
    /// assert!(e.to_string().starts_with("st.npz: shape mismatch: the image is 3×3 but the expression has 4 rows"), "{e}");
    /// # Ok::<(), cellmap::Error>(())
    /// ```
    pub fn read_npz(
        bytes: &dyn ReadAt,
        source: &str,
        height: usize,
        width: usize,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Self, Error> {
        let mut check_shape = |rows, _| {
            check_rows(rows, height, width)
                .map_err(|why| cellmap_io::Error::new(source, cellmap_io::ErrorKind::Shape(why)))
        };
        let limits = cellmap_io::Limits::default();
        let Columns { shape: (n_pixels, _), col_ptr, rows, values } =
            npz::read_csr_columns(bytes, source, limits, &mut check_shape, progress)?;
        Ok(GeneColumns { n_pixels, gene_ptr: col_ptr, pixels: rows, values })
    }

    /// Whether every stored value is a whole number ≥ 0 (counts).
    pub fn whole_numbers(&self) -> bool {
        match &self.values {
            ValueArray::F32(values) => values.iter().all(|&v| v >= 0.0 && v.fract() == 0.0),
            ValueArray::F64(values) => values.iter().all(|&v| v >= 0.0 && v.fract() == 0.0),
        }
    }

    /// Number of genes.
    pub fn n_genes(&self) -> usize {
        self.gene_ptr.len().saturating_sub(1)
    }

    /// Appends a gene from a dense per-pixel image (`n_pixels` values,
    /// row-major; zeros are not stored).
    pub fn push_gene(&mut self, image: &[f32]) -> Result<(), Error> {
        if image.len() != self.n_pixels {
            return Err(Error::argument(format!(
                "a gene image needs {} values, got {}",
                grouped(self.n_pixels),
                grouped(image.len())
            )));
        }
        for (pixel, &v) in image.iter().enumerate().filter(|&(_, &v)| v != 0.0) {
            let pixel = u32::try_from(pixel).map_err(|_| Error::input("too many pixels for a gene image"))?;
            self.pixels.push(pixel);
            match &mut self.values {
                ValueArray::F32(values) => values.push(v),
                ValueArray::F64(values) => values.push(f64::from(v)),
            }
        }
        self.gene_ptr.push(self.pixels.len());
        Ok(())
    }

    /// Per-label statistics of gene `gene` into `out` (by label; see
    /// [`sparse::gene_cell_stats`]), over the pixels of `within` only when
    /// given; `scratch` needs [`gene_stats_scratch_len`]`(n_cells)` elements.
    pub(crate) fn gene_stats<L: Label>(
        &self,
        labels: Grid<'_, L>,
        within: Option<Grid<'_, bool>>,
        gene: usize,
        n_cells: usize,
        out: &mut [CellStats],
        scratch: &mut [usize],
    ) -> Result<(), Error> {
        let (Some(&start), Some(&end)) = (self.gene_ptr.get(gene), self.gene_ptr.get(gene + 1)) else {
            return Err(Error::argument(format!("gene {gene} does not exist")));
        };
        // Validating a gene-major view costs a pass over its entries: the view covers this gene only.
        let ptr = [0, end - start];
        let pixels = &self.pixels[start..end];
        fn stats<V: sparse::SparseValue>(
            labels: Grid<'_, impl Label>,
            within: Option<Grid<'_, bool>>,
            gm: GeneMajor<'_, V>,
            n_cells: usize,
            out: &mut [CellStats],
            scratch: &mut [usize],
        ) -> Result<(), cellmap_core::Error> {
            match within {
                Some(mask) => sparse::gene_cell_stats(
                    labels,
                    &gm,
                    0,
                    n_cells,
                    Options::new().within(mask),
                    out,
                    scratch,
                ),
                None => sparse::gene_cell_stats(labels, &gm, 0, n_cells, Options::new(), out, scratch),
            }
        }
        let result = match &self.values {
            ValueArray::F32(v) => GeneMajor::new(self.n_pixels, &ptr, pixels, &v[start..end])
                .and_then(|gm| stats(labels, within, gm, n_cells, out, scratch)),
            ValueArray::F64(v) => GeneMajor::new(self.n_pixels, &ptr, pixels, &v[start..end])
                .and_then(|gm| stats(labels, within, gm, n_cells, out, scratch)),
        };
        result.map_err(|e| Error::core("per-cell statistics", e))
    }

    /// Gene `gene`'s statistics in the one cell `cell` (see
    /// [`sparse::gene_stats_of_cell`]; over the pixels of `within` only when
    /// given), from its entries in the pixel range `pixels` only (found by
    /// binary search: pass the rows of the cell's bounding box,
    /// `row_start * width .. row_end * width`).
    pub(crate) fn gene_stats_of_cell<L: Label>(
        &self,
        labels: Grid<'_, L>,
        within: Option<Grid<'_, bool>>,
        gene: usize,
        cell: usize,
        pixels: std::ops::Range<usize>,
    ) -> Result<CellStats, Error> {
        let (Some(&start), Some(&end)) = (self.gene_ptr.get(gene), self.gene_ptr.get(gene + 1)) else {
            return Err(Error::argument(format!("gene {gene} does not exist")));
        };
        let gene_pixels = &self.pixels[start..end];
        let first = start + gene_pixels.partition_point(|&p| (p as usize) < pixels.start);
        let last = start + gene_pixels.partition_point(|&p| (p as usize) < pixels.end);
        // a view of those entries only: validating it costs a pass over them, not the gene's
        let ptr = [0, last - first];
        let pixels = &self.pixels[first..last];
        fn stats<V: sparse::SparseValue>(
            labels: Grid<'_, impl Label>,
            within: Option<Grid<'_, bool>>,
            gm: GeneMajor<'_, V>,
            cell: usize,
        ) -> Result<CellStats, cellmap_core::Error> {
            match within {
                Some(mask) => sparse::gene_stats_of_cell(labels, &gm, 0, cell, mask),
                None => sparse::gene_stats_of_cell(labels, &gm, 0, cell, AllPixels),
            }
        }
        let result = match &self.values {
            ValueArray::F32(v) => GeneMajor::new(self.n_pixels, &ptr, pixels, &v[first..last])
                .and_then(|gm| stats(labels, within, gm, cell)),
            ValueArray::F64(v) => GeneMajor::new(self.n_pixels, &ptr, pixels, &v[first..last])
                .and_then(|gm| stats(labels, within, gm, cell)),
        };
        result.map_err(|e| Error::core("per-cell statistics", e))
    }
}

/// Scratch elements of [`GeneColumns::gene_stats`] for `n_cells` cells.
pub(crate) const fn gene_stats_scratch_len(n_cells: usize) -> usize {
    sparse::gene_cell_stats_scratch_len(n_cells)
}
