// The grid's fact detail (a dialog: attempts, accuracy, times, level and the SM-2 schedule) and
// the class grid's hard facts, with a personal-rounds game on them for the teacher.
import { $, h, formatMs } from "./dom.js";
import { api, rememberRoom } from "./api.js";

// Each level has a symbol as well as a colour, so the grid never depends on colour alone.
export const LEVEL_SYMBOLS = {
  not_started: "", learning: "L", accuracy: "A", fluency_6s: "6", fluency_3s_2s: "3", mastered: "★",
};
// A fact the class finds hard: tried by someone, and under this share of answers right.
const HARD_ACCURACY = 80;
const HARD_SHOWN = 6;

const dateText = (iso) => (iso ? new Date(`${String(iso).slice(0, 10)}T00:00:00Z`).toLocaleDateString(undefined,
  { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }) : "not scheduled");

/** The rows of one student's fact, everything the grid API gives for it. */
export function studentDetailRows(c, levelLabel) {
  if (!c.attempts) return [["Level", levelLabel], ["Attempts", "none yet"], ["Next review", "after the first answer"]];
  const interval = c.interval === null || c.interval === undefined ? "–" : `${c.interval} ${Number(c.interval) === 1 ? "day" : "days"}`;
  return [
    ["Level", levelLabel],
    ["Attempts", `${c.attempts} (${c.correct ?? "?"} right)`],
    ["Accuracy", c.accuracy === null ? "–" : `${Math.round(Number(c.accuracy))}%`],
    ["Average time", formatMs(c.averageMs)],
    ["Last time", formatMs(c.lastMs)],
    ["Next review", dateText(c.nextReview)],
    ["Interval", interval],
    ["Ease", c.ease === null || c.ease === undefined ? "–" : Number(c.ease).toFixed(2)],
  ];
}

/** Opens the detail dialog of a fact; the focus comes back to its cell when it closes. */
export function openDetail(fact, rows, cell) {
  const dialog = $("#cell-dialog");
  $("#cell-dialog-title").textContent = fact;
  $("#cell-dialog-body").replaceChildren(h("dl", {}, rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])));
  dialog.onclose = () => cell.focus();
  dialog.showModal();
  $("#cell-dialog-close").focus();
}

/** The facts the class finds hardest: least accurate first, among those someone tried. */
export function hardFacts(cells) {
  return cells.filter((c) => c.tried > 0 && c.accuracy !== null && c.accuracy < HARD_ACCURACY)
    .sort((x, y) => x.accuracy - y.accuracy || y.tried - x.tried).slice(0, HARD_SHOWN);
}

/** The list of hard facts and the button that starts a personal-rounds game on the track. */
export function renderHardFacts(cells, view) {
  const box = $("#hard-facts");
  const hard = hardFacts(cells);
  box.hidden = false;
  if (!hard.length) {
    box.replaceChildren(h("h2", { text: "Facts the class finds hard" }),
      h("p.muted", { text: `None yet: no fact tried by the class is under ${HARD_ACCURACY}% right.` }));
    return new Set();
  }
  const button = h("button", { type: "button", id: "hard-game", text: "Play them in a personal-rounds game" });
  const status = h("p.error-text", { role: "alert" });
  button.addEventListener("click", () => startHardGame(view, hard, button, status));
  box.replaceChildren(
    h("h2", { text: "Facts the class finds hard" }),
    h("ol.hard-list", {}, hard.map((c) => h("li", {}, h("strong", { text: `${c.a} ${c.op} ${c.b}` }),
      ` ${Math.round(c.accuracy)}% right, ${c.tried} ${c.tried === 1 ? "student" : "students"} tried`))),
    h("p.muted", { text: "In personal rounds each student gets their own fact: facts they missed and their fact families come first, then due reviews and their weakest facts." }),
    button, status);
  return new Set(hard.map((c) => `${c.a}|${c.b}`));
}

async function startHardGame(view, hard, button, status) {
  button.disabled = true;
  try {
    const room = await api("POST", "/api/rooms", {
      title: "Hard facts", operation: view.operation, track_id: view.trackId, class_id: view.classId,
      question_count: Math.max(10, hard.length * 2), time_limit_ms: 20_000, personal: true,
    }, { token: view.token });
    rememberRoom(room);
    location.assign(`/host/${room.room_id}`);
  } catch (err) {
    status.textContent = err.message;
    button.disabled = false;
  }
}
