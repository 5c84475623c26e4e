//! `cellmap._native`: the compiled half of the `cellmap` Python package.
//!
//! Each function turns numpy arrays into the pipeline's and the core's
//! borrowed views (no copy: the Python layer passes C-contiguous `bool`,
//! `uint8`, `int32` and `float32` arrays), releases the GIL for the compute
//! and raises `ValueError` (`MemoryError` for allocations) with the
//! pipeline's message. The Python modules (`cellmap/__init__.py`,
//! `cellmap/dask.py`) own dtype conversion, defaults and docs.

use cellmap::tiles::{Numbering, TileLabeler, TileSummary, merge_tiles as merge, relabel as relabel_tile};
use cellmap::{
    AllPixels, CellStats, Connectivity, CsrView, ErrorKind, Grid, OUT_OF_IMAGE, Options, Region,
    SegmentOptions, Segmenter, SparseIndex, Stat, Zeros, assign_points_to, cell_stat_of, csr_cell_stat_of,
    fill_holes_of, present_cell_stats, regions_of,
};
use cellmap_io::npz::CsrValue;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;

/// A pipeline error as the Python exception a caller expects.
fn py_err(e: cellmap::Error) -> PyErr {
    match e.kind() {
        ErrorKind::OutOfMemory => PyMemoryError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// A 2-D numpy array as the core's grid (rows × columns, C order).
fn grid<'a, T: numpy::Element>(array: &'a PyReadonlyArray2<'_, T>) -> PyResult<Grid<'a, T>> {
    let shape = array.shape();
    let data = array.as_slice()?;
    Grid::new(shape[1], shape[0], data).map_err(|e| py_err(cellmap::Error::core("reading the array", e)))
}

/// A mask as numpy hands it over without a copy.
#[derive(FromPyObject)]
enum Mask<'py> {
    Bool(PyReadonlyArray2<'py, bool>),
    U8(PyReadonlyArray2<'py, u8>),
}

/// Runs `$body` with `$grid` bound to the mask's grid, whatever its dtype.
macro_rules! with_mask {
    ($mask:expr, $grid:ident => $body:expr) => {
        match $mask {
            Mask::Bool(array) => {
                let $grid = grid(array)?;
                $body
            }
            Mask::U8(array) => {
                let $grid = grid(array)?;
                $body
            }
        }
    };
}

fn connectivity(value: u8) -> PyResult<Connectivity> {
    match value {
        4 => Ok(Connectivity::Four),
        8 => Ok(Connectivity::Eight),
        _ => Err(PyValueError::new_err(format!("connectivity must be 4 or 8, not {value}"))),
    }
}

fn options(conn: u8, fill_holes: bool) -> PyResult<SegmentOptions> {
    Ok(SegmentOptions { fill_holes, connectivity: connectivity(conn)? })
}

fn stat(name: &str) -> PyResult<Stat> {
    Stat::from_name(name).ok_or_else(|| {
        let names: Vec<_> = Stat::ALL.iter().map(|s| s.name()).collect();
        PyValueError::new_err(format!("unknown statistic {name:?}: one of {}", names.join(", ")))
    })
}

fn zeros(skip_zeros: bool) -> Zeros {
    if skip_zeros { Zeros::Skip } else { Zeros::Keep }
}

/// `len` zeros in 2 MB pages where the kernel allows (a 8192² label image
/// in 4 KB pages spends more time in page faults than in labeling).
fn zeroed<T: Copy + Default>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    cellmap_io::advise_huge_pages(v.spare_capacity_mut());
    v.resize(len, T::default());
    v
}

/// `w × h` values as an `h × w` array.
fn image<'py, T: numpy::Element>(
    py: Python<'py>,
    data: Vec<T>,
    h: usize,
    w: usize,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    data.into_pyarray(py).reshape([h, w])
}

#[pyfunction]
fn fill_holes<'py>(py: Python<'py>, mask: Mask<'py>) -> PyResult<Bound<'py, PyArray2<bool>>> {
    with_mask!(&mask, g => {
        let (w, h) = (g.width(), g.height());
        let out = py.detach(|| fill_holes_of(g)).map_err(py_err)?;
        image(py, out, h, w)
    })
}

#[pyfunction]
fn label<'py>(
    py: Python<'py>,
    mask: Mask<'py>,
    connectivity: u8,
    fill_holes: bool,
) -> PyResult<(Bound<'py, PyArray2<i32>>, usize)> {
    let options = options(connectivity, fill_holes)?;
    with_mask!(&mask, g => {
        let (w, h) = (g.width(), g.height());
        let (labels, n) = py.detach(|| {
            let mut labels = zeroed(g.len());
            Segmenter::default().segment(g, options, &mut labels).map(|n| (labels, n))
        }).map_err(py_err)?;
        Ok((image(py, labels, h, w)?, n))
    })
}

/// The largest label, or an error naming a negative one.
fn n_cells_of(labels: &[i32]) -> PyResult<usize> {
    let top = labels.iter().fold(0u32, |top, &l| top.max(l as u32));
    if top > i32::MAX as u32 {
        return Err(PyValueError::new_err("labels must not be negative"));
    }
    Ok(top as usize)
}

#[pyfunction]
#[pyo3(signature = (labels, values, n_cells, stat, skip_zeros, within=None))]
fn cell_stats_dense<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray2<'py, i32>,
    values: PyReadonlyArray2<'py, f32>,
    n_cells: Option<usize>,
    stat: &str,
    skip_zeros: bool,
    within: Option<Mask<'py>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (stat, zeros) = (self::stat(stat)?, zeros(skip_zeros));
    let (labels, values) = (grid(&labels)?, grid(&values)?);
    let n_cells = match n_cells {
        Some(n) => n,
        None => n_cells_of(labels.as_slice())?,
    };
    let out = match &within {
        None => py.detach(|| cell_stat_of(labels, values, n_cells, stat, Options { zeros, within: AllPixels })),
        Some(mask) => with_mask!(mask, m => py.detach(|| cell_stat_of(labels, values, n_cells, stat, Options { zeros, within: m }))),
    }
    .map_err(py_err)?;
    Ok(out.into_pyarray(py))
}

/// The (N, G) table of one statistic of a pixels × genes CSR.
#[allow(clippy::too_many_arguments)] // the CSR's three arrays, its shape and the options
fn csr_stat<I: SparseIndex, V: CsrValue>(
    labels: Grid<'_, i32>,
    indptr: &[I],
    indices: &[I],
    data: &[V],
    n_genes: usize,
    n_cells: usize,
    stat: Stat,
    zeros: Zeros,
) -> Result<Vec<f64>, cellmap::Error> {
    let x = CsrView::new(n_genes, indptr, indices, data)
        .map_err(|e| cellmap::Error::core("reading the CSR", e))?;
    csr_cell_stat_of(labels, &x, n_cells, stat, Options { zeros, within: AllPixels })
}

#[derive(FromPyObject)]
enum Indices<'py> {
    I32(PyReadonlyArray1<'py, i32>),
    I64(PyReadonlyArray1<'py, i64>),
}

#[derive(FromPyObject)]
enum Values<'py> {
    F32(PyReadonlyArray1<'py, f32>),
    F64(PyReadonlyArray1<'py, f64>),
}

#[pyfunction]
#[allow(clippy::too_many_arguments)] // the CSR's three arrays, its shape and the options
fn cell_gene_stats_csr<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray2<'py, i32>,
    indptr: Indices<'py>,
    indices: Indices<'py>,
    data: Values<'py>,
    n_genes: usize,
    n_cells: Option<usize>,
    stat: &str,
    skip_zeros: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (stat, zeros) = (self::stat(stat)?, zeros(skip_zeros));
    let labels = grid(&labels)?;
    let n_cells = match n_cells {
        Some(n) => n,
        None => n_cells_of(labels.as_slice())?,
    };
    macro_rules! run {
        ($p:expr, $i:expr, $d:expr) => {{
            let (p, i, d) = ($p.as_slice()?, $i.as_slice()?, $d.as_slice()?);
            py.detach(|| csr_stat(labels, p, i, d, n_genes, n_cells, stat, zeros))
        }};
    }
    let out = match (&indptr, &indices, &data) {
        (Indices::I32(p), Indices::I32(i), Values::F32(d)) => run!(p, i, d),
        (Indices::I32(p), Indices::I32(i), Values::F64(d)) => run!(p, i, d),
        (Indices::I64(p), Indices::I64(i), Values::F32(d)) => run!(p, i, d),
        (Indices::I64(p), Indices::I64(i), Values::F64(d)) => run!(p, i, d),
        _ => return Err(PyValueError::new_err("indptr and indices must have the same dtype")),
    }
    .map_err(py_err)?;
    image(py, out, n_cells, n_genes)
}

type RegionArrays<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<i64>>);

#[pyfunction]
fn regions<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray2<'py, i32>,
    n_cells: Option<usize>,
) -> PyResult<RegionArrays<'py>> {
    let labels = grid(&labels)?;
    let n_cells = match n_cells {
        Some(n) => n,
        None => n_cells_of(labels.as_slice())?,
    };
    let table = py.detach(|| regions_of(labels, n_cells)).map_err(py_err)?;
    let cells = &table[1..];
    let area: Vec<u64> = cells.iter().map(Region::area).collect();
    let centroid: Vec<f64> = cells.iter().flat_map(|r| <[f64; 2]>::from(r.centroid())).collect();
    let bbox: Vec<i64> = cells
        .iter()
        .flat_map(|r| match r.bounding_box() {
            Some(b) => [b.row_start, b.col_start, b.row_end, b.col_end].map(|v| v as i64),
            None => [-1; 4],
        })
        .collect();
    Ok((area.into_pyarray(py), image(py, centroid, n_cells, 2)?, image(py, bbox, n_cells, 4)?))
}

#[pyfunction]
#[pyo3(signature = (labels, x, y, scale, max_distance=None))]
fn assign<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray2<'py, i32>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    scale: f64,
    max_distance: Option<f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let labels = grid(&labels)?;
    let (x, y) = (x.as_slice()?, y.as_slice()?);
    let cells = py.detach(|| assign_points_to(labels, x, y, scale, max_distance)).map_err(py_err)?.cell_ids;
    let ids: Vec<i64> =
        cells.into_iter().map(|c| if c == OUT_OF_IMAGE { -1 } else { i64::from(c) }).collect();
    Ok(ids.into_pyarray(py))
}

// ---------------------------------------------------------------------------
// Tiles: the per-chunk and merge steps of `cellmap.dask`
// ---------------------------------------------------------------------------

/// A [`TileSummary`] as plain Python values (picklable, for Dask workers):
/// `(height, width, n_cells, n_open, first_pixels, adjacency (k, 2), top,
/// bottom, left, right)`.
type SummaryTuple<'py> = (
    usize,
    usize,
    usize,
    usize,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray2<u32>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<i32>>,
);

type SummaryIn<'py> = (
    usize,
    usize,
    usize,
    usize,
    PyReadonlyArray1<'py, u64>,
    PyReadonlyArray2<'py, u32>,
    PyReadonlyArray1<'py, i32>,
    PyReadonlyArray1<'py, i32>,
    PyReadonlyArray1<'py, i32>,
    PyReadonlyArray1<'py, i32>,
);

thread_local! {
    /// Each worker thread keeps its tile scratch between chunks.
    static LABELER: std::cell::RefCell<TileLabeler> = std::cell::RefCell::new(TileLabeler::default());
}

#[pyfunction]
fn label_tile<'py>(
    py: Python<'py>,
    mask: Mask<'py>,
    connectivity: u8,
    fill_holes: bool,
) -> PyResult<(Bound<'py, PyArray2<i32>>, SummaryTuple<'py>)> {
    let options = options(connectivity, fill_holes)?;
    with_mask!(&mask, g => {
        let (w, h) = (g.width(), g.height());
        let (labels, s) = py.detach(|| {
            let mut labels = zeroed(g.len());
            LABELER.with_borrow_mut(|labeler| labeler.label(g, options, &mut labels)).map(|s| (labels, s))
        }).map_err(py_err)?;
        let adjacency: Vec<u32> = s.adjacency.iter().flatten().copied().collect();
        let pairs = s.adjacency.len();
        let summary = (
            s.height, s.width, s.n_cells, s.n_open,
            s.first_pixels.into_pyarray(py),
            image(py, adjacency, pairs, 2)?,
            s.top.into_pyarray(py), s.bottom.into_pyarray(py), s.left.into_pyarray(py), s.right.into_pyarray(py),
        );
        Ok((image(py, labels, h, w)?, summary))
    })
}

fn summary_from(s: SummaryIn<'_>) -> PyResult<TileSummary> {
    let vec = |a: &PyReadonlyArray1<'_, i32>| -> PyResult<Vec<i32>> { Ok(a.as_slice()?.to_vec()) };
    let flat = s.5.as_slice()?;
    Ok(TileSummary {
        height: s.0,
        width: s.1,
        n_cells: s.2,
        n_open: s.3,
        first_pixels: s.4.as_slice()?.to_vec(),
        adjacency: flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect(),
        top: vec(&s.6)?,
        bottom: vec(&s.7)?,
        left: vec(&s.8)?,
        right: vec(&s.9)?,
    })
}

#[pyfunction]
fn merge_tiles<'py>(
    py: Python<'py>,
    rows: Vec<usize>,
    cols: Vec<usize>,
    summaries: Vec<SummaryIn<'py>>,
    connectivity: u8,
    fill_holes: bool,
    numbering: &str,
) -> PyResult<(usize, Vec<Bound<'py, PyArray1<i32>>>)> {
    let options = options(connectivity, fill_holes)?;
    let numbering = match numbering {
        "scipy" => Numbering::Scipy,
        "tiles" => Numbering::Tiles,
        _ => {
            return Err(PyValueError::new_err(format!(
                "numbering must be \"scipy\" or \"tiles\", not {numbering:?}"
            )));
        }
    };
    let tiles = summaries.into_iter().map(summary_from).collect::<PyResult<Vec<_>>>()?;
    let merged = py.detach(|| merge(&rows, &cols, &tiles, options, numbering)).map_err(py_err)?;
    Ok((merged.n_cells, merged.luts.into_iter().map(|lut| lut.into_pyarray(py)).collect()))
}

#[pyfunction]
fn relabel<'py>(
    py: Python<'py>,
    local: PyReadonlyArray2<'py, i32>,
    lut: PyReadonlyArray1<'py, i32>,
) -> PyResult<Bound<'py, PyArray2<i32>>> {
    let local = grid(&local)?;
    let lut = lut.as_slice()?;
    let out = py
        .detach(|| {
            let mut out = zeroed(local.len());
            relabel_tile(local.as_slice(), lut, &mut out).map(|()| out)
        })
        .map_err(py_err)?;
    image(py, out, local.height(), local.width())
}

type Partial<'py> = (
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

#[pyfunction]
fn cell_stats_partial<'py>(
    py: Python<'py>,
    labels: PyReadonlyArray2<'py, i32>,
    values: PyReadonlyArray2<'py, f32>,
    skip_zeros: bool,
) -> PyResult<Partial<'py>> {
    let (labels, values) = (grid(&labels)?, grid(&values)?);
    let (ids, stats) = py.detach(|| present_cell_stats(labels, values, zeros(skip_zeros))).map_err(py_err)?;
    let count: Vec<u64> = stats.iter().map(CellStats::count).collect();
    let sum: Vec<f64> = stats.iter().map(CellStats::sum).collect();
    let min: Vec<f64> = stats.iter().map(CellStats::min).collect();
    let max: Vec<f64> = stats.iter().map(CellStats::max).collect();
    Ok((
        ids.into_pyarray(py),
        count.into_pyarray(py),
        sum.into_pyarray(py),
        min.into_pyarray(py),
        max.into_pyarray(py),
    ))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fill_holes, m)?)?;
    m.add_function(wrap_pyfunction!(label, m)?)?;
    m.add_function(wrap_pyfunction!(cell_stats_dense, m)?)?;
    m.add_function(wrap_pyfunction!(cell_gene_stats_csr, m)?)?;
    m.add_function(wrap_pyfunction!(regions, m)?)?;
    m.add_function(wrap_pyfunction!(assign, m)?)?;
    m.add_function(wrap_pyfunction!(label_tile, m)?)?;
    m.add_function(wrap_pyfunction!(merge_tiles, m)?)?;
    m.add_function(wrap_pyfunction!(relabel, m)?)?;
    m.add_function(wrap_pyfunction!(cell_stats_partial, m)?)?;
    Ok(())
}
