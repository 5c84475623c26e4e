// Real-browser tests of the viewer (web/) in headless Chromium: the demo, loading the scipy
// fixtures through the file input, the controls, errors. Needs web/pkg (scripts/build-wasm.sh).
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatValue } from '../../web/format.js';
import { launchChromium } from './browser.mjs';
import {
  FIXTURES, ROOT, afterRender, assertNoProblems, canvasPixels, checkCellColours, hoverPixel,
  openViewer, renderCount, screenshot,
} from './page.mjs';
import { startServer } from './server.mjs';

const expected = JSON.parse(await readFile(path.join(FIXTURES, 'expected.json'), 'utf8'));
const setting = (fillHoles, connectivity) =>
  expected.settings.find((s) => s.fillHoles === fillHoles && s.connectivity === connectivity);
const fixture = (name) => path.join(FIXTURES, name);

let server;
let browser;

before(async () => {
  await access(path.join(ROOT, 'web/pkg/cellmap_wasm.js')).catch(() => {
    throw new Error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  });
  server = await startServer({ '/': path.join(ROOT, 'web'), '/fixtures/': FIXTURES });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Loads the fixture mask + CSR expression + gene names through the file input. */
async function loadFixture(page) {
  await afterRender(page, () =>
    page.setInputFiles('#file-input', [fixture('mask.npy'), fixture('expression.npz'), fixture('genes.txt')]));
  await page.waitForFunction(() => document.getElementById('gene-shown').textContent === 'ACTB');
}

/** Hovers each cell's first pixel and checks the tooltip against scipy's numbers for `gene`. */
async function checkTooltips(page, cells, gene, stat) {
  for (const cell of cells) {
    const lines = await hoverPixel(page, ...cell.firstPixel);
    const want = cell[stat][gene] ?? NaN;
    assert.deepEqual(lines, [
      `cell ${cell.label}`,
      `area ${cell.area} px`,
      `centroid row ${cell.centroid[0].toFixed(1)}, col ${cell.centroid[1].toFixed(1)}`,
      `${stat} ${formatValue(want)}`,
    ]);
  }
  // and the exact numbers behind the tooltip
  const values = await page.evaluate(
    (labels) => window.cellmapViewer.call('cellValues', labels),
    cells.map((cell) => cell.label),
  );
  cells.forEach((cell, i) => {
    const want = cell[stat][gene];
    if (want === null) assert.ok(Number.isNaN(values[i]), `cell ${cell.label}: want NaN, got ${values[i]}`);
    else assert.ok(Math.abs(values[i] - want) <= 1e-12 * Math.abs(want), `cell ${cell.label} ${stat}: ${values[i]} vs scipy ${want}`);
  });
}

async function chooseGene(page, name) {
  await afterRender(page, async () => {
    await page.fill('#gene-search', name);
    await page.press('#gene-search', 'Enter');
  });
}

/** The values and texts of a <select>'s options. */
function selectOptions(page, id) {
  return page.$$eval(`#${id} option`, (options) => options.map((option) => [option.value, option.textContent]));
}

/** A field of what the viewer's worker got from the wasm package at start (menus, LUTs, colours). */
function paletteField(page, name) {
  return page.evaluate((name) => {
    const value = window.cellmapViewer.palette[name];
    return ArrayBuffer.isView(value) ? Array.from(value) : value;
  }, name);
}

describe('demo', () => {
  test('opens straight into the demo with cells in the colormap colours and no errors', async () => {
    const { page, problems, wasmResponse } = await openViewer(browser, server.url);
    assert.equal(wasmResponse.headers()['content-type'], 'application/wasm');
    assert.match(await page.textContent('#source'), /^Demo/);
    const cellCount = Number((await page.textContent('#cell-count')).replaceAll(',', ''));
    assert.ok(cellCount > 50, `demo has ${cellCount} cells`);
    const colours = await checkCellColours(page, 'viridis');
    assert.equal(colours.wrong, 0, `pixels not in the LUT colour: ${JSON.stringify(colours.firstWrong)}`);
    assert.ok(colours.cellPixels > 10_000 && colours.colours > 10, JSON.stringify(colours));
    const legend = await page.evaluate(() => Array.from(
      document.getElementById('legend-bar').getContext('2d').getImageData(0, 0, 256, 1).data));
    const lut = await page.evaluate(() => Array.from(window.cellmapViewer.palette.luts.viridis));
    assert.deepEqual(legend, lut, 'the legend bar is the LUT');
    const [low, high] = await page.evaluate(() => window.cellmapViewer.range);
    assert.ok(low < high, `the automatic range ${low}..${high}`);
    assert.equal(await page.textContent('#legend-min'), formatValue(low));
    assert.equal(await page.textContent('#legend-max'), formatValue(high));
    assert.equal(await page.inputValue('#vmin'), String(Number(low.toPrecision(6))));
    assert.equal(await page.inputValue('#vmax'), String(Number(high.toPrecision(6))));
    await screenshot(page, 'demo.png');
    assertNoProblems(problems);
    await page.close();
  });

  test('the menus and the palette come from Rust; the demo opens on what Rust chose', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const stats = await paletteField(page, 'stats');
    assert.deepEqual(stats.map(({ name }) => name), ['mean', 'sum', 'count', 'min', 'max']);
    assert.deepEqual(await selectOptions(page, 'stat'),
      stats.map(({ name, description }) => [name, `${name} — ${description}`]));
    const colormaps = await paletteField(page, 'colormaps');
    assert.equal(colormaps.length, 7);
    assert.deepEqual(await selectOptions(page, 'colormap'), colormaps.map((name) => [name, name]));
    assert.equal(await page.inputValue('#colormap'), 'viridis');
    assert.deepEqual(await selectOptions(page, 'connectivity'), [['4', '4'], ['8', '8']]);
    // scipy's defaults, as the session reports them
    assert.equal(await page.inputValue('#connectivity'), '4');
    assert.equal(await page.isChecked('#fill-holes'), true);
    // the demo's opening gene and statistic are the session's selection
    const { genes, stat, names } = await page.evaluate(() => {
      const { session } = window.cellmapViewer;
      return { genes: session.shownGenes, stat: session.shownStat, names: session.geneNames };
    });
    assert.equal(stat, 'sum');
    assert.equal(await page.inputValue('#stat'), 'sum');
    assert.equal(genes.length, 1);
    assert.deepEqual(await page.evaluate(() => window.cellmapViewer.shownGenes), genes);
    assert.match(names[genes[0]], /^sp\d+_F\d+$/, 'a spatial gene of the simulator');
    assert.equal(await page.textContent('#gene-shown'), names[genes[0]]);
    const description = stats.find(({ name }) => name === 'sum').description;
    assert.equal(await page.textContent('#legend-caption'),
      `${names[genes[0]]}: ${description} per cell (range: 1–99th percentile)`);
    // the legend's no-value swatch is the colour wasm paints
    assert.deepEqual(await paletteField(page, 'noValueColor'), [255, 102, 255, 255]);
    assert.equal(await page.$eval('#no-value-swatch', (swatch) => getComputedStyle(swatch).backgroundColor),
      'rgb(255, 102, 255)');
    assertNoProblems(problems);
    await page.close();
  });

  test('the true factors of the demo are genes: searching "F0" shows spatial factor 0', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const before = await canvasPixels(page);
    await page.selectOption('#stat', 'mean');
    await afterRender(page, () => page.selectOption('#scale', 'minmax'));
    await chooseGene(page, 'F0');
    assert.equal(await page.textContent('#gene-shown'), 'F0');
    assert.notDeepEqual(await canvasPixels(page), before, 'the canvas shows the factor');
    const colours = await checkCellColours(page, 'viridis');
    assert.equal(colours.wrong, 0, JSON.stringify(colours.firstWrong));
    assertNoProblems(problems);
    await page.close();
  });

  test('zoom and pan by wheel, drag and keyboard; hover shows the cell', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const transform = () => page.$eval('#map', (canvas) => canvas.style.transform);
    const box = await page.locator('#viewport').boundingBox();
    const start = await transform();
    await page.mouse.move(box.x + box.width / 2 + 0.5, box.y + box.height / 2 + 0.5);
    // the tooltip's text comes from the worker: wait for it before reading it
    await page.waitForFunction(() => !document.getElementById('tooltip').hidden
      && document.getElementById('tooltip').textContent !== '');
    const underPointer = await page.textContent('#tooltip');
    await page.mouse.wheel(0, -600);
    const zoomed = await transform();
    assert.notEqual(zoomed, start);
    // the wheel zooms about the pointer: the same pixel stays under it
    await page.waitForFunction((text) => !document.getElementById('tooltip').hidden
      && document.getElementById('tooltip').textContent === text, underPointer, { timeout: 5000 })
      .catch(() => {});
    assert.equal(await page.textContent('#tooltip'), underPointer);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 80, box.y + box.height / 2 + 40, { steps: 4 });
    await page.mouse.up();
    const dragged = await transform();
    assert.notEqual(dragged, zoomed);
    await page.focus('#viewport');
    await page.keyboard.press('ArrowLeft');
    assert.notEqual(await transform(), dragged);
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    // keyboard exploration describes the cell at the centre of the view, also for screen readers
    // (the description comes from the worker: wait for it)
    await page.waitForFunction(() => {
      const tooltip = document.getElementById('tooltip');
      return !tooltip.hidden && document.getElementById('announcer').textContent === tooltip.textContent.replaceAll('\n', ', ');
    });
    await screenshot(page, 'demo-zoomed.png');
    await page.keyboard.press('0');
    assert.equal(await transform(), start);
    // hovering a cell pixel shows its id, area, centroid and value
    const cell = await page.evaluate(async () => {
      const viewer = window.cellmapViewer;
      const info = await viewer.call('cellInfoOf', Math.ceil(viewer.session.cellCount / 2));
      return { info, row: Math.round(info.centroidRow), col: Math.round(info.centroidCol) };
    });
    const label = await page.evaluate(({ row, col }) => window.cellmapViewer.call('cellAt', row, col), cell);
    assert.ok(label > 0, 'the centroid of a round demo cell lies in the cell');
    const lines = await hoverPixel(page, cell.row, cell.col);
    assert.equal(lines[0], `cell ${label}`);
    assert.match(lines[1], /^area [\d,]+ px$/);
    assert.match(lines[3], /^sum \d+$/);
    assertNoProblems(problems);
    await page.close();
  });
});

describe('fixture files', () => {
  test('mask .npy + scipy CSR .npz + gene names: hovered values equal scipy', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await loadFixture(page);
    const filled4 = setting(true, 4);
    assert.equal(await page.textContent('#cell-count'), String(filled4.cellCount));
    assert.match(await page.textContent('#source'), /mask\.npy \(56×40\) \+ expression\.npz \(5 genes\)/);
    assert.deepEqual(
      await page.$$eval('#gene-list option', (options) => options.map((option) => option.textContent)),
      expected.genes,
    );
    await checkTooltips(page, filled4.cells, 0, 'mean');
    const colours = await checkCellColours(page, 'viridis');
    assert.equal(colours.wrong, 0, JSON.stringify(colours.firstWrong));
    assert.ok(colours.noValuePixels > 0, 'a cell without gene 0 is drawn in the no-value colour');
    await screenshot(page, 'fixture-gene0.png');

    await chooseGene(page, 'CD3');
    assert.equal(await page.textContent('#gene-shown'), 'CD3E');
    await checkTooltips(page, filled4.cells, 1, 'mean');
    await afterRender(page, () => page.selectOption('#stat', 'sum'));
    await checkTooltips(page, filled4.cells, 1, 'sum');
    await afterRender(page, () => page.selectOption('#stat', 'max'));
    await checkTooltips(page, filled4.cells, 1, 'max');
    // min (scipy's numbers have none): between nothing and the mean, and named in the tooltip
    await afterRender(page, () => page.selectOption('#stat', 'min'));
    for (const cell of filled4.cells) {
      const lines = await hoverPixel(page, ...cell.firstPixel);
      const [min] = await page.evaluate((label) => window.cellmapViewer.call('cellValues', [label]), cell.label);
      assert.equal(lines[3], `min ${formatValue(min)}`);
      if (cell.mean[1] === null) assert.ok(Number.isNaN(min), `cell ${cell.label}: no value`);
      else assert.ok(min > 0 && min <= cell.mean[1] && min <= cell.max[1], `cell ${cell.label}: min ${min}`);
    }
    assertNoProblems(problems);
    await page.close();
  });

  test('gene, colormap, fill, connectivity, outlines and range change the canvas as expected', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await loadFixture(page);
    const gene0 = await canvasPixels(page);

    await chooseGene(page, 'KRT19');
    assert.notDeepEqual(await canvasPixels(page), gene0, 'another gene, other colours');
    assert.equal((await checkCellColours(page, 'viridis')).wrong, 0);

    await afterRender(page, () => page.selectOption('#colormap', 'magma'));
    const magma = await checkCellColours(page, 'magma');
    assert.equal(magma.wrong, 0, JSON.stringify(magma.firstWrong));

    // the ring's hole carries CD3E expression: filled, it joins the ring cell, its values do not count
    await chooseGene(page, 'CD3E');
    const ring = setting(true, 4).cells.find((cell) => cell.firstPixel.join() === '3,20');
    const holePixel = [8, 25];
    assert.equal((await hoverPixel(page, ...holePixel))[0], `cell ${ring.label}`);
    await afterRender(page, () => page.uncheck('#fill-holes'));
    const unfilled = setting(false, 4);
    assert.equal(await page.textContent('#cell-count'), String(unfilled.cellCount));
    assert.equal((await hoverPixel(page, ...holePixel))[0], 'background');
    await checkTooltips(page, unfilled.cells, 1, 'mean');
    assert.equal((await checkCellColours(page, 'magma')).wrong, 0);
    await afterRender(page, () => page.check('#fill-holes'));

    // two squares touching at a corner: one cell with 8-connectivity
    const eight = setting(true, 8);
    await afterRender(page, () => page.selectOption('#connectivity', '8'));
    assert.equal(await page.textContent('#cell-count'), String(eight.cellCount));
    const [upper, lower] = await page.evaluate(
      () => Promise.all([window.cellmapViewer.call('cellAt', 20, 4), window.cellmapViewer.call('cellAt', 25, 9)]));
    assert.equal(upper, lower);
    await checkTooltips(page, eight.cells, 1, 'mean');
    await screenshot(page, 'fixture-connectivity8-magma.png');

    // outlines change the border pixels only
    const plain = await canvasPixels(page);
    await afterRender(page, () => page.check('#outlines'));
    const outlined = await canvasPixels(page);
    assert.notDeepEqual(outlined, plain);
    await screenshot(page, 'fixture-outlines.png');
    await afterRender(page, () => page.uncheck('#outlines'));

    // manual range: the colours follow vmin/vmax and the legend shows them
    await afterRender(page, () => page.selectOption('#scale', 'fixed'));
    await afterRender(page, () => page.fill('#vmin', '2').then(() => page.press('#vmin', 'Tab')));
    await afterRender(page, () => page.fill('#vmax', '4').then(() => page.press('#vmax', 'Tab')));
    assert.equal(await page.textContent('#legend-min'), '2');
    assert.equal(await page.textContent('#legend-max'), '4');
    const manual = await checkCellColours(page, 'magma', [2, 4]);
    assert.equal(manual.wrong, 0, JSON.stringify(manual.firstWrong));
    // vmin above vmax: Rust refuses it, the page says so and keeps the map
    const kept = await canvasPixels(page);
    await page.fill('#vmin', '5');
    await page.press('#vmin', 'Tab');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /vmin \(5\) is larger than vmax \(4\)/);
    assert.deepEqual(await canvasPixels(page), kept);
    await page.click('#error-dismiss');
    await afterRender(page, () => page.fill('#vmin', '2').then(() => page.press('#vmin', 'Tab')));

    // sum of two genes
    await page.check('#mode-sum');
    await afterRender(page, async () => {
      await page.fill('#gene-search', 'ACTB');
      await page.press('#gene-search', 'Enter');
    });
    assert.equal(await page.textContent('#gene-shown'), 'CD3E + ACTB');
    assert.match(await page.textContent('#legend-caption'), /CD3E \+ ACTB/);
    assertNoProblems(problems);
    await page.close();
  });

  test('files dropped on the page load like picked ones', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.evaluate(async (names) => {
      const transfer = new DataTransfer();
      for (const name of names) {
        transfer.items.add(new File([await (await fetch(`/fixtures/${name}`)).blob()], name));
      }
      const viewport = document.getElementById('viewport');
      viewport.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, ['expression.npz', 'mask.npy']));
    const filled4 = setting(true, 4);
    assert.match(await page.textContent('#source'), /^mask\.npy \(56×40\) \+ expression\.npz/);
    assert.equal(await page.textContent('#cell-count'), String(filled4.cellCount));
    assert.equal(await page.textContent('#gene-shown'), 'gene 0', 'default gene names without a name list');
    await checkTooltips(page, filled4.cells, 0, 'mean');
    assertNoProblems(problems);
    await page.close();
  });

  test('a mask alone shows cells with no value; an expression picked next goes onto it', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', [fixture('mask.npy')]));
    assert.equal(await page.textContent('#cell-count'), String(setting(true, 4).cellCount));
    assert.match(await page.textContent('#legend-caption'), /no expression loaded/);
    const colours = await checkCellColours(page, 'viridis');
    assert.equal(colours.wrong, 0, JSON.stringify(colours.firstWrong));
    assert.equal(colours.noValuePixels, colours.cellPixels);
    await screenshot(page, 'fixture-mask-only.png');
    await afterRender(page, () => page.setInputFiles('#file-input', [fixture('expression.npz')]));
    assert.match(await page.textContent('#source'), /^mask\.npy \(56×40\) \+ expression\.npz \(5 genes\)$/);
    await checkTooltips(page, setting(true, 4).cells, 0, 'mean');
    assertNoProblems(problems);
    await page.close();
  });

  test('a label image keeps its labels: fill and connectivity are disabled with a note', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const labels = await readFile(path.join(ROOT, 'tests/fixtures/wasm/labels_u16.png'));
    await afterRender(page, () =>
      page.setInputFiles('#file-input', [{ name: 'labels_u16.png', mimeType: 'image/png', buffer: labels }]));
    assert.equal(await page.evaluate(() => window.cellmapViewer.session.isLabelImage), true);
    assert.equal(await page.isDisabled('#fill-holes'), true);
    assert.equal(await page.isDisabled('#connectivity'), true);
    assert.match(await page.textContent('#label-image-note'), /label image/);
    assert.equal(await page.isVisible('#label-image-note'), true);
    // a plain mask brings the options back
    await afterRender(page, () => page.setInputFiles('#file-input', [fixture('mask.npy')]));
    assert.equal(await page.isDisabled('#fill-holes'), false);
    assert.equal(await page.isDisabled('#connectivity'), false);
    assert.equal(await page.isVisible('#label-image-note'), false);
    assertNoProblems(problems);
    await page.close();
  });

  test('label images in every format: the generator\'s ids; _seg.npy, sparse .npz and zarr via the readers module', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const expectedNpy = await readFile(path.join(ROOT, 'tests/fixtures/labels/expected_labels.npy'));
    const headerEnd = 10 + expectedNpy.readUInt16LE(8);
    const expectedIds = Array.from(new Uint32Array(expectedNpy.buffer.slice(
      expectedNpy.byteOffset + headerEnd, expectedNpy.byteOffset + expectedNpy.length)));
    // the worker fetches the readers module; Playwright reports its requests to the page
    const fetched = [];
    page.on('request', (request) => fetched.push(request.url()));
    const readersFetched = () => fetched.some((url) => url.endsWith('cellmap_wasm_readers_bg.wasm'));
    const formats = [
      // [file, named in the page as, needs the readers module]
      ['expected_labels.npy', 'expected_labels.npy', false],
      ['float_labels.tif', 'float_labels.tif', true],
      ['cellpose_seg.npy', 'tile_seg.npy', true],
      ['cellpose32_seg.npy', 'tile32_seg.npy', true],
      ['labels_coo.npz', 'label_image.coo.npz', true],
      ['labels_csr.npz', 'labels_csr.npz', true],
      ['cells.zarr.zip', 'cells.zarr.zip', true],
    ];
    for (const [file, name, viaReaders] of formats) {
      const buffer = await readFile(path.join(ROOT, 'tests/fixtures/labels', file));
      await afterRender(page, () => page.setInputFiles('#file-input', [{ name, mimeType: 'application/octet-stream', buffer }]));
      const shown = await page.evaluate(async () => {
        const { session, call } = window.cellmapViewer;
        const ids = await call('labels');
        return { label: session.isLabelImage, w: session.width, h: session.height, cells: session.cellCount, ids: Array.from(ids) };
      });
      assert.deepEqual([shown.label, shown.w, shown.h, shown.cells], [true, 50, 40, 30], name);
      assert.deepEqual(shown.ids, expectedIds, `${name}: the generator's label ids`);
      assert.match(await page.textContent('#source'), new RegExp(name.replace(/\./g, '\\.')));
      // the main package reads a .npy itself: the readers module is fetched for the first file that needs it
      if (!viaReaders) assert.equal(readersFetched(), false, `${name} needs no readers module`);
      else assert.equal(readersFetched(), true, name);
    }
    await screenshot(page, 'labels-zarr.png');
    // a damaged Cellpose file: the readers' one-line error in the page, which stays usable
    const evil = await readFile(path.join(ROOT, 'tests/fixtures/labels/truncated_seg.npy'));
    await page.setInputFiles('#file-input', [{ name: 'broken_seg.npy', mimeType: 'application/octet-stream', buffer: evil }]);
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /^broken_seg\.npy: /);
    assertNoProblems(problems);
    await page.close();
  });

  test('a malformed file and a mismatched expression show an in-page error; the page stays usable', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.setInputFiles('#file-input', [fixture('malformed.npy')]);
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /malformed\.npy/);
    await screenshot(page, 'error-malformed.png');
    // the demo was freed before the file was decoded: an empty page, the demo a click away
    assert.match(await page.textContent('#source'), /^Nothing loaded/);
    assert.equal(await page.evaluate(() => window.cellmapViewer.session), null);
    assert.equal(await page.isDisabled('#colormap'), true);
    assert.equal(await page.isDisabled('#file-input'), false);
    await afterRender(page, () => page.click('#demo-button'));
    assert.match(await page.textContent('#source'), /^Demo/);
    assert.equal(await page.isVisible('#error'), false);
    await afterRender(page, () => page.selectOption('#colormap', 'turbo'));
    assert.equal((await checkCellColours(page, 'turbo')).wrong, 0);

    // the fixture expression has 40·56 rows, the demo image is larger; the demo's expression was
    // freed before the file was decoded, so its cells are left without values
    await page.setInputFiles('#file-input', [fixture('expression.npz')]);
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /2,?240/);
    await screenshot(page, 'error-mismatch.png');
    assert.match(await page.textContent('#source'), /^Demo[^+]*$/);
    assert.match(await page.textContent('#legend-caption'), /no expression loaded/);
    const colours = await checkCellColours(page, 'turbo');
    assert.equal(colours.wrong, 0);
    assert.equal(colours.noValuePixels, colours.cellPixels);

    // a good load afterwards works and clears the error
    const before = await renderCount(page);
    await loadFixture(page);
    assert.ok((await renderCount(page)) > before);
    assert.equal(await page.isVisible('#error'), false);
    assert.equal(await page.textContent('#cell-count'), String(setting(true, 4).cellCount));
    assertNoProblems(problems);
    await page.close();
  });

  test('every control has a label and the gene list works from the keyboard', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, button, [tabindex]')]
        .filter((element) => !element.closest('[hidden]'))
        .filter((element) => !(element.labels?.length || element.getAttribute('aria-label') || element.textContent.trim()))
        .map((element) => element.outerHTML));
    assert.deepEqual(unlabelled, []);
    await loadFixture(page);
    await page.focus('#gene-search');
    await page.keyboard.type('c');
    // names starting with the query come first, then names containing it
    assert.deepEqual(
      await page.$$eval('#gene-list option', (options) => options.map((option) => option.textContent)),
      ['CD3E', 'ACTB', 'PECAM1'],
    );
    assert.equal(await page.isVisible('#gene-selection'), false, 'no sum chips in one-gene mode');
    await page.keyboard.press('ArrowDown'); // into the list, on the shown gene
    assert.equal(await page.evaluate(() => document.activeElement.id), 'gene-list');
    await afterRender(page, () => page.keyboard.press('ArrowDown'));
    assert.equal(await page.textContent('#gene-shown'), 'PECAM1');
    // sum mode from the keyboard: Enter adds the highlighted gene
    await page.focus('#mode-sum');
    await page.keyboard.press('Space');
    await page.focus('#gene-list');
    await page.keyboard.press('ArrowUp');
    await afterRender(page, () => page.keyboard.press('Enter'));
    assert.equal(await page.textContent('#gene-shown'), 'PECAM1 + ACTB');
    assert.equal(await page.isVisible('#gene-selection'), true);
    await afterRender(page, () => page.click('button[aria-label="Remove PECAM1 from the sum"]'));
    assert.equal(await page.textContent('#gene-shown'), 'ACTB');
    assertNoProblems(problems);
    await page.close();
  });
});
