// /screen?code=&key=: the projector. Joins /screen with the room's screen key and follows the
// game: lobby with the code and QR, question with countdown, answers, leaderboard, podium.
import { $, h, showView, percent, formatMs } from "./dom.js";
import { renderLeaders, renderPodium, promptText } from "./board.js";
import { connect, refusalCode, refusalMessage } from "./socket.js";
import { Countdown } from "./countdown.js";
import { HeatMap } from "./heatmap.js";

const params = new URLSearchParams(location.search);
const code = (params.get("code") || "").replace(/\D/g, "");
const screenKey = params.get("key") || "";
let current = null;
let countdown = null;
let total = null;
const heat = new HeatMap($("#heatmap"));

function showLobby(l) {
  const players = l.players || [];
  $("#lobby-count").textContent = String(l.count ?? players.length);
  // Who is in the room, so a question opens with "0 / 30 answered", not "0 / 0".
  $("#q-players").textContent = String(l.count ?? players.length);
  const names = $("#names");
  const known = new Set([...names.children].map((li) => li.dataset.id));
  const incoming = new Set(players.map((p) => p.player_id));
  for (const li of [...names.children]) if (!incoming.has(li.dataset.id)) li.remove();
  // Append only newcomers, so the arrival animation plays once per name.
  for (const p of players) if (!known.has(p.player_id)) names.append(h("li", { dataset: { id: p.player_id }, text: p.nickname }));
  $("#locked").hidden = !l.locked;
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
    fill: $("#screen-timer-fill"), seconds: $("#screen-seconds"), container: $(".screen-timer"),
    totalMs: q.time_limit_ms,
    // The projector's clock may be off; trust it only when it agrees with the time limit.
    remainingMs: Math.abs(remaining - q.time_limit_ms) < 2000 ? remaining : q.time_limit_ms,
  });
  countdown.start();
}

function onClosed(c) {
  countdown?.stop();
  heat.close(c);
  $("#reveal-prompt").textContent = c.personal || current?.personal ? "Personal round"
    : current ? `${promptText(current)} = ${c.correct_answer}` : String(c.correct_answer);
  $("#reveal-stats").textContent = `${percent(c.correct, c.answered)} correct · ${c.answered} answered`
    + ` · average ${formatMs(c.average_response_time_ms)}`;
  showView("reveal");
}

function start() {
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
    if (s.phase === "question" && s.question) onQuestion({ ...s.question, index: s.index, total: s.total });
    else if (s.phase === "finished") showView("over");
  });
  socket.on("lobby", showLobby);
  socket.on("question", onQuestion);
  socket.on("answer_progress", (p) => {
    $("#q-answered").textContent = String(p.answered);
    $("#q-players").textContent = String(p.players);
  });
  socket.on("question_closed", onClosed);
  socket.on("leaderboard", (b) => {
    if (b.live) {  // standings while answers arrive: shown under the question, no view change
      renderLeaders($("#live-leaders"), b.top.slice(0, 5));
      $("#live-board").hidden = b.top.length === 0;
      return;
    }
    renderLeaders($("#screen-leaders"), b.top);
    showView("reveal");
  });
  socket.on("game_over", (g) => {
    countdown?.stop();
    renderPodium($("#screen-podium"), g.podium);
    renderLeaders($("#final-leaders"), g.top);
    showView("over");
  });
}

start();
