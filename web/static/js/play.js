// /play: one student's game. Joins with what /join left in sessionStorage, then lives on the
// rejoin token: a refresh or a dropped connection comes back as the same player. An answer
// keeps its attempt_id until the server acknowledges it, so a retry is never counted twice.
import { $, h, showView } from "./dom.js";
import { newUuid } from "./dom.js";
import { renderLeaders, renderPodium, promptText } from "./board.js";
import { connect, reconnectSoon, request, refusalCode, refusalMessage } from "./socket.js";
import * as store from "./session.js";
import { Countdown } from "./countdown.js";
import { answerMark } from "./marks.js";
import { showTeam, showTeamStanding, showTeamsAtEnd } from "./team_line.js";
import { mountPad, typedAnswer } from "./pad.js";
import { gameStudentKey, loadStudent, rememberGameStudentKey } from "./student.js";
import { linkPrefsToAccount } from "./prefs.js";

// This device's display preferences (text size, colours, font, palette, motion); a student
// signed in on this tab (/practice or /grid) gets the ones kept on their account.
linkPrefsToAccount(loadStudent()?.token);

// Refusals after which the same answer (same attempt_id) is sent again: the server was busy,
// PostgreSQL was out of reach, or the game was moving to another server.
const RETRYABLE = new Set(["timeout", "rate_limited", "storage_unavailable", "unavailable"]);
// How long a result ("Correct!", "Time's up") stays before the leaderboard takes its place:
// the board follows a question's close within milliseconds, and a child must read the result.
const RESULT_HOLD_MS = 2500;

const me = { playerId: null, score: 0, streak: 0, rank: null, total: null };
let current = null;        // the open question
let answeredIndex = -1;    // the question index this student has an accepted answer for
let lastInput = "keyboard";
let inFlight = false;
let lastResult = null;     // {index, text} of this student's last acknowledged answer
let socket = null;
let countdown = null;
let resultShownAt = 0;     // performance.now() when a result was put on screen
let boardTimer = null;     // the leaderboard waiting for the result to have been read

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
  clearTimeout(boardTimer);
  // The same question shown again (back after a dropped connection, or the room's state sent
  // again): what the student had typed stays.
  const again = current?.index === q.index && promptText(current) === promptText(q)
    && !$('[data-view="question"]').hidden;
  current = q;
  me.total = q.total ?? me.total;
  $("#prompt").textContent = `${promptText(q)} = ?`;
  $("#personal-tag").hidden = !q.personal;  // a personal round: this fact is the student's own
  // No-break spaces: beside the ring on a narrow phone it wraps as "Question 3" / "of 10".
  $("#q-progress").textContent = `Question\u00a0${q.index + 1} of\u00a0${q.total ?? me.total ?? "?"}`;
  const input = $("#answer");
  if (!again) input.value = "";
  showView("question");
  input.focus();
  countdown?.stop();
  $("#play-timer").hidden = false;
  countdown = new Countdown({
    ring: $("#timer-ring"), seconds: $("#timer-seconds"), container: $("#play-timer"),
    totalMs: q.time_limit_ms, remainingMs: remainingMs ?? q.time_limit_ms, announce,
  });
  countdown.start();
}

function submitAnswer() {
  if (!current || answeredIndex === current.index || store.loadPending()) return;
  const answer = typedAnswer($("#answer"));
  if (answer === null) {
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
    const code = ack.error.code;
    const wait = ack.error.retry_after_ms ?? (code === "rate_limited" ? 1000 : code === "timeout" ? 200 : 500);
    setTimeout(flushPending, wait);
    return;
  }
  store.savePending(null);
  if (ack.ok) {
    answeredIndex = pending.index;
    setStats({ score: ack.score, streak: ack.streak });
    showResult({ index: pending.index, is_correct: ack.is_correct, points: ack.points,
      correct_answer: ack.correct_answer });
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
    showFeedback({ text: "Time's up", detail: "That answer came too late.", kind: "late" });
  }
}

/** This student's accepted answer (from its ack, or from `state` after a reload). */
function showResult(answer) {
  lastResult = { index: answer.index, correct: answer.is_correct, points: answer.points };
  if (answer.is_correct) {
    showFeedback({ text: "Correct!", detail: `+${answer.points} points`, kind: "good" });
  } else {
    const prompt = answer.prompt ?? (current ? promptText(current) : "");
    showFeedback({ text: "Not quite", detail: `${prompt} = ${answer.correct_answer}`, kind: "bad" });
  }
}

function showFeedback({ text, detail, kind }) {
  const box = $("#feedback");
  box.className = `feedback ${kind} pop`;
  box.replaceChildren(answerMark(kind), h("span.feedback-text", { text }),
    detail ? h("span.detail", { text: detail }) : "");
  showView("answered");
  resultShownAt = performance.now();
}

/** The result of question `index` for this student, as the leaderboard view shows it. */
function showReveal(index, correctAnswer) {
  const mine = lastResult?.index === index ? lastResult : null;
  const kind = mine ? (mine.correct ? "good" : "bad") : "late";
  const fact = current && correctAnswer !== undefined && correctAnswer !== null
    ? `${promptText(current)} = ${correctAnswer}` : "";
  const text = mine ? (mine.correct ? `Correct! +${mine.points}` : "Not quite") : "Time's up";
  const reveal = $("#reveal");
  reveal.className = `feedback small ${kind}`;
  reveal.replaceChildren(answerMark(kind), h("span.feedback-text", { text }),
    fact ? h("span.detail", { text: fact }) : "");
}

/** Shows the leaderboard view once the result on screen has been up for RESULT_HOLD_MS. */
function showBoardSoon() {
  clearTimeout(boardTimer);
  const onResult = !$("[data-view=answered]").hidden;
  const wait = onResult ? RESULT_HOLD_MS - (performance.now() - resultShownAt) : 0;
  if (wait <= 0) showView("leaderboard");
  else boardTimer = setTimeout(() => showView("leaderboard"), wait);
}

// ---- events from the server ---------------------------------------------------------------

function onJoined(data) {
  me.playerId = data.player_id;
  store.saveRejoin({ rejoin_token: data.rejoin_token, code: data.room?.code, nickname: data.nickname });
  sessionStorage.removeItem(store.JOIN_KEY);
  socket.auth = { rejoin_token: data.rejoin_token };  // reconnections come back as this player
  $("#me-name").textContent = data.nickname;
  setStats({ score: data.score, streak: data.streak });
  showCount(data.count);
  showTeam(data.team);
  if (data.room?.phase === "lobby") showView("lobby");
}

/** Players in the game: `joined` and `state` carry it, since the lobby broadcast can reach
 *  the room before this connection is in it. */
function showCount(count) {
  if (typeof count !== "number") return;
  $("#lobby-count").textContent = String(count);
  $("#lobby-players").textContent = count === 1 ? "player" : "players";
}

function onState(s) {
  setStats(s);
  showCount(s.count);
  showTeam(s.team);
  me.total = s.total ?? me.total;
  const pending = store.loadPending();
  const mine = s.your_answer;
  if (s.phase === "question" && s.question) {
    const q = { ...s.question, index: s.index ?? s.question.index, total: s.total };
    if (s.answered_current || (pending && pending.index === q.index)) {
      current = q;
      if (s.answered_current) answeredIndex = q.index;
      if (mine && mine.index === q.index) showResult(mine);
      else showFeedback({ text: "Answer saved", detail: "Waiting for the others…", kind: "neutral" });
    } else {
      showQuestion(q, { remainingMs: remainingFor(q) });
    }
  } else if (s.phase === "lobby") {
    showView("lobby");
  } else if (s.phase === "finished") {
    countdown?.stop();
    showOver({ podium: (s.top || []).filter((e) => e.score > 0).slice(0, 3), top: s.top || [],
      you: s.rank ? { rank: s.rank, score: s.score } : null, asked: s.asked });
    showTeamsAtEnd(s.teams, s.team?.team);
  } else if (s.phase === "reveal") {
    countdown?.stop();
    if (mine) {
      lastResult = { index: mine.index, correct: mine.is_correct, points: mine.points };
      if (mine.prompt) current = { ...(current || {}), prompt: mine.prompt, index: mine.index };
    }
    showReveal(s.index, mine?.correct_answer);
    if (s.top) renderLeaders($("#leaders"), s.top, me.playerId);
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

/** This student's own, later deadline on the question on screen (an accommodation the
 *  teacher set): the countdown runs to it, or goes away when they are untimed. */
function onDeadline(d) {
  if (!current || d.index !== current.index) return;
  countdown?.stop();
  const timer = $("#play-timer");
  timer.hidden = d.your_time_limit_ms === null;
  current = { ...current, time_limit_ms: d.your_time_limit_ms, closes_at: d.your_closes_at };
  if (d.your_time_limit_ms === null) {
    announce("You have as long as you need.");
    return;
  }
  countdown = new Countdown({
    ring: $("#timer-ring"), seconds: $("#timer-seconds"), container: timer,
    totalMs: d.your_time_limit_ms, remainingMs: remainingFor(current), announce,
  });
  countdown.start();
}

function onQuestionClosed(c) {
  countdown?.stop();
  if (store.loadPending()) return;  // the ack will say how it went
  if (answeredIndex !== c.index && current?.index === c.index) {
    showFeedback({ text: "Time's up", detail: `${promptText(current)} = ${c.correct_answer}`, kind: "late" });
    setStats({ streak: 0 });
  }
  showReveal(c.index, c.correct_answer);
}

function onLeaderboard(b) {
  if (b.you) setStats(b.you);
  renderLeaders($("#leaders"), b.top, me.playerId);
  $("#you-line").textContent = b.you ? `You are #${b.you.rank} of ${b.players} with ${b.you.score} points.` : "";
  showTeamStanding(b.you?.team, b.teams);
  countdown?.stop();
  showBoardSoon();
}

function onGameOver(g) {
  countdown?.stop();
  store.savePending(null);
  if (g.you) setStats({ score: g.you.score, rank: g.you.rank });
  showOver(g);
  showTeamsAtEnd(g.teams, g.you?.team?.team);
  announce(g.you ? `Game over. You came number ${g.you.rank}.` : "Game over.");
}

function showOver(g) {
  clearTimeout(boardTimer);
  renderPodium($("#podium"), g.podium);
  renderLeaders($("#final-leaders"), g.top, me.playerId);
  const asked = g.asked ?? g.you?.answered;
  let line = "";
  if (g.you) {
    line = `You came #${g.you.rank} with ${g.you.score} points`;
    line += g.you.correct === undefined ? "." : `: ${g.you.correct} of ${asked} right.`;
  }
  $("#final-line").textContent = line;
  $("#practice-link").hidden = !gameStudentKey();
  showView("over");
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
  // Not now, but soon: the room is moving to another worker, or a limit says when to retry.
  // Keep the session (and the rejoin token) and try again after a jittered pause.
  if (code === "unavailable" || (code === "rate_limited" && rejoin)) {
    $("#connection").hidden = false;
    reconnectSoon(socket, err.data.retry_after_s ?? 0.5);
    return;
  }
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
  mountPad({
    pad: $("#pad"), input: $("#answer"), form: $("#answer-form"),
    isActive: () => !$("[data-view=question]").hidden,
    onSubmit: submitAnswer,
    onMethod: (method) => { lastInput = method; },
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
  // A student who joined with their key can go on practising on their own, already signed in.
  rememberGameStudentKey(join?.student_key);
  wireInput();
  socket = connect("/play", auth);
  socket.on("connect", () => { $("#connection").hidden = true; });
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    $("#connection").hidden = false;
    if (reason === "io server disconnect") reconnectSoon(socket);  // e.g. its worker is stopping
  });
  socket.on("connect_error", onConnectError);
  socket.on("joined", onJoined);
  socket.on("state", onState);
  socket.on("lobby", (l) => showCount(l.count));
  socket.on("question", onQuestion);
  socket.on("deadline", onDeadline);
  socket.on("question_closed", onQuestionClosed);
  socket.on("leaderboard", onLeaderboard);
  socket.on("game_over", onGameOver);
  socket.on("kicked", onKicked);
  socket.on("team", showTeam);
}

start();
