// The worker's side of the analysis modes (modes.js is the page's): a per-cell CSV whose columns
// colour the cells — numbers with the colour scale, categories with a colour per value — read by
// the lazily loaded modes module (`pkg/modes/`, wasm/modes) and painted by the session
// (`paintCellValues`, `paintCellSlots`). The module is loaded only when such a file is opened.
import { formatValue } from './format.js';

/** Per-cell CSVs over this size are refused before they are read (the fields are kept in wasm). */
export const MAX_CELL_TABLE_BYTES = 256 << 20;
/** Predicted tables over this size are refused before they are read (parsed whole, as text). */
export const MAX_PREDICTION_BYTES = 256 << 20;
/** The measured columns a comparison copies (genes × cells × 8 bytes) are at most this big. */
const MAX_MEASURED_BYTES = 512 << 20;
/** `slotsByLabel` / `byLabel` entry of a cell without a value. */
const NONE = 0xffffffff;

let modesModule = null;

/** The modes wasm module, loaded on first use. */
function modesWasm() {
  modesModule ??= import('./pkg/modes/cellmap_wasm_modes.js').then(async (module) => {
    await module.default();
    return module;
  });
  return modesModule;
}

/** A file's bytes, after checking its size (`what` says what it is, in the message). */
async function readChecked(file, what, limit) {
  if (file.size > limit) {
    throw new Error(`${file.name}: ${what} of ${(file.size / 2 ** 20).toFixed(0)} MiB is over the viewer's limit of ${limit / 2 ** 20} MiB`);
  }
  return new Uint8Array(await file.arrayBuffer());
}

export class AnalysisModes {
  /** `slotCount`: colours of the categorical palette; categories past them share 'other'. */
  constructor(slotCount) {
    this.slotCount = slotCount;
    /** The per-cell CSV: {file, table (CellAnnotations), columns}, or null. */
    this.annotations = null;
    /** Column index -> its categories ({names, counts, slots, byLabel, slotsByLabel}) or values. */
    this.cache = new Map();
    /**
     * What the last paint showed: {kind: 'categories' | 'values' | 'compare', column, data,
     * exportName (its header in the cells' CSV; default: column)} (and for 'compare' the gene's
     * three `maps`), or null.
     */
    this.shown = null;
    /** The predicted table: {file, table (PredictedTable), comparison (CellComparison) | null}. */
    this.prediction = null;
    /** The second label image: {file, second ({width, height, labels}), scores}, or null. */
    this.segmentation = null;
  }

  /**
   * Scores a second label image (`second`: {width, height, labels}, the main package's
   * `labelImage` of the file) against `session`'s cells, as `cellmap segeval CELLS SECOND`:
   * {file, nTrue, nPred, pairs, scores, aji, csv}. A file that cannot be scored leaves the
   * previous one.
   */
  async openSecondLabels(session, second, fileName) {
    const modes = await modesWasm();
    const scores = modes.segmentationScores(
      session.labels(), session.width, session.height, second.labels, second.width, second.height, fileName);
    this.segmentation = { file: fileName, second, scores };
    return this.describeSegmentation();
  }

  /** Scores the second label image again for new labels (`setMaskOptions`). */
  async rescoreSecondLabels(session) {
    if (!this.segmentation) return null;
    const { second, file } = this.segmentation;
    return this.openSecondLabels(session, second, file);
  }

  describeSegmentation() {
    if (!this.segmentation) return null;
    const { file, scores: { bestIou, ...scores } } = this.segmentation;
    return { file, ...scores };
  }

  /** Paints each cell's best IoU with a cell of the second label image, on the fixed range 0–1. */
  paintIou(session, { colormap, outlines }) {
    if (!this.segmentation) throw new Error('no second label image is open: open one first');
    const data = this.segmentation.scores.bestIou;
    this.shown = { kind: 'values', column: `best IoU with ${this.segmentation.file}`, data, exportName: 'best_iou' };
    return { range: Array.from(session.paintCellValues(data, colormap, 'fixed', 0, 1, false, outlines)) };
  }

  /**
   * Reads a predicted cell × gene table and scores it against `session`'s measured values of
   * `stat` (`comparePrediction`); a table that cannot be read leaves the previous one.
   */
  async openPrediction(file, session, stat) {
    const bytes = await readChecked(file, 'a predicted table', MAX_PREDICTION_BYTES);
    const modes = await modesWasm();
    const table = modes.PredictedTable.fromCsv(bytes, file.name);
    const previous = this.prediction;
    this.prediction = { file, table, comparison: null };
    try {
      const scores = this.comparePrediction(session, stat);
      previous?.comparison?.free();
      previous?.table.free();
      return scores;
    } catch (error) {
      table.free();
      this.prediction = previous;
      throw error;
    }
  }

  /**
   * Scores the predicted table against the measured values of `stat` per cell of the genes it
   * names (`Session.geneValues`, cells 1..=cellCount): {file, stat, genes, pcc, mean, median,
   * nanGenes, cells} — `cellmap evaluate PRED MEASURED`'s numbers, MEASURED being the cells'
   * table (`cellmap run --csv --stat STAT`).
   */
  comparePrediction(session, stat) {
    if (!this.prediction) return null;
    const { file, table } = this.prediction;
    if (session.geneCount === 0) throw new Error(`${file.name}: load the measured expression first (the cells have no genes)`);
    const index = new Map(session.geneNames().map((name, gene) => [name, gene]));
    const genes = [...new Set(table.genes())].filter((name) => index.has(name));
    if (genes.length === 0) {
      throw new Error(`${file.name}: none of its ${table.genes().length} genes is a gene of the loaded expression`);
    }
    const cells = session.cellCount;
    if (genes.length * cells * 8 > MAX_MEASURED_BYTES) {
      throw new Error(`${file.name}: ${genes.length} genes × ${cells} cells of measured values is over the viewer's limit of ${MAX_MEASURED_BYTES / 2 ** 20} MiB`);
    }
    const measured = new Float64Array(genes.length * cells);
    genes.forEach((name, k) => measured.set(session.geneValues(index.get(name), stat), k * cells));
    const comparison = table.compare(measured, genes, cells);
    this.prediction.comparison?.free();
    this.prediction.comparison = comparison;
    return { file: file.name, stat, csv: comparison.scoresCsv(), ...comparison.scores() };
  }

  /**
   * Paints gene `compareGene` (its name) of the comparison — `compared`: 'predicted', 'measured'
   * or 'difference' — with the colour scale: {range}.
   */
  paintComparison(session, { compareGene, compared, colormap, scale, low, high, log1p, outlines }) {
    const comparison = this.prediction?.comparison;
    if (!comparison) throw new Error('no predicted table is open: open one first');
    const gene = comparison.scores().genes.indexOf(compareGene);
    if (gene < 0) throw new Error(`${this.prediction.file.name}: no gene "${compareGene}" in common with the expression`);
    // the three maps of the gene: the one shown, and the others for hover and the cell detail
    const maps = Object.fromEntries(['predicted', 'measured', 'difference'].map((what) => [what, comparison.byLabel(gene, what)]));
    const data = maps[compared];
    if (!data) throw new Error(`unknown map "${compared}" (known: predicted, measured, difference)`);
    this.shown = { kind: 'compare', column: compareGene, data, maps, exportName: `${compareGene}_${compared}` };
    return { range: Array.from(session.paintCellValues(data, colormap, scale, low, high, log1p, outlines)) };
  }

  dropPrediction() {
    this.prediction?.comparison?.free();
    this.prediction?.table.free();
    this.prediction = null;
  }

  /**
   * The last paint's mode as a column of the cells' CSV (cells 1..=N): {name, numbers} or {name,
   * text} (categories; empty for no value), or null outside a mode.
   */
  exportColumn() {
    if (!this.shown) return null;
    const { kind, column, data, exportName = column } = this.shown;
    if (kind === 'categories') {
      return { name: column, text: Array.from(data.byLabel.subarray(1), (c) => (c === NONE ? '' : data.names[c])) };
    }
    return { name: exportName, numbers: data.subarray(1) };
  }

  /** The per-cell values (or categories) of the last paint of a mode, by label (tests, console). */
  shownValues() {
    if (!this.shown) return null;
    return this.shown.kind === 'categories' ? Array.from(this.shown.data.byLabel) : Array.from(this.shown.data);
  }

  /** Reads a per-cell CSV for `session`'s cells (replacing any): what the page shows about it. */
  async openAnnotations(file, session) {
    const bytes = await readChecked(file, 'a per-cell CSV', MAX_CELL_TABLE_BYTES);
    const modes = await modesWasm();
    const table = modes.CellAnnotations.fromCsv(bytes, file.name, session.cellCount);
    this.dropAnnotations();
    this.annotations = { file, table, columns: table.columns() };
    return this.describeAnnotations();
  }

  /** Reads the per-cell CSV again for new labels (`setMaskOptions` changed the cell count). */
  async relabel(session) {
    if (!this.annotations) return null;
    const { file } = this.annotations;
    try {
      return await this.openAnnotations(file, session);
    } catch {
      // no row names a cell of the new labels: the CSV no longer applies
      this.dropAnnotations();
      return null;
    }
  }

  describeAnnotations() {
    if (!this.annotations) return null;
    const { file, table, columns } = this.annotations;
    return { file: file.name, idColumn: table.idColumn, rows: table.rows, unmatched: table.unmatched, columns };
  }

  dropAnnotations() {
    this.annotations?.table.free();
    this.annotations = null;
    this.cache.clear();
    this.shown = null;
  }

  free() {
    this.dropAnnotations();
    this.dropPrediction();
    this.segmentation = null;
  }

  /**
   * Paints column `column` of the per-cell CSV on `session`: as categories (`as` 'categories') or
   * values with the colour scale. Returns {range, legend}: the range used ([NaN, NaN] for
   * categories), and for categories the legend's entries {name, count, slot} (slot order: one
   * per palette colour at most, then 'other'), the other values and their cells, and the cells without a value.
   */
  paintColumn(session, { column, as, colormap, scale, low, high, log1p, outlines }) {
    if (!this.annotations) throw new Error('no per-cell CSV is open: open one first');
    const index = this.annotations.columns.findIndex(({ name }) => name === column);
    if (index < 0) throw new Error(`${this.annotations.file.name} has no column "${column}"`);
    const key = `${index}:${as}`;
    if (!this.cache.has(key)) {
      const table = this.annotations.table;
      this.cache.set(key, as === 'categories' ? table.categories(index) : table.values(index));
    }
    const data = this.cache.get(key);
    this.shown = { kind: as, column, data };
    if (as !== 'categories') {
      return { range: Array.from(session.paintCellValues(data, colormap, scale, low, high, log1p, outlines)) };
    }
    session.paintCellSlots(data.slotsByLabel, outlines);
    return { range: [NaN, NaN], legend: categoryLegend(data, session.cellCount, this.slotCount) };
  }

  /** The shown column's facts of cell `label`: {term, text}, or null outside a column mode. */
  describeCell(label) {
    if (!this.shown) return null;
    const { kind, column, data } = this.shown;
    if (kind === 'categories') {
      const category = data.byLabel[label];
      return { term: column, text: category === undefined || category === NONE ? 'no value' : data.names[category] };
    }
    const text = (value) => (value === undefined || Number.isNaN(value) ? 'no value' : formatValue(value));
    if (kind === 'compare') {
      const { predicted, measured, difference } = this.shown.maps;
      if (predicted[label] === undefined || Number.isNaN(predicted[label])) return { term: column, text: 'not in the prediction' };
      return {
        term: column,
        text: `predicted ${text(predicted[label])}, measured ${text(measured[label])}, difference ${text(difference[label])}`,
      };
    }
    return { term: column, text: text(data[label]) };
  }

  /** The last paint was not of a mode (gene values or cell ids). */
  clearShown() {
    this.shown = null;
  }
}

/** The legend of categories: the slotted ones in slot order, then 'other' and 'no value' counts. */
function categoryLegend({ names, counts, slots }, cellCount, slotCount) {
  const entries = [];
  let otherValues = 0;
  let otherCells = 0;
  let withValue = 0;
  for (let k = 0; k < names.length; k += 1) {
    withValue += counts[k];
    if (slots[k] < slotCount) entries.push({ name: names[k], count: counts[k], slot: slots[k] });
    else {
      otherValues += 1;
      otherCells += counts[k];
    }
  }
  entries.sort((a, b) => a.slot - b.slot);
  return { entries, otherValues, otherCells, values: names.length, withValue, withoutValue: cellCount - withValue };
}
