//! The layout of a store written by `cellmap publish` (a SpatialData Zarr
//! v3 store, container format "0.2"), from its consolidated root
//! `zarr.json`: the labels' multiscale pyramid and the AnnData table with
//! `X` in CSC. Bytes only: the caller fetches the keys this names.
//!
//! ```no_run
//! use cellmap_io::published::PublishedStore;
//! # let root_json: Vec<u8> = Vec::new();
//! let store = PublishedStore::from_root(&root_json, "data.zarr")?;
//! let level0 = &store.levels[0];
//! println!("{}×{} px, {} cells, {} genes", store.height, store.width, store.n_obs, store.n_var);
//! println!("first chunk: {}", level0.array.chunk_key(&[0, 0]));
//! # Ok::<(), cellmap_io::Error>(())
//! ```

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::zarr_read::{ArrayMeta, Consolidated, DataType};

/// One level of the labels pyramid.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// The array (`labels/cells/s<k>`), int32 `[height, width]`.
    pub array: ArrayMeta,
    /// Level-0 pixels per pixel of this level along each axis (1, 2, 4, …).
    pub factor: u64,
}

impl Level {
    /// Rows of this level.
    pub fn height(&self) -> u64 {
        self.array.shape[0]
    }

    /// Columns of this level.
    pub fn width(&self) -> u64 {
        self.array.shape[1]
    }
}

/// A published store's layout: the labels pyramid, the table's `X` (CSC),
/// `obs` columns and `var` names.
#[derive(Debug, Clone)]
pub struct PublishedStore {
    /// The store's name (its URL), for messages.
    pub source: String,
    /// The labels element's name (`cells`).
    pub labels_name: String,
    /// Level 0 first, each level coarser than the one before.
    pub levels: Vec<Level>,
    /// Level 0's rows.
    pub height: u64,
    /// Level 0's columns.
    pub width: u64,
    /// Cells (rows of the table, labels `1..=n_obs`).
    pub n_obs: u64,
    /// Genes (columns of `X`).
    pub n_var: u64,
    /// `X/indptr`: `n_var + 1` offsets.
    pub indptr: ArrayMeta,
    /// `X/indices`: the row of each stored value.
    pub indices: ArrayMeta,
    /// `X/data`: the stored values.
    pub data: ArrayMeta,
    /// `var/_index`: the gene names.
    pub var_names: ArrayMeta,
    /// `obs/cell_id`, `obs/area`, `obs/centroid_y`, `obs/centroid_x` (when present).
    pub obs_cell_id: Option<ArrayMeta>,
    /// `obs/area`.
    pub obs_area: Option<ArrayMeta>,
    /// `obs/centroid_y`.
    pub obs_centroid_y: Option<ArrayMeta>,
    /// `obs/centroid_x`.
    pub obs_centroid_x: Option<ArrayMeta>,
    /// `obs/bbox_min_row`, `obs/bbox_min_col`, `obs/bbox_max_row`, `obs/bbox_max_col` (the
    /// cells' bounding boxes, end-exclusive; when present).
    pub obs_bbox: [Option<ArrayMeta>; 4],
    /// `obsm/cellmap_top_genes` (`n_obs × k` gene indices, `-1` = none) and
    /// `obsm/cellmap_top_values` (their values), when both are present with the same shape.
    pub obsm_top: Option<(ArrayMeta, ArrayMeta)>,
}

fn bad(source: &str, why: impl Into<String>) -> Error {
    Error::new(source, ErrorKind::Zarr(why.into()))
}

impl PublishedStore {
    /// Reads the layout from the root `zarr.json` (with consolidated metadata) of `source`.
    pub fn from_root(root_json: &[u8], source: &str) -> Result<PublishedStore, Error> {
        let meta = Consolidated::from_root(root_json, source)?;
        let labels_name = meta
            .attributes("labels")
            .ok()
            .and_then(|a| a.get("ome")?.get("labels")?.as_array()?.first()?.as_str().map(str::to_string))
            .unwrap_or_else(|| "cells".to_string());
        let group = format!("labels/{labels_name}");
        let attrs = meta.attributes(&group)?;
        let datasets = attrs
            .get("ome")
            .and_then(|o| o.get("multiscales"))
            .and_then(|m| m.get(0))
            .and_then(|m| m.get("datasets"))
            .and_then(Value::as_array)
            .ok_or_else(|| bad(source, format!("{group}: no ome.multiscales[0].datasets")))?;
        let mut levels = Vec::new();
        for dataset in datasets {
            let path = dataset
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(source, format!("{group}: a dataset without a path")))?;
            let scale = dataset
                .get("coordinateTransformations")
                .and_then(Value::as_array)
                .and_then(|t| t.iter().find(|t| t.get("type").and_then(Value::as_str) == Some("scale")))
                .and_then(|t| t.get("scale"))
                .and_then(Value::as_array)
                .map(|s| s.iter().filter_map(Value::as_f64).collect::<Vec<_>>())
                .unwrap_or_else(|| vec![1.0, 1.0]);
            let array = meta.array(&format!("{group}/{path}"))?;
            if array.shape.len() != 2
                || !matches!(
                    array.data_type,
                    DataType::I32 | DataType::U32 | DataType::I64 | DataType::U16 | DataType::U8
                )
            {
                return Err(bad(source, format!("{}: labels must be a 2-d integer array", array.path)));
            }
            levels.push((array, scale));
        }
        let Some((first, first_scale)) = levels.first() else {
            return Err(bad(source, format!("{group}: the pyramid has no levels")));
        };
        let (height, width) = (first.shape[0], first.shape[1]);
        let base = first_scale.first().copied().unwrap_or(1.0);
        let mut pyramid = Vec::with_capacity(levels.len());
        for (array, scale) in levels {
            let factor = scale.first().copied().unwrap_or(1.0) / base;
            let same = scale.get(1).is_none_or(|&s| (s / base - factor).abs() < 1e-9);
            if !same || factor < 1.0 || factor.fract() != 0.0 || factor > 65536.0 {
                return Err(bad(
                    source,
                    format!("{}: scale {scale:?} is not a whole step from level 0", array.path),
                ));
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let factor = factor as u64;
            if array.shape[0] > height.div_ceil(factor) || array.shape[1] > width.div_ceil(factor) {
                return Err(bad(
                    source,
                    format!("{}: shape {:?} is larger than level 0 / {factor}", array.path, array.shape),
                ));
            }
            pyramid.push(Level { array, factor });
        }
        pyramid.sort_by_key(|l| l.factor);

        let table = "tables/table";
        let x_attrs = meta.attributes(&format!("{table}/X"))?;
        let encoding = x_attrs.get("encoding-type").and_then(Value::as_str).unwrap_or("?");
        if encoding != "csc_matrix" {
            return Err(bad(
                source,
                format!(
                    "{table}/X is '{encoding}': the viewer reads X as 'csc_matrix' (one gene = a few chunks)"
                ),
            ));
        }
        let shape = x_attrs
            .get("shape")
            .and_then(Value::as_array)
            .and_then(|s| Some((s.first()?.as_u64()?, s.get(1)?.as_u64()?)))
            .ok_or_else(|| bad(source, format!("{table}/X: no shape [n_obs, n_var]")))?;
        let indptr = meta.array(&format!("{table}/X/indptr"))?;
        let indices = meta.array(&format!("{table}/X/indices"))?;
        let data = meta.array(&format!("{table}/X/data"))?;
        if indptr.shape != [shape.1 + 1] {
            return Err(bad(
                source,
                format!("{}: shape {:?}, expected [{}] (n_var + 1)", indptr.path, indptr.shape, shape.1 + 1),
            ));
        }
        if indices.shape != data.shape || indices.shape.len() != 1 || indices.chunk_shape != data.chunk_shape
        {
            return Err(bad(source, format!("{table}/X: indices and data differ in shape or chunks")));
        }
        if data.data_type == DataType::String
            || indices.data_type == DataType::String
            || indptr.data_type == DataType::String
        {
            return Err(bad(source, format!("{table}/X: string arrays in a sparse matrix")));
        }
        let var_names = meta.array(&format!("{table}/var/_index"))?;
        if var_names.data_type != DataType::String || var_names.shape != [shape.1] {
            return Err(bad(
                source,
                format!("{}: expected {} gene names as strings", var_names.path, shape.1),
            ));
        }
        let obs_column = |name: &str| {
            let path = format!("{table}/obs/{name}");
            if !meta.has(&path) {
                return Ok(None);
            }
            let array = meta.array(&path)?;
            if array.shape != [shape.0] || array.data_type == DataType::String {
                return Err(bad(source, format!("{path}: expected {} numbers", shape.0)));
            }
            Ok(Some(array))
        };
        let top_path = |name: &str| format!("{table}/obsm/{name}");
        let obsm_top =
            if meta.has(&top_path("cellmap_top_genes")) && meta.has(&top_path("cellmap_top_values")) {
                let genes = meta.array(&top_path("cellmap_top_genes"))?;
                let values = meta.array(&top_path("cellmap_top_values"))?;
                let fits = |a: &ArrayMeta| {
                    a.shape.len() == 2
                        && a.shape[0] == shape.0
                        && a.chunk_shape.get(1) == a.shape.get(1)
                        && a.data_type != DataType::String
                };
                if !fits(&genes)
                    || !fits(&values)
                    || genes.shape != values.shape
                    || genes.chunk_shape != values.chunk_shape
                {
                    return Err(bad(
                        source,
                        format!(
                            "{}: expected {} rows of gene indices in chunks of whole rows, shaped as {}",
                            genes.path, shape.0, values.path
                        ),
                    ));
                }
                Some((genes, values))
            } else {
                None
            };
        Ok(PublishedStore {
            source: source.to_string(),
            labels_name,
            levels: pyramid,
            height,
            width,
            n_obs: shape.0,
            n_var: shape.1,
            indptr,
            indices,
            data,
            var_names,
            obs_cell_id: obs_column("cell_id")?,
            obs_area: obs_column("area")?,
            obs_centroid_y: obs_column("centroid_y")?,
            obs_centroid_x: obs_column("centroid_x")?,
            obs_bbox: [
                obs_column("bbox_min_row")?,
                obs_column("bbox_min_col")?,
                obs_column("bbox_max_row")?,
                obs_column("bbox_max_col")?,
            ],
            obsm_top,
        })
    }

    /// The level to show at `zoom` screen pixels per level-0 pixel: the
    /// coarsest whose pixel is at most one screen pixel wide (level 0 when
    /// zoomed in).
    pub fn level_for_zoom(&self, zoom: f64) -> usize {
        let mut best = 0;
        for (i, level) in self.levels.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            if level.factor as f64 * zoom <= 1.0 + 1e-9 {
                best = i;
            }
        }
        best
    }
}
