// Follow-ups: with a version made by a builtin edit as the base, the instruction revises that
// edit's plan ("a bit less") and runs on its original, kept with its job (docs/web.md).

import { ApiError } from "./api.js";
import { $, h } from "./dom.js";

const BUILTIN = [undefined, null, "", "builtin", "retouch-builtin"];

/** The job the next instruction follows up, or null: the original, a masked edit (its plan runs
 * under its mask as a whole), or another engine on either side. */
export function followedJob(base, fields) {
  const ok = base?.job_id && base.number && !base.params?.mask;
  return ok && BUILTIN.includes(base.params?.model) && BUILTIN.includes(fields?.model) ? base.job_id : null;
}

/** Under the plan: what changed from the version's plan, and the words that asked for it. */
export function showChanges(plan) {
  const box = $("#plan-changes");
  const changes = (plan && !(plan instanceof ApiError) && plan.changes) || [];
  box.hidden = !changes.length;
  box.replaceChildren(...(changes.length ? [h("h4", {}, "Changed from the version’s edit"), h("ul", {}, changes.map((c) => h("li", {}, c)))] : []));
}
