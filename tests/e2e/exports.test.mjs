// The viewer's exports in headless Chromium, against the `cellmap` CLI on the same files: the
// cells' CSV equals regions.csv and table.csv text for text, the PNG is the map at full data
// resolution with a colour bar equal to the LUT, a rectangle and a lasso select the cells whose
// centroid is inside (computed here from the CLI's regions.csv), and a clicked cell's top genes are
// its row of the CLI's `reduce` table, sorted. Needs web/pkg (scripts/build-wasm.sh) and builds the
// CLI (cargo build -p cellmap-cli).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatValue } from '../../web/format.js';
import { pngLayout } from '../../web/worker-exports.js';
import { launchChromium } from './browser.mjs';
import { ROOT, SCREENSHOTS, afterRender, assertNoProblems, canvasPixels, openViewer, screenshot } from './page.mjs';
import { decodePng } from './png.mjs';
import { startServer } from './server.mjs';

const MASK = path.join(ROOT, 'tests/fixtures/cli/mask.npy');
const EXPRESSION = path.join(ROOT, 'tests/fixtures/cli/st.npz');

let server;
let browser;
let cli;
let work;

before(async () => {
  await access(path.join(ROOT, 'web/pkg/exports/cellmap_wasm_exports.js')).catch(() => {
    throw new Error('web/pkg is missing or old: build it first with scripts/build-wasm.sh');
  });
  execFileSync('cargo', ['build', '-q', '-p', 'cellmap-cli'], { cwd: ROOT, stdio: 'inherit' });
  cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/cellmap');
  work = await mkdtemp(path.join(tmpdir(), 'cellmap-exports-'));
  server = await startServer({ '/': path.join(ROOT, 'web') });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

let runs = 0;
/** `cellmap run` on the fixture tile with `flags`; returns the tile's output folder. */
async function runTile(...flags) {
  runs += 1;
  const tiles = path.join(work, `tiles${runs}`);
  await mkdir(tiles, { recursive: true });
  await copyFile(MASK, path.join(tiles, 't.npy'));
  await copyFile(EXPRESSION, path.join(tiles, 't_ST_1024.npz'));
  const out = path.join(work, `out${runs}`);
  execFileSync(cli, ['run', tiles, '-o', out, ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(out, 't');
}

/** CSV text as rows of fields (header first). */
async function readCsv(file) {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => line.split(','));
}

/** A little-endian float64 / int64 .npy: { shape, data }. */
async function readNpy(file) {
  const bytes = await readFile(file);
  const headerLen = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const body = bytes.subarray(10 + headerLen);
  const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const typed = { '<f8': Float64Array, '<i8': BigInt64Array, '<i4': Int32Array }[descr];
  assert.ok(typed, `unexpected dtype ${descr} in ${file}`);
  return { shape, data: Array.from(new typed(buffer), Number) };
}

/** Opens the viewer on the CLI fixture (mask + 7-gene CSR) without hole filling. */
async function openFixture() {
  const viewer = await openViewer(browser, server.url);
  const { page } = viewer;
  // holes filled (the default of both): the statistics of both skip the filled pixels
  await afterRender(page, () => page.setInputFiles('#file-input', [MASK, EXPRESSION]));
  return viewer;
}

/** Clicks `selector` and returns the download it starts: { name, path }. */
async function downloaded(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(work, `${Date.now()}-${download.suggestedFilename()}`);
  await download.saveAs(file);
  return { name: download.suggestedFilename(), path: file };
}

/** Viewport point of image point (x, y) (pixel c spans [c, c + 1)). */
async function screenPoint(page, x, y) {
  const box = await page.locator('#map').boundingBox();
  const { width, height } = await page.$eval('#map', (canvas) => ({ width: canvas.width, height: canvas.height }));
  return { x: box.x + (x * box.width) / width, y: box.y + (y * box.height) / height };
}

describe('exports', () => {
  test('the cells CSV equals the CLI\'s regions.csv and table.csv, text for text', async (t) => {
    const { page, problems } = await openFixture();
    for (const [stat, gene] of [['mean', 0], ['max', 0], ['count', 0]]) {
      await afterRender(page, () => page.selectOption('#stat', stat));
      const csv = await readCsv((await downloaded(page, '#export-csv')).path);
      const tile = await runTile('--csv', '--genes', String(gene), '--stat', stat);
      const regions = await readCsv(path.join(tile, 'regions.csv'));
      const table = await readCsv(path.join(tile, 'table.csv'));
      assert.deepEqual(csv[0], ['cell_id', ...regions[0].slice(1), 'gene 0'], 'header');
      assert.equal(csv.length, regions.length, 'one row per cell');
      for (let row = 1; row < csv.length; row += 1) {
        assert.deepEqual(csv[row].slice(0, 8), regions[row], `${stat}: cell ${row}: the regions.csv fields`);
        assert.equal(table[row][0], String(row));
        assert.equal(csv[row][8], table[row][1 + gene], `${stat}: cell ${row}: the value`);
      }
      t.diagnostic(`${stat}: ${csv.length - 1} cells compared with regions.csv and table.csv`);
    }
    assertNoProblems(problems);
    await page.close();
  });

  test('the PNG is the map at full data resolution with the LUT as its colour bar', async (t) => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.selectOption('#colormap', 'magma'));
    const { name, path: file } = await downloaded(page, '#export-png');
    assert.match(name, /\.png$/);
    const png = decodePng(await readFile(file));
    await mkdir(SCREENSHOTS, { recursive: true });
    await copyFile(file, path.join(SCREENSHOTS, 'exports-map.png'));
    const { width, height, luts, range } = await page.evaluate(() => ({
      width: window.cellmapViewer.session.width,
      height: window.cellmapViewer.session.height,
      luts: { magma: Array.from(window.cellmapViewer.palette.luts.magma) },
      range: window.cellmapViewer.range,
    }));
    const layout = pngLayout(width, height);
    assert.deepEqual([png.width, png.height], [layout.width, layout.height], 'size: the map plus the legend band');
    assert.deepEqual([layout.width, layout.height], [544, 512 + 84], 'the documented layout of a 512² map');
    // the map, pixel for pixel as painted
    const shown = await canvasPixels(page);
    let differing = 0;
    for (let row = 0; row < height; row += 1) {
      for (let col = 0; col < width; col += 1) {
        for (let k = 0; k < 4; k += 1) {
          if (png.rgba[(row * png.width + col) * 4 + k] !== shown[(row * width + col) * 4 + k]) differing += 1;
        }
      }
    }
    assert.equal(differing, 0, 'map bytes differing from the painted map');
    // the colour bar: entry k's pixels are LUT entry k
    const { bar } = layout;
    for (let k = 0; k < 256; k += 1) {
      for (const [dx, dy] of [[0, 0], [bar.entry - 1, bar.height - 1]]) {
        const at = ((bar.y + dy) * png.width + bar.x + k * bar.entry + dx) * 4;
        assert.deepEqual(Array.from(png.rgba.subarray(at, at + 4)), luts.magma.slice(4 * k, 4 * k + 4), `bar entry ${k}`);
      }
    }
    // the caption and the numbers are drawn (dark pixels in their rows)
    const dark = (y0, y1) => {
      let n = 0;
      for (let y = y0; y < y1; y += 1) {
        for (let x = 0; x < png.width; x += 1) if (png.rgba[(y * png.width + x) * 4] < 100) n += 1;
      }
      return n;
    };
    assert.ok(dark(layout.caption.y, bar.y) > 50, 'caption text');
    assert.ok(dark(layout.numbers.y, png.height) > 20, 'range numbers');
    t.diagnostic(`PNG ${png.width}×${png.height}, range ${range.join(' – ')}`);
    assertNoProblems(problems);
    await page.close();
  });

  test('the transcript assignments CSV equals cellmap assign\'s assignments.csv, text for text', async () => {
    const tables = path.join(ROOT, 'tests/fixtures/tables');
    const [labels, transcripts] = [path.join(tables, 'labels.npy'), path.join(tables, 'xenium.csv.gz')];
    const { page, problems } = await openViewer(browser, server.url);
    assert.equal(await page.isDisabled('#export-assignments'), true, 'no transcripts: nothing to export');
    await afterRender(page, () => page.setInputFiles('#file-input', [labels, transcripts]));
    await page.waitForSelector('#export-assignments:not([disabled])');
    assert.equal(await page.isHidden('#export-assignments-note'), true);
    const { name, path: file } = await downloaded(page, '#export-assignments');
    assert.equal(name, 'cellmap_assignments.csv');
    const out = path.join(work, 'assign');
    execFileSync(cli, ['assign', labels, transcripts, '-o', out, '--overwrite'], { stdio: 'pipe' });
    const [viewer, batch] = [await readFile(file, 'utf8'), await readFile(path.join(out, 'assignments.csv'), 'utf8')];
    assert.ok(batch.split('\n').length > 100, 'a table of transcripts, not a header alone');
    assert.equal(viewer, batch);
    assertNoProblems(problems);
    await page.close();
  });

  test('a rectangle and a lasso select the cells whose centroid is inside; the ids are exported', async (t) => {
    const { page, problems } = await openFixture();
    const tile = await runTile('--genes', '0');
    const centroids = (await readCsv(path.join(tile, 'regions.csv'))).slice(1)
      .map(([label, , row, col]) => ({ label: Number(label), x: Number(col) + 0.5, y: Number(row) + 0.5 }));
    const { width, height } = await page.evaluate(() => window.cellmapViewer.session);

    await page.click('#select-rectangle');
    const [a, b] = [await screenPoint(page, width * 0.2, height * 0.25), await screenPoint(page, width * 0.7, height * 0.8)];
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 4 });
    await page.mouse.move(b.x, b.y, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => window.cellmapViewer.selection.ids.length > 0);
    const { polygon, ids } = await page.evaluate(() => window.cellmapViewer.selection);
    const [[x0, y0], , [x1, y1]] = polygon;
    assert.ok(Math.abs(x0 - width * 0.2) < 1 && Math.abs(y1 - height * 0.8) < 1, `the rectangle follows the mouse: ${polygon}`);
    const inside = centroids.filter(({ x, y }) => x >= x0 && x <= x1 && y >= y0 && y <= y1).map(({ label }) => label);
    assert.deepEqual(ids, inside);
    assert.equal(await page.textContent('#selection-count'), `${inside.length} cells selected.`);
    await screenshot(page, 'exports-selection.png');
    const exported = await readCsv((await downloaded(page, '#export-selection')).path);
    assert.deepEqual(exported.map(([id]) => id), ['cell_id', ...inside.map(String)]);

    // a lasso: a triangle drawn as a path
    await page.click('#select-lasso');
    const corners = [[0.1, 0.1], [0.9, 0.15], [0.3, 0.9]].map(([fx, fy]) => [width * fx, height * fy]);
    const points = [];
    for (let k = 0; k < 3; k += 1) {
      const [p, q] = [corners[k], corners[(k + 1) % 3]];
      for (let s = 0; s < 10; s += 1) points.push([p[0] + ((q[0] - p[0]) * s) / 10, p[1] + ((q[1] - p[1]) * s) / 10]);
    }
    const start = await screenPoint(page, ...points[0]);
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (const point of points.slice(1)) {
      const screen = await screenPoint(page, ...point);
      await page.mouse.move(screen.x, screen.y);
    }
    await page.mouse.up();
    await page.waitForFunction((count) => window.cellmapViewer.selection.polygon?.length > 4 && window.cellmapViewer.selection.ids.length !== count, inside.length);
    const lasso = await page.evaluate(() => window.cellmapViewer.selection);
    const ring = lasso.polygon;
    const inRing = ({ x, y }) => {
      let odd = false;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
      }
      return odd;
    };
    const expected = centroids.filter(inRing).map(({ label }) => label);
    assert.deepEqual(lasso.ids, expected);
    assert.ok(expected.length > 3, `the lasso holds ${expected.length} cells`);
    await screenshot(page, 'exports-lasso.png');
    t.diagnostic(`rectangle: ${inside.length} cells, lasso: ${expected.length} cells`);
    assertNoProblems(problems);
    await page.close();
  });

  test('a clicked cell shows its facts and its top 10 genes as the CLI\'s table has them; Escape closes', async (t) => {
    const { page, problems } = await openFixture();
    const tile = await runTile('--genes', '0');
    const regions = (await readCsv(path.join(tile, 'regions.csv'))).slice(1);
    // the largest cell, clicked at one of its pixels (its label from the CLI's labels.npy)
    const labels = await readNpy(path.join(tile, 'labels.npy'));
    const [, width] = labels.shape;
    const largest = regions.reduce((best, row) => (Number(row[1]) > Number(best[1]) ? row : best));
    const cell = Number(largest[0]);
    const pixel = labels.data.indexOf(cell);
    const [row, col] = [Math.floor(pixel / width), pixel % width];
    // the CLI's per-cell tables of every gene, over the mask's own pixels (as `run` and the viewer)
    const reduce = async (stat) => {
      const out = path.join(work, `reduce-${stat}.npy`);
      execFileSync(cli, ['reduce', path.join(tile, 'labels.npy'), EXPRESSION, '-o', out, '--stat', stat, '--within', MASK, '--overwrite']);
      return readNpy(out);
    };
    const [means, counts] = [await reduce('mean'), await reduce('count')];
    const genes = means.shape[1];
    const rowOf = (table) => table.data.slice((cell - 1) * genes, cell * genes);
    const expected = rowOf(means)
      .map((value, gene) => ({ gene, value, count: rowOf(counts)[gene] }))
      .filter(({ count }) => count > 0)
      .sort((p, q) => q.value - p.value || p.gene - q.gene)
      .slice(0, 10);

    const point = await screenPoint(page, col + 0.5, row + 0.5);
    await page.mouse.click(point.x, point.y);
    await page.waitForSelector('#cell-detail:not([hidden])');
    assert.equal(await page.textContent('#cell-detail-title'), `Cell ${cell}`);
    const facts = await page.$$eval('#cell-detail-facts dd', (items) => items.map((item) => item.textContent));
    assert.deepEqual(facts.slice(0, 3), [
      String(cell),
      `${Number(largest[1]).toLocaleString('en-US')} px`,
      `row ${Number(largest[2]).toFixed(1)}, col ${Number(largest[3]).toFixed(1)}`,
    ]);
    const shown = await page.$$eval('#cell-detail-genes li', (items) => items.map((item) => item.getAttribute('aria-label')));
    assert.deepEqual(shown, expected.map(({ gene, value }) => `gene ${gene}: ${formatValue(value)}`));
    // and the exact numbers behind the panel
    const exact = await page.evaluate((label) => window.cellmapViewer.call('topGenes', label, 'mean', 10), cell);
    assert.deepEqual(exact.map(({ gene, value }) => [gene, value]), expected.map(({ gene, value }) => [gene, value]));
    assert.equal(await page.evaluate(() => document.activeElement.id), 'cell-detail-close', 'focus moves to the panel');
    await screenshot(page, 'exports-cell-detail.png');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#cell-detail', { state: 'hidden' });
    // keyboard: Enter on the map opens the cell under the view's centre (a drag brings the cell there)
    await page.press('#viewport', '0');
    const viewport = await page.locator('#viewport').boundingBox();
    const from = await screenPoint(page, col + 0.5, row + 0.5);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(viewport.x + viewport.width / 2, viewport.y + viewport.height / 2, { steps: 5 });
    await page.mouse.up();
    assert.equal(await page.isHidden('#cell-detail'), true, 'a drag is not a click');
    await page.focus('#viewport');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#cell-detail:not([hidden])');
    assert.equal(await page.textContent('#cell-detail-title'), `Cell ${cell}`, 'Enter: the cell at the centre');
    t.diagnostic(`cell ${cell}: ${expected.length} genes compared`);
    assertNoProblems(problems);
    await page.close();
  });

  test('transcript assignments: disabled with a note until transcripts are loaded', async (t) => {
    const { page, problems } = await openViewer(browser, server.url);
    assert.equal(await page.isDisabled('#export-assignments'), true);
    assert.equal(await page.isVisible('#export-assignments-note'), true);
    assert.equal(await page.isDisabled('#export-png'), false);
    assertNoProblems(problems);
    await page.close();
  });
});
