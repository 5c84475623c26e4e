// The Export section: the map as a PNG (full data resolution, with its legend), the cells' table
// as CSV, the transcript assignments (when transcripts are loaded). The worker makes each file
// (worker-exports.js); this module only asks for it and downloads it.

/** Downloads `blob` as `name` (a Blob URL and an <a download>). */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file name part from free text: letters, digits, dots and dashes. */
export function fileStem(text) {
  return text.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'cellmap';
}

export class Exports {
  /**
   * `elements`: {png, csv, assignments, assignmentsNote, status}; `viewer`: {call(op, ...args),
   * session(), view() → {colormap, range, caption, strip, stat, genes}, run(action) (shows errors)}.
   */
  constructor(elements, viewer) {
    this.elements = elements;
    this.viewer = viewer;
    elements.png.addEventListener('click', () => viewer.run(() => this.exportPng()));
    elements.csv.addEventListener('click', () => viewer.run(() => this.exportCsv()));
    elements.assignments.addEventListener('click', () => viewer.run(() => this.exportAssignments()));
  }

  /** Enables what applies: a session for the map and table; transcripts for the assignments. */
  update({ idle, session }) {
    const data = idle && session !== null;
    this.elements.png.disabled = !data;
    this.elements.csv.disabled = !data;
    const transcripts = data && session.transcripts > 0;
    this.elements.assignments.disabled = !transcripts;
    this.elements.assignmentsNote.hidden = transcripts;
  }

  /** The file name stem of the shown map: genes and statistic. */
  stem() {
    const { genes, stat } = this.viewer.view();
    return fileStem(genes.length > 0 ? `${genes.join('+')}_${stat}` : 'cells');
  }

  async exportPng() {
    const { colormap, range, caption, strip } = this.viewer.view();
    this.say('Making the PNG…');
    const blob = await this.viewer.call('exportPng', { colormap, range, caption, strip });
    download(blob, `cellmap_${this.stem()}.png`);
    this.say(`Map exported (${blob.size.toLocaleString('en-US')} bytes).`);
  }

  async exportCsv() {
    this.say('Writing the table…');
    const blob = await this.viewer.call('exportCellsCsv');
    download(blob, `cellmap_${this.stem()}_cells.csv`);
    this.say(`Cells exported (${blob.size.toLocaleString('en-US')} bytes).`);
  }

  async exportAssignments() {
    const blob = await this.viewer.call('exportAssignments');
    download(blob, 'cellmap_assignments.csv');
    this.say('Transcript assignments exported.');
  }

  say(text) {
    this.elements.status.textContent = text;
  }
}
