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

use cellmap::{CellsTable, Stat};
use cellmap_wasm_chunks::JsChunks;
use wasm_bindgen::prelude::*;

/// Writes the cells' table as CSV (`cellmap::CellsTable::write_csv`), handing it to
/// `sink(Uint8Array)` in chunks of 1 MiB (e.g. the parts of a `Blob`). `regions`: 7 numbers per
/// cell (`Session.regionFields()`); `columns`: one column of `statName` per name in `names`, cells
/// `1..=N` each (`Session.geneValues`), one after the other; `sum`: for several genes, their sum
/// per cell (the shown values, `Session.cellValues()` without entry 0), or `undefined`.
#[wasm_bindgen(js_name = cellsCsv)]
pub fn cells_csv(
    regions: Vec<f64>,
    names: Vec<String>,
    stat_name: &str,
    columns: Vec<f64>,
    sum: Option<Vec<f64>>,
    sink: &js_sys::Function,
) -> Result<(), JsError> {
    let stat = Stat::from_name(stat_name)
        .ok_or_else(|| JsError::new(&format!("unknown statistic \"{stat_name}\"")))?;
    let table =
        CellsTable::new(regions, names, stat, columns, sum).map_err(|e| JsError::new(&e.to_string()))?;
    let mut chunks = JsChunks::new(sink);
    let written = table.write_csv(&mut chunks).and_then(|()| std::io::Write::flush(&mut chunks));
    written.map_err(|e| JsError::new(&format!("cells.csv: {e}")))
}
