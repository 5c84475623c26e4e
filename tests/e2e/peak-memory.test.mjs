// Peak wasm memory while a large expression loads, in headless Chromium (issue 13: a 720 MB .npz
// took wasm memory from 14 MB to 2.3 GB). The file's bytes stay on the JS side and the scipy CSR
// .npz is decoded straight into the gene-major form the viewer keeps, so loading the expression
// may grow wasm memory by that form's size plus `indptr` (as read and as offsets) and a stated
// overhead — not by the file's bytes or a row-major copy, each about as big again. wasm memory
// never shrinks, so its size after the load is the load's peak. And an .npz whose headers declare
// more than a tab's wasm memory can hold fails at once with a one-line message, allocating nothing.
// Needs web/pkg (scripts/build-wasm.sh).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { launchChromium } from './browser.mjs';
import { bigTile, npyBytes, zipArchive } from './npfiles.mjs';
import { ROOT, afterRender, assertNoProblems, openViewer } from './page.mjs';
import { startServer } from './server.mjs';

const SIZE = 1024;
const GENES = 300;
/** 0–48 genes per pixel, 24 on average: about 25 M stored values, a 200 MB file. */
const PER_PIXEL = 48;
const CELL = 16;
const LOAD_TIMEOUT = 300_000;
/** What loading may take besides the gene-major form and `indptr`: chunk buffers, allocator slack. */
const OVERHEAD = 8 << 20;
/** The crafted file's matrix: 600 M stored values, 4.8 GB gene-major, over a tab's 4 GiB. */
const HUGE_NNZ = 600_000_000;
const HUGE_GENES = 100;

let server;
let browser;
let dir;
let files;

/**
 * A scipy CSR .npz for a `rows`-pixel mask whose `indices` and `data` headers declare `nnz` int32
 * and float32 values: both are deflated members whose zip headers declare the full size, while
 * they hold only the 1/1000 that lets a reader believe it (deflate expands at most 1032 times).
 */
function hugeCsrNpz(rows, cols, nnz) {
  const declared = (header, bytes) => {
    const sample = Buffer.concat([header, randomBytes(Math.ceil(bytes / 1000))]);
    return { bytes: deflateRawSync(sample), method: 8, size: header.length + bytes };
  };
  const header = (descr) => npyBytes([nnz], new Uint8Array(0), descr);
  return zipArchive({
    'indices.npy': declared(header('<i4'), nnz * 4),
    'indptr.npy': { bytes: npyBytes([rows + 1], new Int32Array(rows + 1)) },
    'format.npy': { bytes: npyBytes([], Buffer.from('csr', 'latin1'), '|S3') },
    'shape.npy': { bytes: npyBytes([2], BigInt64Array.of(BigInt(rows), BigInt(cols))) },
    'data.npy': declared(header('<f4'), nnz * 4),
  });
}

before(async () => {
  await access(path.join(ROOT, 'web/pkg/cellmap_wasm.js')).catch(() => {
    throw new Error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  });
  dir = await mkdtemp(path.join(tmpdir(), 'cellmap-peak-'));
  const { mask, expression, nnz } = bigTile(SIZE, GENES, CELL, PER_PIXEL);
  files = {
    mask: path.join(dir, 'tile_mask.npy'),
    expression: path.join(dir, 'tile_expression.npz'),
    huge: path.join(dir, 'huge_expression.npz'),
    nnz,
    expressionBytes: expression.length,
  };
  await writeFile(files.mask, mask);
  await writeFile(files.expression, expression);
  await writeFile(files.huge, hugeCsrNpz(SIZE * SIZE, HUGE_GENES, HUGE_NNZ));
  server = await startServer({ '/': path.join(ROOT, 'web') });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function memoryBytes(page) {
  return page.evaluate(() => window.cellmapViewer.memoryBytes);
}

/** Loads `file` through the file input and waits until the viewer is done with it. */
async function load(page, file) {
  await afterRender(page, async () => {
    await page.setInputFiles('#file-input', [file]);
    await page.waitForFunction(() => !document.body.hasAttribute('data-loading'), null, { timeout: LOAD_TIMEOUT });
  });
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

test('loading a large expression grows wasm memory by its gene-major size, not by the file or a row-major copy', { timeout: 2 * LOAD_TIMEOUT }, async (t) => {
  const { page, problems } = await openViewer(browser, server.url);
  await load(page, files.mask);
  assert.equal(await page.textContent('#cell-count'), '4,096');
  const withMask = await memoryBytes(page);

  const started = performance.now();
  await load(page, files.expression);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(await page.isVisible('#error'), false, 'no error after the load');
  assert.match(await page.textContent('#source'), /^tile_mask\.npy \(1024×1024\) \+ tile_expression\.npz \(300 genes\)$/);
  const peak = await memoryBytes(page);

  const pixels = SIZE * SIZE;
  // u32 pixel + f32 value per stored value, a usize (4 bytes in wasm32) offset per gene
  const geneMajor = files.nnz * 8 + (GENES + 1) * 4;
  // int32 indptr as read, and as usize offsets
  const indptr = (pixels + 1) * 8;
  const rowMajor = files.nnz * 8 + (pixels + 1) * 4;
  const growth = peak - withMask;
  t.diagnostic(`${files.nnz.toLocaleString('en')} stored values: file ${mb(files.expressionBytes)}, gene-major ` +
    `${mb(geneMajor)}, row-major ${mb(rowMajor)}; wasm memory with the mask ${mb(withMask)}, after the ` +
    `expression ${mb(peak)} (+${mb(growth)}); load ${seconds.toFixed(1)} s`);
  assert.ok(growth <= geneMajor + indptr + OVERHEAD,
    `loading the expression grew wasm memory by ${mb(growth)}: more than its gene-major form ` +
    `(${mb(geneMajor)}) + indptr (${mb(indptr)}) + ${mb(OVERHEAD)}; the file (${mb(files.expressionBytes)}) ` +
    `or a row-major copy (${mb(rowMajor)}) is held`);
  assertNoProblems(problems);
  await page.close();
});

test('an .npz whose headers declare more than a tab can hold fails at once with its size and the limit', { timeout: LOAD_TIMEOUT }, async (t) => {
  const { page, problems } = await openViewer(browser, server.url);
  await load(page, files.mask);
  const before = await memoryBytes(page);
  const started = performance.now();
  await page.setInputFiles('#file-input', [files.huge]);
  await page.waitForSelector('#error:not([hidden])', { timeout: LOAD_TIMEOUT });
  const seconds = (performance.now() - started) / 1000;
  const message = await page.textContent('#error-text');
  const grown = (await memoryBytes(page)) - before;
  t.diagnostic(`"${message}" after ${seconds.toFixed(2)} s; wasm memory grew by ${mb(grown)}`);
  assert.match(message, new RegExp(
    '^huge_expression\\.npz: the gene-major copy of this \\d+(\\.\\d+)? MB file\'s 1,048,576 × 100 matrix ' +
    '\\(600,000,000 stored values\\) needs 4\\.8\\d* GB, over the memory budget of 4\\.29 GB'));
  assert.doesNotMatch(message, /\n/, 'one line');
  assert.ok(grown <= 1 << 20, `nothing big is allocated: wasm memory grew by ${mb(grown)}`);
  // the cells are still there, without expression
  assert.equal(await page.textContent('#cell-count'), '4,096');
  assertNoProblems(problems);
  await page.close();
});
