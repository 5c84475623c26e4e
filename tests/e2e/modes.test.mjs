// The viewer's analysis modes in headless Chromium, against the `cellmap` CLI on the same files: a
// per-cell CSV written by `cellmap cluster` colours each cell in its cluster's legend colour, the
// legend's cell counts are the CSV's, hover and the cell detail show the cluster; a numeric column
// (`cellmap run --csv`'s table.csv) shown as values paints the same pixels as the gene it holds; past
// 20 values the 20 most common keep a colour and the rest share "other"; the column is in the URL.
// Needs web/pkg (scripts/build-wasm.sh) and builds the CLI (cargo build -p cellmap-cli).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatValue } from '../../web/format.js';
import { pngLayout } from '../../web/worker-exports.js';
import { launchChromium } from './browser.mjs';
import { decodePng } from './png.mjs';
import { ROOT, afterRender, assertNoProblems, canvasPixels, hoverPixel, openViewer, screenshot } from './page.mjs';
import { startServer } from './server.mjs';

const MASK = path.join(ROOT, 'tests/fixtures/cli/mask.npy');
const EXPRESSION = path.join(ROOT, 'tests/fixtures/cli/st.npz');

let server;
let browser;
let cli;
let work;
/** `cellmap run --csv --stat mean` of the fixture: its table.csv (cell_id, gene_0..gene_6). */
let tableCsv;
/** `cellmap cluster` of the table of sums (the means have NaN: cells without counts): cell_id,cluster. */
let clustersCsv;

before(async () => {
  await access(path.join(ROOT, 'web/pkg/modes/cellmap_wasm_modes.js')).catch(() => {
    throw new Error('web/pkg is missing or old: build it first with scripts/build-wasm.sh');
  });
  execFileSync('cargo', ['build', '-q', '-p', 'cellmap-cli'], { cwd: ROOT, stdio: 'inherit' });
  cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/cellmap');
  work = await mkdtemp(path.join(tmpdir(), 'cellmap-modes-'));
  const tiles = path.join(work, 'tiles');
  await mkdir(tiles, { recursive: true });
  await copyFile(MASK, path.join(tiles, 't.npy'));
  await copyFile(EXPRESSION, path.join(tiles, 't_ST_1024.npz'));
  for (const stat of ['mean', 'sum']) {
    const args = ['run', tiles, '-o', path.join(work, stat), '--csv', '--stat', stat, '--genes', '0..7'];
    execFileSync(cli, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  tableCsv = path.join(work, 'mean/t/table.csv');
  clustersCsv = path.join(work, 'clusters.csv');
  execFileSync(cli, ['cluster', path.join(work, 'sum/t/table.csv'), '-o', clustersCsv, '--k', '5'], { stdio: ['ignore', 'ignore', 'inherit'] });
  server = await startServer({ '/': path.join(ROOT, 'web') });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** CSV text as rows of fields (header first). */
async function readCsv(file) {
  return (await readFile(file, 'utf8')).trimEnd().split('\n').map((line) => line.split(','));
}

/** Opens the viewer on the CLI fixture (mask + 7-gene CSR), statistic mean. */
async function openFixture() {
  const viewer = await openViewer(browser, server.url);
  const { page } = viewer;
  await afterRender(page, () => page.setInputFiles('#file-input', [MASK, EXPRESSION]));
  await afterRender(page, () => page.selectOption('#stat', 'mean'));
  return viewer;
}

/** The legend's category items: [{name, count, colour [r, g, b, a], other, noValue}]. */
function legendItems(page) {
  return page.$$eval('#legend-categories li', (items) => items.map((li) => {
    const [r, g, b, a = 1] = getComputedStyle(li.querySelector('.swatch')).backgroundColor.match(/[\d.]+/g).map(Number);
    return {
      name: li.querySelector('.name').textContent,
      count: Number(li.dataset.count),
      colour: [r, g, b, Math.round(a * 255)],
      other: li.dataset.other === 'true',
      noValue: li.dataset.noValue === 'true',
    };
  }));
}

/**
 * Checks that every cell pixel of the canvas has the colour `colourOf(label)` (outlines off):
 * returns {cellPixels, wrong, firstWrong}.
 */
async function checkPixels(page, colourOf) {
  const labels = await page.evaluate(() => window.cellmapViewer.call('labels'));
  const pixels = await canvasPixels(page);
  const counts = { cellPixels: 0, wrong: 0, firstWrong: null };
  for (let i = 0; i < labels.length; i += 1) {
    const label = labels[i];
    if (label === 0) continue;
    counts.cellPixels += 1;
    const expected = colourOf(label);
    const got = pixels.slice(4 * i, 4 * i + 4);
    if (got.some((v, k) => v !== expected[k])) {
      counts.wrong += 1;
      counts.firstWrong ??= { pixel: i, label, got, expected };
    }
  }
  return counts;
}

describe('analysis modes: a per-cell CSV', () => {
  test('cellmap cluster\'s CSV colours each cell by its cluster; legend counts, hover and detail agree', async (t) => {
    const { page, problems, requests } = await openFixture();
    // the worker fetches the modes module only when it is needed (Playwright reports its requests)
    const modesFetched = () => requests.filter((url) => url.endsWith('cellmap_wasm_modes_bg.wasm')).length;
    assert.equal(modesFetched(), 0, 'not at start');
    const rows = (await readCsv(clustersCsv)).slice(1);
    const clusterOf = new Map(rows.map(([id, cluster]) => [Number(id), cluster]));
    await afterRender(page, () => page.setInputFiles('#annotations-input', clustersCsv));
    assert.equal(await page.inputValue('#color-by'), 'column');
    assert.equal(modesFetched(), 1, 'the modes module, once, when the CSV is opened');
    assert.equal(await page.inputValue('#annotation-column'), 'cluster');
    assert.equal(await page.inputValue('#annotation-as'), 'categories', 'whole numbers open as categories');
    assert.match(await page.textContent('#annotations-source'), /clusters\.csv: \d+ cells, 1 columns/);

    // the legend: one entry per cluster in numeric order, with the CLI's cell counts
    const items = await legendItems(page);
    const expected = new Map();
    for (const cluster of clusterOf.values()) expected.set(cluster, (expected.get(cluster) ?? 0) + 1);
    const names = [...expected.keys()].sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(items.map(({ name }) => name), names, 'the clusters, sorted');
    assert.deepEqual(items.map(({ count }) => count), names.map((name) => expected.get(name)), 'cells per cluster');
    const palette = await page.evaluate(() => Array.from(window.cellmapViewer.palette.categorical));
    items.forEach((item, k) => assert.deepEqual(item.colour, palette.slice(4 * k, 4 * k + 4), `cluster ${item.name}: palette entry ${k}`));

    // every pixel of every cell has its cluster's legend colour
    const colourOfCluster = new Map(items.map(({ name, colour }) => [name, colour]));
    const { noValueColor } = await page.evaluate(() => ({ noValueColor: Array.from(window.cellmapViewer.palette.noValueColor) }));
    const counts = await checkPixels(page, (label) => colourOfCluster.get(clusterOf.get(label)) ?? noValueColor);
    assert.ok(counts.cellPixels > 100, 'a map of cells');
    assert.equal(counts.wrong, 0, `pixels not in their cluster's colour: ${JSON.stringify(counts.firstWrong)}`);

    // hover and the cell detail name the cluster
    const labels = await page.evaluate(() => window.cellmapViewer.call('labels'));
    const width = await page.evaluate(() => window.cellmapViewer.session.width);
    const at = labels.findIndex((label) => label !== 0);
    const lines = await hoverPixel(page, Math.floor(at / width), at % width);
    assert.equal(lines[0], `cell ${labels[at]}`);
    assert.equal(lines[3], `cluster: ${clusterOf.get(labels[at])}`);
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForSelector('#cell-detail:not([hidden])');
    const facts = await page.$$eval('#cell-detail-facts dt, #cell-detail-facts dd', (nodes) => nodes.map((n) => n.textContent));
    assert.deepEqual(facts.slice(-2), ['cluster', clusterOf.get(labels[at])]);

    // the column is in the URL
    await page.waitForFunction(() => location.hash.includes('column=cluster'));
    const hash = await page.evaluate(() => location.hash);
    assert.match(hash, /by=column/);
    assert.match(hash, /as=categories/);
    await screenshot(page, 'modes-clusters.png');

    // the PNG export: the map, and as its colour bar the clusters' colours left to right
    const png = decodePng(await readFile((await downloaded(page, '#export-png')).path));
    const { width: mapWidth, height: mapHeight } = await page.evaluate(() => window.cellmapViewer.session);
    const layout = pngLayout(mapWidth, mapHeight);
    const { bar } = layout;
    for (let k = 0; k < 256; k += 1) {
      const at = ((bar.y + 1) * png.width + bar.x + k * bar.entry) * 4;
      const cluster = Math.floor((k * items.length) / 256);
      assert.deepEqual(Array.from(png.rgba.subarray(at, at + 4)), items[cluster].colour, `bar entry ${k}: cluster ${items[cluster].name}`);
    }

    // the cells' CSV export: the cluster last
    const cellsCsv = await readCsv((await downloaded(page, '#export-csv')).path);
    assert.equal(cellsCsv[0].at(-1), 'cluster');
    assert.deepEqual(cellsCsv.slice(1).map((row) => [Number(row[0]), row.at(-1)]), rows.map(([id, c]) => [Number(id), c]));

    // new labels (8-connectivity): the CSV's ids are read again for them
    await page.click('#cell-detail-close');
    await afterRender(page, () => page.selectOption('#connectivity', '8'));
    const relabelled = await page.evaluate(() => window.cellmapViewer.call('labels'));
    const cells = Math.max(...relabelled);
    assert.ok(cells < rows.length, '8-connectivity joins cells');
    const counts8 = await checkPixels(page, (label) => colourOfCluster.get(clusterOf.get(label)) ?? noValueColor);
    assert.equal(counts8.wrong, 0, `after relabelling: ${JSON.stringify(counts8.firstWrong)}`);
    assert.equal((await legendItems(page)).reduce((n, { count }) => n + count, 0), cells, 'every new cell counted once');
    assert.match(await page.textContent('#annotations-source'), new RegExp(`${rows.length - cells} rows of ids that are not cells of this image skipped`));
    t.diagnostic(`${rows.length} cells in ${names.length} clusters, ${counts.cellPixels} cell pixels checked`);
    assertNoProblems(problems);
    await page.close();
  });

  test('a numeric column shown as values paints the pixels of the gene it holds', async () => {
    const { page, problems } = await openFixture();
    // gene 2 shown as gene (mean per cell, min–max)
    await page.fill('#gene-search', 'gene 2');
    await afterRender(page, () => page.press('#gene-search', 'Enter'));
    assert.deepEqual(await page.evaluate(() => window.cellmapViewer.shownGenes), [2]);
    const asGene = await canvasPixels(page);
    const geneRange = await page.evaluate(() => window.cellmapViewer.range);
    // the same numbers from cellmap run's table.csv (dropped: its header starts with cell_id)
    await afterRender(page, () => page.setInputFiles('#file-input', tableCsv));
    await afterRender(page, () => page.selectOption('#annotation-column', 'gene_2'));
    assert.equal(await page.inputValue('#annotation-as'), 'values', 'fractional numbers open as values');
    assert.deepEqual(await page.evaluate(() => window.cellmapViewer.range), geneRange, 'the same range');
    const asColumn = await canvasPixels(page);
    let differing = 0;
    for (let i = 0; i < asGene.length; i += 1) if (asGene[i] !== asColumn[i]) differing += 1;
    assert.equal(differing, 0, 'bytes differing between the gene and the column holding its means');
    assert.equal(await page.isHidden('#legend-categories'), true);
    assert.match(await page.textContent('#legend-caption'), /gene_2 per cell \(table\.csv\)/);
    assertNoProblems(problems);
    await page.close();
  });

  test('past 20 values the most common keep a colour, the others share "other"; bad files say why', async () => {
    // the demo tissue: hundreds of cells
    const { page, problems } = await openViewer(browser, server.url);
    const cellCount = await page.evaluate(() => window.cellmapViewer.session.cellCount);
    // cell l in category "t<l mod 25>"; cell 1 has no row
    const lines = ['cell_id,type'];
    const categoryOf = new Map();
    for (let label = 2; label <= cellCount; label += 1) {
      categoryOf.set(label, `t${String(label % 25).padStart(2, '0')}`);
      lines.push(`${label},${categoryOf.get(label)}`);
    }
    lines.push(`${cellCount + 5},t00`);
    const file = path.join(work, 'types.csv');
    await writeFile(file, `${lines.join('\n')}\n`);
    await afterRender(page, () => page.setInputFiles('#annotations-input', file));
    assert.match(await page.textContent('#annotations-source'), /1 rows of ids that are not cells of this image skipped/);
    const items = await legendItems(page);
    const counts = new Map();
    for (const category of categoryOf.values()) counts.set(category, (counts.get(category) ?? 0) + 1);
    // the 20 most common, ties in name order
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const kept = ranked.slice(0, 20);
    const slotted = items.filter(({ other, noValue }) => !other && !noValue);
    assert.deepEqual(slotted.map(({ name, count }) => [name, count]), kept, 'the 20 most common, most common first');
    const other = items.find((item) => item.other);
    assert.equal(other.name, 'other (5 values)');
    assert.equal(other.count, ranked.slice(20).reduce((n, [, c]) => n + c, 0));
    const otherColour = await page.evaluate(() => Array.from(window.cellmapViewer.palette.otherCategory));
    assert.deepEqual(other.colour, otherColour);
    const noValue = items.find((item) => item.noValue);
    assert.equal(noValue.count, 1, 'cell 1 has no row');
    const colourOf = new Map(slotted.map(({ name, colour }) => [name, colour]));
    const noValueColor = await page.evaluate(() => Array.from(window.cellmapViewer.palette.noValueColor));
    const pixels = await checkPixels(page, (label) => (label === 1 ? noValueColor : colourOf.get(categoryOf.get(label)) ?? otherColour));
    assert.equal(pixels.wrong, 0, JSON.stringify(pixels.firstWrong));

    // a bad file: one line naming the file and the line; the shown column stays
    const bad = path.join(work, 'bad.csv');
    await writeFile(bad, 'cell_id,type\n1,a\nx,b\n');
    await page.setInputFiles('#annotations-input', bad);
    await page.waitForSelector('#error:not([hidden])');
    assert.equal(await page.textContent('#error-text'), 'bad.csv line 3: "x" is not a cell id (a whole number)');
    assert.equal(await page.inputValue('#color-by'), 'column');
    problems.splice(0); // the error is also logged as a warning, never as a console error
    assertNoProblems(problems);
    await page.close();
  });

  test('a link with a column shows it once the files and the CSV are opened again', async () => {
    const { page, problems } = await openFixture();
    await afterRender(page, () => page.setInputFiles('#annotations-input', clustersCsv));
    await page.waitForFunction(() => location.hash.includes('column=cluster'));
    const link = await page.evaluate(() => location.href);
    const reopened = await openViewer(browser, link);
    const again = reopened.page;
    assert.match(await again.textContent('#status'), /The link's view is shown when mask\.npy, st\.npz are opened/);
    await afterRender(again, () => again.setInputFiles('#file-input', [MASK, EXPRESSION]));
    assert.equal(await again.inputValue('#color-by'), 'values', 'no CSV yet: the genes');
    await afterRender(again, () => again.setInputFiles('#annotations-input', clustersCsv));
    assert.equal(await again.inputValue('#color-by'), 'column');
    assert.equal(await again.inputValue('#annotation-column'), 'cluster');
    assert.deepEqual(await canvasPixels(again), await canvasPixels(page), 'the same map as the linked one');
    assertNoProblems(problems);
    assertNoProblems(reopened.problems);
    await again.close();
    await page.close();
  });
});

/** Clicks `selector` and returns the download it starts: { name, path }. */
async function downloaded(page, selector) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const file = path.join(work, `${Date.now()}-${download.suggestedFilename()}`);
  await download.saveAs(file);
  return { name: download.suggestedFilename(), path: file };
}

describe('analysis modes: predicted vs measured', () => {
  /**
   * A prediction made from the measured means: rows in reverse order, cell 2 left out, genes
   * gene_3, gene_0, gene_5 (measured × 1.5 plus a deterministic wobble), gene_1 constant (NaN
   * PCC) and a gene the expression does not have.
   */
  async function writePrediction() {
    const [header, ...rows] = await readCsv(tableCsv);
    const column = (name) => header.indexOf(name);
    const out = ['cell_id,gene_3,gene_0,extra,gene_5,gene_1'];
    for (const row of rows.reverse()) {
      if (row[0] === '2') continue;
      const wobble = ((Number(row[0]) * 7919) % 13) / 10 - 0.6;
      const pred = (name) => {
        const v = Number(row[column(name)]);
        return Number.isNaN(v) ? '' : String(1.5 * v + wobble);
      };
      out.push([row[0], pred('gene_3'), pred('gene_0'), '1', pred('gene_5'), '2'].join(','));
    }
    const file = path.join(work, 'pred.csv');
    await writeFile(file, `${out.join('\n')}\n`);
    return file;
  }

  /** The viewer's genes named as in table.csv (its default names are "gene 0", ...). */
  async function writeGeneNames() {
    const names = path.join(work, 'genes.txt');
    await writeFile(names, `${Array.from({ length: 7 }, (_, g) => `gene_${g}`).join('\n')}\n`);
    return names;
  }

  test('the per-gene PCC is cellmap evaluate\'s, text for text; the maps are predicted, measured, difference', async (t) => {
    const pred = await writePrediction();
    const scores = path.join(work, 'cli_pcc.csv');
    const text = execFileSync(cli, ['evaluate', pred, tableCsv, '--csv', scores, '--overwrite'], { encoding: 'utf8' });
    const names = await writeGeneNames();
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', [MASK, EXPRESSION, names]));
    await afterRender(page, () => page.selectOption('#stat', 'mean'));
    await afterRender(page, () => page.setInputFiles('#prediction-input', pred));
    assert.equal(await page.inputValue('#color-by'), 'compare');

    // the numbers: the summary is the CLI's line, the exported CSV its --csv file
    const summary = await page.textContent('#prediction-summary');
    assert.equal(summary, `pred.csv vs the mean per cell: ${text.split('\n')[0]}`);
    const exported = await downloaded(page, '#export-pcc');
    assert.equal(exported.name, 'pred_pcc.csv');
    assert.equal(await readFile(exported.path, 'utf8'), await readFile(scores, 'utf8'));

    // the table: by PCC, highest first, NaN last; then by name
    const genePcc = (await readCsv(scores)).slice(1).map(([gene, pcc]) => [gene, Number(pcc)]);
    const rows = () => page.$$eval('#pcc-rows tr', (trs) => trs.map((tr) => tr.dataset.gene));
    const byPcc = [...genePcc].sort((a, b) => (Number.isNaN(a[1]) - Number.isNaN(b[1])) || b[1] - a[1]).map(([g]) => g);
    assert.deepEqual(await rows(), byPcc);
    assert.equal(byPcc.at(-1), 'gene_1', 'the constant gene (NaN) last');
    await page.click('#pcc-sort-gene');
    assert.deepEqual(await rows(), [...byPcc].sort((a, b) => a.localeCompare(b)), 'by name, A to Z');
    await page.click('#pcc-sort-pcc');
    assert.deepEqual(await rows(), byPcc);

    // the maps of the best gene: predicted − measured per cell, from the two CSVs
    const best = byPcc[0];
    assert.equal(await page.getAttribute(`#pcc-rows tr[data-gene="${best}"]`, 'aria-selected'), 'true');
    const [measuredHeader, ...measuredRows] = await readCsv(tableCsv);
    const [predHeader, ...predRows] = await readCsv(pred);
    const measuredOf = new Map(measuredRows.map((row) => [Number(row[0]), Number(row[measuredHeader.indexOf(best)])]));
    const predOf = new Map(predRows.map((row) => [Number(row[0]), row[predHeader.indexOf(best)] === '' ? NaN : Number(row[predHeader.indexOf(best)])]));
    const expected = (what) => Array.from({ length: measuredRows.length + 1 }, (_, label) => {
      if (!predOf.has(label)) return NaN; // no row
      const [p, m] = [predOf.get(label), measuredOf.get(label)];
      return what === 'predicted' ? p : what === 'measured' ? m : p - m;
    });
    const shown = () => page.evaluate(() => window.cellmapViewer.call('shownModeValues'));
    assert.deepEqual(await shown(), expected('difference'), 'predicted − measured');
    for (const what of ['predicted', 'measured']) {
      await afterRender(page, () => page.selectOption('#compare-show', what));
      assert.deepEqual(await shown(), expected(what), what);
    }
    assert.match(await page.textContent('#legend-caption'), new RegExp(`${best}: measured \\(pred\\.csv vs the mean per cell\\)`));

    // hover: the cell's three numbers
    const labels = await page.evaluate(() => window.cellmapViewer.call('labels'));
    const width = await page.evaluate(() => window.cellmapViewer.session.width);
    const shownCell = labels.findIndex((label) => label !== 0 && predOf.has(label) && !Number.isNaN(predOf.get(label)));
    const label = labels[shownCell];
    const lines = await hoverPixel(page, Math.floor(shownCell / width), shownCell % width);
    const number = (v) => formatValue(v);
    assert.equal(lines[3], `${best}: predicted ${number(predOf.get(label))}, measured ${number(measuredOf.get(label))}, difference ${number(predOf.get(label) - measuredOf.get(label))}`);

    // another statistic: scored again, against cellmap run --stat sum's table
    const sumScores = path.join(work, 'cli_pcc_sum.csv');
    const sumText = execFileSync(cli, ['evaluate', pred, path.join(work, 'sum/t/table.csv'), '--csv', sumScores, '--overwrite'], { encoding: 'utf8' });
    await afterRender(page, () => page.selectOption('#stat', 'sum'));
    assert.equal(await page.textContent('#prediction-summary'), `pred.csv vs the sum per cell: ${sumText.split('\n')[0]}`);
    assert.equal(await readFile((await downloaded(page, '#export-pcc')).path, 'utf8'), await readFile(sumScores, 'utf8'));
    assert.notEqual(sumText.split('\n')[0], text.split('\n')[0], 'the sums score differently from the means');

    // another gene from the table, and the view in the URL
    const other = byPcc[1];
    await afterRender(page, () => page.click(`#pcc-rows tr[data-gene="${other}"]`));
    await page.waitForFunction((gene) => location.hash.includes(`pgene=${gene}`), other);
    assert.match(await page.evaluate(() => location.hash), /by=compare/);
    t.diagnostic(`${genePcc.length} genes compared; best ${best}`);
    assertNoProblems(problems);
    await page.close();
  });

  test('a link with a predicted gene and map shows them once the files and the table are opened again', async () => {
    const pred = await writePrediction();
    const names = await writeGeneNames();
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', [MASK, EXPRESSION, names]));
    await afterRender(page, () => page.setInputFiles('#prediction-input', pred));
    await afterRender(page, () => page.click('#pcc-rows tr[data-gene="gene_5"]'));
    await afterRender(page, () => page.selectOption('#compare-show', 'predicted'));
    await page.waitForFunction(() => location.hash.includes('pgene=gene_5') && location.hash.includes('compared=predicted'));
    const link = await page.evaluate(() => location.href);
    const reopened = await openViewer(browser, link);
    const again = reopened.page;
    await afterRender(again, () => again.setInputFiles('#file-input', [MASK, EXPRESSION, names]));
    assert.equal(await again.inputValue('#color-by'), 'values', 'no table yet: the genes');
    await afterRender(again, () => again.setInputFiles('#prediction-input', pred));
    // the link's mode applies once the table is scored, which may take a render more: wait for it
    await again.waitForFunction(() => document.getElementById('color-by').value === 'compare'
      && document.getElementById('compare-show').value === 'predicted', null, { timeout: 10_000 }).catch(() => {});
    await again.waitForFunction(async () => {
      const before = document.body.dataset.renders;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return document.body.dataset.renders === before;
    });
    assert.equal(await again.inputValue('#color-by'), 'compare');
    assert.equal(await again.inputValue('#compare-show'), 'predicted');
    assert.equal(await again.getAttribute('#pcc-rows tr[data-gene="gene_5"]', 'aria-selected'), 'true');
    assert.deepEqual(await canvasPixels(again), await canvasPixels(page), 'the same map as the linked one');
    assertNoProblems(problems);
    assertNoProblems(reopened.problems);
    await again.close();
    await page.close();
  });
});

/** A little-endian int32 .npy (C order): { shape, data }. */
async function readInt32Npy(file) {
  const bytes = await readFile(file);
  const headerLen = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  assert.match(header, /'descr': '<i4'/);
  assert.match(header, /'fortran_order': False/);
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const body = bytes.subarray(10 + headerLen);
  return { shape, data: Array.from(new Int32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))) };
}

describe('analysis modes: a second label image', () => {
  const SEGEVAL = path.join(ROOT, 'tests/fixtures/segeval/case1');
  const [TRUTH, PRED] = [path.join(SEGEVAL, 'truth.npy'), path.join(SEGEVAL, 'pred.npy')];

  test('each cell\'s best IoU (brute force here), the AP table and CSV of cellmap segeval', async (t) => {
    const scores = path.join(work, 'segeval.csv');
    const text = execFileSync(cli, ['segeval', TRUTH, PRED, '--csv', scores, '--overwrite'], { encoding: 'utf8' });
    const { page, problems } = await openViewer(browser, server.url);
    await afterRender(page, () => page.setInputFiles('#file-input', TRUTH));
    await afterRender(page, () => page.setInputFiles('#second-labels-input', PRED));
    assert.equal(await page.inputValue('#color-by'), 'iou');

    // the numbers: the CSV text for text, the summary's counts and AP as the CLI prints them
    const exported = await downloaded(page, '#export-segeval');
    assert.equal(exported.name, 'pred_segeval.csv');
    assert.equal(await readFile(exported.path, 'utf8'), await readFile(scores, 'utf8'));
    const summary = await page.textContent('#second-labels-summary');
    const [nTrue, nPred, pairs] = /^(\d+) true cells \(largest label\), (\d+) predicted; (\d+) overlapping pairs/.exec(text).slice(1);
    assert.ok(summary.startsWith(`pred.npy: ${nTrue} cells (largest label), ${nPred} in pred.npy; ${pairs} overlapping pairs;`), summary);
    for (const line of text.split('\n').filter((l) => /^\s+0\.\d+\s/.test(l))) {
      const [threshold, , , , ap] = line.trim().split(/\s+/);
      assert.ok(summary.includes(`AP@${threshold} ${ap}`), `${summary} has AP@${threshold} ${ap}`);
    }
    assert.ok(summary.endsWith(`AJI ${/AJI (\S+)/.exec(text)[1]}`), summary);

    // each cell's best IoU: brute force over the two label images
    const truth = await readInt32Npy(TRUTH);
    const pred = await readInt32Npy(PRED);
    const area = (labels) => labels.reduce((a, l) => a.set(l, (a.get(l) ?? 0) + 1), new Map());
    const [trueArea, predArea] = [area(truth.data), area(pred.data)];
    const overlap = new Map();
    truth.data.forEach((l, i) => {
      if (l !== 0 && pred.data[i] !== 0) overlap.set(`${l},${pred.data[i]}`, (overlap.get(`${l},${pred.data[i]}`) ?? 0) + 1);
    });
    const largest = Math.max(...truth.data);
    const best = Array.from({ length: largest + 1 }, (_, l) => (l > 0 && trueArea.has(l) ? 0 : NaN));
    for (const [key, pixels] of overlap) {
      const [l, p] = key.split(',').map(Number);
      best[l] = Math.max(best[l], pixels / (trueArea.get(l) + predArea.get(p) - pixels));
    }
    assert.deepEqual(await page.evaluate(() => window.cellmapViewer.call('shownModeValues')), best);
    assert.ok(best.some((v) => v > 0 && v < 1), 'partial overlaps');

    // the pixels: each cell in the colormap's colour of its IoU on the range 0–1
    assert.deepEqual(await page.evaluate(() => window.cellmapViewer.range), [0, 1]);
    const colormap = await page.inputValue('#colormap');
    const lut = await page.evaluate((name) => Array.from(window.cellmapViewer.palette.luts[name]), colormap);
    const outlines = await page.isChecked('#outlines');
    if (outlines) await afterRender(page, () => page.uncheck('#outlines'));
    const counts = await checkPixels(page, (label) => {
      const k = Math.round(255 * best[label]);
      return lut.slice(4 * k, 4 * k + 4);
    });
    assert.equal(counts.wrong, 0, JSON.stringify(counts.firstWrong));
    assert.match(await page.textContent('#legend-caption'), /best IoU of each cell with a cell of pred\.npy/);

    // the cells' CSV export: each cell's best IoU last, as the brute force gives it
    const cellsCsv = await readCsv((await downloaded(page, '#export-csv')).path);
    assert.equal(cellsCsv[0].at(-1), 'best_iou');
    assert.deepEqual(cellsCsv.slice(1).map((row) => Number(row.at(-1))), best.slice(1));

    // hover names it; the mode is in the URL
    const at = truth.data.findIndex((l) => l !== 0);
    const lines = await hoverPixel(page, Math.floor(at / truth.shape[1]), at % truth.shape[1]);
    assert.match(lines[3], /^best IoU with pred\.npy: /);
    await page.waitForFunction(() => location.hash.includes('by=iou'));

    // a second image of another size: one line naming it; the scores shown stay
    await page.setInputFiles('#second-labels-input', path.join(ROOT, 'tests/fixtures/cli/labels.npy'));
    await page.waitForSelector('#error:not([hidden])');
    assert.equal(await page.textContent('#error-text'),
      `labels.npy: is 24×32, but the cells are ${truth.shape[0]}×${truth.shape[1]}: the label images must have the same size`);
    assert.equal(await page.inputValue('#color-by'), 'iou');
    t.diagnostic(`${largest} cells, ${overlap.size} overlapping pairs`);
    assertNoProblems(problems);
    await page.close();
  });
});
