//! # cellmap-wasm-store
//!
//! The viewer's optional store module: a store written by `cellmap publish` (`data.zarr`, a
//! SpatialData Zarr v3 store with the labels as a pyramid and `X` in CSC), viewed lazily in the
//! Web Worker. JS fetches the keys this module names and passes their bytes (`null` for a key
//! the server does not have: a chunk that is all background); Rust decodes them (`bytes` +
//! `zstd` through the pure-Rust `ruzstd`, `vlen-utf8`), keeps the label chunks and gene columns
//! in least-recently-used caches of bounded size, composes the window of the pyramid level in
//! view and paints it with the pipeline's colours (`cellmap::published::LazyStore`).
//!
//! ```js
//! import initStore, { PublishedView } from './pkg/store/cellmap_wasm_store.js';
//! await initStore();
//! const get = async (key) => { const r = await fetch(`${url}/${key}`); return r.ok ? new Uint8Array(await r.arrayBuffer()) : null; };
//! const view = new PublishedView(await get('zarr.json'), url, 64, 16);
//! for (const name of view.metaArrays()) view.setArray(name, await Promise.all(view.arrayKeys(name).map(get)));
//! const [row0, col0, height, width] = view.window(level, top, left, bottom, right);
//! for (const [i, j, key] of view.missingChunks(level, row0, col0, height, width)) view.putChunk(level, i, j, await get(key));
//! view.compose(level, row0, col0, height, width);
//! const ks = view.columnChunks(gene);
//! view.putColumn(gene, await Promise.all(ks.map((k) => get(view.columnKeys(k)[0]))),
//!                await Promise.all(ks.map((k) => get(view.columnKeys(k)[1]))));
//! view.compute(Uint32Array.of(gene), 'mean'); // what X holds (manifest.json's statistic)
//! const [lo, hi] = view.paint('viridis', 'minmax', 0, 0, false, false);
//! const rgba = view.pixels(); // width × height × 4 bytes (or pixelsPtr / pixelsLen in wasm memory)
//! // exports, selections, the cell detail (as a session's, from obs and obsm)
//! for (const name of view.bboxArrays()) view.setArray(name, await Promise.all(view.arrayKeys(name).map(get)));
//! const regions = view.regionFields(); // 7 per cell, for the exports module's cellsCsv
//! const values = view.geneValues(gene, 'mean');
//! const ids = view.cellsInRing(Float64Array.of(0, 0, 100, 0, 100, 100));
//! const chunk = view.topGenesChunk(7);
//! if (chunk) view.putTopGenes(chunk[0], await get(chunk[1]), await get(chunk[2]));
//! const top = view.topGenes(7); // [gene, value, ...], largest first
//! ```

use cellmap::published::{BBOX_ARRAYS, LazyStore, META_ARRAYS, Window};
use cellmap::{ColorScale, Colormap, Stat};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

fn js_error(error: cellmap::Error) -> JsError {
    JsError::new(&error.to_string())
}

/// The bytes of each entry of `chunks` (`Uint8Array`, or `null` / `undefined` for a key the
/// store does not have).
fn chunk_bytes(chunks: &Array) -> Vec<Option<Vec<u8>>> {
    chunks
        .iter()
        .map(|c| if c.is_null() || c.is_undefined() { None } else { Some(Uint8Array::new(&c).to_vec()) })
        .collect()
}

fn as_refs(chunks: &[Option<Vec<u8>>]) -> Vec<Option<&[u8]>> {
    chunks.iter().map(Option::as_deref).collect()
}

fn stat_from_name(stat_name: &str) -> Result<Stat, JsError> {
    Stat::from_name(stat_name).ok_or_else(|| {
        JsError::new(&format!("unknown statistic '{stat_name}' (known: mean, sum, count, min, max)"))
    })
}

/// A published store being viewed (see the crate docs for the flow).
#[wasm_bindgen]
#[derive(Debug)]
pub struct PublishedView {
    inner: LazyStore,
}

#[wasm_bindgen]
impl PublishedView {
    /// Opens the store from its root `zarr.json` (consolidated metadata); `source` (its URL)
    /// names it in messages. At most `chunkCapacity` decoded label chunks (1 MiB each at 512²)
    /// and `columnCapacity` gene columns (8 bytes per cell each) are kept.
    #[wasm_bindgen(constructor)]
    pub fn new(
        root_json: &[u8],
        source: &str,
        chunk_capacity: usize,
        column_capacity: usize,
    ) -> Result<PublishedView, JsError> {
        let inner = LazyStore::open(root_json, source, chunk_capacity, column_capacity).map_err(js_error)?;
        Ok(PublishedView { inner })
    }

    /// Level 0's columns.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> f64 {
        self.inner.store().width as f64
    }

    /// Level 0's rows.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> f64 {
        self.inner.store().height as f64
    }

    /// Cells (labels `1..=cellCount`).
    #[wasm_bindgen(getter, js_name = cellCount)]
    pub fn cell_count(&self) -> f64 {
        self.inner.store().n_obs as f64
    }

    /// Genes.
    #[wasm_bindgen(getter, js_name = geneCount)]
    pub fn gene_count(&self) -> f64 {
        self.inner.store().n_var as f64
    }

    /// The pyramid: `[factor, height, width, chunkHeight, chunkWidth]` per level, level 0 first.
    pub fn levels(&self) -> Vec<f64> {
        self.inner
            .store()
            .levels
            .iter()
            .flat_map(|l| {
                let c = &l.array.chunk_shape;
                [l.factor, l.height(), l.width(), c[0], c[1]].map(|v| v as f64)
            })
            .collect()
    }

    /// The level to draw at `zoom` screen pixels per level-0 pixel.
    #[wasm_bindgen(js_name = levelForZoom)]
    pub fn level_for_zoom(&self, zoom: f64) -> usize {
        self.inner.store().level_for_zoom(zoom)
    }

    /// The metadata arrays to read at open: `indptr`, `var`, `cell_id`, `area`, `centroid_y`,
    /// `centroid_x`.
    #[wasm_bindgen(js_name = metaArrays)]
    pub fn meta_arrays(&self) -> Vec<String> {
        META_ARRAYS.iter().map(|s| (*s).to_string()).collect()
    }

    /// The chunk keys of metadata array `name` (empty when the store has no such column).
    #[wasm_bindgen(js_name = arrayKeys)]
    pub fn array_keys(&self, name: &str) -> Result<Vec<String>, JsError> {
        self.inner.array_keys(name).map_err(js_error)
    }

    /// Decodes metadata array `name` from its chunks (in `arrayKeys` order; `null` = absent).
    #[wasm_bindgen(js_name = setArray)]
    pub fn set_array(&mut self, name: &str, chunks: &Array) -> Result<(), JsError> {
        let bytes = chunk_bytes(chunks);
        self.inner.set_array(name, &as_refs(&bytes)).map_err(js_error)
    }

    /// The gene names (`var/_index`).
    #[wasm_bindgen(js_name = geneNames)]
    pub fn gene_names(&self) -> Vec<String> {
        self.inner.gene_names().to_vec()
    }

    /// The window of `level` covering level-0 rows `top..bottom`, columns `left..right`
    /// (clamped to the image): `[row0, col0, height, width]` in the level's pixels.
    pub fn window(
        &self,
        level: usize,
        top: f64,
        left: f64,
        bottom: f64,
        right: f64,
    ) -> Result<Vec<f64>, JsError> {
        let w = self.inner.window(level, top, left, bottom, right).map_err(js_error)?;
        Ok([w.row0, w.col0, w.height, w.width].map(|v| v as f64).to_vec())
    }

    /// The label chunks the window needs that are not cached: an array of `[i, j, key]`.
    #[wasm_bindgen(js_name = missingChunks)]
    pub fn missing_chunks(&mut self, level: usize, row0: f64, col0: f64, height: f64, width: f64) -> Array {
        let window = to_window(level, row0, col0, height, width);
        self.inner
            .missing_chunks(&window)
            .into_iter()
            .map(|(i, j, key)| Array::of3(&(i as f64).into(), &(j as f64).into(), &key.into()))
            .collect()
    }

    /// Decodes and caches label chunk `(i, j)` of `level` (`null`: not in the store, background).
    #[wasm_bindgen(js_name = putChunk)]
    pub fn put_chunk(&mut self, level: usize, i: f64, j: f64, bytes: Option<Vec<u8>>) -> Result<(), JsError> {
        self.inner.put_chunk(level, i as u64, j as u64, bytes.as_deref()).map_err(js_error)
    }

    /// Decoded label chunks held.
    #[wasm_bindgen(getter, js_name = cachedChunks)]
    pub fn cached_chunks(&self) -> usize {
        self.inner.cached_chunks()
    }

    /// Composes the labels of the window from the cached chunks.
    pub fn compose(
        &mut self,
        level: usize,
        row0: f64,
        col0: f64,
        height: f64,
        width: f64,
    ) -> Result<(), JsError> {
        self.inner.compose(to_window(level, row0, col0, height, width)).map_err(js_error)
    }

    /// The `X/data` and `X/indices` chunk indices gene `gene`'s column needs (empty when cached).
    #[wasm_bindgen(js_name = columnChunks)]
    pub fn column_chunks(&self, gene: usize) -> Result<Vec<f64>, JsError> {
        Ok(self.inner.column_chunks(gene).map_err(js_error)?.into_iter().map(|k| k as f64).collect())
    }

    /// `[dataKey, indicesKey]` of chunk `k`.
    #[wasm_bindgen(js_name = columnKeys)]
    pub fn column_keys(&self, k: f64) -> Vec<String> {
        let (d, x) = self.inner.column_keys(k as u64);
        vec![d, x]
    }

    /// Reads gene `gene`'s column from the chunks `columnChunks` listed (same order).
    #[wasm_bindgen(js_name = putColumn)]
    pub fn put_column(&mut self, gene: usize, data: &Array, indices: &Array) -> Result<(), JsError> {
        let (d, x) = (chunk_bytes(data), chunk_bytes(indices));
        self.inner.put_column(gene, &as_refs(&d), &as_refs(&x)).map_err(js_error)
    }

    /// Per-cell values of `genes` (their columns put), `X` holding statistic `statName` (the
    /// manifest's `statistic`): one gene's, or the sum over the genes. A value not stored is 0
    /// for `sum` and `count`, no value (NaN) for `mean`, `min` and `max`.
    pub fn compute(&mut self, genes: &[u32], stat_name: &str) -> Result<(), JsError> {
        let stat = stat_from_name(stat_name)?;
        let genes: Vec<usize> = genes.iter().map(|&g| g as usize).collect();
        self.inner.compute(&genes, stat).map_err(js_error)
    }

    /// Paints the composed window (as `Session.paint`; the automatic range runs over every
    /// cell, in view or not) and returns the range used, `[lo, hi]` (`NaN`s when no cell has a
    /// value).
    pub fn paint(
        &mut self,
        colormap_name: &str,
        scale_name: &str,
        low: f64,
        high: f64,
        log1p: bool,
        outlines: bool,
    ) -> Result<Vec<f64>, JsError> {
        let colormap = Colormap::from_name(colormap_name)
            .ok_or_else(|| JsError::new(&format!("unknown colormap '{colormap_name}'")))?;
        let range = cellmap::range_from_name(scale_name, low, high).map_err(js_error)?;
        let scale = ColorScale { colormap, range, log1p };
        let (lo, hi) = self.inner.paint(&scale, outlines).map_err(js_error)?.unwrap_or((f64::NAN, f64::NAN));
        Ok(vec![lo, hi])
    }

    /// Paints the composed window with a distinct colour per cell id.
    #[wasm_bindgen(js_name = paintCellIds)]
    pub fn paint_cell_ids(&mut self, outlines: bool) -> Result<(), JsError> {
        self.inner.paint_cell_ids(outlines).map_err(js_error)
    }

    /// Where the painted window's RGBA bytes are in the module's memory (`pixelsLen` bytes,
    /// 4 per pixel); valid until the next call into the view.
    #[wasm_bindgen(js_name = pixelsPtr)]
    pub fn pixels_ptr(&self) -> *const u32 {
        self.inner.pixels().as_ptr()
    }

    /// The painted window's length in bytes (`width · height · 4`).
    #[wasm_bindgen(js_name = pixelsLen)]
    pub fn pixels_len(&self) -> usize {
        self.inner.pixels().len() * 4
    }

    /// The painted window's RGBA bytes (a copy).
    pub fn pixels(&self) -> Vec<u8> {
        self.inner.pixels().iter().flat_map(|p| p.to_ne_bytes()).collect()
    }

    /// The label shown at level-0 pixel (row, col); 0 for background and outside the window.
    #[wasm_bindgen(js_name = cellAt)]
    pub fn cell_at(&self, row: f64, col: f64) -> u32 {
        if row < 0.0 || col < 0.0 {
            return 0;
        }
        u32::try_from(self.inner.cell_at(row as u64, col as u64)).unwrap_or(0)
    }

    /// The shown values of cells `1..=N` (of the last `compute`).
    #[wasm_bindgen(js_name = shownValues)]
    pub fn shown_values(&self) -> Vec<f64> {
        self.inner.values().get(1..).unwrap_or_default().to_vec()
    }

    /// The shown value of cell `label` (NaN for 0 and unknown labels).
    #[wasm_bindgen(js_name = cellValue)]
    pub fn cell_value(&self, label: u32) -> f64 {
        if label == 0 {
            return f64::NAN;
        }
        self.inner.values().get(label as usize).copied().unwrap_or(f64::NAN)
    }

    /// `{label, area, centroidRow, centroidCol, value}` of a cell (from `obs`; NaN where the
    /// store has no such column), as `Session.cellInfo` gives them; the bounding box is not
    /// stored (NaN).
    #[wasm_bindgen(js_name = cellInfo)]
    pub fn cell_info(&self, label: u32) -> Result<JsValue, JsError> {
        let (area, row, col, value) = self.inner.cell_info(label as usize).ok_or_else(|| {
            JsError::new(&format!(
                "no cell {label}: labels run from 1 to {} (0 is the background)",
                self.inner.store().n_obs
            ))
        })?;
        let info = Object::new();
        for (key, v) in [
            ("label", f64::from(label)),
            ("area", area),
            ("centroidRow", row),
            ("centroidCol", col),
            ("bboxMinRow", f64::NAN),
            ("bboxMinCol", f64::NAN),
            ("bboxMaxRow", f64::NAN),
            ("bboxMaxCol", f64::NAN),
            ("value", value),
        ] {
            Reflect::set(&info, &key.into(), &v.into())
                .map_err(|_| JsError::new("cellInfo: could not build the object"))?;
        }
        Ok(info.into())
    }

    /// The `obs` columns of the bounding boxes, read on the first export of the cells' table
    /// (`arrayKeys` / `setArray` as for `metaArrays`).
    #[wasm_bindgen(js_name = bboxArrays)]
    pub fn bbox_arrays(&self) -> Vec<String> {
        BBOX_ARRAYS.iter().map(|s| (*s).to_string()).collect()
    }

    /// Whether the bounding boxes are set (or the store has none).
    #[wasm_bindgen(getter, js_name = hasBboxes)]
    pub fn has_bboxes(&self) -> bool {
        self.inner.has_bboxes()
    }

    /// 7 numbers per cell `1..=N` (area, centroid row and column, bounding box; NaN where the
    /// store has none), as `Session.regionFields` gives them for the exports module's `cellsCsv`.
    #[wasm_bindgen(js_name = regionFields)]
    pub fn region_fields(&self) -> Vec<f64> {
        self.inner.region_fields()
    }

    /// Gene `gene`'s values of cells `1..=N` (its column put), `X` holding `statName`.
    #[wasm_bindgen(js_name = geneValues)]
    pub fn gene_values(&self, gene: usize, stat_name: &str) -> Result<Vec<f64>, JsError> {
        self.inner.gene_values(gene, stat_from_name(stat_name)?).map_err(js_error)
    }

    /// The labels of the cells whose centroid lies in the polygon `xy` (`[x0, y0, x1, y1, ...]`,
    /// integers at pixel centres; the boundary is in), as `Session.cellsInRing`.
    #[wasm_bindgen(js_name = cellsInRing)]
    pub fn cells_in_ring(&self, xy: &[f64]) -> Vec<u32> {
        let ring: Vec<[f64; 2]> = xy.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
        self.inner.cells_in_ring(&ring).into_iter().map(|l| u32::try_from(l).unwrap_or(u32::MAX)).collect()
    }

    /// `[chunk, genesKey, valuesKey]` of the top genes of cell `label` when they are to be
    /// fetched; `undefined` when cached or when the store has none.
    #[wasm_bindgen(js_name = topGenesChunk)]
    pub fn top_genes_chunk(&self, label: u32) -> Option<Array> {
        let (k, genes, values) = self.inner.top_genes_chunk(label as usize)?;
        Some(Array::of3(&(k as f64).into(), &genes.into(), &values.into()))
    }

    /// Decodes and caches chunk `k` of the top genes and of their values (`null`: absent).
    #[wasm_bindgen(js_name = putTopGenes)]
    pub fn put_top_genes(
        &mut self,
        k: f64,
        genes: Option<Vec<u8>>,
        values: Option<Vec<u8>>,
    ) -> Result<(), JsError> {
        self.inner.put_top_genes(k as u64, genes.as_deref(), values.as_deref()).map_err(js_error)
    }

    /// Cell `label`'s top genes as published, `[gene, value, gene, value, ...]` largest first;
    /// `undefined` when the store has none.
    #[wasm_bindgen(js_name = topGenes)]
    pub fn top_genes(&mut self, label: u32) -> Result<Option<Vec<f64>>, JsError> {
        let top = self.inner.top_genes(label as usize).map_err(js_error)?;
        Ok(top.map(|pairs| pairs.into_iter().flat_map(|(g, v)| [g as f64, v]).collect()))
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn to_window(level: usize, row0: f64, col0: f64, height: f64, width: f64) -> Window {
    Window { level, row0: row0 as u64, col0: col0 as u64, height: height as u64, width: width as u64 }
}
