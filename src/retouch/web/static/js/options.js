// The options form: engine/model, size, quality, format, background. Remembered between
// visits; turned into the API's fields by `fields()`.

import { $, h, fmtInt } from "./dom.js";
import { DEFAULT_OPTIONS, load, save } from "./settings.js";

export class Options {
  constructor({ engines, sizeRange = [16, 8192], onChange }) {
    this.onChange = onChange;
    this.engines = engines;
    this.sizeRange = sizeRange;
    // Open beside the image on a wide screen; on a phone it would push the instruction down.
    $("#options").open = matchMedia("(min-width: 760px)").matches;
    const sel = $("#opt-engine");
    sel.replaceChildren(
      ...engines.map((e) => h("option", { value: e.name }, e.ready ? e.name : `${e.name} (not ready)`)),
    );
    this.values = { ...DEFAULT_OPTIONS, ...load("options", {}) };
    if (!engines.some((e) => e.name === this.values.engine)) this.values.engine = "builtin";
    this._write();
    for (const id of ["opt-engine", "opt-model", "opt-size", "opt-width", "opt-height", "opt-quality", "opt-format", "opt-compression", "opt-background"]) {
      $(`#${id}`).addEventListener(id === "opt-model" || id.startsWith("opt-w") || id.startsWith("opt-h") ? "change" : "input", () => this._read());
    }
  }

  _write() {
    const v = this.values;
    $("#opt-engine").value = v.engine;
    $("#opt-model").value = v.model;
    $("#opt-size").value = v.size;
    $("#opt-width").value = v.width;
    $("#opt-height").value = v.height;
    $("#opt-quality").value = v.quality;
    $("#opt-format").value = v.output_format;
    $("#opt-compression").value = v.output_compression;
    $("#opt-background").value = v.background;
    this._sync();
  }

  _read() {
    this.values = {
      engine: $("#opt-engine").value,
      model: $("#opt-model").value.trim(),
      size: $("#opt-size").value,
      width: Number($("#opt-width").value),
      height: Number($("#opt-height").value),
      quality: $("#opt-quality").value,
      output_format: $("#opt-format").value,
      output_compression: Number($("#opt-compression").value),
      background: $("#opt-background").value,
    };
    save("options", this.values);
    this._sync();
    this.onChange();
  }

  /** Show what depends on other choices, and catch the one conflict the server would refuse. */
  _sync() {
    const v = this.values;
    const engine = this.engines.find((e) => e.name === v.engine);
    $("#engine-detail").textContent = engine ? `${engine.summary}${engine.ready ? "" : ` — not ready: ${engine.detail}`}` : "";
    $("#model-field").hidden = v.engine === "builtin" || v.engine === "auto";
    $("#custom-size").hidden = v.size !== "custom";
    $("#compression-field").hidden = v.output_format === "png";
    $("#compression-value").textContent = `${v.output_compression}%`;
    const p = this.problems();
    $("#background-error").textContent = p.background || "";
    $("#size-error").textContent = p.size || "";
  }

  /** What the server would refuse in these options, by field: {size?, background?}. */
  problems() {
    const v = this.values;
    const out = {};
    if (v.background === "transparent" && v.output_format === "jpeg") {
      out.background = "A transparent background needs PNG or WebP: JPEG has no transparency.";
    }
    const [lo, hi] = this.sizeRange;
    const bad = (n) => !Number.isInteger(n) || n < lo || n > hi;
    if (v.size === "custom" && (bad(v.width) || bad(v.height))) {
      out.size = `Each side of a custom size must be a whole number from ${fmtInt(lo)} to ${fmtInt(hi)} pixels.`;
    }
    return out;
  }

  /** The `model` field of the API: engine, or engine:model. */
  model() {
    const { engine, model } = this.values;
    if (engine === "builtin") return null;
    return model ? `${engine}:${model}` : engine;
  }

  size() {
    const v = this.values;
    return v.size === "custom" ? `${Math.round(v.width)}x${Math.round(v.height)}` : v.size;
  }

  /** The edit fields of /v1/jobs and /v1/estimates. */
  fields() {
    const v = this.values;
    const f = { model: this.model(), size: this.size(), quality: v.quality, output_format: v.output_format, background: v.background };
    if (v.output_format !== "png") f.output_compression = v.output_compression;
    return f;
  }
}
