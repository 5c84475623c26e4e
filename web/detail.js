// Cell detail: a click on a cell (not a drag), or Enter on the map for the cell under the view's
// centre, opens a panel with its id, area, centroid, value, and its top 10 genes by the current
// statistic as a small bar chart (from the worker: cellmap::Session::top_genes, or for a published
// store the ranking `cellmap publish` wrote in obsm). Escape closes it.
import { formatCount, formatValue } from './format.js';

const TOP_GENES = 10;
/** A pointer that moved less than this (px) between down and up clicked. */
const CLICK_SLOP = 4;

export class CellDetail {
  /**
   * `elements`: {panel, title, facts, genesTitle, genes, close, viewport}; `viewer`:
   * {call(op, ...args), session(), stat(), run(action)}; `mapView` maps viewport points to pixels.
   */
  constructor(elements, viewer, mapView) {
    this.elements = elements;
    this.viewer = viewer;
    this.mapView = mapView;
    /** The shown cell's label, or null. */
    this.label = null;
    this.down = null;
    const { viewport } = elements;
    viewport.addEventListener('pointerdown', (event) => {
      this.down = event.button === 0 ? { x: event.clientX, y: event.clientY } : null;
    });
    viewport.addEventListener('pointerup', (event) => {
      const down = this.down;
      this.down = null;
      if (!down || Math.hypot(event.clientX - down.x, event.clientY - down.y) > CLICK_SLOP) return;
      const box = viewport.getBoundingClientRect();
      viewer.run(() => this.openAt(event.clientX - box.left, event.clientY - box.top));
    });
    viewport.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      viewer.run(() => this.openAt(viewport.clientWidth / 2, viewport.clientHeight / 2));
    });
    elements.close.addEventListener('click', () => this.close());
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.label !== null) {
        event.preventDefault();
        this.close();
      }
    });
  }

  /** Opens the panel on the cell at viewport point (x, y); background closes it. */
  async openAt(x, y) {
    const pixel = this.mapView.pixelAt(x, y);
    if (!pixel || !this.viewer.session()) return;
    const label = await this.viewer.call('cellAt', pixel.row, pixel.col);
    if (label === 0) {
      this.close();
      return;
    }
    await this.show(label);
    this.elements.close.focus();
  }

  /** Fills the panel with cell `label`'s facts and top genes. */
  async show(label) {
    const stat = this.viewer.stat();
    const session = this.viewer.session();
    const [info, genes] = await Promise.all([
      this.viewer.call('cellInfoOf', label),
      session.geneCount > 0 ? this.viewer.call('topGenes', label, stat, TOP_GENES) : [],
    ]);
    this.label = label;
    const { elements } = this;
    elements.title.textContent = `Cell ${label}`;
    const facts = [
      ['id', String(label)],
      ['area', `${formatCount(info.area)} px`],
      ['centroid', `row ${info.centroidRow.toFixed(1)}, col ${info.centroidCol.toFixed(1)}`],
      [session.geneCount > 0 ? `value (${stat})` : 'value', formatValue(info.value)],
    ];
    // an analysis mode's value of the cell (e.g. the per-cell CSV column's category)
    if (info.mode) facts.push([info.mode.term, info.mode.text]);
    elements.facts.replaceChildren(...facts.flatMap(([term, value]) => [
      Object.assign(document.createElement('dt'), { textContent: term }),
      Object.assign(document.createElement('dd'), { textContent: value }),
    ]));
    // a published store ranks them when it is published (null: a store without the ranking)
    elements.genesTitle.textContent = genes === null
      ? 'This store has no ranked genes (obsm/cellmap_top_genes, written by cellmap publish): ranking them here would fetch every gene\'s column.'
      : session.geneCount > 0
        ? `Top ${TOP_GENES} genes by ${stat}`
        : 'No expression loaded: no genes to rank.';
    const ranked = genes ?? [];
    const largest = Math.max(0, ...ranked.map(({ value }) => value));
    elements.genes.replaceChildren(...ranked.map(({ name, value }) => {
      const item = document.createElement('li');
      const bar = Object.assign(document.createElement('span'), { className: 'bar' });
      bar.style.width = `${largest > 0 ? Math.max(0, (100 * value) / largest) : 0}%`;
      item.append(
        Object.assign(document.createElement('span'), { className: 'gene', textContent: name }),
        Object.assign(document.createElement('span'), { className: 'track' }),
        Object.assign(document.createElement('span'), { className: 'number', textContent: formatValue(value) }),
      );
      item.children[1].append(bar);
      item.setAttribute('aria-label', `${name}: ${formatValue(value)}`);
      return item;
    }));
    elements.panel.hidden = false;
  }

  /** Shows the open cell again (new values, statistic or names), or closes it if it is gone. */
  async refresh() {
    if (this.label === null) return;
    const session = this.viewer.session();
    if (!session || this.label > session.cellCount) this.close();
    else await this.show(this.label);
  }

  close() {
    if (this.label === null) return;
    this.label = null;
    this.elements.panel.hidden = true;
    this.elements.viewport.focus();
  }
}
