// A published store (`cellmap publish`'s data.zarr) viewed lazily, in the viewer's Web Worker:
// fetches the keys the store module (pkg/store/, crate wasm/store) names — the root zarr.json with
// the consolidated metadata, the metadata arrays (indptr, gene names, obs columns), then per view
// only the label chunks of the pyramid level in view and per gene only its CSC column's chunks —
// and hands their bytes to Rust, which decodes, caches (LRU) and paints them. A key the server
// does not have (404, or 403 as S3 answers) is a chunk that is all background. For the exports,
// selections and the cell detail (store-ops.js) it also gives the view at level 0, the cells'
// table from obs and the columns, and each cell's top genes from obsm.
//
// `cellmap publish` writes manifest.json next to data.zarr: when it names this store (`data`),
// its `statistic` says what X holds (default `sum`), `title` names the data and `default_view`
// (`gene`, `colormap`) is what the store opens on.

/** Decoded label chunks kept (1 MiB each at 512 × 512): a 1080p view needs about 20–30. */
const CHUNK_CAPACITY = 96;
/** Gene columns kept (8 bytes per cell each). */
const COLUMN_CAPACITY = 16;
/** Requests in flight at once. */
const PARALLEL = 8;
/** The statistics X may hold (the manifest's `statistic`). */
const STATISTICS = ['mean', 'sum', 'count', 'min', 'max'];
/**
 * The most pixels a PNG export of a store draws at full resolution (4096 × 4096): the level-0
 * window in view is composed in wasm memory (8 bytes per pixel) and copied out once. Its label
 * chunks must also fit in the chunk cache at once (CHUNK_CAPACITY).
 */
export const PNG_PIXEL_LIMIT = 1 << 24;

let storeModule = null;

/** The store module, loaded on the first published store. */
function loadModule() {
  storeModule ??= import('./pkg/store/cellmap_wasm_store.js').then(async (module) => {
    const wasm = await module.default();
    return { PublishedView: module.PublishedView, memory: wasm.memory };
  });
  return storeModule;
}

/**
 * manifest.json next to the store at `url` (no trailing '/'), when it names this store; null when
 * there is none (a store published by other tools) or it is about another store.
 */
async function readManifest(url) {
  const at = new URL('manifest.json', url).href;
  let response;
  try {
    response = await fetch(at);
  } catch {
    return null;
  }
  if (!response.ok) return null;
  let manifest;
  try {
    manifest = JSON.parse(await response.text());
  } catch (error) {
    throw new Error(`${at}: not JSON (${error.message})`);
  }
  const name = new URL(url).pathname.split('/').filter(Boolean).pop();
  if (manifest?.data !== name) return null;
  if (manifest.statistic !== undefined && !STATISTICS.includes(manifest.statistic)) {
    throw new Error(`${at}: statistic '${manifest.statistic}' is not one of ${STATISTICS.join(', ')}`);
  }
  return manifest;
}

export class PublishedStore {
  /**
   * Opens the store at `url` (absolute; a folder URL, with or without the trailing '/'):
   * `progress(step, file, done, total)` reports the fetches.
   */
  static async open(url, progress) {
    const base = url.endsWith('/') ? url : `${url}/`;
    const module = await loadModule();
    const store = new PublishedStore(base, progress);
    store.memory = module.memory;
    const root = await store.get('zarr.json', true);
    store.view = new module.PublishedView(root, url.replace(/\/$/, ''), CHUNK_CAPACITY, COLUMN_CAPACITY);
    store.manifest = await readManifest(url.replace(/\/$/, ''));
    store.statistic = store.manifest?.statistic ?? 'sum';
    const names = store.view.metaArrays();
    const keys = names.map((name) => store.view.arrayKeys(name));
    const chunks = await store.getAll(keys.flat(), 'metadata');
    let at = 0;
    for (const [i, name] of names.entries()) {
      store.view.setArray(name, chunks.slice(at, at + keys[i].length));
      at += keys[i].length;
    }
    store.geneNames = store.view.geneNames();
    return store;
  }

  constructor(base, progress) {
    this.base = base;
    this.progress = progress;
    this.view = null;
    this.geneNames = [];
    /** manifest.json when it describes this store, else null. */
    this.manifest = null;
    this.statistic = 'sum';
    /** Keys fetched, in order (for the console and the tests). */
    this.fetched = [];
    /** One operation at a time: fetches of one render must not evict the chunks of another. */
    this.queue = Promise.resolve();
    /** The settings of the last render (with its `region`): what the exports show. */
    this.shown = null;
  }

  /** Runs `task()` after the store's previous operations. */
  serial(task) {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => {});
    return run;
  }

  /** The bytes of `key`, or null when the server does not have it (unless `required`). */
  async get(key, required = false) {
    const url = new URL(key, this.base).href;
    let response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new Error(`${url}: could not fetch (${error.message}; a store on another host needs CORS)`);
    }
    this.fetched.push(key);
    if (!required && (response.status === 404 || response.status === 403)) return null;
    if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText || 'error'}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** The bytes of every key (null where missing), PARALLEL at a time, with progress. */
  async getAll(keys, what) {
    const out = new Array(keys.length);
    let next = 0;
    let done = 0;
    if (keys.length > 0) this.progress('fetch', what, 0, keys.length);
    const worker = async () => {
      while (next < keys.length) {
        const i = next;
        next += 1;
        out[i] = await this.get(keys[i]);
        done += 1;
        this.progress('fetch', what, done, keys.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, keys.length) }, worker));
    return out;
  }

  /** What the page needs to know (as the session's facts). */
  describe() {
    const { view, manifest } = this;
    const gene = Math.max(0, this.geneNames.indexOf(manifest?.default_view?.gene));
    return {
      width: view.width,
      height: view.height,
      cellCount: view.cellCount,
      cellsWithPixels: view.cellCount,
      isLabelImage: true,
      fillHoles: false,
      connectivity: '4',
      geneCount: view.geneCount,
      geneNames: this.geneNames,
      // X holds one value per cell and gene: the statistic the store was published with
      stats: [this.statistic],
      transcripts: 0,
      shownGenes: view.geneCount > 0 ? [gene] : [],
      shownStat: this.statistic,
      suggestedView: { stat: this.statistic, scale: 'minmax', low: 1, high: 99, outlines: false },
      store: {
        url: this.base,
        levels: Array.from(view.levels()),
        title: manifest?.title ?? null,
        colormap: manifest?.default_view?.colormap ?? null,
      },
    };
  }

  /** Fetches the columns of `genes` that are not cached. */
  async loadGenes(genes) {
    const { view } = this;
    const wanted = genes.map((gene) => ({ gene, ks: Array.from(view.columnChunks(gene)) }));
    const keys = wanted.flatMap(({ ks }) => ks.flatMap((k) => view.columnKeys(k)));
    const bytes = await this.getAll(keys, 'gene columns');
    let at = 0;
    for (const { gene, ks } of wanted) {
      const data = [];
      const indices = [];
      for (let n = 0; n < ks.length; n += 1) {
        data.push(bytes[at]);
        indices.push(bytes[at + 1]);
        at += 2;
      }
      view.putColumn(gene, data, indices);
    }
    return keys.length;
  }

  /** Fetches the label chunks of the window that are not cached, then composes it. */
  async loadWindow(level, [row0, col0, height, width]) {
    const { view } = this;
    const missing = view.missingChunks(level, row0, col0, height, width);
    const bytes = await this.getAll(missing.map(([, , key]) => key), 'label chunks');
    for (const [n, [i, j]] of missing.entries()) view.putChunk(level, i, j, bytes[n]);
    view.compose(level, row0, col0, height, width);
    return missing.length;
  }

  /**
   * Renders the region `{zoom, top, left, bottom, right}` (level-0 pixels): the level for the
   * zoom, its window's chunks and the genes' columns fetched, values computed (`compute`), then
   * painted as in worker.js's render. The answer adds where the pixels go: `placement` = the
   * window's top-left in level-0 pixels and the level's factor.
   */
  render({ genes, compute, colormap, colorBy, scale, low, high, log1p, outlines, region }) {
    return this.serial(async () => {
      const started = performance.now();
      const { view } = this;
      this.shown = { genes, colormap, colorBy, scale, low, high, log1p, outlines, region };
      const level = view.levelForZoom(region.zoom);
      const factor = view.levels()[level * 5];
      const window = Array.from(view.window(level, region.top, region.left, region.bottom, region.right));
      let requests = await this.loadWindow(level, window);
      if (compute) {
        const shown = view.geneCount > 0 ? genes : [];
        if (shown.length > COLUMN_CAPACITY) {
          throw new Error(`a published store sums at most ${COLUMN_CAPACITY} genes at once (${shown.length} picked)`);
        }
        requests += await this.loadGenes(shown);
        view.compute(Uint32Array.from(shown), this.statistic);
      }
      let range = [NaN, NaN];
      if (colorBy === 'cell') view.paintCellIds(outlines);
      else range = Array.from(view.paint(colormap, scale, low, high, log1p, outlines));
      // one copy out of wasm memory (the buffer then moves to the page)
      const pixels = new Uint8ClampedArray(this.memory.buffer, view.pixelsPtr(), view.pixelsLen()).slice();
      return {
        pixels,
        width: window[3],
        height: window[2],
        placement: { x: window[1] * factor, y: window[0] * factor, factor },
        level,
        requests,
        range,
        ms: performance.now() - started,
      };
    });
  }

  /**
   * The map in view at full data resolution (level 0), painted as shown: `{pixels, width,
   * height}` (RGBA, a copy). Refused above PNG_PIXEL_LIMIT pixels or when its label chunks do
   * not fit in the cache; the view's own window is composed again afterwards (hover, click).
   */
  fullResolutionView() {
    return this.serial(async () => {
      const { view, shown } = this;
      if (!shown) throw new Error('the store\'s map is not drawn yet');
      const { region } = shown;
      const window = Array.from(view.window(0, region.top, region.left, region.bottom, region.right));
      const [row0, col0, height, width] = window;
      const chunkSize = view.levels().slice(3, 5);
      const chunks = (Math.floor((row0 + height - 1) / chunkSize[0]) - Math.floor(row0 / chunkSize[0]) + 1) *
        (Math.floor((col0 + width - 1) / chunkSize[1]) - Math.floor(col0 / chunkSize[1]) + 1);
      if (width * height > PNG_PIXEL_LIMIT || chunks > CHUNK_CAPACITY) {
        throw new Error(`the view is ${width.toLocaleString('en-US')} × ${height.toLocaleString('en-US')} pixels at full ` +
          `resolution (${chunks} label chunks); a PNG of a published store is at most ` +
          `${PNG_PIXEL_LIMIT.toLocaleString('en-US')} pixels (4096 × 4096) and ${CHUNK_CAPACITY} chunks: zoom in and export again`);
      }
      const paint = () => {
        if (shown.colorBy === 'cell') view.paintCellIds(shown.outlines);
        else view.paint(shown.colormap, shown.scale, shown.low, shown.high, shown.log1p, shown.outlines);
      };
      const viewLevel = view.levelForZoom(region.zoom);
      const viewWindow = Array.from(view.window(viewLevel, region.top, region.left, region.bottom, region.right));
      try {
        await this.loadWindow(0, window);
        paint();
        const pixels = new Uint8ClampedArray(this.memory.buffer, view.pixelsPtr(), view.pixelsLen()).slice();
        return { pixels, width, height };
      } finally {
        // the shown window again (its chunks may have been evicted: fetched again)
        await this.loadWindow(viewLevel, viewWindow);
        paint();
      }
    });
  }

  /**
   * The cells' table as `exportCellsCsv` writes it for a session, from obs (the bounding boxes
   * fetched on first use) and the shown genes' columns: `{regions, names, stat, columns, sum}`
   * for the exports module's `cellsCsv`.
   */
  cellsTable() {
    return this.serial(async () => {
      const { view } = this;
      if (!view.hasBboxes) {
        const names = view.bboxArrays();
        const keys = names.map((name) => view.arrayKeys(name));
        const chunks = await this.getAll(keys.flat(), 'bounding boxes');
        let at = 0;
        for (const [i, name] of names.entries()) {
          view.setArray(name, chunks.slice(at, at + keys[i].length));
          at += keys[i].length;
        }
      }
      const genes = view.geneCount > 0 ? (this.shown?.genes ?? []) : [];
      await this.loadGenes(genes);
      const columns = new Float64Array(genes.length * view.cellCount);
      for (const [i, gene] of genes.entries()) columns.set(view.geneValues(gene, this.statistic), i * view.cellCount);
      return {
        regions: view.regionFields(),
        names: genes.map((gene) => this.geneNames[gene]),
        stat: this.statistic,
        columns,
        sum: genes.length > 1 ? view.shownValues() : undefined,
      };
    });
  }

  /** The labels of the cells whose centroid lies in `xy` ([x0, y0, ...], integers at pixel centres). */
  cellsInRing(xy) {
    return this.view.cellsInRing(xy);
  }

  /**
   * Cell `label`'s top `count` genes as `cellmap publish` ranked them (obsm/cellmap_top_genes:
   * the two chunks of its rows fetched once): [{gene, name, value}], or null when the store has
   * none (published by another tool).
   */
  topGenes(label, count) {
    return this.serial(async () => {
      const { view } = this;
      const missing = view.topGenesChunk(label);
      if (missing) {
        const [k, genesKey, valuesKey] = missing;
        const [genes, values] = await this.getAll([genesKey, valuesKey], 'top genes');
        view.putTopGenes(k, genes, values);
      }
      const pairs = view.topGenes(label);
      if (!pairs) return null;
      const top = [];
      for (let k = 0; k < pairs.length && top.length < count; k += 2) {
        top.push({ gene: pairs[k], name: this.geneNames[pairs[k]], value: pairs[k + 1] });
      }
      return top;
    });
  }

  cellAt(row, col) {
    return this.view.cellAt(row, col);
  }

  cellInfo(label) {
    return this.view.cellInfo(label);
  }

  cellValue(label) {
    return this.view.cellValue(label);
  }

  free() {
    this.view?.free();
    this.view = null;
  }
}
