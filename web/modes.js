// The page's side of the analysis modes (the worker's is modes-worker.js): the Analysis panel. A
// per-cell CSV (`cellmap cluster`'s cell_id,cluster, or any table with a cell id column) is opened
// with its own file input or dropped (a .csv whose header starts with cell_id); the user picks a
// column and how to show it — categories (a colour per value, a legend of values and cell counts)
// or values (the colour scale, like a gene). Colour by "a column of the per-cell CSV" shows it.
import { formatCount } from './format.js';

/** How a column can be shown: categories always; values only for a numeric column. */
const SHOW_AS = [
  { value: 'categories', text: 'categories (a colour per value)' },
  { value: 'values', text: 'values (the colour scale)' },
];

export class AnalysisPanel {
  /**
   * `elements`: {input, source, column, as}; `hooks`: {call(op, ...args), run(action),
   * onChange(show)} — onChange repaints, with `show` in this mode (colour by the column).
   */
  constructor(elements, hooks) {
    this.elements = elements;
    this.hooks = hooks;
    /** The per-cell CSV's facts ({file, idColumn, rows, unmatched, columns}), or null. */
    this.annotations = null;
    /** A column and how to show it from a link, waiting for a CSV that has the column. */
    this.pending = null;
    elements.as.replaceChildren(...SHOW_AS.map(({ value, text }) =>
      Object.assign(document.createElement('option'), { value, textContent: text })));
    elements.input.addEventListener('change', () => hooks.run(async () => {
      try {
        const [file] = elements.input.files;
        if (file) await this.open(file);
      } finally {
        elements.input.value = '';
      }
    }));
    elements.column.addEventListener('change', () => {
      this.offerShowAs();
      hooks.onChange();
    });
    elements.as.addEventListener('change', () => hooks.onChange());
  }

  /** Opens a per-cell CSV for the shown cells; its first column (or the link's) is then shown. */
  async open(file) {
    this.elements.source.textContent = `Reading ${file.name}…`;
    try {
      this.annotations = await this.hooks.call('openAnnotations', file);
    } catch (error) {
      this.describe();
      throw error;
    }
    this.fillColumns();
    const wanted = this.pending && this.annotations.columns.find(({ name }) => name === this.pending.column);
    if (wanted) {
      this.elements.column.value = wanted.name;
      this.offerShowAs();
      if (this.pending.as && !this.elements.as.querySelector(`[value="${this.pending.as}"]`).disabled) {
        this.elements.as.value = this.pending.as;
      }
    }
    this.pending = null;
    this.describe();
    this.hooks.onChange(true);
  }

  /** After a relabel (mask options): the CSV read again for the new cells, or dropped. */
  async refresh() {
    if (!this.annotations) return;
    this.annotations = await this.hooks.call('annotations');
    if (this.annotations) this.describe();
    else this.reset('The per-cell CSV names none of the relabelled cells: open it again for these labels.');
  }

  fillColumns() {
    const { columns } = this.annotations;
    this.elements.column.replaceChildren(...columns.map(({ name, kind }) =>
      Object.assign(document.createElement('option'), { value: name, textContent: `${name} (${kind})` })));
    this.offerShowAs(true);
  }

  /**
   * Offers "values" only for a numeric column; with `choose`, picks the default: categories for
   * text and whole numbers (cluster ids), values for other numbers.
   */
  offerShowAs(choose = true) {
    const column = this.column();
    if (!column) return;
    const values = this.elements.as.querySelector('[value="values"]');
    values.disabled = column.kind === 'text';
    if (choose) this.elements.as.value = column.kind === 'numbers' ? 'values' : 'categories';
  }

  /** The chosen column ({name, kind}), or null. */
  column() {
    return this.annotations?.columns.find(({ name }) => name === this.elements.column.value) ?? null;
  }

  describe() {
    const a = this.annotations;
    this.elements.source.textContent = a
      ? `${a.file}: ${formatCount(a.rows)} cells, ${formatCount(a.columns.length)} columns (ids in "${a.idColumn}")` +
        `${a.unmatched > 0 ? `; ${formatCount(a.unmatched)} rows of ids that are not cells of this image skipped` : ''}`
      : 'No per-cell CSV open.';
  }

  /** The render settings of the mode: {column, as}. */
  settings() {
    return { column: this.elements.column.value, as: this.elements.as.value };
  }

  /** Whether a column is there to show. */
  get ready() {
    return this.annotations !== null && this.column() !== null;
  }

  /** The view's fields for the URL (hash.js). */
  view() {
    if (!this.ready) return this.pending ?? {};
    return this.settings();
  }

  /** A link's column: shown now when the CSV has it, else once a CSV with it is opened. */
  applyView({ column, as }) {
    if (!column) return;
    if (this.annotations?.columns.some(({ name }) => name === column)) {
      this.elements.column.value = column;
      this.offerShowAs();
      if (as) this.elements.as.value = as;
    } else {
      this.pending = { column, as };
    }
  }

  /** Forgets the CSV (new cells): `note` says why, when it is not the obvious. */
  reset(note = null) {
    this.annotations = null;
    this.elements.column.replaceChildren();
    this.describe();
    if (note) this.elements.source.textContent = note;
  }

  /** Enables what applies: `data` = a session in memory is shown (not a published store). */
  update(data) {
    this.elements.input.disabled = !data;
    this.elements.column.disabled = !data || !this.ready;
    this.elements.as.disabled = !data || !this.ready;
  }
}

/** The maps of a comparison (`cellmap::evaluate::Compared`). */
const COMPARED = [
  { value: 'difference', text: 'difference (predicted − measured)' },
  { value: 'predicted', text: 'predicted' },
  { value: 'measured', text: 'measured (the statistic per cell)' },
];

/**
 * Predicted vs measured: a predicted cell × gene table (CSV, as `cellmap evaluate` reads it) is
 * scored against the loaded expression's statistic per cell — the per-gene Pearson correlation of
 * `cellmap evaluate` — in a gene table sortable by PCC or name; a row shows that gene's predicted,
 * measured or difference map (colour by "predicted vs measured").
 */
export class ComparisonPanel {
  /**
   * `elements`: {input, summary, compared, table (tbody), sortGene, sortPcc, exportCsv};
   * `hooks`: {call, run, onChange(show), stat()} — onChange repaints, with `show` in this mode.
   */
  constructor(elements, hooks) {
    this.elements = elements;
    this.hooks = hooks;
    /** The scores ({file, stat, genes, pcc, mean, median, nanGenes, cells, csv}), or null. */
    this.scores = null;
    /** The gene whose map is shown (a name), or null. */
    this.gene = null;
    /** The table's order: by 'pcc' or 'gene', descending or not. */
    this.sort = { key: 'pcc', descending: true };
    this.pending = null;
    elements.compared.replaceChildren(...COMPARED.map(({ value, text }) =>
      Object.assign(document.createElement('option'), { value, textContent: text })));
    elements.input.addEventListener('change', () => hooks.run(async () => {
      try {
        const [file] = elements.input.files;
        if (file) await this.open(file);
      } finally {
        elements.input.value = '';
      }
    }));
    elements.compared.addEventListener('change', () => hooks.onChange());
    for (const [button, key] of [[elements.sortGene, 'gene'], [elements.sortPcc, 'pcc']]) {
      button.addEventListener('click', () => {
        this.sort = { key, descending: this.sort.key === key ? !this.sort.descending : key === 'pcc' };
        this.fillTable();
      });
    }
    elements.table.addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-gene]');
      if (row) this.choose(row.dataset.gene);
    });
    elements.table.addEventListener('keydown', (event) => {
      const row = event.target.closest('tr[data-gene]');
      if (row && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        this.choose(row.dataset.gene);
      }
    });
    elements.exportCsv.addEventListener('click', () => this.exportCsv());
  }

  /** Opens a predicted table and scores it; its best-correlated gene (or the link's) is chosen. */
  async open(file) {
    this.elements.summary.textContent = `Reading ${file.name}…`;
    try {
      this.show(await this.hooks.call('openPrediction', file, this.hooks.stat()));
    } catch (error) {
      this.describe();
      throw error;
    }
    const wanted = this.pending?.gene;
    this.gene = this.scores.genes.includes(wanted) ? wanted : this.bestGene();
    if (this.pending?.compared) this.elements.compared.value = this.pending.compared;
    this.pending = null;
    this.fillTable();
    this.hooks.onChange(true);
  }

  /** Scores again (another statistic, new labels, new expression); keeps the chosen gene. */
  async refresh() {
    if (!this.scores) return;
    try {
      this.show(await this.hooks.call('comparePrediction', this.hooks.stat()));
    } catch (error) {
      this.reset();
      throw error;
    }
    if (!this.scores.genes.includes(this.gene)) this.gene = this.bestGene();
    this.fillTable();
  }

  show(scores) {
    this.scores = scores;
    this.describe();
  }

  /** The gene with the highest finite PCC (the first gene when none is finite). */
  bestGene() {
    const { genes, pcc } = this.scores;
    let best = 0;
    for (let g = 1; g < genes.length; g += 1) if (!(pcc[g] <= pcc[best]) && !Number.isNaN(pcc[g])) best = g;
    return genes[best];
  }

  /** The summary line: `cellmap evaluate`'s numbers. */
  describe() {
    const s = this.scores;
    this.elements.summary.textContent = s
      ? `${s.file} vs the ${s.stat} per cell: ${formatCount(s.cells)} cells × ${formatCount(s.genes.length)} genes: ` +
        `mean PCC ${s.mean.toFixed(6)}, median ${s.median.toFixed(6)} (${s.nanGenes} genes NaN: constant or too few cells)`
      : 'No predicted table open.';
  }

  /** The gene table in the chosen order, the shown gene marked. */
  fillTable() {
    const { genes, pcc } = this.scores;
    const order = genes.map((_, g) => g);
    const { key, descending } = this.sort;
    const sign = descending ? -1 : 1;
    // NaN (a constant gene) last either way
    order.sort((a, b) => (key === 'gene'
      ? sign * genes[a].localeCompare(genes[b])
      : (Number.isNaN(pcc[a]) - Number.isNaN(pcc[b])) || sign * (pcc[a] - pcc[b]) || a - b));
    this.elements.table.replaceChildren(...order.map((g) => {
      const row = document.createElement('tr');
      row.dataset.gene = genes[g];
      row.tabIndex = 0;
      row.setAttribute('aria-selected', String(genes[g] === this.gene));
      row.append(
        Object.assign(document.createElement('td'), { textContent: genes[g] }),
        Object.assign(document.createElement('td'), { className: 'number', textContent: Number.isNaN(pcc[g]) ? 'NaN' : pcc[g].toFixed(4) }),
      );
      return row;
    }));
    this.elements.sortGene.setAttribute('aria-sort', key === 'gene' ? (descending ? 'descending' : 'ascending') : 'none');
    this.elements.sortPcc.setAttribute('aria-sort', key === 'pcc' ? (descending ? 'descending' : 'ascending') : 'none');
  }

  /** Shows gene `name`'s map. */
  choose(name) {
    this.gene = name;
    for (const row of this.elements.table.children) row.setAttribute('aria-selected', String(row.dataset.gene === name));
    this.hooks.onChange(true);
  }

  /** Downloads the per-gene scores as `cellmap evaluate --csv` writes them. */
  exportCsv() {
    if (!this.scores) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([this.scores.csv], { type: 'text/csv' }));
    link.download = `${this.scores.file.replace(/\.[^.]*$/, '')}_pcc.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  /** Whether a comparison is there to show. */
  get ready() {
    return this.scores !== null && this.gene !== null;
  }

  /** The render settings of the mode: {compareGene, compared}. */
  settings() {
    return { compareGene: this.gene, compared: this.elements.compared.value };
  }

  /** The view's fields for the URL (hash.js): `pgene`, `compared`. */
  view() {
    if (!this.ready) return this.pending ? { pgene: this.pending.gene, compared: this.pending.compared } : {};
    return { pgene: this.gene, compared: this.elements.compared.value };
  }

  /** A link's gene and map: now when the table has the gene, else once a prediction is opened. */
  applyView({ pgene, compared }) {
    if (!pgene && !compared) return;
    if (this.scores?.genes.includes(pgene)) {
      this.gene = pgene;
      if (compared) this.elements.compared.value = compared;
      this.fillTable();
    } else {
      this.pending = { gene: pgene, compared };
    }
  }

  reset() {
    this.scores = null;
    this.gene = null;
    this.elements.table.replaceChildren();
    this.describe();
  }

  /** Enables what applies: `data` = a session in memory with expression is shown. */
  update(data) {
    this.elements.input.disabled = !data;
    for (const control of [this.elements.compared, this.elements.sortGene, this.elements.sortPcc, this.elements.exportCsv]) {
      control.disabled = !data || !this.ready;
    }
  }
}

/**
 * A second label image of the same size, scored against the shown cells as `cellmap segeval
 * CELLS SECOND` does: each cell coloured by its best IoU with a cell of the second image (the
 * fixed range 0–1), a summary with AP at GeneSegNet's thresholds and the aggregated Jaccard
 * index, and the scores exported as `cellmap segeval --csv` writes them.
 */
export class SegmentationPanel {
  /** `elements`: {input, summary, exportCsv}; `hooks`: {call, run, onChange(show)}. */
  constructor(elements, hooks) {
    this.elements = elements;
    this.hooks = hooks;
    /** The scores ({file, nTrue, nPred, pairs, scores, aji, csv}), or null. */
    this.scores = null;
    elements.input.addEventListener('change', () => hooks.run(async () => {
      try {
        const [file] = elements.input.files;
        if (file) await this.open(file);
      } finally {
        elements.input.value = '';
      }
    }));
    elements.exportCsv.addEventListener('click', () => this.exportCsv());
  }

  async open(file) {
    this.elements.summary.textContent = `Reading ${file.name}…`;
    try {
      this.scores = await this.hooks.call('openSecondLabels', file);
    } finally {
      this.describe();
    }
    this.hooks.onChange(true);
  }

  /** After a relabel (mask options): the scores for the new labels. */
  async refresh() {
    if (!this.scores) return;
    this.scores = await this.hooks.call('secondLabels');
    this.describe();
  }

  /** The summary: `cellmap segeval`'s numbers. */
  describe() {
    const s = this.scores;
    if (!s) {
      this.elements.summary.textContent = 'No second label image open.';
      return;
    }
    const ap = s.scores.map(({ threshold, ap }) => `AP@${threshold} ${ap.toFixed(6)}`).join(', ');
    this.elements.summary.textContent = `${s.file}: ${formatCount(s.nTrue)} cells (largest label), ` +
      `${formatCount(s.nPred)} in ${s.file}; ${formatCount(s.pairs)} overlapping pairs; ${ap}; AJI ${s.aji.toFixed(6)}`;
  }

  /** Downloads the scores as `cellmap segeval --csv` writes them. */
  exportCsv() {
    if (!this.scores) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([this.scores.csv], { type: 'text/csv' }));
    link.download = `${this.scores.file.replace(/\.[^.]*$/, '')}_segeval.csv`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  get ready() {
    return this.scores !== null;
  }

  reset() {
    this.scores = null;
    this.describe();
  }

  /** Enables what applies: `data` = a session in memory is shown. */
  update(data) {
    this.elements.input.disabled = !data;
    this.elements.exportCsv.disabled = !data || !this.ready;
  }
}
