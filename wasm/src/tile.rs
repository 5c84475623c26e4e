//! [`Tile`]: one mask with its labels, region properties, optional
//! expression, per-cell values and RGBA pixels, all owned in wasm memory.

use cellmap_core::color::{self, Normalization, Range};
use cellmap_core::regions::{Region, region_props};
use cellmap_core::sparse::Csr;
use cellmap_core::stats::{CellStats, Options, add_skipping_nan};
use cellmap_core::{Grid, labeling, sparse};
use cellmap_sim::{self as sim, ExpressionModel, Factor, GeneLoading, SimCell};
use wasm_bindgen::prelude::*;

use crate::expression::Expression;
use crate::text::{filled, grouped};
use crate::{Colormap, Connectivity, Stat, decode};

/// Colour of background pixels: transparent.
const BACKGROUND_RGBA: [u8; 4] = [0, 0, 0, 0];
/// Colour of cells without a value (NaN): mid gray.
const NO_VALUE_RGBA: [u8; 4] = [128, 128, 128, 255];
/// Colour of cell outlines: opaque black.
const OUTLINE_RGBA: [u8; 4] = [0, 0, 0, 255];

/// A tissue tile: the mask, its labels (after optional hole filling), the
/// expression matrix converted to gene-major once, the per-cell values of
/// the current gene selection and the painted RGBA image.
///
/// Created with `Tile.demo(...)` or `Tile.fromMask(...)`. Call `free()` in
/// JS when the tile is no longer needed.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Tile {
    width: usize,
    height: usize,
    /// The mask as loaded: 1 for foreground, 0 for background.
    mask: Vec<u8>,
    /// The file was a label image: `labels` are its labels, kept as given
    /// (no filling, no labeling).
    label_image: bool,
    fill_holes: bool,
    connectivity: Connectivity,
    /// `scipy.ndimage.label` numbering of the (filled) mask.
    labels: Vec<u32>,
    /// The labeling kernels' scratch, kept so that `setMaskOptions` does
    /// not allocate and zero it on every call.
    label_scratch: Vec<u32>,
    cell_count: usize,
    /// Area, centroid and bounding box by label (`regions[0]`: background).
    regions: Vec<Region>,
    expression: Option<Expression>,
    /// The current gene selection, re-applied when the labels change.
    selection: Option<(Vec<u32>, Stat)>,
    /// Per-cell values by label (`values[0]` unused); NaN = no value.
    values: Vec<f64>,
    /// RGBA, row-major, one `u32` per pixel whose bytes in memory are R, G, B, A.
    pixels: Vec<u32>,
}

#[wasm_bindgen]
impl Tile {
    /// A tile from a mask or label image file's bytes (`.npy`, `.png`,
    /// `.tif`/`.tiff`; foreground = nonzero), labelled with the default
    /// options: holes filled, 4-connectivity. An integer image with more
    /// than one distinct nonzero value (Cellpose `*_cp_masks.png`, 16/32-bit
    /// label TIFF or `.npy`) is a label image: its labels are used as they
    /// are (touching cells stay apart; cell count = the largest label, ids
    /// without pixels have no value), see `isLabelImage`. `fileName` names
    /// the file in errors.
    #[wasm_bindgen(js_name = fromMask)]
    pub fn from_mask(bytes: &[u8], file_name: &str) -> Result<Tile, JsError> {
        let mask = decode::mask(bytes, file_name).map_err(|e| JsError::new(&e))?;
        Tile::new(mask.width, mask.height, mask.foreground, mask.labels)
    }

    /// A synthetic tissue tile with expression, made by the core simulator
    /// (the same output for the same arguments on every target): touching
    /// and separate cells, holes, gaps, and 20 genes whose names say their
    /// true factors (`gene 3 · spatial factor 2`, `gene 9 · spatial 1 +
    /// non-spatial 0`, `gene 17 · non-spatial 2`), followed by the true
    /// factors themselves as extra "genes" (`true spatial factor 0..3`,
    /// `true non-spatial factor 0..2`): each cell's pixels hold the factor's
    /// value at the cell, so a cell's mean shows it.
    pub fn demo(seed: u32, width: u32, height: u32) -> Result<Tile, JsError> {
        let (width, height) = (width as usize, height as usize);
        let sim_error = core_error("demo");
        let pixels = cellmap_core::grid::pixel_count(width, height).map_err(&sim_error)?;
        let js = |e: String| JsError::new(&format!("demo: {e}"));
        let mut mask = filled(pixels, 0u8, "the mask").map_err(js)?;
        let mut owner = filled(pixels, 0u32, "the cell owners").map_err(js)?;
        let mut cells =
            filled(sim::demo_cell_capacity(width, height), SimCell::EMPTY, "the cells").map_err(js)?;
        let mut rates = filled(cells.len().saturating_mul(sim::DEMO_GENES), 0f64, "the rates").map_err(js)?;
        let demo =
            sim::demo_tissue(u64::from(seed), width, height, &mut mask, &mut owner, &mut cells, &mut rates)
                .map_err(&sim_error)?;
        let rates = &rates[..demo.mask.cells * sim::DEMO_GENES];
        let owner = Grid::new(width, height, &owner[..]).map_err(&sim_error)?;
        let nnz = demo.model.csr_size(&owner, rates).map_err(&sim_error)?.nnz;
        let mut indptr = filled(pixels + 1, 0u32, "the CSR row offsets").map_err(js)?;
        let mut indices = filled(nnz, 0u32, "the CSR gene indices").map_err(js)?;
        let mut data = filled(nnz, 0f32, "the CSR values").map_err(js)?;
        demo.model.fill_csr(&owner, rates, &mut indptr, &mut indices, &mut data).map_err(&sim_error)?;
        let csr = Csr::new(sim::DEMO_GENES, &indptr, &indices, &data).map_err(&sim_error)?;
        let mut expression = Expression::from_csr(&csr).map_err(js)?;
        let names = (0..sim::DEMO_GENES)
            .map(|g| demo.model.loading(g).map(|loading| demo_gene_name(g, &loading)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(&sim_error)?;
        expression.set_names(names).map_err(|e| JsError::new(&e))?;
        let cells = &cells[..demo.mask.cells];
        let mut image = filled(pixels, 0f32, "a factor image").map_err(js)?;
        for (factor, name) in demo_factors(&demo.model) {
            demo.model.factor_image(&owner, cells, factor, &mut image).map_err(&sim_error)?;
            expression.push_gene(name, &image).map_err(js)?;
        }
        let mut tile = Tile::new(width, height, mask, None)?;
        tile.expression = Some(expression);
        Ok(tile)
    }

    /// A tile from mask pixels already in memory: `mask` holds
    /// `width * height` values, row-major, nonzero = cell.
    #[wasm_bindgen(js_name = fromPixels)]
    pub fn from_pixels(width: u32, height: u32, mask: &[u8]) -> Result<Tile, JsError> {
        let (width, height) = (width as usize, height as usize);
        if width.checked_mul(height) != Some(mask.len()) {
            return Err(JsError::new(&format!(
                "fromPixels: a {height}×{width} mask needs {} values, got {}",
                grouped(width.saturating_mul(height)),
                grouped(mask.len())
            )));
        }
        Tile::new(width, height, mask.iter().map(|&v| u8::from(v != 0)).collect(), None)
    }

    /// Attaches an expression matrix to the tile and returns its gene
    /// count: a scipy CSR `.npz` of shape `(H·W, G)` (row = `y·W + x`) or
    /// a dense `.npy` of shape `(H, W)` (one gene) or `(H, W, G)`. It is
    /// converted to gene-major once; gene names reset to `gene 0..G-1`.
    #[wasm_bindgen(js_name = attachExpression)]
    pub fn attach_expression(&mut self, bytes: &[u8], file_name: &str) -> Result<u32, JsError> {
        let expression =
            decode::expression(bytes, file_name, self.height, self.width).map_err(|e| JsError::new(&e))?;
        let genes = expression.gene_count();
        self.expression = Some(expression);
        self.selection = None;
        self.values.fill(f64::NAN);
        Ok(genes as u32)
    }

    /// Computes the per-cell values of one gene (`geneIndices` of length 1)
    /// with statistic `stat` (mean and max skip zeros and NaN, NaN when a
    /// cell has no such pixel; sum is 0 and count 0 then), or for several
    /// genes the sum over the genes of each gene's per-cell `stat` (the
    /// layers summed; NaN terms skipped, NaN only when all are NaN). Read them with `cellValue`,
    /// `valueRange`, `cellValues`; draw them with `paint`.
    #[wasm_bindgen(js_name = computeValues)]
    pub fn compute_values(&mut self, gene_indices: &[u32], stat: Stat) -> Result<(), JsError> {
        self.compute(gene_indices, stat)
    }

    /// Paints every pixel with its cell's colour into the RGBA buffer
    /// (`pixelsPtr`): values normalised to 0..255 over `[vmin, vmax]`
    /// (`NaN` for either = the min or max over cells), then looked up in
    /// `colormap`; cells without a value get the no-value colour
    /// (`Tile.noValueColor()`), background is transparent, and `outlines`
    /// draws cell borders in black.
    pub fn paint(&mut self, colormap: Colormap, vmin: f64, vmax: f64, outlines: bool) -> Result<(), JsError> {
        let cells = self.values.get(1..).unwrap_or(&[]);
        let (auto_lo, auto_hi) = min_max(cells).map_err(core_error("paint"))?;
        let lo = if vmin.is_nan() { auto_lo } else { vmin };
        let hi = if vmax.is_nan() { auto_hi } else { vmax };
        let mut levels = vec![None; cells.len()];
        if lo.is_nan() || hi.is_nan() {
            // No finite value and no fixed bound: every cell has no value.
        } else {
            if lo > hi || !lo.is_finite() || !hi.is_finite() {
                return Err(JsError::new(&format!(
                    "paint: vmin ({lo}) must be finite and not larger than vmax ({hi}); pass NaN for the automatic bound"
                )));
            }
            let normalization = Normalization { range: Range::Fixed { vmin: lo, vmax: hi }, log1p: false };
            let mut scratch = vec![0.0; normalization.scratch_len(cells.len())];
            color::normalize(cells, &normalization, &mut scratch, &mut levels)
                .map_err(core_error("paint"))?;
        }
        let mut table = vec![0u32; cells.len() + 1];
        color::cell_colors(&levels, colormap.into(), BACKGROUND_RGBA, NO_VALUE_RGBA, &mut table)
            .map_err(core_error("paint"))?;
        let labels = Grid::new(self.width, self.height, &self.labels[..]).map_err(core_error("paint"))?;
        let outline = outlines.then(|| u32::from_ne_bytes(OUTLINE_RGBA));
        color::paint(labels, &table, outline, &mut self.pixels).map_err(core_error("paint"))
    }

    /// The 256 colours of `colormap` as RGBA bytes (`Uint8Array` of 1024),
    /// for a colour-bar legend (a method, as in the JS API the viewer uses,
    /// though it does not depend on the tile).
    #[wasm_bindgen(js_name = colormapLut)]
    pub fn colormap_lut(&self, colormap: Colormap) -> Vec<u8> {
        let core: color::Colormap = colormap.into();
        core.lut().iter().flat_map(|&[r, g, b]| [r, g, b, 255]).collect()
    }

    /// The RGBA colour `paint` gives cells without a value.
    #[wasm_bindgen(js_name = noValueColor)]
    pub fn no_value_color() -> Vec<u8> {
        NO_VALUE_RGBA.to_vec()
    }

    /// Columns.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.width as u32
    }

    /// Rows.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.height as u32
    }

    /// Number of cells (labels `1..=cellCount`).
    #[wasm_bindgen(getter, js_name = cellCount)]
    pub fn cell_count(&self) -> u32 {
        self.cell_count as u32
    }

    /// Whether holes are filled before labeling (`setMaskOptions`).
    #[wasm_bindgen(getter, js_name = fillHoles)]
    pub fn fill_holes(&self) -> bool {
        self.fill_holes
    }

    /// The connectivity used for labeling (`setMaskOptions`).
    #[wasm_bindgen(getter)]
    pub fn connectivity(&self) -> Connectivity {
        self.connectivity
    }

    /// Recomputes hole filling and labeling of the mask and returns the new
    /// cell count. The region properties follow, and so do the per-cell
    /// values if a gene selection was computed (call `paint` again). A
    /// label image (`isLabelImage`) keeps its labels: the options are
    /// stored but change nothing.
    #[wasm_bindgen(js_name = setMaskOptions)]
    pub fn set_mask_options(&mut self, fill_holes: bool, connectivity: Connectivity) -> Result<u32, JsError> {
        self.fill_holes = fill_holes;
        self.connectivity = connectivity;
        self.relabel()?;
        Ok(self.cell_count as u32)
    }

    /// Whether the tile came from a label image whose labels are used as
    /// they are (`setMaskOptions` does not re-label it).
    #[wasm_bindgen(getter, js_name = isLabelImage)]
    pub fn is_label_image(&self) -> bool {
        self.label_image
    }

    /// Which cell covers pixel `(row, col)`: its label, or 0 for background
    /// and for positions outside the tile.
    #[wasm_bindgen(js_name = cellAt)]
    pub fn cell_at(&self, row: u32, col: u32) -> u32 {
        let (row, col) = (row as usize, col as usize);
        if row < self.height && col < self.width { self.labels[row * self.width + col] } else { 0 }
    }

    /// The per-cell value of cell `label` from the last `computeValues`;
    /// NaN for "no value", for background and for unknown labels.
    #[wasm_bindgen(js_name = cellValue)]
    pub fn cell_value(&self, label: u32) -> f64 {
        match label as usize {
            0 => f64::NAN,
            l => self.values.get(l).copied().unwrap_or(f64::NAN),
        }
    }

    /// All per-cell values, indexed by label (a copy; index 0 is NaN).
    #[wasm_bindgen(js_name = cellValues)]
    pub fn cell_values(&self) -> Vec<f64> {
        self.values.clone()
    }

    /// `[min, max]` over the finite per-cell values, `[NaN, NaN]` if none.
    #[wasm_bindgen(js_name = valueRange)]
    pub fn value_range(&self) -> Result<Vec<f64>, JsError> {
        let (lo, hi) = min_max(self.values.get(1..).unwrap_or(&[])).map_err(core_error("valueRange"))?;
        Ok(vec![lo, hi])
    }

    /// Region properties of cell `label` as a plain object `{label, area,
    /// centroidRow, centroidCol, bboxMinRow, bboxMinCol, bboxMaxRow,
    /// bboxMaxCol, value}` (bounding box bounds inclusive; `value` NaN when
    /// the cell has none).
    #[wasm_bindgen(js_name = cellInfo)]
    pub fn cell_info(&self, label: u32) -> Result<js_sys::Object, JsError> {
        let index = label as usize;
        let region = match self.regions.get(index) {
            Some(region) if index > 0 => region,
            _ => {
                return Err(JsError::new(&format!(
                    "no cell {label}: labels run from 1 to {} (0 is the background)",
                    self.cell_count
                )));
            }
        };
        let (centroid_row, centroid_col) = region.centroid();
        let bbox = region.bounding_box();
        let bound = |f: fn(&cellmap_core::regions::BoundingBox) -> usize| {
            bbox.as_ref().map_or(f64::NAN, |b| f(b) as f64)
        };
        let info = js_sys::Object::new();
        let fields: [(&str, f64); 9] = [
            ("label", f64::from(label)),
            ("area", region.area() as f64),
            ("centroidRow", centroid_row),
            ("centroidCol", centroid_col),
            ("bboxMinRow", bound(|b| b.row_start)),
            ("bboxMinCol", bound(|b| b.col_start)),
            ("bboxMaxRow", bound(|b| b.row_end - 1)),
            ("bboxMaxCol", bound(|b| b.col_end - 1)),
            ("value", self.cell_value(label)),
        ];
        for (key, value) in fields {
            js_sys::Reflect::set(&info, &JsValue::from_str(key), &JsValue::from_f64(value))
                .map_err(|_| JsError::new("cellInfo: could not build the result object"))?;
        }
        Ok(info)
    }

    /// Address of the RGBA pixels in `wasm.memory.buffer`:
    /// `new Uint8ClampedArray(wasm.memory.buffer, tile.pixelsPtr(), tile.pixelsLen())`.
    /// Rebuild the view after any call that may allocate.
    #[wasm_bindgen(js_name = pixelsPtr)]
    pub fn pixels_ptr(&self) -> *const u8 {
        self.pixels.as_ptr().cast()
    }

    /// Length of the RGBA pixels in bytes (`width * height * 4`).
    #[wasm_bindgen(js_name = pixelsLen)]
    pub fn pixels_len(&self) -> usize {
        self.pixels.len() * 4
    }

    /// Address of the label image (`u32` per pixel, row-major) in
    /// `wasm.memory.buffer`: `new Uint32Array(wasm.memory.buffer, tile.labelsPtr(), tile.labelsLen())`.
    #[wasm_bindgen(js_name = labelsPtr)]
    pub fn labels_ptr(&self) -> *const u32 {
        self.labels.as_ptr()
    }

    /// Number of labels (`width * height`).
    #[wasm_bindgen(js_name = labelsLen)]
    pub fn labels_len(&self) -> usize {
        self.labels.len()
    }

    /// Number of genes of the attached expression (0 without one).
    #[wasm_bindgen(getter, js_name = geneCount)]
    pub fn gene_count(&self) -> u32 {
        self.expression.as_ref().map_or(0, |e| e.gene_count() as u32)
    }

    /// The gene names (default `gene 0` .. `gene G-1`).
    #[wasm_bindgen(js_name = geneNames)]
    pub fn gene_names(&self) -> Vec<String> {
        self.expression.as_ref().map_or_else(Vec::new, |e| e.names().to_vec())
    }

    /// Replaces the gene names (one per gene, in column order).
    #[wasm_bindgen(js_name = setGeneNames)]
    pub fn set_gene_names(&mut self, names: Vec<String>) -> Result<(), JsError> {
        let expression = self.expression_or_error()?;
        expression.set_names(names).map_err(|e| JsError::new(&e))
    }
}

impl Tile {
    /// A tile over a `width × height` foreground mask (1 = cell), labelled
    /// with the default options (fill holes, 4-connectivity), or with
    /// `given` labels and their largest label kept as they are.
    fn new(
        width: usize,
        height: usize,
        mask: Vec<u8>,
        given: Option<(Vec<u32>, usize)>,
    ) -> Result<Self, JsError> {
        let too_large = |e: String| JsError::new(&format!("a {height}×{width} tile does not fit: {e}"));
        let pixels = width.checked_mul(height).ok_or_else(|| too_large("too many pixels".into()))?;
        let label_image = given.is_some();
        let (labels, cell_count) = match given {
            Some(given) => given,
            None => (filled(pixels, 0u32, "the labels").map_err(too_large)?, 0),
        };
        let rgba = filled(pixels, 0u32, "the RGBA pixels").map_err(too_large)?;
        let mut tile = Tile {
            width,
            height,
            mask,
            label_image,
            fill_holes: true,
            connectivity: Connectivity::Four,
            labels,
            label_scratch: Vec::new(),
            cell_count,
            regions: Vec::new(),
            expression: None,
            selection: None,
            values: Vec::new(),
            pixels: rgba,
        };
        tile.relabel()?;
        Ok(tile)
    }

    /// Per-cell values under `stat`: of one gene, or for several the sum
    /// over the genes of each gene's per-cell `stat` (NaN terms skipped, NaN
    /// only when every gene's is NaN); remembers the selection for
    /// `setMaskOptions`.
    fn compute(&mut self, gene_indices: &[u32], stat: Stat) -> Result<(), JsError> {
        let expression = self.expression.as_ref().ok_or_else(no_expression)?;
        let gene_count = expression.gene_count();
        if gene_indices.is_empty() {
            return Err(JsError::new("computeValues: no gene selected (pass at least one gene index)"));
        }
        if let Some(&g) = gene_indices.iter().find(|&&g| g as usize >= gene_count) {
            return Err(JsError::new(&format!(
                "computeValues: gene {g} does not exist: the expression has {} genes (indices 0 to {})",
                grouped(gene_count),
                grouped(gene_count.saturating_sub(1))
            )));
        }
        let labels =
            Grid::new(self.width, self.height, &self.labels[..]).map_err(core_error("computeValues"))?;
        let mut stats = vec![CellStats::EMPTY; self.cell_count + 1];
        let mut scratch = vec![0usize; sparse::gene_scratch_len(1, self.cell_count)];
        let mut term = vec![f64::NAN; self.cell_count + 1];
        self.values.fill(f64::NAN);
        for &gene in gene_indices {
            expression
                .gene_stats(labels, gene as usize, self.cell_count, Options::new(), &mut stats, &mut scratch)
                .map_err(core_error("computeValues"))?;
            for ((value, s), region) in term.iter_mut().zip(&stats).zip(&self.regions).skip(1) {
                *value = match stat {
                    // a label image's ids without pixels are no cell
                    _ if region.area() == 0 => f64::NAN,
                    Stat::Mean => s.mean(),
                    Stat::Sum => s.sum(),
                    Stat::Count => s.count() as f64,
                    Stat::Max => s.max(),
                };
            }
            add_skipping_nan(&mut self.values, &term).map_err(core_error("computeValues"))?;
        }
        self.selection = Some((gene_indices.to_vec(), stat));
        Ok(())
    }

    fn expression_or_error(&mut self) -> Result<&mut Expression, JsError> {
        self.expression.as_mut().ok_or_else(no_expression)
    }

    /// Fill + label with the current options (not for a label image), then
    /// region properties, then the per-cell values of the current selection.
    fn relabel(&mut self) -> Result<(), JsError> {
        if !self.label_image {
            self.label_mask()?;
        }
        let count = self.cell_count;
        self.regions.clear();
        self.regions.resize(count + 1, Region::EMPTY);
        let labels = Grid::new(self.width, self.height, &self.labels[..]).map_err(core_error("labels"))?;
        region_props(labels, count, &mut self.regions).map_err(core_error("region properties"))?;
        self.values.clear();
        self.values.resize(count + 1, f64::NAN);
        if let Some((genes, stat)) = self.selection.take() {
            self.compute(&genes, stat)?;
        }
        Ok(())
    }

    /// Fills and labels the mask with the current options.
    fn label_mask(&mut self) -> Result<(), JsError> {
        let mask = Grid::new(self.width, self.height, &self.mask[..]).map_err(core_error("mask"))?;
        let needed = labeling::label_scratch_len(self.width, self.height);
        if self.label_scratch.len() < needed {
            self.label_scratch = filled(needed, 0u32, "the labeling scratch")
                .map_err(|e| JsError::new(&format!("labeling: {e}")))?;
        }
        let connectivity = self.connectivity.into();
        let scratch = &mut self.label_scratch[..];
        self.cell_count = if self.fill_holes {
            labeling::fill_holes_and_label(mask, connectivity, &mut self.labels, scratch)
        } else {
            labeling::label(mask, connectivity, &mut self.labels, scratch)
        }
        .map_err(core_error("labeling"))?;
        Ok(())
    }
}

/// The simulator's true factors with their gene names, spatial first:
/// `true spatial factor 0`, ..., `true non-spatial factor 0`, ...
fn demo_factors(model: &ExpressionModel) -> impl Iterator<Item = (Factor, String)> {
    let spatial =
        (0..model.nsf().scenario.factors()).map(|l| (Factor::Spatial(l), format!("true spatial factor {l}")));
    let nonspatial = (0..model.nsf().nonspatial_factors as usize)
        .map(|k| (Factor::NonSpatial(k), format!("true non-spatial factor {k}")));
    spatial.chain(nonspatial)
}

/// `gene 9 · spatial 1 + non-spatial 0`: the gene's true factors.
fn demo_gene_name(gene: usize, loading: &GeneLoading) -> String {
    let spatial = loading.spatial_factor.filter(|_| loading.spatial_weight > 0.0);
    let nonspatial = loading.nonspatial_factor.filter(|_| loading.nonspatial_weight > 0.0);
    match (spatial, nonspatial) {
        (Some(l), None) => format!("gene {gene} · spatial factor {l}"),
        (Some(l), Some(k)) => format!("gene {gene} · spatial {l} + non-spatial {k}"),
        (None, Some(k)) => format!("gene {gene} · non-spatial {k}"),
        (None, None) => format!("gene {gene} · background only"),
    }
}

fn no_expression() -> JsError {
    JsError::new("no expression attached: call attachExpression(bytes, fileName) first")
}

/// `(min, max)` over the finite values ([`color::value_range`] with
/// [`Range::MinMax`]), `(NaN, NaN)` when there is none.
fn min_max(values: &[f64]) -> Result<(f64, f64), cellmap_core::Error> {
    let min_max = Normalization { range: Range::MinMax, log1p: false };
    Ok(color::value_range(values, &min_max, &mut [])?.unwrap_or((f64::NAN, f64::NAN)))
}

/// Turns a core error into a `JsError` that says which step failed.
pub(crate) fn core_error(step: &'static str) -> impl Fn(cellmap_core::Error) -> JsError {
    move |e| JsError::new(&format!("{step}: {e}"))
}
