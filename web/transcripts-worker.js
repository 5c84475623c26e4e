// The worker's side of transcript tables: the wasm tables module (pkg/tables, loaded on the first
// table) reads a dropped table into a TranscriptTable with `cellmap assign`'s readers and presets,
// counts it per cell and gene with the session's labels, and gives the shown genes' points for the
// dots. The session (main package) only holds the counts.
let tables = null;

function tablesModule() {
  tables ??= import('./pkg/tables/cellmap_wasm_tables.js').then(async (module) => {
    await module.default();
    return module;
  });
  return tables;
}

/** The preset names (`cellmap assign --preset`), for the column-mapping dialog. */
export async function presetNames() {
  return (await tablesModule()).presetNames();
}

/** The transcript table shown, held in the tables module's memory. */
export class Transcripts {
  constructor(read, fileName) {
    this.table = read.table;
    this.fileName = fileName;
    /** What the read said: preset, scale, rows, dropped rows. */
    this.read = { ...read, table: undefined };
  }

  /**
   * Reads `file` (`mapping`: `{preset, x, y, gene, scale, transform}` from the dialog, or null to
   * take the preset the header belongs to). Resolves with a Transcripts, or with `{needsMapping,
   * columns, preset, found, presets}` when the header has no column the preset knows.
   */
  static async read(file, mapping) {
    const module = await tablesModule();
    const m = mapping ?? {};
    const read = module.readTranscripts(file, file.name, m.preset, m.x, m.y, m.gene, m.scale, m.transform);
    if (read.needsMapping) return { ...read, presets: module.presetNames() };
    return new Transcripts(read, file.name);
  }

  /** Counts per cell and gene for the session's labels (`{genePtr, cells, counts, inCells, ...}`). */
  count(wasm, session) {
    const labels = new Int32Array(wasm.memory.buffer, session.labelsPtr(), session.labelsLen());
    return this.table.count(labels, session.width, session.height);
  }

  /** Attaches the counts to `session` as its genes; returns what the page shows about the table. */
  attach(wasm, session) {
    const counts = this.count(wasm, session);
    session.attachCounts(counts.genePtr, counts.cells, counts.counts, this.table.geneNames());
    const { genePtr, cells, counts: values, ...summary } = counts;
    return { ...this.read, ...summary, file: this.fileName };
  }

  /** Counts again for the session's new labels (after relabelling a mask). */
  recount(wasm, session) {
    const counts = this.count(wasm, session);
    session.recount(counts.genePtr, counts.cells, counts.counts);
  }

  /** The CSV of every transcript's cell for the session's labels, to `sink(Uint8Array)` in chunks. */
  assignmentsCsv(wasm, session, sink) {
    const labels = new Int32Array(wasm.memory.buffer, session.labelsPtr(), session.labelsLen());
    this.table.assignmentsCsv(labels, session.width, session.height, sink);
  }

  /** The points of `genes` (`{xy, starts}`, see TranscriptTable.points). */
  points(genes) {
    return this.table.points(Uint32Array.from(genes));
  }

  free() {
    this.table.free();
  }
}
