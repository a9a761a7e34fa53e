// Mask painting over the image being edited. The paint layer lives at preview resolution
// (at most 1600 px a side) and is scaled to the image's real size only when sent, as an RGBA
// PNG in the API's convention: alpha 0 = edit, alpha 255 = keep (bit for bit).

const UNDO_DEPTH = 30;

export class MaskPainter {
  constructor(canvas, img, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.img = img;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.onChange = onChange;
    this.tool = "brush";
    this.size = 40; // CSS pixels on screen: what the user sees is what they paint
    this.feather = 0; // CSS pixels too; applied when the mask is made
    this.undoStack = [];
    this.painted = false;
    this.drawing = null;
    this._bind();
    new ResizeObserver(() => this._fit()).observe(img);
  }

  /** Show `url` (a preview) for an image whose real size is `width`×`height`. */
  async setImage(url, width, height) {
    this.realWidth = width;
    this.realHeight = height;
    this.img.style.setProperty("--ratio", String(width / height));
    this.img.hidden = false;
    this.canvas.hidden = false;
    if (this.img.src !== url) {
      this.img.src = url;
      await this.img.decode().catch(() => {});
    }
    // The paint layer has the preview's pixels; its aspect ratio is the image's.
    const s = Math.min(1, 1600 / Math.max(width, height));
    this.canvas.width = Math.max(1, Math.round(width * s));
    this.canvas.height = Math.max(1, Math.round(height * s));
    this.reset();
    this._fit();
  }

  hide() {
    this.img.hidden = true;
    this.canvas.hidden = true;
    this.img.removeAttribute("src");
    this.reset();
  }

  reset() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.undoStack = [];
    this._setPainted(false);
  }

  hasMask() {
    return this.painted;
  }

  canUndo() {
    return this.undoStack.length > 0;
  }

  setFeather(px) {
    this.feather = px;
    // Show the softness live; the same blur (scaled) is applied to the mask that is sent.
    // A Gaussian of sigma = feather / 2 fades over about `feather` pixels on each side.
    this.canvas.style.filter = px > 0 ? `blur(${px / 2}px)` : "";
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
    this.ctx.fillStyle = this._paint();
    this.ctx.fillRect(0, 0, width, height);
    this.ctx.globalCompositeOperation = "destination-out";
    this.ctx.drawImage(copy, 0, 0);
    this.ctx.restore();
    this._measure();
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
    const scale = w / this.canvas.width;
    const cssToCanvas = this.canvas.width / (this.canvas.getBoundingClientRect().width || this.canvas.width);
    if (this.feather > 0) ctx.filter = `blur(${(this.feather / 2) * cssToCanvas * scale}px)`;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.canvas, 0, 0, w, h);
    return out.convertToBlob({ type: "image/png" });
  }

  // ---- painting

  _paint() {
    return "rgb(255, 64, 96)";
  }

  _bind() {
    const c = this.canvas;
    c.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      c.setPointerCapture(ev.pointerId);
      this._snapshot();
      const p = this._point(ev);
      this.drawing = p;
      this._stroke(p, p);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!this.drawing) return;
      // Coalesced events keep fast strokes continuous on high-rate pointers.
      const events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [ev];
      for (const e of events.length ? events : [ev]) {
        const p = this._point(e);
        this._stroke(this.drawing, p);
        this.drawing = p;
      }
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = null;
      this._measure();
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
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
    const r = this.canvas.getBoundingClientRect();
    ctx.save();
    ctx.globalCompositeOperation = this.tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = this._paint();
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = this.size * (this.canvas.width / (r.width || this.canvas.width));
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y); // a zero-length line draws nothing; a dot needs a hair of length
    ctx.stroke();
    ctx.restore();
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

  _fit() {
    // The canvas covers the image exactly, wherever layout put it.
    const w = this.img.clientWidth;
    const h = this.img.clientHeight;
    if (!w || !h) return;
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
  }
}
