// The colour-bar legend: the colormap's 256-entry LUT drawn as a strip, the value range at its ends,
// and a swatch of the colour used for cells with no value.
import { formatValue } from './format.js';

export class Legend {
  constructor(elements) {
    this.bar = elements.bar;
    this.min = elements.min;
    this.max = elements.max;
    this.caption = elements.caption;
    this.noValueSwatch = elements.noValueSwatch;
  }

  /** `rgba` is the colour wasm paints cells without a value with (`noValueColor()`). */
  setNoValueColour([red, green, blue, alpha]) {
    this.noValueSwatch.style.background = `rgba(${red}, ${green}, ${blue}, ${alpha / 255})`;
  }

  /** `lut` is the Uint8Array(256 * 4) RGBA table; `low`/`high` the range mapped to its ends. */
  show(lut, low, high, description) {
    const context = this.bar.getContext('2d');
    context.putImageData(new ImageData(new Uint8ClampedArray(lut), 256, 1), 0, 0);
    this.min.textContent = Number.isNaN(low) ? '–' : formatValue(low);
    this.max.textContent = Number.isNaN(high) ? '–' : formatValue(high);
    this.caption.textContent = description;
  }
}
