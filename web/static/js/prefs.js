// The user's display preferences (users.font_size, users.color_scheme in the schema), applied
// as classes on <html>. Kept on this device; for a signed-in user also on their account
// (GET/PATCH /api/me/preferences), so they follow the user to any device.
import { api } from "./api.js";

const KEY = "mathrally.prefs";
let accountToken = null;  // set by linkPrefsToAccount: changes are then saved to the account
export const FONT_SIZES = ["small", "medium", "large", "x-large"];
export const COLOR_SCHEMES = ["default", "dark", "high_contrast"];
const SCHEME_LABELS = { default: "Light", dark: "Dark", high_contrast: "High contrast" };
const SIZE_LABELS = { small: "Small", medium: "Medium", large: "Large", "x-large": "Extra large" };

export function loadPrefs() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch { saved = {}; }
  return {
    font_size: FONT_SIZES.includes(saved.font_size) ? saved.font_size : "medium",
    color_scheme: COLOR_SCHEMES.includes(saved.color_scheme) ? saved.color_scheme : "default",
  };
}

export function applyPrefs(prefs = loadPrefs()) {
  const root = document.documentElement;
  for (const s of FONT_SIZES) root.classList.toggle(`size-${s}`, s === prefs.font_size);
  for (const c of COLOR_SCHEMES) root.classList.toggle(`scheme-${c}`, c === prefs.color_scheme);
}

export function savePrefs(partial) {
  const prefs = { ...loadPrefs() };
  if (FONT_SIZES.includes(partial?.font_size)) prefs.font_size = partial.font_size;
  if (COLOR_SCHEMES.includes(partial?.color_scheme)) prefs.color_scheme = partial.color_scheme;
  localStorage.setItem(KEY, JSON.stringify(prefs));
  applyPrefs(prefs);
  return prefs;
}

function select(id, label, options, labels, value, onChange) {
  const wrap = document.createElement("span");
  const lab = document.createElement("label");
  lab.htmlFor = id;
  lab.textContent = label;
  const sel = document.createElement("select");
  sel.id = id;
  for (const o of options) {
    const opt = document.createElement("option");
    opt.value = o;
    opt.textContent = labels[o];
    opt.selected = o === value;
    sel.append(opt);
  }
  sel.addEventListener("change", () => {
    onChange(sel.value);
    if (accountToken) {
      api("PATCH", "/api/me/preferences", loadPrefs(), { token: accountToken }).catch(() => {});
    }
  });
  wrap.append(lab, " ", sel);
  return wrap;
}

/** Fills every [data-prefs] element with the text size and colour scheme controls. */
export function mountPrefsControls() {
  const prefs = loadPrefs();
  for (const host of document.querySelectorAll("[data-prefs]")) {
    host.classList.add("prefs");
    host.replaceChildren(
      select("pref-size", "Text", FONT_SIZES, SIZE_LABELS, prefs.font_size,
        (v) => savePrefs({ font_size: v })),
      select("pref-scheme", "Colours", COLOR_SCHEMES, SCHEME_LABELS, prefs.color_scheme,
        (v) => savePrefs({ color_scheme: v })),
    );
  }
}

/** Uses (and from now on saves to) the signed-in user's stored preferences. */
export async function linkPrefsToAccount(token) {
  if (!token) return;
  accountToken = token;
  try {
    const stored = await api("GET", "/api/me/preferences", undefined, { token });
    const prefs = savePrefs(stored);
    for (const [id, value] of [["pref-size", prefs.font_size], ["pref-scheme", prefs.color_scheme]]) {
      const sel = document.getElementById(id);
      if (sel) sel.value = value;
    }
  } catch {
    accountToken = null;  // an expired token: the page that owns it will ask to sign in
  }
}

applyPrefs();
