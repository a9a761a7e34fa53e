// Credits, usage and recent jobs of the signed-in key.

import { api } from "./api.js";
import { $, h, fmtInt, fmtTime } from "./dom.js";
import { editorWording } from "./errors.js";

export async function refreshStats(me) {
  const [balance, usage] = await Promise.all([
    api("/v1/balance"),
    api("/v1/usage?group_by=day").catch(() => null),
  ]);
  const today = new Date().toISOString().slice(0, 10);
  const todayRow = usage?.data?.find((r) => r.day === today) || {};
  const stat = (label, value, id) => h("div", {}, h("dt", {}, label), h("dd", { id }, value));
  $("#stats").replaceChildren(
    stat("Credits available", fmtInt(balance.available), "stat-available"),
    stat("Held by running jobs", fmtInt(balance.held), "stat-held"),
    stat("Used today", `${fmtInt(todayRow.credits)} credits`, "stat-today"),
    stat("Images today", fmtInt(todayRow.images), "stat-images"),
    stat("Images, all time", fmtInt(usage?.totals?.images), "stat-total"),
  );
  $("#account-line").textContent = `${me.key.name || "key"} (${me.key.prefix}…) · ${fmtInt(balance.available)} credits`;
  return balance;
}

/** "batch of N" (inputs, not outputs), with how many were not edited. */
function batchSize(j) {
  if (!j.result) return "batch of …";
  const failed = (j.result.failures || []).length;
  const edited = new Set(j.result.images.map((im) => im.input_index)).size;
  return `batch of ${edited + failed}${failed ? ` (${failed} not edited)` : ""}`;
}

export async function refreshJobs({ onOpen }) {
  const list = await api("/v1/jobs?limit=10");
  const rows = list.data.map((j) => {
    const open = j.status === "succeeded"
      ? h("button", { type: "button", class: "small", "aria-label": `Open the result of “${j.params.prompt}”`, onclick: () => onOpen(j) }, "Open")
      : null;
    const what = j.mode === "batch" ? batchSize(j) : "edit";
    return h(
      "tr",
      { "data-job": j.id },
      h("td", {}, fmtTime(j.created_at)),
      h("td", { class: "prompt", title: j.params.prompt }, j.params.prompt),
      h("td", {}, what),
      h("td", { class: `status-${j.status}`, title: j.error ? editorWording(j.error.message) : "" }, j.status),
      h("td", {}, j.status === "succeeded" ? fmtInt(j.charged_credits) : "—"),
      h("td", {}, open),
    );
  });
  $("#jobs tbody").replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: "6", class: "hint" }, "No jobs yet."))]));
}
