// Sorting dropped or picked files into mask, expression, transcripts and gene names, and reading them.

const MASK_IMAGE = /\.(png|tiff?|zarr\.zip)$/i;
const EXPRESSION = /\.npz$/i;
const TEXT = /\.(txt|tsv|csv)$/i;
const TABLE = /\.(parquet|(csv|tsv|txt)\.gz)$/i;
const NPY = /\.npy$/i;
const MASK_WORD = /mask|label|seg/i;

/**
 * Decides what each file is. PNG/TIFF and Xenium `cells.zarr.zip` are masks. Transcript tables:
 * `.parquet` and gzip-compressed `.csv.gz` / `.tsv.gz` / `.txt.gz`, and a `.csv` / `.tsv` / `.txt`
 * whose first line has two fields or more (split at `,`, tab or `;`); a text file with one field
 * on its first line is a gene-name list (one name per line).
 * `.npz`: one whose name says mask/label/seg is a (scipy sparse) label image, any other is
 * expression. `.npy` files: one whose name says mask/label/seg is the mask (a Cellpose `_seg.npy`
 * included); otherwise, when no mask is among
 * the files yet, the smallest `.npy` is the mask (a uint8 mask is smaller than a float32 gene
 * image of the same size) and another `.npy` is dense expression.
 * A `.csv` whose header starts with `cell_id` (and has no x, y columns) is a per-cell CSV
 * (`annotations`: cellmap cluster's output, or any per-cell table; modes.js).
 * Returns `{ mask, expression, transcripts, names, annotations }` (each a File or null) or throws a message
 * naming the files.
 */
export async function classifyFiles(files) {
  const result = { mask: null, expression: null, transcripts: null, names: null, annotations: null };
  const claim = (role, file) => {
    if (result[role]) throw new Error(`two ${roleName(role)} files: ${result[role].name} and ${file.name}`);
    result[role] = file;
  };
  const npys = [];
  for (const file of files) {
    if (MASK_IMAGE.test(file.name)) claim('mask', file);
    else if (EXPRESSION.test(file.name)) claim(MASK_WORD.test(file.name) ? 'mask' : 'expression', file);
    else if (TABLE.test(file.name)) claim('transcripts', file);
    else if (TEXT.test(file.name)) claim(await textRole(file), file);
    else if (NPY.test(file.name)) npys.push(file);
    else throw new Error(`${file.name}: unknown file type (expected .npy, .npz, .png, .tif, .tiff, cells.zarr.zip, a transcript table .csv, .csv.gz, .tsv or .parquet, or a .txt gene list)`);
  }
  const namedMask = npys.filter((file) => MASK_WORD.test(file.name));
  if (namedMask.length > 1 || (namedMask.length === 1 && result.mask)) {
    const masks = [result.mask, ...namedMask].filter(Boolean).map((file) => file.name);
    throw new Error(`two mask files: ${masks.join(' and ')} (open one mask at a time, with its expression)`);
  }
  if (namedMask.length === 1) {
    claim('mask', namedMask[0]);
    npys.splice(npys.indexOf(namedMask[0]), 1);
  }
  npys.sort((a, b) => a.size - b.size);
  for (const file of npys) claim(result.mask ? 'expression' : 'mask', file);
  if (result.expression && result.transcripts) {
    throw new Error(`${result.expression.name} and ${result.transcripts.name}: an expression file and a transcript table; open one of them`);
  }
  return result;
}

/** Header fields of a table with coordinates: transcripts (cellmap assign's assignments too). */
const COORDINATE = /^"?(x|y|spotx|spoty|x_location|y_location|global_x|global_y|x_global_px|y_global_px)"?$/i;

/**
 * What a text file is, from its first line: a per-cell CSV ('annotations': comma-separated, the
 * first field `cell_id`, no coordinate column), a transcript table (two fields or more, split at
 * `,`, tab or `;`) or a gene-name list ('names': one field).
 */
async function textRole(file) {
  const head = await file.slice(0, 64 << 10).text();
  const line = head.split(/\r?\n/, 1)[0];
  const fields = line.split(',').map((field) => field.trim());
  if (/^"?cell_id"?$/i.test(fields[0]) && fields.length >= 2 && !fields.some((f) => COORDINATE.test(f))) return 'annotations';
  return [',', '\t', ';'].some((delimiter) => line.split(delimiter).length >= 2) ? 'transcripts' : 'names';
}

function roleName(role) {
  return { mask: 'mask', expression: 'expression', transcripts: 'transcript table', names: 'gene-name', annotations: 'per-cell CSV' }[role];
}

export async function readBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

/** Gene names from text: one per line; blank lines at the end are ignored. */
export async function readGeneNames(file) {
  const lines = (await file.text()).split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
