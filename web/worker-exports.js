// The worker's export ops (merged into worker.js's `ops`): the map as a PNG at full data resolution
// with its legend, the cells' table as CSV (written by the lazily loaded exports module with the
// pipeline's formatting), one cell's top genes, the cells of a selection. Exports come back as
// Blobs: the page only downloads them.
import { formatValue } from './format.js';

/** LUT entries of the PNG's colour bar are this many pixels wide (times the legend scale). */
export const BAR_ENTRY_PX = 2;

/**
 * Where the parts of an exported PNG are, for an image of `width × height` (a pure function: the
 * tests use it too). The map is at (0, 0) at 1 PNG pixel per data pixel; below it a white legend
 * band holds the caption, the colour bar (256 LUT entries of `entry` px each) and the range at its
 * ends; the PNG is at least as wide as the bar plus margins. Everything in the band scales with
 * `scale` = max(1, floor(width / 1024)) so that it stays readable next to a large map.
 */
export function pngLayout(width, height) {
  const scale = Math.max(1, Math.floor(width / 1024));
  const margin = 16 * scale;
  const entry = BAR_ENTRY_PX * scale;
  const barWidth = 256 * entry;
  return {
    scale,
    width: Math.max(width, barWidth + 2 * margin),
    height: height + 84 * scale,
    caption: { x: margin, y: height + 8 * scale, font: 14 * scale },
    bar: { x: margin, y: height + 30 * scale, width: barWidth, height: 18 * scale, entry },
    numbers: { y: height + 54 * scale, font: 13 * scale },
  };
}

/**
 * A PNG Blob of a `width × height` map with its legend (layout: `pngLayout`): `putMap(context)`
 * puts the map's pixels at (0, 0); `lut` is the colormap's 256 RGBA entries, `caption` names the
 * gene(s) and the statistic, `range` is the paint's [lo, hi].
 */
export function composePng(width, height, putMap, { lut, range, caption }) {
  const layout = pngLayout(width, height);
  const canvas = new OffscreenCanvas(layout.width, layout.height);
  const context = canvas.getContext('2d');
  context.fillStyle = '#ffffff';
  context.fillRect(0, height, layout.width, layout.height - height);
  putMap(context);
  const { bar } = layout;
  for (let k = 0; k < 256; k += 1) {
    context.fillStyle = `rgb(${lut[4 * k]}, ${lut[4 * k + 1]}, ${lut[4 * k + 2]})`;
    context.fillRect(bar.x + k * bar.entry, bar.y, bar.entry, bar.height);
  }
  context.fillStyle = '#1c2330';
  context.textBaseline = 'top';
  context.font = `${layout.caption.font}px sans-serif`;
  context.fillText(caption, layout.caption.x, layout.caption.y, layout.width - 2 * layout.caption.x);
  context.font = `${layout.numbers.font}px sans-serif`;
  const [low, high] = range;
  context.textAlign = 'left';
  context.fillText(Number.isNaN(low) ? 'no value' : formatValue(low), bar.x, layout.numbers.y);
  context.textAlign = 'right';
  context.fillText(Number.isNaN(high) ? '' : formatValue(high), bar.x + bar.width, layout.numbers.y);
  return canvas.convertToBlob({ type: 'image/png' });
}

let exportsModule = null;

/** The exports wasm module, loaded on first use. */
export function exportsWasm() {
  exportsModule ??= import('./pkg/exports/cellmap_wasm_exports.js').then(async (module) => {
    await module.default();
    return module;
  });
  return exportsModule;
}

/** A Float64Array of the arrays one after the other. */
function concat(arrays) {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** The export ops over the worker's state: `state.session()`, `state.wasm()`, `state.lut(name)`. */
export function exportOps(state) {
  const live = () => {
    const session = state.session();
    if (!session) throw new Error('nothing loaded: open a mask or show the demo first');
    return session;
  };
  return {
    /**
     * The painted map (the last paint, as shown) at 1 pixel per data pixel with its legend, as a
     * PNG Blob (layout: `pngLayout`). `caption` names the gene(s) and the statistic; `range` is the
     * paint's [lo, hi]; `strip` (256 RGBA entries), when given, is the bar instead of the colormap
     * (categories: the colours in use, the caption naming them left to right). Composed on an OffscreenCanvas from wasm memory in strips, so a large map
     * is never copied whole.
     */
    async exportPng({ colormap, range, caption, strip: barColours = null }) {
      const session = live();
      const { width, height } = session;
      const putMap = (context) => {
        const strip = Math.max(1, Math.floor((8 << 20) / (width * 4)));
        for (let row = 0; row < height; row += strip) {
          const rows = Math.min(strip, height - row);
          const offset = session.pixelsPtr() + row * width * 4;
          const pixels = new Uint8ClampedArray(state.wasm().memory.buffer, offset, rows * width * 4);
          context.putImageData(new ImageData(pixels, width, rows), 0, row);
        }
      };
      return composePng(width, height, putMap, { lut: barColours ?? state.lut(colormap), range, caption });
    },

    /**
     * The cells' table as a CSV Blob: `cell_id`, the columns of `regions.csv`, each shown gene's
     * statistic (as `cellmap run --csv` writes table.csv) and, for several genes, `sum_of_genes`;
     * in an analysis mode its column last (`state.modeColumn()`).
     */
    async exportCellsCsv() {
      const session = live();
      const genes = session.geneCount > 0 ? Array.from(session.shownGenes()) : [];
      const stat = session.shownStat() ?? 'mean';
      const names = session.geneCount > 0 ? session.geneNames() : [];
      const columns = concat(genes.map((gene) => session.geneValues(gene, stat)));
      const sum = genes.length > 1 ? session.cellValues().subarray(1) : undefined;
      const regions = session.regionFields();
      const module = await exportsWasm();
      const parts = [];
      // an analysis mode's column last (a per-cell CSV's column, a predicted gene's map, the IoU)
      const extra = state.modeColumn?.() ?? null;
      module.cellsCsv(regions, genes.map((gene) => names[gene]), stat, columns, sum, (chunk) => parts.push(chunk),
        extra?.name, extra?.numbers, extra?.text);
      return new Blob(parts, { type: 'text/csv' });
    },

    /** The `count` genes with the largest `stat` in cell `label`: [{gene, name, value}]. */
    topGenes(label, stat, count) {
      const session = live();
      if (session.geneCount === 0) return [];
      const pairs = session.topGenes(label, stat, count);
      const names = session.geneNames();
      const genes = [];
      for (let k = 0; k < pairs.length; k += 2) genes.push({ gene: pairs[k], name: names[pairs[k]], value: pairs[k + 1] });
      return genes;
    },

    /**
     * The labels of the cells whose centroid lies in the polygon `points` ([[x, y], ...] in image
     * pixels where pixel (row r, col c) spans [c, c + 1) × [r, r + 1)); the boundary is in.
     */
    cellsInPolygon(points) {
      // the session's frame has integers at pixel centres
      const xy = Float64Array.from(points.flatMap(([x, y]) => [x - 0.5, y - 0.5]));
      return Array.from(live().cellsInRing(xy));
    },

    /**
     * The transcript → cell assignments as a CSV Blob (`cell_id,spotX,spotY,gene`, as `cellmap
     * assign` writes assignments.csv), for the session's labels, written in chunks by the tables
     * module.
     */
    exportAssignments() {
      const session = live();
      const transcripts = state.transcripts();
      if (!transcripts) throw new Error('no transcripts loaded: load a transcript table to export their cells');
      const parts = [];
      transcripts.assignmentsCsv(state.wasm(), session, (chunk) => parts.push(chunk));
      return new Blob(parts, { type: 'text/csv' });
    },
  };
}
