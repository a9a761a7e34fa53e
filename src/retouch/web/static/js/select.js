// Click to select: with the Select tool, a click on the image asks the server for a mask of the
// object under it (POST /v1/images/select) and makes it the painted area. Shift-click adds the
// object to the painted area, Alt-click takes it away; the brush and eraser still refine it,
// and Undo takes a selection back like a stroke.
//
// The picture sent is the preview the mask view shows (its pixels, its size, drawn to a PNG),
// so the click and the mask need no conversion beyond the preview's scale; the mask comes back as a grayscale
// PNG (white = selected) and becomes the paint layer's alpha through MaskPainter.applyMask.

import { ApiError } from "./api.js";
import { announce } from "./dom.js";

export const TOOL = "select";
const FINDING = "Finding the object you clicked…";

export class ClickSelect {
  /** `mask` is the MaskPainter; `onError(err)` shows a failed selection; `status` is the element
   * whose text says what the tool is doing. */
  constructor(mask, { onError = () => {}, status = null } = {}) {
    Object.assign(this, { mask, onError, status });
    this.busy = false;
    this._blob = null; // the preview's bytes, fetched once per picture
    this._blobUrl = null;
    mask.registerTool(TOOL, { down: (p, ev) => this.select(p, ev) });
    for (const r of document.querySelectorAll("input[name=mask-tool]")) {
      r.addEventListener("change", () => this._cursor());
    }
  }

  _cursor() {
    const c = this.mask.canvas;
    c.style.cursor = this.mask.tool !== TOOL ? "" : this.busy ? "progress" : "crosshair";
  }

  /** Select the object at `p` (the image's real pixels) and apply it: replace, or with Shift
   * add and with Alt subtract. Resolves when the painted area has changed (or on error). */
  async select(p, ev = {}) {
    if (this.busy) return;
    const mode = ev.altKey ? "subtract" : ev.shiftKey ? "add" : "replace";
    const img = this.mask.img;
    if (!img.naturalWidth || !this.mask.realWidth) return;
    this.busy = true;
    this._cursor();
    this.mask.view.setAttribute("aria-busy", "true");
    const before = this.status?.textContent;
    this._say(FINDING);
    try {
      const sx = img.naturalWidth / this.mask.realWidth;
      const sy = img.naturalHeight / this.mask.realHeight;
      const x = Math.min(img.naturalWidth - 1, Math.max(0, Math.floor(p.x * sx)));
      const y = Math.min(img.naturalHeight - 1, Math.max(0, Math.floor(p.y * sy)));
      const form = new FormData();
      form.append("image", await this._picture(img), "image.png");
      form.append("point", `${x},${y}`);
      const res = await fetch("/v1/images/select", { method: "POST", body: form, credentials: "same-origin" });
      if (!res.ok) {
        let body = {};
        try { body = (await res.json()).error || {}; } catch { body = {}; }
        throw new ApiError(res.status, body, Number(res.headers.get("retry-after")) || null);
      }
      const selected = await alphaFromWhite(await res.blob());
      this.mask.applyMask(selected, { mode });
      const verb = { replace: "Selected", add: "Added", subtract: "Took away" }[mode];
      announce(`${verb} the object at the click.`);
    } catch (e) {
      this.onError(e instanceof ApiError ? e : new ApiError(0, { message: `Selecting failed: ${e.message || e}` }));
    } finally {
      this.busy = false;
      this._cursor();
      this.mask.view.removeAttribute("aria-busy");
      if (this.status?.textContent === FINDING) this._say(before); // unless the new mask's text replaced it
    }
  }

  /** The picture the mask view shows, as a PNG Blob (cached while it stays the same). It is
   * drawn from the <img> rather than fetched: the page's policy lets scripts connect to the
   * server only, not to the blob: URL of a local file. */
  async _picture(img) {
    const url = img.currentSrc || img.src;
    if (this._blob && this._blobUrl === url) return this._blob;
    const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    c.getContext("2d").drawImage(img, 0, 0);
    this._blob = await c.convertToBlob({ type: "image/png" });
    this._blobUrl = url;
    return this._blob;
  }

  _say(text) {
    if (this.status) this.status.textContent = text;
  }
}

/** A grayscale mask (white = selected) as a canvas whose alpha is that gray. */
async function alphaFromWhite(blob) {
  const bitmap = await createImageBitmap(blob);
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(bitmap, 0, 0);
  const px = g.getImageData(0, 0, c.width, c.height);
  const d = px.data;
  for (let i = 0; i < d.length; i += 4) {
    d[i + 3] = d[i];
    d[i] = d[i + 1] = d[i + 2] = 0;
  }
  g.putImageData(px, 0, 0);
  bitmap.close();
  return c;
}
