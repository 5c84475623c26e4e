//! # cellmap-wasm-modes
//!
//! The viewer's optional analysis module, loaded when a user opens a per-cell annotation CSV
//! (`cellmap cluster`'s `cell_id,cluster`, or any table with a cell id column), a predicted cell ×
//! gene table (`cellmap evaluate`'s PCC against the measured cells) or a second label image
//! (`cellmap segeval`'s IoU and AP against the cells). It lives apart
//! from the main package (`cellmap-wasm`), which stays within its size budget: this module reads
//! and scores, and hands the per-cell numbers back; the session paints them
//! (`Session.paintCellValues`, `Session.paintCellSlots`).
//!
//! ```js
//! import initModes, { CellAnnotations } from './pkg/modes/cellmap_wasm_modes.js';
//! await initModes();
//! const table = CellAnnotations.fromCsv(bytes, 'clusters.csv', session.cellCount);
//! const { names, counts, slotsByLabel } = table.categories(0);
//! session.paintCellSlots(slotsByLabel, false);
//! ```

use cellmap::evaluate::{Compared, Comparison, Table};
use cellmap::segeval::{DEFAULT_THRESHOLDS, score_segmentation};
use cellmap::{Annotations, ColumnKind, Image, LabelImage};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

/// A per-cell table read from a CSV (`cellmap::Annotations`): a cell id column (`cell_id`, else
/// the first) and other columns, each shown as numbers or as categories. Call `free()` when done.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CellAnnotations {
    inner: Annotations,
}

#[wasm_bindgen]
impl CellAnnotations {
    /// Reads the CSV's bytes for an image whose labels run `1..=cellCount`; `fileName` names the
    /// file in errors (one line: the file, the line, the problem).
    #[wasm_bindgen(js_name = fromCsv)]
    pub fn from_csv(bytes: &[u8], file_name: &str, cell_count: u32) -> Result<CellAnnotations, JsError> {
        let inner = Annotations::from_csv(bytes, file_name, cell_count as usize).map_err(js_error)?;
        Ok(CellAnnotations { inner })
    }

    /// The columns (without the id column) as `[{name, kind}]`, `kind` one of `"integers"`,
    /// `"numbers"`, `"text"` (`cellmap::ColumnKind`).
    pub fn columns(&self) -> Result<Array, JsError> {
        self.inner
            .columns()
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let kind = self.inner.kind(c).unwrap_or(ColumnKind::Text);
                object(&[("name", JsValue::from_str(name)), ("kind", JsValue::from_str(kind.name()))])
            })
            .collect()
    }

    /// The id column's name.
    #[wasm_bindgen(getter, js_name = idColumn)]
    pub fn id_column(&self) -> String {
        self.inner.id_column().to_string()
    }

    /// Rows kept (cells of the image).
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> u32 {
        self.inner.rows() as u32
    }

    /// Rows whose id is not a label of the image.
    #[wasm_bindgen(getter)]
    pub fn unmatched(&self) -> u32 {
        self.inner.unmatched() as u32
    }

    /// A numeric column by label (`Float64Array` of `cellCount + 1`, entry 0 the background; NaN
    /// = no value): for `Session.paintCellValues`.
    pub fn values(&self, column: u32) -> Result<Vec<f64>, JsError> {
        self.inner.values(column as usize).map_err(js_error)
    }

    /// A column as categories: `{names, counts, slots, byLabel, slotsByLabel}` — the sorted
    /// distinct values, the cells of each, each one's colour slot (`cellmap::Categories::slots`:
    /// the 20 most common keep a palette colour, the others share slot 20, "other"), and by
    /// label (`Uint32Array`s of `cellCount + 1`; `0xFFFFFFFF` = no value) the category and the
    /// colour slot, for `Session.paintCellSlots`.
    pub fn categories(&self, column: u32) -> Result<JsValue, JsError> {
        let categories = self.inner.categories(column as usize).map_err(js_error)?;
        let names: Array = categories.names().iter().map(|n| JsValue::from_str(n)).collect();
        let counts: Vec<f64> = categories.counts().iter().map(|&c| c as f64).collect();
        let by_label: Vec<u32> =
            (0..=self.cell_count()).map(|label| categories.of(label).unwrap_or(u32::MAX)).collect();
        object(&[
            ("names", names.into()),
            ("counts", js_sys::Float64Array::from(&counts[..]).into()),
            ("slots", js_sys::Uint32Array::from(&categories.slots()[..]).into()),
            ("byLabel", js_sys::Uint32Array::from(&by_label[..]).into()),
            ("slotsByLabel", js_sys::Uint32Array::from(&categories.slots_by_label()[..]).into()),
        ])
    }
}

impl CellAnnotations {
    fn cell_count(&self) -> usize {
        self.inner.n_cells()
    }
}

/// A predicted cell × gene table (CSV: a `cell_id` column, or an unnamed first column, holds
/// the cell ids; the header names the genes — as `cellmap evaluate` reads it), to compare with the
/// session's measured values (`compare`). Call `free()` when done.
#[wasm_bindgen]
#[derive(Debug)]
pub struct PredictedTable {
    table: Table,
}

#[wasm_bindgen]
impl PredictedTable {
    /// Reads the CSV's bytes (UTF-8); `fileName` names the file in errors.
    #[wasm_bindgen(js_name = fromCsv)]
    pub fn from_csv(bytes: &[u8], file_name: &str) -> Result<PredictedTable, JsError> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| JsError::new(&format!("{file_name}: not UTF-8 text")))?;
        Ok(PredictedTable { table: Table::parse_csv(text, file_name).map_err(js_error)? })
    }

    /// The gene names of the header, in column order.
    pub fn genes(&self) -> Vec<String> {
        self.table.genes.clone().unwrap_or_default()
    }

    /// Rows (cells).
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> u32 {
        self.table.n_cells as u32
    }

    /// Scores the prediction against the measured values of the cells `1..=cellCount`:
    /// `measured` holds one column of `cellCount` values per name in `genes` (e.g.
    /// `Session.geneValues` of the genes the prediction names), column after column. The
    /// prediction's rows are matched by cell id, genes by name (`cellmap::evaluate::Comparison`).
    pub fn compare(
        &self,
        measured: &[f64],
        genes: Vec<String>,
        cell_count: u32,
    ) -> Result<CellComparison, JsError> {
        let inner = Comparison::new(&self.table, measured, &genes, cell_count as usize).map_err(js_error)?;
        Ok(CellComparison { inner })
    }
}

/// A prediction scored against the measured values (`PredictedTable.compare`): the per-gene
/// Pearson correlation of `cellmap evaluate` and per-cell maps of a gene. Call `free()` when done.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CellComparison {
    inner: Comparison,
}

#[wasm_bindgen]
impl CellComparison {
    /// The scores: `{genes, pcc (Float64Array, NaN for a constant gene), mean, median, nanGenes,
    /// cells}` — the numbers `cellmap evaluate PRED MEASURED --csv` prints and writes.
    pub fn scores(&self) -> Result<JsValue, JsError> {
        let e = self.inner.evaluation();
        let genes: Array = e.genes.iter().map(|g| JsValue::from_str(g)).collect();
        object(&[
            ("genes", genes.into()),
            ("pcc", js_sys::Float64Array::from(&e.pcc[..]).into()),
            ("mean", JsValue::from_f64(e.mean)),
            ("median", JsValue::from_f64(e.median)),
            ("nanGenes", JsValue::from_f64(e.nan_genes as f64)),
            ("cells", JsValue::from_f64(self.inner.n_rows() as f64)),
        ])
    }

    /// The per-gene scores as CSV text, `gene,pcc`, written as `cellmap evaluate --csv` writes
    /// them (`cellmap::evaluate::write_scores_csv`).
    #[wasm_bindgen(js_name = scoresCsv)]
    pub fn scores_csv(&self) -> Result<String, JsError> {
        let mut out = Vec::new();
        cellmap::evaluate::write_scores_csv(&mut out, self.inner.evaluation())
            .map_err(|e| JsError::new(&format!("the scores' CSV: {e}")))?;
        String::from_utf8(out).map_err(|_| JsError::new("the scores' CSV is not UTF-8"))
    }

    /// Gene `gene`'s (index into `scores().genes`) `"predicted"`, `"measured"` or `"difference"`
    /// (predicted − measured) per cell, by label (`Float64Array` of `cellCount + 1`; NaN where the
    /// prediction has no row): for `Session.paintCellValues`.
    #[wasm_bindgen(js_name = byLabel)]
    pub fn by_label(&self, gene: u32, what: &str) -> Result<Vec<f64>, JsError> {
        let what = Compared::from_name(what).ok_or_else(|| {
            JsError::new(&format!("unknown map \"{what}\" (known: predicted, measured, difference)"))
        })?;
        self.inner.by_label(gene as usize, what).map_err(js_error)
    }
}

/// Scores a second label image against the cells, as `cellmap segeval CELLS SECOND` does (the
/// shown cells are the true image): `cells` the session's labels and `second` the second image's
/// (`Int32Array`s, row-major; `second` as the main package's `labelImage(bytes, fileName)` reads
/// the file, its ids as they are), `width × height` and `secondWidth × secondHeight`; `fileName`
/// names the second image in errors. Returns `{bestIou, nTrue, nPred, pairs, scores, aji, csv}`:
/// each cell's best IoU with a cell of the second image by label (`Float64Array` of `nTrue + 1`;
/// 0 without overlap, NaN for an id without pixels) — for `Session.paintCellValues` —, the
/// largest labels, the overlapping pairs, `[{threshold, tp, fp, fn, ap}]` at GeneSegNet's
/// thresholds 0.25, 0.75, 0.9, the aggregated Jaccard index, and the scores as `cellmap segeval
/// --csv` writes them.
#[wasm_bindgen(js_name = segmentationScores)]
#[allow(clippy::too_many_arguments)]
pub fn segmentation_scores(
    cells: Vec<i32>,
    width: u32,
    height: u32,
    second: Vec<i32>,
    second_width: u32,
    second_height: u32,
    file_name: &str,
) -> Result<JsValue, JsError> {
    if (second_width, second_height) != (width, height) {
        return Err(JsError::new(&format!(
            "{file_name}: is {second_height}×{second_width}, but the cells are {height}×{width}: the label images must have the same size"
        )));
    }
    let truth = Image::new(width as usize, height as usize, cells)
        .and_then(LabelImage::new)
        .map_err(|e| js_error(e.context("the cells")))?;
    let second = Image::new(width as usize, height as usize, second)
        .and_then(LabelImage::new)
        .map_err(|e| js_error(e.context(file_name)))?;
    let scores = score_segmentation(&truth, &second, &DEFAULT_THRESHOLDS).map_err(js_error)?;
    let mut csv = Vec::new();
    scores.write_csv(&mut csv).map_err(|e| JsError::new(&format!("the scores' CSV: {e}")))?;
    let rows: Array = scores
        .scores
        .iter()
        .map(|s| {
            object(&[
                ("threshold", JsValue::from_f64(s.threshold)),
                ("tp", JsValue::from_f64(s.tp as f64)),
                ("fp", JsValue::from_f64(s.fp as f64)),
                ("fn", JsValue::from_f64(s.fn_ as f64)),
                ("ap", JsValue::from_f64(f64::from(s.ap))),
            ])
        })
        .collect::<Result<_, _>>()?;
    object(&[
        ("bestIou", js_sys::Float64Array::from(&scores.best_iou()[..]).into()),
        ("nTrue", JsValue::from_f64(scores.n_true as f64)),
        ("nPred", JsValue::from_f64(scores.n_pred as f64)),
        ("pairs", JsValue::from_f64(scores.pairs.len() as f64)),
        ("scores", rows.into()),
        ("aji", JsValue::from_f64(scores.aji)),
        ("csv", JsValue::from_str(&String::from_utf8_lossy(&csv))),
    ])
}

/// A plain JS object with these fields.
fn object(fields: &[(&str, JsValue)]) -> Result<JsValue, JsError> {
    let out = Object::new();
    for (key, value) in fields {
        Reflect::set(&out, &JsValue::from_str(key), value)
            .map_err(|_| JsError::new("could not build a JS object"))?;
    }
    Ok(out.into())
}

/// A pipeline error as a JS `Error` with the same one-line message.
fn js_error(error: cellmap::Error) -> JsError {
    JsError::new(&error.to_string())
}
