// /join: a game code with a nickname, or with a rostered student's key. The choice is handed
// to /play in sessionStorage; /play reports a refusal back here as ?error=.
import { $, $$ } from "./dom.js";
import { mountPrefsControls } from "./prefs.js";
import { refusalMessage } from "./socket.js";
import { JOIN_KEY, SAVED_KEY, clearPlaySession } from "./session.js";

mountPrefsControls();

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

export function validateCode(value) {
  const code = value.replace(/\s+/g, "");
  if (!code) return [null, "Type the game code."];
  if (!/^[0-9]{6}$/.test(code)) return [null, "The game code is 6 numbers."];
  return [code, ""];
}

export function validateNickname(value) {
  const name = value.trim();
  if (!name) return [null, "Type your name."];
  if ([...name].length > 20) return [null, "Use at most 20 letters."];
  if (CONTROL_CHARS.test(name)) return [null, "That name has characters that can't be used."];
  return [name, ""];
}

function validateKey(value) {
  const key = value.replace(/\s+/g, "").toUpperCase();
  if (!key) return [null, "Type your student key."];
  if (key.length > 16 || !/^[A-Z0-9-]+$/.test(key)) return [null, "That doesn't look like a student key."];
  return [key, ""];
}

function check(input, errorEl, validator) {
  const [value, message] = validator(input.value);
  errorEl.textContent = message;
  input.setAttribute("aria-invalid", message ? "true" : "false");
  return value;
}

function go(join) {
  clearPlaySession();
  sessionStorage.setItem(JOIN_KEY, JSON.stringify(join));
  location.assign("/play");
}

function selectTab(tab) {
  for (const t of $$('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(`#${t.getAttribute("aria-controls")}`).hidden = !on;
  }
}

function init() {
  const params = new URLSearchParams(location.search);
  const code = (params.get("code") || "").replace(/\D/g, "").slice(0, 6);
  $("#code").value = code;
  $("#key-code").value = code;
  const error = params.get("error");
  if (error) $("#join-notice").textContent = refusalMessage(error);
  // A refused name is the name field's error: said next to it and marked invalid, so a
  // screen reader announces it there.
  const nameRefused = error === "invalid_nickname" || error === "nickname_taken";
  if (nameRefused) {
    $("#nickname-error").textContent = refusalMessage(error);
    $("#nickname").setAttribute("aria-invalid", "true");
  }
  const savedKey = localStorage.getItem(SAVED_KEY);
  if (savedKey) {
    $("#student-key").value = savedKey;
    $("#remember-key").checked = true;
    selectTab($("#tab-key"));
  }
  const tabs = $$('[role="tab"]');
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const next = tabs[(tabs.indexOf(tab) + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      selectTab(next);
      next.focus();
    });
  }
  const first = nameRefused ? "#nickname"
    : code ? (savedKey ? "#student-key" : "#nickname") : (savedKey ? "#key-code" : "#code");
  $(first).focus();

  $("#form-name").addEventListener("submit", (e) => {
    e.preventDefault();
    const c = check($("#code"), $("#code-error"), validateCode);
    const n = check($("#nickname"), $("#nickname-error"), validateNickname);
    if (!c) return $("#code").focus();
    if (!n) return $("#nickname").focus();
    go({ code: c, nickname: n });
  });
  $("#form-key").addEventListener("submit", (e) => {
    e.preventDefault();
    const c = check($("#key-code"), $("#key-code-error"), validateCode);
    const k = check($("#student-key"), $("#key-error"), validateKey);
    if (!c) return $("#key-code").focus();
    if (!k) return $("#student-key").focus();
    if ($("#remember-key").checked) localStorage.setItem(SAVED_KEY, k);
    else localStorage.removeItem(SAVED_KEY);
    go({ code: c, student_key: k });
  });
}

init();
