//! AnnData stores in the zarr v2 form that `anndata.read_zarr` opens
//! (the anndata on-disk format: `encoding-type` `anndata` 0.1.0, dataframes
//! 0.2.0 with `_index` and `column-order`, `csr_matrix` 0.1.0, string
//! arrays in `vlen-utf8`), written by [`crate::zarr_write`] uncompressed.
//!
//! Layout: `obs/` (`_index` = the cell ids as strings, then the
//! [`AnnData::obs`] columns), `var/` (`_index` = the gene names), `X` (a
//! `csr_matrix` group `data`, `indices`, `indptr`, or a dense array),
//! `obsm/` (e.g. `spatial`), and empty `layers`, `obsp`, `varm`, `varp`, `uns`.

use crate::error::Error;
use crate::zarr_write::{Sink, ZarrWriter, json_string};

const ARRAY: &str = r#"{"encoding-type": "array", "encoding-version": "0.2.0"}"#;
const STRINGS: &str = r#"{"encoding-type": "string-array", "encoding-version": "0.2.0"}"#;
const DICT: &str = r#"{"encoding-type": "dict", "encoding-version": "0.1.0"}"#;

/// A column of `obs`.
#[derive(Debug, Clone, Copy)]
pub enum Values<'a> {
    /// `int64`
    I64(&'a [i64]),
    /// `float64`
    F64(&'a [f64]),
    /// `float32`
    F32(&'a [f32]),
}

impl Values<'_> {
    fn len(&self) -> usize {
        match self {
            Values::I64(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::F32(v) => v.len(),
        }
    }
}

/// The matrix `X` (`n_obs × n_var`).
#[derive(Debug, Clone, Copy)]
pub enum Matrix<'a> {
    /// scipy CSR: `n_obs + 1` row pointers, sorted column indices, values.
    Csr {
        /// Row pointers.
        indptr: &'a [i64],
        /// Column indices.
        indices: &'a [i32],
        /// Values (integer counts, or sums).
        data: Values<'a>,
    },
    /// Dense, row-major.
    Dense(Values<'a>),
}

/// What an AnnData store holds.
#[derive(Debug, Clone)]
pub struct AnnData<'a> {
    /// The obs names (cell ids as text), one per row of `X`.
    pub obs_names: Vec<String>,
    /// `obs` columns `(name, values)`, one value per obs.
    pub obs: Vec<(&'a str, Values<'a>)>,
    /// The var names (genes), one per column of `X`.
    pub var_names: &'a [String],
    /// The matrix.
    pub x: Matrix<'a>,
    /// `obsm` entries `(name, columns, row-major f64 values)`.
    pub obsm: Vec<(&'a str, usize, &'a [f64])>,
}

fn write_values<S: Sink>(
    z: &mut ZarrWriter<S>,
    path: &str,
    shape: &[usize],
    v: Values<'_>,
) -> Result<(), Error> {
    match v {
        Values::I64(v) => z.array(path, shape, v, ARRAY),
        Values::F64(v) => z.array(path, shape, v, ARRAY),
        Values::F32(v) => z.array(path, shape, v, ARRAY),
    }
}

fn dataframe_attrs(columns: &[&str]) -> String {
    let names: Vec<String> = columns.iter().map(|c| json_string(c)).collect();
    format!(
        r#"{{"_index": "_index", "column-order": [{}], "encoding-type": "dataframe", "encoding-version": "0.2.0"}}"#,
        names.join(", ")
    )
}

/// The index arrays as int32 when they fit (as anndata and scipy write them), else int64.
fn write_index<S: Sink>(z: &mut ZarrWriter<S>, path: &str, values: &[i64]) -> Result<(), Error> {
    if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        let narrow: Vec<i32> = values.iter().map(|&v| v as i32).collect();
        z.array(path, &[narrow.len()], &narrow, "{}")
    } else {
        z.array(path, &[values.len()], values, "{}")
    }
}

/// Writes `adata` into `sink` as an AnnData zarr (v2) store; `dest` names
/// it in errors. Lengths are checked first.
///
/// ```
/// use cellmap_io::anndata::{AnnData, Matrix, Values, write_zarr};
/// use cellmap_io::zarr_write::MemSink;
/// let genes = vec!["A".to_string(), "B".to_string()];
/// let adata = AnnData {
///     obs_names: vec!["1".into()],
///     obs: vec![("area", Values::I64(&[4]))],
///     var_names: &genes,
///     x: Matrix::Csr { indptr: &[0, 1], indices: &[1], data: Values::I64(&[7]) },
///     obsm: vec![],
/// };
/// let sink = write_zarr(MemSink::default(), "a.zarr", &adata)?;
/// assert!(sink.0.iter().any(|(k, _)| k == "X/indptr/0"));
/// # Ok::<(), cellmap_io::Error>(())
/// ```
pub fn write_zarr<S: Sink>(sink: S, dest: &str, adata: &AnnData<'_>) -> Result<S, Error> {
    let (n_obs, n_var) = (adata.obs_names.len(), adata.var_names.len());
    let bad = |why: String| Error::new(dest, crate::error::ErrorKind::Header(why));
    for (name, v) in &adata.obs {
        if v.len() != n_obs {
            return Err(bad(format!("obs column {name} has {} values for {n_obs} obs", v.len())));
        }
    }
    for (name, cols, v) in &adata.obsm {
        if v.len() != n_obs * cols {
            return Err(bad(format!("obsm {name} has {} values for {n_obs} × {cols}", v.len())));
        }
    }
    match adata.x {
        Matrix::Csr { indptr, indices, data } => {
            let end = indptr.last().copied().unwrap_or(-1);
            if indptr.len() != n_obs + 1 || indices.len() != data.len() || end != data.len() as i64 {
                return Err(bad(format!(
                    "CSR of {} row pointers, {} indices, {} values for {n_obs} × {n_var}",
                    indptr.len(),
                    indices.len(),
                    data.len()
                )));
            }
        }
        Matrix::Dense(v) => {
            if v.len() as u128 != n_obs as u128 * n_var as u128 {
                return Err(bad(format!("{} values for X of {n_obs} × {n_var}", v.len())));
            }
        }
    }
    let mut z = ZarrWriter::new(sink, dest);
    z.group("", r#"{"encoding-type": "anndata", "encoding-version": "0.1.0"}"#)?;
    let columns: Vec<&str> = adata.obs.iter().map(|(name, _)| *name).collect();
    z.group("obs", &dataframe_attrs(&columns))?;
    z.strings("obs/_index", &adata.obs_names, STRINGS)?;
    for (name, values) in &adata.obs {
        write_values(&mut z, &format!("obs/{name}"), &[n_obs], *values)?;
    }
    z.group("var", &dataframe_attrs(&[]))?;
    z.strings("var/_index", adata.var_names, STRINGS)?;
    match adata.x {
        Matrix::Csr { indptr, indices, data } => {
            z.group(
                "X",
                &format!(
                    r#"{{"encoding-type": "csr_matrix", "encoding-version": "0.1.0", "shape": [{n_obs}, {n_var}]}}"#
                ),
            )?;
            // the members of a csr_matrix group are plain arrays (no encoding attributes)
            match data {
                Values::I64(v) => z.array("X/data", &[v.len()], v, "{}")?,
                Values::F64(v) => z.array("X/data", &[v.len()], v, "{}")?,
                Values::F32(v) => z.array("X/data", &[v.len()], v, "{}")?,
            }
            let wide = indptr.iter().any(|&p| i32::try_from(p).is_err());
            if wide {
                let indices: Vec<i64> = indices.iter().map(|&i| i64::from(i)).collect();
                z.array("X/indices", &[indices.len()], &indices, "{}")?;
                z.array("X/indptr", &[indptr.len()], indptr, "{}")?;
            } else {
                z.array("X/indices", &[indices.len()], indices, "{}")?;
                write_index(&mut z, "X/indptr", indptr)?;
            }
        }
        Matrix::Dense(values) => write_values(&mut z, "X", &[n_obs, n_var], values)?,
    }
    z.group("obsm", DICT)?;
    for (name, cols, values) in &adata.obsm {
        z.array(&format!("obsm/{name}"), &[n_obs, *cols], values, ARRAY)?;
    }
    for group in ["layers", "obsp", "varm", "varp", "uns"] {
        z.group(group, DICT)?;
    }
    Ok(z.into_inner())
}
