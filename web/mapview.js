// The map canvas inside its viewport: zoom and pan by wheel, drag and keyboard; hover reports the
// image pixel under the pointer. The canvas holds the map at 1 canvas pixel per image pixel; zoom
// and pan are a CSS transform, so they never repaint the map. For a published store (too large
// for one canvas) the canvas holds only the window in view, at its pyramid level: `draw` is
// given its placement (top-left in image pixels, image pixels per canvas pixel) and
// `visibleRegion()` says what to draw next.

const MIN_SCALE = 0.05;
const MAX_SCALE = 64;
const KEY_PAN_PX = 48;
const KEY_ZOOM = 1.25;

export class MapView {
  /**
   * `describePixel(row, col)` returns (a promise of) the tooltip text for an image pixel, or null
   * to hide it.
   */
  constructor({ viewport, canvas, tooltip, announcer }, describePixel) {
    this.viewport = viewport;
    this.announcer = announcer;
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.tooltip = tooltip;
    this.describePixel = describePixel;
    this.scale = 1;
    /** The image's size (the canvas's, except for a published store's window). */
    this.imageWidth = 0;
    this.imageHeight = 0;
    /** Where the canvas sits: its top-left in image pixels and image pixels per canvas pixel. */
    this.placement = { x: 0, y: 0, factor: 1 };
    this.offsetX = 0;
    this.offsetY = 0;
    this.drag = null;
    this.lastPointer = null;
    /** Called after every zoom, pan or resize (the URL hash, layers drawn over the map). */
    this.viewListeners = [];
    // keyboard exploration marks the cell it describes: the one under the viewport's centre
    this.marker = Object.assign(document.createElement('div'), { className: 'key-marker', hidden: true });
    this.marker.setAttribute('aria-hidden', 'true');
    viewport.append(this.marker);
    viewport.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    viewport.addEventListener('pointerdown', (event) => this.onPointerDown(event));
    viewport.addEventListener('pointermove', (event) => this.onPointerMove(event));
    viewport.addEventListener('pointerup', (event) => this.onPointerUp(event));
    viewport.addEventListener('pointercancel', (event) => this.onPointerUp(event));
    viewport.addEventListener('pointerleave', () => this.hideTooltip());
    viewport.addEventListener('keydown', (event) => this.onKey(event));
    viewport.addEventListener('blur', () => this.hideTooltip());
    new ResizeObserver(() => this.applyTransform()).observe(viewport);
  }

  /** Calls `listener()` after every zoom, pan or resize. */
  onViewChange(listener) {
    this.viewListeners.push(listener);
  }

  /**
   * Sets the image size (a new session) and fits it in the viewport. `windowed`: the canvas
   * will hold windows of it (a published store), so it is not sized to the image.
   */
  setImageSize(width, height, windowed = false) {
    this.imageWidth = width;
    this.imageHeight = height;
    this.placement = { x: 0, y: 0, factor: 1 };
    if (windowed) {
      this.canvas.width = 0;
      this.canvas.height = 0;
    } else if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.fit();
  }

  /** No image (nothing loaded): an empty canvas, its pixels released; no tooltip. */
  clear() {
    this.canvas.width = 0;
    this.canvas.height = 0;
    this.imageWidth = 0;
    this.imageHeight = 0;
    this.placement = { x: 0, y: 0, factor: 1 };
    this.hideTooltip();
  }

  /**
   * Draws an ImageData (its pixels moved here from the worker): of the image size, or a window
   * of it placed at `placement` ({x, y, factor}: its top-left in image pixels, image pixels per
   * canvas pixel).
   */
  draw(imageData, placement = null) {
    if (placement) {
      if (this.canvas.width !== imageData.width || this.canvas.height !== imageData.height) {
        this.canvas.width = imageData.width;
        this.canvas.height = imageData.height;
      }
      this.placement = placement;
      this.placeCanvas(); // not a view change: the listeners would draw again
    }
    this.context.putImageData(imageData, 0, 0);
    this.refreshTooltip();
  }

  fit() {
    const { clientWidth, clientHeight } = this.viewport;
    const scale = Math.min(clientWidth / this.imageWidth, clientHeight / this.imageHeight);
    this.scale = clamp(Number.isFinite(scale) && scale > 0 ? scale : 1, MIN_SCALE, MAX_SCALE);
    this.offsetX = (clientWidth - this.imageWidth * this.scale) / 2;
    this.offsetY = (clientHeight - this.imageHeight * this.scale) / 2;
    this.applyTransform();
  }

  /**
   * The image region in the viewport, in image pixels (clamped to the image, at least one pixel)
   * and the zoom: `{zoom, top, left, bottom, right}`.
   */
  visibleRegion() {
    const { clientWidth, clientHeight } = this.viewport;
    const at = (v, max) => clamp(v, 0, max);
    const left = at(Math.floor(-this.offsetX / this.scale), this.imageWidth - 1);
    const top = at(Math.floor(-this.offsetY / this.scale), this.imageHeight - 1);
    const right = Math.max(left + 1, at(Math.ceil((clientWidth - this.offsetX) / this.scale), this.imageWidth));
    const bottom = Math.max(top + 1, at(Math.ceil((clientHeight - this.offsetY) / this.scale), this.imageHeight));
    return { zoom: this.scale, top, left, bottom, right };
  }

  /** Multiplies the zoom by `factor`, keeping viewport point (x, y) fixed. */
  zoomAt(factor, x, y) {
    const scale = clamp(this.scale * factor, MIN_SCALE, MAX_SCALE);
    const applied = scale / this.scale;
    this.offsetX = x - (x - this.offsetX) * applied;
    this.offsetY = y - (y - this.offsetY) * applied;
    this.scale = scale;
    this.applyTransform();
  }

  panBy(dx, dy) {
    this.offsetX += dx;
    this.offsetY += dy;
    this.applyTransform();
  }

  applyTransform() {
    this.placeCanvas();
    for (const listener of this.viewListeners) listener();
  }

  /** Sets the canvas's CSS transform from the zoom, the pan and the canvas's placement. */
  placeCanvas() {
    const { x, y, factor } = this.placement;
    const left = this.offsetX + x * this.scale;
    const top = this.offsetY + y * this.scale;
    this.canvas.style.transform = `translate(${left}px, ${top}px) scale(${this.scale * factor})`;
  }

  /** The zoom (screen px per image px) and the image point (x = col, y = row) at the viewport's centre. */
  view() {
    return {
      zoom: this.scale,
      cx: (this.viewport.clientWidth / 2 - this.offsetX) / this.scale,
      cy: (this.viewport.clientHeight / 2 - this.offsetY) / this.scale,
    };
  }

  /** Zooms to `zoom` with image point (cx, cy) at the viewport's centre. */
  setView({ zoom, cx, cy }) {
    this.scale = clamp(zoom, MIN_SCALE, MAX_SCALE);
    this.offsetX = this.viewport.clientWidth / 2 - cx * this.scale;
    this.offsetY = this.viewport.clientHeight / 2 - cy * this.scale;
    this.applyTransform();
  }

  /** Image pixel (row, col) under viewport point (x, y), or null outside the image. */
  pixelAt(x, y) {
    const col = Math.floor((x - this.offsetX) / this.scale);
    const row = Math.floor((y - this.offsetY) / this.scale);
    if (row < 0 || col < 0 || row >= this.imageHeight || col >= this.imageWidth) return null;
    return { row, col };
  }

  onWheel(event) {
    event.preventDefault();
    const { x, y } = this.localPoint(event);
    const steps = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? event.deltaY * 16 : event.deltaY;
    this.zoomAt(Math.exp(-steps * 0.0015), x, y);
    this.showTooltipAt(x, y);
  }

  onPointerDown(event) {
    if (event.button !== 0) return;
    this.viewport.setPointerCapture(event.pointerId);
    this.drag = { x: event.clientX, y: event.clientY };
    this.viewport.classList.add('dragging');
  }

  onPointerMove(event) {
    const { x, y } = this.localPoint(event);
    this.marker.hidden = true;
    if (this.drag) {
      this.panBy(event.clientX - this.drag.x, event.clientY - this.drag.y);
      this.drag = { x: event.clientX, y: event.clientY };
    }
    this.showTooltipAt(x, y);
  }

  onPointerUp(event) {
    if (!this.drag) return;
    this.drag = null;
    this.viewport.classList.remove('dragging');
    if (this.viewport.hasPointerCapture(event.pointerId)) this.viewport.releasePointerCapture(event.pointerId);
  }

  onKey(event) {
    const centreX = this.viewport.clientWidth / 2;
    const centreY = this.viewport.clientHeight / 2;
    const actions = {
      ArrowLeft: () => this.panBy(KEY_PAN_PX, 0),
      ArrowRight: () => this.panBy(-KEY_PAN_PX, 0),
      ArrowUp: () => this.panBy(0, KEY_PAN_PX),
      ArrowDown: () => this.panBy(0, -KEY_PAN_PX),
      '+': () => this.zoomAt(KEY_ZOOM, centreX, centreY),
      '=': () => this.zoomAt(KEY_ZOOM, centreX, centreY),
      '-': () => this.zoomAt(1 / KEY_ZOOM, centreX, centreY),
      0: () => this.fit(),
    };
    const action = actions[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
    // keyboard users explore through the cell under the viewport centre (read out by screen
    // readers), marked on the map
    this.marker.style.left = `${centreX}px`;
    this.marker.style.top = `${centreY}px`;
    this.marker.hidden = false;
    this.showTooltipAt(centreX, centreY).then(() => {
      this.announcer.textContent = this.tooltip.hidden ? '' : this.tooltip.textContent.replaceAll('\n', ', ');
    });
  }

  localPoint(event) {
    const box = this.viewport.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  /**
   * Shows the tooltip of the pixel at viewport point (x, y). The description comes back
   * asynchronously (from the worker); one that arrives after the pointer moved on is dropped.
   */
  async showTooltipAt(x, y) {
    const pointer = { x, y };
    this.lastPointer = pointer;
    const pixel = this.pixelAt(x, y);
    const text = pixel && await this.describePixel(pixel.row, pixel.col);
    if (this.lastPointer !== pointer) return;
    if (!text) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const right = x + 16 + this.tooltip.offsetWidth > this.viewport.clientWidth;
    const below = y + 16 + this.tooltip.offsetHeight > this.viewport.clientHeight;
    this.tooltip.style.left = `${right ? x - 12 - this.tooltip.offsetWidth : x + 16}px`;
    this.tooltip.style.top = `${below ? y - 12 - this.tooltip.offsetHeight : y + 16}px`;
  }

  /** Re-describes the pixel under the last pointer position (the values may have changed). */
  refreshTooltip() {
    if (this.lastPointer && !this.tooltip.hidden) this.showTooltipAt(this.lastPointer.x, this.lastPointer.y);
  }

  hideTooltip() {
    this.lastPointer = null;
    this.tooltip.hidden = true;
    this.marker.hidden = true;
  }
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
