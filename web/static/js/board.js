// Leaderboard and podium lists shared by the student, host and projector pages.
import { h } from "./dom.js";

export function renderLeaders(ol, top = [], meId = null) {
  ol.replaceChildren(...top.map((p) => h(`li${p.player_id === meId ? ".me" : ""}`, {},
    h("span.rank", { text: `${p.rank}.` }),
    h("span.name", { text: p.nickname }),
    h("span.score", { text: String(p.score) }))));
}

const PLACES = ["1st", "2nd", "3rd"];
export function renderPodium(ol, podium = []) {
  ol.replaceChildren(...podium.slice(0, 3).map((p, i) => h(`li.p${i + 1}`, {},
    h("span.place", { text: PLACES[i] }),
    h("span.name", { text: p.nickname }),
    h("span.score.muted", { text: ` ${p.score}` }))));
}

/** The operation as a child reads it: "7 × 8". Falls back to the operands when no prompt. */
export function promptText(q) {
  if (q?.prompt) return q.prompt;
  if (!q) return "";
  return `${q.operand1} ${q.operation} ${q.operand2}`;
}
