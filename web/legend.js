// The colour-bar legend: the colormap's 256-entry LUT drawn as a strip with round ticks under it
// (from Rust's colorbarTicks), the value range at its ends, and a swatch of the colour used for
// cells with no value. In cell-id mode the strip shows the categorical palette instead.
import { formatCount, formatValue } from './format.js';

export class Legend {
  constructor(elements) {
    this.bar = elements.bar;
    this.min = elements.min;
    this.max = elements.max;
    this.caption = elements.caption;
    this.noValueSwatch = elements.noValueSwatch;
    this.ticks = elements.ticks;
    this.categories = elements.categories;
  }

  /** `rgba` is the colour wasm paints cells without a value with (`noValueColor()`). */
  setNoValueColour([red, green, blue, alpha]) {
    this.noValueSwatch.style.background = `rgba(${red}, ${green}, ${blue}, ${alpha / 255})`;
  }

  /**
   * `lut` is the Uint8Array(256 * 4) RGBA table; `low`/`high` the range mapped to its ends (data
   * units); `ticks` the [value, position, ...] pairs of colorbarTicks. A degenerate range (low =
   * high) is drawn in the middle colour: the caption says so.
   */
  show(lut, low, high, description, ticks = []) {
    this.categories.hidden = true;
    const context = this.bar.getContext('2d');
    context.putImageData(new ImageData(new Uint8ClampedArray(lut), 256, 1), 0, 0);
    this.min.textContent = Number.isNaN(low) ? '–' : formatValue(low);
    this.max.textContent = Number.isNaN(high) ? '–' : formatValue(high);
    const degenerate = !Number.isNaN(low) && low === high;
    this.caption.textContent = degenerate
      ? `${description} — every cell at ${formatValue(low)} is drawn in the middle colour (lower: first, higher: last)`
      : description;
    const marks = [];
    for (let i = 0; i + 1 < ticks.length; i += 2) {
      const mark = document.createElement('span');
      mark.className = 'tick';
      mark.style.left = `${(ticks[i + 1] * 100).toFixed(3)}%`;
      mark.textContent = formatValue(ticks[i]);
      marks.push(mark);
    }
    this.ticks.replaceChildren(...marks);
  }

  /** Cell-id mode: the palette (RGBA, 20 colours) as the strip, no range and no ticks. */
  showCategorical(palette, description) {
    this.categories.hidden = true;
    const count = palette.length / 4;
    const strip = new Uint8ClampedArray(256 * 4);
    for (let x = 0; x < 256; x += 1) strip.set(palette.subarray(Math.floor((x * count) / 256) * 4, Math.floor((x * count) / 256) * 4 + 4), x * 4);
    this.bar.getContext('2d').putImageData(new ImageData(strip, 256, 1), 0, 0);
    this.min.textContent = '';
    this.max.textContent = '';
    this.ticks.replaceChildren();
    this.caption.textContent = description;
  }

  /**
   * A column shown as categories: the strip is the palette, and a list gives each slotted value's
   * colour, name and cell count (`legend.entries`, at most one per palette colour, the most common
   * when there are more), then "other" (the remaining values, one colour) and "no value".
   * `colours`: {palette (RGBA, 20 colours), other (RGBA), noValue (RGBA)}.
   */
  showCategories(legend, colours, description) {
    // the strip: the colours in use, in slot order (the most common value's first past 20 values)
    const used = new Uint8Array(4 * Math.max(1, legend.entries.length));
    legend.entries.forEach(({ slot }, k) => used.set(colours.palette.subarray(4 * slot, 4 * slot + 4), 4 * k));
    this.showCategorical(used, description);
    const item = (rgba, name, count) => {
      const li = document.createElement('li');
      const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
      swatch.style.background = css(rgba);
      li.append(swatch, Object.assign(document.createElement('span'), { className: 'name', textContent: name }),
        Object.assign(document.createElement('span'), { className: 'count', textContent: formatCount(count) }));
      li.dataset.count = String(count);
      return li;
    };
    const items = legend.entries.map(({ name, count, slot }) =>
      item(Array.from(colours.palette.subarray(4 * slot, 4 * slot + 4)), name, count));
    if (legend.otherValues > 0) {
      const other = item(Array.from(colours.other), `other (${formatCount(legend.otherValues)} values)`, legend.otherCells);
      other.dataset.other = 'true';
      items.push(other);
    }
    if (legend.withoutValue > 0) {
      const none = item(Array.from(colours.noValue), 'no value', legend.withoutValue);
      none.dataset.noValue = 'true';
      items.push(none);
    }
    this.categories.replaceChildren(...items);
    this.categories.hidden = false;
  }
}

/** `rgba` (4 numbers) as a CSS colour. */
function css([red, green, blue, alpha]) {
  return `rgba(${red}, ${green}, ${blue}, ${alpha / 255})`;
}

