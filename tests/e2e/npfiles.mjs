// Writing numpy files in node for the browser tests: `.npy` (format 1.0) and `.npz` (a stored zip
// of `.npy` members, as `numpy.savez` / `scipy.sparse.save_npz(compressed=False)` write them), so
// that large inputs are made at test time instead of being committed.
import { crc32 } from 'node:zlib';

const DESCR = {
  Uint8Array: '|u1',
  Int32Array: '<i4',
  Int64Array: '<i8',
  BigInt64Array: '<i8',
  Float32Array: '<f4',
  Float64Array: '<f8',
};

/**
 * The bytes of an `.npy` file: a C-order array of `shape` holding `data` (a typed array; dtype from
 * its type), or `descr` and raw `data` bytes (e.g. `|S3`). The header is padded to 64 bytes.
 */
export function npyBytes(shape, data, descr = DESCR[data.constructor.name]) {
  if (!descr) throw new Error(`npyBytes: no dtype for ${data.constructor.name}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, body]);
}

/** The bytes of a zip archive with `members` ({name: Buffer}) stored uncompressed (no ZIP64). */
export function storedZip(members) {
  return zipArchive(Object.fromEntries(Object.entries(members).map(([name, bytes]) => [name, { bytes }])));
}

/**
 * The bytes of a zip archive (no ZIP64) of `members`: {name: {bytes, method, size, crc}}, where
 * `bytes` are the member's bytes as stored, `method` 0 (stored, the default) or 8 (deflated), and
 * `size` and `crc` what the headers declare of the uncompressed data (by default those of `bytes`).
 */
export function zipArchive(members) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, { bytes: data, method = 0, size = data.length, crc = crc32(data) >>> 0 }] of Object.entries(members)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const local = Buffer.alloc(30 + nameBytes.length);
    local.writeUInt32LE(0x04034b50, 0); // local file header
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    nameBytes.copy(local, 30);
    const central = Buffer.alloc(46 + nameBytes.length);
    central.writeUInt32LE(0x02014b50, 0); // central directory header
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6); // version needed
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(0, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    nameBytes.copy(central, 46);
    locals.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A scipy CSR `.npz` (`save_npz`, uncompressed) of shape `[rows, cols]`. */
export function csrNpzBytes([rows, cols], indptr, indices, data) {
  return storedZip({
    'indices.npy': npyBytes([indices.length], indices),
    'indptr.npy': npyBytes([indptr.length], indptr),
    'format.npy': npyBytes([], Buffer.from('csr', 'latin1'), '|S3'),
    'shape.npy': npyBytes([2], BigInt64Array.of(BigInt(rows), BigInt(cols))),
    'data.npy': npyBytes([data.length], data),
  });
}

/**
 * A large synthetic tile for the browser tests: a `size`² mask `.npy` (uint8) of square cells of
 * `cell - 1` px on a `cell` px grid, and a CSR `.npz` of `genes` genes (int32 indices, float32
 * data; 0 to `perPixel` genes per pixel, `perPixel / 2` on average, distinct and sorted, from a
 * fixed LCG). Returns Buffers and the nnz.
 */
export function bigTile(size, genes, cell, perPixel = 4) {
  const pixels = size * size;
  const mask = new Uint8Array(pixels);
  for (let row = 0; row < size; row += 1) {
    if (row % cell === cell - 1) continue;
    for (let col = 0; col < size; col += 1) mask[row * size + col] = col % cell === cell - 1 ? 0 : 1;
  }
  const indptr = new Int32Array(pixels + 1);
  const indices = new Int32Array(pixels * perPixel);
  const data = new Float32Array(pixels * perPixel);
  const spread = Math.floor(genes / perPixel);
  let state = 12345;
  let nnz = 0;
  for (let pixel = 0; pixel < pixels; pixel += 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const count = (state >>> 16) % (perPixel + 1);
    const base = (state >>> 4) % spread;
    for (let k = 0; k < count; k += 1) {
      indices[nnz] = base + k * spread;
      data[nnz] = 1 + ((state >>> (k * 3)) & 7);
      nnz += 1;
    }
    indptr[pixel + 1] = nnz;
  }
  return {
    mask: npyBytes([size, size], mask),
    expression: csrNpzBytes([pixels, genes], indptr, indices.subarray(0, nnz), data.subarray(0, nnz)),
    nnz,
  };
}
