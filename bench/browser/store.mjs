// Opens a site written by `cellmap publish` in headless Chromium over a loopback static server, as
// the recipient of a link does, and prints what issue 14 asks to measure (not a test):
//   * first map: from opening the site's address to the first drawn map,
//   * gene switches: from pressing Enter in the gene search to the drawn map (fetch + recolour of
//     the window in view), with the requests each made (the server's log),
//   * pan frames: the time between animation frames while dragging the map (median, p95), and the
//     redraws of the window that follow,
//   * tab memory: the peak resident memory (VmHWM) of Chromium's renderer processes (the page and
//     its workers) read from /proc.
//
//   node bench/browser/store.mjs SITE [--switches N] [--zoom Z]   (Z: screen px per image px; 1 = level 0)
//   bash bench/publish-slide.sh && node bench/browser/store.mjs target/bench-publish/site
//
// A site written --no-viewer is opened through web/ (build it with scripts/build-wasm.sh) and ?data=.
// Writes target/bench-browser-store.json.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../../tests/e2e/browser.mjs';
import { ROOT } from '../../tests/e2e/page.mjs';
import { startServer } from '../../tests/e2e/server.mjs';

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    switches: { type: 'string', default: '10' },
    zoom: { type: 'string' },
  },
});
const site = positionals[0];
if (!site || !existsSync(path.join(site, 'data.zarr'))) {
  console.error('usage: node bench/browser/store.mjs SITE  (a folder `cellmap publish` wrote)');
  process.exit(2);
}
// a site with its viewer opens at its own address; one written --no-viewer through web/ and ?data=
const withViewer = existsSync(path.join(site, 'index.html'));
if (!withViewer && !existsSync(path.join(ROOT, 'web/pkg/store/cellmap_wasm_store.js'))) {
  console.error('web/pkg/store is missing: build it first with scripts/build-wasm.sh');
  process.exit(1);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];

/** The parent process id of `pid` (0 when it is gone). */
function parentOf(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
  } catch {
    return 0;
  }
}

/**
 * Peak resident memory (VmHWM, bytes) of each renderer process of the Chromium this script
 * launched (a descendant of this node process; other Chromiums on the machine are left out).
 */
function rendererPeaks() {
  const peaks = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes('--type=renderer')) continue;
      let ancestor = parentOf(pid);
      while (ancestor > 1 && ancestor !== process.pid) ancestor = parentOf(ancestor);
      if (ancestor !== process.pid) continue;
      const hwm = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
      if (hwm) peaks.push(Number(hwm[1]) * 1024);
    } catch {
      // the process ended meanwhile
    }
  }
  return peaks;
}

/** Resolves once the map has been drawn more than `before` times and nothing is loading. */
function drawnAfter(page, before) {
  return page.waitForFunction((n) => Number(document.body.dataset.renders ?? 0) > n
    && !document.body.hasAttribute('data-loading'), before, { timeout: 120_000, polling: 'raf' });
}

const requests = [];
const server = await startServer(withViewer ? { '/': site } : { '/': path.join(ROOT, 'web'), '/site/': site }, requests);
const address = withViewer ? server.url : `${server.url}?data=site/data.zarr`;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  const opened = Date.now();
  await page.goto(address);
  await drawnAfter(page, 0);
  const firstMapMs = Date.now() - opened;
  const error = await page.evaluate(() => (document.getElementById('error').hidden ? null : document.getElementById('error').textContent));
  if (error) throw new Error(`the viewer refused the site: ${error}`);
  const facts = await page.evaluate(() => ({
    source: document.getElementById('source').textContent,
    status: document.getElementById('status').textContent,
    genes: window.cellmapViewer.session.geneNames,
  }));
  const firstRequests = requests.length;

  if (options.zoom !== undefined) {
    const before = await page.evaluate(() => Number(document.body.dataset.renders));
    await page.evaluate((zoom) => {
      const { view } = window.cellmapViewer;
      const region = view.visibleRegion();
      view.setView({ zoom, cx: (region.left + region.right) / 2, cy: (region.top + region.bottom) / 2 });
    }, Number(options.zoom));
    await drawnAfter(page, before);
  }

  const switches = [];
  const count = Math.min(Number(options.switches), facts.genes.length);
  for (let i = 0; i < count; i += 1) {
    const gene = facts.genes[Math.floor(((i + 1) * 7919) % facts.genes.length)];
    await page.fill('#gene-search', gene);
    const from = requests.length;
    const before = await page.evaluate(() => Number(document.body.dataset.renders));
    const started = Date.now();
    await page.press('#gene-search', 'Enter');
    await drawnAfter(page, before);
    switches.push({ gene, ms: Date.now() - started, requests: requests.length - from,
      status: await page.textContent('#status') });
  }

  // pan: drag across the map in small steps, one per animation frame, recording the frame times
  const box = await page.locator('#viewport, #map').first().boundingBox();
  await page.evaluate(() => {
    window.frameTimes = [];
    let last = performance.now();
    const tick = (now) => {
      window.frameTimes.push(now - last);
      last = now;
      if (window.recordFrames) requestAnimationFrame(tick);
    };
    window.recordFrames = true;
    requestAnimationFrame(tick);
  });
  const rendersBeforePan = await page.evaluate(() => Number(document.body.dataset.renders));
  const x0 = box.x + box.width / 2;
  const y0 = box.y + box.height / 2;
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (let step = 1; step <= 60; step += 1) {
    await page.mouse.move(x0 - step * 6, y0 - step * 4);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
  }
  await page.mouse.up();
  await page.waitForTimeout(1500);
  const pan = await page.evaluate(() => {
    window.recordFrames = false;
    return window.frameTimes.slice(1);
  });
  const panRedraws = (await page.evaluate(() => Number(document.body.dataset.renders))) - rendersBeforePan;
  const memory = rendererPeaks();

  const ms = switches.map((s) => s.ms);
  console.log(facts.source);
  console.log(`first map ${firstMapMs} ms after opening the site (${firstRequests} requests): "${facts.status}"`);
  console.log(`gene switch: median ${median(ms)} ms, max ${Math.max(...ms)} ms over ${ms.length}; requests per switch ` +
    `${Math.min(...switches.map((s) => s.requests))}–${Math.max(...switches.map((s) => s.requests))}`);
  for (const s of switches) console.log(`  ${s.gene}: ${s.ms} ms, ${s.requests} requests — ${s.status}`);
  console.log(`pan: ${pan.length} frames, median ${median(pan).toFixed(1)} ms, p95 ${quantile(pan, 0.95).toFixed(1)} ms, ` +
    `max ${Math.max(...pan).toFixed(1)} ms; ${panRedraws} redraws of the window`);
  console.log(`tab memory: the largest renderer's peak RSS ${(Math.max(...memory) / 1e6).toFixed(0)} MB (the page and its ` +
    `workers; all renderers: ${memory.map((b) => `${(b / 1e6).toFixed(0)}`).join(', ')} MB)`);
  await mkdir(path.join(ROOT, 'target'), { recursive: true });
  await writeFile(path.join(ROOT, 'target/bench-browser-store.json'), `${JSON.stringify({
    site, firstMapMs, firstRequests, switches, pan, panRedraws, memory, source: facts.source,
  }, null, 1)}\n`);
} finally {
  await browser.close();
  await server.close();
}
