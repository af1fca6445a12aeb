// /play: one student's game. Joins with what /join left in sessionStorage, then lives on the
// rejoin token: a refresh or a dropped connection comes back as the same player. An answer
// keeps its attempt_id until the server acknowledges it, so a retry is never counted twice.
import { $, h, showView } from "./dom.js";
import { newUuid } from "./dom.js";
import { renderLeaders, renderPodium, promptText } from "./board.js";
import { connect, request, refusalCode, refusalMessage } from "./socket.js";
import * as store from "./session.js";
import { Countdown } from "./countdown.js";

const RETRYABLE = new Set(["timeout", "rate_limited"]);
const MAX_ANSWER_CHARS = 8;

const me = { playerId: null, score: 0, streak: 0, rank: null, total: null };
let current = null;        // the open question
let answeredIndex = -1;    // the question index this student has an accepted answer for
let lastInput = "keyboard";
let inFlight = false;
let lastResult = null;     // {index, text} of this student's last acknowledged answer
let socket = null;
let countdown = null;

function setStats({ score, streak, rank } = {}) {
  if (score !== undefined) me.score = score;
  if (streak !== undefined) me.streak = streak;
  if (rank !== undefined && rank !== null) me.rank = rank;
  $("#score").textContent = String(me.score);
  $("#streak").textContent = String(me.streak || 0);
  $("#streak").classList.toggle("hot", me.streak >= 3);
  $("#rank").textContent = me.rank ? `#${me.rank}` : "–";
}

function announce(text) { $("#announcer").textContent = text; }

function stop(title, text) {
  countdown?.stop();
  $("#stopped-title").textContent = title;
  $("#stopped-text").textContent = text;
  showView("stopped");
}

// ---- the question and the answer ----------------------------------------------------------

function showQuestion(q, { remainingMs } = {}) {
  current = q;
  me.total = q.total ?? me.total;
  $("#prompt").textContent = `${promptText(q)} = ?`;
  $("#personal-tag").hidden = !q.personal;  // a personal round: this fact is the student's own
  $("#q-progress").textContent = `Question ${q.index + 1} of ${q.total ?? me.total ?? "?"}`;
  const input = $("#answer");
  input.value = "";
  showView("question");
  input.focus();
  countdown?.stop();
  countdown = new Countdown({
    fill: $("#timer-fill"), seconds: $("#timer-seconds"), container: $(".timer"),
    totalMs: q.time_limit_ms, remainingMs: remainingMs ?? q.time_limit_ms, announce,
  });
  countdown.start();
}

function sanitize(value) {
  let v = value.replace(/[^0-9.\-]/g, "");
  v = (v.startsWith("-") ? "-" : "") + v.replace(/-/g, "");
  return v.slice(0, MAX_ANSWER_CHARS);
}

function pressKey(key) {
  const input = $("#answer");
  if (key === "back") input.value = input.value.slice(0, -1);
  else if (key === "-") input.value = input.value.startsWith("-") ? input.value.slice(1) : `-${input.value}`;
  else input.value = sanitize(input.value + key);
}

function submitAnswer() {
  if (!current || answeredIndex === current.index || store.loadPending()) return;
  const answer = sanitize($("#answer").value);
  if (!answer || answer === "-" || Number.isNaN(Number(answer))) {
    announce("Type a number first.");
    $("#answer").focus();
    return;
  }
  store.savePending({ index: current.index, answer, attempt_id: newUuid(), input_method: lastInput });
  showFeedback({ text: "Sending…", kind: "neutral" });
  flushPending();
}

/** Sends the unacknowledged answer (again, with the same attempt_id) until it is acked. */
async function flushPending() {
  const pending = store.loadPending();
  if (!pending || inFlight || !socket?.connected) return;
  inFlight = true;
  const ack = await request(socket, "answer", pending, 5000);
  inFlight = false;
  if (!ack.ok && RETRYABLE.has(ack.error?.code)) {
    setTimeout(flushPending, ack.error.code === "rate_limited" ? 1000 : 200);
    return;
  }
  store.savePending(null);
  if (ack.ok) {
    answeredIndex = pending.index;
    setStats({ score: ack.score, streak: ack.streak });
    lastResult = { index: pending.index, correct: ack.is_correct, points: ack.points };
    if (ack.is_correct) {
      showFeedback({ text: "Correct!", detail: `+${ack.points} points`, kind: "good" });
    } else {
      showFeedback({ text: "Not quite", detail: `${promptText(current)} = ${ack.correct_answer}`, kind: "bad" });
    }
    return;
  }
  const code = ack.error?.code;
  if (code === "invalid_answer") {
    showView("question");
    announce("That is not a number. Try again.");
    $("#answer").focus();
  } else if (code === "already_answered") {
    answeredIndex = pending.index;
    showFeedback({ text: "Answer saved", kind: "neutral" });
  } else {
    // too_late, no_open_question, wrong_index: the question is over for this answer.
    showFeedback({ text: "Time's up", detail: "That answer came too late.", kind: "neutral" });
  }
}

function showFeedback({ text, detail, kind }) {
  const box = $("#feedback");
  box.className = `feedback ${kind} pop`;
  box.replaceChildren(text, detail ? h("span.detail", { text: detail }) : "");
  showView("answered");
}

// ---- events from the server ---------------------------------------------------------------

function onJoined(data) {
  me.playerId = data.player_id;
  store.saveRejoin({ rejoin_token: data.rejoin_token, code: data.room?.code, nickname: data.nickname });
  sessionStorage.removeItem(store.JOIN_KEY);
  socket.auth = { rejoin_token: data.rejoin_token };  // reconnections come back as this player
  $("#me-name").textContent = data.nickname;
  setStats({ score: data.score, streak: data.streak });
  if (data.room?.phase === "lobby") showView("lobby");
}

function onState(s) {
  setStats(s);
  me.total = s.total ?? me.total;
  const pending = store.loadPending();
  if (s.phase === "question" && s.question) {
    const q = { ...s.question, index: s.index ?? s.question.index, total: s.total };
    if (s.answered_current || (pending && pending.index === q.index)) {
      current = q;
      if (s.answered_current) answeredIndex = q.index;
      showFeedback({ text: "Answer saved", detail: "Waiting for the others…", kind: "neutral" });
    } else {
      showQuestion(q, { remainingMs: remainingFor(q) });
    }
  } else if (s.phase === "lobby") {
    showView("lobby");
  } else if (s.phase === "finished") {
    showView("over");
  } else if (s.phase === "reveal") {
    countdown?.stop();
    showView("leaderboard");
  }
  if (pending && pending.index === s.index) flushPending();
  else if (pending) store.savePending(null);
}

function remainingFor(q) {
  const skew = Number(sessionStorage.getItem(store.SKEW_KEY) || 0);
  if (!q.closes_at) return q.time_limit_ms;
  return Math.max(0, Math.min(q.time_limit_ms, q.closes_at - (Date.now() + skew)));
}

function onQuestion(q) {
  // A fresh question was opened about now: remember how far the server clock is from ours,
  // so a rejoin mid-question shows the right time left.
  if (q.closes_at && q.time_limit_ms) {
    sessionStorage.setItem(store.SKEW_KEY, String(q.closes_at - q.time_limit_ms - Date.now()));
  }
  store.savePending(null);
  showQuestion(q);
}

function onQuestionClosed(c) {
  countdown?.stop();
  if (store.loadPending()) return;  // the ack will say how it went
  if (answeredIndex !== c.index && current?.index === c.index) {
    showFeedback({ text: "Time's up", detail: `${promptText(current)} = ${c.correct_answer}`, kind: "neutral" });
    setStats({ streak: 0 });
  }
  const reveal = $("#reveal");
  const mine = lastResult?.index === c.index ? lastResult : null;
  reveal.className = `feedback small ${mine ? (mine.correct ? "good" : "bad") : "neutral"}`;
  const fact = current ? `${promptText(current)} = ${c.correct_answer}` : "";
  reveal.textContent = mine ? `${mine.correct ? "✓" : "✗"} ${fact}${mine.correct ? ` · +${mine.points}` : ""}` : fact;
}

function onLeaderboard(b) {
  if (b.you) setStats(b.you);
  renderLeaders($("#leaders"), b.top, me.playerId);
  $("#you-line").textContent = b.you ? `You are #${b.you.rank} of ${b.players} with ${b.you.score} points.` : "";
  countdown?.stop();
  showView("leaderboard");
}

function onGameOver(g) {
  countdown?.stop();
  store.savePending(null);
  if (g.you) setStats({ score: g.you.score, rank: g.you.rank });
  renderPodium($("#podium"), g.podium);
  renderLeaders($("#final-leaders"), g.top, me.playerId);
  $("#final-line").textContent = g.you
    ? `You came #${g.you.rank} with ${g.you.score} points: ${g.you.correct} of ${g.you.answered} right.`
    : "";
  showView("over");
  announce(g.you ? `Game over. You came number ${g.you.rank}.` : "Game over.");
}

function onKicked(k) {
  store.clearPlaySession();
  socket.disconnect();
  stop("Removed from the game", k?.reason ? `The teacher removed you: ${k.reason}` : "The teacher removed you from this game.");
}

function onConnectError(err) {
  const code = refusalCode(err);
  if (!code) {  // the network: socket.io keeps trying by itself
    $("#connection").hidden = false;
    return;
  }
  const rejoin = store.loadRejoin();
  const join = store.loadJoin();
  const roomCode = join?.code || rejoin?.code || "";
  store.clearPlaySession();
  if (code === "game_over" && rejoin) {
    stop("Game over", "This game has finished.");
    return;
  }
  if (code === "kicked") {
    stop("Removed from the game", refusalMessage(code));
    return;
  }
  // A student key the server does not know is "unauthorized" on /play.
  const reason = code === "unauthorized" && join?.student_key ? "student_key" : code;
  location.replace(`/join?code=${encodeURIComponent(roomCode)}&error=${encodeURIComponent(reason)}`);
}

// ---- wiring --------------------------------------------------------------------------------

function wireInput() {
  const input = $("#answer");
  input.addEventListener("input", () => {
    lastInput = "keyboard";
    const clean = sanitize(input.value);
    if (clean !== input.value) input.value = clean;
  });
  $("#answer-form").addEventListener("submit", (e) => { e.preventDefault(); submitAnswer(); });
  const pad = $("#pad");
  // Keep the focus (and the caret) in the answer field when the pad is tapped.
  pad.addEventListener("pointerdown", (e) => { if (e.target.closest("button")) e.preventDefault(); });
  pad.addEventListener("click", (e) => {
    const key = e.target.closest("button")?.dataset.key;
    if (!key) return;
    if (e.detail > 0) lastInput = "touch";
    pressKey(key);
  });
  $("#submit").addEventListener("pointerdown", () => { lastInput = lastInput === "touch" ? "touch" : lastInput; });
  // Digits typed anywhere on the page go to the answer (no need to click the field first).
  document.addEventListener("keydown", (e) => {
    if ($("[data-view=question]").hidden || e.target === input || e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^[0-9.\-]$/.test(e.key)) { input.focus(); pressKey(e.key); e.preventDefault(); }
    else if (e.key === "Backspace") { input.focus(); pressKey("back"); e.preventDefault(); }
  });
}

function start() {
  const rejoin = store.loadRejoin();
  const join = store.loadJoin();
  let auth;
  if (rejoin?.rejoin_token) auth = { rejoin_token: rejoin.rejoin_token };
  else if (join?.code) auth = join.student_key ? { code: join.code, student_key: join.student_key } : { code: join.code, nickname: join.nickname };
  else { location.replace("/join"); return; }
  if (rejoin?.nickname) $("#me-name").textContent = rejoin.nickname;
  wireInput();
  socket = connect("/play", auth);
  socket.on("connect", () => { $("#connection").hidden = true; });
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    $("#connection").hidden = false;
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", onConnectError);
  socket.on("joined", onJoined);
  socket.on("state", onState);
  socket.on("lobby", (l) => { $("#lobby-count").textContent = String(l.count ?? 0); });
  socket.on("question", onQuestion);
  socket.on("question_closed", onQuestionClosed);
  socket.on("leaderboard", onLeaderboard);
  socket.on("game_over", onGameOver);
  socket.on("kicked", onKicked);
}

start();
