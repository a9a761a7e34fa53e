// Errors in plain words, shown next to what caused them (the instruction, an image, the mask,
// an option, or the Run button). Nothing the user did is cleared by an error.

import { $ } from "./dom.js";

const SLOTS = ["prompt-error", "mask-error", "size-error", "background-error", "engine-error", "run-error", "tray-error"];
/** Quotes longer than this are shortened: an error must never be longer than what it explains. */
const LONG_QUOTE = 120;

/** What the page knows that changes the advice (set by main.js): is a mask painted? */
const context = { hasMask: () => false };
export function setErrorContext({ hasMask }) {
  context.hasMask = hasMask;
}

// Server messages are written for every surface: some still carry CLI wording (`--mask`,
// `model=auto`), and the API's "paint or upload a mask" cannot know that a mask is already
// painted. The editor has a brush and an Options panel, so it says those, and when a mask is
// painted it says how to use it rather than asking for one.
const PAINT_IT = "paint over it on the image";
const USE_PAINTED = "say “the painted area” to edit what you painted";
const HTTP_MASK_HINT = /:\s*paint or upload a mask \(its transparent or white pixels mark the area\)/g;
const REWRITES = [
  [/\s*\((?:try )?the openai or diffusers engine, or model=auto to route\)/g, () => ""],
  [HTTP_MASK_HINT, () => ""], // said below, in the editor's terms
  [/needs a mask marking what to remove(?:: pass --mask \(transparent or white = remove\)|, but no mask was given)?/g,
    () => "needs the thing to remove painted over on the image"],
  [/refers to a masked or selected area, but no mask was given(?:: pass a mask \(--mask\) whose transparent or white pixels mark the area)?/g,
    () => "refers to a painted area, but nothing is painted: paint the area on the image"],
  [/pass a mask \(--mask\) whose transparent or white pixels mark the area/g, () => "paint the area on the image"],
  [/mark it with a mask(?: \(--mask\))?/g, (m) => (m ? USE_PAINTED : PAINT_IT)],
  [/mark the area to edit with a mask(?: \(--mask\))? instead/g, (m) => (m ? `${USE_PAINTED} instead` : "paint the area to edit on the image instead")],
  [/needs a mask marking it(?: \(--mask\))?/g, (m) => (m ? `works on the painted area: say “remove the painted area”` : "needs the object painted over on the image")],
  [/a mask that marks it \(--mask\)/g, () => "the object painted over on the image"],
  // Whatever is left: no flag ever reaches the page.
  [/\s*\(--[a-z][\w-]*(?:\/--[a-z][\w-]*)*\)/g, () => ""],
  [/--mask\b/g, () => "a painted mask"],
  [/--([a-z][\w-]*)/g, (_, __, name) => `the ${name.replace(/-/g, " ")} option`],
  [/\bmodel=auto\b/g, () => "the auto engine"],
];

/** A server message reworded for the editor: no CLI flags, advice that fits a painted mask. */
export function editorWording(message, { hasMask = false } = {}) {
  const original = String(message || "");
  let text = original;
  for (const [re, say] of REWRITES) text = text.replace(re, (...m) => say(hasMask, ...m));
  if (original.search(HTTP_MASK_HINT) >= 0 && !/paint/.test(text)) {
    text = text.replace(/[.\s]*$/, hasMask ? `: ${USE_PAINTED}` : ": paint the area on the image");
  }
  return text.replace(/\s+([,.;:])/g, "$1").replace(/\s{2,}/g, " ").trim();
}

/** A long quoted part of a message, cut to its start and end. */
export function shortQuote(text, max = LONG_QUOTE) {
  return text.length <= max ? text : `${text.slice(0, Math.round(max * 0.6)).trimEnd()} … ${text.slice(-Math.round(max * 0.3)).trimStart()}`;
}

/** The words to show for an API error. */
export function plainWords(err, { hasMask = context.hasMask() } = {}) {
  const msg = editorWording(err.message || "Something went wrong.", { hasMask });
  switch (err.code) {
    case "unsupported_instruction": {
      const generative = err.engineHint === "generative" || /generative model/.test(msg);
      const hint = generative
        ? ` The builtin engine edits exactly but cannot invent new content: rephrase, ${hasMask ? "" : "paint a mask, "}or pick a generative engine under Options.`
        : "";
      const text = msg.charAt(0).toUpperCase() + msg.slice(1);
      return `${text}${/[.!?)]$/.test(text) ? "" : "."}${hint}`;
    }
    case "invalid_plan":
      return `The edited plan cannot run: ${msg.replace(/^Invalid value for 'plan': /, "")}`;
    case "insufficient_credits":
      return `${msg} Ask an admin for credits, or choose a smaller size or lower quality.`;
    case "rate_limit_exceeded":
    case "concurrency_limit_exceeded":
      return err.retryAfter
        ? `${msg} Try again in ${err.retryAfter} s.`
        : msg;
    case "file_too_large":
      return `Too large: ${msg}`;
    case "unsupported_media_type":
      return "Not an image retouch can read (use PNG, JPEG, WebP, GIF, TIFF or BMP).";
    case "network":
      return msg;
    default:
      if (err.status === 429) return `Too many requests right now.${err.retryAfter ? ` Try again in ${err.retryAfter} s.` : ""}`;
      if (err.status >= 500) return "Something went wrong on the server; your work here is kept. Try again.";
      return msg;
  }
}

/** Which slot an error belongs in, from its `param`. Tray images are handled by the caller. */
export function slotFor(err) {
  const p = err.param || "";
  if (p === "prompt") return "prompt-error";
  if (p === "mask") return "mask-error";
  if (p === "size") return "size-error";
  if (["background", "output_format", "output_compression"].includes(p)) return "background-error";
  if (p === "model") return "engine-error";
  if (/^(image|images|file)/.test(p)) return "tray-error";
  return "run-error";
}

/** The index of the input image an error names (`images[2]`), or null. */
export function imageIndex(err) {
  const m = /^images?\[(\d+)\]/.exec(err.param || "");
  return m ? Number(m[1]) : (err.param === "image" ? 0 : null);
}

export function showError(slotId, text, fragment = null) {
  const el = $(`#${slotId}`);
  if (!el) return;
  // A long instruction is quoted by its start and end, never in full.
  if (fragment && fragment.length > LONG_QUOTE) {
    const short = shortQuote(fragment);
    text = text.split(fragment).join(short);
    fragment = short;
  }
  text = text.replace(/([“"])([^”"]{121,})([”"])/g, (_, a, q, b) => `${a}${shortQuote(q)}${b}`);
  el.textContent = "";
  if (fragment && text.includes(fragment)) {
    // Underline the part of the instruction that could not be done.
    const i = text.indexOf(fragment);
    el.append(text.slice(0, i), Object.assign(document.createElement("mark"), { textContent: fragment }), text.slice(i + fragment.length));
  } else {
    el.textContent = text;
  }
  if (slotId === "prompt-error") $("#prompt").setAttribute("aria-invalid", "true");
}

export function clearError(slotId) {
  const el = $(`#${slotId}`);
  if (el) el.textContent = "";
  if (slotId === "prompt-error") $("#prompt").removeAttribute("aria-invalid");
}

export function clearAll() {
  for (const id of SLOTS) clearError(id);
}
