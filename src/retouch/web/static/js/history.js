// The version tree of the image being edited (kept on the server, per key), and the list of
// all the key's images with a history. A version is a button: selecting it shows it and makes
// it the starting point of the next edit, which then becomes a new branch there.

import { h, fmtTime } from "./dom.js";

export function renderTree(container, tree, { baseId, shownId, onSelect }) {
  // Re-rendering replaces the buttons: keep focus on the version that had it.
  const hadFocus = container.contains(document.activeElement) ? document.activeElement.dataset.version : null;
  draw(container, tree, { baseId, shownId, onSelect });
  if (hadFocus) container.querySelector(`button[data-version="${hadFocus}"]`)?.focus();
}

function draw(container, tree, { baseId, shownId, onSelect }) {
  if (!tree) {
    container.replaceChildren(h("p", { class: "hint" }, "No history yet: the first edit of an image starts one."));
    return;
  }
  const children = new Map();
  for (const v of tree.versions) {
    const k = v.parent_id || "";
    if (!children.has(k)) children.set(k, []);
    children.get(k).push(v);
  }
  const node = (v) => {
    const title = v.number === 0 ? "Original" : `Version ${v.number}`;
    const what = v.number === 0 ? tree.name : `“${v.prompt}”`;
    const btn = h(
      "button",
      {
        type: "button",
        class: `node${v.id === shownId ? " shown" : ""}`,
        "aria-current": v.id === baseId ? "true" : false,
        "data-version": v.id,
        "data-number": String(v.number),
        "aria-label": `${title}: ${what}. ${v.width}×${v.height}.${v.id === baseId ? " Next edit starts here." : ""}`,
        onclick: () => onSelect(v),
      },
      h("img", { src: v.thumb_url, alt: "", loading: "lazy", width: "64", height: "64" }),
      h("span", { class: "label" }, h("b", {}, title), h("span", {}, what), h("span", {}, `${v.width}×${v.height} · ${fmtTime(v.created_at)}`)),
    );
    const kids = children.get(v.id) || [];
    return h("li", {}, btn, kids.length ? h("ul", {}, kids.map(node)) : null);
  };
  container.replaceChildren(h("ul", { "aria-label": `Versions of ${tree.name}` }, (children.get("") || []).map(node)));
}

/** "coffee.png", and "coffee.png (2)" for the next image of that name (by when it was added). */
export function distinctNames(trees) {
  const byName = new Map();
  for (const t of [...trees].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))) {
    const n = (byName.get(t.name) || 0) + 1;
    byName.set(t.name, n);
    t.label = n > 1 ? `${t.name} (${n})` : t.name;
  }
  return trees;
}

export function renderTrees(container, trees, { currentId, onOpen }) {
  if (!trees.length) {
    container.replaceChildren(h("li", { class: "hint" }, "None yet."));
    return;
  }
  container.replaceChildren(
    ...distinctNames(trees).map((t) => {
      const edits = t.versions - 1;
      const what = edits > 0 ? `${edits} edit${edits === 1 ? "" : "s"}` : "no edits";
      return h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            "aria-current": t.id === currentId ? "true" : false,
            "aria-label": `Open ${t.label}: ${what}, changed ${fmtTime(t.updated_at)}`,
            title: t.label,
            onclick: () => onOpen(t),
          },
          t.thumb_url ? h("img", { src: t.thumb_url, alt: "" }) : null,
          h("span", {}, t.label),
          h("span", { class: "sub" }, `${what} · ${fmtTime(t.updated_at)}`),
        ),
      );
    }),
  );
}
