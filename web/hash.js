// The view in the URL hash: genes (by name), statistic, colormap, colour mode (and the per-cell
// CSV's column and how it is shown), range, log1p, zoom and centre, mask options, outlines. Reloading the page or opening a copied link restores it:
// for the demo at once; for a published store (`index.html?data=URL#data=URL&...`: `data` is the
// store's URL as given) at once; for files (which cannot travel in a URL) once files with the same
// names are opened again (`data` lists them).

/**
 * `column` and `as`: the per-cell CSV's column shown (by name) and how; `pgene` and `compared`:
 * the predicted table's gene and map shown (modes.js).
 */
const STRING_FIELDS = ['stat', 'cmap', 'by', 'scale', 'conn', 'column', 'as', 'pgene', 'compared'];
const NUMBER_FIELDS = ['low', 'high', 'zoom', 'cx', 'cy'];
const FLAGS = ['log1p', 'fill', 'outlines'];

/** The hash (`#...`, no leading '#' needed on input) of a view object. */
export function encodeView(view) {
  const params = new URLSearchParams();
  params.set('data', view.data.join('|'));
  if (view.genes.length > 0) params.set('genes', view.genes.join('|'));
  for (const key of STRING_FIELDS) if (view[key]) params.set(key, view[key]);
  for (const key of NUMBER_FIELDS) {
    if (Number.isFinite(view[key])) params.set(key, String(Number(view[key].toPrecision(7))));
  }
  for (const key of FLAGS) params.set(key, view[key] ? '1' : '0');
  return `#${params.toString()}`;
}

/** The view in `hash`, or null when it holds none. Fields not in the hash are undefined. */
export function decodeView(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  if (!params.has('data')) return null;
  const view = { data: params.get('data').split('|').filter(Boolean) };
  view.genes = params.has('genes') ? params.get('genes').split('|') : [];
  for (const key of STRING_FIELDS) if (params.has(key)) view[key] = params.get(key);
  for (const key of NUMBER_FIELDS) if (params.has(key)) view[key] = Number(params.get(key));
  for (const key of FLAGS) if (params.has(key)) view[key] = params.get(key) === '1';
  return view;
}

/** Whether a view saved for `data` (the demo, or file names) applies to files named `names`. */
export function sameData(view, names) {
  return view.data.length === names.length && [...names].sort().every((name, i) => name === [...view.data].sort()[i]);
}

/** Calls `write()` at most once per `ms` after the last `schedule()` (history.replaceState is slow). */
export function debounced(write, ms = 250) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(write, ms);
  };
}
