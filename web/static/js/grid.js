// /grid: a student's facts (rows operand1, columns operand2) coloured by fluency level, or,
// with ?class_id=, the share of a class's students at each level per fact.
//   /grid                      the signed-in student (student key → POST /api/students/session)
//   /grid?user_id=…            one student, for their teacher
//   /grid?class_id=…           a whole class, for its teacher
// Optional: &operation=× &track_id=…
import { $, $$, h, formatMs } from "./dom.js";
import { api, teacher } from "./api.js";
import { linkPrefsToAccount, mountPrefsControls } from "./prefs.js";
import { SAVED_KEY } from "./session.js";
import { LEVEL_SYMBOLS, openDetail, renderHardFacts, studentDetailRows } from "./grid_detail.js";
import { cleanKey, forgetStudent, gameStudentKey, keyRefusal, loadStudent, signInStudent } from "./student.js";

mountPrefsControls();

export const LEVELS = ["not_started", "learning", "accuracy", "fluency_6s", "fluency_3s_2s", "mastered"];
export const LEVEL_LABELS = {
  not_started: "Not started",
  learning: "Learning",
  accuracy: "Accurate",
  fluency_6s: "Fluent (under 6 s)",
  fluency_3s_2s: "Fluent (under 3 s)",
  mastered: "Mastered",
};
const OPERATIONS = [["+", "Addition"], ["-", "Subtraction"], ["×", "Multiplication"], ["÷", "Division"]];

const params = new URLSearchParams(location.search);
const view = { operation: params.get("operation") || "", trackId: params.get("track_id") || "",
  userId: params.get("user_id") || "", classId: params.get("class_id") || "", token: undefined,
  tracks: [] };

function notice(text) { $("#grid-notice").textContent = text || ""; }

const listOf = (body) => (Array.isArray(body) ? body : body?.cells || body?.facts || body?.grid || body?.rows || []);

function studentCells(body) {
  return listOf(body).map((c) => ({
    a: Number(c.operand1 ?? c.row), b: Number(c.operand2 ?? c.col), op: c.operation ?? view.operation,
    level: LEVELS.includes(c.fluency_level) ? c.fluency_level : "not_started",
    accuracy: c.accuracy ?? null, lastMs: c.last_response_time_ms ?? c.last_response_time ?? null,
    attempts: c.total_attempts ?? c.attempts ?? 0, answer: c.value ?? c.correct_answer ?? null,
    mastery: c.mastery ?? null, correct: c.correct_attempts ?? null, averageMs: c.average_response_time ?? null,
    nextReview: c.next_review_date ?? null, interval: c.review_interval ?? null, ease: c.ease_factor ?? null,
  }));
}

function classCells(body) {
  return listOf(body).map((c) => {
    const raw = c.counts || c.levels || c.shares || {};
    const counts = Object.fromEntries(LEVELS.map((l) => [l, Number(raw[l] || 0)]));
    const total = LEVELS.reduce((s, l) => s + counts[l], 0);
    return { a: Number(c.operand1 ?? c.row), b: Number(c.operand2 ?? c.col), op: c.operation ?? view.operation,
      counts, total, students: c.students ?? c.student_count ?? null, tried: c.tried ?? 0,
      accuracy: c.accuracy ?? null, attempts: c.attempts ?? 0, averageMs: c.average_response_time ?? null };
  });
}

function fmtAccuracy(acc) {
  if (acc === null || acc === undefined) return "–";
  return `${Math.round(Number(acc))}%`;  // the API sends a percentage
}

function describeStudentCell(c) {
  const fact = `${c.a} ${c.op} ${c.b}`;
  if (!c.attempts) return [fact, [["Level", LEVEL_LABELS[c.level]], ["Tries", "none yet"]]];
  return [fact, [
    ["Level", LEVEL_LABELS[c.level]], ["Accuracy", fmtAccuracy(c.accuracy)],
    ["Last time", formatMs(c.lastMs)], ["Tries", String(c.attempts)]]];
}

function describeClassCell(c) {
  const fact = `${c.a} ${c.op} ${c.b}`;
  const rows = LEVELS.filter((l) => c.counts[l] > 0).map((l) => [LEVEL_LABELS[l],
    `${Math.round((100 * c.counts[l]) / (c.total || 1))}%`]);
  if (c.tried) {
    rows.push(["Tried by", `${c.tried} ${c.tried === 1 ? "student" : "students"}`],
      ["Right", fmtAccuracy(c.accuracy)]);
    // The average time comes from the answers themselves; without any there is none to show.
    if (c.attempts > 0 && c.averageMs) rows.push(["Average time", formatMs(c.averageMs)]);
  }
  return [fact, rows.length ? rows : [["Students", "none yet"]]];
}

function showDetails([fact, rows]) {
  $("#cell-details").replaceChildren(h("h2", { text: fact }),
    h("dl", {}, rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])));
}

function renderLegend() {
  $("#legend").replaceChildren(...LEVELS.map((l) => h("li", {},
    h(`span.swatch.lvl-${l}`, { "aria-hidden": "true", text: LEVEL_SYMBOLS[l] }), LEVEL_LABELS[l])));
}

function renderGrid(cells, { classView }) {
  const table = $("#grid");
  const hard = classView ? renderHardFacts(cells, view) : new Set();
  const rows = [...new Set(cells.map((c) => c.a))].sort((x, y) => x - y);
  const cols = [...new Set(cells.map((c) => c.b))].sort((x, y) => x - y);
  const byFact = new Map(cells.map((c) => [`${c.a}|${c.b}`, c]));
  const describe = classView ? describeClassCell : describeStudentCell;
  if (!cells.length) {
    table.replaceChildren();
    notice("No facts to show for this operation yet.");
    return;
  }
  notice("");
  const head = h("tr", {}, h("th.corner", { scope: "col", text: view.operation }),
    cols.map((b) => h("th", { scope: "col", text: String(b) })));
  const body = rows.map((a) => h("tr", {}, h("th", { scope: "row", text: String(a) }), cols.map((b) => {
    const c = byFact.get(`${a}|${b}`);
    if (!c) return h("td.missing", { "aria-label": `${a} ${view.operation} ${b}: not in this track` });
    const [fact, details] = describe(c);
    const td = h("td", { tabindex: "-1", "aria-label": `${fact}. ${details.map(([k, v]) => `${k}: ${v}`).join(", ")}` });
    if (classView) {
      td.classList.add("share");
      const bar = h("span.share-bar", { "aria-hidden": "true" });
      for (const l of LEVELS) {
        if (!c.counts[l]) continue;
        const seg = h(`span.lvl-${l}`);
        seg.style.flexGrow = String(c.counts[l]);
        bar.append(seg);
      }
      td.append(bar);
      if (hard.has(`${a}|${b}`)) {
        td.classList.add("hard");
        td.append(h("span.cell-symbol", { "aria-hidden": "true", text: "!" }));
        td.setAttribute("aria-label", `${td.getAttribute("aria-label")}. Hard for the class`);
      }
    } else {
      td.classList.add(`lvl-${c.level}`);
      td.append(h("span.cell-symbol", { "aria-hidden": "true", text: LEVEL_SYMBOLS[c.level] }));
    }
    const show = () => showDetails(describe(c));
    const open = () => openDetail(fact, classView ? details : studentDetailRows(c, LEVEL_LABELS[c.level]), td);
    td.setAttribute("role", "button");
    td.setAttribute("aria-haspopup", "dialog");
    td.addEventListener("click", open);
    td.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    td.addEventListener("mouseenter", show);
    td.addEventListener("focus", show);
    return td;
  })));
  table.replaceChildren(h("thead", {}, head), h("tbody", {}, body));
  const first = table.querySelector("td[tabindex]");
  if (first) first.tabIndex = 0;
  wireArrowKeys(table);
}

function wireArrowKeys(table) {
  table.onkeydown = (e) => {
    const td = e.target.closest("td");
    if (!td) return;
    const tr = td.parentElement;
    let target = null;
    const col = [...tr.children].indexOf(td);
    if (e.key === "ArrowRight") target = td.nextElementSibling;
    else if (e.key === "ArrowLeft") target = td.previousElementSibling;
    else if (e.key === "ArrowDown") target = tr.nextElementSibling?.children[col];
    else if (e.key === "ArrowUp") target = tr.previousElementSibling?.children[col];
    else if (e.key === "Home") target = tr.children[1];
    else if (e.key === "End") target = tr.lastElementChild;
    if (!target || target.tagName !== "TD" || !target.hasAttribute("tabindex")) return;
    e.preventDefault();
    td.tabIndex = -1;
    target.tabIndex = 0;
    target.focus();
  };
}

function trackOperations() {
  const track = view.tracks.find((t) => (t.id ?? t.track_id) === view.trackId);
  const ops = track?.operations?.length ? track.operations : OPERATIONS.map(([op]) => op);
  return OPERATIONS.filter(([op]) => ops.includes(op));
}

function renderTabs() {
  const ops = trackOperations();
  if (!ops.some(([op]) => op === view.operation)) view.operation = ops[0]?.[0] || "×";
  $("#op-tabs").hidden = ops.length < 2;
  const tabs = ops.map(([op, label]) => h("button", {
    type: "button", role: "tab", "aria-selected": String(op === view.operation),
    tabindex: op === view.operation ? "0" : "-1", "aria-controls": "grid", "aria-label": label, text: op,
    on: { click: () => { view.operation = op; renderTabs(); load(); } },
  }));
  $("#op-tabs").replaceChildren(...tabs);
  $("#op-tabs").onkeydown = (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const i = ops.findIndex(([op]) => op === view.operation);
    const next = (i + (e.key === "ArrowRight" ? 1 : ops.length - 1)) % ops.length;
    view.operation = ops[next][0];
    renderTabs();
    $$("#op-tabs [role=tab]")[next].focus();
    load();
  };
}

/** The tracks to choose from: the student's own list (a teacher reads one of their students'). */
async function loadTracks() {
  let userId = view.userId;
  if (view.classId) {
    const cls = await api("GET", `/api/classes/${encodeURIComponent(view.classId)}`, undefined, { token: view.token });
    $("#grid-title").textContent = `Class progress: ${cls.name}`;
    userId = cls.students?.[0]?.user_id;
    if (!userId) { notice("This class has no students yet."); return false; }
  }
  const body = await api("GET", `/api/users/${encodeURIComponent(userId)}/tracks`, undefined, { token: view.token });
  view.tracks = body.tracks || [];
  if (!view.tracks.length) { notice("There are no learning tracks on this server yet."); return false; }
  const idOf = (t) => t.id ?? t.track_id;
  if (!view.tracks.some((t) => idOf(t) === view.trackId)) {
    view.trackId = idOf(view.tracks.find((t) => t.started_date) || view.tracks[0]);
  }
  const select = $("#track");
  select.replaceChildren(...view.tracks.map((t) => h("option", { value: idOf(t), text: t.name, selected: idOf(t) === view.trackId })));
  select.onchange = () => { view.trackId = select.value; renderTabs(); load(); };
  return true;
}

async function start() {
  linkPrefsToAccount(view.token);
  try {
    if (!(await loadTracks())) return;
  } catch (err) {
    return handleError(err);
  }
  renderTabs();
  load();
}

function handleError(err) {
  if (err.status === 401 && !view.classId && !params.get("user_id")) {
    forgetStudent();
    askForKey("Please type your student key again.");
  } else notice(err.message);
}

async function load() {
  const qs = new URLSearchParams({ operation: view.operation, track_id: view.trackId });
  try {
    if (view.classId) {
      const body = await api("GET", `/api/classes/${encodeURIComponent(view.classId)}/grid?${qs}`, undefined, { token: view.token });
      renderGrid(classCells(body), { classView: true });
    } else {
      const body = await api("GET", `/api/users/${encodeURIComponent(view.userId)}/grid?${qs}`, undefined, { token: view.token });
      // A teacher looking at a student's grid; a student's own keeps "My progress".
      if (body?.display_name && params.get("user_id")) $("#grid-title").textContent = `Progress: ${body.display_name}`;
      renderGrid(studentCells(body), { classView: false });
    }
    $("#grid-area").hidden = false;
  } catch (err) {
    handleError(err);
  }
}

function askForKey(message = "") {
  $("#key-form").hidden = false;
  $("#grid-area").hidden = true;
  $("#grid-key-error").textContent = message;
  $("#grid-key").value = localStorage.getItem(SAVED_KEY) || "";
  $("#grid-key").focus();
}

function init() {
  renderLegend();
  $("#key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = cleanKey($("#grid-key").value);
    if (!key) { $("#grid-key-error").textContent = "Type your student key."; return; }
    signIn(key);
  });
  async function signIn(key) {
    try {
      const s = await signInStudent(key);
      view.token = s.token;
      view.userId = s.user_id;
      $("#key-form").hidden = true;
      if (s.display_name) $("#grid-title").textContent = `My progress, ${s.display_name}`;
      start();
    } catch (err) {
      askForKey(keyRefusal(err));
    }
  }
  if (view.classId || view.userId) {
    if (!teacher()?.token) { notice("Sign in on the teacher page to see this grid."); return; }
    view.token = teacher().token;
    if (view.classId) $("#grid-title").textContent = "Class progress";
    start();
    return;
  }
  const session = loadStudent();
  if (session?.token) {
    view.token = session.token;
    view.userId = session.user_id;
    if (session.display_name) $("#grid-title").textContent = `My progress, ${session.display_name}`;
    start();
  } else if (gameStudentKey()) {
    signIn(gameStudentKey());  // came from a live game joined with the key
  } else {
    askForKey();
  }
}

init();
