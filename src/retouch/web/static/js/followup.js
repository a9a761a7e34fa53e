// Follow-ups in context. When a version made by an edit is the base of the next edit, the next
// instruction is read against the plan that made it ("a bit less", "undo the vignette", "same but
// warmer") and the revised plan runs on that edit's original inputs, which the server kept with its
// job: "a bit less" after "+40% contrast" is +20% of the original, not a second edit on top.
// This module says which job that is, and shows under the plan what changes and why.

import { ApiError } from "./api.js";
import { $, h } from "./dom.js";

/** Model names of the builtin engine (the only one whose plans can be revised). */
const BUILTIN = new Set([undefined, null, "", "builtin", "retouch-builtin"]);

/** The id of the job whose edit the next instruction follows up, or null: the original, another
 * engine on either side, or a masked edit (its revised plan would run under its mask as a whole, so
 * an instruction for the whole picture stacks on the version instead). */
export function followedJob(base, fields) {
  if (!base || !base.job_id || !base.number || base.params?.mask) return null;
  if (!BUILTIN.has(base.params?.model) || !BUILTIN.has(fields?.model)) return null;
  return base.job_id;
}

/** The changes from the version's plan ("contrast +0.40 → +0.20 (“a bit less”)"), under the steps. */
export function showChanges(plan) {
  const box = $("#plan-changes");
  if (!box) return;
  const changes = plan && !(plan instanceof ApiError) ? plan.changes || [] : [];
  box.hidden = !changes.length;
  box.replaceChildren(
    ...(changes.length
      ? [h("h4", {}, "Changed from the version’s edit"), h("ul", {}, changes.map((c) => h("li", {}, c)))]
      : []),
  );
}
