// /report/{room_id}: per student and per question, with the CSV the server makes.
import { $, h, formatMs } from "./dom.js";
import { api, teacher } from "./api.js";
import { linkPrefsToAccount, mountPrefsControls } from "./prefs.js";

mountPrefsControls();
linkPrefsToAccount(teacher()?.token);

const roomId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

// Column order and headings for the fields we know; any other field is shown after them.
const STUDENT_COLUMNS = [["rank", "Rank"], ["nickname", "Name"], ["display_name", "Name"], ["score", "Score"],
  ["correct", "Correct"], ["answered", "Answered"], ["accuracy", "Accuracy"],
  ["average_response_time_ms", "Average time"], ["best_streak", "Best streak"], ["kicked", "Removed"]];
const QUESTION_COLUMNS = [["index", "#"], ["prompt", "Question"], ["correct_answer", "Answer"],
  ["answered", "Answered"], ["correct", "Correct"], ["percent_correct", "% correct"],
  ["average_response_time_ms", "Average time"]];
const ATTEMPT_COLUMNS = [["index", "#"], ["nickname", "Name"], ["prompt", "Question"], ["answer", "Answer"],
  ["is_correct", "Right?"], ["response_time_ms", "Time"], ["points", "Points"], ["input_method", "Input"]];
const HIDDEN = new Set(["player_id", "user_id", "question_id", "session_id", "operand1", "operand2",
  "operand3", "operation", "operation2", "display_format", "units", "attempt_id", "join_order",
  "total_response_time_ms", "answered_at", "correct_answer_text"]);

function cellText(key, value) {
  if (value === null || value === undefined) return "–";
  if (key.endsWith("_ms")) return formatMs(value);
  if (key === "index") return String(Number(value) + 1);
  if (key === "percent_correct") return `${Math.round(Number(value))}%`;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (key === "accuracy") return `${Math.round(Number(value) <= 1 ? Number(value) * 100 : Number(value))}%`;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function renderTable(table, rows, known) {
  if (!rows?.length) { table.replaceChildren(h("caption", { text: "Nothing yet." })); return; }
  const present = new Set(rows.flatMap((r) => Object.keys(r)));
  const seenHeadings = new Set();
  const cols = known.filter(([k, label]) => present.has(k) && !seenHeadings.has(label) && seenHeadings.add(label));
  for (const k of present) if (!HIDDEN.has(k) && !cols.some(([c]) => c === k) && !known.some(([c]) => c === k)) cols.push([k, k.replace(/_/g, " ")]);
  const numeric = (k) => rows.every((r) => r[k] === null || r[k] === undefined || typeof r[k] === "number");
  table.replaceChildren(
    h("thead", {}, h("tr", {}, cols.map(([k, label]) => h(`th${numeric(k) ? ".num" : ""}`, { scope: "col", text: label })))),
    h("tbody", {}, rows.map((r) => h("tr", {}, cols.map(([k]) => h(`td${numeric(k) ? ".num" : ""}`, { text: cellText(k, r[k]) }))))));
}

async function downloadCsv() {
  try {
    const res = await api("GET", `/api/rooms/${encodeURIComponent(roomId)}/report?format=csv`, undefined, { raw: true });
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: `math-rally-report-${roomId}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (err) {
    $("#report-notice").textContent = err.message;
  }
}

async function init() {
  $("#download-csv").addEventListener("click", downloadCsv);
  if (!teacher()?.token) { location.replace("/teacher"); return; }
  try {
    const report = await api("GET", `/api/rooms/${encodeURIComponent(roomId)}/report`);
    const room = report.room || {};
    const title = room.title || (room.code ? `Game ${room.code}` : "Game report");
    $("#report-title").textContent = `Report: ${title}`;
    const students = report.students || [];
    const questions = report.questions || [];
    $("#report-summary").textContent = `${students.length} students · ${questions.length} questions`;
    renderTable($("#students-table"), students, STUDENT_COLUMNS);
    renderTable($("#questions-table"), questions, QUESTION_COLUMNS);
    renderTable($("#attempts-table"), report.attempts || [], ATTEMPT_COLUMNS);
  } catch (err) {
    $("#report-notice").textContent = err.status === 404 ? "No report for this game." : err.message;
  }
}

init();
