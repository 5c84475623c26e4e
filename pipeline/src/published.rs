//! Viewing a published store lazily (`cellmap publish`'s `data.zarr`): the
//! caller fetches the keys this asks for and hands over their bytes; this
//! keeps the decoded label chunks in a least-recently-used cache of bounded
//! size, reads one CSC column per gene, composes the window of the pyramid
//! level in view and paints it with the same colours as [`crate::Session`].
//!
//! No I/O here (the viewer's worker fetches, the tests read files): the
//! flow is
//! 1. [`LazyStore::open`] with the root `zarr.json` (consolidated metadata);
//! 2. [`LazyStore::array_keys`] / [`LazyStore::set_array`] for `indptr`, the gene names and
//!    the `obs` columns;
//! 3. per view: [`LazyStore::missing_chunks`] → fetch → [`LazyStore::put_chunk`], then
//!    [`LazyStore::compose`];
//! 4. per gene: [`LazyStore::column_chunks`] → fetch → [`LazyStore::put_column`], then
//!    [`LazyStore::compute`] and [`LazyStore::paint`];
//! 5. for the exports, selections and cell detail: [`BBOX_ARRAYS`] through `array_keys` /
//!    `set_array`, then [`LazyStore::region_fields`] and [`LazyStore::gene_values`] (a
//!    [`crate::CellsTable`]); [`LazyStore::cells_in_ring`]; per cell
//!    [`LazyStore::top_genes_chunk`] → fetch → [`LazyStore::put_top_genes`], then
//!    [`LazyStore::top_genes`].

use std::collections::HashMap;

use cellmap_core::Grid;
use cellmap_io::published::PublishedStore;
use cellmap_io::zarr_read::ArrayMeta;

use crate::color::{ColorScale, Painter};
use crate::error::Error;
use crate::memory::filled;
use crate::stats::Stat;

/// The metadata arrays read whole at open ([`LazyStore::array_keys`]).
pub const META_ARRAYS: [&str; 6] = ["indptr", "var", "cell_id", "area", "centroid_y", "centroid_x"];

/// The `obs` columns read whole on the first export of the cells' table
/// ([`LazyStore::region_fields`]): the bounding boxes.
pub const BBOX_ARRAYS: [&str; 4] = ["bbox_min_row", "bbox_min_col", "bbox_max_row", "bbox_max_col"];

/// Chunks of `obsm/cellmap_top_genes` (and of its values) kept.
const TOP_CHUNK_CAPACITY: usize = 8;

/// A window of one pyramid level: rows `row0..row0 + height`, columns
/// `col0..col0 + width` of level `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// Index into [`PublishedStore::levels`].
    pub level: usize,
    /// First row (of the level).
    pub row0: u64,
    /// First column (of the level).
    pub col0: u64,
    /// Rows.
    pub height: u64,
    /// Columns.
    pub width: u64,
}

/// A least-recently-used map of at most `capacity` entries.
#[derive(Debug)]
struct Lru<K, V> {
    capacity: usize,
    clock: u64,
    entries: HashMap<K, (u64, V)>,
}

impl<K: std::hash::Hash + Eq + Copy, V> Lru<K, V> {
    fn new(capacity: usize) -> Self {
        Lru { capacity: capacity.max(1), clock: 0, entries: HashMap::new() }
    }

    fn get(&mut self, key: &K) -> Option<&V> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(used, v)| {
            *used = clock;
            &*v
        })
    }

    fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    fn insert(&mut self, key: K, value: V) {
        self.clock += 1;
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            if let Some(oldest) = self.entries.iter().min_by_key(|(_, (used, _))| *used).map(|(k, _)| *k) {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (self.clock, value));
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A published store being viewed: its layout, the metadata arrays, the
/// cached label chunks and gene columns, and the shown window and values.
#[derive(Debug)]
pub struct LazyStore {
    store: PublishedStore,
    /// Decoded label chunks by (level, chunk row, chunk column); an empty
    /// vector is a chunk absent from the store (all background).
    chunks: Lru<(usize, u64, u64), Vec<i32>>,
    /// Dense gene columns by gene (value by row).
    columns: Lru<usize, Vec<f64>>,
    indptr: Vec<i64>,
    gene_names: Vec<String>,
    area: Vec<f64>,
    centroid_y: Vec<f64>,
    centroid_x: Vec<f64>,
    /// `obs/bbox_*` (empty until set).
    bbox: [Vec<f64>; 4],
    /// Decoded chunks of the top genes and their values by chunk (of `obsm/cellmap_top_*`).
    top: Lru<u64, (Vec<i64>, Vec<f64>)>,
    /// Values by label (entry 0: NaN), of the genes of the last `compute`.
    values: Vec<f64>,
    window: Window,
    labels: Vec<i32>,
    pixels: Vec<u32>,
    painter: Painter,
}

/// The row of a label (`label - 1`; obs is sorted by cell id 1..N).
fn row_of(label: usize) -> Option<usize> {
    label.checked_sub(1)
}

impl LazyStore {
    /// Opens a store from its root `zarr.json`, keeping at most
    /// `chunk_capacity` decoded label chunks and `column_capacity` gene columns.
    pub fn open(
        root_json: &[u8],
        source: &str,
        chunk_capacity: usize,
        column_capacity: usize,
    ) -> Result<LazyStore, Error> {
        let store = PublishedStore::from_root(root_json, source)?;
        let n =
            usize::try_from(store.n_obs).map_err(|_| Error::input(format!("{source}: too many cells")))?;
        let values = filled(n + 1, f64::NAN, "the per-cell values")?;
        Ok(LazyStore {
            store,
            chunks: Lru::new(chunk_capacity),
            columns: Lru::new(column_capacity),
            indptr: Vec::new(),
            gene_names: Vec::new(),
            area: Vec::new(),
            centroid_y: Vec::new(),
            centroid_x: Vec::new(),
            bbox: Default::default(),
            top: Lru::new(TOP_CHUNK_CAPACITY),
            values,
            window: Window::default(),
            labels: Vec::new(),
            pixels: Vec::new(),
            painter: Painter::default(),
        })
    }

    /// The store's layout.
    pub fn store(&self) -> &PublishedStore {
        &self.store
    }

    fn meta_array(&self, name: &str) -> Result<Option<&ArrayMeta>, Error> {
        Ok(match name {
            "indptr" => Some(&self.store.indptr),
            "var" => Some(&self.store.var_names),
            "cell_id" => self.store.obs_cell_id.as_ref(),
            "area" => self.store.obs_area.as_ref(),
            "centroid_y" => self.store.obs_centroid_y.as_ref(),
            "centroid_x" => self.store.obs_centroid_x.as_ref(),
            _ => match BBOX_ARRAYS.iter().position(|&b| b == name) {
                Some(k) => self.store.obs_bbox[k].as_ref(),
                None => {
                    return Err(Error::argument(format!(
                        "no metadata array '{name}' (known: {META_ARRAYS:?}, {BBOX_ARRAYS:?})"
                    )));
                }
            },
        })
    }

    /// The chunk keys of metadata array `name` (one of [`META_ARRAYS`] or [`BBOX_ARRAYS`]), in
    /// order; empty when the store does not have it.
    pub fn array_keys(&self, name: &str) -> Result<Vec<String>, Error> {
        let Some(array) = self.meta_array(name)? else { return Ok(Vec::new()) };
        Ok((0..array.chunk_grid()[0]).map(|i| array.chunk_key(&[i])).collect())
    }

    /// Decodes metadata array `name` from the bytes of its chunks (in the
    /// order of [`LazyStore::array_keys`]; `None`: not in the store).
    pub fn set_array(&mut self, name: &str, chunks: &[Option<&[u8]>]) -> Result<(), Error> {
        let Some(array) = self.meta_array(name)? else { return Ok(()) };
        let array = array.clone();
        let len = usize::try_from(array.shape[0]).map_err(|_| Error::input("array too long"))?;
        if chunks.len() != array.chunk_grid()[0] as usize {
            return Err(Error::argument(format!(
                "{}: {} chunks given, expected {}",
                array.path,
                chunks.len(),
                array.chunk_grid()[0]
            )));
        }
        if name == "var" {
            let mut names = Vec::with_capacity(len);
            for (i, bytes) in chunks.iter().enumerate() {
                names.extend(array.decode_strings(*bytes, Some(&[i as u64]))?);
            }
            names.truncate(len);
            self.gene_names = names;
            return Ok(());
        }
        let mut numbers = Vec::with_capacity(len);
        let mut integers = Vec::new();
        for (i, bytes) in chunks.iter().enumerate() {
            let chunk = array.decode_at(*bytes, Some(&[i as u64]))?;
            if name == "indptr" || name == "cell_id" {
                integers.extend(
                    chunk.to_i64().ok_or_else(|| Error::input(format!("{}: not integers", array.path)))?,
                );
            } else {
                numbers.extend(chunk.to_f64());
            }
        }
        numbers.truncate(len);
        integers.truncate(len);
        let source = &self.store.source;
        match name {
            "indptr" => {
                let nnz = self.store.indices.shape[0];
                let ok = integers.first() == Some(&0)
                    && integers.windows(2).all(|w| w[0] <= w[1])
                    && integers.last().is_some_and(|&last| u64::try_from(last).is_ok_and(|l| l == nnz));
                if !ok {
                    return Err(Error::input(format!(
                        "{source}: {}: not a CSC indptr (from 0, increasing, to nnz = {nnz})",
                        array.path
                    )));
                }
                self.indptr = integers;
            }
            "cell_id" => {
                if let Some(row) = integers.iter().enumerate().position(|(row, &id)| id != row as i64 + 1) {
                    return Err(Error::input(format!(
                        "{source}: {}: row {row} is cell {}, expected {} (obs sorted by cell id 1..N)",
                        array.path,
                        integers[row],
                        row + 1
                    )));
                }
            }
            "area" => self.area = numbers,
            "centroid_y" => self.centroid_y = numbers,
            "centroid_x" => self.centroid_x = numbers,
            _ => {
                if let Some(k) = BBOX_ARRAYS.iter().position(|&b| b == name) {
                    self.bbox[k] = numbers;
                }
            }
        }
        Ok(())
    }

    /// The gene names (after `set_array("var", …)`).
    pub fn gene_names(&self) -> &[String] {
        &self.gene_names
    }

    /// The window of level `level` covering level-0 rows `row0..row1` and
    /// columns `col0..col1` (clamped to the image).
    pub fn window(&self, level: usize, row0: f64, col0: f64, row1: f64, col1: f64) -> Result<Window, Error> {
        let l = self.store.levels.get(level).ok_or_else(|| {
            Error::argument(format!("no level {level}: the pyramid has {}", self.store.levels.len()))
        })?;
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let clamp = |v: f64, max: u64| -> u64 { (v / l.factor as f64).clamp(0.0, max as f64) as u64 };
        let (r0, c0) = (clamp(row0.floor(), l.height()), clamp(col0.floor(), l.width()));
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let up = |v: f64, max: u64| -> u64 { (v / l.factor as f64).ceil().clamp(0.0, max as f64) as u64 };
        let (r1, c1) = (up(row1, l.height()), up(col1, l.width()));
        Ok(Window { level, row0: r0, col0: c0, height: r1.saturating_sub(r0), width: c1.saturating_sub(c0) })
    }

    /// The chunks `[row, col]` of the level that `window` touches.
    fn window_chunks(&self, window: &Window) -> Vec<(u64, u64)> {
        let Some(level) = self.store.levels.get(window.level) else { return Vec::new() };
        if window.height == 0 || window.width == 0 {
            return Vec::new();
        }
        let (ch, cw) = (level.array.chunk_shape[0], level.array.chunk_shape[1]);
        let rows = window.row0 / ch..=(window.row0 + window.height - 1) / ch;
        let cols = window.col0 / cw..=(window.col0 + window.width - 1) / cw;
        rows.flat_map(|i| cols.clone().map(move |j| (i, j))).collect()
    }

    /// The keys of the label chunks `window` needs that are not cached:
    /// `(chunk row, chunk column, key)`. The cached ones become the most recently used, so
    /// that putting the missing ones evicts other chunks first (a window of at most the cache's
    /// capacity then composes).
    pub fn missing_chunks(&mut self, window: &Window) -> Vec<(u64, u64, String)> {
        let Some(level) = self.store.levels.get(window.level) else { return Vec::new() };
        let mut missing = Vec::new();
        for (i, j) in self.window_chunks(window) {
            if self.chunks.get(&(window.level, i, j)).is_none() {
                missing.push((i, j, level.array.chunk_key(&[i, j])));
            }
        }
        missing
    }

    /// Decodes and caches label chunk `(i, j)` of `level` (`None`: not in the store, background).
    pub fn put_chunk(&mut self, level: usize, i: u64, j: u64, bytes: Option<&[u8]>) -> Result<(), Error> {
        let array =
            &self.store.levels.get(level).ok_or_else(|| Error::argument(format!("no level {level}")))?.array;
        let grid = array.chunk_grid();
        if i >= grid[0] || j >= grid[1] {
            return Err(Error::argument(format!("{}: no chunk ({i}, {j})", array.path)));
        }
        let decoded = match bytes {
            None => Vec::new(),
            Some(bytes) => {
                let chunk = array.decode_at(Some(bytes), Some(&[i, j]))?;
                let ids = chunk
                    .to_i64()
                    .ok_or_else(|| Error::input(format!("{}: labels are not integers", array.path)))?;
                let n = self.store.n_obs as i64;
                if let Some(bad) = ids.iter().find(|&&id| id < 0 || id > n) {
                    return Err(Error::input(format!(
                        "{}: {}: label {bad} is not a cell (the table has cells 1..{n})",
                        self.store.source,
                        array.chunk_key(&[i, j])
                    )));
                }
                #[allow(clippy::cast_possible_truncation)]
                ids.into_iter().map(|id| id as i32).collect()
            }
        };
        self.chunks.insert((level, i, j), decoded);
        Ok(())
    }

    /// Decoded label chunks held (at most the capacity given to `open`).
    pub fn cached_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Fills the labels of `window` from the cached chunks (every chunk it
    /// touches must have been put).
    pub fn compose(&mut self, window: Window) -> Result<(), Error> {
        let level = self.store.levels.get(window.level).ok_or_else(|| Error::argument("no such level"))?;
        let fits = |start: u64, len: u64, size: u64| start.checked_add(len).is_some_and(|end| end <= size);
        if !fits(window.row0, window.height, level.height())
            || !fits(window.col0, window.width, level.width())
        {
            return Err(Error::argument(format!(
                "window {window:?} is outside level {} ({}×{})",
                window.level,
                level.height(),
                level.width()
            )));
        }
        let (ch, cw) = (level.array.chunk_shape[0], level.array.chunk_shape[1]);
        let (h, w) = (window.height as usize, window.width as usize);
        let mut labels = std::mem::take(&mut self.labels);
        labels.clear();
        labels.resize(h.checked_mul(w).ok_or_else(|| Error::argument("window too large"))?, 0);
        for (i, j) in self.window_chunks(&window) {
            let chunk = self.chunks.get(&(window.level, i, j)).ok_or_else(|| {
                Error::argument(format!("chunk ({i}, {j}) of level {} is not loaded", window.level))
            })?;
            if chunk.is_empty() {
                continue; // background
            }
            let (top, left) = (i * ch, j * cw);
            let rows = top.max(window.row0)..(top + ch).min(window.row0 + window.height);
            let cols = left.max(window.col0)..(left + cw).min(window.col0 + window.width);
            for r in rows {
                let src = ((r - top) * cw + (cols.start - left)) as usize;
                let dst = ((r - window.row0) as usize) * w + (cols.start - window.col0) as usize;
                let n = (cols.end - cols.start) as usize;
                if let (Some(out), Some(from)) = (labels.get_mut(dst..dst + n), chunk.get(src..src + n)) {
                    out.copy_from_slice(from);
                }
            }
        }
        self.labels = labels;
        self.window = window;
        Ok(())
    }

    /// The shown window (of the last `compose`).
    pub fn shown_window(&self) -> Window {
        self.window
    }

    /// The chunk indices of `X/data` and `X/indices` that gene `gene`'s
    /// column spans; empty when the column is cached or has no values.
    pub fn column_chunks(&self, gene: usize) -> Result<Vec<u64>, Error> {
        if self.columns.contains(&gene) {
            return Ok(Vec::new());
        }
        let (start, end) = self.column_span(gene)?;
        if start == end {
            return Ok(Vec::new());
        }
        let chunk = self.store.data.chunk_shape[0];
        Ok((start / chunk..=(end - 1) / chunk).collect())
    }

    fn column_span(&self, gene: usize) -> Result<(u64, u64), Error> {
        if self.indptr.is_empty() {
            return Err(Error::argument("the store's indptr is not loaded"));
        }
        match (self.indptr.get(gene), self.indptr.get(gene + 1)) {
            #[allow(clippy::cast_sign_loss)]
            (Some(&a), Some(&b)) => Ok((a as u64, b as u64)),
            _ => Err(Error::argument(format!("no gene {gene}: the store has {}", self.store.n_var))),
        }
    }

    /// The keys of `X/data` and `X/indices` chunk `k`.
    pub fn column_keys(&self, k: u64) -> (String, String) {
        (self.store.data.chunk_key(&[k]), self.store.indices.chunk_key(&[k]))
    }

    /// Reads gene `gene`'s column from the `X/data` and `X/indices` chunks
    /// listed by [`LazyStore::column_chunks`] (same order) and caches it.
    pub fn put_column(
        &mut self,
        gene: usize,
        data: &[Option<&[u8]>],
        indices: &[Option<&[u8]>],
    ) -> Result<(), Error> {
        let ks = self.column_chunks(gene)?;
        if ks.is_empty() && self.columns.contains(&gene) {
            return Ok(());
        }
        if data.len() != ks.len() || indices.len() != ks.len() {
            return Err(Error::argument(format!(
                "gene {gene}: {} chunks needed, {} given",
                ks.len(),
                data.len()
            )));
        }
        let (start, end) = self.column_span(gene)?;
        let n = self.store.n_obs as usize;
        // NaN: no entry (a cell without a value, or 0: `compute` tells them apart by the statistic)
        let mut column = filled(n, f64::NAN, "a gene column")?;
        let chunk = self.store.data.chunk_shape[0];
        for ((&k, d), x) in ks.iter().zip(data).zip(indices) {
            let values = self.store.data.decode_at(*d, Some(&[k]))?.to_f64();
            let rows = self
                .store
                .indices
                .decode_at(*x, Some(&[k]))?
                .to_i64()
                .ok_or_else(|| Error::input(format!("{}: not integers", self.store.indices.path)))?;
            let from = start.max(k * chunk) - k * chunk;
            let to = end.min((k + 1) * chunk) - k * chunk;
            for p in from as usize..to as usize {
                let (Some(&v), Some(&row)) = (values.get(p), rows.get(p)) else { continue };
                let slot = usize::try_from(row).ok().and_then(|r| column.get_mut(r)).ok_or_else(|| {
                    Error::input(format!(
                        "{}: {}: row {row} is outside the {n} cells",
                        self.store.source,
                        self.store.indices.chunk_key(&[k])
                    ))
                })?;
                *slot = if slot.is_nan() { v } else { *slot + v }; // duplicates summed, as scipy does
            }
        }
        self.columns.insert(gene, column);
        Ok(())
    }

    /// Per-cell values of `genes` (their columns loaded), `X` holding
    /// statistic `stat` (the manifest's `statistic`): one gene's value, or for
    /// several the sum over the genes, as [`crate::Session::compute`] sums
    /// layers (NaN terms skipped, NaN when every gene's is NaN). A value not
    /// stored in the sparse `X` is 0 for `sum` and `count` and no value
    /// (NaN) for `mean`, `min` and `max`, whose cells without nonzero values
    /// have none (`cellmap publish` leaves out zeros and NaN).
    pub fn compute(&mut self, genes: &[usize], stat: Stat) -> Result<(), Error> {
        let absent = if matches!(stat, Stat::Sum | Stat::Count) { 0.0 } else { f64::NAN };
        let mut values = std::mem::take(&mut self.values);
        values.iter_mut().for_each(|v| *v = f64::NAN);
        for &gene in genes {
            let Some(column) = self.columns.get(&gene) else {
                self.values = values;
                return Err(Error::argument(format!("gene {gene}'s column is not loaded")));
            };
            for (v, &c) in values.iter_mut().skip(1).zip(column) {
                let c = if c.is_nan() { absent } else { c };
                if !c.is_nan() {
                    *v = if v.is_nan() { c } else { *v + c };
                }
            }
        }
        self.values = values;
        Ok(())
    }

    /// The values by label of the last `compute` (entry 0: NaN).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Paints the composed window (RGBA pixels in [`LazyStore::pixels`]);
    /// the range runs over every cell with pixels, in view or not.
    pub fn paint(&mut self, scale: &ColorScale, outlines: bool) -> Result<Option<(f64, f64)>, Error> {
        let (w, h) = (self.window.width as usize, self.window.height as usize);
        let labels = Grid::new(w, h, &self.labels[..]).map_err(|e| Error::core("labels", e))?;
        let mut pixels = std::mem::take(&mut self.pixels);
        pixels.clear();
        pixels.resize(w * h, 0);
        let area = &self.area;
        let has = |label: usize| row_of(label).is_some_and(|row| area.get(row).is_none_or(|&a| a > 0.0));
        let range = self.painter.paint_window(labels, &self.values, has, scale, outlines, &mut pixels);
        self.pixels = pixels;
        range
    }

    /// Paints the composed window with a distinct colour per cell id (as [`crate::Session::paint_cell_ids`]).
    pub fn paint_cell_ids(&mut self, outlines: bool) -> Result<(), Error> {
        let (w, h) = (self.window.width as usize, self.window.height as usize);
        let labels = Grid::new(w, h, &self.labels[..]).map_err(|e| Error::core("labels", e))?;
        self.pixels.clear();
        self.pixels.resize(w * h, 0);
        let ids = |label: usize| u32::try_from(label.saturating_sub(1)).ok();
        self.painter.paint_categories(labels, self.store.n_obs as usize + 1, ids, outlines, &mut self.pixels)
    }

    /// The painted window, one RGBA `u32` (`from_ne_bytes([r, g, b, a])`) per pixel.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }

    /// The label at level-0 pixel (row, col) as shown (from the composed
    /// window at its level); 0 outside the window and for background.
    pub fn cell_at(&self, row: u64, col: u64) -> usize {
        let Some(level) = self.store.levels.get(self.window.level) else { return 0 };
        let (r, c) = (row / level.factor, col / level.factor);
        let w = self.window;
        if r < w.row0 || c < w.col0 || r >= w.row0 + w.height || c >= w.col0 + w.width {
            return 0;
        }
        let index = ((r - w.row0) * w.width + (c - w.col0)) as usize;
        self.labels.get(index).map_or(0, |&l| usize::try_from(l).unwrap_or(0))
    }

    /// A cell's area, centroid (row, col) and value, from `obs` (NaN where
    /// the store has no such column); `None` for 0 and unknown labels.
    pub fn cell_info(&self, label: usize) -> Option<(f64, f64, f64, f64)> {
        let row = row_of(label).filter(|&r| (r as u64) < self.store.n_obs)?;
        let get = |v: &Vec<f64>| v.get(row).copied().unwrap_or(f64::NAN);
        Some((
            get(&self.area),
            get(&self.centroid_y),
            get(&self.centroid_x),
            self.values.get(label).copied().unwrap_or(f64::NAN),
        ))
    }

    /// Whether the bounding boxes are set (or the store has none): [`LazyStore::region_fields`]
    /// needs no more fetching.
    pub fn has_bboxes(&self) -> bool {
        self.store.obs_bbox.iter().zip(&self.bbox).all(|(meta, v)| meta.is_none() || !v.is_empty())
    }

    /// Each cell's `area, centroid_row, centroid_col, bbox_min_row, bbox_min_col, bbox_max_row,
    /// bbox_max_col` (as [`crate::region_fields`], for [`crate::CellsTable`]), cells `1..=N`
    /// one after the other, from `obs` (NaN where the store has no such column, or it is not set).
    pub fn region_fields(&self) -> Vec<f64> {
        let n = self.store.n_obs as usize;
        let get = |v: &Vec<f64>, row: usize| v.get(row).copied().unwrap_or(f64::NAN);
        let mut fields = Vec::with_capacity(n.saturating_mul(7));
        for row in 0..n {
            fields.extend([get(&self.area, row), get(&self.centroid_y, row), get(&self.centroid_x, row)]);
            fields.extend(self.bbox.iter().map(|b| get(b, row)));
        }
        fields
    }

    /// Gene `gene`'s values of cells `1..=N` as `X` holds statistic `stat` (its column loaded):
    /// one column of the cells' table, the value [`LazyStore::compute`] gives a cell for that gene.
    pub fn gene_values(&self, gene: usize, stat: Stat) -> Result<Vec<f64>, Error> {
        let absent = if matches!(stat, Stat::Sum | Stat::Count) { 0.0 } else { f64::NAN };
        let column = self
            .columns
            .entries
            .get(&gene)
            .map(|(_, c)| c)
            .ok_or_else(|| Error::argument(format!("gene {gene}'s column is not loaded")))?;
        Ok(column.iter().map(|&c| if c.is_nan() { absent } else { c }).collect())
    }

    /// The cells whose centroid (from `obs`) lies in the polygon `ring`, in label order: as
    /// [`crate::cells_in_ring`] selects from the regions (vertices `[x, y]` = `[column, row]`
    /// with integers at pixel centres; the boundary is in). Empty without centroids.
    pub fn cells_in_ring(&self, ring: &[[f64; 2]]) -> Vec<usize> {
        self.centroid_y
            .iter()
            .zip(&self.centroid_x)
            .enumerate()
            .filter(|&(_, (&row, &col))| cellmap_core::polygon::point_in_ring(ring, col, row))
            .map(|(row, _)| row + 1)
            .collect()
    }

    /// The chunk of `obsm/cellmap_top_genes` holding cell `label` and the keys of it and of
    /// its values, when the store has them and the chunk is not cached: `(chunk, genes key,
    /// values key)`.
    pub fn top_genes_chunk(&self, label: usize) -> Option<(u64, String, String)> {
        let (genes, values) = self.store.obsm_top.as_ref()?;
        let row = row_of(label).filter(|&r| (r as u64) < self.store.n_obs)? as u64;
        let k = row / genes.chunk_shape[0];
        (!self.top.contains(&k)).then(|| (k, genes.chunk_key(&[k, 0]), values.chunk_key(&[k, 0])))
    }

    /// Decodes and caches chunk `k` of the top genes and of their values.
    pub fn put_top_genes(
        &mut self,
        k: u64,
        genes: Option<&[u8]>,
        values: Option<&[u8]>,
    ) -> Result<(), Error> {
        let (g, v) =
            self.store.obsm_top.as_ref().ok_or_else(|| Error::argument("the store has no top genes"))?;
        if k >= g.chunk_grid()[0] {
            return Err(Error::argument(format!("{}: no chunk {k}", g.path)));
        }
        let ids = g
            .decode_at(genes, Some(&[k, 0]))?
            .to_i64()
            .ok_or_else(|| Error::input(format!("{}: {}: not integers", self.store.source, g.path)))?;
        let numbers = v.decode_at(values, Some(&[k, 0]))?.to_f64();
        self.top.insert(k, (ids, numbers));
        Ok(())
    }

    /// Cell `label`'s largest values as `cellmap publish` ranked them (largest first, ties in
    /// gene order; the statistic of `X`): `(gene, value)`, at most the store's count (10).
    /// `None` when the store has no top genes (not written by `cellmap publish`).
    pub fn top_genes(&mut self, label: usize) -> Result<Option<Vec<(usize, f64)>>, Error> {
        let Some((genes, _)) = self.store.obsm_top.as_ref() else { return Ok(None) };
        let (rows, width) = (genes.chunk_shape[0], genes.shape[1] as usize);
        let (n_var, source, path) = (self.store.n_var, self.store.source.clone(), genes.path.clone());
        let row = row_of(label).filter(|&r| (r as u64) < self.store.n_obs).ok_or_else(|| {
            Error::argument(format!("no cell {label}: labels run from 1 to {}", self.store.n_obs))
        })?;
        let k = row as u64 / rows;
        let (ids, values) = self
            .top
            .get(&k)
            .ok_or_else(|| Error::argument(format!("chunk {k} of the top genes is not loaded")))?;
        let at = (row as u64 - k * rows) as usize * width;
        let mut top = Vec::new();
        for (&gene, &value) in ids.iter().zip(values).skip(at).take(width) {
            if gene < 0 {
                break;
            }
            if gene as u64 >= n_var {
                return Err(Error::input(format!(
                    "{source}: {path}: gene {gene} of cell {label}, the store has {n_var}"
                )));
            }
            top.push((gene as usize, value));
        }
        Ok(Some(top))
    }
}
