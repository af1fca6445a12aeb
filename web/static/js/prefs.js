// The user's display preferences (users.font_size, users.color_scheme, users.font_family and
// users.palette in the schema), applied as classes on <html>. Kept on this device; for a
// signed-in user also on their account (GET/PATCH /api/me/preferences), so they follow the user
// to any device. Motion ("auto": as the system says, or "reduce") is kept on the device only:
// it is about this screen.
import { api } from "./api.js";

const KEY = "mathrally.prefs";
let accountToken = null;  // set by linkPrefsToAccount: changes are then saved to the account
export const FONT_SIZES = ["small", "medium", "large", "x-large"];
export const COLOR_SCHEMES = ["default", "dark", "high_contrast"];
const SCHEME_LABELS = { default: "Light", dark: "Dark", high_contrast: "High contrast" };
const SIZE_LABELS = { small: "Small", medium: "Medium", large: "Large", "x-large": "Extra large" };
// The dyslexia-friendly font (OpenDyslexic, vendored) and the colour-blind-safe palette
// (blue and orange for right/wrong and the fluency levels): app.css reads the classes.
export const FONT_FAMILIES = ["standard", "dyslexia"];
const FONT_LABELS = { standard: "Standard font", dyslexia: "Dyslexia-friendly" };
export const PALETTES = ["standard", "colour_blind"];
const PALETTE_LABELS = { standard: "Standard palette", colour_blind: "Colour-blind safe" };
// What the account keeps (motion stays on the device).
const ACCOUNT_FIELDS = [["pref-size", "font_size"], ["pref-scheme", "color_scheme"],
  ["pref-font", "font_family"], ["pref-palette", "palette"]];
export const MOTIONS = ["auto", "reduce"];
const MOTION_LABELS = { auto: "Motion on", reduce: "Reduced motion" };

export function loadPrefs() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch { saved = {}; }
  return {
    font_size: FONT_SIZES.includes(saved.font_size) ? saved.font_size : "medium",
    color_scheme: COLOR_SCHEMES.includes(saved.color_scheme) ? saved.color_scheme : "default",
    font_family: FONT_FAMILIES.includes(saved.font_family) ? saved.font_family : "standard",
    palette: PALETTES.includes(saved.palette) ? saved.palette : "standard",
    motion: MOTIONS.includes(saved.motion) ? saved.motion : "auto",
  };
}

export function applyPrefs(prefs = loadPrefs()) {
  const root = document.documentElement;
  for (const s of FONT_SIZES) root.classList.toggle(`size-${s}`, s === prefs.font_size);
  for (const c of COLOR_SCHEMES) root.classList.toggle(`scheme-${c}`, c === prefs.color_scheme);
  root.classList.toggle("font-dyslexia", prefs.font_family === "dyslexia");
  root.classList.toggle("palette-colour_blind", prefs.palette === "colour_blind");
  root.classList.toggle("motion-reduce", prefs.motion === "reduce");
}

export function savePrefs(partial) {
  const prefs = { ...loadPrefs() };
  if (FONT_SIZES.includes(partial?.font_size)) prefs.font_size = partial.font_size;
  if (COLOR_SCHEMES.includes(partial?.color_scheme)) prefs.color_scheme = partial.color_scheme;
  if (FONT_FAMILIES.includes(partial?.font_family)) prefs.font_family = partial.font_family;
  if (PALETTES.includes(partial?.palette)) prefs.palette = partial.palette;
  if (MOTIONS.includes(partial?.motion)) prefs.motion = partial.motion;
  localStorage.setItem(KEY, JSON.stringify(prefs));
  applyPrefs(prefs);
  return prefs;
}

function select(id, label, options, labels, value, onChange, { account = true } = {}) {
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
    if (accountToken && account) {
      const prefs = loadPrefs();
      const body = Object.fromEntries(ACCOUNT_FIELDS.map(([, field]) => [field, prefs[field]]));
      api("PATCH", "/api/me/preferences", body, { token: accountToken }).catch(() => {});
    }
  });
  wrap.append(lab, " ", sel);
  return wrap;
}

/** Fills every [data-prefs] element with the text size, colour scheme, font, palette and
 *  motion controls. */
export function mountPrefsControls() {
  const prefs = loadPrefs();
  for (const host of document.querySelectorAll("[data-prefs]")) {
    host.classList.add("prefs");
    host.replaceChildren(
      select("pref-size", "Text", FONT_SIZES, SIZE_LABELS, prefs.font_size,
        (v) => savePrefs({ font_size: v })),
      select("pref-scheme", "Colours", COLOR_SCHEMES, SCHEME_LABELS, prefs.color_scheme,
        (v) => savePrefs({ color_scheme: v })),
      select("pref-font", "Font", FONT_FAMILIES, FONT_LABELS, prefs.font_family,
        (v) => savePrefs({ font_family: v })),
      select("pref-palette", "Palette", PALETTES, PALETTE_LABELS, prefs.palette,
        (v) => savePrefs({ palette: v })),
      select("pref-motion", "Motion", MOTIONS, MOTION_LABELS, prefs.motion,
        (v) => savePrefs({ motion: v }), { account: false }),
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
    for (const [id, field] of ACCOUNT_FIELDS) {
      const sel = document.getElementById(id);
      if (sel) sel.value = prefs[field];
    }
  } catch {
    accountToken = null;  // an expired token: the page that owns it will ask to sign in
  }
}

applyPrefs();
