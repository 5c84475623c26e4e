// The viewer's Web Worker: it owns the wasm instance and the one cellmap Session, and does every
// heavy step — reading files, decoding, fill + label, per-cell statistics, painting — so the page's
// main thread only handles the UI. The page talks to it through engine.js: a request is
// `{id, op, args}`, the answer `{id, ok, result | error, memoryBytes}`; while a long step runs the
// worker (and Rust, from inside a decode) posts `{type: 'progress', step, file, done, total}`.
// Cancelling terminates the worker: the page starts a new one.
import init, {
  Session, categoricalPalette, colorbarTicks, colormapLut, colormapOptions, connectivityOptions,
  labelImage, maskReaderNeeded, noValueColor, otherCategoryColor, scaleOptions, statOptions,
} from './pkg/cellmap_wasm.js';
import { AnalysisModes } from './modes-worker.js';
import { exportOps } from './worker-exports.js';
import { PublishedStore } from './store-worker.js';
import { storeOps } from './store-ops.js';
import { Transcripts } from './transcripts-worker.js';

/** At most this many ticks on the colour bar. */
const MAX_TICKS = 6;

/** An answer whose buffers move to the page instead of being copied. */
class Transferred {
  constructor(result, buffers) {
    this.result = result;
    this.buffers = buffers;
  }
}

let wasm = null;
/** The session shown in the page, or null. */
let session = null;
let readers = null;
/** The transcript table whose counts are the session's genes, or null. */
let transcripts = null;
/** The published store shown instead of a session (`?data=`), or null. */
let store = null;
/** The analysis modes over the session (a per-cell CSV's columns), made at start. */
let modes = null;

/** Posts a progress report for step `step` of `file`. */
function progress(step, file, done, total) {
  postMessage({ type: 'progress', step, file, done, total });
}

/** What the page needs to know about the session (plain data). */
function describe() {
  if (!session) return null;
  return {
    width: session.width,
    height: session.height,
    cellCount: session.cellCount,
    cellsWithPixels: session.cellsWithPixels,
    isLabelImage: session.isLabelImage,
    fillHoles: session.fillHoles,
    connectivity: session.connectivity,
    geneCount: session.geneCount,
    geneNames: session.geneCount > 0 ? session.geneNames() : [],
    stats: session.statNames(),
    transcripts: transcripts?.table.length ?? 0,
    shownGenes: Array.from(session.shownGenes()),
    shownStat: session.shownStat() ?? null,
    suggestedView: session.suggestedView(),
  };
}

/** A file's bytes, read in chunks with progress (the read of a large file takes a while too). */
async function readFile(file) {
  const bytes = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let done = 0;
  let reported = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    if (done + chunk.value.length > bytes.length) throw new Error(`${file.name}: the file grew while it was read`);
    bytes.set(chunk.value, done);
    done += chunk.value.length;
    if (done - reported >= 4 << 20) {
      reported = done;
      progress('read', file.name, done, file.size);
    }
  }
  progress('read', file.name, done, file.size);
  return done === bytes.length ? bytes : bytes.subarray(0, done);
}

/** The bytes `Session.fromMask` reads: the file's, or the readers module's `.npy` of it. */
async function maskBytes(file) {
  const bytes = await readFile(file);
  if (!maskReaderNeeded(bytes.subarray(0, 4096))) return bytes;
  progress('readers', file.name, 0, 1);
  readers ??= import('./pkg/readers/cellmap_wasm_readers.js').then(async (module) => {
    await module.default();
    return module;
  });
  return (await readers).labelImageToNpy(bytes, file.name);
}

function dropSession() {
  dropTranscripts();
  modes?.free();
  store?.free();
  store = null;
  session?.free();
  session = null;
}

/** The session, with `labels()`: a copy of its label image (for the modes module's scores). */
function sessionWithLabels() {
  return {
    width: session.width,
    height: session.height,
    labels: () => new Int32Array(wasm.memory.buffer, session.labelsPtr(), session.labelsLen()).slice(),
  };
}

function dropTranscripts() {
  transcripts?.free();
  transcripts = null;
}

/**
 * Reads a transcript table and attaches its counts to the session: `{transcripts}` (what the page
 * shows about it), or `{needsMapping}` (the columns, for the page's dialog) when its header was
 * not recognised and no `mapping` was given.
 */
async function attachTranscripts(file, mapping) {
  const read = await Transcripts.read(file, mapping);
  if (read.needsMapping) return { needsMapping: read };
  progress('count', file.name, 0, 1);
  try {
    const summary = read.attach(wasm, session);
    transcripts = read;
    return { transcripts: summary };
  } catch (error) {
    read.free();
    throw error;
  }
}

const ops = {
  /** Starts wasm; returns the menus and the palette (the page never loads wasm itself). */
  async start() {
    wasm = await init();
    const colormaps = colormapOptions();
    modes = new AnalysisModes(categoricalPalette().length / 4);
    return {
      stats: statOptions(),
      colormaps,
      connectivities: connectivityOptions(),
      scales: scaleOptions(),
      categorical: categoricalPalette(),
      otherCategory: otherCategoryColor(),
      luts: Object.fromEntries(colormaps.map((name) => [name, colormapLut(name)])),
      noValueColor: noValueColor(),
    };
  },

  demo({ seed, width, height }, maskOptions) {
    dropSession();
    const demo = Session.demo(seed, width, height);
    try {
      if (maskOptions) demo.setMaskOptions(...maskOptions);
    } catch (error) {
      demo.free();
      throw error;
    }
    session = demo;
    return describe();
  },

  /**
   * A new mask (a new session) and/or expression (onto it, or onto the shown session). The shown
   * data is freed first (wasm memory never shrinks). A failed mask leaves no session; a failed
   * expression leaves the cells, and its message comes back as `expressionError`.
   */
  async load({ mask, expression, transcripts: table, mapping }, maskOptions) {
    if (mask) {
      dropSession();
      const bytes = await maskBytes(mask);
      progress('cells', mask.name, 0, 1);
      const created = Session.fromMask(bytes, mask.name);
      try {
        created.setMaskOptions(...maskOptions);
      } catch (error) {
        created.free();
        throw error;
      }
      session = created;
    } else if (session) {
      dropTranscripts();
      session.detachExpression();
    }
    if (!session) throw new Error('load a mask first');
    let expressionError = null;
    if (expression) {
      try {
        session.attachExpression(await readFile(expression), expression.name);
      } catch (error) {
        expressionError = error instanceof Error ? error.message : String(error);
      }
    }
    let attached = {};
    if (table) {
      try {
        attached = await attachTranscripts(table, mapping);
      } catch (error) {
        expressionError = error instanceof Error ? error.message : String(error);
      }
    }
    return { info: describe(), expressionError, ...attached };
  },

  /** A transcript table onto the shown cells, with the columns the page's dialog chose. */
  async attachTranscripts(file, mapping) {
    dropTranscripts();
    session.detachExpression();
    const attached = await attachTranscripts(file, mapping);
    return { info: describe(), ...attached };
  },

  drop() {
    dropSession();
    return null;
  },

  /**
   * Opens the published store at `url` (absolute) instead of a session: its metadata, gene names
   * and obs columns; the map's chunks come with each render (`render` with a `region`).
   */
  async openStore(url) {
    dropSession();
    progress('store', url, 0, 1);
    store = await PublishedStore.open(url, progress);
    return store.describe();
  },

  /** The keys fetched from the shown store so far, in order (tests, console). */
  storeRequests() {
    return store?.fetched.slice() ?? [];
  },

  detachExpression() {
    dropTranscripts();
    session?.detachExpression();
    return describe();
  },

  async setMaskOptions(fillHoles, connectivity) {
    const cells = session.setMaskOptions(fillHoles, connectivity);
    // transcript counts follow the new labels
    if (transcripts && !session.isLabelImage) transcripts.recount(wasm, session);
    // a per-cell CSV's ids are read again against the new labels, a second label image rescored
    if (!session.isLabelImage) {
      await modes.relabel(session);
      await modes.rescoreSecondLabels(sessionWithLabels());
    }
    return cells;
  },

  /** Opens a per-cell CSV (its columns colour the cells): what the page shows about it. */
  openAnnotations(file) {
    if (!session) throw new Error('load a mask first');
    return modes.openAnnotations(file, session);
  },

  /**
   * Opens a predicted cell × gene table and scores it against the measured values of `stat`
   * (`AnalysisModes.comparePrediction`).
   */
  openPrediction(file, stat) {
    if (!session) throw new Error('load a mask first');
    return modes.openPrediction(file, session, stat);
  },

  /** Scores the open prediction again (another statistic, new labels): as openPrediction. */
  comparePrediction(stat) {
    return modes.comparePrediction(session, stat);
  },

  /**
   * Opens a second label image of the cells' size and scores it against them as `cellmap segeval
   * CELLS SECOND` does (label formats other than .npy, PNG and TIFF through the readers module).
   */
  async openSecondLabels(file) {
    if (!session) throw new Error('load a mask first');
    const second = labelImage(await maskBytes(file), file.name);
    return modes.openSecondLabels(sessionWithLabels(), second, file.name);
  },

  /** The second label image's scores (as openSecondLabels), or null. */
  secondLabels() {
    return modes.describeSegmentation();
  },

  /** The per-cell values of the last paint of an analysis mode, by label (tests, console). */
  shownModeValues() {
    return modes.shownValues();
  },

  /** The per-cell CSV's facts ({file, idColumn, rows, unmatched, columns}), or null. */
  annotations() {
    return modes.describeAnnotations();
  },

  /** The transcripts of `genes` as dots (`{xy, starts}`, moved), or null without a table. */
  transcriptPoints(genes) {
    if (!transcripts) return null;
    const points = transcripts.points(genes);
    return new Transferred(points, [points.xy.buffer, points.starts.buffer]);
  },

  setGeneNames(names) {
    session.setGeneNames(names);
    return session.geneNames();
  },

  /**
   * Per-cell values of `genes` with `stat` (when `compute`), then the painted map — by value with
   * the colour scale (`scale` with `low`, `high`, `log1p`: see Session.paint), or a colour per
   * cell id (`colorBy` 'cell') — its RGBA pixels as a transferred buffer, the range used (log1p
   * units under log1p), the colour bar's ticks ([value, position, ...]) and the wasm time.
   */
  async render(settings) {
    const { genes, stat, compute, colormap, colorBy, scale, low, high, log1p, outlines } = settings;
    if (store) {
      // a published store: the window of the level in view, painted by the store module
      const result = await store.render(settings);
      result.ticks = Array.from(colorbarTicks(result.range[0], result.range[1], log1p, MAX_TICKS));
      return new Transferred(result, [result.pixels.buffer]);
    }
    const started = performance.now();
    if (compute && session.geneCount > 0 && genes.length > 0) session.computeValues(Uint32Array.from(genes), stat);
    let range = [NaN, NaN];
    let legend = null;
    modes.clearShown();
    if (colorBy === 'cell') session.paintCellIds(outlines);
    else if (colorBy === 'column') ({ range, legend = null } = modes.paintColumn(session, settings));
    else if (colorBy === 'compare') ({ range } = modes.paintComparison(session, settings));
    else if (colorBy === 'iou') ({ range } = modes.paintIou(session, settings));
    else range = Array.from(session.paint(colormap, scale, low, high, log1p, outlines));
    const ticks = Array.from(colorbarTicks(range[0], range[1], log1p, MAX_TICKS));
    const pixels = new Uint8ClampedArray(wasm.memory.buffer, session.pixelsPtr(), session.pixelsLen()).slice();
    const result = {
      pixels, width: session.width, height: session.height, range, ticks, legend, ms: performance.now() - started,
    };
    return new Transferred(result, [pixels.buffer]);
  },

  /** The tooltip's facts of the cell at (row, col): null for background. */
  cellInfo(row, col) {
    const shown = store ?? session;
    const label = shown?.cellAt(row, col) ?? 0;
    return label === 0 ? null : ops.cellInfoOf(label);
  },

  /**
   * The facts of cell `label` (`session.cellInfo`), and in an analysis mode what it shows of the
   * cell (`mode`: {term, text}, e.g. the CSV column and the cell's category).
   */
  cellInfoOf(label) {
    const info = (store ?? session).cellInfo(label);
    if (!store) info.mode = modes.describeCell(label);
    return info;
  },

  cellAt(row, col) {
    return (store ?? session).cellAt(row, col);
  },

  cellValues(labels) {
    const shown = store ?? session;
    return labels.map((label) => shown.cellValue(label));
  },

  /** The label image (a copy), row-major. */
  labels() {
    return new Int32Array(wasm.memory.buffer, session.labelsPtr(), session.labelsLen()).slice();
  },
};

Object.assign(ops, exportOps({
  session: () => session, wasm: () => wasm, lut: colormapLut, transcripts: () => transcripts,
  modeColumn: () => modes.exportColumn(),
}));
// a published store's exports, selection and top genes (store-ops.js)
Object.assign(ops, storeOps(ops, { store: () => store, lut: colormapLut }));

onmessage = async ({ data: { id, op, args } }) => {
  try {
    const answer = await ops[op](...args);
    const [result, buffers] = answer instanceof Transferred ? [answer.result, answer.buffers] : [answer, []];
    postMessage({ id, ok: true, result, memoryBytes: wasm?.memory.buffer.byteLength ?? 0 }, buffers);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    postMessage({ id, ok: false, error: message, memoryBytes: wasm?.memory.buffer.byteLength ?? 0 });
  }
};
