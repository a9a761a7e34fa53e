// The mask view: the image being edited with a paint layer over it, zoomable and pannable
// (zoom.js), a brush outline the size of the brush at the current zoom, and the mask's export
// as the API's RGBA PNG (alpha 0 = edit, alpha 255 = keep, bit for bit).
//
// The paint layer has the preview's pixels (at most 1600 px a side; the image's own pixels
// below that) and is scaled to the image's real size only when sent. Sizes the user sets
// (brush, feather) are in the image's pixels, so they mean the same at every zoom.
//
// Other ways of making a mask plug in with two hooks: `registerTool(name, handler)` gets the
// clicks of a tool in image coordinates, and `applyMask(source, {mode})` sets the painted area
// from any picture's alpha (one undo step).

import { ZoomPan } from "./zoom.js";

const UNDO_DEPTH = 30;
export const PAINT_SIDE = 1600;
const PAINT = "rgb(255, 64, 96)";

export class MaskPainter {
  constructor({ view, stage, img, canvas, cursor, zoomIn, zoomOut, zoomFit, zoomValue }, { onChange = () => {} } = {}) {
    Object.assign(this, { view, stage, img, canvas, cursor, onChange });
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.tool = "brush";
    this.tools = new Map(); // name -> {down(point, ev)} for tools that are not brush or eraser
    this.size = 40; // brush diameter, in image pixels
    this.feather = 0; // in image pixels; applied when the mask is made
    this.undoStack = [];
    this.painted = false;
    this.drawing = null;
    this.realWidth = 0;
    this.realHeight = 0;
    this._seq = 0;
    this.zoom = new ZoomPan(view, stage, {
      zoomIn, zoomOut, zoomFit, zoomValue,
      onChange: () => this._drawCursor(),
      onGesture: () => this._cancelStroke(),
    });
    this._bind();
    new ResizeObserver(() => this._showFeather()).observe(view);
  }

  /** Show `url` (a preview) for an image whose real size is `width`×`height`. */
  async setImage(url, width, height) {
    const seq = ++this._seq;
    this.view.style.setProperty("--ratio", String(width / height));
    this.view.classList.add("has-image");
    this.img.hidden = false;
    this.canvas.hidden = false;
    if (this.img.getAttribute("src") !== url) {
      this.img.src = url;
      await this.img.decode().catch(() => {});
      if (seq !== this._seq) return; // another image was set meanwhile: it wins
    }
    this.realWidth = width;
    this.realHeight = height;
    const s = Math.min(1, PAINT_SIDE / Math.max(width, height));
    this.canvas.width = Math.max(1, Math.round(width * s));
    this.canvas.height = Math.max(1, Math.round(height * s));
    this.reset();
    this.zoom.fit();
    this._showFeather();
  }

  hide() {
    this._seq++;
    this.img.hidden = true;
    this.canvas.hidden = true;
    this.view.classList.remove("has-image");
    this.img.removeAttribute("src");
    this.realWidth = this.realHeight = 0;
    this.reset();
    this.zoom.fit();
  }

  reset() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.undoStack = [];
    this.drawing = null;
    this._setPainted(false);
  }

  hasMask() {
    return this.painted;
  }

  canUndo() {
    return this.undoStack.length > 0;
  }

  /** The largest sensible brush for the image: a quarter of its long side (at least 200 px). */
  maxSize() {
    return Math.max(200, Math.round(Math.max(this.realWidth, this.realHeight) / 4));
  }

  setSize(px) {
    this.size = px;
    this._drawCursor();
  }

  setFeather(px) {
    this.feather = px;
    this._showFeather();
  }

  undo() {
    const snap = this.undoStack.pop();
    if (!snap) return;
    this.ctx.putImageData(snap, 0, 0);
    this._measure();
  }

  clear() {
    if (!this.painted) return;
    this._snapshot();
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this._setPainted(false);
  }

  invert() {
    this._snapshot();
    const { width, height } = this.canvas;
    const copy = new OffscreenCanvas(width, height);
    copy.getContext("2d").drawImage(this.canvas, 0, 0);
    this.ctx.save();
    this.ctx.globalCompositeOperation = "copy";
    this.ctx.fillStyle = PAINT;
    this.ctx.fillRect(0, 0, width, height);
    this.ctx.globalCompositeOperation = "destination-out";
    this.ctx.drawImage(copy, 0, 0);
    this.ctx.restore();
    this._measure();
  }

  /** Set the painted area from `source`'s alpha (any size; scaled to the image): `replace`
   * it, `add` to it or `subtract` from it. One undo step. */
  applyMask(source, { mode = "replace" } = {}) {
    if (!this.realWidth) return;
    this._snapshot();
    const { width, height } = this.canvas;
    const tinted = new OffscreenCanvas(width, height);
    const t = tinted.getContext("2d");
    t.drawImage(source, 0, 0, width, height);
    t.globalCompositeOperation = "source-in";
    t.fillStyle = PAINT;
    t.fillRect(0, 0, width, height);
    this.ctx.save();
    if (mode === "replace") this.ctx.clearRect(0, 0, width, height);
    this.ctx.globalCompositeOperation = mode === "subtract" ? "destination-out" : "source-over";
    this.ctx.drawImage(tinted, 0, 0);
    this.ctx.restore();
    this._measure();
  }

  /** A tool other than brush and eraser: `handler.down({x, y}, ev)` gets its clicks, in the
   * image's real pixels. Select it by setting `tool` to `name`. */
  registerTool(name, handler) {
    this.tools.set(name, handler);
  }

  /** Where a point of the screen falls on the image, in its real pixels (null: outside). */
  toImagePoint(clientX, clientY) {
    const r = this.canvas.getBoundingClientRect();
    if (!r.width || !this.realWidth) return null;
    const x = ((clientX - r.left) / r.width) * this.realWidth;
    const y = ((clientY - r.top) / r.height) * this.realHeight;
    return x < 0 || y < 0 || x >= this.realWidth || y >= this.realHeight ? null : { x, y };
  }

  /** The mask as a PNG blob at the image's real size: alpha 0 where painted, 255 elsewhere. */
  async toBlob() {
    const w = this.realWidth;
    const h = this.realHeight;
    const out = new OffscreenCanvas(w, h);
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, w, h);
    ctx.globalCompositeOperation = "destination-out";
    // A Gaussian of sigma = feather / 2 fades over about `feather` pixels on each side.
    if (this.feather > 0) ctx.filter = `blur(${this.feather / 2}px)`;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.canvas, 0, 0, w, h);
    return out.convertToBlob({ type: "image/png" });
  }

  // ---- painting

  _bind() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || this.zoom.busy()) return;
      const custom = this.tools.get(this.tool);
      if (custom) {
        const p = this.toImagePoint(ev.clientX, ev.clientY);
        if (p) custom.down(p, ev);
        return;
      }
      c.setPointerCapture(ev.pointerId);
      this._snapshot();
      const p = this._point(ev);
      this.drawing = { id: ev.pointerId, ...p };
      this._stroke(p, p);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!this.drawing || ev.pointerId !== this.drawing.id) return;
      // Coalesced events keep fast strokes continuous on high-rate pointers.
      const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [];
      for (const e of events.length ? events : [ev]) {
        const p = this._point(e);
        this._stroke(this.drawing, p);
        Object.assign(this.drawing, p);
      }
    });
    const end = (ev) => {
      if (!this.drawing || ev.pointerId !== this.drawing.id) return;
      this.drawing = null;
      this._measure();
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    // The brush outline follows the pointer over the frame.
    this.view.addEventListener("pointermove", (ev) => { this.pointer = ev.pointerType === "touch" && !this.drawing ? null : ev; this._drawCursor(); });
    this.view.addEventListener("pointerleave", () => { this.pointer = null; this._drawCursor(); });
  }

  /** A second finger came down: the stroke the first one started is undone (it is a pinch). */
  _cancelStroke() {
    if (!this.drawing) return;
    this.drawing = null;
    this.undo();
  }

  _point(ev) {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((ev.clientX - r.left) / r.width) * this.canvas.width,
      y: ((ev.clientY - r.top) / r.height) * this.canvas.height,
    };
  }

  _stroke(a, b) {
    const ctx = this.ctx;
    ctx.save();
    ctx.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = PAINT;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = this.size * (this.canvas.width / this.realWidth);
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y); // a zero-length line draws nothing; a dot needs a hair of length
    ctx.stroke();
    ctx.restore();
  }

  /** Screen pixels per image pixel at the current zoom. */
  _scale() {
    return this.realWidth ? this.canvas.getBoundingClientRect().width / this.realWidth : 0;
  }

  /** The brush outline: a circle of the brush's diameter at the current zoom, at the pointer
   * (or in the middle of the frame while the size is being changed). */
  _drawCursor(centre = false) {
    const el = this.cursor;
    const painting = this.tool === "brush" || this.tool === "eraser";
    const at = centre ? "centre" : this.pointer;
    if (!at || !painting || !this.realWidth || this.zoom.busy() || this.canvas.hidden) {
      el.hidden = true;
      return;
    }
    const r = this.view.getBoundingClientRect();
    const d = this.size * this._scale();
    const x = at === "centre" ? r.width / 2 : at.clientX - r.left;
    const y = at === "centre" ? r.height / 2 : at.clientY - r.top;
    el.hidden = false;
    el.style.width = el.style.height = `${d}px`;
    el.style.transform = `translate(${x - d / 2}px, ${y - d / 2}px)`;
    el.classList.toggle("eraser", this.tool === "eraser");
  }

  /** Show the brush outline in the middle of the frame for a moment (the size slider moved). */
  previewSize() {
    this._drawCursor(true);
    clearTimeout(this._previewTimer);
    this._previewTimer = setTimeout(() => this._drawCursor(), 900);
  }

  _showFeather() {
    // Show the softness live, at the canvas's laid-out size (the zoom scales it with the stage).
    const px = this.realWidth ? (this.feather / 2) * (this.canvas.offsetWidth / this.realWidth) : 0;
    this.canvas.style.filter = px > 0 ? `blur(${px}px)` : "";
  }

  _snapshot() {
    this.undoStack.push(this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height));
    if (this.undoStack.length > UNDO_DEPTH) this.undoStack.shift();
    this.onChange();
  }

  /** Whether anything is painted: read back once per stroke, not per pointer move. */
  _measure() {
    const { data } = this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
    let any = false;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) { any = true; break; }
    this._setPainted(any);
  }

  _setPainted(v) {
    this.painted = v;
    this.onChange();
  }
}
