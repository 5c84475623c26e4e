// A published store opened lazily (`index.html?data=URL`) in headless Chromium, against the
// stores zarr-python wrote (tests/generators/published.py): the colours matplotlib paints for a
// gene, hover, the link's view restored on another page, only the label chunks of the view
// fetched (the static server's request log), and a sharded store refused with a clear message.
// Needs web/pkg with the store module (scripts/build-wasm.sh).
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchChromium } from './browser.mjs';
import { ROOT, openViewer, screenshot } from './page.mjs';
import { startServer } from './server.mjs';

const PUBLISHED = path.join(ROOT, 'tests/fixtures/published');
const CHUNK = 512;
let server;
let browser;
let expected;
/** Every path the server was asked for, in order. */
const requests = [];

before(async () => {
  await access(path.join(ROOT, 'web/pkg/store/cellmap_wasm_store.js')).catch(() => {
    throw new Error('web/pkg/store is missing: build it first with scripts/build-wasm.sh');
  });
  expected = JSON.parse(await readFile(path.join(PUBLISHED, 'expected.json'), 'utf8'));
  server = await startServer({ '/': path.join(ROOT, 'web'), '/published/': PUBLISHED }, requests);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The store's label-chunk requests made since `from` (an index into the log): [level, i, j]. */
function labelChunkRequests(from) {
  return requests.slice(from)
    .map((p) => p.match(/^\/published\/store\.zarr\/labels\/cells\/s(\d+)\/c\/(\d+)\/(\d+)$/))
    .filter(Boolean)
    .map((m) => m.slice(1).map(Number));
}

/** The viewer's state once the store's map is drawn and nothing is pending. */
async function settled(page, renders = 1) {
  await page.waitForFunction((n) => Number(document.body.dataset.renders ?? 0) >= n && !document.body.hasAttribute('data-loading'), renders);
  // a pan/zoom repaint may follow (60 ms debounce); wait until the render count stays put
  let count = -1;
  for (;;) {
    await page.waitForTimeout(250);
    const now = await page.evaluate(() => Number(document.body.dataset.renders ?? 0));
    if (now === count) break;
    count = now;
  }
  return page.evaluate(() => {
    const viewer = window.cellmapViewer;
    return {
      region: viewer.view.visibleRegion(),
      placement: { ...viewer.view.placement },
      canvas: { width: document.getElementById('map').width, height: document.getElementById('map').height },
      range: viewer.range,
      genes: viewer.shownGenes,
      status: document.getElementById('status').textContent,
      error: document.getElementById('error').hidden ? null : document.getElementById('error-text').textContent,
    };
  });
}

/** The label chunks [level, i, j] a region needs at the level whose factor is `factor`. */
function chunksOf(region, level, factor) {
  const rows = [Math.floor(region.top / factor / CHUNK), Math.floor((Math.ceil(region.bottom / factor) - 1) / CHUNK)];
  const cols = [Math.floor(region.left / factor / CHUNK), Math.floor((Math.ceil(region.right / factor) - 1) / CHUNK)];
  const out = [];
  for (let i = rows[0]; i <= rows[1]; i += 1) for (let j = cols[0]; j <= cols[1]; j += 1) out.push([level, i, j]);
  return out;
}

const key = ([level, i, j]) => `${level}/${i}/${j}`;
const sortedKeys = (chunks) => [...new Set(chunks.map(key))].sort();

/** RGBA of level-0 pixel (row, col) on the map canvas (which holds the window in view). */
function mapPixel(page, row, col) {
  return page.evaluate(([row, col]) => {
    const { x, y, factor } = window.cellmapViewer.view.placement;
    const canvas = document.getElementById('map');
    const cx = Math.floor((col - x) / factor);
    const cy = Math.floor((row - y) / factor);
    if (cx < 0 || cy < 0 || cx >= canvas.width || cy >= canvas.height) return null;
    return Array.from(canvas.getContext('2d').getImageData(cx, cy, 1, 1).data);
  }, [row, col]);
}

/** The map canvas's size and the SHA-256 of its RGBA pixels. */
function mapDigest(page) {
  return page.evaluate(async () => {
    const canvas = document.getElementById('map');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    return { width: canvas.width, height: canvas.height, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('') };
  });
}

/** The link's hash for the store: `genes`, minmax viridis, and zoom / centre. */
function viewHash(data, genes, zoom, cx, cy) {
  const params = new URLSearchParams({ data, genes, stat: 'sum', cmap: 'viridis', by: 'values', scale: 'minmax' });
  params.set('zoom', String(zoom));
  params.set('cx', String(cx));
  params.set('cy', String(cy));
  params.set('log1p', '0');
  params.set('outlines', '0');
  return `#${params}`;
}

describe('published stores, viewed lazily', () => {
  test('the colours of a gene are matplotlib\'s, hover names the cell, only the chunks in view are fetched', async () => {
    const data = 'published/store.zarr';
    // zoomed in on the top-right: level 0, chunk columns 2 (and maybe 1) only
    const from = requests.length;
    const { page, problems } = await openViewer(browser, `${server.url}?data=${data}${viewHash(data, 'Pvalb', 2, 1300, 250)}`);
    let state = await settled(page);
    assert.equal(state.error, null);
    assert.deepEqual(state.genes, [expected.genes.indexOf('Pvalb')]);
    assert.equal(state.placement.factor, 1, 'zoom 2 draws level 0');
    const firstView = labelChunkRequests(from);
    assert.ok(firstView.length > 0 && firstView.length < 6, `chunks fetched: ${firstView}`);
    assert.deepEqual(sortedKeys(firstView), sortedKeys(chunksOf(state.region, 0, 1)),
      `requested ${sortedKeys(firstView)} for the region ${JSON.stringify(state.region)}`);
    // the range runs over every cell, not only those in view
    assert.deepEqual(state.range, expected.by_gene.Pvalb.range);
    assert.match(await page.textContent('#source'), /published store, 1536×1024 px, 552 cells, 6 genes/);
    await screenshot(page, 'lazy-zoomed.png');

    // zoom out to the whole image at 1/4: level 2, its one chunk and nothing else
    const before = requests.length;
    await page.evaluate(() => window.cellmapViewer.view.setView({ zoom: 0.2, cx: 768, cy: 512 }));
    state = await settled(page);
    assert.equal(state.placement.factor, 4);
    assert.deepEqual(labelChunkRequests(before), [[2, 0, 0]]);

    // fit: level 0, every chunk of the image (the omitted, all-background one is asked for once
    // and answered 404) and the right colour for each listed cell
    const beforeFit = requests.length;
    await page.evaluate(() => window.cellmapViewer.view.setView({ zoom: 1, cx: 768, cy: 512 }));
    state = await settled(page);
    await page.evaluate(() => window.cellmapViewer.view.fit());
    state = await settled(page);
    assert.equal(state.placement.factor, 1);
    // the chunks of the first view come from the cache; the others are fetched once
    const fetched = labelChunkRequests(beforeFit);
    const inView = sortedKeys(chunksOf(state.region, 0, 1));
    assert.ok(fetched.every((chunk) => inView.includes(key(chunk))), `fetched ${sortedKeys(fetched)}, in view ${inView}`);
    assert.deepEqual(sortedKeys([...fetched, ...firstView]), inView);
    assert.equal(fetched.length, new Set(fetched.map(key)).size, 'no chunk fetched twice (LRU cache)');
    for (const name of ['Pvalb', 'Actb', 'Empty1']) {
      if (name !== 'Pvalb') {
        await page.fill('#gene-search', name);
        await page.keyboard.press('Enter');
        state = await settled(page);
        assert.deepEqual(state.genes, [expected.genes.indexOf(name)]);
      }
      assert.deepEqual(state.range, expected.by_gene[name].range, name);
      for (const [label, cell] of Object.entries(expected.by_gene[name].cells)) {
        const [row, col] = cell.pixel;
        assert.deepEqual(await mapPixel(page, row, col), cell.rgba, `${name}, cell ${label} at (${row}, ${col})`);
      }
    }
    // background of the omitted chunk: transparent
    assert.deepEqual(await mapPixel(page, 700, 100), [0, 0, 0, 0]);
    await screenshot(page, 'lazy-whole.png');

    // hover: the cell id and its value
    const cell = expected.by_gene.Actb.cells['7'];
    await page.fill('#gene-search', 'Actb');
    await page.keyboard.press('Enter');
    await settled(page);
    const box = await page.locator('#viewport').boundingBox();
    const point = await page.evaluate(([row, col]) => {
      const v = window.cellmapViewer.view;
      return { x: v.offsetX + (col + 0.5) * v.scale, y: v.offsetY + (row + 0.5) * v.scale };
    }, cell.pixel);
    await page.mouse.move(box.x + point.x, box.y + point.y);
    await page.waitForSelector('#tooltip:not([hidden])');
    const tooltip = (await page.textContent('#tooltip')).split('\n');
    assert.equal(tooltip[0], 'cell 7');
    assert.equal(tooltip[1], `area ${cell.area.toLocaleString('en-US')} px`);
    assert.match(tooltip[3], new RegExp(`^sum ${cell.value}`));
    // click: the detail panel with the cell's facts from obs
    await page.mouse.click(box.x + point.x, box.y + point.y);
    await page.waitForSelector('#cell-detail:not([hidden])');
    assert.equal(await page.textContent('#cell-detail-title'), 'Cell 7');
    assert.match(await page.textContent('#cell-detail-facts'), new RegExp(`area${cell.area.toLocaleString('en-US')} px`));
    // a store zarr-python wrote has no obsm/cellmap_top_genes: the panel says so
    assert.match(await page.textContent('#cell-detail-genes-title'), /This store has no ranked genes/);
    const notFound = problems.filter((p) => !/404|Failed to load resource/.test(p));
    assert.deepEqual(notFound, []);
    await page.close();
  });

  test('a copied link opens the same view on another page', async () => {
    const data = 'published/store.zarr';
    const { page } = await openViewer(browser, `${server.url}?data=${data}`);
    const opened = await settled(page);
    // manifest.json next to the store: its title, statistic and default view
    assert.match(await page.textContent('#source'), /^published fixture — published\/store\.zarr: published store/);
    assert.deepEqual(opened.genes, [expected.genes.indexOf('Gapdh')]);
    assert.equal(await page.inputValue('#colormap'), 'magma');
    assert.equal(await page.inputValue('#stat'), 'sum');
    await page.fill('#gene-search', 'Sox2');
    await page.keyboard.press('Enter');
    await page.selectOption('#colormap', 'cividis');
    await page.evaluate(() => window.cellmapViewer.view.setView({ zoom: 1.5, cx: 400, cy: 300 }));
    const shown = await settled(page);
    await page.click('#copy-link');
    await page.waitForFunction(() => window.cellmapViewer.copiedLink !== null);
    const link = await page.evaluate(() => window.cellmapViewer.copiedLink);
    assert.match(link, /\?data=published\/store\.zarr#data=published%2Fstore\.zarr&genes=Sox2/);
    const pixels = await mapDigest(page);
    const other = await openViewer(browser, link);
    const restored = await settled(other.page);
    assert.equal(await other.page.inputValue('#colormap'), 'cividis');
    assert.deepEqual(restored.genes, shown.genes);
    assert.deepEqual(restored.region, shown.region);
    assert.deepEqual(restored.placement, shown.placement);
    assert.deepEqual(await mapDigest(other.page), pixels, 'the restored map differs');
    await screenshot(other.page, 'lazy-link.png');
    await page.close();
    await other.page.close();
  });

  test('a sharded store (as Python rewrites them) is refused with a clear message', async () => {
    const { page } = await openViewer(browser, `${server.url}?data=published/sharded.zarr`);
    await page.waitForSelector('#error:not([hidden])');
    const message = await page.textContent('#error-text');
    assert.match(message, /published\/sharded\.zarr: tables\/table\/X\/data: codec 'sharding_indexed' is not supported/);
    const missing = await openViewer(browser, `${server.url}?data=published/nothing-here.zarr`);
    await missing.page.waitForSelector('#error:not([hidden])');
    assert.match(await missing.page.textContent('#error-text'), /nothing-here\.zarr\/zarr\.json: 404/);
    await screenshot(page, 'lazy-sharded.png');
    await page.close();
    await missing.page.close();
  });
});
