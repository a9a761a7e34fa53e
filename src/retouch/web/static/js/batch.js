// Batch: one instruction applied to every image independently (one job, mode "batch"), or with
// "Make them consistent" as one set; a grid shows each image's progress and result, a contact
// sheet the whole set before and after, and one link downloads them all as a zip.

import { $, h } from "./dom.js";
import { plainWords } from "./errors.js";

export class BatchView {
  constructor() {
    this.section = $("#batch");
    this.grid = $("#batch-grid");
    this.status = $("#batch-status");
    this.zip = $("#batch-zip");
    this.sheet = $("#batch-sheet");
    this.sheetSave = $("#batch-sheet-save");
  }

  /** Start showing a batch over `items` ({name, thumb}). */
  start(items, prompt) {
    this.items = items;
    this.section.hidden = false;
    this.zip.hidden = true;
    this.sheet.hidden = true;
    this.sheetSave.hidden = true;
    this.status.textContent = `“${prompt}” on ${items.length} images: queued…`;
    this.cells = items.map((it, i) =>
      h("li", { class: "queued", "data-index": String(i) },
        h("img", { src: it.thumb || "", alt: `${it.name}, before` }),
        h("span", { class: "name" }, it.name),
        h("span", { class: "state" }, "Queued")),
    );
    this.grid.replaceChildren(...this.cells);
  }

  /** Progress of the whole job (0..1): image i is done once i+1 of n are. */
  progress(fraction, stage) {
    const n = this.items.length;
    const doneCount = Math.floor(fraction * n + 1e-6);
    this.cells.forEach((li, i) => {
      if (li.classList.contains("done")) return;
      const state = i < doneCount ? "Edited, saving…" : i === doneCount ? "Editing…" : "Queued";
      li.querySelector(".state").textContent = state;
    });
    this.status.textContent = `${Math.round(fraction * 100)}% — ${stage || "running"}`;
  }

  /** Fill the grid from a succeeded job's result. */
  finish(job, names) {
    const byInput = new Map();
    for (const im of job.result.images) if (!byInput.has(im.input_index)) byInput.set(im.input_index, im);
    this.cells.forEach((li, i) => {
      const im = byInput.get(i);
      if (!im) return;
      const url = `/v1/files/${im.file_id}/content`;
      li.className = "done";
      li.querySelector("img").src = url;
      li.querySelector("img").alt = `${names[i]}, edited`;
      li.querySelector(".state").replaceChildren(
        "Done · ",
        h("a", { href: url, download: editedName(names[i], im.output_format) }, "Download"),
      );
    });
    // Images that failed on their own (the others were still edited, and only they are charged).
    const failures = job.result.failures || [];
    for (const f of failures) {
      const li = this.cells[f.input_index];
      if (!li) continue;
      li.className = "failed";
      li.querySelector(".state").textContent = `Not edited: ${plainWords({ ...f.error, engineHint: f.error.engine_hint }, { hasMask: false })}`;
    }
    const afters = this.items.map((_, i) => byInput.has(i) ? `/v1/files/${byInput.get(i).file_id}/content` : null);
    drawSheet($("#batch-sheet-canvas"), this.items.map((it) => it.preview || it.thumb || null), afters)
      .then((canvas) => {
        this.sheet.hidden = false;
        canvas.toBlob((blob) => {
          if (!blob) return;
          this.sheetSave.href = URL.createObjectURL(blob);
          this.sheetSave.hidden = false;
        }, "image/png");
      })
      .catch(() => {}); // the grid still shows every result
    const q = names.map((n) => `name=${encodeURIComponent(n)}`).join("&");
    this.zip.href = `/ui/api/jobs/${job.id}/zip?${q}`;
    this.zip.hidden = false;
    const edited = new Set(job.result.images.map((im) => im.input_index)).size;
    const failed = failures.length ? ` (${failures.length} not edited)` : "";
    this.status.textContent = `Done: ${edited} of ${edited + failures.length} images${failed}, ${job.charged_credits} credits.`;
  }

  fail(message) {
    for (const li of this.cells || []) if (!li.classList.contains("done")) {
      li.className = "failed";
      li.querySelector(".state").textContent = "Not edited";
    }
    this.status.textContent = message;
  }

  /** Show a finished batch job reopened from the recent jobs. */
  reopen(job) {
    const indexes = [...job.result.images, ...(job.result.failures || [])].map((x) => x.input_index);
    const n = Math.max(-1, ...indexes) + 1;
    const names = Array.from({ length: n }, (_, i) => `image-${String(i + 1).padStart(2, "0")}.png`);
    this.start(names.map((name) => ({ name })), job.params.prompt);
    this.finish(job, names);
  }
}

const CELL = 160;
const GAP = 6;
const LABEL_W = 64;

/** Draw the contact sheet (the same layout as `retouch batch --contact-sheet`): before images in
 * a row, after images under them, each fitted to one cell; sets wider than 8 wrap. */
export async function drawSheet(canvas, befores, afters) {
  const n = Math.max(befores.length, afters.length);
  const cols = Math.max(1, Math.min(8, n));
  const rows = Math.ceil(n / cols);
  canvas.width = LABEL_W + cols * (CELL + GAP) + GAP;
  canvas.height = rows * (2 * (CELL + GAP) + GAP) + GAP;
  const load = (src) => src ? new Promise((ok) => {
    const im = new Image();
    im.onload = () => ok(im);
    im.onerror = () => ok(null);
    im.src = src;
  }) : Promise.resolve(null);
  const [before, after] = await Promise.all([Promise.all(befores.map(load)), Promise.all(afters.map(load))]);
  const g = canvas.getContext("2d");
  g.fillStyle = "rgb(236,236,236)";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.font = "13px sans-serif";
  for (let r = 0; r < rows; r++) {
    const yRow = GAP + r * (2 * (CELL + GAP) + GAP);
    [[before, "before"], [after, "after"]].forEach(([images, label], j) => {
      const y = yRow + j * (CELL + GAP);
      g.fillStyle = "rgb(60,60,60)";
      g.fillText(label, 8, y + CELL / 2 + 4);
      for (let c = 0; c < cols; c++) {
        const k = r * cols + c;
        const x = LABEL_W + GAP + c * (CELL + GAP);
        g.fillStyle = "rgb(250,250,250)";
        g.fillRect(x, y, CELL, CELL);
        const im = images[k];
        if (!im) continue;
        const s = Math.min(CELL / im.naturalWidth, CELL / im.naturalHeight);
        const w = Math.round(im.naturalWidth * s);
        const h2 = Math.round(im.naturalHeight * s);
        g.drawImage(im, x + Math.floor((CELL - w) / 2), y + Math.floor((CELL - h2) / 2), w, h2);
      }
    });
  }
  return canvas;
}

export function editedName(name, format) {
  const stem = name.replace(/\.[A-Za-z0-9]{1,5}$/, "") || "image";
  return `${stem}-edited.${{ jpeg: "jpg" }[format] || format || "png"}`;
}
