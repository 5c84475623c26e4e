// Transcript tables on the page: the column-mapping dialog (when a dropped table's header is not
// recognised) and the dots of the shown genes' transcripts drawn over the map when zoomed in.
// Reading, counting and the points themselves come from the worker (worker.js, the wasm tables
// module); this module only asks the user and draws.

/** Dots are drawn from this zoom on (screen pixels per image pixel). */
export const DOTS_MIN_SCALE = 2;
/** Side of the square buckets of the spatial index, in image pixels. */
const BUCKET = 32;
/** One colour per shown gene (RGBA as little-endian uint32), cycled; dots have a dark ring. */
const DOT_COLOURS = [0xff3b30ff, 0xffc700ff, 0x30d5ffff, 0xff5ac8ff, 0x7dff4aff, 0xffffffff].map(
  (rgba) => ((rgba & 0xff) << 24 | (rgba >>> 8 & 0xff) << 16 | (rgba >>> 16 & 0xff) << 8 | rgba >>> 24) >>> 0,
);
const RING = 0xff101010;

/**
 * The dots of the shown genes' transcripts, on a canvas over the map the size of the viewport. The
 * points (pixel coordinates from the worker) are bucketed once per gene change into a grid of
 * BUCKET-pixel squares; a redraw (pan, zoom) visits only the buckets in view and writes the dots
 * into an ImageData, so panning costs the visible points, not all of them.
 */
export class TranscriptDots {
  constructor(viewport, mapView) {
    this.viewport = viewport;
    this.mapView = mapView;
    this.canvas = Object.assign(document.createElement('canvas'), { id: 'dots', ariaHidden: 'true' });
    this.canvas.setAttribute('aria-hidden', 'true');
    viewport.querySelector('#map').after(this.canvas);
    this.context = this.canvas.getContext('2d');
    this.points = null;
    this.pending = false;
    /** Dots drawn by the last redraw (for tests and the console). */
    this.drawn = 0;
    mapView.onViewChange(() => this.schedule());
  }

  /**
   * New points: `xy` (Float32Array, column and row interleaved), `starts` (gene k's points are
   * starts[k]..starts[k+1]) for an image of `width` × `height`; null for none.
   */
  setPoints(points, width, height) {
    this.points = points && bucketed(points, width, height);
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.redraw();
    });
  }

  /** Draws the dots in view (none when zoomed out below DOTS_MIN_SCALE). */
  redraw() {
    const { clientWidth: width, clientHeight: height } = this.viewport;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    const { scale, offsetX, offsetY } = this.mapView;
    this.drawn = 0;
    if (!this.points || scale < DOTS_MIN_SCALE || width === 0 || height === 0) {
      this.context.clearRect(0, 0, width, height);
      this.canvas.hidden = true;
      return;
    }
    this.canvas.hidden = false;
    const { xy, gene, bucketStart, columns, rows } = this.points;
    const image = this.context.createImageData(width, height);
    const pixels = new Uint32Array(image.data.buffer);
    const firstColumn = Math.max(0, Math.floor(-offsetX / scale / BUCKET));
    const lastColumn = Math.min(columns - 1, Math.floor((width - offsetX) / scale / BUCKET));
    const firstRow = Math.max(0, Math.floor(-offsetY / scale / BUCKET));
    const lastRow = Math.min(rows - 1, Math.floor((height - offsetY) / scale / BUCKET));
    for (let row = firstRow; row <= lastRow; row += 1) {
      const start = bucketStart[row * columns + firstColumn];
      const end = bucketStart[row * columns + lastColumn + 1];
      for (let i = start; i < end; i += 1) {
        const x = Math.round(xy[2 * i] * scale + offsetX);
        const y = Math.round(xy[2 * i + 1] * scale + offsetY);
        if (x < 2 || y < 2 || x >= width - 2 || y >= height - 2) continue;
        const colour = DOT_COLOURS[gene[i] % DOT_COLOURS.length];
        for (let dy = -2; dy <= 2; dy += 1) {
          const line = (y + dy) * width + x;
          const edge = dy === -2 || dy === 2;
          for (let dx = edge ? -1 : -2; dx <= (edge ? 1 : 2); dx += 1) {
            pixels[line + dx] = edge || dx === -2 || dx === 2 ? RING : colour;
          }
        }
        this.drawn += 1;
      }
    }
    this.context.putImageData(image, 0, 0);
  }
}

/**
 * The points sorted by bucket (row-major buckets of BUCKET² image pixels; points outside the image
 * left out), with each point's gene position (k of `starts`) and each bucket's first point.
 */
function bucketed({ xy, starts }, width, height) {
  const columns = Math.max(1, Math.ceil(width / BUCKET));
  const rows = Math.max(1, Math.ceil(height / BUCKET));
  const total = xy.length / 2;
  const bucketOf = new Int32Array(total);
  const bucketStart = new Uint32Array(columns * rows + 1);
  for (let i = 0; i < total; i += 1) {
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    const inside = x >= 0 && y >= 0 && x < width && y < height;
    bucketOf[i] = inside ? Math.floor(y / BUCKET) * columns + Math.floor(x / BUCKET) : -1;
    if (inside) bucketStart[bucketOf[i] + 1] += 1;
  }
  for (let b = 1; b < bucketStart.length; b += 1) bucketStart[b] += bucketStart[b - 1];
  const kept = bucketStart[bucketStart.length - 1];
  const sorted = new Float32Array(2 * kept);
  const gene = new Uint8Array(kept);
  const next = bucketStart.slice(0, -1);
  let k = 0;
  for (let i = 0; i < total; i += 1) {
    while (i >= starts[k + 1]) k += 1;
    if (bucketOf[i] < 0) continue;
    const slot = next[bucketOf[i]];
    next[bucketOf[i]] += 1;
    sorted[2 * slot] = xy[2 * i];
    sorted[2 * slot + 1] = xy[2 * i + 1];
    gene[slot] = k;
  }
  return { xy: sorted, gene, bucketStart, columns, rows };
}

/**
 * Asks which columns of a transcript table are x, y and gene (its header was not recognised), with
 * the preset, units per pixel and an optional transform as `cellmap assign` takes them. Resolves
 * with `{preset, x, y, gene, scale, transform}` or null when the user cancels. A modal <dialog>:
 * labelled fields, focus inside it, Escape cancels.
 */
export function askColumns({ file, columns, preset, found, presets }) {
  const dialog = document.createElement('dialog');
  dialog.className = 'columns-dialog';
  dialog.setAttribute('aria-labelledby', 'columns-title');
  const options = (values, chosen) => values.map((value) =>
    `<option${value === chosen ? ' selected' : ''}>${escapeHtml(value)}</option>`).join('');
  const guess = (role, fallback) => found?.[role] ?? columns[fallback] ?? columns[0];
  dialog.innerHTML = `
    <form method="dialog">
      <h2 id="columns-title">Columns of ${escapeHtml(file)}</h2>
      <p class="hint">The header does not name x, y and gene columns the viewer knows. Pick them
        (as <code>cellmap assign --x-col --y-col --gene-col</code>).</p>
      <label for="columns-x">x (image column direction)</label>
      <select id="columns-x">${options(columns, guess('x', 0))}</select>
      <label for="columns-y">y (image row direction)</label>
      <select id="columns-y">${options(columns, guess('y', 1))}</select>
      <label for="columns-gene">gene</label>
      <select id="columns-gene">${options(columns, guess('gene', 2))}</select>
      <label for="columns-preset">Preset (units, quality filter, control probes)</label>
      <select id="columns-preset">${options(presets, preset)}</select>
      <label for="columns-scale">Units per pixel (blank: the preset's)</label>
      <input type="number" id="columns-scale" step="any" min="0">
      <label for="columns-transform">Affine transform (optional, <code>a,b,c;d,e,f</code>)</label>
      <input type="text" id="columns-transform" spellcheck="false">
      <div class="dialog-buttons">
        <button type="submit" value="ok" id="columns-ok">Read the table</button>
        <button type="submit" value="cancel" formnovalidate>Cancel</button>
      </div>
    </form>`;
  document.body.append(dialog);
  const field = (id) => dialog.querySelector(`#columns-${id}`);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const scale = field('scale').value.trim();
      const answer = dialog.returnValue === 'ok'
        ? {
          preset: field('preset').value,
          x: field('x').value,
          y: field('y').value,
          gene: field('gene').value,
          scale: scale === '' ? undefined : Number(scale),
          transform: field('transform').value.trim() || undefined,
        }
        : null;
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    field('x').focus();
  });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
