//! The SpatialData store of `cellmap publish`: labels and a cell × gene table as one Zarr v3
//! store (SpatialData container format "0.2") that `spatialdata.read_zarr` and
//! `anndata.read_zarr` open and the viewer reads lazily over HTTP.
//!
//! Layout (the project's `PUBLISH-FORMAT.md`, §1):
//!
//! * `labels/cells/s0 … sL`: the labels renumbered `1..=N` (0 = background) as an `int32`
//!   pyramid, each level half the previous one (nearest neighbour: level `k` pixel `(y, x)` is
//!   level 0 pixel `(y·2ᵏ, x·2ᵏ)`), down to the first level at most 512 px on its longer side;
//!   512 × 512 chunks, chunks that are all background not written (a missing chunk reads as
//!   the fill value 0);
//! * `tables/table`: AnnData, `X` as CSC (`float32` data, `int32` row indices, `int32` or
//!   `int64` column pointers; 2¹⁷-element chunks, so one gene costs 2–4 chunk requests), `obs`
//!   sorted by `cell_id` (= label, row `label − 1`) with `region`, `cell_id`, `area`,
//!   `centroid_y`, `centroid_x` (`float64`, as `regions.csv`), `bbox_min_row`, `bbox_min_col`,
//!   `bbox_max_row`, `bbox_max_col` (end-exclusive) (and `source_label`, the input's label,
//!   when renumbering changed the ids), `var` = gene names, `obsm/spatial` = (x, y) centroids,
//!   `obsm/cellmap_top_genes` / `obsm/cellmap_top_values` = each cell's 10 largest values
//!   ([`top_genes`]),
//!   `uns/spatialdata_attrs` linking the table to the labels;
//! * the root `zarr.json` with the metadata of every node consolidated inline, written last.
//!
//! Every chunk is `bytes` (little-endian) + `zstd`. Memory beyond the inputs: one 1 MiB chunk
//! per thread for the pyramid (each level is sampled from level 0 directly, never held).
//!
//! ```
//! use cellmap::publish::{Contents, CscTable, PublishOptions, write_spatialdata};
//! use cellmap::{Image, LabelImage};
//! use cellmap_io::zarr3::MemStore;
//! let labels = LabelImage::new(Image::new(3, 2, vec![1, 1, 0, 0, 2, 2])?)?;
//! // gene 0: cell 1 has 5; gene 1: cell 2 has 7
//! let table = CscTable::from_columns(2, vec![vec![(0, 5.0)], vec![(1, 7.0)]])?;
//! let store = MemStore::default();
//! let genes = ["Gad1".to_string(), "Sst".to_string()];
//! let contents = Contents { labels: &labels, table: &table, genes: &genes, points: None };
//! let done = write_spatialdata(&store, "data.zarr", &contents, &PublishOptions::default(), &|_| {})?;
//! assert_eq!((done.n_cells, done.levels.len(), done.label_chunks), (2, 1, 1));
//! assert!(store.get("labels/cells/s0/c/0/0").is_some());
//! assert_eq!(store.keys().last().unwrap(), "zarr.json");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use cellmap_io::zarr3::{ArraySpec, Store, Zarr3Writer};
use serde_json::{Value, json};

use crate::memory::{filled, grouped};
use crate::{CellTable, Error, LabelImage, SparseCounts, TableValues, regions};

/// Side of a label chunk, and the most pixels of the smallest pyramid level's longer side.
pub const TILE: usize = 512;

/// Elements of one chunk of the table's `X/data` and `X/indices` (2¹⁷).
pub const TABLE_CHUNK: usize = 1 << 17;

/// Rows of one chunk of an `obs` column (and of `obsm/spatial`).
pub const OBS_CHUNK: usize = 1 << 17;

/// The name of the labels element, the table's region.
pub const LABELS_NAME: &str = "cells";

/// The name of the table element.
pub const TABLE_NAME: &str = "table";

/// The shapes `(height, width)` of the pyramid of a `height × width` label image: level 0, then
/// halves (rounded down, at least 1) until the longer side is at most [`TILE`].
///
/// ```
/// use cellmap::publish::pyramid_levels;
/// assert_eq!(pyramid_levels(300, 200), [(300, 200)]);
/// assert_eq!(pyramid_levels(4096, 4096).len(), 4); // 4096, 2048, 1024, 512
/// assert_eq!(pyramid_levels(40_000, 40_000).last(), Some(&(312, 312))); // s7
/// assert_eq!(pyramid_levels(3, 2000), [(3, 2000), (1, 1000), (1, 500)]);
/// ```
pub fn pyramid_levels(height: usize, width: usize) -> Vec<(usize, usize)> {
    let mut levels = vec![(height, width)];
    let mut k = 0;
    while (height >> k).max(width >> k) > TILE {
        k += 1;
        levels.push(((height >> k).max(1), (width >> k).max(1)));
    }
    levels
}

/// A cell × gene table in compressed sparse columns: gene `g`'s cells are
/// `indices[indptr[g]..indptr[g + 1]]` (rows, `label − 1`, increasing) with values `data[…]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CscTable {
    /// Rows (cells).
    pub n_cells: usize,
    /// `n_genes + 1` column pointers.
    pub indptr: Vec<u64>,
    /// Row of each stored value.
    pub indices: Vec<u32>,
    /// The stored values.
    pub data: Vec<f32>,
}

impl CscTable {
    /// Columns.
    pub fn n_genes(&self) -> usize {
        self.indptr.len().saturating_sub(1)
    }

    /// Stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// A table of `n_cells` rows from each gene's `(row, value)` pairs (rows increasing).
    pub fn from_columns(n_cells: usize, columns: Vec<Vec<(u32, f32)>>) -> Result<Self, Error> {
        let mut table = CscTable { n_cells, indptr: vec![0], indices: Vec::new(), data: Vec::new() };
        for column in columns {
            for (row, value) in column {
                table.indices.push(row);
                table.data.push(value);
            }
            table.indptr.push(table.data.len() as u64);
        }
        table.check()?;
        Ok(table)
    }

    /// The values of a [`CellTable`] that are neither 0 nor NaN, as `float32`: an absent entry
    /// is a cell without a value (a mean over no pixel, NaN in the table) or a sum of 0; both
    /// read as 0 from a sparse matrix.
    pub fn from_table(table: &CellTable) -> Result<Self, Error> {
        let (cells, genes) = (table.n_cells(), table.n_genes());
        let value = |i: usize| -> f32 {
            match table.values() {
                TableValues::F64(v) => v[i] as f32,
                TableValues::I64(v) => v[i] as f32,
                TableValues::F32(v) => v[i],
            }
        };
        let kept = |v: f32| v != 0.0 && !v.is_nan();
        // Two row-major passes: entries per gene, then each entry at its column's next slot.
        let mut indptr = filled(genes + 1, 0u64, "the table's column pointers")?;
        for c in 0..cells {
            for g in 0..genes {
                if kept(value(c * genes + g)) {
                    indptr[g + 1] += 1;
                }
            }
        }
        for g in 0..genes {
            indptr[g + 1] += indptr[g];
        }
        let nnz = indptr[genes] as usize;
        let mut indices = filled(nnz, 0u32, "the table's row indices")?;
        let mut data = filled(nnz, 0f32, "the table's values")?;
        let mut next: Vec<u64> = indptr[..genes].to_vec();
        for c in 0..cells {
            for (g, slot) in next.iter_mut().enumerate() {
                let v = value(c * genes + g);
                if kept(v) {
                    indices[*slot as usize] = c as u32;
                    data[*slot as usize] = v;
                    *slot += 1;
                }
            }
        }
        let table = CscTable { n_cells: cells, indptr, indices, data };
        table.check()?;
        Ok(table)
    }

    /// Transcript counts (CSR, cells × genes) transposed to CSC, as `float32` (exact below 2²⁴).
    pub fn from_counts(counts: &SparseCounts) -> Result<Self, Error> {
        let SparseCounts { n_cells, n_genes, ref indptr, ref indices, ref data } = *counts;
        let bad = || Error::input("sparse counts: row pointers, columns and counts do not agree");
        if indptr.len() != n_cells + 1 || indices.len() != data.len() {
            return Err(bad());
        }
        let mut col_ptr = filled(n_genes + 1, 0u64, "the table's column pointers")?;
        for &g in indices {
            let g = usize::try_from(g).ok().filter(|&g| g < n_genes).ok_or_else(bad)?;
            col_ptr[g + 1] += 1;
        }
        for g in 0..n_genes {
            col_ptr[g + 1] += col_ptr[g];
        }
        let mut rows = filled(data.len(), 0u32, "the table's row indices")?;
        let mut values = filled(data.len(), 0f32, "the table's values")?;
        let mut next: Vec<u64> = col_ptr[..n_genes].to_vec();
        for cell in 0..n_cells {
            let (start, end) = (indptr[cell], indptr[cell + 1]);
            let range = usize::try_from(start).ok().zip(usize::try_from(end).ok()).ok_or_else(bad)?;
            let span = indices.get(range.0..range.1).zip(data.get(range.0..range.1)).ok_or_else(bad)?;
            for (&g, &n) in span.0.iter().zip(span.1) {
                let slot = &mut next[g as usize];
                rows[*slot as usize] = cell as u32;
                values[*slot as usize] = n as f32;
                *slot += 1;
            }
        }
        let table = CscTable { n_cells, indptr: col_ptr, indices: rows, data: values };
        table.check()?;
        Ok(table)
    }

    /// Pointers from 0 to nnz, rows in range and increasing within each column.
    fn check(&self) -> Result<(), Error> {
        let nnz = self.data.len() as u64;
        let ok = self.indptr.first() == Some(&0)
            && self.indptr.last() == Some(&nnz)
            && self.indices.len() == self.data.len()
            && self.indptr.windows(2).all(|w| w[0] <= w[1])
            && self.indptr.windows(2).all(|w| {
                let rows = &self.indices[w[0] as usize..w[1] as usize];
                rows.windows(2).all(|r| r[0] < r[1])
                    && rows.last().is_none_or(|&r| (r as usize) < self.n_cells)
            });
        if ok {
            Ok(())
        } else {
            Err(Error::input(format!(
                "a sparse table of {} cells × {} genes: pointers and rows do not agree",
                grouped(self.n_cells),
                grouped(self.n_genes())
            )))
        }
    }
}

/// The name of the points element (transcripts).
pub const POINTS_NAME: &str = "transcripts";

/// Rows of one Parquet row group of the points (Vitessce reads row groups of < 100,000 rows).
pub const POINTS_ROW_GROUP: usize = 65_536;

/// Transcripts to publish as the points element `points/transcripts`: positions in pixels of
/// the labels (pixel `(r, c)` covers `[c, c + 1) × [r, r + 1)`), genes as indices into the
/// table's gene names, and the cell each was assigned to (the input's label; 0 = background,
/// `u32::MAX` = outside the image).
#[derive(Debug, Clone, Copy)]
pub struct Points<'a> {
    /// x = column coordinate.
    pub x: &'a [f32],
    /// y = row coordinate.
    pub y: &'a [f32],
    /// Gene of each transcript.
    pub gene: &'a [u32],
    /// Cell of each transcript.
    pub cell_id: &'a [u32],
}

/// The Z-order (Morton) code of `(x, y)` in a square of side `extent` quantised to 2¹⁶ steps a
/// side: the bits of the column interleaved with those of the row (x in the even bits), so
/// nearby points get nearby codes and a tile of the square is a few ranges of codes.
///
/// ```
/// use cellmap::publish::morton_code;
/// assert_eq!(morton_code(0.0, 0.0, 4.0), 0);
/// assert_eq!(morton_code(2.0, 0.0, 4.0), 1 << 30); // top bit of x: bit 30
/// assert_eq!(morton_code(0.0, 2.0, 4.0), 1 << 31); // top bit of y: bit 31
/// assert_eq!(morton_code(9.0, -1.0, 4.0), 0x5555_5555); // clamped to the square
/// ```
pub fn morton_code(x: f32, y: f32, extent: f32) -> u32 {
    let quantise = |v: f32| -> u32 {
        let q = (v / extent * 65536.0).floor();
        if q.is_nan() { 0 } else { q.clamp(0.0, 65535.0) as u32 }
    };
    let spread = |v: u32| -> u32 {
        let mut v = v & 0xffff;
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    spread(quantise(x)) | (spread(quantise(y)) << 1)
}

/// Settings of [`write_spatialdata`].
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// `spatialdata_software_version` of the root (e.g. `cellmap 0.1.0`).
    pub software: String,
    /// Threads encoding label chunks (at least 1).
    pub threads: usize,
}

impl Default for PublishOptions {
    fn default() -> Self {
        Self { software: format!("cellmap {}", env!("CARGO_PKG_VERSION")), threads: 1 }
    }
}

/// What [`write_spatialdata`] is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Label chunks examined (written or all background) of all the levels.
    Labels {
        /// Examined so far.
        done: usize,
        /// Of all levels.
        total: usize,
    },
    /// Writing the table.
    Table,
    /// Sorting and writing the points.
    Points,
}

/// What [`write_spatialdata`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Cells (rows of the table, labels `1..=n_cells`).
    pub n_cells: usize,
    /// Genes.
    pub n_genes: usize,
    /// Stored values of the table.
    pub nnz: usize,
    /// `(height, width)` of each pyramid level.
    pub levels: Vec<(usize, usize)>,
    /// Label chunks written (all levels).
    pub label_chunks: usize,
    /// Label chunks left out as all background.
    pub empty_chunks: usize,
    /// Whether the labels were renumbered (the input had ids without pixels).
    pub renumbered: bool,
    /// Points written (0 without points).
    pub points: usize,
}

/// What a store holds: the labels, their table (rows = labels `1..=n_cells`, columns = `genes`)
/// and optionally the transcripts.
#[derive(Debug, Clone, Copy)]
pub struct Contents<'a> {
    /// The cells.
    pub labels: &'a LabelImage,
    /// Their cell × gene table.
    pub table: &'a CscTable,
    /// The table's gene names.
    pub genes: &'a [String],
    /// The transcripts, as the points element.
    pub points: Option<Points<'a>>,
}

/// Writes `contents` as a SpatialData store into `store` (`dest` names it in errors), reporting
/// `progress`. Labels without pixels are dropped and the others renumbered `1..=N` in order
/// (their table rows and points with them; `obs/source_label` keeps the input's ids).
pub fn write_spatialdata<S: Store + ?Sized>(
    store: &S,
    dest: &str,
    contents: &Contents<'_>,
    options: &PublishOptions,
    progress: &(dyn Fn(Stage) + Sync),
) -> Result<Published, Error> {
    let Contents { labels, table, genes, points } = *contents;
    if table.n_cells != labels.n_cells() || table.n_genes() != genes.len() {
        return Err(Error::argument(format!(
            "a table of {} cells × {} genes for {} labels and {} gene names",
            grouped(table.n_cells),
            grouped(table.n_genes()),
            grouped(labels.n_cells()),
            grouped(genes.len())
        )));
    }
    let writer = Zarr3Writer::new(store, dest);
    let cells = regions(labels)?;
    // new_id[label]: 0 for the background and labels without pixels, else 1..=N in order.
    let mut new_id = filled(cells.len().max(1), 0i32, "the label renumbering")?;
    let mut kept = Vec::new();
    for (label, region) in cells.iter().enumerate().skip(1) {
        if region.area() > 0 {
            kept.push(label);
            new_id[label] = kept.len() as i32;
        }
    }
    let renumbered = kept.len() != labels.n_cells();
    let (height, width) = (labels.height(), labels.width());
    let levels = pyramid_levels(height, width);
    writer.group("labels", json!({"ome": {"labels": [LABELS_NAME]}}))?;
    writer.group(&format!("labels/{LABELS_NAME}"), labels_attributes(levels.len()))?;
    let (label_chunks, empty_chunks) = write_pyramid(
        &writer,
        labels,
        &levels,
        renumbered.then_some(&new_id[..]),
        options.threads,
        progress,
    )?;
    progress(Stage::Table);
    let n = kept.len();
    let obs = ObsColumns {
        source_label: renumbered.then(|| kept.iter().map(|&l| l as i32).collect()),
        area: kept.iter().map(|&l| cells[l].area() as f32).collect(),
        centroid: kept.iter().map(|&l| cells[l].centroid()).collect(),
        // every kept cell has pixels, hence a box
        bbox: kept
            .iter()
            .map(|&l| {
                cells[l]
                    .bounding_box()
                    .map_or([0; 4], |b| [b.row_start, b.col_start, b.row_end, b.col_end].map(|v| v as i32))
            })
            .collect(),
    };
    let renumbered_table;
    let table = if renumbered {
        renumbered_table = renumber_rows(table, &new_id, n)?;
        &renumbered_table
    } else {
        table
    };
    write_table(&writer, table, genes, &obs)?;
    if let Some(points) = points {
        progress(Stage::Points);
        write_points(&writer, &points, genes, &new_id, (height, width))?;
    }
    writer.finish(json!({
        "spatialdata_attrs": {"version": "0.2", "spatialdata_software_version": options.software}
    }))?;
    Ok(Published {
        n_cells: n,
        n_genes: genes.len(),
        nnz: table.nnz(),
        levels,
        label_chunks,
        empty_chunks,
        renumbered,
        points: points.map_or(0, |p| p.x.len()),
    })
}

/// The points element `points/transcripts`: the transcripts in Morton order (cells renumbered
/// by `new_id`; -1 outside the image) as one Parquet file.
fn write_points<S: Store + ?Sized>(
    writer: &Zarr3Writer<'_, S>,
    points: &Points<'_>,
    genes: &[String],
    new_id: &[i32],
    (height, width): (usize, usize),
) -> Result<(), Error> {
    let n = points.x.len();
    if [points.y.len(), points.gene.len(), points.cell_id.len()].iter().any(|&len| len != n) {
        return Err(Error::argument("points: columns of different lengths"));
    }
    if u32::try_from(n).is_err() {
        return Err(Error::argument(format!("{} points: at most 2³² − 1 in one store", grouped(n))));
    }
    let extent = height.max(width).max(1) as f32;
    // Sorted as one u64 per point (code, then index: a stable order), which sorts several times
    // faster than indices compared through the codes.
    let mut keys: Vec<u64> = points
        .x
        .iter()
        .zip(points.y)
        .enumerate()
        .map(|(i, (&x, &y))| (u64::from(morton_code(x, y, extent)) << 32) | i as u64)
        .collect();
    keys.sort_unstable();
    let morton: Vec<u32> = keys.iter().map(|&k| (k >> 32) as u32).collect();
    let order: Vec<u32> = keys.iter().map(|&k| k as u32).collect();
    drop(keys);
    let gather_f32 = |v: &[f32]| -> Vec<f32> { order.iter().map(|&i| v[i as usize]).collect() };
    let (x, y) = (gather_f32(points.x), gather_f32(points.y));
    let gene: Vec<u32> = order.iter().map(|&i| points.gene[i as usize]).collect();
    let cell_id: Vec<i32> = order
        .iter()
        .map(|&i| match points.cell_id[i as usize] {
            u32::MAX => -1,
            id => new_id.get(id as usize).copied().unwrap_or(0),
        })
        .collect();
    let columns = cellmap_io::parquet::PointColumns {
        x: &x,
        y: &y,
        gene: &gene,
        gene_names: genes,
        cell_id: &cell_id,
        morton_code_2d: &morton,
    };
    let unit_axes = json!([
        {"name": "x", "type": "space", "unit": "unit"},
        {"name": "y", "type": "space", "unit": "unit"}
    ]);
    writer.group("points", json!({}))?;
    let path = format!("points/{POINTS_NAME}");
    writer.group(
        &path,
        json!({
            "encoding-type": "ngff:points",
            "axes": ["x", "y"],
            "coordinateTransformations": [{
                "type": "identity",
                "input": {"name": "xy", "axes": unit_axes},
                "output": {"name": "global", "axes": unit_axes}
            }],
            "spatialdata_attrs": {"version": "0.2", "feature_key": "gene", "instance_key": "cell_id"}
        }),
    )?;
    let key = format!("{path}/points.parquet/part.0.parquet");
    writer.object(&key, &mut |out| {
        cellmap_io::parquet::write_points(out, &columns, POINTS_ROW_GROUP, &key)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })?;
    Ok(())
}

/// The multiscales attributes of the labels group (`ome` 0.5 in SpatialData's dialect).
fn labels_attributes(levels: usize) -> Value {
    let axes = json!([{"name": "y", "type": "space"}, {"name": "x", "type": "space"}]);
    let unit_axes = json!([
        {"name": "y", "type": "space", "unit": "unit"},
        {"name": "x", "type": "space", "unit": "unit"}
    ]);
    let datasets: Vec<Value> = (0..levels)
        .map(|k| {
            let scale = f64::from(1u32 << k);
            json!({"path": format!("s{k}"), "coordinateTransformations": [{"type": "scale", "scale": [scale, scale]}]})
        })
        .collect();
    json!({
        "ome": {
            "version": "0.5-dev-spatialdata",
            "image-label": {"version": "0.5"},
            "multiscales": [{
                "name": LABELS_NAME,
                "axes": axes,
                "datasets": datasets,
                "coordinateTransformations": [{
                    "type": "identity",
                    "input": {"name": "yx", "axes": unit_axes},
                    "output": {"name": "global", "axes": unit_axes}
                }]
            }]
        },
        "spatialdata_attrs": {"version": "0.3"}
    })
}

/// Writes every level's chunks (`new_id`: the renumbering, if any) on `threads` threads; gives
/// (chunks written, chunks left out as background).
fn write_pyramid<S: Store + ?Sized>(
    writer: &Zarr3Writer<'_, S>,
    labels: &LabelImage,
    levels: &[(usize, usize)],
    new_id: Option<&[i32]>,
    threads: usize,
    progress: &(dyn Fn(Stage) + Sync),
) -> Result<(usize, usize), Error> {
    let mut jobs = Vec::new();
    for (k, &(h, w)) in levels.iter().enumerate() {
        let mut spec = ArraySpec::new(vec![h as u64, w as u64], vec![TILE as u64; 2], "int32");
        spec.dimension_names = Some(vec!["y".into(), "x".into()]);
        writer.array(&format!("labels/{LABELS_NAME}/s{k}"), &spec)?;
        for row in 0..h.div_ceil(TILE) {
            for col in 0..w.div_ceil(TILE) {
                jobs.push((k, row, col));
            }
        }
    }
    let total = jobs.len();
    let (next, done, written) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let image = labels.labels();
    let (src, src_width) = (image.data(), image.width());
    let work = || {
        let mut chunk = vec![0i32; TILE * TILE];
        while !failed.load(Ordering::Relaxed) {
            let Some(&(k, row, col)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
            let (h, w) = levels[k];
            chunk.fill(0);
            let (y0, x0) = (row * TILE, col * TILE);
            let (rows, cols) = ((h - y0).min(TILE), (w - x0).min(TILE));
            let mut any = false;
            for y in 0..rows {
                let source = &src[((y0 + y) << k) * src_width..];
                let out = &mut chunk[y * TILE..y * TILE + cols];
                for (x, slot) in out.iter_mut().enumerate() {
                    let v = source[(x0 + x) << k];
                    *slot = match new_id {
                        Some(ids) => ids[v as usize],
                        None => v,
                    };
                }
                any |= out.iter().any(|&v| v != 0);
            }
            if any {
                let path = format!("labels/{LABELS_NAME}/s{k}");
                if let Err(e) = writer.chunk(&path, &[row as u64, col as u64], &chunk) {
                    failed.store(true, Ordering::Relaxed);
                    first_error.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e.into());
                    break;
                }
                written.fetch_add(1, Ordering::Relaxed);
            }
            progress(Stage::Labels { done: done.fetch_add(1, Ordering::Relaxed) + 1, total });
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads.max(1) {
            scope.spawn(work);
        }
        work();
    });
    if let Some(error) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(error);
    }
    let written = written.into_inner();
    Ok((written, total - written))
}

/// Moves row `r` of `table` to `new_id[r + 1] − 1` (`n` rows); a row whose label has no pixel
/// must be empty.
fn renumber_rows(table: &CscTable, new_id: &[i32], n: usize) -> Result<CscTable, Error> {
    let mut indices = filled(table.nnz(), 0u32, "the table's row indices")?;
    for (slot, &row) in indices.iter_mut().zip(&table.indices) {
        let id = new_id.get(row as usize + 1).copied().unwrap_or(0);
        if id == 0 {
            return Err(Error::input(format!("label {} has no pixel but has values in the table", row + 1)));
        }
        *slot = (id - 1) as u32;
    }
    Ok(CscTable { n_cells: n, indptr: table.indptr.clone(), indices, data: table.data.clone() })
}

/// The `obs` columns besides `cell_id` and `region`.
struct ObsColumns {
    /// The input's label of each cell, when renumbered.
    source_label: Option<Vec<i32>>,
    area: Vec<f32>,
    /// (row, column) of each cell.
    centroid: Vec<(f64, f64)>,
    /// `[min_row, min_col, max_row, max_col]` of each cell (the max end-exclusive, as
    /// `regions.csv`).
    bbox: Vec<[i32; 4]>,
}

/// The `obs` columns of the cells' bounding boxes (end-exclusive, as `regions.csv`).
pub const BBOX_COLUMNS: [&str; 4] = ["bbox_min_row", "bbox_min_col", "bbox_max_row", "bbox_max_col"];

/// Genes per cell in `obsm/cellmap_top_genes` and `obsm/cellmap_top_values`.
pub const TOP_GENES: usize = 10;

/// Rows of one chunk of `obsm/cellmap_top_genes` and `obsm/cellmap_top_values` (160 KiB raw
/// each): the viewer's cell detail fetches the two chunks of the cell's rows.
pub const TOP_GENES_CHUNK: usize = 4096;

/// Each row's (cell's) [`TOP_GENES`] largest stored values of `table`, largest first, ties in
/// gene order (the rule of [`crate::Session::top_genes`]): the genes (column indices, `-1` past
/// the cell's stored values) and their values (NaN there), both `n_cells × TOP_GENES`,
/// row-major. A table whose pointers and rows do not agree is an input error.
///
/// ```
/// use cellmap::publish::{CscTable, TOP_GENES, top_genes};
/// // cell 0: gene 0 = 2, gene 1 = 5, gene 2 = 2; cell 1: nothing stored
/// let table = CscTable::from_columns(2, vec![vec![(0, 2.0)], vec![(0, 5.0)], vec![(0, 2.0)]])?;
/// let (genes, values) = top_genes(&table)?;
/// assert_eq!(genes[..4], [1, 0, 2, -1]);
/// assert_eq!(values[..3], [5.0, 2.0, 2.0]);
/// assert!(values[3].is_nan() && genes[TOP_GENES..].iter().all(|&g| g == -1));
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn top_genes(table: &CscTable) -> Result<(Vec<i32>, Vec<f32>), Error> {
    // rows within the cells and pointers within the entries: the indexing below cannot fail
    table.check()?;
    let len = table.n_cells.checked_mul(TOP_GENES).ok_or_else(|| Error::argument("too many cells"))?;
    let mut genes = filled(len, -1i32, "the top genes per cell")?;
    let mut values = filled(len, f32::NAN, "the top values per cell")?;
    let mut filled_slots = filled(table.n_cells, 0u8, "the top genes per cell")?;
    for (gene, bounds) in table.indptr.windows(2).enumerate() {
        let (start, end) = (bounds[0] as usize, bounds[1] as usize);
        for (&row, &value) in table.indices[start..end].iter().zip(&table.data[start..end]) {
            let row = row as usize;
            let (slots, top) =
                (&mut genes[row * TOP_GENES..][..TOP_GENES], &mut values[row * TOP_GENES..][..TOP_GENES]);
            let used = usize::from(filled_slots[row]);
            // after the equal values: genes come in increasing order, so ties stay in gene order
            let at = top[..used].iter().position(|&v| value.total_cmp(&v).is_gt()).unwrap_or(used);
            if at >= TOP_GENES {
                continue;
            }
            let last = used.min(TOP_GENES - 1);
            slots.copy_within(at..last, at + 1);
            top.copy_within(at..last, at + 1);
            slots[at] = gene as i32;
            top[at] = value;
            filled_slots[row] = (used + 1).min(TOP_GENES) as u8;
        }
    }
    Ok((genes, values))
}

/// The AnnData table, `tables/table`.
fn write_table<S: Store + ?Sized>(
    writer: &Zarr3Writer<'_, S>,
    table: &CscTable,
    genes: &[String],
    obs: &ObsColumns,
) -> Result<(), Error> {
    let n = table.n_cells;
    let t = format!("tables/{TABLE_NAME}");
    let array = json!({"encoding-type": "array", "encoding-version": "0.2.0"});
    let strings = json!({"encoding-type": "string-array", "encoding-version": "0.2.0"});
    let dict = json!({"encoding-type": "dict", "encoding-version": "0.1.0"});
    writer.group("tables", json!({}))?;
    writer.group(
        &t,
        json!({
            "encoding-type": "anndata", "encoding-version": "0.1.0",
            "spatialdata-encoding-type": "ngff:regions_table",
            "region": LABELS_NAME, "region_key": "region", "instance_key": "cell_id", "version": "0.2"
        }),
    )?;
    // X: CSC.
    writer.group(
        &format!("{t}/X"),
        json!({"encoding-type": "csc_matrix", "encoding-version": "0.1.0", "shape": [n, genes.len()]}),
    )?;
    writer.array_1d(&format!("{t}/X/data"), &table.data, TABLE_CHUNK, json!({}))?;
    let rows: Vec<i32> = table.indices.iter().map(|&r| r as i32).collect();
    writer.array_1d(&format!("{t}/X/indices"), &rows, TABLE_CHUNK, json!({}))?;
    let pointers = table.indptr.len();
    if table.nnz() <= i32::MAX as usize {
        let indptr: Vec<i32> = table.indptr.iter().map(|&p| p as i32).collect();
        writer.array_1d(&format!("{t}/X/indptr"), &indptr, pointers, json!({}))?;
    } else {
        let indptr: Vec<i64> = table.indptr.iter().map(|&p| p as i64).collect();
        writer.array_1d(&format!("{t}/X/indptr"), &indptr, pointers, json!({}))?;
    }
    // obs: sorted by cell_id, index = str(cell_id).
    let mut order = vec!["region", "cell_id", "area", "centroid_y", "centroid_x"];
    order.extend(BBOX_COLUMNS);
    if obs.source_label.is_some() {
        order.push("source_label");
    }
    let o = format!("{t}/obs");
    writer.group(
        &o,
        json!({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index", "column-order": order}),
    )?;
    let ids: Vec<String> = (1..=n).map(|id| id.to_string()).collect();
    writer.strings_1d(&format!("{o}/_index"), &ids, OBS_CHUNK, strings.clone())?;
    writer.group(
        &format!("{o}/region"),
        json!({"encoding-type": "categorical", "encoding-version": "0.2.0", "ordered": false}),
    )?;
    writer.strings_1d(&format!("{o}/region/categories"), &[LABELS_NAME], 1, strings.clone())?;
    writer.array_1d(&format!("{o}/region/codes"), &vec![0i8; n], OBS_CHUNK, array.clone())?;
    let cell_ids: Vec<i32> = (1..=n as i32).collect();
    writer.array_1d(&format!("{o}/cell_id"), &cell_ids, OBS_CHUNK, array.clone())?;
    writer.array_1d(&format!("{o}/area"), &obs.area, OBS_CHUNK, array.clone())?;
    // float64: the centroids of regions.csv, digit for digit
    let ys: Vec<f64> = obs.centroid.iter().map(|c| c.0).collect();
    let xs: Vec<f64> = obs.centroid.iter().map(|c| c.1).collect();
    writer.array_1d(&format!("{o}/centroid_y"), &ys, OBS_CHUNK, array.clone())?;
    writer.array_1d(&format!("{o}/centroid_x"), &xs, OBS_CHUNK, array.clone())?;
    for (k, name) in BBOX_COLUMNS.iter().enumerate() {
        let bound: Vec<i32> = obs.bbox.iter().map(|b| b[k]).collect();
        writer.array_1d(&format!("{o}/{name}"), &bound, OBS_CHUNK, array.clone())?;
    }
    if let Some(source) = &obs.source_label {
        writer.array_1d(&format!("{o}/source_label"), source, OBS_CHUNK, array.clone())?;
    }
    // var: gene names.
    let v = format!("{t}/var");
    writer.group(
        &v,
        json!({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index", "column-order": []}),
    )?;
    writer.strings_1d(&format!("{v}/_index"), genes, OBS_CHUNK, strings.clone())?;
    // obsm/spatial: (x, y).
    writer.group(&format!("{t}/obsm"), dict.clone())?;
    let spatial: Vec<f32> = xs.iter().zip(&ys).flat_map(|(&x, &y)| [x as f32, y as f32]).collect();
    writer.array_2d(&format!("{t}/obsm/spatial"), &spatial, 2, OBS_CHUNK, array.clone())?;
    // each cell's largest values (the viewer's cell detail reads 2 chunks, not every column)
    let (top, top_values) = top_genes(table)?;
    writer.array_2d(
        &format!("{t}/obsm/cellmap_top_genes"),
        &top,
        TOP_GENES,
        TOP_GENES_CHUNK,
        array.clone(),
    )?;
    writer.array_2d(
        &format!("{t}/obsm/cellmap_top_values"),
        &top_values,
        TOP_GENES,
        TOP_GENES_CHUNK,
        array.clone(),
    )?;
    // uns/spatialdata_attrs: the link to the labels.
    writer.group(&format!("{t}/uns"), dict.clone())?;
    let u = format!("{t}/uns/spatialdata_attrs");
    writer.group(&u, dict)?;
    let scalar = json!({"encoding-type": "string", "encoding-version": "0.2.0"});
    writer.string_scalar(&format!("{u}/region"), LABELS_NAME, scalar.clone())?;
    writer.string_scalar(&format!("{u}/region_key"), "region", scalar.clone())?;
    writer.string_scalar(&format!("{u}/instance_key"), "cell_id", scalar)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Image, Selection, Stat, cell_table};
    use cellmap_io::zarr3::MemStore;

    /// The contents of a table of one gene `g` (`genes`), without points.
    fn one_gene<'a>(labels: &'a LabelImage, table: &'a CscTable, genes: &'a [String]) -> Contents<'a> {
        Contents { labels, table, genes, points: None }
    }

    fn decode_i32(bytes: &[u8]) -> Vec<i32> {
        let raw = zstd_decode(bytes);
        raw.chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }

    fn zstd_decode(bytes: &[u8]) -> Vec<u8> {
        zstd::stream::decode_all(bytes).unwrap()
    }

    #[test]
    fn csc_from_a_dense_table_keeps_the_values_that_are_not_zero_or_nan() {
        let labels = LabelImage::new(Image::new(4, 1, vec![1, 2, 2, 3]).unwrap()).unwrap();
        let values =
            cellmap_io::npy::encode(&[1, 4, 2], &[1.0f32, 0.0, 2.0, 5.0, 4.0, 0.0, 0.0, 0.0]).unwrap();
        let values = cellmap_io::npy::read(&values, "v.npy").unwrap();
        let expression = crate::Expression::from_dense(&values, "v.npy", 1, 4).unwrap();
        let means = cell_table(&labels, &expression, Selection::default(), Stat::Mean).unwrap();
        let csc = CscTable::from_table(&means).unwrap();
        // gene 0: cell 1 = 1, cell 2 = mean(2, 4) = 3, cell 3 = NaN; gene 1: cell 2 = 5
        assert_eq!(csc.indptr, [0, 2, 3]);
        assert_eq!(csc.indices, [0, 1, 1]);
        assert_eq!(csc.data, [1.0, 3.0, 5.0]);
    }

    #[test]
    fn csc_from_counts_is_the_transpose() {
        let counts = SparseCounts {
            n_cells: 3,
            n_genes: 2,
            indptr: vec![0, 2, 2, 3],
            indices: vec![0, 1, 0],
            data: vec![4, 1, 9],
        };
        let csc = CscTable::from_counts(&counts).unwrap();
        assert_eq!(
            (csc.indptr.as_slice(), csc.indices.as_slice(), csc.data.as_slice()),
            (&[0, 2, 3][..], &[0, 2, 0][..], &[4.0, 9.0, 1.0][..])
        );
        let bad = SparseCounts { indices: vec![0, 5, 0], ..counts };
        assert!(CscTable::from_counts(&bad).is_err());
        assert!(CscTable::from_columns(2, vec![vec![(1, 1.0), (0, 1.0)]]).is_err(), "rows must increase");
        assert!(CscTable::from_columns(2, vec![vec![(2, 1.0)]]).is_err(), "rows in range");
    }

    #[test]
    fn every_level_samples_level_zero_and_background_chunks_are_left_out() {
        let genes = ["g".to_string()];
        // 1100 × 600: level 0 has 3 × 2 chunks, level 1 (550 × 300) 2 × 1, level 2 (275 × 150) 1.
        let (h, w) = (1100, 600);
        let data: Vec<i32> = (0..h * w)
            .map(|i| if (i / w) < 520 && (i % w) < 520 { 1 + (i % w) as i32 / 100 } else { 0 })
            .collect();
        let labels = LabelImage::new(Image::new(w, h, data.clone()).unwrap()).unwrap();
        let table = CscTable::from_columns(labels.n_cells(), vec![vec![]]).unwrap();
        let store = MemStore::default();
        let done = write_spatialdata(
            &store,
            "t",
            &one_gene(&labels, &table, &genes),
            &PublishOptions { threads: 2, ..Default::default() },
            &|_| {},
        )
        .unwrap();
        assert_eq!(done.levels, [(1100, 600), (550, 300), (275, 150)]);
        let chunks: Vec<String> = store
            .keys()
            .into_iter()
            .filter(|k| k.starts_with("labels/cells/s") && k.contains("/c/"))
            .collect();
        // level 0: rows 0..520 touch chunk rows 0 and 1, columns 0..520 chunk columns 0 and 1.
        assert_eq!(
            chunks,
            [
                "labels/cells/s0/c/0/0",
                "labels/cells/s0/c/0/1",
                "labels/cells/s0/c/1/0",
                "labels/cells/s0/c/1/1",
                "labels/cells/s1/c/0/0",
                "labels/cells/s2/c/0/0"
            ]
        );
        assert_eq!((done.label_chunks, done.empty_chunks), (6, 3));
        let s1 = decode_i32(&store.get("labels/cells/s1/c/0/0").unwrap());
        for (y, x) in [(0, 0), (3, 7), (259, 259), (260, 0), (100, 260), (511, 299), (0, 300)] {
            let want = if y < 550 && x < 300 { data[(2 * y) * w + 2 * x] } else { 0 };
            assert_eq!(s1[y * TILE + x], want, "({y}, {x})");
        }
        let root: Value = serde_json::from_slice(&store.get("zarr.json").unwrap()).unwrap();
        let meta = &root["consolidated_metadata"]["metadata"];
        assert_eq!(meta["labels/cells/s2"]["shape"], json!([275, 150]));
        assert_eq!(
            meta["labels/cells"]["attributes"]["ome"]["multiscales"][0]["datasets"][2]["coordinateTransformations"]
                [0]["scale"],
            json!([4.0, 4.0])
        );
    }

    #[test]
    fn labels_without_pixels_are_dropped_and_the_rest_renumbered() {
        let genes = ["g".to_string()];
        // labels 2 and 5 present (n_cells = 5), values on genes of cells 2 and 5
        let labels = LabelImage::new(Image::new(3, 1, vec![5, 0, 2]).unwrap()).unwrap();
        let table = CscTable::from_columns(5, vec![vec![(1, 3.0), (4, 8.0)]]).unwrap();
        let store = MemStore::default();
        let done = write_spatialdata(
            &store,
            "t",
            &one_gene(&labels, &table, &genes),
            &PublishOptions::default(),
            &|_| {},
        )
        .unwrap();
        assert!(done.renumbered);
        assert_eq!(done.n_cells, 2);
        assert_eq!(decode_i32(&store.get("labels/cells/s0/c/0/0").unwrap())[..3], [2, 0, 1]);
        assert_eq!(decode_i32(&store.get("tables/table/X/indices/c/0").unwrap())[..2], [0, 1]);
        assert_eq!(decode_i32(&store.get("tables/table/obs/source_label/c/0").unwrap())[..2], [2, 5]);
        let bad = CscTable::from_columns(5, vec![vec![(0, 1.0)]]).unwrap();
        let error = write_spatialdata(
            &MemStore::default(),
            "t",
            &one_gene(&labels, &bad, &genes),
            &PublishOptions::default(),
            &|_| {},
        );
        assert!(error.unwrap_err().to_string().contains("label 1 has no pixel"));
    }

    #[test]
    fn the_top_genes_keep_the_ten_largest_and_refuse_rows_outside_the_cells() {
        // one cell, 12 genes valued 1, 2, …, 12 except gene 4 = 12 too (tied with gene 11)
        let column = |g: usize| vec![(0, if g == 4 { 12.0 } else { g as f32 + 1.0 })];
        let table = CscTable::from_columns(1, (0..12).map(column).collect()).unwrap();
        let (genes, values) = top_genes(&table).unwrap();
        assert_eq!(genes, [4, 11, 10, 9, 8, 7, 6, 5, 3, 2]);
        assert_eq!(values, [12.0, 12.0, 11.0, 10.0, 9.0, 8.0, 7.0, 6.0, 4.0, 3.0]);
        let bad = CscTable { n_cells: 1, indptr: vec![0, 1], indices: vec![1], data: vec![1.0] };
        assert!(top_genes(&bad).is_err());
    }

    #[test]
    fn a_table_that_does_not_fit_the_labels_is_refused() {
        let genes = ["g".to_string()];
        let labels = LabelImage::new(Image::new(2, 1, vec![1, 2]).unwrap()).unwrap();
        let table = CscTable::from_columns(3, vec![vec![]]).unwrap();
        let store = MemStore::default();
        assert!(
            write_spatialdata(
                &store,
                "t",
                &one_gene(&labels, &table, &genes),
                &PublishOptions::default(),
                &|_| {}
            )
            .is_err()
        );
        assert!(store.keys().is_empty());
    }
}
