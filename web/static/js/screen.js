// /screen?code=&key=: the projector. Joins /screen with the room's screen key and follows the
// game: lobby with the code, QR and this week's top, question with a countdown ring and
// answered count, answers, leaderboard (and in team mode the team board), podium.
import { $, h, showView, percent, formatMs } from "./dom.js";
import { renderLeaders, renderPodium, renderTeams, promptText } from "./board.js";
import { connect, refusalCode, refusalMessage } from "./socket.js";
import { Countdown } from "./countdown.js";
import { HeatMap } from "./heatmap.js";
import { answerMark } from "./marks.js";
import { play, setSound, soundOn } from "./sound.js";
import { loadPrefs, savePrefs } from "./prefs.js";

const params = new URLSearchParams(location.search);
const code = (params.get("code") || "").replace(/\D/g, "");
const screenKey = params.get("key") || "";
let current = null;
let countdown = null;
let total = null;
let players = 0;
let teamMode = false;
const heat = new HeatMap($("#heatmap"));

/** Team mode shows the team board where the heat map was, and a team podium. */
function setTeamMode(on) {
  teamMode = on;
  $("#reveal-teams").hidden = !on;
  $("#reveal-players").hidden = on;
  $("#heat-wrap").hidden = on;
  $("#side-players").hidden = !on;
  $("#over-players-title").hidden = !on;
  document.body.classList.toggle("team-mode", on);
}

function showTeams(teams) {
  if (!teams?.length) return;
  if (!teamMode) setTeamMode(true);
  renderTeams($("#screen-teams"), teams);
  renderTeams($("#live-teams"), teams);
  $("#live-teams-board").hidden = false;
}

function showLobby(l) {
  const list = l.players || [];
  const count = l.count ?? list.length;
  $("#lobby-count").textContent = String(count);
  // Who is in the room, so a question opens with "0 / 30 answered", not "0 / 0".
  $("#q-players").textContent = String(count);
  players = count;
  if (l.teams?.length) {
    if (!teamMode) setTeamMode(true);
    $("#lobby-teams").replaceChildren(...l.teams.map((t) => h(`li.team-${t.team}`, {},
      h("span.team-swatch", { "aria-hidden": "true" }), `${t.name} ${t.count}`)));
    $("#lobby-teams").hidden = false;
  }
  const names = $("#names");
  const known = new Map([...names.children].map((li) => [li.dataset.id, li]));
  const incoming = new Set(list.map((p) => p.player_id));
  for (const li of [...names.children]) if (!incoming.has(li.dataset.id)) li.remove();
  // Append only newcomers, so the arrival animation plays once per name.
  let arrived = false;
  for (const p of list) {
    const teamClass = typeof p.team === "number" ? `.team-${p.team}` : "";
    const old = known.get(p.player_id);
    if (old) { old.className = teamClass.slice(1); continue; }  // moved to another team
    names.append(h(`li${teamClass}`, { dataset: { id: p.player_id } },
      teamClass ? h("span.team-swatch", { "aria-hidden": "true" }) : null, p.nickname));
    arrived = true;
  }
  if (arrived) play("join");
  $("#locked").hidden = !l.locked;
}

/** "This week's top" of the game's class: its students who scored in live games this week. */
function showWeekTop(b) {
  const top = (b.board || []).map((e) => ({ rank: e.rank, player_id: e.user_id, nickname: e.display_name, score: e.points }));
  renderLeaders($("#week-leaders"), top);
  $("#week-top").hidden = top.length === 0;
}

function onQuestion(q) {
  current = q;
  total = q.total ?? total;
  // A personal round has no one fact to show (or to place on the heat map): each student
  // answers their own, and showing any of them would show its answer to the whole class.
  if (q.personal) heat.current = null;
  else heat.open(q);
  $("#q-number").textContent = `Question ${q.index + 1}${total ? ` of ${total}` : ""}`;
  $("#screen-prompt").textContent = q.personal ? "Everyone has their own fact" : promptText(q);
  $("#screen-prompt").classList.toggle("personal", Boolean(q.personal));
  $("#q-answered").textContent = "0";
  showView("question");
  countdown?.stop();
  const remaining = q.closes_at ? Math.min(q.time_limit_ms, Math.max(0, q.closes_at - Date.now())) : q.time_limit_ms;
  countdown = new Countdown({
    ring: $("#screen-ring"), seconds: $("#screen-seconds"), container: $(".screen-timer"),
    totalMs: q.time_limit_ms,
    // The projector's clock may be off; trust it only when it agrees with the time limit.
    remainingMs: Math.abs(remaining - q.time_limit_ms) < 2000 ? remaining : q.time_limit_ms,
    onSecond: (s) => { if (s > 0 && s <= 3) play("tick"); },
  });
  countdown.start();
}

/** Right, wrong and no answer, each with its colour and its shape (marks.js). */
function showStates(c) {
  const seated = Math.max(players, c.answered);
  const states = [["good", c.correct, "right"], ["bad", c.answered - c.correct, "wrong"],
    ["late", seated - c.answered, "no answer"]];
  $("#reveal-states").replaceChildren(...states.map(([kind, n, label]) => h(`li.state.${kind}`, {},
    answerMark(kind), h("span.state-count", { text: String(n) }), h("span.state-label", { text: label }))));
}

function onClosed(c) {
  countdown?.stop();
  heat.close(c);
  play("close");
  $("#reveal-prompt").textContent = c.personal || current?.personal ? "Personal round"
    : current ? `${promptText(current)} = ${c.correct_answer}` : String(c.correct_answer);
  showStates(c);
  $("#reveal-stats").textContent = `${percent(c.correct, c.answered)} correct · average ${formatMs(c.average_response_time_ms)}`;
  showView("reveal");
}

function onGameOver(g) {
  countdown?.stop();
  const ol = $("#screen-podium");
  if (g.teams?.length) {
    if (!teamMode) setTeamMode(true);
    const scored = g.teams.filter((t) => t.score > 0);
    ol.classList.add("team-podium");
    renderPodium(ol, scored);
    $("#over-title").textContent = scored.length && scored[0].rank === 1 && scored[1]?.rank !== 1
      ? `Team ${scored[0].name} wins!` : "Well played, teams!";
    renderLeaders($("#final-leaders"), g.top.slice(0, 5));
  } else {
    renderPodium(ol, g.podium);
    renderLeaders($("#final-leaders"), g.top);
  }
  showView("over");
}

function wireToggles() {
  const sound = $("#sound-toggle");
  const motion = $("#motion-toggle");
  const render = () => {
    sound.setAttribute("aria-pressed", String(soundOn()));
    sound.textContent = soundOn() ? "Sound: on" : "Sound: off";
    const reduced = loadPrefs().motion === "reduce";
    motion.setAttribute("aria-pressed", String(!reduced));
    motion.textContent = reduced ? "Motion: reduced" : "Motion: on";
  };
  sound.addEventListener("click", () => { setSound(!soundOn()); render(); play("join"); });
  motion.addEventListener("click", () => {
    savePrefs({ motion: loadPrefs().motion === "reduce" ? "auto" : "reduce" });
    render();
  });
  $("#screen-podium").addEventListener("podium-step", (e) => play(e.detail === "p1" ? "win" : "place"));
  render();
}

function start() {
  wireToggles();
  if (!/^[0-9]{6}$/.test(code) || !screenKey) {
    $("#stopped-text").textContent = "This projector link is incomplete. Open it again from the teacher page.";
    showView("stopped");
    return;
  }
  const joinBase = `${location.protocol}//${location.host}`;
  $("#join-host").textContent = `${location.host}/join`;
  $("#join-code").textContent = code;
  const qr = $("#qr");
  qr.src = `/qr/join.svg?code=${code}`;
  qr.alt = `QR code for ${joinBase}/join?code=${code}`;
  qr.hidden = false;
  showView("lobby");

  const socket = connect("/screen", { code, screen_key: screenKey });
  socket.on("connect", () => { $("#connection").hidden = true; });
  socket.on("disconnect", () => { $("#connection").textContent = "Reconnecting…"; $("#connection").hidden = false; });
  socket.on("connect_error", (err) => {
    const refused = refusalCode(err);
    if (refused) {
      $("#stopped-text").textContent = refused === "forbidden"
        ? "This projector link is not valid for this game." : refusalMessage(refused);
      showView("stopped");
    } else {
      $("#connection").textContent = "Cannot reach the server: retrying…";
      $("#connection").hidden = false;
    }
  });
  socket.on("state", (s) => {
    total = s.total ?? total;
    if (s.title !== undefined) {
      $("#screen-title").textContent = s.title || "Math Rally";
      document.title = `${s.title || "Projector"} · Math Rally`;
    }
    if (s.teams) showTeams(s.teams);
    if (s.phase === "question" && s.question) onQuestion({ ...s.question, index: s.index, total: s.total });
    else if (s.phase === "finished") showView("over");
  });
  socket.on("lobby", showLobby);
  socket.on("class_board", showWeekTop);
  socket.on("question", onQuestion);
  socket.on("answer_progress", (p) => {
    $("#q-answered").textContent = String(p.answered);
    $("#q-players").textContent = String(p.players);
    players = p.players;
  });
  socket.on("question_closed", onClosed);
  socket.on("leaderboard", (b) => {
    if (b.live) {  // standings while answers arrive: shown under the question, no view change
      renderLeaders($("#live-leaders"), b.top.slice(0, 5));
      $("#live-board").hidden = b.top.length === 0;
      return;
    }
    players = b.players ?? players;
    renderLeaders($("#screen-leaders"), b.top);
    renderLeaders($("#side-leaders"), b.top);
    if (b.teams) showTeams(b.teams);
    showView("reveal");
  });
  socket.on("game_over", onGameOver);
}

start();
