// The colour-bar legend: the colormap's 256-entry LUT drawn as a strip, the value range at its ends,
// and a swatch of the colour used for cells with no value.
import { formatValue } from './format.js';

/** Colour wasm paints cells whose value is NaN with (kept in step with cellmap-wasm's `paint`). */
export const NO_VALUE_RGB = [128, 128, 128];

export class Legend {
  constructor(elements) {
    this.bar = elements.bar;
    this.min = elements.min;
    this.max = elements.max;
    this.caption = elements.caption;
    elements.noValueSwatch.style.background = `rgb(${NO_VALUE_RGB.join(',')})`;
  }

  /** `lut` is the Uint8Array(256 * 4) RGBA table; `low`/`high` the range mapped to its ends. */
  show(lut, low, high, description) {
    const context = this.bar.getContext('2d');
    context.putImageData(new ImageData(new Uint8ClampedArray(lut), 256, 1), 0, 0);
    this.min.textContent = formatValue(low);
    this.max.textContent = formatValue(high);
    this.caption.textContent = description;
  }
}
