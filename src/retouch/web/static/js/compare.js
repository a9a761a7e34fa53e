// Before/after comparison with a split slider, zoom and pan. Both images share one transform,
// so the same spot of each stays under the split line at any zoom.

const MIN_ZOOM = 1;
const MAX_ZOOM = 16;

export class Compare {
  constructor({ box, before, after, afterLayer, handle, split, zoomIn, zoomOut, zoomFit, zoomValue, tags }) {
    Object.assign(this, { box, before, after, afterLayer, handle, split, zoomValue, tags });
    this.zoom = 1;
    this.tx = 0;
    this.ty = 0;
    this.pos = 50;
    split.addEventListener("input", () => this.setSplit(Number(split.value)));
    zoomIn.addEventListener("click", () => this.zoomBy(1.5));
    zoomOut.addEventListener("click", () => this.zoomBy(1 / 1.5));
    zoomFit.addEventListener("click", () => this.fit());
    this._bindPointer();
    this._bindKeys();
    this.setSplit(50);
  }

  /** Compare two images; the box takes the result's aspect ratio (`ratio` = width / height). */
  async show(beforeUrl, afterUrl, ratio = 1.5, { beforeLabel = "Before", afterLabel = "After" } = {}) {
    this.box.hidden = false;
    this.box.style.setProperty("--ratio", String(ratio));
    this.tags?.before && (this.tags.before.textContent = beforeLabel);
    this.tags?.after && (this.tags.after.textContent = afterLabel);
    this.before.src = beforeUrl;
    this.after.src = afterUrl;
    await Promise.all([this.before.decode().catch(() => {}), this.after.decode().catch(() => {})]);
    this.fit();
  }

  /** Nothing to compare: no images (never a broken one), the box hidden. */
  clear() {
    this.box.hidden = true;
    this.before.removeAttribute("src");
    this.after.removeAttribute("src");
    this.fit();
  }

  setSplit(pct) {
    this.pos = Math.max(0, Math.min(100, pct));
    this.split.value = String(Math.round(this.pos));
    this.split.setAttribute("aria-valuetext", `${Math.round(this.pos)}% before, ${100 - Math.round(this.pos)}% after`);
    // Before on the left of the line, after on the right.
    this.afterLayer.style.clipPath = `inset(0 0 0 ${this.pos}%)`;
    this.handle.style.left = `${this.pos}%`;
  }

  fit() {
    this.zoom = 1;
    this.tx = 0;
    this.ty = 0;
    this._apply();
  }

  /** Zoom by `factor` keeping the point (cx, cy) of the box (default: its centre) in place. */
  zoomBy(factor, cx, cy) {
    const r = this.box.getBoundingClientRect();
    cx ??= r.width / 2;
    cy ??= r.height / 2;
    const z = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.zoom * factor));
    const k = z / this.zoom;
    this.tx = cx - (cx - this.tx) * k;
    this.ty = cy - (cy - this.ty) * k;
    this.zoom = z;
    this._apply();
  }

  panBy(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    this._apply();
  }

  _apply() {
    const r = this.box.getBoundingClientRect();
    // Keep the image covering the box: no panning into emptiness.
    const minX = r.width * (1 - this.zoom);
    const minY = r.height * (1 - this.zoom);
    this.tx = Math.min(0, Math.max(minX, this.tx));
    this.ty = Math.min(0, Math.max(minY, this.ty));
    const t = `translate(${this.tx}px, ${this.ty}px) scale(${this.zoom})`;
    this.before.style.transform = t;
    this.after.style.transform = t;
    this.zoomValue.textContent = `${Math.round(this.zoom * 100)}%`;
    this.box.classList.toggle("pixels", this.zoom >= 4);
  }

  _bindPointer() {
    let drag = null;
    this.box.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      this.box.setPointerCapture(ev.pointerId);
      const r = this.box.getBoundingClientRect();
      const nearLine = Math.abs(ev.clientX - r.left - (this.pos / 100) * r.width) < 24;
      // At fit size a drag moves the split; zoomed in, it pans (unless it grabs the line).
      drag = { x: ev.clientX, y: ev.clientY, split: this.zoom === 1 || nearLine };
      if (drag.split) this.setSplit(((ev.clientX - r.left) / r.width) * 100);
      else this.box.classList.add("panning");
    });
    this.box.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const r = this.box.getBoundingClientRect();
      if (drag.split) this.setSplit(((ev.clientX - r.left) / r.width) * 100);
      else this.panBy(ev.clientX - drag.x, ev.clientY - drag.y);
      drag.x = ev.clientX;
      drag.y = ev.clientY;
    });
    const end = () => { drag = null; this.box.classList.remove("panning"); };
    this.box.addEventListener("pointerup", end);
    this.box.addEventListener("pointercancel", end);
    // Ctrl+wheel (and trackpad pinch, which Chrome reports as ctrl+wheel) zooms; a plain
    // wheel keeps scrolling the page.
    this.box.addEventListener("wheel", (ev) => {
      if (!ev.ctrlKey && !ev.metaKey && this.zoom === 1) return;
      ev.preventDefault();
      const r = this.box.getBoundingClientRect();
      this.zoomBy(Math.exp(-ev.deltaY / 300), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    this.box.addEventListener("dblclick", (ev) => {
      const r = this.box.getBoundingClientRect();
      if (this.zoom > 1) this.fit(); else this.zoomBy(2, ev.clientX - r.left, ev.clientY - r.top);
    });
  }

  _bindKeys() {
    this.box.addEventListener("keydown", (ev) => {
      const step = ev.shiftKey ? 100 : 30;
      const zoomed = this.zoom > 1;
      const keys = {
        "+": () => this.zoomBy(1.5),
        "=": () => this.zoomBy(1.5),
        "-": () => this.zoomBy(1 / 1.5),
        0: () => this.fit(),
        ArrowLeft: () => (zoomed ? this.panBy(step, 0) : this.setSplit(this.pos - 5)),
        ArrowRight: () => (zoomed ? this.panBy(-step, 0) : this.setSplit(this.pos + 5)),
        ArrowUp: () => zoomed && this.panBy(0, step),
        ArrowDown: () => zoomed && this.panBy(0, -step),
      };
      const fn = keys[ev.key];
      if (fn) { ev.preventDefault(); fn(); }
    });
  }
}
