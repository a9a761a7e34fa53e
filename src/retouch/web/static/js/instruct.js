// The instruction box: example chips, the live plan ("what retouch understood") and the cost
// estimates (of the edit, and of a batch over every image), fetched a moment after typing
// stops so that nothing runs per keystroke. It also knows when a run cannot succeed (a
// refused or too long instruction, not enough credits), so Edit can say so before a click.
// A step's controls (plansteps.js) make an "edited plan" that runs and is priced instead of
// the text's, until the text changes or the user goes back.

import { api, ApiError } from "./api.js";
import { $, $$, h, debounce, fmtInt } from "./dom.js";
import { plainWords, showError, clearError } from "./errors.js";
import { save, load } from "./settings.js";
import { showChanges } from "./followup.js";
import { stepControls, stepWords } from "./plansteps.js";

/** A refusal of the word being typed waits this long for the word to be finished. */
const UNFINISHED_MS = 2000;

export class Instruction {
  /** `context()` returns {images, batchImages, hasMask, mode, fields, problems} for the next
   * run; `onState()` is told when what can run changed. */
  constructor({ context, onRun, onState = () => {}, maxChars = 32000 }) {
    this.input = $("#prompt");
    this.context = context;
    this.onState = onState;
    this.maxChars = maxChars;
    this.plan = null; // the last plan, or an ApiError when refused
    this.edited = null; // the steps as changed with their controls (null: the text's plan runs)
    this.spec = null; // the op spec the controls are built from
    api("/ui/api/ops").then((spec) => {
      this.spec = spec;
      if (!this.edited) this._showPlan(this.plan);
      else if (this.plan?.steps) this._steps(this.edited);
    }, () => {});
    $("#plan-reset").addEventListener("click", () => { this.revert(); this.input.focus(); });
    this.estimate = null;
    this.batchEstimate = null;
    this.typedAt = 0;
    this.input.value = load("prompt", "");
    const kept = load("edited", null); // an edited plan outlives a reload, with its instruction
    if (kept?.prompt === this.input.value) this.edited = kept.steps;
    this._seq = 0;
    const later = debounce(() => this.refresh(), 350);
    this.input.addEventListener("input", () => {
      this.typedAt = Date.now();
      save("prompt", this.input.value);
      this.dropped = "";
      if (this.edited) this.revert(); // a new instruction: its plan, not the edited one
      later();
    });
    this.input.addEventListener("blur", () => { if (this.plan instanceof ApiError) this._showPlan(this.plan); });
    this.input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); onRun(); }
    });
    for (const chip of document.querySelectorAll(".chip")) {
      chip.addEventListener("click", () => {
        this.input.value = chip.textContent;
        save("prompt", this.input.value);
        this.input.focus();
        this.revert();
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
    clearTimeout(this._unfinishedTimer);
    if (!prompt || prompt.length > this.maxChars) {
      // Too long is said here, with its length: nothing is sent (and nothing is cut).
      this.plan = prompt ? new ApiError(400, {
        code: "string_above_max_length",
        param: "prompt",
        message: `The instruction is ${fmtInt(prompt.length)} characters; at most ${fmtInt(this.maxChars)} fit. Shorten it to run it.`,
      }) : null;
      this.estimate = this.batchEstimate = null;
      this._showPlan(this.plan);
      showChanges(null);
      this._showEstimates();
      this.onState();
      return;
    }
    const plan0 = this.editedPlan();
    const planReq = plan0 && this.plan?.steps ? Promise.resolve(this.plan) : api("/ui/api/plan", {
      method: "POST",
      json: { prompt, model: ctx.fields.model, n_images: Math.max(1, ctx.images.length), has_mask: ctx.hasMask, mode: ctx.mode, after: ctx.after || undefined },
    }).then((p) => (p.error ? new ApiError(400, p.error) : p), (e) => e);
    const estimate = (images, mode, sized) => images.length && images.every((im) => im.width) && !ctx.problems.size
      ? api("/v1/estimates", {
          method: "POST",
          json: {
            prompt,
            // a follow-up runs on (and is priced on) the inputs its job kept, or, expired, on ours
            image_sizes: mode === "edit" && ctx.after && !sized ? undefined : images.map((im) => `${im.width}x${im.height}`),
            mode,
            model: ctx.fields.model,
            size: ctx.fields.size,
            quality: ctx.fields.quality,
            after: (mode === "edit" && ctx.after) || undefined,
            plan: plan0 || undefined,
          },
        }).catch((e) => (e.code === "inputs_expired" && !sized ? estimate(images, mode, 1) : e))
      : Promise.resolve(null);
    const [plan, est, batchEst] = await Promise.all([
      planReq,
      estimate(ctx.images, ctx.mode),
      ctx.batchImages.length >= 2 ? estimate(ctx.batchImages, "batch") : null,
    ]);
    if (seq !== this._seq) return; // a newer refresh is on its way
    this.plan = plan;
    this.estimate = est;
    this.batchEstimate = batchEst;
    // an edited plan stays, redrawn unless in use (a new mask adds "painted area")
    if (!this.edited) {
      this._showPlan(plan);
      showChanges(plan);
    } else if (!$("#plan-steps").contains(document.activeElement)) {
      this._steps(this.edited);
      this._markEdited();
    }
    this._showEstimates();
    this.onState();
  }

  /** Whether a refusal is about the word still being typed (shown once it is finished). */
  _unfinished(err) {
    const text = this.input.value;
    if (document.activeElement !== this.input || !/[\p{L}\p{N}]$/u.test(text)) return false;
    if (Date.now() - this.typedAt >= UNFINISHED_MS) return false;
    const last = text.match(/[\p{L}\p{N}'-]+$/u)?.[0] || "";
    return !err.fragment || err.fragment.trimEnd().endsWith(last);
  }

  /** The plan to run instead of the text's, as the API takes it (null: none). */
  editedPlan() {
    return this.edited && { prompt: this.value, steps: this.edited.map(({ op, params, region, text }) => ({ op, params, region, text })) };
  }

  /** Another base: edits made against the old one go, visibly. */
  rebase(what) {
    if (!this.edited) return;
    this.revert();
    this.dropped = ` Your changes to the plan were dropped: ${what}.`;
  }

  /** Back to the text's plan. */
  revert() {
    this.dropped = "";
    this.edited = null;
    save("edited", null);
    this._markEdited();
    this.refresh();
  }

  /** The summary, the plan's only live line: set when it changes (not per slider step). */
  _note(text) {
    const el = $("#plan-note");
    if (el.textContent !== text) el.textContent = text;
  }

  _sum(steps, p = this.plan) {
    return `${[...steps.map((s) => s.label), p?.consistency && "across the set"].filter(Boolean).join(", ") || "no steps"}. Engine: ${p?.engine}, model ${p?.model}.`;
  }

  _markEdited() {
    const e = this.edited;
    $("#plan").classList.toggle("edited", !!e);
    $("#plan-edited").hidden = !e;
    if (e) this._note(e.length ? `Edited plan: ${this._sum(e)}` : "No steps left: nothing would change.");
  }

  /** A control changed: the edited plan starts (from the text's plan) or changes. */
  _change(i, k, v) {
    const st = this._editing()[i];
    if (k === "region") st.region = v;
    else st.params = { ...st.params, [k]: v };
    $(`#plan-steps > li:nth-child(${i + 1}) .d`).textContent = stepWords(st);
    this._changed();
  }

  _remove(i) {
    this._editing().splice(i, 1);
    this._steps(this.edited);
    this._changed();
    // focus stays in the plan: on the next step's remove button, else the way back
    ($$("#plan-steps .step-x")[Math.min(i, this.edited.length - 1)] || $("#plan-reset")).focus();
  }

  _editing() {
    if (!this.edited) this.edited = structuredClone(this.plan.steps);
    return this.edited;
  }

  _changed() {
    this._markEdited();
    showChanges(null); // what a follow-up changed no longer describes this plan
    save("edited", { prompt: this.input.value, steps: this.edited });
    this.estimate = null; // priced again for the edited plan
    this._showEstimates();
    this.onState();
    this.refreshSoon();
  }

  /** The list of steps, each with its controls when the plan can be edited. */
  _steps(steps) {
    const tweak = this.spec && this.plan?.engine === "builtin" && !this.plan.consistency;
    const hasMask = this.context().hasMask;
    $("#plan-steps").replaceChildren(...steps.map((s, i) =>
      h("li", {},
        h("span", { class: "what" }, s.label),
        h("span", { class: "d" }, this.edited ? stepWords(s) : `${s.details ? ` (${s.details})` : ""} on the ${s.where}`),
        s.text ? h("span", { class: "src" }, `from “${s.text}”`) : null,
        tweak ? stepControls(this.spec, s, i, { hasMask, edit: (...a) => this._change(...a), remove: (j) => this._remove(j) }) : null)));
  }

  _showPlan(plan) {
    const box = $("#plan");
    const list = $("#plan-steps");
    box.classList.remove("refused", "pending");
    this._markEdited();
    this.pending = false;
    clearError("prompt-error");
    if (!plan) {
      list.replaceChildren();
      this._note("Type an instruction to see the plan before anything runs.");
      return;
    }
    if (plan instanceof ApiError) {
      list.replaceChildren();
      if (plan.param === "prompt" || plan.code === "unsupported_instruction") {
        if (plan.code === "unsupported_instruction" && this._unfinished(plan)) {
          // "make it bri": not a refusal yet, just a word being typed. Look again later.
          box.classList.add("pending");
          this.pending = true;
          this._note("…");
          const wait = UNFINISHED_MS - (Date.now() - this.typedAt) + 50;
          this._unfinishedTimer = setTimeout(() => {
            if (this.plan !== plan) return;
            this._showPlan(plan);
            this.onState();
          }, wait);
          return;
        }
        box.classList.add("refused");
        this._note("Nothing will run until the instruction is one the engine can do.");
        showError("prompt-error", plainWords(plan), plan.fragment);
      } else if (plan.param === "model") {
        this._note("");
        showError("engine-error", plainWords(plan));
      } else {
        this._note(plainWords(plan));
      }
      return;
    }
    clearError("engine-error");
    this._steps(plan.steps);
    if (plan.consistency) {
      // the pass across the set ("make them consistent") runs with Batch all
      list.append(h("li", { class: "set" }, h("span", { class: "what" }, "Across the set"), ` (${plan.consistency.replace(/^consistency: /, "")}), with Batch all`));
    }
    this._note((plan.steps.length || plan.consistency ? `Plan: ${this._sum(plan.steps)}` : "Nothing to do.") + (this.dropped || ""));
  }

  _showEstimates() {
    const el = $("#estimate");
    const est = this.estimate;
    el.textContent = "";
    if (est instanceof ApiError) {
      // Problems of the instruction or the size are said next to them; only the rest here.
      if (est.param === "size") showError("size-error", plainWords(est));
      else if (est.param !== "prompt" && est.code !== "unsupported_instruction") el.textContent = plainWords(est);
    } else if (est) {
      el.textContent = `Costs about ${credits(est.credits)} · output ${est.output_size.replace("x", "×")} · ${fmtInt(est.balance)} available`;
    }
    short(el, est);
    const b = $("#batch-estimate");
    const best = this.batchEstimate;
    b.hidden = !best || best instanceof ApiError;
    if (!b.hidden) b.textContent = `Batch: each of the ${this.context().batchImages.length} images edited on its own, about ${credits(best.credits)} in all`;
    short(b, best);
  }

  /** Why the edit cannot run now, in a few words (null: it can, as far as the page knows). */
  blocker() {
    const p = this.plan;
    if (this.edited && !this.edited.length) return "The edited plan has no steps left.";
    if (this.estimate?.param === "plan") return "The edited plan cannot run: see why above.";
    if (p instanceof ApiError && p.param === "prompt" && p.code === "string_above_max_length") return "The instruction is too long.";
    if (this.refused() && this.pending) return "The instruction is not one the engine can do (yet).";
    if (this.refused()) return "The engine cannot do this instruction: see what it says above.";
    if (this.estimate && !(this.estimate instanceof ApiError) && !this.estimate.sufficient) return "Not enough credits for this edit.";
    return null;
  }

  /** Why a batch cannot run now (null: it can). */
  batchBlocker() {
    const b = this.batchEstimate;
    if (b && !(b instanceof ApiError) && !b.sufficient) return "Not enough credits for the batch.";
    return this.blocker() === "Not enough credits for this edit." ? null : this.blocker();
  }

  /** Show a refusal now even if its word looked unfinished (the user asked to run). */
  insist() {
    this.typedAt = 0;
    if (this.plan instanceof ApiError) this._showPlan(this.plan);
    this.onState();
  }

  /** Whether the last plan refused the instruction. */
  refused() {
    return this.plan instanceof ApiError && (this.plan.code === "unsupported_instruction" || this.plan.param === "prompt");
  }
}

/** Marks an estimate the balance cannot pay. */
function short(el, est) {
  const no = est?.sufficient === false;
  el.classList.toggle("short", no);
  if (no) el.textContent += " — not enough credits.";
}

const credits = (n) => `${fmtInt(n)} credit${n === 1 ? "" : "s"}`;
