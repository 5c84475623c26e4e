// Loads real-sized files into the viewer (web/index.html) in headless Chromium, as a user drops
// them, and prints what issue 13 asks to measure (not a test):
//   * the load's wall time and the main thread's long tasks (count and longest; target ≤ 50 ms),
//   * wasm memory after the load (wasm memory never shrinks, so this is the load's peak),
//   * gene switches: from pressing Enter in the gene search to the next drawn frame (median, max),
//   * with --transcripts: the transcript table's rows per second (rows read / load time).
//
//   node bench/browser/load.mjs --mask MASK [--expression NPZ] [--transcripts TABLE] [--switches N]
//   node bench/browser/load.mjs                       (target/bench-data, bench/make-data.sh)
//   node bench/browser/load.mjs --mask target/bench-transcripts/labels.npy \
//        --transcripts target/bench-transcripts/transcripts_10000000.parquet   (bench/transcripts.sh)
//
// Needs web/pkg (scripts/build-wasm.sh). Writes target/bench-browser-load.json.
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { ROOT, afterRender, openViewer } from '../../tests/e2e/page.mjs';
import { startServer } from '../../tests/e2e/server.mjs';

const DATA = path.join(ROOT, 'target/bench-data');
const { values: options } = parseArgs({
  options: {
    mask: { type: 'string', default: path.join(DATA, 'mask_1024x1024_s0.npy') },
    expression: { type: 'string' },
    transcripts: { type: 'string' },
    switches: { type: 'string', default: '20' },
  },
});
if (!options.expression && !options.transcripts) {
  options.expression = path.join(DATA, 'st_1024x1024_s0_g5100_d0.01.npz');
}
const files = [options.mask, options.expression, options.transcripts].filter(Boolean);
for (const file of files) {
  if (!existsSync(file)) {
    console.error(`${file}: no such file (bench/make-data.sh or bench/transcripts.sh make the defaults)`);
    process.exit(1);
  }
}
if (!existsSync(path.join(ROOT, 'web/pkg/cellmap_wasm.js'))) {
  console.error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  process.exit(1);
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await startServer({ '/': path.join(ROOT, 'web') });
const browser = await launchChromium();
try {
  const { page } = await openViewer(browser, server.url);
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
    }).observe({ type: 'longtask' });
  });
  const memoryBefore = await page.evaluate(() => window.cellmapViewer.memoryBytes);
  const started = Date.now();
  await afterRender(page, () => page.setInputFiles('#file-input', files));
  // the map is drawn once the mask is in; the load is done when the source line names every file
  const names = files.map((file) => path.basename(file));
  await page.waitForFunction((names) => {
    const source = document.getElementById('source').textContent;
    return (names.every((name) => source.includes(name)) && !document.body.hasAttribute('data-loading'))
      || !document.getElementById('error').hidden;
  }, names, { timeout: 1_800_000, polling: 50 });
  const loadMs = Date.now() - started;
  const error = await page.evaluate(() => {
    const banner = document.getElementById('error');
    return banner.hidden ? null : banner.textContent;
  });
  if (error) throw new Error(`the viewer refused the files: ${error}`);
  const facts = await page.evaluate(() => ({
    source: document.getElementById('source').textContent,
    cells: document.getElementById('cell-count').textContent,
    longTasks: window.longTasks,
    memoryBytes: window.cellmapViewer.memoryBytes,
    genes: window.cellmapViewer.session.geneNames.length,
    transcripts: window.cellmapViewer.session.transcripts ?? 0,
  }));
  const switches = [];
  const count = Math.min(Number(options.switches), facts.genes);
  for (let i = 0; i < count; i += 1) {
    const gene = await page.evaluate((i) => {
      const names = window.cellmapViewer.session.geneNames;
      return names[Math.floor((i * 7919) % names.length)];
    }, i);
    await page.fill('#gene-search', gene);
    const ms = await page.evaluate(() => new Promise((resolve) => {
      // the first animation frame after the new map is put into the canvas is the one showing it
      const { view } = window.cellmapViewer;
      const draw = view.draw;
      const start = performance.now();
      view.draw = (...args) => {
        draw.apply(view, args);
        view.draw = draw;
        requestAnimationFrame(() => resolve(performance.now() - start));
      };
      const input = document.getElementById('gene-search');
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    }));
    await page.waitForFunction(() => !document.body.hasAttribute('data-loading'));
    switches.push(ms);
  }
  const switchStatus = switches.length > 0 ? await page.textContent('#status') : '';
  const longest = Math.max(0, ...facts.longTasks);
  const bytes = files.reduce((sum, file) => sum + statSync(file).size, 0);
  console.log(`${facts.source}`);
  console.log(`files ${mb(bytes)}, ${facts.cells} cells, ${facts.genes} genes`);
  console.log(`load ${(loadMs / 1000).toFixed(2)} s; main-thread long tasks: ${facts.longTasks.length}, longest ${longest.toFixed(0)} ms`);
  console.log(`wasm memory ${mb(memoryBefore)} before, ${mb(facts.memoryBytes)} after the load (its peak)`);
  if (switches.length > 0) {
    console.log(`gene switch to the drawn frame: median ${median(switches).toFixed(1)} ms, max ${Math.max(...switches).toFixed(1)} ms over ${switches.length}; the last: "${switchStatus}"`);
  }
  if (options.transcripts) {
    const rows = facts.transcripts;
    console.log(`transcripts: ${rows.toLocaleString('en')} kept in ${(loadMs / 1000).toFixed(2)} s with the labels: ` +
      `${Math.round(rows / (loadMs / 1000)).toLocaleString('en')} rows/s (kept rows; see the source line for rows read)`);
  }
  await mkdir(path.join(ROOT, 'target'), { recursive: true });
  await writeFile(path.join(ROOT, 'target/bench-browser-load.json'), `${JSON.stringify({
    files, bytes, loadMs, longTasks: facts.longTasks, memoryBefore, memoryAfter: facts.memoryBytes,
    switches, source: facts.source, genes: facts.genes, transcripts: facts.transcripts,
  }, null, 1)}\n`);
} finally {
  await browser.close();
  await server.close();
}
