// A published store (`cellmap publish` of a 1200² tile made here, 2,500 cells and 12 genes, three
// pyramid levels; opened lazily with ?data=) does what the
// same data loaded from files does, in headless Chromium: its cells CSV equals the CLI's
// regions.csv and table.csv (values as X holds them: float32), its PNG of the view at full data
// resolution equals the files' PNG map, a rectangle and a lasso select the same cells, and a
// clicked cell's top genes are those the files give (from obsm/cellmap_top_genes, two chunks).
// Needs web/pkg (scripts/build-wasm.sh) and builds the CLI (cargo build -p cellmap-cli).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pngLayout } from '../../web/worker-exports.js';
import { launchChromium } from './browser.mjs';
import { bigTile, npyBytes } from './npfiles.mjs';
import { ROOT, SCREENSHOTS, afterRender, assertNoProblems, openViewer, screenshot } from './page.mjs';
import { decodePng } from './png.mjs';
import { startServer } from './server.mjs';

/** The tile: 1200² px, square cells of 23 px on a 24 px grid (50² cells), 12 genes. */
const SIZE = 1200;
const CELL = 24;
const GENES = 12;
let MASK;
let EXPRESSION;
/** The statistics published (one site each). */
const STATS = ['mean', 'count'];

let server;
let browser;
let cli;
let work;
/** Every path the server was asked for, in order. */
const requests = [];

before(async () => {
  await access(path.join(ROOT, 'web/pkg/store/cellmap_wasm_store.js')).catch(() => {
    throw new Error('web/pkg is missing or old: build it first with scripts/build-wasm.sh');
  });
  execFileSync('cargo', ['build', '-q', '-p', 'cellmap-cli'], { cwd: ROOT, stdio: 'inherit' });
  cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/cellmap');
  work = await mkdtemp(path.join(tmpdir(), 'cellmap-store-exports-'));
  const tile = bigTile(SIZE, GENES, CELL);
  [MASK, EXPRESSION] = [path.join(work, 'tile_mask.npy'), path.join(work, 'tile_expression.npz')];
  await writeFile(MASK, tile.mask);
  await writeFile(EXPRESSION, tile.expression);
  for (const stat of STATS) {
    execFileSync(cli, ['publish', MASK, EXPRESSION, '-o', path.join(work, `site-${stat}`), '--stat', stat, '--no-viewer'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  server = await startServer({ '/': path.join(ROOT, 'web'), '/work/': work }, requests);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** `cellmap run --csv` on the fixture with `flags`: the tile's output folder. */
async function runTile(name, ...flags) {
  const tiles = path.join(work, `tiles-${name}`);
  await mkdir(tiles, { recursive: true });
  await copyFile(MASK, path.join(tiles, 't.npy'));
  await copyFile(EXPRESSION, path.join(tiles, 't_ST_1024.npz'));
  const out = path.join(work, `out-${name}`);
  execFileSync(cli, ['run', tiles, '-o', out, '--csv', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path.join(out, 't');
}

async function readCsv(file) {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => line.split(','));
}

/** The viewer on the store published with `stat`, drawn and idle. */
async function openStore(stat) {
  const viewer = await openViewer(browser, `${server.url}?data=work/site-${stat}/data.zarr`);
  await settled(viewer.page);
  return viewer;
}

/** Waits until the store's map is drawn and no repaint follows. */
async function settled(page) {
  await page.waitForFunction(() => Number(document.body.dataset.renders ?? 0) >= 1 && !document.body.hasAttribute('data-loading'));
  let count = -1;
  for (;;) {
    await page.waitForTimeout(250);
    const now = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
    if (now === count) return;
    count = now;
  }
}

/** Shows gene `gene` (by index) and waits for the map. */
async function showGene(page, gene) {
  const name = await page.evaluate((g) => window.cellmapViewer.session.geneNames[g], gene);
  await page.fill('#gene-search', name);
  await page.keyboard.press('Enter');
  await page.waitForFunction((g) => window.cellmapViewer.shownGenes.join() === String(g), gene);
  await settled(page);
  return name;
}

async function downloaded(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(work, `${Date.now()}-${download.suggestedFilename()}`);
  await download.saveAs(file);
  return { name: download.suggestedFilename(), path: file };
}

/** Viewport point of image point (x, y) (pixel c spans [c, c + 1)), for either kind of map. */
function screenPoint(page, x, y) {
  return page.evaluate(async ([x, y]) => {
    const { view } = window.cellmapViewer;
    const box = document.getElementById('viewport').getBoundingClientRect();
    return { x: box.left + view.offsetX + x * view.scale, y: box.top + view.offsetY + y * view.scale };
  }, [x, y]);
}

/** A CSV value of the CLI's table.csv as float32, as X stores it ('NaN' stays). */
const asFloat32 = (text) => (text === 'NaN' ? 'NaN' : String(Math.fround(Number(text))));

describe('a published store exports, selects and ranks as its files do', () => {
  test('the cells CSV equals regions.csv and table.csv (values as float32, as X holds them)', async (t) => {
    for (const stat of STATS) {
      const { page, problems } = await openStore(stat);
      const gene = 3;
      const name = await showGene(page, gene);
      const from = requests.length;
      const { name: file, path: csvPath } = await downloaded(page, '#export-csv');
      assert.equal(file, `cellmap_${name}_${stat}_cells.csv`);
      const csv = await readCsv(csvPath);
      const tile = await runTile(stat, '--genes', String(gene), '--stat', stat);
      const regions = await readCsv(path.join(tile, 'regions.csv'));
      const table = await readCsv(path.join(tile, 'table.csv'));
      assert.deepEqual(csv[0], ['cell_id', ...regions[0].slice(1), name], 'header');
      assert.equal(csv.length, regions.length, 'one row per cell');
      let exact = 0;
      for (let row = 1; row < csv.length; row += 1) {
        assert.deepEqual(csv[row].slice(0, 8), regions[row], `${stat}: cell ${row}: the regions.csv fields`);
        const want = table[row][1 + gene];
        if (csv[row][8] === want) exact += 1;
        else assert.equal(String(Number(csv[row][8])), asFloat32(want), `${stat}: cell ${row}: the value`);
      }
      if (stat === 'count') assert.equal(exact, csv.length - 1, 'counts: every value text for text');
      // the bounding boxes came from obs, fetched for the export only
      const fetched = requests.slice(from).filter((p) => /\/obs\/bbox_/.test(p));
      assert.equal(fetched.length, 4, `bbox chunks fetched: ${fetched}`);
      t.diagnostic(`${stat}: ${csv.length - 1} cells; ${exact} values text for text, the others equal as float32`);

      // two genes: their columns and sum_of_genes, as the file export writes them
      if (stat === 'count') {
        await page.check('#mode-sum');
        const other = await page.evaluate(() => window.cellmapViewer.session.geneNames[5]);
        await page.fill('#gene-search', other);
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => window.cellmapViewer.shownGenes.length === 2);
        await settled(page);
        const both = await readCsv((await downloaded(page, '#export-csv')).path);
        const genes = await page.evaluate(() => window.cellmapViewer.shownGenes);
        const twoTile = await runTile('count2', '--stat', 'count', '--genes', `0..${GENES}`);
        const twoTable = await readCsv(path.join(twoTile, 'table.csv'));
        assert.deepEqual(both[0].slice(8), [...genes.map((g) => `gene_${g}`), 'sum_of_genes']);
        for (let row = 1; row < both.length; row += 1) {
          const want = genes.map((g) => twoTable[row][1 + g]);
          assert.deepEqual(both[row].slice(8, 10), want, `cell ${row}`);
          assert.equal(Number(both[row][10]), Number(want[0]) + Number(want[1]));
        }
      }
      assertNoProblems(problems.filter((p) => !/404|Failed to load resource/.test(p)));
      await page.close();
    }
  });

  test('the PNG is the view at full data resolution, equal to the files\' PNG map, with the legend', async (t) => {
    const gene = 2;
    // the files: count of gene 2, magma
    const files = await openViewer(browser, server.url);
    await afterRender(files.page, () => files.page.setInputFiles('#file-input', [MASK, EXPRESSION]));
    await afterRender(files.page, () => files.page.selectOption('#stat', 'count'));
    await afterRender(files.page, () => files.page.selectOption('#colormap', 'magma'));
    // the range: the 1st to 99th percentile over every cell (what counts open on)
    assert.equal(await files.page.inputValue('#scale'), 'percentile');
    await files.page.fill('#gene-search', 'gene 2');
    await afterRender(files.page, () => files.page.keyboard.press('Enter'));
    const filePng = decodePng(await readFile((await downloaded(files.page, '#export-png')).path));
    const { width, height } = await files.page.evaluate(() => window.cellmapViewer.session);

    const { page, problems } = await openStore('count');
    await showGene(page, gene);
    await page.selectOption('#colormap', 'magma');
    await page.selectOption('#scale', 'percentile');
    // the whole image in view, drawn from a coarser level
    await page.evaluate((size) => window.cellmapViewer.view.setView({ zoom: 0.4, cx: size / 2, cy: size / 2 }), SIZE);
    await settled(page);
    const factor = await page.evaluate(() => window.cellmapViewer.view.placement.factor);
    assert.ok(factor > 1, `the view is drawn from a coarser level (factor ${factor})`);
    const shownOf = (p) => p.evaluate(() => ({ range: window.cellmapViewer.range, genes: window.cellmapViewer.shownGenes, stat: document.getElementById('stat').value, scale: document.getElementById('scale').value }));
    assert.deepEqual(await shownOf(page), await shownOf(files.page));
    const { path: file } = await downloaded(page, '#export-png');
    const png = decodePng(await readFile(file));
    await mkdir(SCREENSHOTS, { recursive: true });
    await copyFile(file, path.join(SCREENSHOTS, 'store-exports-map.png'));
    const layout = pngLayout(width, height);
    assert.deepEqual([png.width, png.height], [layout.width, layout.height]);
    assert.deepEqual([filePng.width, filePng.height], [png.width, png.height]);
    // level 0's chunks for it (fetched now unless still cached from the first, fitted view)
    const level0 = (await page.evaluate(() => window.cellmapViewer.call('storeRequests')))
      .filter((key) => /^labels\/cells\/s0\/c\//.test(key));
    assert.equal(new Set(level0).size, Math.ceil(SIZE / 512) ** 2, `level 0 chunks: ${level0}`);
    // the map and the colour bar: byte for byte the files' (the caption names the genes differently)
    const rows = (image, from, to) => image.rgba.subarray(from * image.width * 4, to * image.width * 4);
    let differing = 0;
    for (const [from, to] of [[0, height], [layout.bar.y, layout.bar.y + layout.bar.height]]) {
      const [a, b] = [rows(png, from, to), rows(filePng, from, to)];
      for (let k = 0; k < a.length; k += 1) if (a[k] !== b[k]) differing += 1;
    }
    assert.equal(differing, 0, 'bytes of the map and colour bar differing from the files\' PNG');
    // hover still describes the view's cells afterwards (the view's window composed again)
    for (const [row, col] of [[250, 250], [601, 900]]) {
      const info = await page.evaluate(([r, c]) => window.cellmapViewer.call('cellInfo', r, c), [row, col]);
      const fileInfo = await files.page.evaluate(([r, c]) => window.cellmapViewer.call('cellInfo', r, c), [row, col]);
      assert.equal(info?.label ?? 0, fileInfo?.label ?? 0, `hover at (${row}, ${col})`);
    }
    t.diagnostic(`PNG ${png.width}×${png.height} from level 0, view drawn at factor ${factor}`);

    // zoomed in: the PNG is the window in view, at full resolution, cut from the files' map
    await page.evaluate(() => window.cellmapViewer.view.setView({ zoom: 2.5, cx: 700, cy: 430 }));
    await settled(page);
    const region = await page.evaluate(() => window.cellmapViewer.view.visibleRegion());
    const part = decodePng(await readFile((await downloaded(page, '#export-png')).path));
    const [w, h] = [region.right - region.left, region.bottom - region.top];
    assert.ok(w < SIZE / 2 && h < SIZE / 2, `a part of the image: ${JSON.stringify(region)}`);
    assert.deepEqual([part.width, part.height], [pngLayout(w, h).width, pngLayout(w, h).height]);
    let differingPart = 0;
    for (let row = 0; row < h; row += 1) {
      for (let k = 0; k < w * 4; k += 1) {
        if (part.rgba[row * part.width * 4 + k] !== filePng.rgba[((region.top + row) * filePng.width + region.left) * 4 + k]) differingPart += 1;
      }
    }
    assert.equal(differingPart, 0, `bytes of the ${w}×${h} window differing from the files' map there`);
    t.diagnostic(`zoomed in: PNG of the ${w}×${h} window at (${region.left}, ${region.top})`);
    assertNoProblems(problems.filter((p) => !/404|Failed to load resource/.test(p)));
    await page.close();
    await files.page.close();
  });

  test('a PNG of a view over 2²⁴ pixels at full resolution is refused with a message', async () => {
    // a 4200² label image (17.6 M pixels) with two cells and three transcripts: fitted in the view
    const size = 4200;
    const labels = new Uint8Array(size * size);
    for (let row = 100; row < 200; row += 1) labels.fill(1, row * size + 100, row * size + 200);
    const big = path.join(work, 'big');
    await mkdir(big, { recursive: true });
    await writeFile(path.join(big, 'labels.npy'), npyBytes([size, size], labels));
    await writeFile(path.join(big, 'tx.csv'), 'x,y,gene\n150,150,A\n160,160,B\n');
    execFileSync(cli, ['publish', path.join(big, 'labels.npy'), '--transcripts', path.join(big, 'tx.csv'), '-o', path.join(work, 'site-big'), '--no-viewer'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const { page, problems } = await openViewer(browser, `${server.url}?data=work/site-big/data.zarr`);
    await settled(page);
    const from = requests.length;
    await page.click('#export-png');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'),
      /^the view is 4,200 × 4,200 pixels at full resolution \(81 label chunks\); a PNG of a published store is at most 16,777,216 pixels \(4096 × 4096\) and 96 chunks: zoom in and export again$/);
    assert.ok(!requests.slice(from).some((p) => /\/s0\/c\//.test(p)), 'no level-0 chunk fetched for a refused export');
    // zoomed in below the limit, it is made
    await page.evaluate(() => window.cellmapViewer.view.setView({ zoom: 1, cx: 150, cy: 150 }));
    await settled(page);
    const png = decodePng(await readFile((await downloaded(page, '#export-png')).path));
    assert.ok(png.width > 100 && png.height > 100);
    assertNoProblems(problems.filter((p) => !/404|Failed to load resource/.test(p)));
    await page.close();
  });

  test('a rectangle and a lasso select the cells the files select; the ids are exported', async (t) => {
    const files = await openViewer(browser, server.url);
    await afterRender(files.page, () => files.page.setInputFiles('#file-input', [MASK, EXPRESSION]));
    const { page, problems } = await openStore('count');
    // zoomed in on part of the image: the canvas holds a window, the polygon is in image pixels
    await page.evaluate(() => window.cellmapViewer.view.setView({ zoom: 1.5, cx: 300, cy: 260 }));
    await settled(page);
    await page.click('#select-rectangle');
    const [a, b] = [await screenPoint(page, 180.3, 150.6), await screenPoint(page, 420.2, 380.9)];
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 6 });
    await page.mouse.up();
    await page.waitForFunction(() => window.cellmapViewer.selection.ids.length > 0);
    const rectangle = await page.evaluate(() => window.cellmapViewer.selection);
    const fileIds = await files.page.evaluate((polygon) => window.cellmapViewer.call('cellsInPolygon', polygon), rectangle.polygon);
    assert.ok(fileIds.length > 5, `${fileIds.length} cells in the rectangle`);
    assert.deepEqual(rectangle.ids, fileIds);
    assert.equal(await page.textContent('#selection-count'), `${fileIds.length} cells selected.`);
    // the outline is drawn over the window: its screen box is the rectangle's
    const outline = await page.locator('.selection-overlay polygon').boundingBox();
    // (the box takes in the stroke up to its miter limit: 4 × half of the 2 px line)
    assert.ok(Math.abs(outline.x - a.x) <= 5 && Math.abs(outline.y - a.y) <= 5, `outline at ${JSON.stringify(outline)}, drawn from ${JSON.stringify(a)}`);
    await screenshot(page, 'store-selection.png');
    const exported = await readCsv((await downloaded(page, '#export-selection')).path);
    assert.deepEqual(exported.map(([id]) => id), ['cell_id', ...fileIds.map(String)]);

    await page.click('#select-lasso');
    const corners = [[200, 160], [430, 200], [260, 390]];
    const points = [];
    for (let k = 0; k < 3; k += 1) {
      const [p, q] = [corners[k], corners[(k + 1) % 3]];
      for (let s = 0; s < 8; s += 1) points.push([p[0] + ((q[0] - p[0]) * s) / 8, p[1] + ((q[1] - p[1]) * s) / 8]);
    }
    const start = await screenPoint(page, ...points[0]);
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (const point of points.slice(1)) {
      const screen = await screenPoint(page, ...point);
      await page.mouse.move(screen.x, screen.y);
    }
    await page.mouse.up();
    // the lasso's ids once computed (the rectangle's until then)
    await page.waitForFunction((before) => window.cellmapViewer.selection.polygon?.length > 4 &&
      window.cellmapViewer.selection.ids.join() !== before, rectangle.ids.join());
    const lasso = await page.evaluate(() => window.cellmapViewer.selection);
    const lassoFiles = await files.page.evaluate((polygon) => window.cellmapViewer.call('cellsInPolygon', polygon), lasso.polygon);
    assert.ok(lassoFiles.length > 3, `${lassoFiles.length} cells in the lasso`);
    assert.deepEqual(lasso.ids, lassoFiles);
    t.diagnostic(`rectangle: ${fileIds.length} cells, lasso: ${lassoFiles.length} cells`);
    assertNoProblems(problems.filter((p) => !/404|Failed to load resource/.test(p)));
    await page.close();
    await files.page.close();
  });

  test('a clicked cell\'s top genes are the files\', from two chunks of obsm', async (t) => {
    for (const stat of STATS) {
      const files = await openViewer(browser, server.url);
      await afterRender(files.page, () => files.page.setInputFiles('#file-input', [MASK, EXPRESSION]));
      const { page, problems } = await openStore(stat);
      const cells = await page.evaluate(() => window.cellmapViewer.session.cellCount);
      const from = requests.length;
      let compared = 0;
      for (const label of [1, 2, Math.floor(cells / 2), cells - 1, cells]) {
        const got = await page.evaluate(([label, stat]) => window.cellmapViewer.call('topGenes', label, stat, 10), [label, stat]);
        const want = await files.page.evaluate(([label, stat]) => window.cellmapViewer.call('topGenes', label, stat, 10), [label, stat]);
        assert.deepEqual(got.map(({ gene }) => gene), want.map(({ gene }) => gene), `${stat}: cell ${label}: the genes in order`);
        assert.deepEqual(got.map(({ value }) => value), want.map(({ value }) => Math.fround(value)), `${stat}: cell ${label}: the values`);
        compared += got.length;
      }
      const chunks = requests.slice(from).filter((p) => /obsm\/cellmap_top_/.test(p));
      assert.ok(chunks.length >= 2 && chunks.length <= 4, `top-gene chunks fetched: ${chunks}`);
      assert.ok(!requests.slice(from).some((p) => /\/X\//.test(p)), 'no gene column fetched for the ranking');

      // the panel shows them
      const cell = await page.evaluate(() => {
        const { view } = window.cellmapViewer;
        return { x: view.viewport.clientWidth / 2, y: view.viewport.clientHeight / 2 };
      });
      await page.focus('#viewport');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#cell-detail:not([hidden])');
      assert.equal(await page.textContent('#cell-detail-genes-title'), `Top 10 genes by ${stat}`);
      const label = Number((await page.textContent('#cell-detail-title')).replace('Cell ', ''));
      const shown = await page.$$eval('#cell-detail-genes li', (items) => items.length);
      const want = await files.page.evaluate(([label, stat]) => window.cellmapViewer.call('topGenes', label, stat, 10), [label, stat]);
      assert.equal(shown, want.length, `cell ${label} at ${JSON.stringify(cell)}`);
      if (stat === 'count') await screenshot(page, 'store-cell-detail.png');
      t.diagnostic(`${stat}: ${compared} ranked genes compared`);
      assertNoProblems(problems.filter((p) => !/404|Failed to load resource/.test(p)));
      await page.close();
      await files.page.close();
    }
  });
});
