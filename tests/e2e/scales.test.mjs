// The colour scales, the view in the URL and the defects of issue 13 (one regression test each),
// in headless Chromium. Needs web/pkg (scripts/build-wasm.sh).
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchChromium } from './browser.mjs';
import {
  FIXTURES, ROOT, afterRender, assertNoProblems, canvasPixels, checkCellColours, hoverPixel, openViewer,
  screenshot,
} from './page.mjs';
import { npyBytes } from './npfiles.mjs';
import { startServer } from './server.mjs';

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

const tickLabels = (page) => page.$$eval('#legend-ticks .tick', (ticks) => ticks.map((tick) => tick.textContent));

/** WCAG contrast ratio of two opaque CSS rgb() colours. */
function contrast(a, b) {
  const luminance = (css) => {
    const [r, g, b] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (high + 0.05) / (low + 0.05);
}

describe('colour scales', () => {
  test('counts open on the sum with the 1–99 % range; ticks; log1p; fixed vmin = vmax; cell ids', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    assert.equal(await page.inputValue('#stat'), 'sum');
    assert.equal(await page.inputValue('#scale'), 'percentile');
    assert.deepEqual([await page.inputValue('#pct-low'), await page.inputValue('#pct-high')], ['1', '99']);
    const linear = await tickLabels(page);
    assert.ok(linear.length >= 2 && !linear.includes('-0'), `ticks: ${linear}`);
    let colours = await checkCellColours(page, 'viridis');
    assert.equal(colours.wrong, 0, JSON.stringify(colours.firstWrong));
    await screenshot(page, 'scale-percentile.png');

    // log1p: the range comes back in log1p units and the ticks are data values placed by log1p
    await afterRender(page, () => page.check('#log1p'));
    const [lo, hi] = await page.evaluate(() => window.cellmapViewer.range);
    assert.equal(await page.inputValue('#vmax'), String(Number(Math.expm1(hi).toPrecision(6))));
    const logTicks = await page.$$eval('#legend-ticks .tick', (ticks) =>
      ticks.map((tick) => [Number(tick.textContent.replaceAll(',', '')), parseFloat(tick.style.left) / 100]));
    assert.ok(logTicks.length >= 2);
    for (const [value, position] of logTicks) {
      assert.ok(Math.abs(position - (Math.log1p(value) - lo) / (hi - lo)) < 1e-3, `tick ${value} at ${position}`);
    }
    await screenshot(page, 'scale-log1p.png');

    // vmin = vmax: the cells at it in the middle colour, below the first, above the last; the legend says so
    await afterRender(page, () => page.uncheck('#log1p'));
    await afterRender(page, () => page.selectOption('#scale', 'fixed'));
    await page.fill('#vmin', '3');
    await afterRender(page, () => page.fill('#vmax', '3').then(() => page.press('#vmax', 'Tab')));
    colours = await checkCellColours(page, 'viridis', [3, 3]);
    assert.equal(colours.wrong, 0, JSON.stringify(colours.firstWrong));
    assert.equal(colours.colours, 3, 'first, middle and last colour');
    assert.match(await page.textContent('#legend-caption'), /every cell at 3 is drawn in the middle colour/);

    // a distinct colour per cell: tab20 by label
    await afterRender(page, () => page.selectOption('#color-by', 'cell'));
    const wrong = await page.evaluate(async () => {
      const viewer = window.cellmapViewer;
      const palette = viewer.palette.categorical;
      const labels = await viewer.call('labels');
      const canvas = document.getElementById('map');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let bad = 0;
      labels.forEach((label, i) => {
        if (label === 0) return;
        const k = ((label - 1) % 20) * 4;
        if ([0, 1, 2].some((c) => data[i * 4 + c] !== palette[k + c])) bad += 1;
      });
      return bad;
    });
    assert.equal(wrong, 0);
    assert.match(await page.textContent('#legend-caption'), /distinct colour per cell/);
    assert.equal(await page.isDisabled('#scale'), true);
    await screenshot(page, 'scale-cell-ids.png');
    assertNoProblems(problems);
    await page.close();
  });

  test('float values open on the mean with min–max', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', [fixture('mask.npy'), fixture('expression.npz')]));
    const counts = await page.evaluate(() => window.cellmapViewer.session.suggestedView.stat);
    assert.equal(await page.inputValue('#stat'), counts);
    assert.equal(await page.inputValue('#scale'), counts === 'sum' ? 'percentile' : 'minmax');
    assertNoProblems(problems);
    await page.close();
  });
});

describe('the view in the URL', () => {
  test('hash round trip: a new page with the hash shows the same view', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.selectOption('#stat', 'mean'));
    await afterRender(page, async () => {
      await page.fill('#gene-search', 'F1');
      await page.press('#gene-search', 'Enter');
    });
    await afterRender(page, () => page.selectOption('#colormap', 'magma'));
    await afterRender(page, () => page.selectOption('#scale', 'minmax'));
    await afterRender(page, () => page.check('#log1p'));
    await afterRender(page, () => page.check('#outlines'));
    await afterRender(page, () => page.selectOption('#connectivity', '8'));
    await page.focus('#viewport');
    await page.keyboard.press('+');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => location.hash.includes('genes=F1') && location.hash.includes('zoom='));
    await page.waitForTimeout(400); // the hash is written 250 ms after the last change
    const hash = await page.evaluate(() => location.hash);
    const state = async (p) => ({
      pixels: await canvasPixels(p),
      controls: await p.evaluate(() => ['stat', 'colormap', 'scale', 'color-by', 'connectivity', 'log1p', 'outlines', 'fill-holes']
        .map((id) => { const e = document.getElementById(id); return e.type === 'checkbox' ? e.checked : e.value; })),
      gene: await p.textContent('#gene-shown'),
      transform: await p.$eval('#map', (canvas) => canvas.style.transform),
    });
    const want = await state(page);
    const { page: copy, problems: copyProblems } = await openViewer(browser, `${server.url}${hash}`);
    await copy.waitForFunction((g) => document.getElementById('gene-shown').textContent === g, want.gene);
    // the hash keeps the centre to 1e-4 data pixels: the restored translate may differ in the 4th decimal
    await copy.waitForFunction((t) => {
      const numbers = (css) => (css.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
      const [got, want] = [numbers(document.getElementById('map').style.transform), numbers(t)];
      return got.length === want.length && got.every((v, i) => Math.abs(v - want[i]) < 0.01);
    }, want.transform);
    const got = await state(copy);
    assert.deepEqual(got.controls, want.controls);
    assert.equal(got.gene, 'F1');
    assert.ok(got.pixels.length === want.pixels.length && got.pixels.every((v, i) => v === want.pixels[i]), 'same canvas pixels');
    await screenshot(copy, 'hash-restored.png');
    assertNoProblems(problems);
    assertNoProblems(copyProblems);
    await page.close();
    await copy.close();
  });

  test('a view of files is applied when the same files are opened again', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', [fixture('mask.npy'), fixture('expression.npz'), fixture('genes.txt')]));
    await afterRender(page, () => page.selectOption('#colormap', 'plasma'));
    await page.waitForFunction(() => location.hash.includes('cmap=plasma'));
    const hash = await page.evaluate(() => location.hash);
    assert.match(hash, /data=mask\.npy%7Cexpression\.npz/);
    const { page: copy, problems: copyProblems } = await openViewer(browser, `${server.url}${hash}`);
    assert.match(await copy.textContent('#status'), /shown when mask\.npy, expression\.npz are opened/);
    assert.equal(await copy.inputValue('#colormap'), 'viridis', 'the demo is not the link\'s data');
    await afterRender(copy, () => copy.setInputFiles('#file-input', [fixture('mask.npy'), fixture('expression.npz'), fixture('genes.txt')]));
    await copy.waitForFunction(() => document.getElementById('colormap').value === 'plasma');
    assertNoProblems(problems);
    assertNoProblems(copyProblems);
    await page.close();
    await copy.close();
  });
});

describe('defects of issue 13', () => {
  test('the error banner goes once its problem is fixed', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.selectOption('#scale', 'fixed'));
    await page.fill('#vmin', '50');
    await page.fill('#vmax', '5');
    await page.press('#vmax', 'Tab');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /vmin \(50\) is larger than vmax \(5\)/);
    await afterRender(page, () => page.fill('#vmax', '60').then(() => page.press('#vmax', 'Tab')));
    assert.equal(await page.isVisible('#error'), false);
    assertNoProblems(problems);
    await page.close();
  });

  test('the status line says what is shown after a gene-name error and after other errors', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.setInputFiles('#file-input', [{ name: 'names.txt', mimeType: 'text/plain', buffer: Buffer.from('a\nb\n') }]);
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /names\.txt has 2 gene names/);
    assert.match(await page.textContent('#status'), /^[\d,]+ cells$/);
    await page.setInputFiles('#file-input', [fixture('malformed.npy')]);
    await page.waitForFunction(() => /malformed/.test(document.getElementById('error-text').textContent));
    assert.match(await page.textContent('#status'), /^Nothing loaded/);
    assertNoProblems(problems);
    await page.close();
  });

  test('a second mask-like .npy picked with a mask is refused, not read as a 1-gene expression', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    const mask = await readFile(fixture('mask.npy'));
    const second = npyBytes([40, 56], new Uint8Array(40 * 56).map((_, i) => (i % 7 === 0 ? 255 : 0)));
    await page.setInputFiles('#file-input', [
      { name: 'mask.npy', mimeType: 'application/octet-stream', buffer: mask },
      { name: 'other.npy', mimeType: 'application/octet-stream', buffer: second },
    ]);
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error-text'), /^other\.npy: this looks like a mask/);
    assert.doesNotMatch(await page.textContent('#source'), /1 genes/);
    await page.setInputFiles('#file-input', [
      { name: 'cells_mask.npy', mimeType: 'application/octet-stream', buffer: mask },
      { name: 'nuclei_mask.npy', mimeType: 'application/octet-stream', buffer: second },
    ]);
    await page.waitForFunction(() => /two mask files/.test(document.getElementById('error-text').textContent));
    assertNoProblems(problems);
    await page.close();
  });

  test('label ids offset by 1,000: the count is of the cells with pixels, with the id range', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    // 3 cells with ids 1001..1003 on a 40×40 tile (touching squares)
    const labels = new Int32Array(40 * 40);
    for (let row = 5; row < 25; row += 1) for (let col = 5; col < 35; col += 1) labels[row * 40 + col] = 1001 + Math.floor((col - 5) / 10);
    await afterRender(page, () => page.setInputFiles('#file-input',
      [{ name: 'offset_labels.npy', mimeType: 'application/octet-stream', buffer: npyBytes([40, 40], labels) }]));
    const { cellCount, cellsWithPixels } = await page.evaluate(() => window.cellmapViewer.session);
    assert.deepEqual([cellCount, cellsWithPixels], [1003, 3]);
    assert.equal(await page.textContent('#cell-count'), '3 (ids up to 1,003; 1,000 without pixels)');
    assert.match(await page.textContent('#status'), /^3 \(ids up to 1,003/);
    // defect: outlines were off for label images, so touching cells blurred together
    assert.equal(await page.isChecked('#outlines'), true);
    const pixels = await canvasPixels(page);
    const at = (row, col) => pixels.slice((row * 40 + col) * 4, (row * 40 + col) * 4 + 4);
    assert.deepEqual([at(10, 14), at(10, 15)], [[0, 0, 0, 255], [0, 0, 0, 255]], 'the border of two touching cells is drawn');
    await screenshot(page, 'label-offset-outlines.png');
    assertNoProblems(problems);
    await page.close();
  });

  test('the tooltip of a cell without expression does not read "value no value"', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', [fixture('mask.npy')]));
    const cell = await page.evaluate(async () => {
      const labels = await window.cellmapViewer.call('labels');
      const i = labels.findIndex((label) => label > 0);
      return [Math.floor(i / 56), i % 56];
    });
    const lines = await hoverPixel(page, ...cell);
    assert.equal(lines[3], 'no expression loaded');
    assert.ok(!lines.join('\n').includes('value no value'));
    assertNoProblems(problems);
    await page.close();
  });

  test('the drop hint is legible: white on an opaque dark blue (contrast ≥ 4.5)', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.evaluate(() => document.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true })));
    await page.waitForSelector('#drop-hint:not([hidden])');
    const { color, background } = await page.$eval('#drop-hint span', (span) => {
      const style = getComputedStyle(span);
      return { color: style.color, background: style.backgroundColor };
    });
    assert.doesNotMatch(background, /rgba\(.*, 0(\.\d+)?\)$/, 'an opaque background');
    const ratio = contrast(color, background);
    assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(2)}`);
    await screenshot(page, 'drop-hint.png');
    assertNoProblems(problems);
    await page.close();
  });

  test('keyboard exploration marks the cell it announces', async () => {
    const { page, problems } = await openViewer(browser, server.url);
    await page.focus('#viewport');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.waitForFunction(() => document.getElementById('announcer').textContent.startsWith('cell '));
    const marker = await page.locator('.key-marker').boundingBox();
    assert.ok(marker, 'the marker is shown');
    const viewport = await page.locator('#viewport').boundingBox();
    const [mx, my] = [marker.x + marker.width / 2, marker.y + marker.height / 2];
    assert.ok(Math.abs(mx - (viewport.x + viewport.width / 2)) < 1.5 && Math.abs(my - (viewport.y + viewport.height / 2)) < 1.5);
    // the marked point lies in the announced cell
    const canvas = await page.locator('#map').boundingBox();
    const { width, height } = await page.$eval('#map', (c) => ({ width: c.width, height: c.height }));
    const [row, col] = [Math.floor(((my - canvas.y) * height) / canvas.height), Math.floor(((mx - canvas.x) * width) / canvas.width)];
    const label = await page.evaluate(([r, c]) => window.cellmapViewer.call('cellAt', r, c), [row, col]);
    assert.match(await page.textContent('#announcer'), new RegExp(`^cell ${label},`));
    await screenshot(page, 'keyboard-marker.png');
    await page.mouse.move(viewport.x + 10, viewport.y + 10);
    assert.equal(await page.locator('.key-marker').isVisible(), false, 'the pointer hides it');
    assertNoProblems(problems);
    await page.close();
  });
});
