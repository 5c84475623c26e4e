// Times the viewer's work in this browser: decoding, fill + label, per-cell stats, painting, and
// switching the shown gene (computeValues + paint + putImageData), on the 1024² bench tile.
// Results go to the table and to window.benchResults; body[data-done] is set at the end.
import init, { Tile, Colormap, Stat, Connectivity } from '/web/pkg/cellmap_wasm.js';

const params = new URLSearchParams(location.search);
const maskUrl = params.get('mask') ?? '/data/mask_1024x1024_s0.npy';
const expressionUrl = params.get('expression') ?? '/data/st_1024x1024_s0_g5100_d0.01.npz';
const switches = Number(params.get('switches') ?? 200);
const largeMaskUrl = params.get('large');

const results = [];
const facts = {};
/** The lines of `cargo run --release -p cellmap-wasm --example native_timing`, measured the same way here. */
const nativeComparable = [];

function record(step, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const row = { step, runs: samples.length, median: pick(0.5), p95: pick(0.95), min: sorted[0] };
  results.push(row);
  const cells = [row.step, row.runs, formatMs(row.median), formatMs(row.p95), formatMs(row.min)];
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(Object.assign(document.createElement('td'), { textContent: cell }));
  document.getElementById('results').append(tr);
}

/** Milliseconds with about 3 significant digits. */
function formatMs(ms) {
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 0.1) return ms.toFixed(2);
  return ms.toFixed(4);
}

function time(action) {
  const started = performance.now();
  action();
  return performance.now() - started;
}

function repeat(runs, action) {
  return Array.from({ length: runs }, (_, run) => time(() => action(run)));
}

/**
 * Per-call times of a fast action, from `runs` batches of `batch` calls each: the browser's
 * timer has 0.1 ms steps without cross-origin isolation (5 µs with it).
 */
function repeatBatched(runs, batch, action) {
  return Array.from({ length: runs }, (_, run) =>
    time(() => {
      for (let call = 0; call < batch; call += 1) action(run * batch + call);
    }) / batch);
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** A seeded generator of gene indices, so every run switches through the same genes. */
function geneSequence(count, geneCount) {
  let state = 12345;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % geneCount;
  });
}

let wasm;

async function run() {
  wasm = await init();
  let tile;
  let maskBytes;
  if (expressionUrl === 'demo') {
    record('Tile.demo 1024² (simulate tissue + genes)', [time(() => { tile = Tile.demo(0, 1024, 1024); })]);
  } else {
    maskBytes = await fetchBytes(maskUrl);
    const expressionBytes = await fetchBytes(expressionUrl);
    facts.expressionMB = +(expressionBytes.length / 2 ** 20).toFixed(1);
    record('Tile.fromMask (.npy decode + fill + label)', [time(() => { tile = Tile.fromMask(maskBytes, maskUrl); })]);
    record('attachExpression (.npz inflate + CSR → gene-major)',
      [time(() => tile.attachExpression(expressionBytes, expressionUrl))]);
  }
  if (expressionUrl !== 'demo') timeLikeNative(tile, maskBytes);
  facts.width = tile.width;
  facts.height = tile.height;
  facts.genes = tile.geneCount;
  record('setMaskOptions fill + label, 4-conn', repeat(20, () => tile.setMaskOptions(true, Connectivity.Four)));
  record('setMaskOptions label only, 4-conn', repeat(20, () => tile.setMaskOptions(false, Connectivity.Four)));
  record('setMaskOptions fill + label, 8-conn', repeat(20, () => tile.setMaskOptions(true, Connectivity.Eight)));
  facts.cells = tile.setMaskOptions(true, Connectivity.Four);

  const genes = geneSequence(switches, tile.geneCount);
  const one = new Uint32Array(1);
  const batch = 10;
  const batches = Math.max(1, Math.floor(switches / batch));
  record(`computeValues mean, one gene (batches of ${batch})`, repeatBatched(batches, batch, (run) => {
    one[0] = genes[run];
    tile.computeValues(one, Stat.Mean);
  }));
  record(`computeValues max, one gene (batches of ${batch})`, repeatBatched(batches, batch, (run) => {
    one[0] = genes[run];
    tile.computeValues(one, Stat.Max);
  }));
  const ten = Uint32Array.from(genes.slice(0, 10));
  record('computeValues mean, sum of 10 genes', repeat(20, () => tile.computeValues(ten, Stat.Mean)));
  record('paint (normalise + colour, auto range)', repeat(switches, () => tile.paint(Colormap.Viridis, NaN, NaN, false)));
  record('paint with outlines', repeat(50, () => tile.paint(Colormap.Viridis, NaN, NaN, true)));

  const canvas = document.getElementById('map');
  canvas.width = tile.width;
  canvas.height = tile.height;
  const context = canvas.getContext('2d');
  const draw = () => {
    const pixels = new Uint8ClampedArray(wasm.memory.buffer, tile.pixelsPtr(), tile.pixelsLen());
    context.putImageData(new ImageData(pixels, tile.width, tile.height), 0, 0);
  };
  record('putImageData from wasm memory', repeat(50, draw));

  // the viewer's gene switch, end to end on the main thread
  const switchSamples = repeat(switches, (run) => {
    one[0] = genes[run];
    tile.computeValues(one, Stat.Mean);
    tile.paint(Colormap.Viridis, NaN, NaN, false);
    draw();
  });
  record('gene switch: computeValues + paint + putImageData', switchSamples);
  // with the frame actually presented: time from the switch to the next animation frame
  const frameSamples = [];
  for (let run = 0; run < Math.min(60, switches); run += 1) {
    const started = performance.now();
    one[0] = genes[run];
    tile.computeValues(one, Stat.Mean);
    tile.paint(Colormap.Viridis, NaN, NaN, false);
    draw();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    frameSamples.push(performance.now() - started);
  }
  record('gene switch to next animation frame', frameSamples);
  record('cellAt (batches of 10,000)', repeatBatched(20, 10_000, (i) =>
    tile.cellAt((i * 7) % tile.height, (i * 13) % tile.width)));
  record('cellInfo (batches of 100)', repeatBatched(20, 100, (i) => tile.cellInfo(1 + (i % tile.cellCount))));
  tile.free();
  if (largeMaskUrl) await timeLargeTile(largeMaskUrl);
  facts.wasmMemoryMB = +(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(1);
  facts.crossOriginIsolated = window.crossOriginIsolated;
  facts.userAgent = navigator.userAgent;
}

/** Minimum time over `repeats` runs, as the native peer reports (robust on a busy machine). */
function minMs(repeats, action) {
  return Math.min(...repeat(repeats, action));
}

/**
 * The native peer's measurements (wasm/examples/native_timing.rs) on the same calls, the same
 * genes and the same repeat counts, so the two outputs compare line by line.
 */
function timeLikeNative(tile, maskBytes) {
  const line = (text) => nativeComparable.push(text);
  line(`fromMask (decode + fill + label + regions): ${minMs(10, () => Tile.fromMask(maskBytes, 'mask.npy').free()).toFixed(2)} ms`);
  line(`setMaskOptions(true, Four): ${minMs(10, () => tile.setMaskOptions(true, Connectivity.Four)).toFixed(2)} ms`);
  line(`setMaskOptions(false, Eight): ${minMs(10, () => tile.setMaskOptions(false, Connectivity.Eight)).toFixed(2)} ms`);
  tile.setMaskOptions(true, Connectivity.Four);
  const genes = tile.geneCount;
  const step = Math.max(1, Math.floor(genes / 50));
  let compute = Infinity;
  let paint = Infinity;
  for (let gene = 0; gene < genes; gene += step) {
    const picked = Uint32Array.of(gene);
    compute = Math.min(compute, minMs(3, () => tile.computeValues(picked, Stat.Mean)));
    paint = Math.min(paint, minMs(3, () => tile.paint(Colormap.Viridis, NaN, NaN, false)));
  }
  const outlined = minMs(10, () => tile.paint(Colormap.Viridis, NaN, NaN, true));
  const five = Uint32Array.of(3, 4, 5, 6, 7);
  const sum5 = minMs(10, () => tile.computeValues(five, Stat.Sum));
  line(`${genes} genes: computeValues(1 gene, Mean) ${compute.toFixed(3)} ms, paint ${paint.toFixed(3)} ms, ` +
    `paint with outlines ${outlined.toFixed(3)} ms, computeValues(5 genes, Sum) ${sum5.toFixed(3)} ms`);
}

/** The mask-only work on a large tile (4096²): decode, fill + label, paint, draw. */
async function timeLargeTile(url) {
  const bytes = await fetchBytes(url);
  let tile;
  record('large tile: Tile.fromMask (.npy decode + fill + label)', [time(() => { tile = Tile.fromMask(bytes, url); })]);
  facts.largeTile = `${tile.width}×${tile.height}, ${tile.cellCount} cells`;
  record('large tile: setMaskOptions fill + label, 4-conn', repeat(5, () => tile.setMaskOptions(true, Connectivity.Four)));
  record('large tile: paint (no expression: no-value colour)', repeat(5, () => tile.paint(Colormap.Viridis, NaN, NaN, false)));
  const canvas = document.createElement('canvas');
  canvas.width = tile.width;
  canvas.height = tile.height;
  const context = canvas.getContext('2d');
  record('large tile: putImageData from wasm memory', repeat(5, () => {
    const pixels = new Uint8ClampedArray(wasm.memory.buffer, tile.pixelsPtr(), tile.pixelsLen());
    context.putImageData(new ImageData(pixels, tile.width, tile.height), 0, 0);
  }));
  tile.free();
}

run()
  .then(() => {
    document.getElementById('status').textContent = 'done';
  })
  .catch((error) => {
    facts.error = error instanceof Error ? error.message : String(error);
    document.getElementById('status').textContent = `failed: ${facts.error}`;
  })
  .finally(() => {
    document.getElementById('facts').textContent = JSON.stringify(facts);
    window.benchResults = { results, facts, nativeComparable };
    document.body.dataset.done = 'true';
  });
