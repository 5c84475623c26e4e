//! # cellmap-wasm-exports
//!
//! The viewer's optional exports module: the cells' table (`cellmap::CellsTable`: `cell_id`, the
//! columns of `regions.csv`, each shown gene's statistic as `cellmap run --csv` writes
//! `table.csv`) written as CSV by the pipeline's own writer. It lives apart from the main package
//! (`cellmap-wasm`), which stays within its size budget: the viewer loads it on the first export
//! and passes it the numbers the session gives (`Session.regionFields`, `Session.geneValues`,
//! `Session.cellValues`).
//!
//! ```js
//! import initExports, { cellsCsv } from './pkg/exports/cellmap_wasm_exports.js';
//! await initExports();
//! const parts = [];
//! cellsCsv(session.regionFields(), ['Actb'], 'mean', session.geneValues(0, 'mean'), undefined,
//!          (chunk) => parts.push(chunk));
//! const blob = new Blob(parts, { type: 'text/csv' });
//! ```

use cellmap::{CellsTable, ExtraColumn, Stat};
use cellmap_wasm_chunks::JsChunks;
use wasm_bindgen::prelude::*;

/// Writes the cells' table as CSV (`cellmap::CellsTable::write_csv`), handing it to
/// `sink(Uint8Array)` in chunks of 1 MiB (e.g. the parts of a `Blob`). `regions`: 7 numbers per
/// cell (`Session.regionFields()`); `columns`: one column of `statName` per name in `names`, cells
/// `1..=N` each (`Session.geneValues`), one after the other; `sum`: for several genes, their sum
/// per cell (the shown values, `Session.cellValues()` without entry 0), or `undefined`.
/// `extraName` with `extraNumbers` (one per cell) or `extraText` adds a last column: what an
/// analysis mode shows (a per-cell CSV's column, a predicted gene's map, each cell's best IoU).
#[wasm_bindgen(js_name = cellsCsv)]
#[allow(clippy::too_many_arguments)]
pub fn cells_csv(
    regions: Vec<f64>,
    names: Vec<String>,
    stat_name: &str,
    columns: Vec<f64>,
    sum: Option<Vec<f64>>,
    sink: &js_sys::Function,
    extra_name: Option<String>,
    extra_numbers: Option<Vec<f64>>,
    extra_text: Option<Vec<String>>,
) -> Result<(), JsError> {
    let stat = Stat::from_name(stat_name)
        .ok_or_else(|| JsError::new(&format!("unknown statistic \"{stat_name}\"")))?;
    let mut table =
        CellsTable::new(regions, names, stat, columns, sum).map_err(|e| JsError::new(&e.to_string()))?;
    let extra = match (extra_numbers, extra_text) {
        (Some(numbers), _) => Some(ExtraColumn::Numbers(numbers)),
        (None, Some(text)) => Some(ExtraColumn::Text(text)),
        (None, None) => None,
    };
    if let (Some(name), Some(values)) = (extra_name, extra) {
        table = table.with_column(&name, values).map_err(|e| JsError::new(&e.to_string()))?;
    }
    let mut chunks = JsChunks::new(sink);
    let written = table.write_csv(&mut chunks).and_then(|()| std::io::Write::flush(&mut chunks));
    written.map_err(|e| JsError::new(&format!("cells.csv: {e}")))
}
