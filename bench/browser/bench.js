// Times the viewer's work in this browser: decoding, fill + label, per-cell stats, painting, and
// switching the shown gene (computeValues + paint + putImageData), on the 1024² bench image.
// Results go to the table and to window.benchResults; body[data-done] is set at the end.
import init, { Session } from '/web/pkg/cellmap_wasm.js';

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
  let session;
  let maskBytes;
  if (expressionUrl === 'demo') {
    record('Session.demo 1024² (simulate tissue + genes)', [time(() => { session = Session.demo(0, 1024, 1024); })]);
  } else {
    maskBytes = await fetchBytes(maskUrl);
    const expressionBytes = await fetchBytes(expressionUrl);
    facts.expressionMB = +(expressionBytes.length / 2 ** 20).toFixed(1);
    record('Session.fromMask (.npy decode + fill + label)', [time(() => { session = Session.fromMask(maskBytes, maskUrl); })]);
    record('attachExpression (.npz inflate + CSR → gene-major)',
      [time(() => session.attachExpression(expressionBytes, expressionUrl))]);
  }
  if (expressionUrl !== 'demo') timeLikeNative(session, maskBytes);
  facts.width = session.width;
  facts.height = session.height;
  facts.genes = session.geneCount;
  record('setMaskOptions fill + label, 4-conn', repeat(20, () => session.setMaskOptions(true, '4')));
  record('setMaskOptions label only, 4-conn', repeat(20, () => session.setMaskOptions(false, '4')));
  record('setMaskOptions fill + label, 8-conn', repeat(20, () => session.setMaskOptions(true, '8')));
  facts.cells = session.setMaskOptions(true, '4');

  const genes = geneSequence(switches, session.geneCount);
  const one = new Uint32Array(1);
  const batch = 10;
  const batches = Math.max(1, Math.floor(switches / batch));
  record(`computeValues mean, one gene (batches of ${batch})`, repeatBatched(batches, batch, (run) => {
    one[0] = genes[run];
    session.computeValues(one, 'mean');
  }));
  record(`computeValues max, one gene (batches of ${batch})`, repeatBatched(batches, batch, (run) => {
    one[0] = genes[run];
    session.computeValues(one, 'max');
  }));
  const ten = Uint32Array.from(genes.slice(0, 10));
  record('computeValues mean, sum of 10 genes', repeat(20, () => session.computeValues(ten, 'mean')));
  record('paint (normalise + colour, auto range)', repeat(switches, () => session.paint('viridis', NaN, NaN, false)));
  record('paint with outlines', repeat(50, () => session.paint('viridis', NaN, NaN, true)));

  const canvas = document.getElementById('map');
  canvas.width = session.width;
  canvas.height = session.height;
  const context = canvas.getContext('2d');
  const draw = () => {
    const pixels = new Uint8ClampedArray(wasm.memory.buffer, session.pixelsPtr(), session.pixelsLen());
    context.putImageData(new ImageData(pixels, session.width, session.height), 0, 0);
  };
  record('putImageData from wasm memory', repeat(50, draw));

  // the viewer's gene switch, end to end on the main thread
  const switchSamples = repeat(switches, (run) => {
    one[0] = genes[run];
    session.computeValues(one, 'mean');
    session.paint('viridis', NaN, NaN, false);
    draw();
  });
  record('gene switch: computeValues + paint + putImageData', switchSamples);
  // with the frame actually presented: time from the switch to the next animation frame
  const frameSamples = [];
  for (let run = 0; run < Math.min(60, switches); run += 1) {
    const started = performance.now();
    one[0] = genes[run];
    session.computeValues(one, 'mean');
    session.paint('viridis', NaN, NaN, false);
    draw();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    frameSamples.push(performance.now() - started);
  }
  record('gene switch to next animation frame', frameSamples);
  record('cellAt (batches of 10,000)', repeatBatched(20, 10_000, (i) =>
    session.cellAt((i * 7) % session.height, (i * 13) % session.width)));
  record('cellInfo (batches of 100)', repeatBatched(20, 100, (i) => session.cellInfo(1 + (i % session.cellCount))));
  session.free();
  if (largeMaskUrl) await timeLargeMask(largeMaskUrl);
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
function timeLikeNative(session, maskBytes) {
  const line = (text) => nativeComparable.push(text);
  line(`fromMask (decode + fill + label + regions): ${minMs(10, () => Session.fromMask(maskBytes, 'mask.npy').free()).toFixed(2)} ms`);
  line(`setMaskOptions(true, "4"): ${minMs(10, () => session.setMaskOptions(true, '4')).toFixed(2)} ms`);
  line(`setMaskOptions(false, "8"): ${minMs(10, () => session.setMaskOptions(false, '8')).toFixed(2)} ms`);
  session.setMaskOptions(true, '4');
  const genes = session.geneCount;
  const step = Math.max(1, Math.floor(genes / 50));
  let compute = Infinity;
  let paint = Infinity;
  for (let gene = 0; gene < genes; gene += step) {
    const picked = Uint32Array.of(gene);
    compute = Math.min(compute, minMs(3, () => session.computeValues(picked, 'mean')));
    paint = Math.min(paint, minMs(3, () => session.paint('viridis', NaN, NaN, false)));
  }
  const outlined = minMs(10, () => session.paint('viridis', NaN, NaN, true));
  const five = Uint32Array.of(3, 4, 5, 6, 7);
  const sum5 = minMs(10, () => session.computeValues(five, 'sum'));
  line(`${genes} genes: computeValues(1 gene, mean) ${compute.toFixed(3)} ms, paint ${paint.toFixed(3)} ms, ` +
    `paint with outlines ${outlined.toFixed(3)} ms, computeValues(5 genes, sum) ${sum5.toFixed(3)} ms`);
}

/** The mask-only work on a large mask (4096²): decode, fill + label, paint, draw. */
async function timeLargeMask(url) {
  const bytes = await fetchBytes(url);
  let session;
  record('large mask: Session.fromMask (.npy decode + fill + label)', [time(() => { session = Session.fromMask(bytes, url); })]);
  facts.largeMask = `${session.width}×${session.height}, ${session.cellCount} cells`;
  record('large mask: setMaskOptions fill + label, 4-conn', repeat(5, () => session.setMaskOptions(true, '4')));
  record('large mask: paint (no expression: no-value colour)', repeat(5, () => session.paint('viridis', NaN, NaN, false)));
  const canvas = document.createElement('canvas');
  canvas.width = session.width;
  canvas.height = session.height;
  const context = canvas.getContext('2d');
  record('large mask: putImageData from wasm memory', repeat(5, () => {
    const pixels = new Uint8ClampedArray(wasm.memory.buffer, session.pixelsPtr(), session.pixelsLen());
    context.putImageData(new ImageData(pixels, session.width, session.height), 0, 0);
  }));
  session.free();
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
