// The version tree of the image being edited (kept on the server, per key), and the list of
// all the key's images with a history. A version is a button: selecting it shows it and makes
// it the starting point of the next edit, which then becomes a new branch there.

import { h, fmtTime } from "./dom.js";

export function renderTree(container, tree, { baseId, shownId, onSelect }) {
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

export function renderTrees(container, trees, { currentId, onOpen }) {
  if (!trees.length) {
    container.replaceChildren(h("li", { class: "hint" }, "None yet."));
    return;
  }
  container.replaceChildren(
    ...trees.map((t) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            "aria-current": t.id === currentId ? "true" : false,
            "aria-label": `Open ${t.name}: ${t.versions} version${t.versions === 1 ? "" : "s"}, changed ${fmtTime(t.updated_at)}`,
            onclick: () => onOpen(t),
          },
          t.thumb_url ? h("img", { src: t.thumb_url, alt: "", loading: "lazy" }) : null,
          h("span", {}, t.name),
        ),
      ),
    ),
  );
}
