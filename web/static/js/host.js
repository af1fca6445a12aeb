// /host/{room_id}: the teacher's console for one live game.
import { $, h, formatMs, percent } from "./dom.js";
import { api, teacher } from "./api.js";
import { renderLeaders, renderTeams, promptText } from "./board.js";
import { connect, request, refusalCode, refusalMessage } from "./socket.js";
import { linkPrefsToAccount, mountPrefsControls } from "./prefs.js";

mountPrefsControls();
linkPrefsToAccount(teacher()?.token);

const roomId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const state = { phase: "connecting", index: -1, total: null, locked: false, players: [], teams: [] };
const questions = new Map();  // index → {prompt, correct_answer, answered, correct, average}
let socket = null;

function setError(text) { $("#host-error").textContent = text || ""; }

function render() {
  $("#phase").textContent = state.phase;
  $("#q-count").textContent = state.total
    ? `question ${Math.max(0, state.index) + (state.index >= 0 ? 1 : 0)} of ${state.total}` : "";
  const p = state.phase;
  $("#btn-start").disabled = p !== "lobby";
  $("#btn-close").disabled = p !== "question";
  $("#btn-next").disabled = p !== "reveal";
  $("#btn-end").disabled = p === "finished" || p === "connecting";
  $("#btn-lock").disabled = p === "finished" || p === "connecting";
  $("#btn-lock").setAttribute("aria-pressed", String(state.locked));
  $("#btn-lock").textContent = state.locked ? "Unlock the room" : "Lock the room";
  $("#locked-note").hidden = !state.locked;
  $("#player-count").textContent = String(state.players.length);
  $("#players").replaceChildren(...state.players.map((pl) => h(`li${teamClass(pl)}`, {},
    h("span", {}, typeof pl.team === "number" ? h("span.team-swatch", { "aria-hidden": "true" }) : null, pl.nickname),
    teamControl(pl, p),
    p === "finished" ? null : h("button.secondary", {
      type: "button", "aria-label": `Remove ${pl.nickname}`, text: "Kick",
      on: { click: () => kick(pl) },
    }))));
  const rows = [...questions.entries()].sort((a, b) => a[0] - b[0]);
  $("#results").replaceChildren(...rows.map(([i, q]) => {
    // The open question's answer and results stay hidden (the console may be on a big screen).
    const open = p === "question" && i === state.index;
    const cell = (value, fmt = String) => (open || value === undefined || value === null ? "…" : fmt(value));
    return h("tr", {},
      h("td", { text: String(i + 1) }),
      h("td", { text: q.prompt }),
      h("td.num", { text: q.prompt === "Personal round" && !open ? "own" : cell(q.correct_answer) }),
      h("td.num", { text: cell(q.answered) }),
      h("td.num", { text: cell(q.correct, (c) => percent(c, q.answered)) }),
      h("td.num", { text: cell(q.average, formatMs) }));
  }));
}

function teamClass(player) { return typeof player.team === "number" ? `.team-${player.team}` : ""; }

/** Team mode: in the lobby a player's team is a choice (a `move`); later it is only shown. */
function teamControl(player, phase) {
  if (!state.teams.length || typeof player.team !== "number") return null;
  const name = state.teams[player.team]?.name ?? "";
  if (phase !== "lobby") return h("span.muted", { text: name });
  return h("select.team-select", {
    "aria-label": `Team of ${player.nickname}`,
    on: { change: (e) => move(player, Number(e.currentTarget.value)) },
  }, ...state.teams.map((t) => h("option", { value: String(t.team), text: t.name, selected: t.team === player.team })));
}

async function move(player, team) {
  const ack = await act("move", { player_id: player.player_id, team });
  if (ack.ok) player.team = team;
  render();
}

async function act(event, payload, button) {
  setError("");
  if (button) button.disabled = true;
  const ack = await request(socket, event, payload);
  if (!ack.ok) setError(`${ack.error?.message || "That did not work"} (${ack.error?.code})`);
  render();
  return ack;
}

async function kick(player) {
  if (!confirm(`Remove ${player.nickname} from the game?`)) return;
  const ack = await act("kick", { player_id: player.player_id });
  if (ack.ok) {
    state.players = state.players.filter((p) => p.player_id !== player.player_id);
    render();
  }
}

function onQuestion(q) {
  state.phase = "question";
  state.index = q.index;
  state.total = q.total ?? state.total;
  questions.set(q.index, { ...(questions.get(q.index) || {}), prompt: promptText(q) });
  $("#live-prompt").textContent = livePrompt(q);
  $("#answered").textContent = "0";
  $("#answered-meter").style.width = "0%";
  $("#last-result").textContent = "";
  render();
}

function onProgress(p) {
  $("#answered").textContent = String(p.answered);
  $("#answer-players").textContent = String(p.players);
  $("#answered-meter").style.width = p.players ? `${(100 * p.answered) / p.players}%` : "0%";
}

/** The open question as the console shows it; a personal round shows no fact. */
function livePrompt(q) {
  return q.personal ? "Personal round: everyone has their own fact" : promptText(q);
}

function onClosed(c) {
  state.phase = "reveal";
  const q = { ...(questions.get(c.index) || {}), correct_answer: c.correct_answer, answered: c.answered,
    correct: c.correct, average: c.average_response_time_ms };
  questions.set(c.index, q);
  onProgress({ answered: c.answered, players: Number($("#answer-players").textContent) || state.players.length });
  // A personal round has no one answer: every student answered their own fact.
  const prompt = c.personal ? "personal round, everyone their own fact"
    : q.prompt ? `${q.prompt} = ${c.correct_answer}` : `the answer was ${c.correct_answer}`;
  $("#last-result").textContent = `Question ${c.index + 1} (${prompt}): `
    + `${percent(c.correct, c.answered)} correct, average ${formatMs(c.average_response_time_ms)}.`;
  render();
}

function showTeams(teams) {
  if (!teams?.length) return;
  renderTeams($("#host-teams"), teams);
  $("#host-teams-box").hidden = false;
}

function onState(s) {
  showTeams(s.teams);
  state.phase = s.phase;
  if (typeof s.locked === "boolean") state.locked = s.locked;
  state.index = s.index ?? state.index;
  state.total = s.total ?? state.total;
  if (s.question) {
    questions.set(s.index, { ...(questions.get(s.index) || {}), prompt: promptText(s.question) });
    $("#live-prompt").textContent = livePrompt(s.question);
  }
  render();
}

async function loadRoom() {
  try {
    const room = await api("GET", `/api/rooms/${encodeURIComponent(roomId)}`);
    $("#room-title").textContent = room.title || `${room.operation} game`;
    document.title = `${room.title || "Game"} ${room.code} · Host · Math Rally`;
    $("#room-code").textContent = room.code;
    $("#join-url").textContent = room.join_url ? ` · ${room.join_url}` : "";
    state.total = state.total ?? room.question_count;
    if (room.screen_url) {
      $("#open-screen").href = room.screen_url;
      $("#open-screen").hidden = false;
    }
    await loadPastQuestions();
  } catch (err) {
    setError(err.status === 401 ? "Please sign in again." : err.message);
  }
}

/** After a reload the console still shows how every question so far went (from the report). */
async function loadPastQuestions() {
  const report = await api("GET", `/api/rooms/${encodeURIComponent(roomId)}/report`);
  for (const q of report.questions || []) {
    if (questions.has(q.index) && questions.get(q.index).correct_answer !== undefined) continue;
    questions.set(q.index, { prompt: q.prompt, correct_answer: q.correct_answer, answered: q.answered,
      correct: q.correct, average: q.average_response_time_ms });
  }
  render();
}

function start() {
  $("#open-report").href = `/report/${encodeURIComponent(roomId)}`;
  const t = teacher();
  if (!t?.token) { location.replace("/teacher"); return; }
  loadRoom();
  socket = connect("/host", { token: t.token, room_id: roomId });
  socket.on("connect", () => { $("#connection").hidden = true; });
  socket.on("disconnect", () => { $("#connection").textContent = "Connection lost: reconnecting…"; $("#connection").hidden = false; });
  socket.on("connect_error", (err) => {
    const code = refusalCode(err);
    $("#connection").textContent = code ? refusalMessage(code) : "Cannot reach the server: retrying…";
    $("#connection").hidden = false;
    if (code === "unauthorized") location.replace("/teacher");
  });
  socket.on("state", onState);
  socket.on("lobby", (l) => {
    state.players = l.players || [];
    state.teams = l.teams || [];
    state.locked = Boolean(l.locked);
    if (state.phase === "connecting") state.phase = "lobby";
    render();
  });
  socket.on("question", onQuestion);
  socket.on("answer_progress", onProgress);
  socket.on("question_closed", onClosed);
  socket.on("leaderboard", (b) => { renderLeaders($("#leaders"), b.top); showTeams(b.teams); });
  socket.on("game_over", (g) => {
    state.phase = "finished";
    $("#live-prompt").textContent = "Game over";
    renderLeaders($("#leaders"), g.top);
    showTeams(g.teams);
    render();
  });
  $("#btn-start").addEventListener("click", (e) => act("start", {}, e.currentTarget));
  $("#btn-close").addEventListener("click", (e) => act("close_question", {}, e.currentTarget));
  $("#btn-next").addEventListener("click", (e) => act("next", {}, e.currentTarget));
  $("#btn-lock").addEventListener("click", async () => {
    const ack = await act("lock", { locked: !state.locked });
    if (ack.ok) { state.locked = ack.locked ?? !state.locked; render(); }
  });
  $("#btn-end").addEventListener("click", async (e) => {
    if (confirm("End the game for everyone now?")) await act("end", {}, e.currentTarget);
  });
  render();
}

start();
