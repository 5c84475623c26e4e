// Transcript tables in the viewer (headless Chromium): a label image + a transcript table (CSV,
// CSV.gz, TSV, Parquet; Xenium and plain headers) are counted per cell and gene as `cellmap assign`
// counts them — checked against the numpy counts of tests/generators/tables.py — with Xenium's
// quality filter and control probes; the column dialog for an unknown header; the error for a table
// entirely outside the image; the dots of the shown gene when zoomed in; and, with 1 M generated
// transcripts, the load throughput and the frame rate while panning (reported, not asserted).
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchChromium } from './browser.mjs';
import { npyBytes } from './npfiles.mjs';
import { ROOT, afterRender, assertNoProblems, openViewer, screenshot } from './page.mjs';
import { startServer } from './server.mjs';

const TABLES = path.join(ROOT, 'tests/fixtures/tables');
const table = (name) => path.join(TABLES, name);
const expected = JSON.parse(await readFile(table('expected.json'), 'utf8'));

let server;
let browser;
let scratch;

before(async () => {
  await access(path.join(ROOT, 'web/pkg/tables/cellmap_wasm_tables.js')).catch(() => {
    throw new Error('web/pkg/tables is missing: build it first with scripts/build-wasm.sh');
  });
  server = await startServer({ '/': path.join(ROOT, 'web') });
  browser = await launchChromium();
  scratch = await mkdtemp(path.join(os.tmpdir(), 'cellmap-transcripts-'));
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** An int64 `.npy` (the generator's `<case>_counts.npy`) as rows of Numbers. */
async function readCounts(name) {
  const bytes = await readFile(table(name));
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  assert.match(header, /'descr': '<i8'/);
  const [rows, cols] = header.match(/'shape': \((\d+), (\d+)\)/).slice(1).map(Number);
  const start = 10 + headerLength;
  const data = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + rows * cols * 8));
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols), Number));
}

async function readGenes(name) {
  return (await readFile(table(name), 'utf8')).split('\n').filter(Boolean);
}

/** Per cell (rows) and gene (columns): the viewer's sum per cell of each gene, from its worker. */
function viewerCounts(page, cells, genes) {
  return page.evaluate(async ({ cells, genes }) => {
    const viewer = window.cellmapViewer;
    const labels = Array.from({ length: cells }, (_, i) => i + 1);
    const columns = [];
    for (let gene = 0; gene < genes; gene += 1) {
      await viewer.call('render', {
        genes: [gene], stat: 'sum', compute: true, colormap: 'viridis', scale: 'minmax', low: 0, high: 0, log1p: false,
        outlines: false,
      });
      columns.push(await viewer.call('cellValues', labels));
    }
    return labels.map((_, cell) => columns.map((column) => column[cell]));
  }, { cells, genes });
}

/** Opens the viewer and loads `files` (paths) through the file input; waits for the map. */
async function load(files) {
  const opened = await openViewer(browser, server.url);
  await afterRender(opened.page, () => opened.page.setInputFiles('#file-input', files));
  return opened;
}

/** Checks the shown genes and the counts per cell and gene against the generator's case. */
async function checkCase(page, name) {
  const want = await readCounts(`${name}_counts.npy`);
  const genes = await readGenes(`${name}_genes.txt`);
  const session = await page.evaluate(() => window.cellmapViewer.session);
  assert.deepEqual(session.geneNames, genes);
  assert.deepEqual(session.stats, ['sum', 'count']);
  assert.equal(session.transcripts, expected[name].transcripts);
  assert.deepEqual(await viewerCounts(page, want.length, genes.length), want);
}

describe('transcript tables', () => {
  const cases = [
    ['xenium.parquet', 'xenium'],
    ['xenium_binary.parquet', 'xenium_binary'],
    ['xenium.csv.gz', 'xenium'],
    ['xenium.csv', 'xenium'],
    ['plain.csv', 'named'],
    ['named.tsv', 'named'],
    ['semicolon.csv', 'named'],
  ];
  for (const [file, name] of cases) {
    test(`${file} next to a label image: counts per cell and gene as cellmap assign (numpy)`, async (t) => {
      const started = performance.now();
      const { page, problems } = await load([table('labels.npy'), table(file)]);
      const loaded = performance.now() - started;
      await checkCase(page, name);
      const source = await page.locator('#source').textContent();
      const e = expected[name];
      assert.ok(source.includes(`${e.in_cells} in cells, ${e.background} on background, ${e.outside} outside`), source);
      if (name === 'xenium') {
        // Xenium's preset, from the header: µm at 0.2125 µm/px, qv >= 20, control probes dropped
        assert.ok(source.includes(`xenium, 0.2125 units/px`), source);
        assert.ok(source.includes(`${e.dropped_low_qv} low-qv, ${e.dropped_controls} control-probe rows dropped`), source);
      }
      // transcript counts offer the sum and the count only; the map opens on the sum
      assert.equal(await page.locator('#stat').inputValue(), 'sum');
      const offered = await page.$$eval('#stat option:not([disabled])', (options) => options.map((o) => o.value));
      assert.deepEqual(offered, ['sum', 'count']);
      t.diagnostic(`${file}: page opened and table shown in ${loaded.toFixed(0)} ms`);
      assertNoProblems(problems);
      await page.close();
    });
  }

  test('a header the presets do not know: the column dialog, then the counts', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.setInputFiles('#file-input', [table('labels.npy'), table('unnamed.csv')]);
    const dialog = page.getByRole('dialog', { name: 'Columns of unnamed.csv' });
    await dialog.waitFor();
    // labelled fields, the first one focused; Escape would cancel
    assert.equal(await page.evaluate(() => document.activeElement.id), 'columns-x');
    await dialog.getByLabel('x (image column direction)').selectOption('px_col');
    await dialog.getByLabel('y (image row direction)').selectOption('px_row');
    await dialog.getByLabel('gene').selectOption('target_name');
    assert.equal(await dialog.getByLabel(/Preset/).inputValue(), 'auto');
    await afterRender(page, () => dialog.getByRole('button', { name: 'Read the table' }).click());
    await checkCase(page, 'named');
    await screenshot(page, 'transcripts-dialog-counts.png');
    assertNoProblems(problems);
    await page.close();
  });

  test('cancelling the column dialog leaves the cells without values, with a message', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.setInputFiles('#file-input', [table('labels.npy'), table('unnamed.csv')]);
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.locator('#error-text').textContent(), /^unnamed\.csv: no columns chosen/);
    assert.equal(await page.evaluate(() => window.cellmapViewer.session.geneCount), 0);
    problems.length = 0; // the message is also logged with console.warn, not an error
    await page.close();
  });

  test('a table entirely outside the image: the error cellmap assign gives, the cells stay', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.setInputFiles('#file-input', [table('labels.npy'), table('outside.csv')]);
    await page.waitForSelector('#error:not([hidden])');
    const message = await page.locator('#error-text').textContent();
    assert.match(message, /^outside\.csv: 500 of 500 transcripts fall outside the image: transcripts span x [\d.]+\.\.[\d.]+ × y [-\d.]+\.\.[\d.]+ pixels, the image is 0\.\.60 × 0\.\.40; check the frame/);
    const session = await page.evaluate(() => window.cellmapViewer.session);
    assert.equal(session.geneCount, 0);
    assert.equal(session.width, 60);
    assertNoProblems(problems);
    await page.close();
  });

  test('a table mostly outside the image: counted, with cellmap assign\'s warning in the source line', async () => {
    // 3 of 4 transcripts beyond the 60 × 40 label image (plain x, y, gene columns: pixels)
    const mostly = path.join(scratch, 'mostly_outside.csv');
    await writeFile(mostly, 'x,y,gene\n10.5,10.5,A\n500,10,A\n600,20,B\n700,30,B\n');
    const { page, problems } = await load([table('labels.npy'), mostly]);
    const source = await page.locator('#source').textContent();
    assert.match(source, /4 transcripts: \d+ in cells, \d+ on background, 3 outside/);
    assert.match(source, /Warning: mostly_outside\.csv: 3 of 4 transcripts fall outside the image: transcripts span x 10\.5\d*\.\.700\.\d+ × y 10\.\d+\.\.30\.\d+ pixels, the image is 0\.\.60 × 0\.\.40/);
    assert.equal(await page.isHidden('#error'), true, 'a warning, not an error');
    assertNoProblems(problems);
    await page.close();
  });

  test('a gene-name list is still a gene-name list; a transcript table replaces it as genes', async () => {
    const names = path.join(scratch, 'names.txt');
    await writeFile(names, 'A\nB\n');
    const { page } = await load([table('labels.npy'), table('plain.csv')]);
    // one field per line: names, which must fit the 5 genes of the table
    await page.setInputFiles('#file-input', [names]);
    await page.waitForSelector('#error:not([hidden])');
    assert.equal(await page.locator('#error-text').textContent(), 'names.txt has 2 gene names but the expression has 5 genes');
    await page.close();
  });

  test('zoomed in, the shown gene\'s transcripts are dots over the cells; zoomed out, none', async (t) => {
    const { page, problems } = await load([table('labels.npy'), table('plain.csv')]);
    await page.waitForFunction(() => window.cellmapViewer.dotsDrawn > 0);
    const scale = await page.evaluate(() => window.cellmapViewer.view.scale);
    const drawn = await page.evaluate(() => window.cellmapViewer.dotsDrawn);
    // the first gene's transcripts inside the image (those outside it have no dot)
    const genes = await readGenes('named_genes.txt');
    const rows = (await readFile(table('plain.csv'), 'utf8')).trim().split('\n').slice(1).map((line) => line.split(','));
    const inside = rows.filter(([x, y, gene]) => gene === genes[0] && x >= 0 && x < 60 && y >= 0 && y < 40).length;
    t.diagnostic(`fit scale ${scale.toFixed(1)} px per pixel: ${drawn} dots of ${genes[0]} (${inside} inside the image)`);
    assert.equal(drawn, inside);
    await screenshot(page, 'transcripts-dots.png');
    await page.focus('#viewport');
    while (await page.evaluate(() => window.cellmapViewer.view.scale) >= 2) await page.keyboard.press('-');
    await page.waitForFunction(() => window.cellmapViewer.dotsDrawn === 0);
    assertNoProblems(problems);
    await page.close();
  });

  test('1 M transcripts: load throughput and panning with the dots (diagnostics)', async (t) => {
    const size = 1024;
    const cell = 16;
    const mask = new Uint8Array(size * size);
    for (let row = 0; row < size; row += 1) {
      for (let col = 0; col < size; col += 1) mask[row * size + col] = row % cell && col % cell ? 1 : 0;
    }
    const count = 1_000_000;
    const lines = ['x,y,gene'];
    let state = 2024;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    for (let i = 0; i < count; i += 1) lines.push(`${(next() * size).toFixed(3)},${(next() * size).toFixed(3)},G${i % 2}`);
    const maskPath = path.join(scratch, 'million_mask.npy');
    const tablePath = path.join(scratch, 'million.csv');
    await writeFile(maskPath, npyBytes([size, size], mask));
    await writeFile(tablePath, `${lines.join('\n')}\n`);
    const { page, problems } = await openViewer(browser, server.url);
    const started = performance.now();
    await afterRender(page, () => page.setInputFiles('#file-input', [maskPath, tablePath]));
    const seconds = (performance.now() - started) / 1000;
    const session = await page.evaluate(() => window.cellmapViewer.session);
    assert.equal(session.transcripts, count);
    t.diagnostic(`1,000,000-row CSV (${(Buffer.byteLength(lines.join('\n')) / 1e6).toFixed(1)} MB) + 1024² mask read, counted and shown in ${seconds.toFixed(2)} s: ${Math.round(count / seconds).toLocaleString('en')} rows/s`);
    // the points of both genes (1 M) in the page's dots layer, as when their sum is shown; zoom in, pan
    const panned = await page.evaluate(async () => {
      const viewer = window.cellmapViewer;
      const points = await viewer.call('transcriptPoints', [0, 1]);
      const view = viewer.view;
      view.zoomAt(4 / view.scale, 0, 0);
      viewer.dots.setPoints(points, viewer.session.width, viewer.session.height);
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const frames = [];
      let last = performance.now();
      let drawn = 0;
      for (let i = 0; i < 120; i += 1) {
        view.panBy(-3, -2);
        await new Promise((resolve) => requestAnimationFrame(resolve));
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        frames.push(now - last);
        last = now;
        drawn = Math.max(drawn, viewer.dotsDrawn);
      }
      const started = performance.now();
      for (let i = 0; i < 20; i += 1) viewer.dots.redraw();
      return { points: points.xy.length / 2, frames, drawn, redrawMs: (performance.now() - started) / 20 };
    });
    const mean = panned.frames.reduce((a, b) => a + b, 0) / panned.frames.length / 2;
    t.diagnostic(`panning at 4 px/pixel over ${panned.points.toLocaleString('en')} points: up to ${panned.drawn.toLocaleString('en')} dots in view, ${mean.toFixed(1)} ms per frame (${(1000 / mean).toFixed(0)} fps), one redraw ${panned.redrawMs.toFixed(1)} ms`);
    assert.equal(panned.points, count);
    assert.ok(panned.drawn > 0);
    await screenshot(page, 'transcripts-million-dots.png');
    assertNoProblems(problems);
    await page.close();
  });
});
