// The number pad and the answer field, shared by the live game (/play) and practice
// (/practice): the same keys, the same keyboard rules, so a child meets one way of answering.
//   <input id="answer"> + <div class="pad" data-pad></div>: mountPad fills the pad's keys.

const MAX_ANSWER_CHARS = 8;
const KEYS = [
  ["7"], ["8"], ["9"], ["4"], ["5"], ["6"], ["1"], ["2"], ["3"],
  ["-", "±", "change sign"], ["0"], ["back", "⌫", "delete"],
];

/** Digits, one leading minus sign and a decimal point; at most MAX_ANSWER_CHARS. */
export function sanitize(value) {
  let v = value.replace(/[^0-9.\-]/g, "");
  v = (v.startsWith("-") ? "-" : "") + v.replace(/-/g, "");
  return v.slice(0, MAX_ANSWER_CHARS);
}

/** The typed answer, or null when it is not a number yet. */
export function typedAnswer(input) {
  const answer = sanitize(input.value);
  return !answer || answer === "-" || Number.isNaN(Number(answer)) ? null : answer;
}

function pressKey(input, key) {
  if (key === "back") input.value = input.value.slice(0, -1);
  else if (key === "-") input.value = input.value.startsWith("-") ? input.value.slice(1) : `-${input.value}`;
  else input.value = sanitize(input.value + key);
}

/**
 * Wires a pad to its answer field.
 *   isActive(): whether a question is on screen (digits typed anywhere go to the field then)
 *   onSubmit(): the form was submitted (Enter, or the Enter key of the pad)
 *   onMethod(method): "keyboard" or "touch", each time the student uses one
 */
export function mountPad({ pad, input, form, isActive, onSubmit, onMethod = () => {} }) {
  input.maxLength = MAX_ANSWER_CHARS;
  pad.setAttribute("role", "group");
  pad.setAttribute("aria-label", "Number pad");
  pad.replaceChildren(...KEYS.map(([key, text = key, label]) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.key = key;
    button.textContent = text;
    if (label) button.setAttribute("aria-label", label);
    return button;
  }));
  input.addEventListener("input", () => {
    onMethod("keyboard");
    const clean = sanitize(input.value);
    if (clean !== input.value) input.value = clean;
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); onSubmit(); });
  // Keep the focus (and the caret) in the answer field when the pad is tapped.
  pad.addEventListener("pointerdown", (e) => { if (e.target.closest("button")) e.preventDefault(); });
  pad.addEventListener("click", (e) => {
    const key = e.target.closest("button")?.dataset.key;
    if (!key) return;
    if (e.detail > 0) onMethod("touch");
    pressKey(input, key);
  });
  // Digits typed anywhere on the page go to the answer (no need to click the field first).
  document.addEventListener("keydown", (e) => {
    if (!isActive() || e.target === input || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest?.("select, textarea, input")) return;
    if (/^[0-9.\-]$/.test(e.key)) { input.focus(); pressKey(input, e.key); e.preventDefault(); }
    else if (e.key === "Backspace") { input.focus(); pressKey(input, "back"); e.preventDefault(); }
  });
}
