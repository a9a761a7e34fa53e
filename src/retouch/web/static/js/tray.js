// The images of the next edit: drop, pick or paste up to 16; the first is edited, the others
// are references. Each is uploaded at once (POST /v1/files) so that a bad file is reported
// next to it before anything runs, and previewed downscaled: a 24-megapixel photo is never
// drawn at full size in the page.

import { api, ApiError } from "./api.js";
import { h, fmtBytes, announce } from "./dom.js";
import { plainWords } from "./errors.js";

export const PREVIEW_SIDE = 1600;
const THUMB_SIDE = 112;
const ACCEPTED = /^image\/(png|jpeg|webp|gif|bmp|tiff)$/;
const SLOT_TYPE = "application/x-retouch-slot";

let nextKey = 1;

/** Downscaled renditions of an image blob: {width, height, preview, thumb} (object URLs).
 * createImageBitmap applies EXIF orientation, as the server does. */
export async function renditions(blob) {
  const bmp = await createImageBitmap(blob);
  const { width, height } = bmp;
  const scaled = async (side, type, quality) => {
    const s = Math.min(1, side / Math.max(width, height));
    const w = Math.max(1, Math.round(width * s));
    const h2 = Math.max(1, Math.round(height * s));
    const canvas = new OffscreenCanvas(w, h2);
    canvas.getContext("2d").drawImage(bmp, 0, 0, w, h2);
    return URL.createObjectURL(await canvas.convertToBlob({ type, quality }));
  };
  // Small enough images are their own preview: no re-encoding, exact pixels in the mask view.
  const small = Math.max(width, height) <= PREVIEW_SIDE && /^image\/(png|jpeg|webp|gif)$/.test(blob.type);
  const preview = small ? URL.createObjectURL(blob) : await scaled(PREVIEW_SIDE, "image/webp", 0.9);
  const thumb = await scaled(THUMB_SIDE, "image/webp", 0.8);
  bmp.close();
  return { width, height, preview, thumb };
}

export class Tray {
  /** `notice`: {box, text, undo} elements where "removed · Undo" is offered. */
  constructor(listEl, { maxImages = 16, maxBytes = 50 * 1024 * 1024, onChange = () => {}, notice = null } = {}) {
    this.el = listEl;
    this.slots = [];
    this.maxImages = maxImages;
    this.maxBytes = maxBytes;
    this.onChange = onChange;
    this.dragFrom = null;
    this.notice = notice;
    this.undoable = null; // {slots, drop}: the tray before the last removal or replacement
    notice?.undo.addEventListener("click", () => this.undo());
  }

  /** Ready slots (uploaded, no error), in order. */
  ready() {
    return this.slots.filter((s) => s.status === "ready");
  }

  /** Offer to undo a change that took images out of the tray (`drop`: slots the change added). */
  offerUndo(text, before, { drop = [] } = {}) {
    this.undoable = { slots: before, drop };
    if (!this.notice) return;
    this.notice.text.textContent = text;
    this.notice.box.hidden = false;
  }

  dismissUndo() {
    this.undoable = null;
    if (this.notice) this.notice.box.hidden = true;
  }

  /** Put the tray back as it was before the last removal or replacement. */
  undo() {
    const u = this.undoable;
    if (!u) return;
    const added = this.slots.filter((s) => !u.slots.includes(s) && !u.drop.includes(s));
    this.slots = [...u.slots, ...added].slice(0, this.maxImages);
    const focusKey = document.activeElement === this.notice?.undo ? this.slots[0]?.key : null;
    this.dismissUndo();
    this.render();
    if (focusKey) this.el.querySelector(`li[data-key="${focusKey}"] button:not(:disabled)`)?.focus();
    announce("Undone: the images are back as they were.");
    this.onChange("restored");
  }

  first() {
    return this.slots[0] && this.slots[0].status === "ready" ? this.slots[0] : null;
  }

  /** Add files (from the picker, a drop or the clipboard). Returns how many were accepted. */
  addFiles(files, { errorEl } = {}) {
    const list = [...files];
    if (list.length) this.dismissUndo();
    const room = this.maxImages - this.slots.length;
    if (errorEl) errorEl.textContent = "";
    if (list.length > room) {
      if (errorEl) errorEl.textContent = `At most ${this.maxImages} images: ${list.length - Math.max(room, 0)} not added.`;
      list.splice(Math.max(room, 0));
    }
    for (const file of list) {
      const slot = { key: nextKey++, name: file.name || "pasted-image.png", bytes: file.size, status: "reading", error: "" };
      this.slots.push(slot);
      this.render();
      this._load(slot, file);
    }
    if (list.length) announce(`${list.length} image${list.length > 1 ? "s" : ""} added.`);
    return list.length;
  }

  /** A slot for an image already on the server (restored tray, or a reopened history). */
  addStored({ file_id, name, width, height, bytes, tree_id, previewUrl, thumbUrl }, { atStart = false } = {}) {
    const slot = {
      key: nextKey++, name, file_id, width, height, bytes, tree_id,
      preview: previewUrl, thumb: thumbUrl, status: previewUrl ? "ready" : "reading", error: "",
    };
    if (atStart) this.slots.unshift(slot); else this.slots.push(slot);
    this._keepRejectedLast();
    this.render();
    if (!previewUrl) this._fetchStored(slot);
    return slot;
  }

  async _fetchStored(slot) {
    try {
      const res = await fetch(`/v1/files/${slot.file_id}/content`, { credentials: "same-origin" });
      if (!res.ok) throw new ApiError(res.status, { message: "gone" });
      Object.assign(slot, await renditions(await res.blob()), { status: "ready" });
    } catch {
      // Uploads expire on the server after their retention; the image then has to be added again.
      this.remove(slot, { quiet: true });
      this.onChange("expired", slot);
      return;
    }
    this.render();
    this.onChange("ready", slot);
  }

  async _load(slot, file) {
    if (file.type && !ACCEPTED.test(file.type)) {
      return this._fail(slot, `Not an image retouch can read (${file.type}). Use PNG, JPEG, WebP, GIF, TIFF or BMP.`);
    }
    if (file.size > this.maxBytes) {
      return this._fail(slot, `Too large: ${fmtBytes(file.size)}; the limit is ${fmtBytes(this.maxBytes)}.`);
    }
    try {
      Object.assign(slot, await renditions(file));
    } catch {
      // The browser cannot decode it (TIFF, or a broken file): the server has the last word.
      slot.width = slot.height = null;
    }
    slot.status = "uploading";
    this.render();
    const form = new FormData();
    form.append("file", file, slot.name);
    form.append("purpose", "input");
    try {
      const f = await api("/v1/files", { method: "POST", form });
      slot.file_id = f.id;
      slot.status = "ready";
      if (!this.slots.includes(slot)) return; // removed while uploading (an undo may bring it back)
      this.render();
      this.onChange("ready", slot);
    } catch (e) {
      this._fail(slot, e instanceof ApiError ? plainWords(e) : String(e));
    }
  }

  /** A file that cannot be used: it stays listed, with why, at the end (it is no reference). */
  _fail(slot, message) {
    slot.status = "error";
    slot.error = message;
    if (!this.slots.includes(slot)) return;
    this._keepRejectedLast();
    this.render();
    this.onChange("error", slot);
  }

  _keepRejectedLast() {
    const ok = this.slots.filter((s) => s.status !== "error");
    if (ok.length < this.slots.length) this.slots = [...ok, ...this.slots.filter((s) => s.status === "error")];
  }

  setError(index, message) {
    const slot = this.slots[index];
    if (!slot) return false;
    slot.error = message;
    this.render();
    return true;
  }

  clearErrors() {
    let changed = false;
    for (const s of this.slots) if (s.status !== "error" && s.error) { s.error = ""; changed = true; }
    if (changed) this.render();
  }

  remove(slot, { quiet = false } = {}) {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    const before = [...this.slots];
    this.slots.splice(i, 1);
    this.render();
    if (quiet) return;
    if (slot.status !== "error") {
      this.offerUndo(`${slot.name} removed.`, before);
      // Focus goes to Undo, never to the next image's ✕: a second Enter must not delete again.
      if (this.el.contains(document.activeElement) || document.activeElement === document.body) this.notice?.undo.focus();
    } else if (document.activeElement === document.body) {
      (this.el.querySelector("li button:not(:disabled)") || document.getElementById("file-input"))?.focus();
    }
    announce(`${slot.name} removed.`);
    this.onChange("removed", slot);
  }

  /** Make `slot` (an image opened from elsewhere) the one edited, in place of the current first. */
  replaceFirst(slot) {
    const before = this.slots.filter((s) => s !== slot);
    const old = this.first();
    this.slots = [slot, ...this.slots.filter((s) => s !== slot && s !== old)];
    this.render();
    if (old) this.offerUndo(`${slot.name} replaced ${old.name} as the image to edit.`, before, { drop: [slot] });
  }

  move(from, to) {
    const last = this.slots.filter((s) => s.status !== "error").length - 1;
    if (to < 0 || to > last || from === to || this.slots[from]?.status === "error") return;
    const [s] = this.slots.splice(from, 1);
    this.slots.splice(to, 0, s);
    this.render();
    announce(`${s.name} is now image ${to + 1}${to === 0 ? ", the one edited" : ""}.`);
    this.onChange("moved", s);
  }

  /** What to remember across reloads. */
  serialize() {
    return this.ready().map(({ file_id, name, width, height, bytes, tree_id }) => ({ file_id, name, width, height, bytes, tree_id }));
  }

  render() {
    const focused = document.activeElement?.closest?.("li")?.dataset.key;
    const focusedAction = document.activeElement?.dataset?.action;
    const usable = this.slots.filter((s) => s.status !== "error").length;
    this.el.replaceChildren(...this.slots.map((s, i) => this._item(s, i, usable)));
    // Keep keyboard focus on the moved item's button, so arrows can be pressed repeatedly. At
    // the end of the list the arrow stays focusable (aria-disabled, not disabled) and does
    // nothing: focus never slides on to ✕, where the next Enter would delete.
    if (focused && focusedAction) {
      this.el.querySelector(`li[data-key="${focused}"] [data-action="${focusedAction}"]`)?.focus();
    }
  }

  _item(s, i, usable) {
    const rejected = s.status === "error";
    const role = rejected ? "Not added" : i === 0 ? "To edit" : `Reference ${i}`;
    const state = { reading: "Reading…", uploading: "Uploading…", ready: "", error: "" }[s.status];
    const dims = s.width && !rejected ? `${s.width}×${s.height}` : "";
    const arrow = (action, label, text, off, to) =>
      h("button", { type: "button", class: "small", "data-action": action, "aria-label": `Move ${s.name} ${label}`, "aria-disabled": off ? "true" : false, onclick: () => off || this.move(i, to) }, text);
    const moves = rejected ? [] : [arrow("up", "earlier", "↑", i === 0, i - 1), arrow("down", "later", "↓", i >= usable - 1, i + 1)];
    const li = h(
      "li",
      { class: rejected ? "rejected" : i === 0 ? "first" : "", draggable: rejected ? false : "true", dataset: { key: String(s.key) } },
      s.thumb ? h("img", { src: s.thumb, alt: "" }) : h("div", { class: "noimg", "aria-hidden": "true" }),
      h(
        "div",
        { class: "meta" },
        h("div", { class: "name", title: s.name }, s.name),
        h("div", { class: "role" }, [role, dims, state].filter(Boolean).join(" · ")),
      ),
      h(
        "div",
        { class: "btns" },
        ...moves,
        h("button", { type: "button", class: "small", "data-action": "remove", "aria-label": `${rejected ? "Dismiss" : "Remove"} ${s.name}`, onclick: () => this.remove(s) }, "✕"),
      ),
      s.error ? h("p", { class: "error", role: "alert" }, s.error) : null,
    );
    if (rejected) return li;
    // Drag to reorder (files dropped from outside are handled by the drop zone).
    li.addEventListener("dragstart", (ev) => {
      this.dragFrom = i;
      ev.dataTransfer.setData(SLOT_TYPE, String(i));
      ev.dataTransfer.effectAllowed = "move";
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", () => { li.classList.remove("dragging"); this.dragFrom = null; });
    li.addEventListener("dragover", (ev) => {
      if (!ev.dataTransfer.types.includes(SLOT_TYPE)) return;
      ev.preventDefault();
      li.classList.add("drag-over");
    });
    li.addEventListener("dragleave", () => li.classList.remove("drag-over"));
    li.addEventListener("drop", (ev) => {
      if (!ev.dataTransfer.types.includes(SLOT_TYPE)) return;
      ev.preventDefault();
      ev.stopPropagation();
      li.classList.remove("drag-over");
      const from = Number(ev.dataTransfer.getData(SLOT_TYPE));
      this.move(from, i);
    });
    return li;
  }
}

export const isSlotDrag = (ev) => ev.dataTransfer?.types.includes(SLOT_TYPE);
