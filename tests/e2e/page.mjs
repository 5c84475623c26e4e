// Helpers the e2e tests share: open the viewer, collect errors, hover pixels, read the canvas.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'tests/fixtures/e2e');
export const SCREENSHOTS = path.join(ROOT, 'target/e2e');

/**
 * Opens the viewer in a new page; returns { page, problems, requests } where problems collects
 * errors and requests the URLs the page and its workers asked for, from the start.
 */
export async function openViewer(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems = [];
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  const wasmResponse = page.waitForResponse((response) => response.url().endsWith('.wasm'));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  return { page, problems, requests, wasmResponse: await wasmResponse };
}

export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name) });
}

export function renderCount(page) {
  return page.evaluate(() => Number(document.body.dataset.renders ?? 0));
}

/** Runs `action` and waits until the viewer has drawn again. */
export async function afterRender(page, action) {
  const before = await renderCount(page);
  await action();
  await page.waitForFunction((count) => Number(document.body.dataset.renders) > count, before);
}

/** Moves the mouse over the centre of image pixel (row, col); returns the tooltip's lines. */
export async function hoverPixel(page, row, col) {
  const box = await page.locator('#map').boundingBox();
  const { width, height } = await page.$eval('#map', (canvas) => ({ width: canvas.width, height: canvas.height }));
  await page.mouse.move(box.x + ((col + 0.5) * box.width) / width, box.y + ((row + 0.5) * box.height) / height);
  await page.waitForSelector('#tooltip:not([hidden])');
  return (await page.locator('#tooltip').textContent()).split('\n');
}

/** RGBA bytes of the map canvas, as a plain array (for comparing two states). */
export function canvasPixels(page) {
  return page.evaluate(() => {
    const canvas = document.getElementById('map');
    return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
  });
}

/**
 * Checks every cell pixel of the canvas (outlines off) against the colormap LUT for that cell's
 * value, normalised to [low, high] (the range of the last paint when not given; low = high: the
 * middle colour, first below, last above): returns counts.
 * The LUT index may differ by one from the JS rounding (float order); NaN cells must have the
 * legend's "no value" colour.
 */
export function checkCellColours(page, colormapName, range = null) {
  return page.evaluate(
    async ({ colormapName, range }) => {
      const viewer = window.cellmapViewer;
      const noValue = Array.from(viewer.palette.noValueColor);
      const [low, high] = range ?? viewer.range;
      const lut = viewer.palette.luts[colormapName];
      // the labels and the per-cell values, from the worker that owns the session
      const labels = await viewer.call('labels');
      const cells = [...new Set(labels)].filter((label) => label !== 0);
      const values = new Map((await viewer.call('cellValues', cells)).map((value, i) => [cells[i], value]));
      const canvas = document.getElementById('map');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const counts = { cellPixels: 0, wrong: 0, noValuePixels: 0, colours: new Set(), firstWrong: null };
      for (let row = 0; row < canvas.height; row += 1) {
        for (let col = 0; col < canvas.width; col += 1) {
          const label = labels[row * canvas.width + col];
          if (label === 0) continue;
          const value = values.get(label);
          const at = (row * canvas.width + col) * 4;
          const rgb = [data[at], data[at + 1], data[at + 2], data[at + 3]];
          counts.cellPixels += 1;
          counts.colours.add(rgb.join(','));
          let ok;
          if (Number.isNaN(value)) {
            counts.noValuePixels += 1;
            ok = rgb.every((channel, i) => channel === noValue[i]);
          } else {
            // a degenerate range: the middle colour at it, the first below, the last above
            const scaled = high === low ? (value < low ? 0 : value > high ? 255 : 128) : (255 * (value - low)) / (high - low);
            const index = Math.min(255, Math.max(0, Math.round(scaled)));
            ok = [index - 1, index, index + 1].some(
              (k) => k >= 0 && k <= 255 && rgb.every((channel, i) => channel === lut[k * 4 + i]),
            );
          }
          if (!ok) {
            counts.wrong += 1;
            counts.firstWrong ??= { row, col, label, value, rgb };
          }
        }
      }
      return { ...counts, colours: counts.colours.size };
    },
    { colormapName, range },
  );
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
}
