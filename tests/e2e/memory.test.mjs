// The viewer's memory over repeated large loads, in headless Chromium: a 2048² mask and a CSR
// expression of 200 genes (about 1 % dense, ~85 MB), made here in node, loaded through the file
// input twice; then a mask that fails to load and the good files once more. wasm memory never
// shrinks, so the viewer must free the shown data before decoding new data: the second load (and
// the one after the failure) may end with at most 10 % more wasm memory than the first.
// Needs web/pkg (scripts/build-wasm.sh).
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium } from './browser.mjs';
import { bigTile, npyBytes } from './npfiles.mjs';
import { ROOT, afterRender, assertNoProblems, openViewer, screenshot } from './page.mjs';
import { startServer } from './server.mjs';

const SIZE = 2048;
const GENES = 200;
/** Square cells of 15 px on a 16 px grid: 128² = 16,384 cells. */
const CELL = 16;
/** Loading ~85 MB takes a few seconds; leave room for a slow, shared CI machine. */
const LOAD_TIMEOUT = 180_000;
/** The second load may end with at most this much more wasm memory than the first. */
const MAX_GROWTH = 1.1;

let server;
let browser;
let dir;
let files;

/**
 * A mask whose header claims 20000² uint8 pixels (400 MB) but holds 1 KB: it must fail without
 * leaving the viewer half-loaded.
 */
function hugeHeaderMask() {
  const bytes = npyBytes([20000, 20000], new Uint8Array(1024));
  return bytes;
}

before(async () => {
  await access(path.join(ROOT, 'web/pkg/cellmap_wasm.js')).catch(() => {
    throw new Error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  });
  dir = await mkdtemp(path.join(tmpdir(), 'cellmap-memory-'));
  const { mask, expression, nnz } = bigTile(SIZE, GENES, CELL);
  files = {
    mask: path.join(dir, 'big_mask.npy'),
    expression: path.join(dir, 'big_expression.npz'),
    broken: path.join(dir, 'huge_mask.npy'),
    nnz,
    expressionBytes: expression.length,
  };
  await writeFile(files.mask, mask);
  await writeFile(files.expression, expression);
  await writeFile(files.broken, hugeHeaderMask());
  server = await startServer({ '/': path.join(ROOT, 'web') });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The size of wasm memory now (it only grows: its high-water mark). */
function memoryBytes(page) {
  return page.evaluate(() => window.cellmapViewer.memoryBytes);
}

/** Loads the big mask + expression through the file input and waits for the map to be drawn. */
async function loadBig(page) {
  await afterRender(page, async () => {
    await page.setInputFiles('#file-input', [files.mask, files.expression]);
    await page.waitForFunction(
      () => /^big_mask\.npy \(2048×2048\) \+ big_expression\.npz \(200 genes\)$/.test(
        document.getElementById('source').textContent),
      null,
      { timeout: LOAD_TIMEOUT },
    );
  });
  assert.equal(await page.isVisible('#error'), false, 'no error after a good load');
  assert.equal(await page.textContent('#cell-count'), '16,384');
  assert.equal(await page.evaluate(() => window.cellmapViewer.session.geneCount), GENES);
  return memoryBytes(page);
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

test('loading the same large files twice, and after a failed load, reuses wasm memory', { timeout: 6 * LOAD_TIMEOUT }, async (t) => {
  const { page, problems } = await openViewer(browser, server.url);
  const atStart = await memoryBytes(page);
  const first = await loadBig(page);
  // what the page shows while the second load runs: each status line with the state at that time
  await page.evaluate(() => {
    const status = document.getElementById('status');
    window.seenWhileLoading = [];
    new MutationObserver(() => window.seenWhileLoading.push({
      status: status.textContent,
      loading: document.body.hasAttribute('data-loading'),
      freed: window.cellmapViewer.session === null,
      mapWidth: document.getElementById('map').width,
      fileInputDisabled: document.getElementById('file-input').disabled,
      statDisabled: document.getElementById('stat').disabled,
    })).observe(status, { childList: true, characterData: true, subtree: true });
  });
  const second = await loadBig(page);
  const seen = await page.evaluate(() => window.seenWhileLoading);
  const whileLoading = seen.find(({ status }) => status.startsWith('Loading'));
  assert.ok(whileLoading, `a "Loading …" status line: saw ${JSON.stringify(seen)}`);
  assert.match(whileLoading.status, /^Loading mask: big_mask\.npy \(4(\.0)? MB\), expression: big_expression\.npz/);
  assert.deepEqual(whileLoading, {
    status: whileLoading.status, loading: true, freed: true, mapWidth: 0, fileInputDisabled: true, statDisabled: true,
  }, 'while loading, the old session is freed, the map cleared and the controls disabled');
  assert.match(seen.at(-1).status, /^16,384 cells · drawn in/);

  // a mask that cannot be read: the error is shown and the page is usable, without the old data
  await page.setInputFiles('#file-input', [files.broken]);
  await page.waitForSelector('#error:not([hidden])', { timeout: LOAD_TIMEOUT });
  assert.match(await page.textContent('#error-text'), /huge_mask\.npy/);
  const afterFailure = await memoryBytes(page);
  await screenshot(page, 'memory-failed-load.png');
  const emptyState = await page.evaluate(() => ({
    session: window.cellmapViewer.session,
    source: document.getElementById('source').textContent,
    status: document.getElementById('status').textContent,
    fileInput: document.getElementById('file-input').disabled,
    demo: document.getElementById('demo-button').disabled,
    stat: document.getElementById('stat').disabled,
  }));

  const third = await loadBig(page);
  // the expression alone, onto the shown mask: the old expression is freed before the new one
  await afterRender(page, async () => {
    await page.setInputFiles('#file-input', [files.expression]);
    await page.waitForFunction(() => !document.body.hasAttribute('data-loading'), null, { timeout: LOAD_TIMEOUT });
  });
  assert.equal(await page.isVisible('#error'), false);
  assert.match(await page.textContent('#source'), /^big_mask\.npy \(2048×2048\) \+ big_expression\.npz \(200 genes\)$/);
  const expressionAgain = await memoryBytes(page);
  t.diagnostic(`expression ${mb(files.expressionBytes)} (${files.nnz.toLocaleString('en')} values); wasm memory: ` +
    `start ${mb(atStart)}, first load ${mb(first)}, second ${mb(second)}, after a failed load ` +
    `${mb(afterFailure)}, load after it ${mb(third)}, the expression alone again ${mb(expressionAgain)}`);
  console.log(JSON.stringify({ atStart, first, second, afterFailure, third, expressionAgain }));

  assert.ok(second <= first * MAX_GROWTH,
    `the second load grew wasm memory from ${mb(first)} to ${mb(second)} (at most 10 % allowed)`);
  assert.ok(third <= first * MAX_GROWTH,
    `the load after a failure grew wasm memory from ${mb(first)} to ${mb(third)} (at most 10 % allowed)`);
  assert.ok(expressionAgain <= first * MAX_GROWTH,
    `loading the expression again grew wasm memory from ${mb(first)} to ${mb(expressionAgain)} (at most 10 % allowed)`);
  // the failed load left an empty, usable page: no session, a clear source line, controls usable
  assert.equal(emptyState.session, null, 'no half-loaded session after a failed load');
  assert.match(emptyState.source, /^Nothing loaded/);
  assert.equal(emptyState.fileInput, false);
  assert.equal(emptyState.demo, false);
  assert.equal(emptyState.stat, true, 'controls that need data are disabled without data');
  assert.equal(await page.textContent('#cell-count'), '16,384');

  // and the demo still works after all this
  await afterRender(page, () => page.click('#demo-button'));
  assert.match(await page.textContent('#source'), /^Demo/);
  assertNoProblems(problems);
  await page.close();
});
