// cellmap viewer: wires the controls to a cellmap-wasm Tile and draws the tile straight from wasm
// memory. Everything runs on the main thread: switching a gene on a 1024² tile is a few ms of wasm
// work, and loading files blocks the page only while wasm decodes them (a status line says so).
import init, { Tile, Colormap, Stat, Connectivity } from './pkg/cellmap_wasm.js';
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
let tile = null;
let shownGenes = [];
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

// ---- rendering ---------------------------------------------------------------------------------

function maskOptions() {
  const connectivity = controls.connectivity.value === '8' ? Connectivity.Eight : Connectivity.Four;
  return [controls.fillHoles.checked, connectivity];
}

/** Per-cell values for the shown genes, then paint. */
function computeAndPaint() {
  const started = performance.now();
  if (tile.geneCount > 0 && shownGenes.length > 0) {
    tile.computeValues(Uint32Array.from(shownGenes), Stat[controls.stat.value]);
  }
  paint(started);
}

/** Paint the current per-cell values with the colour settings and draw them. */
function paint(started = performance.now()) {
  const [autoLow, autoHigh] = tile.valueRange();
  let low = autoLow;
  let high = autoHigh;
  if (controls.autoRange.checked) {
    controls.vmin.value = Number.isNaN(autoLow) ? '' : String(Number(autoLow.toPrecision(6)));
    controls.vmax.value = Number.isNaN(autoHigh) ? '' : String(Number(autoHigh.toPrecision(6)));
  } else {
    low = parseBound(controls.vmin, autoLow);
    high = parseBound(controls.vmax, autoHigh);
    if (low > high) throw new Error(`vmin (${formatValue(low)}) is larger than vmax (${formatValue(high)})`);
  }
  const colormap = Colormap[controls.colormap.value];
  tile.paint(colormap, controls.autoRange.checked ? NaN : low, controls.autoRange.checked ? NaN : high,
    controls.outlines.checked);
  // view on wasm memory, made after the last call that may grow it
  const pixels = new Uint8ClampedArray(wasm.memory.buffer, tile.pixelsPtr(), tile.pixelsLen());
  mapView.draw(new ImageData(pixels, tile.width, tile.height));
  const elapsed = performance.now() - started;
  legend.show(tile.colormapLut(colormap), low, high, legendCaption());
  renderCount += 1;
  document.body.dataset.renders = String(renderCount);
  setStatus(`${formatCount(tile.cellCount)} cells · drawn in ${elapsed.toFixed(1)} ms`);
}

function parseBound(input, fallback) {
  if (input.value.trim() === '') return fallback;
  const value = Number(input.value);
  if (!Number.isFinite(value)) throw new Error(`${input.id} must be a number, got "${input.value}"`);
  return value;
}

function legendCaption() {
  if (tile.geneCount === 0) return 'no expression loaded: every cell has no value';
  const genes = shownGenes.map((index) => genePicker.names[index]).join(' + ');
  const stat = controls.stat.selectedOptions[0].textContent.split(' (')[0];
  if (shownGenes.length === 1) return `${stat} of ${genes} per cell`;
  // several genes: each gene's per-cell statistic, summed over the genes (the layers summed)
  return `${stat} per cell of each gene, summed: ${genes}`;
}

function describePixel(row, col) {
  if (!tile) return null;
  const label = tile.cellAt(row, col);
  if (label === 0) return `background\nrow ${row}, col ${col}`;
  const info = tile.cellInfo(label);
  const valueName = tile.geneCount > 0 ? controls.stat.value.toLowerCase() : 'value';
  return [
    `cell ${info.label}`,
    `area ${formatCount(info.area)} px`,
    `centroid row ${info.centroidRow.toFixed(1)}, col ${info.centroidCol.toFixed(1)}`,
    `${valueName} ${formatValue(info.value)}`,
  ].join('\n');
}

// ---- state changes -----------------------------------------------------------------------------

function showGenes(genes) {
  shownGenes = genes;
  computeAndPaint();
}

/** Makes `next` the shown tile (freeing the previous one), fits it in the view, shows `gene`. */
function adoptTile(next, source, gene = 0) {
  if (tile && tile !== next) tile.free();
  tile = next;
  controls.source.textContent = source;
  controls.cellCount.textContent = formatCount(tile.cellCount);
  showMaskOptionsState();
  mapView.setImageSize(tile.width, tile.height);
  adoptGenes(gene);
}

/** The note shown under the mask options when they do not apply (made once, here). */
const labelImageNote = Object.assign(document.createElement('p'), {
  id: 'label-image-note',
  className: 'hint',
  hidden: true,
  textContent: 'This file is a label image: its cells are used as labelled (touching cells stay ' +
    'apart), so fill holes and connectivity do not apply.',
});
controls.connectivity.after(labelImageNote);

/** A label image keeps its labels: its mask options are disabled, with a note saying why. */
function showMaskOptionsState() {
  const labelImage = tile.isLabelImage;
  controls.fillHoles.disabled = labelImage;
  controls.connectivity.disabled = labelImage;
  labelImageNote.hidden = !labelImage;
}

function adoptGenes(gene = 0) {
  shownGenes = tile.geneCount > gene ? [gene] : [];
  genePicker.setGenes(tile.geneCount > 0 ? tile.geneNames() : [], shownGenes);
  computeAndPaint();
}

function showDemo() {
  const demo = Tile.demo(DEMO.seed, DEMO.width, DEMO.height);
  demo.setMaskOptions(...maskOptions());
  // the demo's expression is transcript counts: the sum per cell shows the pattern (the mean of
  // a cell's nonzero counts is mostly 1)
  controls.stat.value = 'Sum';
  // open on a gene with a spatial pattern (the demo's names say each gene's true factors)
  const spatial = demo.geneNames().findIndex((name) => /spatial factor/.test(name));
  adoptTile(demo, `Demo: synthetic tissue ${DEMO.width}×${DEMO.height}, ${demo.geneCount} genes (made in the browser)`,
    Math.max(0, spatial));
}

/**
 * Loads picked or dropped files. A new mask makes a new tile; expression and gene names go onto
 * it (or onto the current tile when no mask is given). Nothing changes if the mask or expression
 * fails; a gene-name file that does not fit is reported and the default names stay.
 */
async function loadFiles(fileList) {
  const files = classifyFiles([...fileList]);
  if (!files.mask && !files.expression && !files.names) return;
  if (!files.mask && !tile) throw new Error('load a mask first');
  const described = Object.entries(files)
    .filter(([, file]) => file)
    .map(([role, file]) => `${role}: ${file.name} (${formatBytes(file.size)})`);
  setStatus(`Reading ${described.join(', ')}…`);
  await nextFrame();
  let target = tile;
  let created = null;
  try {
    if (files.mask) {
      created = Tile.fromMask(await readBytes(files.mask), files.mask.name);
      created.setMaskOptions(...maskOptions());
      target = created;
    }
    if (files.expression) target.attachExpression(await readBytes(files.expression), files.expression.name);
  } catch (error) {
    if (created) created.free();
    setStatus('');
    throw error;
  }
  clearError();
  // new expression data opens on the research scripts' statistic (the demo opens on sums)
  if (files.expression) controls.stat.value = 'Mean';
  if (created) {
    const parts = [`${files.mask.name} (${created.width}×${created.height})`];
    if (files.expression) parts.push(`${files.expression.name} (${formatCount(created.geneCount)} genes)`);
    adoptTile(created, parts.join(' + '));
  } else if (files.expression) {
    controls.source.textContent = `${controls.source.textContent.split(' + ')[0]} + ${files.expression.name} (${formatCount(tile.geneCount)} genes)`;
    adoptGenes();
  }
  if (files.names) {
    const names = await readGeneNames(files.names);
    if (names.length !== tile.geneCount) {
      throw new Error(`${files.names.name} has ${formatCount(names.length)} gene names but the expression has ${formatCount(tile.geneCount)} genes`);
    }
    tile.setGeneNames(names);
    genePicker.rename(tile.geneNames());
    paint();
  }
}

function onMaskOptionsChange() {
  const started = performance.now();
  // wasm recomputes the per-cell values of the shown genes for the new labels
  const count = tile.setMaskOptions(...maskOptions());
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
    controls.vmin.disabled = controls.autoRange.checked;
    controls.vmax.disabled = controls.autoRange.checked;
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
    legend.setNoValueColour(Tile.noValueColor());
    showDemo();
  } catch (error) {
    showError(`The viewer could not start: ${error instanceof Error ? error.message : error}`);
  }
  // handy for the console, other pages and the tests: the live tile and the wasm exports
  window.cellmapViewer = { get wasm() { return wasm; }, get tile() { return tile; }, get shownGenes() { return shownGenes.slice(); } };
  document.body.dataset.ready = 'true';
}

start();
