// Runs bench/browser/index.html in headless Chromium and prints the timings (not a test).
//   node bench/browser/run.mjs [--data DIR] [--demo] [--switches N]
// DIR defaults to target/bench-data (make it with `bash bench/make-data.sh`).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { ROOT } from '../../tests/e2e/page.mjs';
import { startServer } from '../../tests/e2e/server.mjs';

/** Milliseconds with about 3 significant digits (as on the page). */
function formatMs(ms) {
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 0.1) return ms.toFixed(2);
  return ms.toFixed(4);
}

const { values: options } = parseArgs({
  options: {
    data: { type: 'string', default: path.join(ROOT, 'target/bench-data') },
    demo: { type: 'boolean', default: false },
    switches: { type: 'string', default: '200' },
  },
});

if (!existsSync(path.join(ROOT, 'web/pkg/cellmap_wasm.js'))) {
  console.error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  process.exit(1);
}
const useDemo = options.demo || !existsSync(path.join(options.data, 'st_1024x1024_s0_g5100_d0.01.npz'));
if (useDemo && !options.demo) {
  console.log(`no bench data in ${options.data} (run: bash bench/make-data.sh); timing the built-in demo tissue`);
}

const server = await startServer({ '/': ROOT, '/data/': options.data });
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  const query = new URLSearchParams({ switches: options.switches });
  if (useDemo) query.set('expression', 'demo');
  if (existsSync(path.join(options.data, 'mask_4096x4096_s0.npy'))) query.set('large', '/data/mask_4096x4096_s0.npy');
  await page.goto(`${server.url}bench/browser/index.html?${query}`);
  await page.waitForSelector('body[data-done]', { timeout: 600_000 });
  const { results, facts, nativeComparable } = await page.evaluate(() => window.benchResults);
  console.log(`image ${facts.width}×${facts.height}, ${facts.cells} cells, ${facts.genes} genes` +
    (facts.expressionMB ? `, expression file ${facts.expressionMB} MB` : '') +
    (facts.largeMask ? `; large mask ${facts.largeMask}` : '') +
    `; wasm memory ${facts.wasmMemoryMB} MB`);
  console.log(`${facts.userAgent}; timer ${facts.crossOriginIsolated ? '5 µs (cross-origin isolated)' : '100 µs'} steps`);
  const width = Math.max(...results.map((row) => row.step.length));
  console.log(`${'step'.padEnd(width)}  runs  median ms     p95 ms     min ms`);
  for (const row of results) {
    const cells = [row.median, row.p95, row.min].map((ms) => formatMs(ms).padStart(9));
    console.log(`${row.step.padEnd(width)}  ${String(row.runs).padStart(4)}  ${cells.join('  ')}`);
  }
  if (nativeComparable.length > 0) {
    console.log('\nas measured by the native peer (cargo run --release -p cellmap-wasm --example native_timing):');
    for (const line of nativeComparable) console.log(line);
  }
  if (facts.error) {
    console.error(`benchmark failed: ${facts.error}`);
    process.exitCode = 1;
  }
  await mkdir(path.join(ROOT, 'target'), { recursive: true });
  await writeFile(path.join(ROOT, 'target/bench-browser.json'),
    `${JSON.stringify({ results, facts, nativeComparable }, null, 1)}\n`);
} finally {
  await browser.close();
  await server.close();
}
