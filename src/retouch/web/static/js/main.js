// The editor: wires the images, options, instruction, mask, compare view, history, batch and
// activity panels together. State that matters lives on the server (files, jobs, version
// trees) or in localStorage (options, draft, tray), so a reload loses nothing.

import { api, ApiError, followJob, dataURL } from "./api.js";
import { $, $$, announce, fmtInt } from "./dom.js";
import { plainWords, slotFor, imageIndex, showError, clearAll, clearError, setErrorContext } from "./errors.js";
import { Tray, isSlotDrag } from "./tray.js";
import { MaskPainter } from "./mask.js";
import { ClickSelect } from "./select.js";
import { Compare } from "./compare.js";
import { renderTree, renderTrees } from "./history.js";
import { Options } from "./options.js";
import { Instruction } from "./instruct.js";
import { followedJob } from "./followup.js";
import { BatchView, editedName } from "./batch.js";
import { refreshStats, refreshJobs } from "./account.js";
import { load, save } from "./settings.js";

const state = {
  me: null,
  config: null,
  tree: null, // the version tree of the first image, once it has one
  base: null, // the version the next edit starts from (null: the first image as uploaded)
  shown: null, // the version in the Compare view ("after"; the one "Edit this result" takes)
  before: null, // the version it is compared with (its parent unless another was picked)
  firstKey: null, // which tray slot the tree belongs to
  job: null, // {id, abort} while something runs
  cooldown: false, // after a 429, until Retry-After has passed
};

let tray, mask, compare, options, instruction, batch;

// ---- start

/** Why the page was opened here, from the address (a used login link), once. */
function arrival() {
  const url = new URL(location.href);
  const why = url.searchParams.get("signin");
  if (!why) return "";
  url.searchParams.delete("signin");
  history.replaceState(null, "", url.pathname + url.search + url.hash);
  return why === "link-used"
    ? "That login link was already used or has expired: each link works once. Restart `retouch serve` for a new one, or paste an API key."
    : "";
}

async function start() {
  $("#signin-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  const why = arrival();
  try {
    state.me = await api("/v1/me");
  } catch (e) {
    showSignIn(e.status === 401 ? why : plainWords(e));
    return;
  }
  state.config = await api("/ui/api/config").catch(() => ({
    engines: [{ name: "builtin", ready: true, summary: "exact edits on the CPU, offline" }],
    max_images: 16,
    max_image_bytes: 50 * 2 ** 20,
  }));
  $("#signin").hidden = true;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  setup();
}

function showSignIn(message) {
  $("#app").hidden = true;
  $("#signin").hidden = false;
  $("#sign-out").hidden = true;
  $("#signin-error").textContent = message || "";
  $("#signin-key").focus();
}

async function signIn(ev) {
  ev.preventDefault();
  $("#signin-error").textContent = "";
  try {
    await api("/ui/api/session", { method: "POST", json: { key: $("#signin-key").value } });
    location.reload();
  } catch (e) {
    $("#signin-error").textContent = plainWords(e);
  }
}

async function signOut() {
  await api("/ui/api/session", { method: "DELETE" }).catch(() => {});
  location.reload();
}

function setup() {
  tray = new Tray($("#tray"), {
    maxImages: state.config.max_images,
    maxBytes: state.config.max_image_bytes,
    onChange: onTrayChange,
    notice: { box: $("#tray-notice-box"), text: $("#tray-notice"), undo: $("#tray-undo") },
  });
  mask = new MaskPainter({
    view: $("#mask-wrap"), stage: $("#mask-stage"), img: $("#base-img"), canvas: $("#mask-canvas"),
    cursor: $("#brush-cursor"), zoomIn: $("#mask-zoom-in"), zoomOut: $("#mask-zoom-out"),
    zoomFit: $("#mask-zoom-fit"), zoomValue: $("#mask-zoom-value"),
  }, { onChange: onMaskChange });
  setErrorContext({ hasMask: () => mask.hasMask() });
  new ClickSelect(mask, { onError: (e) => showError("mask-error", plainWords(e)), status: $("#mask-status") });
  compare = new Compare({
    box: $("#compare"), before: $("#before-img"), after: $("#after-img"), afterLayer: $("#after-layer"),
    handle: $("#compare-handle"), split: $("#compare-split"), zoomIn: $("#zoom-in"), zoomOut: $("#zoom-out"),
    zoomFit: $("#zoom-fit"), zoomValue: $("#zoom-value"), tags: { before: $("#tag-before"), after: $("#tag-after") },
  });
  options = new Options({
    engines: state.config.engines,
    sizeRange: state.config.size_range,
    onChange: () => { instruction.refresh(); updateButtons(); },
  });
  instruction = new Instruction({
    context: runContext,
    onRun: () => runEdit(),
    onState: () => updateButtons(),
    maxChars: state.config.max_prompt_chars || 32000,
  });
  batch = new BatchView();
  bindInputs();
  bindMaskTools();
  bindTabs();
  $("#run").addEventListener("click", () => runEdit());
  $("#run-batch").addEventListener("click", () => runBatch());
  $("#batch-consistent").addEventListener("change", () => updateButtons());
  $("#cancel").addEventListener("click", cancelJob);
  $("#edit-result").addEventListener("click", editResult);
  bindComparePickers();
  $("#jobs-refresh").addEventListener("click", refreshActivity);
  renderTree($("#tree"), null, {});
  restoreTray();
  refreshActivity();
  refreshTrees();
  instruction.refresh();
  updateButtons();
  document.body.dataset.ready = "1"; // for tests and scripts: every control is wired now
}

// ---- images

function bindInputs() {
  const input = $("#file-input");
  input.addEventListener("change", () => {
    tray.addFiles(input.files, { errorEl: $("#tray-error") });
    input.value = "";
  });
  const zone = $("#dropzone");
  // Files may be dropped anywhere on the page; the drop zone lights up to say so.
  document.addEventListener("dragover", (ev) => {
    if (isSlotDrag(ev) || !ev.dataTransfer?.types.includes("Files")) return;
    ev.preventDefault();
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", (ev) => { if (!ev.relatedTarget) zone.classList.remove("over"); });
  document.addEventListener("drop", (ev) => {
    zone.classList.remove("over");
    if (isSlotDrag(ev) || !ev.dataTransfer?.files.length) return;
    ev.preventDefault();
    tray.addFiles(ev.dataTransfer.files, { errorEl: $("#tray-error") });
  });
  document.addEventListener("paste", (ev) => {
    const files = [...(ev.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
    if (!files.length) return; // plain text pastes into the instruction as usual
    ev.preventDefault();
    tray.addFiles(files, { errorEl: $("#tray-error") });
  });
}

function restoreTray() {
  for (const s of load("tray", [])) tray.addStored(s);
  if (!tray.slots.length) onTrayChange("init");
}

function onTrayChange(reason, slot) {
  save("tray", tray.serialize());
  if (reason === "expired") {
    $("#tray-error").textContent = `${slot.name} is no longer on the server (uploads expire); add it again to edit it.`;
  }
  const first = tray.first();
  const firstKey = first ? first.key : null;
  if (firstKey !== state.firstKey) {
    if (state.firstKey) instruction.rebase("the image to edit changed"); // not on a reload
    state.firstKey = firstKey;
    state.tree = null;
    state.base = null;
    state.shown = null;
    state.before = null;
    showNothingToCompare();
    if (first?.tree_id) openTreeOf(first, first.tree_id);
    else {
      renderTree($("#tree"), null, {});
      showBase();
    }
  }
  instruction.refresh();
  updateButtons();
}

// ---- the base image and mask

/** What the next edit starts from: a version of the tree, or the first image as uploaded. */
function baseImage() {
  if (state.base) {
    return { url: state.base.preview_url, width: state.base.width, height: state.base.height, version: state.base };
  }
  const first = tray.first();
  return first ? { url: first.preview, width: first.width, height: first.height, version: null } : null;
}

async function showBase() {
  const b = baseImage();
  $("#stage-empty").hidden = !!b;
  if (!b || !b.width) {
    mask.hide();
    $("#base-line").textContent = b ? `${tray.first().name} (no preview in this browser)` : "";
    onMaskChange();
    return;
  }
  const name = state.tree?.name || tray.first()?.name || "";
  $("#base-line").textContent = b.version && b.version.number
    ? `Next edit starts from ${name}, version ${b.version.number}${followedJob(b.version, options.fields()) ? ": “a bit less” revises its edit" : ""}`
    : `Next edit starts from ${name}, original`;
  await mask.setImage(b.url, b.width, b.height);
  fitBrushTo(b.width, b.height);
  onMaskChange();
}

/** Brush and feather sliders in the image's pixels: their range (and, until the user picks a
 * size, the size) follow the image, so a 6000 px photo does not get a 40 px brush. */
function fitBrushTo(width, height) {
  const size = $("#mask-size");
  const feather = $("#mask-feather");
  const long = Math.max(width, height);
  size.max = String(mask.maxSize());
  feather.max = String(Math.max(40, Math.round(long / 25)));
  if (!userSized) size.value = String(Math.max(4, Math.min(Number(size.max), Math.round(long / 12))));
  mask.setSize(Number(size.value));
  mask.setFeather(Number(feather.value));
  $("#mask-size-value").textContent = `${size.value} px`;
  $("#mask-feather-value").textContent = `${feather.value} px`;
}

let userSized = false; // the brush size follows each image until the user sets one
function bindMaskTools() {
  for (const r of $$("input[name=mask-tool]")) r.addEventListener("change", () => { mask.tool = r.value; });
  const size = $("#mask-size");
  const feather = $("#mask-feather");
  const show = () => {
    mask.setSize(Number(size.value));
    mask.setFeather(Number(feather.value));
    $("#mask-size-value").textContent = `${size.value} px`;
    $("#mask-feather-value").textContent = `${feather.value} px`;
  };
  size.addEventListener("input", () => { userSized = true; show(); mask.previewSize(); });
  feather.addEventListener("input", show);
  show();
  $("#mask-undo").addEventListener("click", () => mask.undo());
  $("#mask-invert").addEventListener("click", () => mask.invert());
  $("#mask-clear").addEventListener("click", () => mask.clear());
}

let lastHasMask = false;
function onMaskChange() {
  if (!mask) return;
  const has = mask.hasMask();
  $("#mask-undo").disabled = !mask.canUndo();
  $("#mask-clear").disabled = !has;
  $("#mask-invert").disabled = $("#mask-canvas").hidden;
  $("#mask-status").textContent = has
    ? "Only the painted area will be edited; everything else stays exactly as it is."
    : "Paint over the area to change; without a mask the whole image is edited.";
  clearError("mask-error");
  if (has !== lastHasMask) {
    lastHasMask = has;
    instruction?.refreshSoon(); // "remove the painted object" needs a mask: the plan changes
  }
}

// ---- tabs

function bindTabs() {
  const tabs = [$("#tab-edit"), $("#tab-compare")];
  for (const t of tabs) {
    t.addEventListener("click", () => selectTab(t.id === "tab-edit" ? "edit" : "compare"));
    t.addEventListener("keydown", (ev) => {
      if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
      const other = tabs.find((x) => x !== t);
      selectTab(other.id === "tab-edit" ? "edit" : "compare");
      other.focus();
    });
  }
}

function selectTab(which) {
  const edit = which === "edit";
  $("#tab-edit").setAttribute("aria-selected", String(edit));
  $("#tab-compare").setAttribute("aria-selected", String(!edit));
  $("#tab-edit").tabIndex = edit ? 0 : -1;
  $("#tab-compare").tabIndex = edit ? -1 : 0;
  $("#panel-edit").hidden = !edit;
  $("#panel-compare").hidden = edit;
  if (!edit) compare.fit();
}

// ---- history

let treeSeq = 0;
async function openTreeOf(slot, treeId, { versionId = null } = {}) {
  const seq = ++treeSeq;
  let tree;
  try {
    tree = await api(`/ui/api/trees/${treeId}`);
  } catch (e) {
    if (seq !== treeSeq) return;
    if (e.status === 404) { slot.tree_id = null; save("tray", tray.serialize()); }
    state.tree = null;
    renderTree($("#tree"), null, {});
    showBase();
    return;
  }
  if (seq !== treeSeq) return; // another image or version was opened meanwhile
  state.tree = tree;
  const v = state.tree.versions;
  const want = versionId || state.tree.selected_id;
  state.base = v.find((x) => x.id === want) || v[0];
  state.shown = state.base.parent_id ? state.base : null;
  drawHistory();
  await showBase();
  if (state.shown) await showCompare(state.shown);
  else showNothingToCompare();
  instruction.refresh();
}

/** Bring the picture into view when it changed because of a click far below it. */
function revealStage() {
  const r = $(".stage").getBoundingClientRect();
  if (r.top >= 0 && r.top < innerHeight / 2) return;
  const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
  $(".stage").scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
}

function drawHistory() {
  renderTree($("#tree"), state.tree, { baseId: state.base?.id, shownId: state.shown?.id, onSelect: selectVersion });
}

async function refreshTrees() {
  try {
    const list = await api("/ui/api/trees?limit=24");
    renderTrees($("#trees"), list.data, { currentId: state.tree?.id, onOpen: (t) => openTree(t.id) });
  } catch { /* the list is a convenience; the editor works without it */ }
}

/** Open a tree from "Your images" or a recent job: its image becomes the one edited, in
 * place of the current one (which is not silently kept as a reference: Undo brings it back). */
async function openTree(treeId, versionId = null) {
  clearAll();
  revealStage();
  const existing = tray.slots.find((s) => s.tree_id === treeId && s.status === "ready");
  let slot = existing;
  if (!slot) {
    try {
      const tree = await api(`/ui/api/trees/${treeId}`);
      const root = tree.versions[0];
      const { file_id } = await api(`/ui/api/versions/${root.id}/file`, { method: "POST" });
      slot = tray.addStored({
        file_id, name: tree.name, width: root.width, height: root.height, bytes: root.bytes,
        tree_id: treeId, previewUrl: root.preview_url, thumbUrl: root.thumb_url,
      });
    } catch (e) {
      showError("tray-error", plainWords(e));
      return;
    }
  }
  if (tray.first() !== slot) tray.replaceFirst(slot);
  state.firstKey = slot.key;
  state.tree = null;
  save("tray", tray.serialize());
  await openTreeOf(slot, treeId, { versionId });
  updateButtons();
}

async function selectVersion(v) {
  if (v.id !== state.base?.id) instruction.rebase(`the next edit starts from ${versionName(v).toLowerCase()}`);
  state.base = v;
  state.shown = v.parent_id ? v : null;
  state.before = null;
  drawHistory();
  revealStage();
  api(`/ui/api/trees/${state.tree.id}`, { method: "PATCH", json: { selected_id: v.id } }).catch(() => {});
  await showBase();
  if (state.shown) {
    await showCompare(v);
    selectTab("compare");
  } else {
    showNothingToCompare();
    selectTab("edit");
  }
  announce(`${v.number ? `Version ${v.number}` : "The original"} selected: the next edit starts from it.`);
  instruction.refresh();
}

const versionName = (v) => (v.number ? `Version ${v.number}` : "Original");

/** Compare `after` with `before` (default: the version it was made from). */
async function showCompare(after, before = null) {
  before ||= state.tree.versions.find((x) => x.id === after.parent_id) || state.tree.versions[0];
  state.shown = after;
  state.before = before;
  fillPickers();
  $("#compare-empty").hidden = true;
  $("#compare-pick").hidden = false;
  $("#compare-tools").hidden = false;
  await compare.show(before.preview_url, after.preview_url, after.width / after.height,
    { beforeLabel: versionName(before), afterLabel: versionName(after) });
  const made = after.number ? ` — “${after.prompt}”` : "";
  const vs = before.id === after.parent_id ? "" : ` · compared with ${versionName(before).toLowerCase()}`;
  $("#compare-caption").textContent = `${versionName(after)}${made} · ${after.width}×${after.height}` +
    `${after.params?.model ? ` · ${after.params.model}` : ""}${after.params?.mask ? " · masked" : ""}${vs}`;
  const dl = $("#download");
  dl.href = after.download_url;
  dl.download = after.filename;
  dl.setAttribute("aria-disabled", "false");
  dl.textContent = `Download ${after.filename.split(".").pop().toUpperCase()}`;
  updateButtons();
}

/** No result to compare (a new image, or none edited yet): say so; nothing stale, nothing broken. */
function showNothingToCompare() {
  state.shown = null;
  state.before = null;
  compare.clear();
  $("#compare-empty").hidden = false;
  $("#compare-pick").hidden = true;
  $("#compare-tools").hidden = true;
  $("#compare-caption").textContent = "";
  const dl = $("#download");
  dl.removeAttribute("href");
  dl.setAttribute("aria-disabled", "true");
  dl.textContent = "Download";
  updateButtons();
}

/** The Before and After lists: every version of the tree. */
function fillPickers() {
  const opts = (sel) => state.tree.versions.map((v) => {
    const o = document.createElement("option");
    o.value = v.id;
    o.textContent = v.number ? `${versionName(v)} — ${v.prompt}` : `Original — ${state.tree.name}`;
    o.selected = v.id === sel?.id;
    return o;
  });
  $("#compare-before").replaceChildren(...opts(state.before));
  $("#compare-after").replaceChildren(...opts(state.shown));
}

function bindComparePickers() {
  const pick = async () => {
    const find = (id) => state.tree.versions.find((v) => v.id === id);
    const after = find($("#compare-after").value);
    const before = find($("#compare-before").value);
    if (!after || !before) return;
    await showCompare(after, before);
    drawHistory();
    announce(`Comparing ${versionName(before).toLowerCase()} with ${versionName(after).toLowerCase()}.`);
  };
  $("#compare-before").addEventListener("change", pick);
  $("#compare-after").addEventListener("change", pick);
  $("#compare-swap").addEventListener("click", () => {
    const b = $("#compare-before").value;
    $("#compare-before").value = $("#compare-after").value;
    $("#compare-after").value = b;
    pick();
  });
}

/** "Edit this result": the shown version becomes the base of the next edit. */
async function editResult() {
  if (!state.shown) return;
  instruction.rebase(`the next edit starts from ${versionName(state.shown).toLowerCase()}`);
  state.base = state.shown;
  drawHistory();
  api(`/ui/api/trees/${state.tree.id}`, { method: "PATCH", json: { selected_id: state.base.id } }).catch(() => {});
  await showBase();
  selectTab("edit");
  instruction.input.focus();
  instruction.input.select();
  announce(`Now editing version ${state.base.number}.`);
  instruction.refresh();
}

// ---- running

function runContext() {
  const b = baseImage();
  const ready = tray.ready();
  return {
    images: b ? [{ width: b.width, height: b.height }, ...ready.slice(1)] : [],
    batchImages: ready, // a batch edits every image as uploaded, each on its own
    hasMask: !!mask?.hasMask(),
    mode: "edit",
    after: followedJob(state.base, options.fields()),
    fields: options.fields(),
    problems: options.problems(),
  };
}

/** Why Edit (and Batch) cannot run, as far as the page already knows: [edit, batch] or nulls. */
function blockers() {
  const p = options.problems();
  const opt = p.size ? "The custom size is out of range." : p.background ? "The background needs PNG or WebP." : null;
  return [opt || instruction.blocker(), opt || instruction.batchBlocker()];
}

const RUN_HINT = "Ctrl+Enter runs the edit.";
function updateButtons() {
  if (!instruction) return;
  const busy = !!state.job || !!state.cooldown;
  const ready = tray.ready();
  const uploading = tray.slots.some((s) => s.status === "reading" || s.status === "uploading");
  const [editBlock, batchBlock] = blockers();
  const prompt = !!instruction.value;
  const consistent = $("#batch-consistent").checked; // the pass alone needs no instruction
  $("#run").disabled = busy || !ready.length || uploading || !tray.first() || !prompt || !!editBlock;
  $("#run-batch").disabled = busy || ready.length < 2 || uploading || !(prompt || consistent) || !!batchBlock;
  $("#batch-consistent").disabled = ready.length < 2;
  $("#run-batch").textContent = ready.length >= 2 ? `Batch all ${ready.length}` : "Batch all";
  $("#edit-result").disabled = busy || !state.shown || state.shown.id === state.base?.id;
  const why = !busy && tray.first() && prompt ? editBlock : null;
  $("#run-hint").textContent = why ? `Edit is off: ${why.charAt(0).toLowerCase()}${why.slice(1)}` : RUN_HINT;
}

function showRunError(e) {
  if (e.status === 401) { showSignIn("Your session ended: sign in again. Your images and instruction are kept."); return; }
  const text = plainWords(e);
  const idx = imageIndex(e);
  if (idx !== null && tray.setError(idx, text)) return;
  showError(slotFor(e), text, e.fragment);
  if (e.retryAfter) countdown(e.retryAfter);
}

/** After a 429, keep Run disabled for the time the server asked for. */
function countdown(seconds) {
  const run = $("#run");
  let left = Math.ceil(seconds);
  state.cooldown = true;
  const tick = () => {
    if (left <= 0) { state.cooldown = false; run.textContent = "Edit"; updateButtons(); return; }
    run.textContent = `Wait ${left} s`;
    left -= 1;
    setTimeout(tick, 1000);
  };
  updateButtons();
  tick();
}

function progressStart(text) {
  $("#progress-box").hidden = false;
  $("#progress").value = 0;
  $("#progress-text").textContent = text;
  $("#cancel").disabled = false;
}

function progressUpdate(ev) {
  if (typeof ev.progress === "number") $("#progress").value = ev.progress;
  const where = ev.status === "queued" && ev.queue_position ? `Queued (position ${ev.queue_position})` : null;
  $("#progress-text").textContent = where || `${ev.status === "queued" ? "Queued" : "Working"}${ev.stage ? `: ${ev.stage}` : ""} — ${Math.round((ev.progress || 0) * 100)}%`;
}

function progressEnd() {
  $("#progress-box").hidden = true;
}

async function submit(body) {
  const abort = new AbortController();
  const job = await api("/v1/jobs", { method: "POST", json: body, signal: abort.signal });
  state.job = { id: job.id, abort };
  updateButtons();
  return followJob(job.id, progressUpdate, { signal: abort.signal });
}

async function runEdit() {
  if (state.job || state.cooldown) return;
  if ($("#run").disabled) {
    instruction.insist(); // Ctrl+Enter on a refused instruction: say why now
    if (!instruction.value) { showError("prompt-error", "Type an instruction first: what should change?"); }
    return;
  }
  clearAll();
  tray.clearErrors();
  const prompt = instruction.value;
  if (!prompt) { showError("prompt-error", "Type an instruction first: what should change?"); $("#prompt").focus(); return; }
  const first = tray.first();
  if (!first) { showError("tray-error", "Add an image first."); return; }
  state.job = { id: null, abort: null };
  updateButtons();
  progressStart("Preparing…");
  try {
    // The first edit of an image starts its history; the original is its root version.
    if (!state.tree) {
      state.tree = await api("/ui/api/trees", { method: "POST", json: { file_id: first.file_id, name: first.name } });
      first.tree_id = state.tree.id;
      save("tray", tray.serialize());
      state.base = state.tree.versions[0];
      drawHistory();
    }
    const base = state.base;
    // a follow-up runs on the original its job kept (followup.js)
    const after = followedJob(base, options.fields());
    const files = async (v) => [(await api(`/ui/api/versions/${v}/file`, { method: "POST" })).file_id, ...tray.ready().slice(1).map((s) => s.file_id)];
    const body = {
      ...(after ? { after } : { images: await files(base.id) }),
      prompt,
      mode: "edit",
      ...options.fields(),
      metadata: { ui_tree: state.tree.id, ui_parent: base.id },
    };
    const plan = instruction.editedPlan(); // the plan as changed with its controls
    if (plan) Object.assign(body, { plan, metadata: { ...body.metadata, ui_plan: "edited" } });
    if (mask.hasMask()) body.mask = await dataURL(await mask.toBlob());
    progressStart("Submitting…");
    // stored inputs expired: send the version it edited (kept in the tree)
    const job = await submit(body).catch(async (e) => {
      if (e.code !== "inputs_expired") throw e;
      let src = base; // a follow-up ran on what the job it revised ran on
      while (src.params?.after) src = state.tree.versions.find((x) => x.id === src.parent_id);
      return submit({ ...body, images: await files(src.parent_id) });
    });
    if (job.status === "succeeded") {
      progressUpdate({ status: "running", progress: 1, stage: "saving the version" });
      const { data } = await api(`/ui/api/trees/${state.tree.id}/versions`, { method: "POST", json: { job_id: job.id, parent_id: base.id } });
      state.tree = await api(`/ui/api/trees/${state.tree.id}`);
      state.shown = state.tree.versions.find((x) => x.id === data[0].id);
      drawHistory();
      await showCompare(state.shown);
      selectTab("compare");
      announce(`Done: version ${state.shown.number}. Compare it with the version before, download it, or edit it further.`);
    } else if (job.status === "failed") {
      showRunError(new ApiError(400, job.error || {}));
    } else {
      showError("run-error", "Canceled. Nothing was charged; your image, mask and instruction are as they were.");
    }
  } catch (e) {
    if (e.name !== "AbortError") showRunError(e);
  } finally {
    progressEnd();
    state.job = null;
    updateButtons();
    refreshActivity().then(() => instruction.refresh()); // the estimate shows the new balance
    refreshTrees();
  }
}

async function runBatch() {
  if (state.job || state.cooldown || $("#run-batch").disabled) return;
  clearAll();
  tray.clearErrors();
  const prompt = instruction.value;
  const consistent = $("#batch-consistent").checked;
  if (!prompt && !consistent) { showError("prompt-error", "Type an instruction first: what should change?"); $("#prompt").focus(); return; }
  const slots = tray.ready();
  const names = slots.map((s) => s.name);
  state.job = { id: null, abort: null };
  updateButtons();
  batch.start(slots.map((s) => ({ name: s.name, thumb: s.thumb, preview: s.preview })), prompt || "Make them consistent");
  $("#batch").scrollIntoView({ behavior: "smooth", block: "start" });
  try {
    const body = { images: slots.map((s) => s.file_id), prompt, mode: "batch", ...options.fields(), metadata: { ui: "batch" }, plan: instruction.editedPlan() || undefined };
    if (consistent) body.consistency = true;
    const job = await submit({ ...body });
    if (job.status === "succeeded") {
      batch.finish(job, names);
      const failed = (job.result.failures || []).length;
      announce(`Batch done: ${names.length - failed} of ${names.length} images edited.`);
    } else {
      const e = new ApiError(400, job.error || { message: "Canceled." });
      batch.fail(job.status === "canceled" ? "Canceled. Nothing was charged." : plainWords(e));
      if (job.status === "failed") showRunError(e);
    }
  } catch (e) {
    if (e.name !== "AbortError") {
      batch.fail(plainWords(e));
      showRunError(e);
    }
  } finally {
    state.job = null;
    updateButtons();
    refreshActivity().then(() => instruction.refresh());
  }
}

async function cancelJob() {
  if (!state.job?.id) return;
  $("#cancel").disabled = true;
  $("#progress-text").textContent = "Canceling…";
  await api(`/v1/jobs/${state.job.id}/cancel`, { method: "POST" }).catch(() => {});
}

// ---- activity

async function refreshActivity() {
  try {
    await refreshStats(state.me);
    await refreshJobs({ onOpen: openJob });
  } catch (e) {
    if (e.status === 401) showSignIn("Your session ended: sign in again.");
  }
}

async function openJob(job) {
  if (job.mode === "batch") {
    batch.reopen(job);
    $("#batch").scrollIntoView({ behavior: "smooth", block: "start" });
    return;
  }
  const treeId = job.metadata?.ui_tree;
  if (treeId) {
    // The tree records the job's result (now, if the page was closed while it ran).
    try {
      const tree = await api(`/ui/api/trees/${treeId}`);
      const v = tree.versions.find((x) => x.job_id === job.id);
      await openTree(treeId, v?.id);
      if (state.shown) selectTab("compare");
      return;
    } catch { /* deleted history: fall back to the plain output */ }
  }
  const im = job.result.images[0];
  window.open(`/v1/files/${im.file_id}/content`, "_blank", "noopener");
}

// Expose a little for debugging in the console (and the mask's hooks), nothing more.
window.retouch = { state, fmtInt, editedName, get mask() { return mask; } };

start();
