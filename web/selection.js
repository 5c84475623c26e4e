// Selecting cells on the map: a rectangle or a lasso drawn in a selection mode; the cells whose
// centroid lies inside (the worker's cellsInPolygon: cellmap::cells_in_ring, boundary included)
// are counted and can be exported as a CSV of ids. While a mode is on, dragging draws instead of
// panning (the wheel still zooms).
import { download } from './exports.js';

const SVG = 'http://www.w3.org/2000/svg';

export class Selection {
  /**
   * `elements`: {viewport, canvas, modes: {rectangle, lasso} (toggle buttons), count, exportIds,
   * clear}; `viewer`: {call(op, ...args), run(action)}; `mapView` maps viewport points to pixels.
   */
  constructor(elements, viewer, mapView) {
    this.elements = elements;
    this.viewer = viewer;
    this.mapView = mapView;
    this.mode = null;
    /** The selection's polygon in image pixels ([x, y], pixel c spans [c, c + 1)), or null. */
    this.polygon = null;
    this.ids = [];
    this.drawing = null;
    // an overlay in image coordinates that follows the canvas' zoom and pan
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('selection-overlay');
    this.svg.setAttribute('aria-hidden', 'true');
    this.shape = document.createElementNS(SVG, 'polygon');
    this.svg.append(this.shape);
    elements.canvas.after(this.svg);
    new MutationObserver(() => this.follow()).observe(elements.canvas, { attributes: true, attributeFilter: ['style', 'width', 'height'] });
    for (const [mode, button] of Object.entries(elements.modes)) {
      button.addEventListener('click', () => this.setMode(this.mode === mode ? null : mode));
    }
    elements.clear.addEventListener('click', () => this.clear());
    elements.exportIds.addEventListener('click', () => this.exportIds());
    const viewport = elements.viewport;
    // capture: runs before the map view's panning, which it stops while a mode is on
    viewport.addEventListener('pointerdown', (event) => this.onDown(event), { capture: true });
    viewport.addEventListener('pointermove', (event) => this.onMove(event), { capture: true });
    viewport.addEventListener('pointerup', (event) => this.onUp(event), { capture: true });
    this.follow();
    this.showCount();
  }

  /** `null`, 'rectangle' or 'lasso'. */
  setMode(mode) {
    this.mode = mode;
    for (const [name, button] of Object.entries(this.elements.modes)) button.setAttribute('aria-pressed', String(name === mode));
    this.elements.viewport.classList.toggle('selecting', mode !== null);
  }

  /** Forgets the selection (also when the cells change). */
  clear() {
    this.polygon = null;
    this.ids = [];
    this.drawShape([]);
    this.showCount();
  }

  /** Enables the controls: a session and idle. */
  update({ idle, session }) {
    const data = idle && session !== null;
    for (const button of Object.values(this.elements.modes)) button.disabled = !data;
    if (!data && this.mode) this.setMode(null);
    this.elements.exportIds.disabled = !data || this.ids.length === 0;
    this.elements.clear.disabled = !data || this.polygon === null;
  }

  follow() {
    const { canvas } = this.elements;
    this.svg.setAttribute('width', String(canvas.width));
    this.svg.setAttribute('height', String(canvas.height));
    // the canvas holds the image (or, for a published store, the window at `placement`): the
    // polygon is in image pixels
    const { x, y, factor } = this.mapView.placement;
    this.svg.setAttribute('viewBox', `${x} ${y} ${canvas.width * factor} ${canvas.height * factor}`);
    this.svg.style.transform = canvas.style.transform;
    // the overlay is scaled with the map: a 2 px line on screen
    this.shape.style.strokeWidth = String(2 / this.mapView.scale);
  }

  /** Image coordinates (continuous, pixel c spans [c, c + 1)) of a pointer event. */
  imagePoint(event) {
    const box = this.elements.viewport.getBoundingClientRect();
    const { offsetX, offsetY, scale } = this.mapView;
    return [(event.clientX - box.left - offsetX) / scale, (event.clientY - box.top - offsetY) / scale];
  }

  onDown(event) {
    if (!this.mode || event.button !== 0) return;
    event.stopImmediatePropagation();
    this.elements.viewport.setPointerCapture(event.pointerId);
    this.drawing = { start: this.imagePoint(event), points: [this.imagePoint(event)] };
  }

  onMove(event) {
    if (!this.drawing) return;
    event.stopImmediatePropagation();
    const point = this.imagePoint(event);
    if (this.mode === 'lasso') this.drawing.points.push(point);
    else this.drawing.points = rectangle(this.drawing.start, point);
    this.drawShape(this.drawing.points);
  }

  onUp(event) {
    if (!this.drawing) return;
    event.stopImmediatePropagation();
    if (this.elements.viewport.hasPointerCapture(event.pointerId)) this.elements.viewport.releasePointerCapture(event.pointerId);
    const point = this.imagePoint(event);
    const points = this.mode === 'lasso' ? [...this.drawing.points, point] : rectangle(this.drawing.start, point);
    this.drawing = null;
    this.viewer.run(() => this.select(points));
  }

  /** Selects the cells whose centroid lies in `points` (image coordinates). */
  async select(points) {
    this.polygon = points;
    this.drawShape(points);
    this.ids = await this.viewer.call('cellsInPolygon', points);
    this.showCount();
    this.elements.exportIds.disabled = this.ids.length === 0;
    this.elements.clear.disabled = false;
  }

  drawShape(points) {
    this.shape.setAttribute('points', points.map(([x, y]) => `${x},${y}`).join(' '));
  }

  showCount() {
    const n = this.ids.length;
    this.elements.count.textContent = this.polygon === null ? 'No selection.' : `${n.toLocaleString('en-US')} cell${n === 1 ? '' : 's'} selected.`;
  }

  exportIds() {
    const text = `cell_id\n${this.ids.map((id) => `${id}\n`).join('')}`;
    download(new Blob([text], { type: 'text/csv' }), 'cellmap_selection.csv');
  }
}

/** The corners of the rectangle spanned by two points. */
function rectangle([x0, y0], [x1, y1]) {
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
}
