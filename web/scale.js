// The colour-scale controls: colour by (the genes' values, or a distinct colour per cell), the range
// (min–max, percentiles, fixed vmin/vmax: names from Rust's scaleOptions()) and log1p. The range a
// paint used is written back into vmin/vmax (in data units), so that "fixed" starts from it.

/**
 * Colour modes: the genes' per-cell values, a categorical colour per cell id, or a column of the
 * per-cell CSV (modes.js; offered once one is open).
 */
export const COLOR_BY = [
  { value: 'values', text: 'values (the statistic per cell)' },
  { value: 'cell', text: 'cell id (a distinct colour per cell)' },
  { value: 'column', text: 'a column of the per-cell CSV (Analysis)' },
  { value: 'compare', text: 'predicted vs measured (Analysis)' },
  { value: 'iou', text: 'best IoU with the second label image (Analysis)' },
];

export class ScaleControls {
  /** `elements`: {colorBy, scale, percentiles, low, high, vmin, vmax, log1p}. */
  constructor(elements) {
    Object.assign(this, elements);
    this.fill(this.colorBy, COLOR_BY);
  }

  /** Fills the range menu from Rust's scaleOptions() ({name, description}). */
  setOptions(scales) {
    this.fill(this.scale, scales.map(({ name, description }) => ({ value: name, text: description })));
  }

  fill(select, options) {
    select.replaceChildren(...options.map(({ value, text }) =>
      Object.assign(document.createElement('option'), { value, textContent: text })));
  }

  /** The settings for the worker's render op: {colorBy, scale, low, high, log1p}. */
  settings() {
    const scale = this.scale.value;
    const [low, high] = scale === 'percentile' ? [this.low, this.high]
      : scale === 'fixed' ? [this.vmin, this.vmax] : [null, null];
    return {
      colorBy: this.colorBy.value,
      scale,
      low: low ? number(low) : NaN,
      high: high ? number(high) : NaN,
      log1p: this.log1p.checked,
    };
  }

  /** Sets the controls (a view from the URL, or Rust's suggestion): any field may be missing. */
  set({ colorBy, scale, low, high, log1p }) {
    if (colorBy !== undefined) this.colorBy.value = colorBy;
    if (scale !== undefined) this.scale.value = scale;
    if (scale === 'percentile' && Number.isFinite(low) && Number.isFinite(high)) {
      this.low.value = String(low);
      this.high.value = String(high);
    }
    if (scale === 'fixed' && Number.isFinite(low) && Number.isFinite(high)) {
      this.vmin.value = String(low);
      this.vmax.value = String(high);
    }
    if (log1p !== undefined) this.log1p.checked = log1p;
  }

  /** After a paint: shows the range used (`[lo, hi]`, log1p units under log1p) in vmin/vmax. */
  showRange([lo, hi]) {
    if (this.scale.value === 'fixed') return;
    const data = (v) => (this.log1p.checked ? Math.expm1(v) : v);
    this.vmin.value = Number.isNaN(lo) ? '' : String(Number(data(lo).toPrecision(6)));
    this.vmax.value = Number.isNaN(hi) ? '' : String(Number(data(hi).toPrecision(6)));
  }

  /** Enables what applies: `data` = a session is shown; `values` = values are coloured on a scale. */
  update(data, values = this.colorBy.value === 'values') {
    this.colorBy.disabled = !data;
    for (const control of [this.scale, this.log1p]) control.disabled = !data || !values;
    this.percentiles.hidden = this.scale.value !== 'percentile';
    for (const control of [this.low, this.high]) control.disabled = !data || !values;
    for (const control of [this.vmin, this.vmax]) control.disabled = !data || !values || this.scale.value !== 'fixed';
  }

  /** Calls `listener` when any of the controls changes. */
  onChange(listener) {
    for (const control of [this.colorBy, this.scale, this.low, this.high, this.vmin, this.vmax, this.log1p]) {
      control.addEventListener('change', listener);
    }
  }
}

function number(input) {
  const value = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(value)) {
    throw new Error(`${input.id} must be a number, got "${input.value}"`);
  }
  return value;
}
