// What the user chose last time (options, draft instruction, images in the tray), kept in
// localStorage so that a reload or a new visit starts where they left off.

const KEY = "retouch.v1";

export const DEFAULT_OPTIONS = {
  engine: "builtin",
  model: "",
  size: "auto",
  width: 1024,
  height: 1024,
  quality: "auto",
  output_format: "png",
  output_compression: 20,
  background: "auto",
};

function read() {
  try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch { return {}; }
}

export function load(name, fallback) {
  const v = read()[name];
  return v === undefined ? fallback : v;
}

export function save(name, value) {
  const all = read();
  all[name] = value;
  try { localStorage.setItem(KEY, JSON.stringify(all)); } catch { /* private mode or full: not fatal */ }
}
