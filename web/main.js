// cellmap viewer: wires the controls to the cellmap Session that lives in a Web Worker (worker.js,
// through engine.js) and draws the pixels it paints. The main thread only handles the UI: reading,
// decoding, labelling, statistics and painting all run in the worker, so the page stays responsive
// while a large file loads (a progress bar shows how far, and Cancel stops it). The menus
// (statistics, colormaps, connectivities) and the palette come from Rust; JS passes the names back.
// wasm memory never shrinks, so a load frees the shown data before it decodes the new files:
// loading the same large files again reuses the same memory.
import { Cancelled, Engine } from './engine.js';
import { CellDetail } from './detail.js';
import { Exports } from './exports.js';
import { classifyFiles, readGeneNames } from './files.js';
import { formatBytes, formatCount, formatValue } from './format.js';
import { GenePicker } from './genes.js';
import { debounced, decodeView, encodeView, sameData } from './hash.js';
import { Legend } from './legend.js';
import { MapView } from './mapview.js';
import { AnalysisPanel, ComparisonPanel, SegmentationPanel } from './modes.js';
import { Selection } from './selection.js';
import { ScaleControls } from './scale.js';
import { TranscriptDots, askColumns } from './transcripts.js';

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
  outlines: byId('outlines'),
  error: byId('error'),
  errorText: byId('error-text'),
  errorDismiss: byId('error-dismiss'),
  viewport: byId('viewport'),
  dropHint: byId('drop-hint'),
  status: byId('status'),
  progress: byId('progress'),
  cancel: byId('cancel'),
  copyLink: byId('copy-link'),
  copyLinkStatus: byId('copy-link-status'),
};

/** The worker that owns wasm and the session. */
let engine = null;
/** What start() got from the worker: menus, colormap LUTs, the no-value colour. */
let palette = null;
/**
 * The shown session's facts (plain data from the worker: width, height, cellCount, isLabelImage,
 * geneCount, ...), or null: nothing loaded (at start, while a mask loads, after a failed load).
 */
let session = null;
/** True while files are read and decoded: the controls are disabled and the view is dimmed. */
let loading = false;
/** Whether the mask controls have been set from the first session's options (scipy's defaults). */
let maskDefaultsSet = false;
let shownGenes = [];
/** The categories the last paint showed (their names in colour order, then "other"), or null. */
let shownCategories = null;
/** The range the last paint used, [lo, hi] ([NaN, NaN] when no cell has a value). */
let shownRange = [NaN, NaN];
/** The parts of the source line: what the cells and the expression came from. */
let source = { cells: '', expression: '' };
/** Statistic name -> description (statOptions(), filled at start). */
const statDescriptions = new Map();
/** The statistic new expression opens on: the first of statOptions() (Rust lists its default first). */
let defaultStat = '';
let renderCount = 0;
/** The topic of the error shown ('files', 'colour', ...): a later success of the same kind clears it. */
let errorTopic = null;
/** The names of the files shown (['demo'] for the demo): the data a view in the URL belongs to. */
let shownData = [];
/** A view from the URL waiting for its files to be opened again (see hash.js), or null. */
let pendingView = null;
/** The published store shown (`?data=`, as given: relative or absolute), or null. */
let storeUrl = null;

const mapView = new MapView(
  { viewport: controls.viewport, canvas: byId('map'), tooltip: byId('tooltip'), announcer: byId('announcer') },
  describePixel,
);
const scaleControls = new ScaleControls({
  colorBy: byId('color-by'),
  scale: byId('scale'),
  percentiles: byId('percentiles'),
  low: byId('pct-low'),
  high: byId('pct-high'),
  vmin: byId('vmin'),
  vmax: byId('vmax'),
  log1p: byId('log1p'),
});
const dots = new TranscriptDots(controls.viewport, mapView);
const legend = new Legend({
  ticks: byId('legend-ticks'),
  bar: byId('legend-bar'),
  min: byId('legend-min'),
  max: byId('legend-max'),
  caption: byId('legend-caption'),
  noValueSwatch: byId('no-value-swatch'),
  categories: byId('legend-categories'),
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

/** What the export, selection and detail modules need of the viewer. */
const viewerHooks = {
  call: (op, ...args) => engine.call(op, ...args),
  session: () => session,
  stat: () => controls.stat.value,
  run: (action) => guarded(action),
  view: () => {
    const scale = scaleControls.settings();
    // the range in data units, as the legend shows it (under log1p its ends go back through expm1)
    const data = (v) => (scale.log1p ? Math.expm1(v) : v);
    // categories: the colours in use, named left to right (the legend's strip and list)
    const categorical = scale.colorBy === 'cell' || shownCategories !== null;
    return {
      colormap: controls.colormap.value,
      range: shownRange.map(data),
      caption: shownCategories ? `${legend.caption.textContent} — left to right: ${shownCategories.join(', ')}` : legendCaption(scale),
      strip: categorical ? Array.from(legend.bar.getContext('2d').getImageData(0, 0, 256, 1).data) : null,
      stat: controls.stat.value,
      genes: session?.geneCount > 0 ? shownGenes.map((index) => genePicker.names[index]) : [],
    };
  },
};
const analysis = new AnalysisPanel({
  input: byId('annotations-input'),
  source: byId('annotations-source'),
  column: byId('annotation-column'),
  as: byId('annotation-as'),
}, {
  call: (op, ...args) => engine.call(op, ...args),
  run: (action) => guarded(action, 'files'),
  onChange: (show) => {
    if (show) scaleControls.set({ colorBy: 'column' });
    updateControls();
    guarded(() => paint(), 'colour');
  },
});
const comparison = new ComparisonPanel({
  input: byId('prediction-input'),
  summary: byId('prediction-summary'),
  compared: byId('compare-show'),
  table: byId('pcc-rows'),
  sortGene: byId('pcc-sort-gene'),
  sortPcc: byId('pcc-sort-pcc'),
  exportCsv: byId('export-pcc'),
}, {
  call: (op, ...args) => engine.call(op, ...args),
  run: (action) => guarded(action, 'files'),
  stat: () => controls.stat.value,
  onChange: (show) => {
    if (show) scaleControls.set({ colorBy: 'compare' });
    updateControls();
    guarded(() => paint(), 'colour');
  },
});
const segmentation = new SegmentationPanel({
  input: byId('second-labels-input'),
  summary: byId('second-labels-summary'),
  exportCsv: byId('export-segeval'),
}, {
  call: (op, ...args) => engine.call(op, ...args),
  run: (action) => guarded(action, 'files'),
  onChange: (show) => {
    if (show) scaleControls.set({ colorBy: 'iou' });
    updateControls();
    guarded(() => paint(), 'colour');
  },
});
const exportsPanel = new Exports({
  png: byId('export-png'),
  csv: byId('export-csv'),
  assignments: byId('export-assignments'),
  assignmentsNote: byId('export-assignments-note'),
  status: byId('export-status'),
}, viewerHooks);
const selection = new Selection({
  viewport: controls.viewport,
  canvas: byId('map'),
  modes: { rectangle: byId('select-rectangle'), lasso: byId('select-lasso') },
  count: byId('selection-count'),
  exportIds: byId('export-selection'),
  clear: byId('select-clear'),
}, viewerHooks, mapView);
const cellDetail = new CellDetail({
  panel: byId('cell-detail'),
  title: byId('cell-detail-title'),
  facts: byId('cell-detail-facts'),
  genesTitle: byId('cell-detail-genes-title'),
  genes: byId('cell-detail-genes'),
  close: byId('cell-detail-close'),
  viewport: controls.viewport,
}, viewerHooks, mapView);

// ---- errors and status -------------------------------------------------------------------------

function showError(error, topic = 'general') {
  const message = error instanceof Error ? error.message : String(error);
  controls.errorText.textContent = message;
  controls.error.hidden = false;
  errorTopic = topic;
  console.warn('cellmap:', message);
}

/** Hides the error banner; with a `topic`, only an error of that topic (its problem is fixed). */
function clearError(topic = null) {
  if (topic !== null && topic !== errorTopic) return;
  controls.error.hidden = true;
  controls.errorText.textContent = '';
  errorTopic = null;
}

/**
 * Runs an action of `topic`; a failure is shown in the page, the status line says what is shown,
 * and the viewer stays as it was. A success clears an error of the same topic.
 */
async function guarded(action, topic = 'general') {
  try {
    await action();
    clearError(topic);
  } catch (error) {
    showError(error, topic);
    if (!loading) setStatus(restingStatus());
  }
}

/** The status line when nothing is in progress: what is shown. */
function restingStatus() {
  if (!session) return 'Nothing loaded: open a mask (+ expression) or show the demo tissue.';
  return `${cellCountText(session)} cells`;
}

/**
 * The cell count: the cells that have pixels, and when a label image skips ids (e.g. ids
 * offset by 1,000) the id range too.
 */
function cellCountText({ cellCount, cellsWithPixels }) {
  if (cellsWithPixels === cellCount) return formatCount(cellCount);
  return `${formatCount(cellsWithPixels)} (ids up to ${formatCount(cellCount)}; ${formatCount(cellCount - cellsWithPixels)} without pixels)`;
}

function setStatus(text) {
  controls.status.textContent = text;
}

const STEP_NAMES = {
  read: 'Reading',
  readers: 'Loading the label-format readers for',
  store: 'Opening the published store',
  cells: 'Finding the cells of',
  decode: 'Decoding',
  transcripts: 'Reading the transcripts of',
  count: 'Counting the transcripts of',
};

/** A progress report from the worker: the bar and the status line follow it. */
function showProgress({ step, file, done, total, rows }) {
  if (step === 'fetch') {
    // a published store's chunks, while opening it or for the view and genes shown
    controls.progress.hidden = false;
    controls.progress.max = total;
    controls.progress.value = done;
    setStatus(`Fetching ${file} from ${storeUrl ?? 'the store'}: ${formatCount(done)} of ${formatCount(total)}…`);
    return;
  }
  if (!loading) return;
  const bytes = step === 'read' || step === 'decode';
  controls.progress.hidden = false;
  if (rows !== undefined) {
    // a transcript table: rows read, and bytes of a text file (rows of a Parquet one) for the bar
    controls.progress.max = total;
    controls.progress.value = done;
    setStatus(`${STEP_NAMES[step]} ${file}: ${formatCount(rows)} rows…`);
    return;
  }
  if (bytes && total > 0) {
    controls.progress.max = total;
    controls.progress.value = done;
  } else {
    controls.progress.removeAttribute('value');
  }
  const amount = bytes ? `: ${formatBytes(done)} of ${formatBytes(total)}` : '';
  setStatus(`${STEP_NAMES[step] ?? step} ${file}${amount}…`);
}

// ---- menus -------------------------------------------------------------------------------------

/** Fills a <select> with `options` ({value, text}). */
function fillSelect(select, options) {
  select.replaceChildren(...options.map(({ value, text }) =>
    Object.assign(document.createElement('option'), { value, textContent: text })));
}

/** The statistic, colormap and connectivity menus, from the names Rust knows. */
function fillMenus({ stats, colormaps, connectivities, scales }) {
  scaleControls.setOptions(scales);
  for (const { name, description } of stats) statDescriptions.set(name, description);
  defaultStat = stats[0].name;
  fillSelect(controls.stat, stats.map(({ name, description }) => ({ value: name, text: `${name} — ${description}` })));
  fillSelect(controls.colormap, colormaps.map((name) => ({ value: name, text: name })));
  fillSelect(controls.connectivity, connectivities.map((name) => ({ value: name, text: name })));
}

// ---- rendering ---------------------------------------------------------------------------------

function maskOptions() {
  return [controls.fillHoles.checked, controls.connectivity.value];
}

/** Per-cell values for the shown genes, then paint. */
function computeAndPaint() {
  return render(true);
}

/** Paint the current per-cell values with the colour settings. */
function paint() {
  return render(false);
}

/**
 * Has the worker (re)compute the shown genes' per-cell values (`compute`) and paint them with the
 * colour settings, then draws the pixels it sends (moved, not copied) and the legend.
 */
async function render(compute) {
  if (!session) return;
  const started = performance.now();
  const colormap = controls.colormap.value;
  const scale = scaleControls.settings();
  const shownSession = session;
  const region = session.store ? mapView.visibleRegion() : null;
  drawnRegion = region && JSON.stringify(region);
  const painted = await engine.call('render', {
    genes: shownGenes,
    stat: controls.stat.value,
    compute,
    colormap,
    ...scale,
    outlines: controls.outlines.checked,
    // a published store draws the window in view (its chunks are fetched on the way)
    region,
    // the analysis modes: the per-cell CSV's column and how to show it; the predicted gene and map
    ...analysis.settings(),
    ...comparison.settings(),
  });
  if (session !== shownSession) return;
  if (!loading) controls.progress.hidden = true;
  shownRange = painted.range;
  scaleControls.showRange(shownRange);
  mapView.draw(new ImageData(painted.pixels, painted.width, painted.height), painted.placement ?? null);
  const elapsed = performance.now() - started;
  shownCategories = painted.legend
    ? [...painted.legend.entries.map(({ name }) => name), ...(painted.legend.otherValues > 0 ? ['other (dark grey)'] : [])]
    : null;
  if (scale.colorBy === 'cell') {
    legend.showCategorical(palette.categorical, 'a distinct colour per cell id (matplotlib tab20: 20 colours, repeating)');
  } else if (painted.legend) {
    const { column } = analysis.settings();
    const { values, otherValues } = painted.legend;
    const colours = { palette: palette.categorical, other: palette.otherCategory, noValue: palette.noValueColor };
    const more = otherValues > 0 ? `; the ${formatCount(painted.legend.entries.length)} most common have a colour each, the others share one` : '';
    legend.showCategories(painted.legend, colours, `${column} (${analysis.annotations.file}): ${formatCount(values)} values${more}`);
  } else {
    // the legend is in data units: under log1p the range's ends go back through expm1
    const data = (v) => (scale.log1p ? Math.expm1(v) : v);
    legend.show(palette.luts[colormap], data(shownRange[0]), data(shownRange[1]), legendCaption(scale), painted.ticks);
  }
  await cellDetail.refresh();
  renderCount += 1;
  document.body.dataset.renders = String(renderCount);
  clearError('colour');
  const fetched = session.store
    ? ` · level ${painted.level} (${painted.placement.factor}× coarser), ${formatCount(painted.requests)} requests`
    : '';
  setStatus(`${cellCountText(session)} cells · drawn in ${elapsed.toFixed(1)} ms${fetched}`);
  writeHash();
}

function legendCaption({ colorBy, scale, low, high, log1p }) {
  const notes = [];
  if (scale === 'percentile') notes.push(`range: ${low}–${high}th percentile`);
  if (log1p) notes.push('log1p colour scale');
  const noted = (what) => (notes.length > 0 ? `${what} (${notes.join(', ')})` : what);
  if (colorBy === 'column') return noted(`${analysis.settings().column} per cell (${analysis.annotations?.file})`);
  if (colorBy === 'iou') return `best IoU of each cell with a cell of ${segmentation.scores?.file} (0: no overlap)`;
  if (colorBy === 'compare') {
    const { compareGene, compared } = comparison.settings();
    const what = compared === 'difference' ? 'predicted − measured' : compared;
    return noted(`${compareGene}: ${what} (${comparison.scores?.file} vs the ${comparison.scores?.stat} per cell)`);
  }
  if (session.geneCount === 0) return 'no expression loaded: every cell has no value';
  const genes = shownGenes.map((index) => genePicker.names[index]).join(' + ');
  const stat = statDescriptions.get(controls.stat.value);
  // several genes: each gene's per-cell statistic, summed over the genes (the layers summed)
  const what = shownGenes.length === 1 ? `${genes}: ${stat} per cell` : `${stat} per cell of each gene, summed: ${genes}`;
  return noted(what);
}

function showSource() {
  controls.source.textContent = [source.cells, source.expression].filter(Boolean).join(' + ');
}

async function describePixel(row, col) {
  if (!session) return null;
  // a hover during a load or a cancel has nothing to describe
  const info = await engine.call('cellInfo', row, col).catch(() => undefined);
  if (!session || info === undefined) return null;
  if (info === null) return `background\nrow ${row}, col ${col}`;
  return [
    `cell ${info.label}`,
    `area ${formatCount(info.area)} px`,
    `centroid row ${info.centroidRow.toFixed(1)}, col ${info.centroidCol.toFixed(1)}`,
    // an analysis mode shows its own value of the cell (e.g. the CSV column's category)
    info.mode ? `${info.mode.term}: ${info.mode.text}`
      : session.geneCount > 0 ? `${controls.stat.value} ${formatValue(info.value)}` : 'no expression loaded',
  ].join('\n');
}

// ---- state changes -----------------------------------------------------------------------------

function showGenes(genes) {
  if (!session) return null;
  shownGenes = genes;
  showDots();
  return computeAndPaint();
}

/** The dots of the shown genes' transcripts (none without a transcript table). */
async function showDots() {
  const genes = shownGenes;
  const points = session?.transcripts > 0 && genes.length > 0 ? await engine.call('transcriptPoints', genes) : null;
  if (genes !== shownGenes) return; // the genes changed meanwhile
  dots.setPoints(points, session?.width ?? 0, session?.height ?? 0);
}

/** Offers the statistics that apply to the expression (sum and count for transcript counts). */
function offerStats(stats) {
  for (const option of controls.stat.options) {
    option.disabled = !stats.includes(option.value);
    option.hidden = option.disabled;
  }
  if (!stats.includes(controls.stat.value)) controls.stat.value = stats[0];
}

/**
 * Makes `next` the shown session (freeing the previous one), fits it in the view, shows `genes`.
 * `from` is the source line's parts ({cells, expression}).
 */
function adoptSession(next, from, genes = [0], initialView = null) {
  session = next;
  source = { cells: '', expression: '', ...from };
  showSource();
  controls.cellCount.textContent = cellCountText(session);
  updateControls();
  mapView.setImageSize(session.width, session.height, Boolean(session.store));
  // a link's zoom and centre before the first draw: a published store then fetches only that view
  if (initialView && [initialView.zoom, initialView.cx, initialView.cy].every(Number.isFinite)) mapView.setView(initialView);
  return adoptGenes(genes);
}

const LABEL_IMAGE_NOTE = 'This file is a label image: its cells are used as labelled (touching cells stay ' +
  'apart), so fill holes and connectivity do not apply.';
const PUBLISHED_NOTE = 'A published store holds its cells as labelled, so fill holes and connectivity do not apply.';
/** The note shown under the mask options when they do not apply (made once, here). */
const labelImageNote = Object.assign(document.createElement('p'), {
  id: 'label-image-note',
  className: 'hint',
  hidden: true,
  textContent: LABEL_IMAGE_NOTE,
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
  const published = Boolean(session?.store);
  controls.fileInput.disabled = !idle;
  controls.demoButton.disabled = !idle;
  controls.fillHoles.disabled = !data || labelImage;
  controls.connectivity.disabled = !data || labelImage;
  labelImageNote.hidden = !(session && labelImage);
  labelImageNote.textContent = published ? PUBLISHED_NOTE : LABEL_IMAGE_NOTE;
  controls.copyLink.disabled = !data;
  for (const control of [controls.stat, controls.colormap, controls.outlines]) {
    control.disabled = !data;
  }
  // the analysis modes need a session in memory (a published store is read window by window)
  analysis.update(data && !published);
  comparison.update(data && !published && session.geneCount > 0);
  segmentation.update(data && !published);
  for (const [mode, ready] of [['column', analysis.ready], ['compare', comparison.ready], ['iou', segmentation.ready]]) {
    const option = scaleControls.colorBy.querySelector(`[value="${mode}"]`);
    option.disabled = !ready;
    if (!ready && scaleControls.colorBy.value === mode) scaleControls.colorBy.value = 'values';
  }
  const { colorBy } = scaleControls.settings();
  const continuous = colorBy === 'values' || colorBy === 'compare' || (colorBy === 'column' && analysis.settings().as === 'values');
  scaleControls.update(data, continuous);
  for (const radio of genePicker.modeRadios) radio.disabled = !data;
  // a published store exports and selects too (store-ops.js, in the worker)
  exportsPanel.update({ idle, session });
  selection.update({ idle, session });
  controls.cancel.hidden = !loading;
  document.body.toggleAttribute('data-loading', loading);
  controls.viewport.setAttribute('aria-busy', String(loading));
}

/**
 * Frees the shown session (labels, expression, pixels) so that what is decoded next reuses its
 * wasm memory, and shows the empty state: no map, no genes, a source line that says so.
 */
function dropSession() {
  session = null;
  storeUrl = null;
  selection.clear();
  cellDetail.close();
  shownGenes = [];
  shownRange = [NaN, NaN];
  shownData = [];
  source = { cells: '', expression: '' };
  dots.setPoints(null, 0, 0);
  analysis.reset();
  comparison.reset();
  segmentation.reset();
  controls.source.textContent = 'Nothing loaded: open a mask (+ expression) or show the demo tissue.';
  controls.cellCount.textContent = '–';
  genePicker.setGenes([], []);
  mapView.clear();
  legend.show(palette.luts[controls.colormap.value], NaN, NaN, 'nothing loaded');
  updateControls();
}

function adoptGenes(genes = [0]) {
  shownGenes = genes.filter((gene) => gene < session.geneCount);
  genePicker.setGenes(session.geneNames, shownGenes);
  offerStats(session.stats);
  showDots();
  return computeAndPaint();
}

/**
 * Opens the published store at `url` (`?data=`; relative to the page or absolute): its metadata,
 * then the chunks of the view and the columns of the genes shown, as the map is drawn.
 */
async function openStore(url, view = null) {
  loading = true;
  clearError();
  try {
    dropSession();
    updateControls();
    setStatus(`Opening the published store ${url}…`);
    const info = await engine.call('openStore', new URL(url, location.href).href);
    storeUrl = url;
    shownData = [url];
    controls.stat.value = info.shownStat;
    useSuggestedView(info.suggestedView);
    if (info.store.colormap && palette.colormaps.includes(info.store.colormap)) controls.colormap.value = info.store.colormap;
    loading = false;
    const cells = `${info.store.title ? `${info.store.title} — ` : ''}${url}: published store, ${info.width}×${info.height} px, ` +
      `${formatCount(info.cellCount)} cells, ${formatCount(info.geneCount)} genes ` +
      `(${info.store.levels.length / 5} pyramid levels, fetched as viewed)`;
    await adoptSession(info, { cells }, info.shownGenes, view);
  } catch (error) {
    if (error instanceof Cancelled) return;
    dropSession();
    setStatus('The published store could not be opened: open files or show the demo tissue.');
    throw error;
  } finally {
    loading = false;
    controls.progress.hidden = true;
    updateControls();
  }
}

/** A published store's map follows the view: the window in view is drawn again after a pan or zoom. */
let storeRepaint = { timer: null, running: false, again: false };
/** The region of the store's last render (JSON), to skip repaints a resize or a re-fit do not need. */
let drawnRegion = null;
function scheduleStoreRepaint() {
  if (!session?.store || loading || JSON.stringify(mapView.visibleRegion()) === drawnRegion) return;
  // at most one draw per 60 ms while the view keeps moving (a drag), and one after it stops
  if (storeRepaint.timer !== null) return;
  storeRepaint.timer = setTimeout(() => {
    storeRepaint.timer = null;
    if (session?.store && JSON.stringify(mapView.visibleRegion()) !== drawnRegion) guarded(repaintStore, 'colour');
  }, 60);
}
async function repaintStore() {
  if (storeRepaint.running) {
    storeRepaint.again = true;
    return;
  }
  storeRepaint.running = true;
  try {
    await paint();
  } finally {
    storeRepaint.running = false;
    if (storeRepaint.again) {
      storeRepaint.again = false;
      scheduleStoreRepaint();
    }
  }
}

/** Drops `?data=` from the address (other data is shown): a reload shows what is shown. */
function forgetStoreUrl() {
  if (!new URLSearchParams(location.search).has('data')) return;
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
}

/** Copies the address of the shown view (the data URL and the view in the hash) to the clipboard. */
async function copyLink() {
  if (session && !loading && !pendingView) history.replaceState(null, '', encodeView(currentView()));
  const link = location.href;
  try {
    await navigator.clipboard.writeText(link);
    controls.copyLinkStatus.textContent = 'Link copied.';
  } catch {
    // no clipboard permission (e.g. an http: page): show the link to copy by hand
    controls.copyLinkStatus.textContent = link;
  }
  window.cellmapViewer.copiedLink = link;
}

async function showDemo() {
  // the shown session goes first: the demo reuses its memory
  forgetStoreUrl();
  dropSession();
  // the first session's mask options are the defaults (scipy's): the controls start from them
  const demo = await engine.call('demo', DEMO, maskDefaultsSet ? maskOptions() : null);
  if (!maskDefaultsSet) {
    controls.fillHoles.checked = demo.fillHoles;
    controls.connectivity.value = demo.connectivity;
    maskDefaultsSet = true;
  }
  // open on what Rust chose for the demo: a gene with a spatial pattern, and the statistic and
  // range that show it (its expression is transcript counts: the sum per cell, 1–99th percentile)
  controls.stat.value = demo.shownStat;
  useSuggestedView(demo.suggestedView);
  shownData = ['demo'];
  const cells = `Demo: synthetic tissue ${DEMO.width}×${DEMO.height}, ${demo.geneCount} genes (made in the browser)`;
  await adoptSession(demo, { cells }, demo.shownGenes);
}

/** Sets the colour controls to what Rust suggests for the data (suggestedView): range, outlines. */
function useSuggestedView({ scale, low, high, outlines }) {
  scaleControls.set({ colorBy: 'values', scale, low, high, log1p: false });
  controls.outlines.checked = outlines;
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
  const files = await classifyFiles([...fileList]);
  if (!files.mask && !files.expression && !files.transcripts && !files.names && !files.annotations) return;
  if (!files.mask && !session) throw new Error('load a mask first');
  if (files.mask || files.expression || files.transcripts) {
    const described = Object.entries(files)
      .filter(([, file]) => file)
      .map(([role, file]) => `${role}: ${file.name} (${formatBytes(file.size)})`);
    loading = true;
    clearError();
    try {
      if (files.mask) {
        forgetStoreUrl();
        dropSession();
      } else {
        // the cells stay (dimmed, not repainted until the expression is decoded)
        session = await engine.call('detachExpression');
        shownGenes = [];
        dots.setPoints(null, 0, 0);
        genePicker.setGenes([], []);
        source.expression = '';
        showSource();
      }
      updateControls();
      setStatus(`Loading ${described.join(', ')}…`);
      await decodeFiles(files);
    } catch (error) {
      setStatus('');
      if (error instanceof Cancelled) return;
      throw error;
    } finally {
      loading = false;
      controls.progress.hidden = true;
      updateControls();
    }
  }
  if (files.names) {
    setStatus(`Reading gene names from ${files.names.name}…`);
    const names = await readGeneNames(files.names);
    if (names.length !== session.geneCount) {
      throw new Error(`${files.names.name} has ${formatCount(names.length)} gene names but the expression has ${formatCount(session.geneCount)} genes`);
    }
    session.geneNames = await engine.call('setGeneNames', names);
    genePicker.rename(session.geneNames);
    await paint();
  }
  await applyPendingView();
  if (files.annotations) await openAnnotations(files.annotations);
}

/** Opens a per-cell CSV over the shown cells and colours the cells by its (first) column. */
async function openAnnotations(file) {
  if (loading) throw new Error('still loading files: wait until they are shown');
  if (!session || session.store) throw new Error(`${file.name}: a per-cell CSV needs cells from files or the demo, not a published store`);
  await analysis.open(file);
}

/**
 * Has the worker decode the mask (into a new session) and the expression (onto it, or onto the
 * shown session) and shows the result; throws the expression's error after showing the cells
 * without it. The worker reads the files itself: the page never holds their bytes.
 */
async function decodeFiles(files) {
  let { info, expressionError, needsMapping, transcripts } = await engine.call(
    'load', { mask: files.mask, expression: files.expression, transcripts: files.transcripts }, maskOptions());
  if (needsMapping) {
    // the table's header names no x, y, gene column the viewer knows: ask which they are
    const mapping = await askColumns({ file: files.transcripts.name, ...needsMapping });
    if (!mapping) {
      expressionError = `${files.transcripts.name}: no columns chosen, so no transcripts were read`;
    } else {
      try {
        ({ info, transcripts } = await engine.call('attachTranscripts', files.transcripts, mapping));
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        expressionError = error.message;
      }
    }
  }
  if (files.expression && !expressionError) {
    // new expression data opens on what Rust suggests for it: counts on the sum per cell with the
    // 1–99th percentile range, other values on the mean (the research scripts') with min–max
    controls.stat.value = info.suggestedView.stat ?? defaultStat;
  }
  // transcript counts open on their first statistic (the sum: transcripts per cell)
  if (transcripts) controls.stat.value = info.stats[0];
  // new data opens on the view Rust suggests for it
  if (files.mask || (files.expression && !expressionError) || transcripts) useSuggestedView(info.suggestedView);
  shownData = [files.mask?.name ?? shownData[0], files.expression?.name].filter(Boolean);
  let expression = files.expression && !expressionError
    ? `${files.expression.name} (${formatCount(info.geneCount)} genes)`
    : '';
  if (transcripts) expression = describeTranscripts(transcripts, info.geneCount);
  if (files.mask) {
    await adoptSession(info, { cells: `${files.mask.name} (${info.width}×${info.height})`, expression });
  } else {
    session = info;
    source.expression = expression;
    showSource();
    // a predicted table is scored against the new expression (or dropped when it has none)
    if (info.geneCount > 0) await comparison.refresh().catch((error) => { expressionError ??= error.message; });
    else comparison.reset();
    await adoptGenes();
  }
  if (expressionError) throw new Error(expressionError);
}

/**
 * The source line's words about a transcript table: genes, where the transcripts fell, what was
 * dropped, and the warning when more than half fell outside the image.
 */
function describeTranscripts(t, genes) {
  const dropped = [
    [t.droppedLowQv, 'low-qv'],
    [t.droppedControls, 'control-probe'],
    [t.droppedFiltered, 'filtered'],
  ].filter(([count]) => count > 0).map(([count, what]) => `${formatCount(count)} ${what}`);
  return `${t.file} (${t.preset}, ${t.scale} units/px: ${formatCount(genes)} genes, ` +
    `${formatCount(t.transcripts)} transcripts: ${formatCount(t.inCells)} in cells, ` +
    `${formatCount(t.background)} on background, ${formatCount(t.outside)} outside` +
    `${dropped.length > 0 ? `; ${dropped.join(', ')} rows dropped` : ''})` +
    // more than half outside the image: the frame is likely wrong (cellmap assign's warning)
    `${t.warning ? `. Warning: ${t.warning}` : ''}`;
}

async function onMaskOptionsChange() {
  if (!session) return;
  // wasm recomputes the per-cell values of the shown genes for the new labels
  const count = await engine.call('setMaskOptions', ...maskOptions());
  session.cellCount = count;
  [session.fillHoles, session.connectivity] = maskOptions();
  controls.cellCount.textContent = formatCount(count);
  selection.clear();
  await analysis.refresh();
  await comparison.refresh();
  await segmentation.refresh();
  updateControls();
  await paint();
}

// ---- the view in the URL ------------------------------------------------------------------------

/** The shown view, for the URL hash (hash.js). */
function currentView() {
  const { colorBy, scale, low, high, log1p } = scaleControls.settings();
  return {
    data: shownData,
    genes: shownGenes.map((index) => genePicker.names[index]),
    stat: controls.stat.value,
    cmap: controls.colormap.value,
    by: colorBy,
    scale,
    low,
    high,
    log1p,
    ...mapView.view(),
    fill: controls.fillHoles.checked,
    conn: controls.connectivity.value,
    outlines: controls.outlines.checked,
    ...analysis.view(),
    ...comparison.view(),
  };
}

/** Puts the shown view in the URL (debounced; replaceState, so no history entries). */
const writeHash = debounced(() => {
  if (!session || loading || pendingView) return;
  try {
    history.replaceState(null, '', encodeView(currentView()));
  } catch {
    // a blank or invalid number in a range field: the URL keeps the last good view
  }
});

/** Shows `view` (from the URL) over the shown data: mask options, genes, colours, zoom. */
async function applyView(view) {
  if (view.fill !== undefined) controls.fillHoles.checked = view.fill;
  if (view.conn !== undefined) controls.connectivity.value = view.conn;
  const [fill, conn] = maskOptions();
  if (!session.isLabelImage && (fill !== session.fillHoles || conn !== session.connectivity)) {
    session.cellCount = await engine.call('setMaskOptions', ...maskOptions());
    [session.fillHoles, session.connectivity] = maskOptions();
    controls.cellCount.textContent = cellCountText(session);
  }
  if (view.stat && session.stats.includes(view.stat)) controls.stat.value = view.stat;
  if (view.cmap) controls.colormap.value = view.cmap;
  if (view.outlines !== undefined) controls.outlines.checked = view.outlines;
  analysis.applyView(view);
  comparison.applyView(view);
  // a per-cell CSV or a predicted table not open yet: the genes' values until it is
  const waiting = (view.by === 'column' && !analysis.ready) || (view.by === 'compare' && !comparison.ready)
    || (view.by === 'iou' && !segmentation.ready);
  const by = waiting ? 'values' : view.by;
  scaleControls.set({ colorBy: by, scale: view.scale, low: view.low, high: view.high, log1p: view.log1p });
  updateControls();
  const genes = view.genes.map((name) => session.geneNames.indexOf(name)).filter((index) => index >= 0);
  if (genes.length > 1) genePicker.modeRadios[1].checked = true;
  if (genes.length > 0) {
    shownGenes = genes;
    genePicker.setGenes(session.geneNames, shownGenes);
  }
  await computeAndPaint();
  if (Number.isFinite(view.zoom) && Number.isFinite(view.cx) && Number.isFinite(view.cy)) mapView.setView(view);
}

/**
 * Applies the view waiting in the URL once its files are open again (mask and expression, by
 * name); other files drop it.
 */
async function applyPendingView() {
  if (!pendingView || !session) return;
  if (!sameData(pendingView, shownData)) {
    if (shownData.length >= pendingView.data.length) pendingView = null;
    return;
  }
  const view = pendingView;
  pendingView = null;
  await applyView(view);
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
  controls.demoButton.addEventListener('click', () => guarded(async () => {
    clearError();
    await showDemo();
  }));
  controls.cancel.addEventListener('click', () => guarded(cancelLoad));
  controls.fillHoles.addEventListener('change', () => guarded(onMaskOptionsChange, 'mask'));
  controls.connectivity.addEventListener('change', () => guarded(onMaskOptionsChange, 'mask'));
  controls.stat.addEventListener('change', () => guarded(async () => {
    // a predicted table is scored against the statistic per cell
    await comparison.refresh();
    await computeAndPaint();
  }));
  controls.colormap.addEventListener('change', () => guarded(() => paint(), 'colour'));
  controls.outlines.addEventListener('change', () => guarded(() => paint(), 'colour'));
  scaleControls.onChange(() => {
    updateControls();
    guarded(() => paint(), 'colour');
  });
  mapView.onViewChange(() => {
    writeHash();
    scheduleStoreRepaint();
  });
  controls.copyLink.addEventListener('click', () => guarded(copyLink));

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

/** Stops the load in progress: the worker is replaced, the page is left empty and usable. */
async function cancelLoad() {
  if (!loading) return;
  await engine.cancel();
  dropSession();
  clearError();
  setStatus('Loading cancelled: open files again or show the demo tissue.');
}

async function start() {
  wireControls();
  try {
    engine = new Engine(showProgress);
    palette = await engine.started;
    fillMenus(palette);
    legend.setNoValueColour(palette.noValueColor);
    // a view in the URL: the demo's is shown at once, one of files once they are opened again
    const view = decodeView(location.hash);
    // ?data=URL, else the store a published site names in its index.html (cellmap publish)
    const data = new URLSearchParams(location.search).get('data')
      || document.querySelector('meta[name="cellmap-data"]')?.content || null;
    if (data) {
      // a published store: `?data=URL` (the view in the hash, when it is this store's)
      const linked = view && sameData(view, [data]) ? view : null;
      await guarded(() => openStore(data, linked), 'files');
      if (session && linked) await applyView(linked);
    } else {
      await showDemo();
      if (view && sameData(view, ['demo'])) await applyView(view);
      else if (view) {
        pendingView = view;
        setStatus(`The link's view is shown when ${view.data.join(', ')} are opened.`);
      }
    }
  } catch (error) {
    showError(`The viewer could not start: ${error instanceof Error ? error.message : error}`);
  }
  // handy for the console, other pages and the tests: the shown session's facts (null when
  // nothing is loaded), the menus and LUTs Rust gave (`palette`), `call(op, ...args)` to ask the
  // worker (its `ops` in worker.js), the size of the
  // worker's wasm memory in bytes as of its last answer (it only grows: its high-water mark),
  // the shown gene indices and the range of the last paint
  window.cellmapViewer = {
    get session() { return session; },
    get palette() { return palette; },
    call: (op, ...args) => engine.call(op, ...args),
    get memoryBytes() { return engine.memoryBytes; },
    get shownGenes() { return shownGenes.slice(); },
    get range() { return shownRange.slice(); },
    get selection() { return { polygon: selection.polygon, ids: selection.ids.slice() }; },
    /** The published store shown (`?data=`, as given), or null. */
    get storeUrl() { return storeUrl; },
    /** The address the last "copy link" copied. */
    copiedLink: null,
    /** Transcript dots drawn by the last redraw (0 when zoomed out or without a table). */
    get dotsDrawn() { return dots.drawn; },
    // the map view (scale, offsets, zoomAt, panBy) and its transcript dots layer
    view: mapView,
    dots,
  };
  document.body.dataset.ready = 'true';
}

start();
