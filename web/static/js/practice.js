// /practice: a student's own practice. Sign in with the key (or arrive from a live game with
// it), see today's goal, streak, due facts and tracks; a first-run placement check; sessions
// on the live game's number pad (pad.js) with the strategy hint after a miss, pause and
// resume, and the summary. Every call is the practice API (docs/practice.md).
import { $, h, newUuid, showView } from "./dom.js";
import { api } from "./api.js";
import { Countdown } from "./countdown.js";
import { answerMark } from "./marks.js";
import { mountPad, typedAnswer } from "./pad.js";
import { linkPrefsToAccount, mountPrefsControls } from "./prefs.js";
import { SAVED_KEY } from "./session.js";
import { cleanKey, forgetStudent, gameStudentKey, keyRefusal, loadStudent, signInStudent } from "./student.js";
import { renderGoalRing, renderSummary, renderTracks, setNotice } from "./practice_views.js";

// A practice session is this many facts (the student can finish earlier); a review session
// asks every due fact, a placement check its own fixed quiz.
const PRACTICE_LENGTH = 10;
// The time bar shows how long an answer from memory takes; the teacher's time multiplier
// stretches it, "untimed" hides it. Running out never ends the question.
const PRACTICE_TIME_MS = 10_000;
const CORRECT_HOLD_MS = 900;   // "Correct!" on screen before the next fact
const RETRIES = 3;             // an answer the server could not store is sent again, same attempt_id
const REASONS = { due_review: "Review", family_missed: "Fact family", family_check: "Quick check" };

// The session in progress, kept for this tab: a reload (or a phone that dropped the page)
// comes back into it rather than to the home.
const SESSION_STORE = "mathrally.practice_session";

const me = { token: null, userId: null, name: "", settings: null, today: null, tracks: [] };
let session = null;    // {id, mode, trackId, trackName, total, answered}
let question = null;   // the fact on screen
let shownAt = 0;       // performance.now() when it was shown, moved on by pauses
let pausedAt = 0;
let countdown = null;
let advanceTimer = null;

function keepSession(value) {
  if (value) sessionStorage.setItem(SESSION_STORE, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION_STORE);
}

const call = (method, path, body) => api(method, path, body, { token: me.token });
const announce = (text) => { $("#announcer").textContent = text; };
const trackById = (id) => me.tracks.find((t) => t.id === id);

// ---- signing in ------------------------------------------------------------------------------

function askForKey(message = "") {
  showView("signin");
  $("#student-key").value = localStorage.getItem(SAVED_KEY) || "";
  $("#student-key-error").textContent = message;
  $("#student-key").setAttribute("aria-invalid", message ? "true" : "false");
  $("#student-key").focus();
}

async function signIn(key) {
  try {
    useSession(await signInStudent(key));
    await showHome();
  } catch (err) {
    askForKey(keyRefusal(err));
  }
}

function useSession(s) {
  Object.assign(me, { token: s.token, userId: s.user_id, name: s.display_name || "" });
  $("#me-name").textContent = me.name || "Math Rally";
  linkPrefsToAccount(me.token);
}

/** A dead token (expired, signed out elsewhere) asks for the key again; others are shown. */
function failed(err) {
  if (err.status === 401) {
    forgetStudent();
    askForKey("Please type your student key again.");
    return;
  }
  setNotice(err.message);
}

// ---- home ------------------------------------------------------------------------------------

function suggestedTrack() {
  const open = me.tracks.filter((t) => t.is_unlocked && !t.completed_date);
  return open.find((t) => t.id === me.settings?.assigned_track_id) || open[0] || me.tracks.find((t) => t.is_unlocked);
}

const skipKey = () => `mathrally.placement_skipped.${me.userId}`;
const isFirstRun = () => !me.tracks.some((t) => t.started_date || t.completed_date)
  && !me.today.experience_points && !localStorage.getItem(skipKey());

async function showHome() {
  stopQuestion();
  session = null;
  keepSession(null);
  try {
    const [today, tracks, settings] = await Promise.all([
      call("GET", `/api/users/${me.userId}/today`),
      call("GET", `/api/users/${me.userId}/tracks`),
      call("GET", `/api/users/${me.userId}/settings`),
    ]);
    Object.assign(me, { today, tracks: tracks.tracks || [], settings });
  } catch (err) {
    failed(err);
    return;
  }
  setNotice("");
  $("#hello").textContent = me.name ? `Hi, ${me.name}!` : "Hi!";
  renderGoalRing($("#goal-ring"), me.today.daily_goal);
  const streak = me.today.streak.current;
  $("#streak").textContent = `${streak} ${streak === 1 ? "day" : "days"}`;
  $("#due").textContent = String(me.today.due_reviews);
  $("#level").textContent = String(me.today.level);
  const due = me.today.due_reviews;
  const reviewable = suggestedDueTrack();
  $("#review-due").hidden = !due || !reviewable;
  $("#review-due").textContent = `Review ${due} due ${due === 1 ? "fact" : "facts"}`;
  $("#first-run").hidden = !isFirstRun();
  renderTracks($("#tracks"), {
    tracks: me.tracks, dueByTrack: me.today.due_by_track || {}, assignedId: me.settings?.assigned_track_id,
    suggestedId: suggestedTrack()?.id,
    onPractise: (t) => startSession(t, "practice"),
    onPlacement: (t) => showPlacement(t.id),
  });
  showView("home");
  $("#hello").focus();
}

/** The open track with the most facts due, for the Review button. */
function suggestedDueTrack() {
  const dueBy = me.today.due_by_track || {};
  return me.tracks.filter((t) => t.is_unlocked && dueBy[t.id]).sort((a, b) => dueBy[b.id] - dueBy[a.id])[0];
}

// ---- placement -------------------------------------------------------------------------------

function showPlacement(trackId) {
  const chosen = trackId || suggestedTrack()?.id;
  $("#placement-tracks").replaceChildren(h("legend", { text: "What are you learning?" }),
    ...me.tracks.filter((t) => !t.completed_date).map((t) => h("div.field.check", {},
      h("input", { type: "radio", name: "placement-track", id: `pt-${t.id}`, value: t.id, checked: t.id === chosen }),
      h("label", { for: `pt-${t.id}`, text: t.name }))));
  showView("placement");
  ($("#placement-tracks input:checked") || $("#placement-tracks input"))?.focus();
}

// ---- a session -------------------------------------------------------------------------------

async function startSession(track, mode) {
  setNotice("");
  try {
    const s = await call("POST", "/api/practice/sessions", { track_id: track.id, mode });
    session = { id: s.session_id, mode, trackId: track.id, trackName: track.name,
      total: mode === "practice" ? PRACTICE_LENGTH : s.total_questions, answered: 0 };
    keepSession(session);
  } catch (err) {
    failed(err);
    return;
  }
  await nextQuestion();
}

async function nextQuestion() {
  clearTimeout(advanceTimer);
  if (session.summary) return showSummary(session.summary);
  if (session.mode === "practice" && session.answered >= session.total) return finish();
  let body;
  try {
    body = await call("GET", `/api/practice/sessions/${session.id}/next`);
  } catch (err) {
    failed(err);
    return;
  }
  if (body.finished || !body.question) return finish();
  showQuestion(body.question);
}

function timeLimitMs() {
  const m = me.settings?.time_multiplier ?? 1;
  return m === "untimed" ? null : Math.round(PRACTICE_TIME_MS * Number(m));
}

function showQuestion(q, { remainingMs } = {}) {
  question = q;
  const shown = session.mode === "review" ? "" : ` of ${session.total}`;
  $("#q-progress").textContent = session.mode === "placement"
    ? `Checking ${session.trackName}: ${session.answered + 1}${shown}`
    : `${session.mode === "review" ? "Review" : "Fact"} ${session.answered + 1}${shown}`;
  $("#reason-tag").textContent = REASONS[q.reason] || "";
  $("#prompt").textContent = `${q.operand1} ${q.operation} ${q.operand2} = ?`;
  $("#answer").value = "";
  showView("question");
  $("#answer").focus();
  if (remainingMs === undefined) shownAt = performance.now();
  const limit = session.mode === "placement" ? null : timeLimitMs();
  $("#timer").hidden = limit === null;
  countdown?.stop();
  if (limit !== null) {
    countdown = new Countdown({ fill: $("#timer-fill"), seconds: $("#timer-seconds"), container: $("#timer"),
      totalMs: limit, remainingMs: remainingMs ?? limit, announce });
    countdown.start();
  }
}

function stopQuestion() {
  countdown?.stop();
  clearTimeout(advanceTimer);
}

async function submitAnswer() {
  if (!question || $("[data-view=question]").hidden) return;
  const answer = typedAnswer($("#answer"));
  if (answer === null) {
    announce("Type a number first.");
    $("#answer").focus();
    return;
  }
  const asked = question;
  question = null;  // one answer per fact, even with Enter pressed twice
  countdown?.stop();
  const body = { attempt_id: newUuid(), question_id: asked.question_id, answer,
    response_time_ms: Math.min(600_000, Math.round(performance.now() - shownAt)) };
  let reply;
  for (let attempt = 1; ; attempt += 1) {
    try {
      reply = await call("POST", `/api/practice/sessions/${session.id}/answers`, body);
      break;
    } catch (err) {
      // Not stored (the network, or the database out of reach): the same attempt_id again.
      if ((err.status === 0 || err.status === 503) && attempt < RETRIES) {
        await new Promise((r) => { setTimeout(r, 500 * attempt); });
        continue;
      }
      question = asked;
      failed(err);
      return;
    }
  }
  session.answered += 1;
  keepSession(session);
  // A placement check's last answer completes it: the reply carries its summary.
  if (reply.placement) session.summary = reply.placement;
  showResult(asked, reply);
}

function showResult(q, reply) {
  const fact = `${q.operand1} ${q.operation} ${q.operand2} = ${reply.correct_answer}`;
  const box = $("#feedback");
  const kind = reply.is_correct ? "good" : "bad";
  box.className = `feedback ${kind} pop`;
  box.replaceChildren(answerMark(kind), h("span.feedback-text", { text: reply.is_correct ? "Correct!" : "Not quite" }),
    h("span.detail", { text: fact }));
  // After a miss, the strategy: the hint first, then the explanation that reaches the answer.
  const teach = !reply.is_correct && session.mode !== "placement" && (q.hint || reply.explanation);
  $("#hint").hidden = !teach;
  $("#hint-text").textContent = q.hint || "";
  $("#explanation").textContent = reply.explanation || "";
  showView("feedback");
  $("#next").focus();
  if (!teach) advanceTimer = setTimeout(nextQuestion, CORRECT_HOLD_MS);
}

async function pause() {
  if (!session || $("[data-view=question]").hidden) return;
  try {
    await call("POST", `/api/practice/sessions/${session.id}/pause`);
  } catch (err) {
    failed(err);
    return;
  }
  pausedAt = performance.now();
  keepSession({ ...session, paused: true });
  countdown?.stop();
  showView("paused");
  $("#resume").focus();
}

async function resume() {
  if ($("[data-view=paused]").hidden) return;
  try {
    await call("POST", `/api/practice/sessions/${session.id}/resume`);
  } catch (err) {
    failed(err);
    return;
  }
  keepSession(session);
  if (!question) return nextQuestion();  // paused before a reload: the next fact
  // The pause is not the student's thinking time: the clock starts where it stopped.
  const elapsed = pausedAt - shownAt;
  shownAt = performance.now() - elapsed;
  const limit = timeLimitMs();
  showQuestion(question, { remainingMs: limit === null ? undefined : Math.max(0, limit - elapsed) });
}

async function finish() {
  stopQuestion();
  question = null;
  let summary;
  try {
    summary = await call("POST", `/api/practice/sessions/${session.id}/finish`);
  } catch (err) {
    failed(err);
    return;
  }
  showSummary(summary);
}

function showSummary(summary) {
  keepSession(null);
  const placement = session.mode === "placement";
  $("#summary-title").textContent = placement ? `${session.trackName}: checked` : "Well done!";
  renderSummary($("#summary"), summary, { today: me.today?.date, trackName: session.trackName });
  $("#again").textContent = placement ? "Start practising" : "Practise again";
  showView("summary");
  $("#summary-title").focus();
  announce(`${summary.correct_answers} of ${summary.questions_answered} right.`);
  if (placement) localStorage.setItem(skipKey(), "1");
}

async function again() {
  const mode = session?.mode;
  const trackId = session?.trackId;
  await showHome();
  // After a placement check the tracks may have moved on: start where the student now stands.
  const track = mode === "placement" ? suggestedTrack() : trackById(trackId);
  if (track?.is_unlocked) startSession(track, "practice");
}

// ---- wiring ----------------------------------------------------------------------------------

function wire() {
  mountPrefsControls();
  mountPad({ pad: $("#pad"), input: $("#answer"), form: $("#answer-form"),
    isActive: () => !$("[data-view=question]").hidden, onSubmit: submitAnswer });
  $("#key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = cleanKey($("#student-key").value);
    if (!key) askForKey("Type your student key.");
    else signIn(key);
  });
  $("#first-run-start").addEventListener("click", () => showPlacement());
  $("#first-run-skip").addEventListener("click", () => {
    localStorage.setItem(skipKey(), "1");
    $("#first-run").hidden = true;
    $("#tracks button")?.focus();
  });
  $("#placement-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const track = trackById($("#placement-tracks input:checked")?.value);
    if (track) startSession(track, "placement");
  });
  $("#review-due").addEventListener("click", () => startSession(suggestedDueTrack(), "review"));
  $("#pause").addEventListener("click", pause);
  $("#resume").addEventListener("click", resume);
  $("#next").addEventListener("click", nextQuestion);
  $("#again").addEventListener("click", again);
  document.addEventListener("click", (e) => {
    const action = e.target.closest("[data-action]")?.dataset.action;
    if (action === "home") showHome();
    else if (action === "finish") finish();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("[data-view=question]").hidden) pause();
  });
  for (const id of ["hello", "summary-title"]) $(`#${id}`).tabIndex = -1;
}

/** Back into the session this tab was in (after a reload), paused or not. */
async function continueSession({ paused, ...stored }) {
  session = stored;
  try {
    const [today, settings] = await Promise.all([
      call("GET", `/api/users/${me.userId}/today`), call("GET", `/api/users/${me.userId}/settings`)]);
    Object.assign(me, { today, settings });
    if (paused) {
      showView("paused");
      $("#resume").focus();
      return;
    }
    const body = await call("GET", `/api/practice/sessions/${session.id}/next`);
    if (body.finished || !body.question) finish();
    else showQuestion(body.question);
  } catch (err) {
    if (err.status === 401) {
      failed(err);
    } else {
      showHome();  // finished or gone: start from the home
    }
  }
}

function start() {
  wire();
  const saved = loadStudent();
  let stored = null;
  try { stored = JSON.parse(sessionStorage.getItem(SESSION_STORE) || "null"); } catch { stored = null; }
  if (saved?.token) {
    useSession(saved);
    if (stored?.id) continueSession(stored);
    else showHome();
  } else if (gameStudentKey()) {
    signIn(gameStudentKey());  // came from a live game joined with the key
  } else {
    askForKey();
  }
}

start();
