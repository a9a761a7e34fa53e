// The instruction box: example chips, the live plan ("what retouch understood") and the cost
// estimate, both fetched a moment after typing stops so that nothing runs per keystroke.

import { api, ApiError } from "./api.js";
import { $, h, debounce, fmtInt } from "./dom.js";
import { plainWords, showError, clearError } from "./errors.js";
import { save, load } from "./settings.js";

export class Instruction {
  /** `context()` returns {images: [{width, height}], hasMask, mode, fields} for the next run. */
  constructor({ context, onRun }) {
    this.input = $("#prompt");
    this.context = context;
    this.plan = null; // the last plan, or an ApiError when refused
    this.estimate = null;
    this.input.value = load("prompt", "");
    this._seq = 0;
    const later = debounce(() => this.refresh(), 350);
    this.input.addEventListener("input", () => {
      save("prompt", this.input.value);
      later();
    });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); onRun(); }
    });
    for (const chip of document.querySelectorAll(".chip")) {
      chip.addEventListener("click", () => {
        this.input.value = chip.textContent;
        save("prompt", this.input.value);
        this.input.focus();
        this.refresh();
      });
    }
    this.refreshSoon = later;
  }

  get value() {
    return this.input.value.trim();
  }

  /** Re-plan and re-estimate for the current instruction, images, mask and options. */
  async refresh() {
    const seq = ++this._seq;
    const prompt = this.value;
    const ctx = this.context();
    if (!prompt) {
      this._showPlan(null);
      this._showEstimate(null);
      return;
    }
    const planReq = api("/ui/api/plan", {
      method: "POST",
      json: { prompt, model: ctx.fields.model, n_images: Math.max(1, ctx.images.length), has_mask: ctx.hasMask, mode: ctx.mode },
    }).catch((e) => e);
    const estReq = ctx.images.length && ctx.images.every((im) => im.width)
      ? api("/v1/estimates", {
          method: "POST",
          json: {
            prompt,
            image_sizes: ctx.images.map((im) => `${im.width}x${im.height}`),
            mode: ctx.mode,
            model: ctx.fields.model,
            size: ctx.fields.size,
            quality: ctx.fields.quality,
          },
        }).catch((e) => e)
      : Promise.resolve(null);
    const [plan, est] = await Promise.all([planReq, estReq]);
    if (seq !== this._seq) return; // a newer refresh is on its way
    this.plan = plan;
    this.estimate = est;
    this._showPlan(plan);
    this._showEstimate(est);
  }

  _showPlan(plan) {
    const box = $("#plan");
    const list = $("#plan-steps");
    const note = $("#plan-note");
    box.classList.remove("refused");
    clearError("prompt-error");
    if (!plan) {
      list.replaceChildren();
      note.textContent = "Type an instruction to see the plan before anything runs.";
      return;
    }
    if (plan instanceof ApiError) {
      list.replaceChildren();
      if (plan.param === "prompt" || plan.code === "unsupported_instruction") {
        box.classList.add("refused");
        note.textContent = "Nothing will run until the instruction is one the engine can do.";
        showError("prompt-error", plainWords(plan), plan.fragment);
      } else if (plan.param === "model") {
        note.textContent = "";
        showError("engine-error", plainWords(plan));
      } else {
        note.textContent = plainWords(plan);
      }
      return;
    }
    clearError("engine-error");
    list.replaceChildren(
      ...plan.steps.map((s) =>
        h("li", {},
          h("span", { class: "what" }, s.label),
          s.details ? ` (${s.details})` : "",
          ` on the ${s.where}`,
          s.text ? h("span", { class: "src" }, `from “${s.text}”`) : null),
      ),
    );
    if (plan.consistency) {
      // the pass across the set ("make them consistent") runs with Batch all
      list.append(h("li", { class: "set" }, h("span", { class: "what" }, "Across the set"), ` (${plan.consistency.replace(/^consistency: /, "")}), with Batch all`));
    }
    note.textContent = plan.steps.length || plan.consistency ? `Engine: ${plan.engine}, model ${plan.model}.` : "Nothing to do.";
  }

  _showEstimate(est) {
    const el = $("#estimate");
    el.classList.remove("short");
    if (!est) { el.textContent = ""; return; }
    if (est instanceof ApiError) {
      // Errors here repeat what the plan already says; only show what it does not.
      el.textContent = est.param === "prompt" || est.code === "unsupported_instruction" ? "" : plainWords(est);
      if (est.param === "size") showError("size-error", plainWords(est));
      return;
    }
    clearError("size-error");
    el.textContent = `Costs about ${fmtInt(est.credits)} credit${est.credits === 1 ? "" : "s"} · output ${est.output_size.replace("x", "×")} · ${fmtInt(est.balance)} available`;
    if (!est.sufficient) {
      el.classList.add("short");
      el.textContent += " — not enough credits.";
    }
  }

  /** Whether the last plan refused the instruction. */
  refused() {
    return this.plan instanceof ApiError && (this.plan.code === "unsupported_instruction" || this.plan.param === "prompt");
  }
}
