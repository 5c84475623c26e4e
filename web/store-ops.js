// The worker's ops for a published store where a session's differ (merged over worker.js's `ops`
// by `storeOps`): the exports (the map in view at full data resolution as a PNG, the cells'
// table as CSV from obs and the fetched columns), the selection (by the centroids in obs) and a
// cell's top genes (obsm/cellmap_top_genes, written by `cellmap publish`). Each falls back to the
// session's op when no store is shown.
import { composePng, exportsWasm } from './worker-exports.js';

/**
 * `ops` with the store's versions of the ops above: `state.store()` is the shown PublishedStore
 * (store-worker.js) or null, `state.lut(name)` a colormap's LUT.
 */
export function storeOps(ops, state) {
  const byStore = {
    /** As the session's exportPng, for the window in view at level 0 (PNG_PIXEL_LIMIT at most). */
    async exportPng({ colormap, range, caption }) {
      const { pixels, width, height } = await state.store().fullResolutionView();
      const putMap = (context) => context.putImageData(new ImageData(pixels, width, height), 0, 0);
      return composePng(width, height, putMap, { lut: state.lut(colormap), range, caption });
    },

    /** As the session's exportCellsCsv: the same columns, from obs and X. */
    async exportCellsCsv() {
      const { regions, names, stat, columns, sum } = await state.store().cellsTable();
      const module = await exportsWasm();
      const parts = [];
      module.cellsCsv(regions, names, stat, columns, sum, (chunk) => parts.push(chunk));
      return new Blob(parts, { type: 'text/csv' });
    },

    /** The published top genes (the store's statistic), or null when the store has none. */
    topGenes(label, _stat, count) {
      return state.store().topGenes(label, count);
    },

    /** As the session's cellsInPolygon, by the centroids in obs. */
    cellsInPolygon(points) {
      return Array.from(state.store().cellsInRing(Float64Array.from(points.flatMap(([x, y]) => [x - 0.5, y - 0.5]))));
    },
  };
  const merged = {};
  for (const [name, op] of Object.entries(byStore)) {
    const fallback = ops[name];
    merged[name] = (...args) => (state.store() ? op(...args) : fallback(...args));
  }
  return merged;
}
