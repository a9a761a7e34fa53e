// Batch: one instruction applied to every image independently (one job, mode "batch"); a grid
// shows each image's progress and result, and one link downloads them all as a zip.

import { $, h } from "./dom.js";
import { plainWords } from "./errors.js";

export class BatchView {
  constructor() {
    this.section = $("#batch");
    this.grid = $("#batch-grid");
    this.status = $("#batch-status");
    this.zip = $("#batch-zip");
  }

  /** Start showing a batch over `items` ({name, thumb}). */
  start(items, prompt) {
    this.items = items;
    this.section.hidden = false;
    this.zip.hidden = true;
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

export function editedName(name, format) {
  const stem = name.replace(/\.[A-Za-z0-9]{1,5}$/, "") || "image";
  return `${stem}-edited.${{ jpeg: "jpg" }[format] || format || "png"}`;
}
