// Errors in plain words, shown next to what caused them (the instruction, an image, the mask,
// an option, or the Run button). Nothing the user did is cleared by an error.

import { $ } from "./dom.js";

const SLOTS = ["prompt-error", "mask-error", "size-error", "background-error", "engine-error", "run-error", "tray-error"];

/** The words to show for an API error. */
export function plainWords(err) {
  const msg = err.message || "Something went wrong.";
  switch (err.code) {
    case "unsupported_instruction": {
      const hint = err.engineHint === "generative"
        ? " The builtin engine edits exactly but cannot invent new content: rephrase, paint a mask, or pick a generative engine under Options."
        : "";
      const text = msg.charAt(0).toUpperCase() + msg.slice(1);
      return `${text}${/[.!?)]$/.test(text) ? "" : "."}${hint}`;
    }
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
