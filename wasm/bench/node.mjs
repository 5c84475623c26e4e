// The viewer's call sequence on the wasm build of the Session API, in node (V8,
// the engine of Chromium): the peer of `wasm/examples/native_timing.rs`,
// printing the same lines. Timings are the minimum over repeats.
//
//   bash scripts/build-wasm.sh && node wasm/bench/node.mjs [PKG_DIR] [BENCH_DATA_DIR]
// (defaults web/pkg and target/bench-data; make the data with `bash bench/make-data.sh`)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const pkg = resolve(process.argv[2] ?? 'web/pkg');
const dir = process.argv[3] ?? 'target/bench-data';
const { default: init, Session } = await import(
  pathToFileURL(`${pkg}/cellmap_wasm.js`).href
);
const wasm = await init({ module_or_path: readFileSync(`${pkg}/cellmap_wasm_bg.wasm`) });
const read = (name) => readFileSync(`${dir}/${name}`);

function minMs(repeats, f) {
  let best = Infinity;
  for (let i = 0; i < repeats; i += 1) {
    const start = performance.now();
    f();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

const mask = read('mask_1024x1024_s0.npy');
const session = Session.fromMask(mask, 'mask.npy');
console.log(`cells ${session.cellCount}`);
console.log(`fromMask (decode + fill + label + regions): ${minMs(10, () => Session.fromMask(mask, 'mask.npy').free()).toFixed(2)} ms`);
for (const [fill, connectivity, name] of [[true, '4', 'true, "4"'], [false, '8', 'false, "8"']]) {
  console.log(`setMaskOptions(${name}): ${minMs(10, () => session.setMaskOptions(fill, connectivity)).toFixed(2)} ms`);
}
session.setMaskOptions(true, '4');
for (const file of ['st_1024x1024_s0_g100_d0.01.npz', 'st_1024x1024_s0_g5100_d0.01.npz']) {
  const st = read(file);
  const start = performance.now();
  session.attachExpression(st, file);
  console.log(`attachExpression ${file}: ${(performance.now() - start).toFixed(0)} ms`);
  const genes = session.geneCount;
  let compute = Infinity;
  let paint = Infinity;
  for (let g = 0; g < genes; g += Math.max(1, Math.floor(genes / 50))) {
    compute = Math.min(compute, minMs(3, () => session.computeValues(Uint32Array.of(g), 'mean')));
    paint = Math.min(paint, minMs(3, () => session.paint('viridis', 'minmax', NaN, NaN, false, false)));
  }
  const outlined = minMs(10, () => session.paint('viridis', 'minmax', NaN, NaN, false, true));
  const sum5 = minMs(10, () => session.computeValues(Uint32Array.of(3, 4, 5, 6, 7), 'sum'));
  const genes31 = Uint32Array.from({ length: Math.min(31, genes) }, (_, i) => i);
  const sum31 = minMs(10, () => session.computeValues(genes31, 'mean'));
  console.log(
    `${genes} genes: computeValues(1 gene, mean) ${compute.toFixed(3)} ms, paint ${paint.toFixed(3)} ms, ` +
      `paint with outlines ${outlined.toFixed(3)} ms, computeValues(5 genes, sum) ${sum5.toFixed(3)} ms, ` +
      `computeValues(${genes31.length} genes, mean) ${sum31.toFixed(3)} ms`,
  );
}
console.log(`wasm memory: ${(wasm.memory.buffer.byteLength / 2 ** 20).toFixed(0)} MiB`);
