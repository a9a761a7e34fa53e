// Controls for a plan's steps, built from the op spec (GET /ui/api/ops; ranges live only
// there): a slider and a number for an amount, a colour well, choosers, a remove button.

import { h } from "./dom.js";

const hex = (c) => "#" + c.slice(0, 3).map((x) => Math.round(x).toString(16).padStart(2, "0")).join("");
const fromHex = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
const words = (k) => k.replace(/[_-]/g, " ");
const PLACES = { all: "whole image", mask: "painted area" };
const isRGB = (v) => Array.isArray(v) && v.length >= 3 && v.every((x) => typeof x === "number");

function choose(id, name, value, choices, set) {
  return h("select", { id, "aria-label": name, onchange: (ev) => set(ev.target.value) },
    choices.map((c) => h("option", { value: c, selected: c === value }, PLACES[c] || words(c))));
}

/** One parameter's control(s), or null when it has none (ratios, boxes, "automatic" values). */
function control(id, name, p, value, set) {
  const t = p.type;
  if (["float", "int", "ref"].includes(t) && typeof value === "number" && p.min !== undefined) {
    const span = p.max - p.min;
    const step = t !== "float" || span > 20 ? 1 : span < 0.5 ? 0.001 : 0.01;
    // Arrow keys and whole numbers count at once; the rest, out of range included, snaps into
    // the spec's range when committed: an out-of-range value cannot be entered.
    const num = h("input", {
      type: "number", id, min: p.min, max: p.max, step, value, "aria-label": name,
      oninput: () => { const v = Number(num.value); if (num.value !== "" && v >= p.min && v <= p.max) put(v, 1); },
      onchange: () => { const v = Number(num.value); put(num.value !== "" && Number.isFinite(v) ? Math.min(p.max, Math.max(p.min, v)) : value); },
    });
    const slider = span <= 400 ? h("input", { type: "range", min: p.min, max: p.max, step, value, "aria-label": `${name} slider`, oninput: () => put(Number(slider.value)) }) : null;
    const put = (v, typing) => { if (!typing) num.value = v; if (slider) slider.value = v; set((value = v)); };
    return [slider, num];
  }
  if (t === "color" && isRGB(value)) return h("input", { type: "color", id, value: hex(value), "aria-label": name, onchange: (ev) => set(fromHex(ev.target.value)) });
  if (t === "colors" && Array.isArray(value) && value.every(isRGB)) {
    const now = value.map((c) => [...c]);
    return h("span", { class: "wells", id }, now.map((c, j) => h("input", {
      type: "color", value: hex(c), "aria-label": `${name} ${j + 1}`,
      onchange: (ev) => { now[j] = fromHex(ev.target.value); set(now.map((x) => [...x])); },
    })));
  }
  if ((t === "choice" || t === "color") && typeof value === "string" && p.choices) return choose(id, name, value, p.choices, set);
  if (t === "bool" && typeof value === "boolean") return h("input", { type: "checkbox", id, checked: value, "aria-label": name, onchange: (ev) => set(ev.target.checked) });
  if (t === "text" && typeof value === "string") return h("input", { type: "text", id, value, "aria-label": name, maxlength: 500, onchange: (ev) => set(ev.target.value) });
  return null;
}

const fmt = (k, v) => isRGB(v) ? hex(v) : Array.isArray(v) ? v.map((x) => fmt(k, x)).join(" → ")
  : typeof v === "number" && k === "amount" ? `${v >= 0 ? "+" : ""}${Math.round(v * 100)}%` : String(v);

/** How a step reads ("(amount +40%) on the whole image"), for a step changed here. */
export const stepWords = (s) => `${Object.keys(s.params).length ? ` (${Object.entries(s.params).map(([k, v]) => `${words(k)} ${fmt(k, v)}`).join(", ")})` : ""} on the ${PLACES[s.region] || words(s.region)}`;

/** The controls of step `i` (0-based): `edit(i, param, value)` is told each change ("region"
 * for the region), `remove(i)` the remove button. Null when the spec does not know the op. */
export function stepControls(spec, step, i, { hasMask, edit, remove }) {
  const op = spec?.ops[step.op];
  if (!op) return null;
  const title = `step ${i + 1}, ${words(step.op)}`;
  const rows = [];
  const names = Object.keys(step.params);
  if (op.main && !names.includes(op.main)) names.unshift(op.main); // the default runs: show it
  for (const k of names) {
    const p = op.params[k];
    const value = k in step.params ? step.params[k] : p?.default;
    const c = p && control(`p${i}-${k}`, `${title}: ${words(k)}`, p, value, (v) => edit(i, k, v));
    if (c) rows.push(h("label", { for: `p${i}-${k}`, title: p.help || null }, words(k)), h("span", { class: "ctl-in" }, c));
  }
  const regions = op.regional ? spec.regions : ["all", "mask"];
  const where = regions.filter((r) => r !== "mask" || hasMask || step.region === "mask");
  if (where.length > 1) {
    rows.push(h("label", { for: `p${i}-region` }, "where"),
      h("span", { class: "ctl-in" }, choose(`p${i}-region`, `${title}: where`, step.region, where, (v) => edit(i, "region", v))));
  }
  return [
    h("button", { type: "button", class: "small step-x", "aria-label": `Remove ${title}`, onclick: () => remove(i) }, "✕"),
    rows.length ? h("div", { class: "ctl" }, rows) : null,
  ];
}
