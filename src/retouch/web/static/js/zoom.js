// Zoom and pan of a picture inside its frame. Ctrl+wheel (a trackpad pinch) or a two-finger
// pinch zooms about the pointer; two fingers, a plain wheel when zoomed, space+drag or the
// middle button pan; + − 0 and the arrows work on the focused frame. Everything drawn on the
// stage shares its one transform, so a paint layer stays on the picture's pixels at any zoom.

const MIN_ZOOM = 1;
const MAX_ZOOM = 32;

export class ZoomPan {
  /** `view`: the frame (clips); `stage`: what is zoomed (transform-origin 0 0). */
  constructor(view, stage, { zoomIn, zoomOut, zoomFit, zoomValue, onChange = () => {}, onGesture = () => {} } = {}) {
    Object.assign(this, { view, stage, zoomValue, onChange, onGesture });
    this.zoom = 1;
    this.tx = 0;
    this.ty = 0;
    this.space = false; // space held over the frame: drags pan
    this.hover = false;
    this.touches = new Map(); // pointerId -> {x, y}, for two-finger gestures
    this.pan = null; // {id, x, y} while a pointer pans
    zoomIn?.addEventListener("click", () => this.zoomBy(1.5));
    zoomOut?.addEventListener("click", () => this.zoomBy(1 / 1.5));
    zoomFit?.addEventListener("click", () => this.fit());
    this._bindPointer();
    this._bindKeys();
    new ResizeObserver(() => this._apply()).observe(view);
  }

  fit() {
    this.zoom = 1;
    this.tx = 0;
    this.ty = 0;
    this._apply();
  }

  /** Zoom by `factor` keeping the point (cx, cy) of the frame (default: its centre) in place. */
  zoomBy(factor, cx, cy) {
    const r = this.view.getBoundingClientRect();
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

  /** Whether pointer events now belong to the view (panning or a pinch), not to drawing. */
  busy() {
    return !!this.pan || this.touches.size >= 2 || this.space;
  }

  _apply() {
    const r = this.view.getBoundingClientRect();
    // The picture always covers the frame: no panning into emptiness.
    this.tx = Math.min(0, Math.max(r.width * (1 - this.zoom), this.tx));
    this.ty = Math.min(0, Math.max(r.height * (1 - this.zoom), this.ty));
    this.stage.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.zoom})`;
    if (this.zoomValue) this.zoomValue.textContent = `${Math.round(this.zoom * 100)}%`;
    this.view.classList.toggle("zoomed", this.zoom > 1);
    this.view.classList.toggle("pixels", this.zoom >= 4);
    this.onChange();
  }

  _local(ev) {
    const r = this.view.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  _bindPointer() {
    const v = this.view;
    // Capture phase: a pan or a pinch is claimed before the paint layer sees the event.
    v.addEventListener("pointerdown", (ev) => {
      if (ev.pointerType === "touch") {
        this.touches.set(ev.pointerId, this._local(ev));
        if (this.touches.size === 2) {
          this.onGesture(); // a second finger: the first one's stroke was the start of a pinch
          for (const id of this.touches.keys()) v.setPointerCapture?.(id);
          ev.stopPropagation();
          ev.preventDefault();
        }
        return;
      }
      if (ev.button === 1 || (ev.button === 0 && this.space)) {
        ev.stopPropagation();
        ev.preventDefault();
        v.setPointerCapture(ev.pointerId);
        this.pan = { id: ev.pointerId, ...this._local(ev) };
        v.classList.add("panning");
      }
    }, { capture: true });
    v.addEventListener("pointermove", (ev) => {
      if (ev.pointerType === "touch" && this.touches.has(ev.pointerId)) {
        const before = [...this.touches.values()];
        this.touches.set(ev.pointerId, this._local(ev));
        if (this.touches.size < 2) return;
        ev.stopPropagation();
        const after = [...this.touches.values()];
        const mid = (p) => ({ x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 });
        const dist = (p) => Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y) || 1;
        const m0 = mid(before);
        const m1 = mid(after);
        this.zoomBy(dist(after) / dist(before), m0.x, m0.y);
        this.panBy(m1.x - m0.x, m1.y - m0.y);
        return;
      }
      if (this.pan && ev.pointerId === this.pan.id) {
        ev.stopPropagation();
        const p = this._local(ev);
        this.panBy(p.x - this.pan.x, p.y - this.pan.y);
        Object.assign(this.pan, p);
      }
    }, { capture: true });
    const end = (ev) => {
      if (this.touches.delete(ev.pointerId) && this.touches.size >= 1) ev.stopPropagation();
      if (this.pan && ev.pointerId === this.pan.id) {
        ev.stopPropagation();
        this.pan = null;
        v.classList.remove("panning");
      }
    };
    v.addEventListener("pointerup", end, { capture: true });
    v.addEventListener("pointercancel", end, { capture: true });
    v.addEventListener("pointerenter", () => { this.hover = true; });
    v.addEventListener("pointerleave", () => { this.hover = false; });
    // Ctrl+wheel (and a trackpad pinch, which Chrome reports as ctrl+wheel) zooms; once zoomed
    // a plain wheel (a two-finger trackpad scroll) pans; at fit size it scrolls the page.
    v.addEventListener("wheel", (ev) => {
      if (ev.ctrlKey || ev.metaKey) {
        ev.preventDefault();
        const p = this._local(ev);
        this.zoomBy(Math.exp(-ev.deltaY / 300), p.x, p.y);
      } else if (this.zoom > 1) {
        ev.preventDefault();
        this.panBy(-ev.deltaX, -ev.deltaY);
      }
    }, { passive: false });
  }

  _bindKeys() {
    // Space held over (or in) the frame turns drags into pans, as in most editors; never while
    // typing. A focused button would take the space as a click (Undo again, Clear…), so the
    // frame takes the focus first.
    const typing = (el) => el && (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable
      || (el.tagName === "INPUT" && !/^(radio|checkbox|range|button|submit|file)$/.test(el.type)));
    document.addEventListener("keydown", (ev) => {
      const el = document.activeElement;
      if (ev.key !== " " || !(this.hover || el === this.view) || typing(el)) return;
      ev.preventDefault(); // not a page scroll, not a click
      if (el !== this.view) this.view.focus({ preventScroll: true });
      if (!this.space) { this.space = true; this.view.classList.add("grab"); this.onChange(); }
    });
    document.addEventListener("keyup", (ev) => {
      if (ev.key !== " " || !this.space) return;
      this.space = false;
      this.view.classList.remove("grab");
      this.onChange();
    });
    window.addEventListener("blur", () => { this.space = false; this.view.classList.remove("grab"); });
    this.view.addEventListener("keydown", (ev) => {
      const step = ev.shiftKey ? 100 : 30;
      const keys = {
        "+": () => this.zoomBy(1.5),
        "=": () => this.zoomBy(1.5),
        "-": () => this.zoomBy(1 / 1.5),
        0: () => this.fit(),
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
      };
      const fn = keys[ev.key];
      if (fn && (this.zoom > 1 || !ev.key.startsWith("Arrow"))) { ev.preventDefault(); fn(); }
    });
  }
}
