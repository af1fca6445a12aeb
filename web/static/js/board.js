// Leaderboard, team board and podium lists shared by the student, host and projector pages.
import { h } from "./dom.js";
import { flipRender, inSequence } from "./motion.js";

/** The individual board; rows slide to their new places when the order changes. */
export function renderLeaders(ol, top = [], meId = null) {
  flipRender(ol, () => ol.replaceChildren(...top.map((p) => h(`li${p.player_id === meId ? ".me" : ""}`,
    { dataset: { key: p.player_id } },
    h("span.rank", { text: `${p.rank}.` }),
    h("span.name", { text: p.nickname }),
    h("span.score", { text: String(p.score) })))));
}

/** The team board (team mode): rank, the team's colour and name, what it scored at the
 *  question that just closed, its streak, its total. `mine` marks the student's own team. */
export function renderTeams(ol, teams = [], mine = null) {
  flipRender(ol, () => ol.replaceChildren(...teams.map((t) => h(`li.team-row.team-${t.team}${t.team === mine ? ".me" : ""}`,
    { dataset: { key: `team-${t.team}` } },
    h("span.rank", { text: `${t.rank}.` }),
    h("span.name", {}, h("span.team-swatch", { "aria-hidden": "true" }), t.name),
    h("span.team-gain", { text: t.points ? `+${t.points}` : "" }),
    h("span.team-streak", { text: t.streak >= 2 ? `${t.streak} in a row` : "" }),
    h("span.score", { text: String(t.score) })))));
}

const PLACES = ["1st", "2nd", "3rd"];
const REVEAL_GAP_MS = 1200;

/**
 * The podium, revealed third, second, first (a drum roll for the winner); all at once when
 * motion is reduced. `entries` are players ({nickname, score}) or teams ({name, score, team}).
 */
export function renderPodium(ol, entries = []) {
  ol.cancelReveal?.();
  const items = entries.slice(0, 3).map((p, i) => h(`li.p${i + 1}${p.nickname === undefined ? `.team-${p.team}` : ""}.waiting`, {},
    h("span.place", { text: PLACES[i] }),
    h("span.name", { text: p.nickname ?? p.name }),
    h("span.score.muted", { text: ` ${p.score}` })));
  ol.replaceChildren(...items);
  ol.cancelReveal = inSequence(items.slice().reverse().map((li) => () => {
    li.classList.remove("waiting");
    li.classList.add("shown");
    ol.dispatchEvent(new CustomEvent("podium-step", { detail: li.className.match(/p\d/)[0] }));
  }), REVEAL_GAP_MS);
}

/** The operation as a child reads it: "7 × 8". Falls back to the operands when no prompt. */
export function promptText(q) {
  if (q?.prompt) return q.prompt;
  if (!q) return "";
  return `${q.operand1} ${q.operation} ${q.operand2}`;
}
