// Front-end parity: the same files through the `cellmap` CLI and through the wasm viewer session
// (web/pkg, loaded in node) give identical labels, per-cell values, RGBA maps and region tables.
// Each case is a place where the two front ends once disagreed (CSR dtypes, dense float64,
// label ids above H·W, whole-number float label images, palettes, bounding boxes, the demo).
// Needs web/pkg (scripts/build-wasm.sh) and builds the CLI (cargo build -p cellmap-cli).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI_FIXTURES = path.join(ROOT, 'tests/fixtures/cli');
const PARITY = path.join(ROOT, 'tests/fixtures/parity');
const STATS = ['mean', 'sum', 'count', 'min', 'max'];

let wasm;
let memory;
let cli;
let work;

before(async () => {
  const pkg = path.join(ROOT, 'web/pkg/cellmap_wasm.js');
  wasm = await import(pkg).catch(() => {
    throw new Error('web/pkg is missing: build it first with scripts/build-wasm.sh');
  });
  ({ memory } = wasm.initSync({ module: readFileSync(path.join(ROOT, 'web/pkg/cellmap_wasm_bg.wasm')) }));
  execFileSync('cargo', ['build', '-q', '-p', 'cellmap-cli'], { cwd: ROOT, stdio: 'inherit' });
  cli = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug/cellmap');
  work = mkdtempSync(path.join(tmpdir(), 'cellmap-parity-'));
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---- the CLI side -------------------------------------------------------------------------------

function cellmap(...args) {
  execFileSync(cli, args.map(String), { stdio: ['ignore', 'ignore', 'inherit'] });
}

let folders = 0;
/** A fresh folder under the test's work folder. */
function folder() {
  folders += 1;
  return path.join(work, `case${folders}`);
}

/** `cellmap run` on one tile made of `mask` and `expression`; returns the output tile folder. */
function runTile(mask, expression, ...flags) {
  const tiles = folder();
  execFileSync('mkdir', ['-p', tiles]);
  copyFileSync(mask, path.join(tiles, 't.npy'));
  copyFileSync(expression, path.join(tiles, 't_ST_1024.npz'));
  const out = `${tiles}-out`;
  cellmap('run', tiles, '-o', out, ...flags);
  return path.join(out, 't');
}

/** Parses a little-endian .npy file: { shape, data } with data as a plain number array. */
function readNpy(file) {
  const bytes = readFileSync(file);
  const headerLen = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  const descr = /'descr': '([^']+)'/.exec(header)[1];
  const shape = /'shape': \(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const body = bytes.subarray(10 + headerLen);
  const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const typed = {
    '<i4': Int32Array, '<u4': Uint32Array, '<f8': Float64Array, '<f4': Float32Array, '<i8': BigInt64Array,
  }[descr];
  assert.ok(typed, `unexpected dtype ${descr} in ${file}`);
  const data = Array.from(new typed(buffer), Number);
  return { shape, data, descr };
}

/** Decodes an 8-bit RGBA, non-interlaced PNG (what the CLI writes) into its bytes. */
function readPng(file) {
  const bytes = readFileSync(file);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1');
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 6, 0], 'RGBA8, not interlaced');
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x += 1) {
      const a = x >= 4 ? out[y * stride + x - 4] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4] : 0;
      const paeth = () => {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      };
      const predictor = [0, a, b, (a + b) >> 1, filter === 4 ? paeth() : 0][filter];
      out[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  return { width, height, rgba: out };
}

/** regions.csv rows by label: [area, centroidRow, centroidCol, minRow, minCol, maxRow, maxCol]. */
function readRegions(file) {
  const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(header, 'label,area,centroid_row,centroid_col,bbox_min_row,bbox_min_col,bbox_max_row,bbox_max_col');
  return new Map(rows.map((row) => {
    const [label, ...fields] = row.split(',');
    return [Number(label), fields.map((f) => (f === '' ? NaN : Number(f)))];
  }));
}

// ---- the wasm side ------------------------------------------------------------------------------

function session(maskFile, { fillHoles = true, connectivity = '4' } = {}) {
  const s = wasm.Session.fromMask(readFileSync(maskFile), path.basename(maskFile));
  s.setMaskOptions(fillHoles, connectivity);
  return s;
}

function sessionLabels(s) {
  return Array.from(new Int32Array(memory.buffer, s.labelsPtr(), s.labelsLen()));
}

function sessionPixels(s) {
  return new Uint8Array(memory.buffer, s.pixelsPtr(), s.pixelsLen()).slice();
}

/** The session's values of `genes` under `stat`, cells 1..N (index 0, the background, dropped). */
function sessionValues(s, genes, stat) {
  s.computeValues(Uint32Array.from(genes), stat);
  return Array.from(s.cellValues()).slice(1);
}

/** Compares a (cells, genes) CLI table column with session values; f32 tables round the session's. */
function assertColumn(table, gene, values, what) {
  const genes = table.shape.length === 1 ? 1 : table.shape[1];
  const column = table.data.filter((_, i) => i % genes === gene);
  const expected = table.descr === '<f4' ? values.map(Math.fround) : values;
  assert.equal(column.length, expected.length, `${what}: cell count`);
  column.forEach((v, cell) => {
    assert.ok(Object.is(v, expected[cell]), `${what}: cell ${cell + 1}: CLI ${v}, viewer ${expected[cell]}`);
  });
}

function assertSameLabels(cliLabels, s, what) {
  assert.deepEqual(cliLabels.shape, [s.height, s.width], `${what}: shape`);
  assert.deepEqual(sessionLabels(s), cliLabels.data, `${what}: labels`);
}

function assertSameRegions(regions, s, what) {
  assert.equal(regions.size, s.cellCount, `${what}: one row per cell`);
  for (const [label, [area, row, col, minRow, minCol, maxRow, maxCol]] of regions) {
    const info = s.cellInfo(label);
    assert.deepEqual(
      [info.area, info.centroidRow, info.centroidCol, info.bboxMinRow, info.bboxMinCol, info.bboxMaxRow, info.bboxMaxCol],
      [area, row, col, minRow, minCol, maxRow, maxCol],
      `${what}: cell ${label}`,
    );
  }
}

function assertSameMap(png, s, what) {
  assert.deepEqual([png.width, png.height], [s.width, s.height], `${what}: size`);
  const pixels = sessionPixels(s);
  const differing = pixels.findIndex((v, i) => v !== png.rgba[i]);
  assert.equal(differing, -1, `${what}: first differing byte ${differing} (pixel ${differing >> 2})`);
}

/** Reduces every stat with the CLI and compares each gene's column with the session. */
/**
 * The session's per-cell values against `cellmap reduce`: over the pixels of `within` (the binary
 * mask the session was opened with: its statistics, like `cellmap run`'s, skip the filled holes).
 */
function assertSameTables(labelsFile, valuesFile, s, genes, what, within = null) {
  for (const stat of STATS) {
    const out = `${folder()}.npy`;
    cellmap('reduce', labelsFile, valuesFile, '-o', out, '--stat', stat, ...(within ? ['--within', within] : []));
    const table = readNpy(out);
    for (let gene = 0; gene < genes; gene += 1) {
      assertColumn(table, gene, sessionValues(s, [gene], stat), `${what}, ${stat} of gene ${gene}`);
    }
  }
}

// ---- the cases ----------------------------------------------------------------------------------

describe('CLI and viewer give the same results', () => {
  const mask = path.join(CLI_FIXTURES, 'mask.npy');
  const st = path.join(CLI_FIXTURES, 'st.npz');

  for (const [fillHoles, connectivity] of [[true, '4'], [true, '8'], [false, '4'], [false, '8']]) {
    test(`binary mask, fill holes ${fillHoles}, ${connectivity}-connectivity: labels, regions, all stats`, () => {
      const labels = `${folder()}.npy`;
      cellmap('label', mask, '-o', labels, '--connectivity', connectivity, ...(fillHoles ? [] : ['--no-fill-holes']));
      const s = session(mask, { fillHoles, connectivity });
      s.attachExpression(readFileSync(st), 'st.npz');
      assertSameLabels(readNpy(labels), s, 'labels');
      assertSameTables(labels, st, s, 7, 'st.npz (int32, float32, non-canonical)', mask);
      const tile = runTile(mask, st, '--genes', '0', '--connectivity', connectivity, ...(fillHoles ? [] : ['--no-fill-holes']));
      assertSameRegions(readRegions(path.join(tile, 'regions.csv')), s, 'regions.csv vs cellInfo');
      s.free();
    });
  }

  test('maps: every stat and colormap, one gene and the sum of genes (holes filled, as both do by default)', () => {
    const s = session(mask);
    s.attachExpression(readFileSync(st), 'st.npz');
    for (const [stat, colormap] of [['mean', 'viridis'], ['sum', 'gray'], ['count', 'magma'], ['min', 'turbo'], ['max', 'cividis']]) {
      const tile = runTile(mask, st, '--genes', '1,4', '--stat', stat, '--colormap', colormap);
      for (const gene of [1, 4]) {
        s.computeValues(Uint32Array.from([gene]), stat);
        s.paint(colormap, 'minmax', NaN, NaN, false, false);
        assertSameMap(readPng(path.join(tile, `maps/gene_000${gene}.png`)), s, `${stat} of gene ${gene}, ${colormap}`);
      }
      s.computeValues(Uint32Array.from([1, 4]), stat);
      s.paint(colormap, 'minmax', NaN, NaN, false, false);
      assertSameMap(readPng(path.join(tile, 'maps/sum.png')), s, `${stat}, sum of genes 1 + 4, ${colormap}`);
    }
    s.free();
  });

  test('a fixed range gives the same map', () => {
    const s = session(mask, { fillHoles: false });
    s.attachExpression(readFileSync(st), 'st.npz');
    const tile = runTile(mask, st, '--genes', '2', '--vmin', '0.5', '--vmax', '3', '--no-fill-holes');
    s.computeValues(Uint32Array.from([2]), 'mean');
    assert.deepEqual(Array.from(s.paint('viridis', 'fixed', 0.5, 3, false, false)), [0.5, 3]);
    assertSameMap(readPng(path.join(tile, 'maps/gene_0002.png')), s, 'mean of gene 2, 0.5..3');
    s.free();
  });

  test('CSR with int64 indices and float64 data', () => {
    const wide = path.join(PARITY, 'st_i64_f64.npz');
    const labels = `${folder()}.npy`;
    cellmap('label', mask, '-o', labels);
    const s = session(mask);
    s.attachExpression(readFileSync(wide), 'st_i64_f64.npz');
    assertSameTables(labels, wide, s, 7, 'st_i64_f64.npz', mask);
    s.free();
  });

  test('dense float64 values of three genes', () => {
    const dense = path.join(PARITY, 'dense_f64.npy');
    const labels = `${folder()}.npy`;
    cellmap('label', mask, '-o', labels);
    const s = session(mask);
    assert.equal(s.attachExpression(readFileSync(dense), 'dense_f64.npy'), 3);
    assertSameTables(labels, dense, s, 3, 'dense_f64.npy', mask);
    s.free();
  });

  test('dense float32 image of one gene', () => {
    const dense = path.join(CLI_FIXTURES, 'dense.npy');
    const labels = `${folder()}.npy`;
    cellmap('label', mask, '-o', labels);
    const s = session(mask);
    s.attachExpression(readFileSync(dense), 'dense.npy');
    assertSameTables(labels, dense, s, 1, 'dense.npy', mask);
    s.free();
  });

  test('label image with ids above H·W (one label-id policy), its maps and regions', () => {
    const big = path.join(PARITY, 'labels_big_ids.npy');
    const expression = path.join(PARITY, 'labels_big_ids.npz');
    const copied = `${folder()}.npy`;
    cellmap('label', big, '-o', copied);
    const s = session(big);
    assert.equal(s.isLabelImage, true);
    assert.equal(s.cellCount, 60000);
    s.attachExpression(readFileSync(expression), 'labels_big_ids.npz');
    assertSameLabels(readNpy(copied), s, 'label image');
    assertSameTables(big, expression, s, 4, 'labels_big_ids.npz');
    const tile = runTile(big, expression, '--genes', '0,3', '--stat', 'sum');
    assertSameRegions(readRegions(path.join(tile, 'regions.csv')), s, 'regions of a label image');
    for (const gene of [0, 3]) {
      s.computeValues(Uint32Array.from([gene]), 'sum');
      s.paint('viridis', 'minmax', NaN, NaN, false, false);
      assertSameMap(readPng(path.join(tile, `maps/gene_000${gene}.png`)), s, `sum of gene ${gene} over a label image`);
    }
    s.free();
  });

  test('whole-number float32 label image is a label image in both', () => {
    const floats = path.join(PARITY, 'labels_float.npy');
    const labels = `${folder()}.npy`;
    cellmap('label', floats, '-o', labels);
    const s = session(floats);
    assert.equal(s.isLabelImage, true);
    const fromIntegers = readNpy(path.join(CLI_FIXTURES, 'cp_masks.npy'));
    assert.deepEqual(readNpy(labels).data, fromIntegers.data, 'the ids are kept');
    assertSameLabels(readNpy(labels), s, 'float label image');
    s.free();
  });

  test('one palette: no-value and background colours differ from every colormap entry', () => {
    const noValue = Array.from(wasm.noValueColor());
    const background = Array.from(wasm.backgroundColor());
    for (const name of wasm.colormapOptions()) {
      const lut = wasm.colormapLut(name);
      for (let i = 0; i < 256; i += 1) {
        const entry = Array.from(lut.subarray(i * 4, i * 4 + 4));
        assert.notDeepEqual(entry, noValue, `${name}[${i}] is the no-value colour`);
        assert.notDeepEqual(entry, background, `${name}[${i}] is the background colour`);
      }
    }
  });

  test('the demo: one assembly, one gene-naming scheme', () => {
    const demo = folder();
    cellmap('demo', '-o', demo, '--size', '96', '--genes', '20', '--tiles', '1', '--seed', '7');
    const labels = `${folder()}.npy`;
    cellmap('label', path.join(demo, 'demo_0.npy'), '-o', labels);
    const s = wasm.Session.demo(7, 96, 96);
    assertSameLabels(readNpy(labels), s, 'demo labels');
    const names = readFileSync(path.join(demo, 'demo_0_genes.txt'), 'utf8').trim().split('\n');
    assert.deepEqual(s.geneNames().slice(0, names.length), names);
    const sums = `${folder()}.npy`;
    cellmap('reduce', labels, path.join(demo, 'demo_0_ST_1024.npz'), '-o', sums, '--stat', 'sum');
    const table = readNpy(sums);
    for (const gene of [0, 7, 19]) assertColumn(table, gene, sessionValues(s, [gene], 'sum'), `demo sum of gene ${gene}`);
    s.free();
  });
});
