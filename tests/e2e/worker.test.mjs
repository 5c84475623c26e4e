// The viewer's Web Worker in headless Chromium: while a large tile (a 2048² mask and a ~80 MB
// CSR expression of 200 genes, made here in node) loads, the page's main thread never blocks for
// more than 50 ms (a `longtask` PerformanceObserver watches it), a progress bar and a status line
// say how far the worker is, and Cancel stops the load and leaves an empty, usable page.
// Needs web/pkg (scripts/build-wasm.sh).
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium } from './browser.mjs';
import { bigTile } from './npfiles.mjs';
import { ROOT, afterRender, assertNoProblems, openViewer, screenshot } from './page.mjs';
import { startServer } from './server.mjs';

const SIZE = 2048;
const GENES = 200;
/** The longest main-thread task allowed while the big tile loads (the target). */
const MAX_TASK_MS = 50;
const LOAD_TIMEOUT = 180_000;

let server;
let browser;
let dir;
let files;

before(async () => {
  await access(path.join(ROOT, 'web/pkg/cellmap_wasm.js')).catch(() => {
    throw new Error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  });
  dir = await mkdtemp(path.join(tmpdir(), 'cellmap-worker-'));
  const { mask, expression } = bigTile(SIZE, GENES, 16);
  files = { mask: path.join(dir, 'big_mask.npy'), expression: path.join(dir, 'big_expression.npz') };
  await writeFile(files.mask, mask);
  await writeFile(files.expression, expression);
  server = await startServer({ '/': path.join(ROOT, 'web') });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts recording main-thread long tasks and every status line with the progress bar's state. */
function watch(page) {
  return page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push(entry.duration);
    }).observe({ type: 'longtask' });
    const status = document.getElementById('status');
    const progress = document.getElementById('progress');
    window.statusLines = [];
    new MutationObserver(() => window.statusLines.push({
      text: status.textContent,
      progressShown: !progress.hidden,
      value: progress.value,
      max: progress.max,
    })).observe(status, { childList: true, characterData: true, subtree: true });
  });
}

const SHOWN = /^big_mask\.npy \(2048×2048\) \+ big_expression\.npz \(200 genes\)$/;

test('a large load runs in the worker: no main-thread task over 50 ms, with progress', { timeout: 3 * LOAD_TIMEOUT }, async (t) => {
  const { page, problems } = await openViewer(browser, server.url);
  await watch(page);
  const started = Date.now();
  await afterRender(page, async () => {
    await page.setInputFiles('#file-input', [files.mask, files.expression]);
    await page.waitForFunction((shown) => new RegExp(shown).test(document.getElementById('source').textContent),
      SHOWN.source, { timeout: LOAD_TIMEOUT });
  });
  const loadMs = Date.now() - started;
  assert.equal(await page.isVisible('#error'), false);
  assert.equal(await page.textContent('#cell-count'), '16,384');
  const { longTasks, statusLines } = await page.evaluate(() => ({ longTasks: window.longTasks, statusLines: window.statusLines }));
  const longest = Math.max(0, ...longTasks);
  // progress: bytes read and decoded, shown on the bar and the status line
  const decoding = statusLines.filter(({ text }) => /^Decoding big_expression\.npz: [\d.]+ [kMG]?B of [\d.]+ MB…$/.test(text));
  const reading = statusLines.filter(({ text }) => /^Reading big_mask\.npy/.test(text));
  assert.ok(reading.length > 0, `a "Reading …" line: ${JSON.stringify(statusLines.slice(0, 8))}`);
  assert.ok(decoding.length > 0, `a "Decoding …" line: ${JSON.stringify(statusLines.slice(0, 12))}`);
  assert.ok(decoding.every(({ progressShown, value, max }) => progressShown && value > 0 && value <= max),
    JSON.stringify(decoding.slice(0, 3)));
  assert.equal(await page.isVisible('#progress'), false, 'the bar goes away once the tile is shown');
  assert.equal(await page.isVisible('#cancel'), false);
  // a gene switch afterwards: the worker computes and paints, the page draws
  await afterRender(page, async () => {
    await page.fill('#gene-search', 'gene 7');
    await page.press('#gene-search', 'Enter');
  });
  const geneSwitch = await page.textContent('#status');
  t.diagnostic(`load ${loadMs} ms, ${longTasks.length} long tasks on the main thread, the longest ${longest.toFixed(0)} ms; ` +
    `gene switch: "${geneSwitch}"; status lines: ${statusLines.length}`);
  console.log(JSON.stringify({ loadMs, longTasks, geneSwitch }));
  assert.ok(longest <= MAX_TASK_MS, `a main-thread task took ${longest.toFixed(0)} ms while loading (at most ${MAX_TASK_MS})`);
  assertNoProblems(problems);
  await page.close();
});

test('Cancel stops a load: an empty, usable page; the next load and the demo work', { timeout: 3 * LOAD_TIMEOUT }, async () => {
  const { page, problems } = await openViewer(browser, server.url);
  await page.setInputFiles('#file-input', [files.mask, files.expression]);
  await page.waitForSelector('#cancel:not([hidden])');
  await page.click('#cancel');
  await page.waitForFunction(() => /^Loading cancelled/.test(document.getElementById('status').textContent));
  const state = await page.evaluate(() => ({
    session: window.cellmapViewer.session,
    source: document.getElementById('source').textContent,
    loading: document.body.hasAttribute('data-loading'),
    fileInput: document.getElementById('file-input').disabled,
    demo: document.getElementById('demo-button').disabled,
    cancelShown: !document.getElementById('cancel').hidden,
    error: !document.getElementById('error').hidden,
  }));
  assert.deepEqual(state, {
    session: null, source: state.source, loading: false, fileInput: false, demo: false, cancelShown: false, error: false,
  });
  assert.match(state.source, /^Nothing loaded/);
  await screenshot(page, 'worker-cancelled.png');
  // the fresh worker loads the same files to the end
  await afterRender(page, async () => {
    await page.setInputFiles('#file-input', [files.mask, files.expression]);
    await page.waitForFunction((shown) => new RegExp(shown).test(document.getElementById('source').textContent),
      SHOWN.source, { timeout: LOAD_TIMEOUT });
  });
  assert.equal(await page.textContent('#cell-count'), '16,384');
  await afterRender(page, () => page.click('#demo-button'));
  assert.match(await page.textContent('#source'), /^Demo/);
  assertNoProblems(problems);
  await page.close();
});
