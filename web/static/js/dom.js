// Small DOM helpers. Text always goes in through textContent (never innerHTML): nicknames
// and names are typed by users.
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** h("li.me", {dataset: {id}}, "text", child) → element. */
export function h(tagAndClasses, props = {}, ...children) {
  const [tag, ...classes] = tagAndClasses.split(".");
  const el = document.createElement(tag || "div");
  if (classes.length) el.classList.add(...classes);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "text") el.textContent = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function show(el, visible = true) { el.hidden = !visible; }

/** Shows exactly one of the [data-view] sections inside root. */
export function showView(name, root = document) {
  for (const v of $$("[data-view]", root)) v.hidden = v.dataset.view !== name;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return "–";
  return `${(Number(ms) / 1000).toFixed(1)} s`;
}

export function percent(part, whole) {
  if (!whole) return "–";
  return `${Math.round((100 * part) / whole)}%`;
}

/** A UUID v4. crypto.randomUUID exists only in secure contexts (HTTPS or localhost), and a
 *  classroom server is often plain http on a LAN address, so fall back to getRandomValues. */
export function newUuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
