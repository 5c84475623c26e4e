// cellmap viewer: wires the controls to a cellmap-wasm Session and draws its pixels straight from
// wasm memory. The menus (statistics, colormaps, connectivities) and the palette come from Rust;
// JS passes the names back. Everything runs on the main thread: switching a gene on a 1024² image
// is a few ms of wasm work, and loading files blocks the page only while wasm decodes them (a
// status line says so). wasm memory never shrinks, so a load frees the shown data before it
// decodes the new files: loading the same large files again reuses the same memory.
import init, {
  Session, colormapLut, colormapOptions, connectivityOptions, maskReaderNeeded, noValueColor, statOptions,
} from './pkg/cellmap_wasm.js';
import { classifyFiles, readBytes, readGeneNames } from './files.js';
import { formatBytes, formatCount, formatValue } from './format.js';
import { GenePicker } from './genes.js';
import { Legend } from './legend.js';
import { MapView } from './mapview.js';

const DEMO = { seed: 7, width: 512, height: 512 };

const byId = (id) => document.getElementById(id);
const controls = {
  fileInput: byId('file-input'),
  demoButton: byId('demo-button'),
  source: byId('source'),
  fillHoles: byId('fill-holes'),
  connectivity: byId('connectivity'),
  cellCount: byId('cell-count'),
  stat: byId('stat'),
  colormap: byId('colormap'),
  autoRange: byId('auto-range'),
  vmin: byId('vmin'),
  vmax: byId('vmax'),
  outlines: byId('outlines'),
  error: byId('error'),
  errorText: byId('error-text'),
  errorDismiss: byId('error-dismiss'),
  viewport: byId('viewport'),
  dropHint: byId('drop-hint'),
  status: byId('status'),
};

let wasm = null;
/** The shown session, or null: nothing loaded (at start, while a mask loads, after a failed load). */
let session = null;
/** True while files are read and decoded: the controls are disabled and the view is dimmed. */
let loading = false;
/** Whether the mask controls have been set from the first session's options (scipy's defaults). */
let maskDefaultsSet = false;
let shownGenes = [];
/** The range the last paint used, [lo, hi] ([NaN, NaN] when no cell has a value). */
let shownRange = [NaN, NaN];
/** The parts of the source line: what the cells and the expression came from. */
let source = { cells: '', expression: '' };
/** Statistic name -> description (statOptions(), filled at start). */
const statDescriptions = new Map();
/** The statistic new expression opens on: the first of statOptions() (Rust lists its default first). */
let defaultStat = '';
let renderCount = 0;

const mapView = new MapView(
  { viewport: controls.viewport, canvas: byId('map'), tooltip: byId('tooltip'), announcer: byId('announcer') },
  describePixel,
);
const legend = new Legend({
  bar: byId('legend-bar'),
  min: byId('legend-min'),
  max: byId('legend-max'),
  caption: byId('legend-caption'),
  noValueSwatch: byId('no-value-swatch'),
});
const genePicker = new GenePicker(
  {
    search: byId('gene-search'),
    list: byId('gene-list'),
    add: byId('gene-add'),
    matchCount: byId('gene-match-count'),
    shown: byId('gene-shown'),
    chips: byId('gene-selection'),
    modeRadios: [byId('mode-single'), byId('mode-sum')],
  },
  (genes) => guarded(() => showGenes(genes)),
);

// ---- errors and status -------------------------------------------------------------------------

function showError(error) {
  const message = error instanceof Error ? error.message : String(error);
  controls.errorText.textContent = message;
  controls.error.hidden = false;
  console.warn('cellmap:', message);
}

function clearError() {
  controls.error.hidden = true;
  controls.errorText.textContent = '';
}

/** Runs an action; a failure is shown in the page and the viewer stays as it was. */
async function guarded(action) {
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

function setStatus(text) {
  controls.status.textContent = text;
}

/** Lets the browser paint the status line before a long synchronous wasm call. */
function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

// ---- menus -------------------------------------------------------------------------------------

/** Fills a <select> with `options` ({value, text}). */
function fillSelect(select, options) {
  select.replaceChildren(...options.map(({ value, text }) =>
    Object.assign(document.createElement('option'), { value, textContent: text })));
}

/** The statistic, colormap and connectivity menus, from the names Rust knows. */
function fillMenus() {
  const stats = statOptions();
  for (const { name, description } of stats) statDescriptions.set(name, description);
  defaultStat = stats[0].name;
  fillSelect(controls.stat, stats.map(({ name, description }) => ({ value: name, text: `${name} — ${description}` })));
  fillSelect(controls.colormap, colormapOptions().map((name) => ({ value: name, text: name })));
  fillSelect(controls.connectivity, connectivityOptions().map((name) => ({ value: name, text: name })));
}

// ---- rendering ---------------------------------------------------------------------------------

function maskOptions() {
  return [controls.fillHoles.checked, controls.connectivity.value];
}

/** Per-cell values for the shown genes, then paint. */
function computeAndPaint() {
  if (!session) return;
  const started = performance.now();
  if (session.geneCount > 0 && shownGenes.length > 0) {
    session.computeValues(Uint32Array.from(shownGenes), controls.stat.value);
  }
  paint(started);
}

/** Paint the current per-cell values with the colour settings and draw them. */
function paint(started = performance.now()) {
  if (!session) return;
  const colormap = controls.colormap.value;
  const outlines = controls.outlines.checked;
  let range;
  if (controls.autoRange.checked) {
    range = session.paint(colormap, NaN, NaN, outlines);
    controls.vmin.value = Number.isNaN(range[0]) ? '' : String(Number(range[0].toPrecision(6)));
    controls.vmax.value = Number.isNaN(range[1]) ? '' : String(Number(range[1].toPrecision(6)));
  } else {
    let low = parseBound(controls.vmin);
    let high = parseBound(controls.vmax);
    if (low === null || high === null) {
      // a blank bound is the automatic one: paint automatically to learn it
      const [autoLow, autoHigh] = session.paint(colormap, NaN, NaN, outlines);
      low ??= autoLow;
      high ??= autoHigh;
    }
    // no cell has a value and a bound is blank: nothing to fix the range to
    if (Number.isNaN(low) || Number.isNaN(high)) range = session.paint(colormap, NaN, NaN, outlines);
    else range = session.paint(colormap, low, high, outlines);
  }
  shownRange = Array.from(range);
  // view on wasm memory, made after the last call that may grow it
  const pixels = new Uint8ClampedArray(wasm.memory.buffer, session.pixelsPtr(), session.pixelsLen());
  mapView.draw(new ImageData(pixels, session.width, session.height));
  const elapsed = performance.now() - started;
  legend.show(colormapLut(colormap), shownRange[0], shownRange[1], legendCaption());
  renderCount += 1;
  document.body.dataset.renders = String(renderCount);
  setStatus(`${formatCount(session.cellCount)} cells · drawn in ${elapsed.toFixed(1)} ms`);
}

/** The number in a vmin/vmax field, or null when it is blank. */
function parseBound(input) {
  if (input.value.trim() === '') return null;
  const value = Number(input.value);
  if (!Number.isFinite(value)) throw new Error(`${input.id} must be a number, got "${input.value}"`);
  return value;
}

function legendCaption() {
  if (session.geneCount === 0) return 'no expression loaded: every cell has no value';
  const genes = shownGenes.map((index) => genePicker.names[index]).join(' + ');
  const stat = statDescriptions.get(controls.stat.value);
  if (shownGenes.length === 1) return `${genes}: ${stat} per cell`;
  // several genes: each gene's per-cell statistic, summed over the genes (the layers summed)
  return `${stat} per cell of each gene, summed: ${genes}`;
}

function showSource() {
  controls.source.textContent = [source.cells, source.expression].filter(Boolean).join(' + ');
}

function describePixel(row, col) {
  if (!session) return null;
  const label = session.cellAt(row, col);
  if (label === 0) return `background\nrow ${row}, col ${col}`;
  const info = session.cellInfo(label);
  const valueName = session.geneCount > 0 ? controls.stat.value : 'value';
  return [
    `cell ${info.label}`,
    `area ${formatCount(info.area)} px`,
    `centroid row ${info.centroidRow.toFixed(1)}, col ${info.centroidCol.toFixed(1)}`,
    `${valueName} ${formatValue(info.value)}`,
  ].join('\n');
}

// ---- state changes -----------------------------------------------------------------------------

function showGenes(genes) {
  if (!session) return;
  shownGenes = genes;
  computeAndPaint();
}

/**
 * Makes `next` the shown session (freeing the previous one), fits it in the view, shows `genes`.
 * `from` is the source line's parts ({cells, expression}).
 */
function adoptSession(next, from, genes = [0]) {
  if (session && session !== next) session.free();
  session = next;
  source = { cells: '', expression: '', ...from };
  showSource();
  controls.cellCount.textContent = formatCount(session.cellCount);
  updateControls();
  mapView.setImageSize(session.width, session.height);
  adoptGenes(genes);
}

/** The note shown under the mask options when they do not apply (made once, here). */
const labelImageNote = Object.assign(document.createElement('p'), {
  id: 'label-image-note',
  className: 'hint',
  hidden: true,
  textContent: 'This file is a label image: its cells are used as labelled (touching cells stay ' +
    'apart), so fill holes and connectivity do not apply.',
});
byId('connectivity-hint').after(labelImageNote);

/**
 * Enables the controls that apply now: none but the error's while loading; without a session only
 * the file input and the demo button. A label image keeps its labels: its mask options are
 * disabled, with a note saying why.
 */
function updateControls() {
  const idle = !loading;
  const data = idle && session !== null;
  const labelImage = session?.isLabelImage ?? false;
  controls.fileInput.disabled = !idle;
  controls.demoButton.disabled = !idle;
  controls.fillHoles.disabled = !data || labelImage;
  controls.connectivity.disabled = !data || labelImage;
  labelImageNote.hidden = !(session && labelImage);
  for (const control of [controls.stat, controls.colormap, controls.autoRange, controls.outlines]) {
    control.disabled = !data;
  }
  controls.vmin.disabled = !data || controls.autoRange.checked;
  controls.vmax.disabled = !data || controls.autoRange.checked;
  for (const radio of genePicker.modeRadios) radio.disabled = !data;
  document.body.toggleAttribute('data-loading', loading);
  controls.viewport.setAttribute('aria-busy', String(loading));
}

/**
 * Frees the shown session (labels, expression, pixels) so that what is decoded next reuses its
 * wasm memory, and shows the empty state: no map, no genes, a source line that says so.
 */
function dropSession() {
  if (session) session.free();
  session = null;
  shownGenes = [];
  shownRange = [NaN, NaN];
  source = { cells: '', expression: '' };
  controls.source.textContent = 'Nothing loaded: open a mask (+ expression) or show the demo tissue.';
  controls.cellCount.textContent = '–';
  genePicker.setGenes([], []);
  mapView.clear();
  legend.show(colormapLut(controls.colormap.value), NaN, NaN, 'nothing loaded');
  updateControls();
}

function adoptGenes(genes = [0]) {
  shownGenes = genes.filter((gene) => gene < session.geneCount);
  genePicker.setGenes(session.geneCount > 0 ? session.geneNames() : [], shownGenes);
  computeAndPaint();
}

function showDemo() {
  // the shown session goes first: the demo reuses its memory
  dropSession();
  const demo = Session.demo(DEMO.seed, DEMO.width, DEMO.height);
  if (!maskDefaultsSet) {
    // the first session's mask options are the defaults (scipy's): the controls start from them
    controls.fillHoles.checked = demo.fillHoles;
    controls.connectivity.value = demo.connectivity;
    maskDefaultsSet = true;
  }
  try {
    demo.setMaskOptions(...maskOptions());
  } catch (error) {
    demo.free();
    throw error;
  }
  // open on what Rust chose for the demo: a gene with a spatial pattern, and the statistic that
  // shows it (its expression is transcript counts: the sum per cell)
  controls.stat.value = demo.shownStat();
  const cells = `Demo: synthetic tissue ${DEMO.width}×${DEMO.height}, ${demo.geneCount} genes (made in the browser)`;
  adoptSession(demo, { cells }, Array.from(demo.shownGenes()));
}

/**
 * Loads picked or dropped files. A new mask makes a new session; expression and gene names go onto
 * it (or onto the current session when no mask is given). wasm memory never shrinks, so the shown
 * data is freed before the new files are decoded — the whole session for a new mask, the
 * expression for a lone expression file — and the page shows that it is loading (status line,
 * dimmed view, controls disabled). If the mask fails the page is left empty (open files or show the
 * demo); if the expression fails the cells are shown without values. A gene-name file that does
 * not fit is reported and the default names stay.
 */
async function loadFiles(fileList) {
  if (loading) throw new Error('still loading the previous files: wait until they are shown');
  const files = classifyFiles([...fileList]);
  if (!files.mask && !files.expression && !files.names) return;
  if (!files.mask && !session) throw new Error('load a mask first');
  if (files.mask || files.expression) {
    const described = Object.entries(files)
      .filter(([, file]) => file)
      .map(([role, file]) => `${role}: ${file.name} (${formatBytes(file.size)})`);
    loading = true;
    clearError();
    try {
      if (files.mask) {
        dropSession();
      } else {
        // the cells stay (dimmed, not repainted until the expression is decoded)
        session.detachExpression();
        shownGenes = [];
        genePicker.setGenes([], []);
        source.expression = '';
        showSource();
      }
      updateControls();
      setStatus(`Loading ${described.join(', ')}…`);
      // the empty (or dimmed) view and the status line are painted before wasm blocks the page
      await nextFrame();
      await decodeFiles(files);
    } catch (error) {
      setStatus('');
      throw error;
    } finally {
      loading = false;
      updateControls();
    }
  }
  if (files.names) {
    const names = await readGeneNames(files.names);
    if (names.length !== session.geneCount) {
      throw new Error(`${files.names.name} has ${formatCount(names.length)} gene names but the expression has ${formatCount(session.geneCount)} genes`);
    }
    session.setGeneNames(names);
    genePicker.rename(session.geneNames());
    paint();
  }
}

/**
 * The bytes `Session.fromMask` reads for a mask file: the file's own, or — for the label formats
 * the main wasm package leaves out (Cellpose `_seg.npy`, scipy sparse `.npz`, `cells.zarr.zip`) —
 * the `.npy` the optional readers module (`pkg/readers/`, loaded on first use) decodes it to.
 */
async function maskBytes(file) {
  const bytes = await readBytes(file);
  if (!maskReaderNeeded(bytes.subarray(0, 4096))) return bytes;
  setStatus(`Reading ${file.name} with the label-format readers…`);
  const readers = await labelReaders();
  return readers.labelImageToNpy(bytes, file.name);
}

let readersModule = null;

/** The readers module, instantiated once on first use. */
function labelReaders() {
  readersModule ??= import('./pkg/readers/cellmap_wasm_readers.js').then(async (readers) => {
    await readers.default();
    return readers;
  });
  readersModule.catch(() => { readersModule = null; });
  return readersModule;
}

/**
 * Decodes the mask (into a new session) and the expression (onto it, or onto the shown session)
 * and shows the result; throws the expression's error after showing the cells without it. The file
 * bytes are read right before each call and not kept: wasm copies them in and frees its copy once
 * decoded.
 */
async function decodeFiles(files) {
  let created = null;
  if (files.mask) {
    try {
      created = Session.fromMask(await maskBytes(files.mask), files.mask.name);
      created.setMaskOptions(...maskOptions());
    } catch (error) {
      created?.free();
      throw error;
    }
  }
  const target = created ?? session;
  let expressionError = null;
  if (files.expression) {
    try {
      target.attachExpression(await readBytes(files.expression), files.expression.name);
      // new expression data opens on the default statistic, the research scripts' mean (the demo
      // opens on its own choice)
      controls.stat.value = defaultStat;
    } catch (error) {
      expressionError = error;
    }
  }
  const expression = files.expression && !expressionError
    ? `${files.expression.name} (${formatCount(target.geneCount)} genes)`
    : '';
  if (created) {
    adoptSession(created, { cells: `${files.mask.name} (${created.width}×${created.height})`, expression });
  } else {
    source.expression = expression;
    showSource();
    adoptGenes();
  }
  if (expressionError) throw expressionError;
}

function onMaskOptionsChange() {
  if (!session) return;
  const started = performance.now();
  // wasm recomputes the per-cell values of the shown genes for the new labels
  const count = session.setMaskOptions(...maskOptions());
  controls.cellCount.textContent = formatCount(count);
  paint(started);
}

// ---- wiring ------------------------------------------------------------------------------------

function wireControls() {
  controls.errorDismiss.addEventListener('click', clearError);
  controls.fileInput.addEventListener('change', () =>
    guarded(async () => {
      try {
        await loadFiles(controls.fileInput.files);
      } finally {
        controls.fileInput.value = '';
      }
    }));
  controls.demoButton.addEventListener('click', () => guarded(() => {
    showDemo();
    clearError();
  }));
  controls.fillHoles.addEventListener('change', () => guarded(onMaskOptionsChange));
  controls.connectivity.addEventListener('change', () => guarded(onMaskOptionsChange));
  controls.stat.addEventListener('change', () => guarded(computeAndPaint));
  controls.colormap.addEventListener('change', () => guarded(() => paint()));
  controls.outlines.addEventListener('change', () => guarded(() => paint()));
  controls.autoRange.addEventListener('change', () => {
    updateControls();
    guarded(() => paint());
  });
  controls.vmin.addEventListener('change', () => guarded(() => paint()));
  controls.vmax.addEventListener('change', () => guarded(() => paint()));

  let dragDepth = 0;
  const setDropping = (on) => {
    controls.viewport.classList.toggle('drop-target', on);
    controls.dropHint.hidden = !on;
  };
  document.addEventListener('dragenter', (event) => {
    event.preventDefault();
    dragDepth += 1;
    setDropping(true);
  });
  document.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) setDropping(false);
  });
  document.addEventListener('dragover', (event) => event.preventDefault());
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    dragDepth = 0;
    setDropping(false);
    guarded(() => loadFiles(event.dataTransfer.files));
  });
}

async function start() {
  wireControls();
  try {
    wasm = await init();
    fillMenus();
    legend.setNoValueColour(noValueColor());
    showDemo();
  } catch (error) {
    showError(`The viewer could not start: ${error instanceof Error ? error.message : error}`);
  }
  // handy for the console, other pages and the tests: the live session (null when nothing is
  // loaded), the wasm exports, the size of wasm memory in bytes (it only grows: its high-water
  // mark), the shown gene indices and the range of the last paint
  window.cellmapViewer = {
    get wasm() { return wasm; },
    get session() { return session; },
    get memoryBytes() { return wasm ? wasm.memory.buffer.byteLength : 0; },
    get shownGenes() { return shownGenes.slice(); },
    get range() { return shownRange.slice(); },
  };
  document.body.dataset.ready = 'true';
}

start();
