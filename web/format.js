// Number formatting shared by the legend, the tooltip and the status line.

const significant = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A value for people: 4 significant digits, "no value" for NaN. */
export function formatValue(value) {
  if (Number.isNaN(value)) return 'no value';
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) return value.toExponential(3);
  return significant.format(value);
}

/** A count with thousands separators: 1,048,576. */
export function formatCount(count) {
  return integer.format(count);
}

/** A byte size: 1.2 MB. */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
