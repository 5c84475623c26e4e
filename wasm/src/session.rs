//! [`Session`]: the viewer's state, one `cellmap::Session` held for JS.

use cellmap::ranges::ReadAt;
use cellmap::{CellImage, ColorScale, GeneCounts, Image, MaskKind, Range, SegmentOptions, range_name};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use crate::js_bytes::JsBytes;
use crate::progress::reporter;
use crate::{connectivity, connectivity_name, js_error, object, stat};

/// One tissue tile in the viewer: the cells (a binary mask, filled and
/// labelled, or a label image used as is), the expression, the per-cell
/// values of the shown genes and the painted RGBA pixels, all owned by a
/// `cellmap::Session` in wasm memory.
///
/// Created with `Session.demo(...)`, `Session.fromMask(...)` or
/// `Session.fromPixels(...)`. Call `free()` in JS when it is no longer
/// needed.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Session {
    inner: cellmap::Session,
}

#[wasm_bindgen]
impl Session {
    /// The demo tissue (`cellmap::Demo`, made by the simulator
    /// `cellmap-sim`, the same for the same arguments on every target):
    /// touching and separate cells, holes, gaps, 20 genes named by the
    /// simulator's scheme (`sp0_F0`: spatial gene 0 following spatial
    /// factor 0; `mix1_F2_U0`; `ns0_U1`), then the true factors as 7 more
    /// genes (`F0`..`F3` spatial, `U0`..`U2` non-spatial; each cell's
    /// pixels hold the factor's value at the cell). It opens computed on
    /// its first spatial gene with the sum statistic (`shownGenes`,
    /// `shownStat`).
    pub fn demo(seed: u32, width: u32, height: u32) -> Result<Session, JsError> {
        crate::memory::init();
        let inner =
            cellmap::Session::demo(u64::from(seed), width as usize, height as usize).map_err(js_error)?;
        Ok(Session { inner })
    }

    /// A session from a mask or label image file's bytes (`.npy`, PNG or
    /// TIFF, recognised by content; foreground = nonzero). Whether it is a
    /// binary mask (filled and labelled with holes filled,
    /// 4-connectivity) or a label image (used as is, see `isLabelImage`)
    /// is decided by `cellmap::input`'s rule. `fileName` names the file in
    /// errors.
    ///
    /// The bytes are the copy JS made into wasm memory for this call: they
    /// are freed as soon as they are decoded, before the labels and pixels
    /// are allocated.
    #[wasm_bindgen(js_name = fromMask)]
    pub fn from_mask(bytes: Vec<u8>, file_name: &str) -> Result<Session, JsError> {
        let cells = CellImage::from_bytes(&bytes, file_name, MaskKind::Auto).map_err(js_error)?;
        drop(bytes);
        Session::new(cells)
    }

    /// A session from mask pixels already in memory: `mask` holds
    /// `width * height` values, row-major, nonzero = cell.
    #[wasm_bindgen(js_name = fromPixels)]
    pub fn from_pixels(width: u32, height: u32, mask: &[u8]) -> Result<Session, JsError> {
        let mask = mask.iter().map(|&v| v != 0).collect();
        let mask = Image::new(width as usize, height as usize, mask)
            .map_err(|e| js_error(e.context("fromPixels")))?;
        Session::new(CellImage::Mask(mask))
    }

    /// Columns.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.inner.width() as u32
    }

    /// Rows.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.inner.height() as u32
    }

    /// Number of cells: labels run `1..=cellCount`, 0 is background.
    #[wasm_bindgen(getter, js_name = cellCount)]
    pub fn cell_count(&self) -> u32 {
        self.inner.n_cells() as u32
    }

    /// Number of labels that have pixels (fewer than `cellCount` when a
    /// label image skips ids).
    #[wasm_bindgen(getter, js_name = cellsWithPixels)]
    pub fn cells_with_pixels(&self) -> u32 {
        self.inner.n_cells_with_pixels() as u32
    }

    /// Whether the cells came from a label image, whose labels are kept
    /// (`setMaskOptions` changes nothing then).
    #[wasm_bindgen(getter, js_name = isLabelImage)]
    pub fn is_label_image(&self) -> bool {
        self.inner.is_label_image()
    }

    /// Whether holes are filled before labelling (`setMaskOptions`).
    #[wasm_bindgen(getter, js_name = fillHoles)]
    pub fn fill_holes(&self) -> bool {
        self.inner.segment_options().fill_holes
    }

    /// The connectivity of labelling, by name: `"4"` or `"8"`
    /// (`setMaskOptions`).
    #[wasm_bindgen(getter)]
    pub fn connectivity(&self) -> String {
        connectivity_name(self.inner.segment_options().connectivity).to_string()
    }

    /// Re-fills (`scipy.ndimage.binary_fill_holes`, when `fillHoles`) and
    /// re-labels (`scipy.ndimage.label` numbering) the mask with
    /// `connectivityName` (`"4"` or `"8"`, see `connectivityOptions()`) and
    /// returns the cell count. The region properties follow, and so do the
    /// per-cell values of the shown genes (call `paint` again). A label
    /// image keeps its labels: the options are stored, nothing changes.
    #[wasm_bindgen(js_name = setMaskOptions)]
    pub fn set_mask_options(&mut self, fill_holes: bool, connectivity_name: &str) -> Result<u32, JsError> {
        let options = SegmentOptions { fill_holes, connectivity: connectivity(connectivity_name)? };
        Ok(self.inner.set_segment_options(options).map_err(js_error)? as u32)
    }

    /// Attaches expression from a file's bytes and returns its gene count:
    /// a scipy CSR `.npz` of shape `(H·W, G)` (row = `y·W + x`) or a dense
    /// `.npy` of shape `(H, W)` (one gene) or `(H, W, G)`. Converted to
    /// gene-major once; gene names reset to `gene 0..G-1`; nothing is shown
    /// until `computeValues`.
    ///
    /// Inside a Web Worker, progress messages (`{type: "progress", step:
    /// "decode", file, done, total}`, bytes of the file) reach the page
    /// while it decodes.
    ///
    /// Memory: the bytes stay in JS; an `.npz` is read from them range by
    /// range straight into the gene-major form, so wasm memory grows by
    /// about that form's size (4 bytes per stored value and 4 or 8 per
    /// value), never by the file's size or a row-major copy. An `.npz`
    /// whose headers declare more than the tab's wasm memory can hold (4
    /// GiB, with what is in use) fails before anything is allocated. A dense
    /// `.npy` is copied in, decoded and freed before the conversion. The
    /// current expression is dropped first (also when the new one then
    /// fails: the session is left without expression); wasm memory never
    /// shrinks, so this keeps its high-water mark down.
    #[wasm_bindgen(js_name = attachExpression)]
    pub fn attach_expression(&mut self, bytes: Uint8Array, file_name: &str) -> Result<u32, JsError> {
        self.attach(&JsBytes::new(bytes), file_name)
    }

    /// Attaches transcript counts as the expression (what the tables
    /// module's `TranscriptTable.count` gives for this session's labels):
    /// gene `g`'s cells are `cells[genePtr[g]..genePtr[g + 1]]` with their
    /// `counts`; one name per gene. Each gene's per-cell value is its count
    /// (`statNames()`: sum and count). After `setMaskOptions` relabels a mask,
    /// give the counts for the new labels with `recount`.
    #[wasm_bindgen(js_name = attachCounts)]
    pub fn attach_counts(
        &mut self,
        gene_ptr: Vec<u32>,
        cells: Vec<u32>,
        counts: Vec<u32>,
        gene_names: Vec<String>,
    ) -> Result<(), JsError> {
        let counts =
            GeneCounts::from_parts(self.inner.n_cells(), gene_ptr, cells, counts).map_err(js_error)?;
        self.inner.attach_counts(counts, gene_names).map_err(js_error)
    }

    /// Replaces the transcript counts by those for the current labels (same
    /// genes; see `attachCounts`) and recomputes the shown genes.
    pub fn recount(&mut self, gene_ptr: Vec<u32>, cells: Vec<u32>, counts: Vec<u32>) -> Result<(), JsError> {
        let counts =
            GeneCounts::from_parts(self.inner.n_cells(), gene_ptr, cells, counts).map_err(js_error)?;
        self.inner.recount(counts).map_err(js_error)
    }

    /// The names of the statistics that apply to the expression (a subset of
    /// `statOptions()`, in its order): all of them for per-pixel expression,
    /// `["sum", "count"]` for transcript counts.
    #[wasm_bindgen(js_name = statNames)]
    pub fn stat_names(&self) -> Vec<String> {
        self.inner.stats().iter().map(|s| s.name().to_string()).collect()
    }

    /// Drops the expression: the cells have no value (`geneCount` 0) until
    /// `attachExpression`. Its wasm memory is reused by what comes next.
    #[wasm_bindgen(js_name = detachExpression)]
    pub fn detach_expression(&mut self) {
        self.inner.detach_expression();
    }

    /// Number of genes (0 without expression).
    #[wasm_bindgen(getter, js_name = geneCount)]
    pub fn gene_count(&self) -> u32 {
        self.inner.n_genes() as u32
    }

    /// The gene names, in column order.
    #[wasm_bindgen(js_name = geneNames)]
    pub fn gene_names(&self) -> Vec<String> {
        self.inner.gene_names().to_vec()
    }

    /// Replaces the gene names (one per gene, in column order).
    #[wasm_bindgen(js_name = setGeneNames)]
    pub fn set_gene_names(&mut self, names: Vec<String>) -> Result<(), JsError> {
        self.inner.set_gene_names(names).map_err(js_error)
    }

    /// Computes the per-cell values of the genes `geneIndices` under the
    /// statistic `statName` (see `statOptions()`): of one gene, or for
    /// several the sum over the genes of each gene's per-cell value. Read
    /// them with `cellValue`, `cellValues`, `cellInfo`; draw them with
    /// `paint`. Remembered across `setMaskOptions`. For a binary mask only
    /// the mask's own pixels count, not the holes filling adds to a cell
    /// (as `cellmap run`, `cellmap reduce --within MASK`).
    #[wasm_bindgen(js_name = computeValues)]
    pub fn compute_values(&mut self, gene_indices: &[u32], stat_name: &str) -> Result<(), JsError> {
        let stat = stat(stat_name)?;
        let genes: Vec<usize> = gene_indices.iter().map(|&g| g as usize).collect();
        self.inner.compute(&genes, stat).map_err(js_error)
    }

    /// The gene indices of the last `computeValues` (for the demo: the
    /// genes it opens on); empty when nothing was computed.
    #[wasm_bindgen(js_name = shownGenes)]
    pub fn shown_genes(&self) -> Vec<u32> {
        self.inner.selection().map_or_else(Vec::new, |(genes, _)| genes.iter().map(|&g| g as u32).collect())
    }

    /// The statistic name of the last `computeValues`; `undefined` when
    /// nothing was computed.
    #[wasm_bindgen(js_name = shownStat)]
    pub fn shown_stat(&self) -> Option<String> {
        self.inner.selection().map(|(_, stat)| stat.name().to_string())
    }

    /// Paints every pixel with its cell's colour into the RGBA buffer
    /// (`pixelsPtr`) and returns the range used, `Float64Array [lo, hi]`, in
    /// `log1p` units when `log1p` (`[NaN, NaN]` when no cell has a value).
    /// `colormapName`: see `colormapOptions()`. `scaleName` (see
    /// `scaleOptions()`) and its two numbers: `"minmax"` (min–max over the
    /// cells that have pixels; the numbers are ignored), `"percentile"`
    /// (`low`, `high` in 0–100, numpy's linear percentiles of the cells'
    /// values) or `"fixed"` (`vmin`, `vmax` in data units; values outside
    /// clamp). A degenerate range (`lo == hi`) paints the cells at it in the
    /// colormap's middle colour. Cells without a value get `noValueColor()`,
    /// background `backgroundColor()`; `outlines` draws cell borders in
    /// black.
    pub fn paint(
        &mut self,
        colormap_name: &str,
        scale_name: &str,
        low: f64,
        high: f64,
        log1p: bool,
        outlines: bool,
    ) -> Result<Vec<f64>, JsError> {
        let colormap = crate::colormap(colormap_name)?;
        let range =
            cellmap::range_from_name(scale_name, low, high).map_err(|e| js_error(e.context("paint")))?;
        let scale = ColorScale { colormap, range, log1p };
        let (lo, hi) = self.inner.paint(&scale, outlines).map_err(js_error)?.unwrap_or((f64::NAN, f64::NAN));
        Ok(vec![lo, hi])
    }

    /// Paints every cell in a colour of `categoricalPalette()` by its label
    /// (label `l`: entry `(l - 1) % 20`), so that neighbours differ.
    #[wasm_bindgen(js_name = paintCellIds)]
    pub fn paint_cell_ids(&mut self, outlines: bool) -> Result<(), JsError> {
        self.inner.paint_cell_ids(outlines).map_err(js_error)
    }

    /// Paints per-cell values the caller gives — `values[label]`, `cellCount + 1` entries (entry 0
    /// the background; NaN = no value), e.g. a numeric column of an annotation CSV or a predicted
    /// gene — with the colour scale of `paint` (same arguments), and returns the range used. The
    /// computed values (`cellValue`) are not touched.
    #[wasm_bindgen(js_name = paintCellValues)]
    #[allow(clippy::too_many_arguments)]
    pub fn paint_cell_values(
        &mut self,
        values: &[f64],
        colormap_name: &str,
        scale_name: &str,
        low: f64,
        high: f64,
        log1p: bool,
        outlines: bool,
    ) -> Result<Vec<f64>, JsError> {
        let colormap = crate::colormap(colormap_name)?;
        let range = cellmap::range_from_name(scale_name, low, high)
            .map_err(|e| js_error(e.context("paintCellValues")))?;
        let scale = ColorScale { colormap, range, log1p };
        let painted = self.inner.paint_values(values, &scale, outlines).map_err(js_error)?;
        let (lo, hi) = painted.unwrap_or((f64::NAN, f64::NAN));
        Ok(vec![lo, hi])
    }

    /// Paints every cell in the colour of its slot, `slots[label]` (`cellCount + 1` entries):
    /// `0..20` the categorical palette (`categoricalPalette()`), 20 "other"
    /// (`otherCategoryColor()`), `0xFFFFFFFF` no value (`noValueColor()`) — the `slotsByLabel`
    /// of the modes module's categories.
    #[wasm_bindgen(js_name = paintCellSlots)]
    pub fn paint_cell_slots(&mut self, slots: &[u32], outlines: bool) -> Result<(), JsError> {
        self.inner.paint_slots(slots, outlines).map_err(js_error)
    }

    /// Whether the expression holds counts (every value a whole number ≥
    /// 0); `false` without expression.
    #[wasm_bindgen(getter, js_name = isCounts)]
    pub fn is_counts(&self) -> bool {
        self.inner.is_counts()
    }

    /// What to open this data on, `{stat, scale, low, high, outlines}`:
    /// counts → `"sum"` with percentiles 1–99; other values → `"mean"` with
    /// `"minmax"` (low, high NaN); outlines for a label image (its cells
    /// touch).
    #[wasm_bindgen(js_name = suggestedView)]
    pub fn suggested_view(&self) -> Result<JsValue, JsError> {
        let view = self.inner.suggested_view();
        let (low, high) = match view.range {
            Range::Percentile { low, high } => (low, high),
            Range::Fixed { vmin, vmax } => (vmin, vmax),
            Range::MinMax => (f64::NAN, f64::NAN),
        };
        object(&[
            ("stat", JsValue::from_str(view.stat.name())),
            ("scale", JsValue::from_str(range_name(&view.range))),
            ("low", JsValue::from_f64(low)),
            ("high", JsValue::from_f64(high)),
            ("outlines", JsValue::from_bool(view.outlines)),
        ])
    }

    /// Address of the RGBA pixels in `wasm.memory.buffer`:
    /// `new Uint8ClampedArray(wasm.memory.buffer, session.pixelsPtr(), session.pixelsLen())`.
    /// Rebuild the view after any call that may allocate.
    #[wasm_bindgen(js_name = pixelsPtr)]
    pub fn pixels_ptr(&self) -> *const u8 {
        self.inner.pixels().as_ptr().cast()
    }

    /// Length of the RGBA pixels in bytes (`width * height * 4`).
    #[wasm_bindgen(js_name = pixelsLen)]
    pub fn pixels_len(&self) -> usize {
        self.inner.pixels().len() * 4
    }

    /// Address of the labels (`i32` per pixel, row-major, 0 = background)
    /// in `wasm.memory.buffer`:
    /// `new Int32Array(wasm.memory.buffer, session.labelsPtr(), session.labelsLen())`.
    #[wasm_bindgen(js_name = labelsPtr)]
    pub fn labels_ptr(&self) -> *const i32 {
        self.inner.labels().as_ptr()
    }

    /// Number of labels (`width * height`).
    #[wasm_bindgen(js_name = labelsLen)]
    pub fn labels_len(&self) -> usize {
        self.inner.labels().len()
    }

    /// Which cell covers pixel `(row, col)`: its label, or 0 for background
    /// and outside the image.
    #[wasm_bindgen(js_name = cellAt)]
    pub fn cell_at(&self, row: u32, col: u32) -> u32 {
        self.inner.cell_at(row as usize, col as usize) as u32
    }

    /// The per-cell value of cell `label` from the last `computeValues`;
    /// NaN for "no value", for background and for unknown labels.
    #[wasm_bindgen(js_name = cellValue)]
    pub fn cell_value(&self, label: u32) -> f64 {
        match label as usize {
            0 => f64::NAN,
            label => self.inner.values().get(label).copied().unwrap_or(f64::NAN),
        }
    }

    /// All per-cell values, by label (a copy; index 0 is NaN).
    #[wasm_bindgen(js_name = cellValues)]
    pub fn cell_values(&self) -> Vec<f64> {
        self.inner.values().to_vec()
    }

    /// Region properties and value of cell `label` as a plain object
    /// `{label, area, centroidRow, centroidCol, bboxMinRow, bboxMinCol,
    /// bboxMaxRow, bboxMaxCol, value}`. The bounding box is end-exclusive,
    /// as in `regions.csv` and `scipy.ndimage.find_objects`: the cell spans
    /// rows `bboxMinRow .. bboxMaxRow - 1`. An id without pixels has area
    /// 0 and NaN centroid and box; `value` is NaN when the cell has none.
    #[wasm_bindgen(js_name = cellInfo)]
    pub fn cell_info(&self, label: u32) -> Result<JsValue, JsError> {
        let region = match self.inner.regions().get(label as usize) {
            Some(region) if label > 0 => region,
            _ => {
                return Err(JsError::new(&format!(
                    "no cell {label}: labels run from 1 to {} (0 is the background)",
                    self.inner.n_cells()
                )));
            }
        };
        let (centroid_row, centroid_col) = region.centroid();
        let bbox = region.bounding_box();
        let bound = |f: fn(&cellmap::BoundingBox) -> usize| bbox.as_ref().map_or(f64::NAN, |b| f(b) as f64);
        let number = JsValue::from_f64;
        object(&[
            ("label", number(f64::from(label))),
            ("area", number(region.area() as f64)),
            ("centroidRow", number(centroid_row)),
            ("centroidCol", number(centroid_col)),
            ("bboxMinRow", number(bound(|b| b.row_start))),
            ("bboxMinCol", number(bound(|b| b.col_start))),
            ("bboxMaxRow", number(bound(|b| b.row_end))),
            ("bboxMaxCol", number(bound(|b| b.col_end))),
            ("value", number(self.cell_value(label))),
        ])
    }

    /// The region properties of cells `1..=cellCount` as `Float64Array`, 7 numbers per cell in
    /// the columns of `regions.csv`: area, centroid row and col, bbox min row, min col, max row,
    /// max col (end-exclusive; NaN for an id without pixels) — `cellmap::region_fields`, for the
    /// exports module's `cellsCsv`.
    #[wasm_bindgen(js_name = regionFields)]
    pub fn region_fields(&self) -> Vec<f64> {
        self.inner.regions().iter().skip(1).flat_map(cellmap::region_fields).collect()
    }

    /// Gene `gene`'s per-cell `statName` for cells `1..=cellCount` (`Float64Array`; NaN = no
    /// value): one column of the exported table. The shown values are not touched.
    #[wasm_bindgen(js_name = geneValues)]
    pub fn gene_values(&mut self, gene: u32, stat_name: &str) -> Result<Vec<f64>, JsError> {
        let values = self.inner.gene_values(gene as usize, stat(stat_name)?).map_err(js_error)?;
        Ok(values[1..].to_vec())
    }

    /// The genes with a value in cell `label` under `statName`, largest first, at most `count`
    /// (`cellmap::Session::top_genes`), as pairs in a `Float64Array`: `[gene, value, gene, value,
    /// ...]` (gene index, statistic).
    #[wasm_bindgen(js_name = topGenes)]
    pub fn top_genes(&self, label: u32, stat_name: &str, count: u32) -> Result<Vec<f64>, JsError> {
        let genes =
            self.inner.top_genes(label as usize, stat(stat_name)?, count as usize).map_err(js_error)?;
        Ok(genes.into_iter().flat_map(|(gene, value)| [gene as f64, value]).collect())
    }

    /// The labels of the cells whose centroid lies in the polygon `xy` (`[x0, y0, x1, y1, ...]`,
    /// x = column, y = row, integers at pixel centres; the boundary is in): `cellmap::cells_in_ring`.
    #[wasm_bindgen(js_name = cellsInRing)]
    pub fn cells_in_ring(&self, xy: &[f64]) -> Vec<u32> {
        let ring: Vec<[f64; 2]> = xy.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
        cellmap::cells_in_ring(self.inner.regions(), &ring).into_iter().map(|c| c as u32).collect()
    }
}

impl Session {
    fn new(cells: CellImage) -> Result<Session, JsError> {
        crate::memory::init();
        Ok(Session { inner: cellmap::Session::new(cells).map_err(js_error)? })
    }

    /// `attachExpression` on bytes in Rust memory (native callers: the
    /// examples).
    pub fn attach_expression_bytes(&mut self, bytes: &[u8], file_name: &str) -> Result<u32, JsError> {
        self.attach(&bytes, file_name)
    }

    fn attach(&mut self, bytes: &dyn ReadAt, file_name: &str) -> Result<u32, JsError> {
        let mut progress = reporter("decode", file_name);
        Ok(self.inner.attach_expression_file(bytes, file_name, &mut progress).map_err(js_error)? as u32)
    }
}
