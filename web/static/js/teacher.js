// /teacher: sign up, sign in, create a game, the games list, and class rosters with keys.
import { $, $$, h, showView } from "./dom.js";
import { api, ApiError, setTeacher, teacher } from "./api.js";
import { linkPrefsToAccount, mountPrefsControls } from "./prefs.js";
import { classIdOf, loadClasses, loadClassBoard, loadRoster, addStudents } from "./classes.js";
import { renderLeaders } from "./board.js";
import { openStudentControls, wireStudentControls } from "./student_controls.js";

mountPrefsControls();

function notice(text) { $("#notice").textContent = text || ""; }

function fieldError(el, err) {
  el.textContent = err instanceof ApiError ? err.message : String(err?.message || err || "");
}

// ---- account -------------------------------------------------------------------------------

function selectTab(tab) {
  for (const t of $$('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute("aria-selected", String(on));
    t.tabIndex = on ? 0 : -1;
    $(`#${t.getAttribute("aria-controls")}`).hidden = !on;
  }
}

function wireAccount() {
  const tabs = $$('[role="tab"]');
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
      selectTab(next);
      next.focus();
    });
  }
  $("#login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = $("#login-username").value.trim();
    const password = $("#login-password").value;
    if (!username || !password) return fieldError($("#login-error"), "Type your username and password.");
    try {
      const body = await api("POST", "/api/login", { username, password }, { token: null });
      setTeacher({ token: body.token, user_id: body.user_id, username: username.toLowerCase() });
      $("#login-password").value = "";
      fieldError($("#login-error"), "");
      signedIn();
    } catch (err) {
      fieldError($("#login-error"), err.status === 401 ? "Wrong username or password." : err);
    }
  });
  $("#register-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    if (!form.reportValidity()) return;
    const username = $("#reg-username").value.trim();
    const password = $("#reg-password").value;
    try {
      await api("POST", "/api/teachers", { username, email: $("#reg-email").value.trim(), password }, { token: null });
      const body = await api("POST", "/api/login", { username, password }, { token: null });
      setTeacher({ token: body.token, user_id: body.user_id, username: username.toLowerCase() });
      fieldError($("#register-error"), "");
      signedIn();
    } catch (err) {
      fieldError($("#register-error"), err);
    }
  });
  $("#sign-out").addEventListener("click", async () => {
    try { await api("POST", "/api/logout"); } catch { /* the token may already be gone */ }
    setTeacher(null);
    signedOut();
  });
}

function signedOut() {
  $("#who").hidden = true;
  $("#sign-out").hidden = true;
  showView("signed-out");
  selectTab($("#tab-login"));
  $("#login-username").focus();
}

function signedIn() {
  const t = teacher();
  $("#who").textContent = `Signed in as ${t.username || "teacher"}`;
  $("#who").hidden = false;
  $("#sign-out").hidden = false;
  showView("signed-in");
  linkPrefsToAccount(t.token);
  refreshRooms();
  refreshClasses();
}

// ---- games ---------------------------------------------------------------------------------

function roomLinks(room) {
  return h("span.links", {},
    h("a.button", { href: `/host/${room.room_id}`, text: "Host" }),
    room.screen_url ? h("a.button.secondary", { href: room.screen_url, target: "_blank", rel: "noopener", text: "Projector" }) : null,
    h("a.button.secondary", { href: `/report/${room.room_id}`, text: "Report" }));
}

async function refreshRooms() {
  try {
    const body = await api("GET", "/api/rooms");
    const rooms = body.rooms || [];
    $("#rooms-empty").hidden = rooms.length > 0;
    $("#room-list").replaceChildren(...rooms.map((r) => h("li", {},
      h("span", {}, h("strong", { text: r.title || `${r.operation} game` }), " ",
        h("span.pill", { text: r.code }), " ",
        h("span.muted", { text: `${r.status || ""} · ${r.player_count ?? 0} players` })),
      roomLinks(r))));
  } catch (err) {
    if (err.status === 401) { setTeacher(null); signedOut(); notice("Your sign-in has expired. Please sign in again."); }
    else notice(err.message);
  }
}

let tracksLoaded = false;
let trackOperations = new Map();  // track id → the operations it practises

/** A track practises given operations; the game's operation must be one of them. */
function syncOperationToTrack() {
  const ops = trackOperations.get($("#room-track").value) || [];
  if (ops.length && !ops.includes($("#room-operation").value)) $("#room-operation").value = ops[0];
}

/** Loaded when the teacher first picks "Learning track" (most games use a plain range). */
async function loadTracks() {
  if (tracksLoaded) return true;
  try {
    const body = await api("GET", "/api/tracks");
    const tracks = Array.isArray(body) ? body : body.tracks || [];
    $("#room-track").replaceChildren(...tracks.map((t) => h("option", {
      value: t.track_id || t.id, text: t.operations?.length ? `${t.name} (${t.operations.join(" ")})` : t.name,
    })));
    tracksLoaded = tracks.length > 0;
    trackOperations = new Map(tracks.map((t) => [t.track_id || t.id, t.operations || []]));
    syncOperationToTrack();
    if (!tracksLoaded) fieldError($("#room-error"), "There are no learning tracks on this server yet.");
  } catch (err) {
    fieldError($("#room-error"), `Learning tracks are not available: ${err.message}`);
  }
  return tracksLoaded;
}

/** Personal rounds choose from a track: the option is enabled only while one is chosen. */
function syncPersonal() {
  const track = $("input[name=source]:checked").value === "track" && Boolean($("#room-track").value);
  $("#room-personal").disabled = !track;
  if (!track) $("#room-personal").checked = false;
}

function numberOf(id) { return Number.parseInt($(id).value, 10); }

function wireRoomForm() {
  for (const radio of $$("input[name=source]")) {
    radio.addEventListener("change", async () => {
      let track = $("input[name=source]:checked").value === "track";
      if (track && !(await loadTracks())) {
        track = false;
        $("input[name=source][value=range]").checked = true;
      }
      $("#range-fields").hidden = track;
      $("#track-field").hidden = !track;
      syncPersonal();
    });
  }
  $("#room-track").addEventListener("change", syncOperationToTrack);
  $("#room-track").addEventListener("change", syncPersonal);
  $("#room-auto").addEventListener("change", () => { $("#room-auto-seconds").disabled = !$("#room-auto").checked; });
  $("#room-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("#room-error");
    const body = {
      operation: $("#room-operation").value,
      question_count: numberOf("#room-count"),
      time_limit_ms: numberOf("#room-time") * 1000,
    };
    const title = $("#room-title").value.trim();
    if (title) body.title = title;
    if ($("input[name=source]:checked").value === "track" && $("#room-track").value) {
      body.track_id = $("#room-track").value;
      if ($("#room-personal").checked) body.personal = true;
    } else {
      body.min_operand = numberOf("#room-min");
      body.max_operand = numberOf("#room-max");
      if (!(body.min_operand <= body.max_operand)) return fieldError(err, "“From” must not be more than “To”.");
    }
    if ($("#room-class").value) body.class_id = $("#room-class").value;
    if ($("#room-teams").value) body.teams = Number($("#room-teams").value);
    if ($("#room-auto").checked) body.auto_advance_ms = numberOf("#room-auto-seconds") * 1000;
    if (!(body.question_count >= 1 && body.question_count <= 100)) return fieldError(err, "Between 1 and 100 questions.");
    if (!(body.time_limit_ms >= 3000 && body.time_limit_ms <= 120000)) return fieldError(err, "Between 3 and 120 seconds per question.");
    try {
      const room = await api("POST", "/api/rooms", body);
      fieldError(err, "");
      const created = $("#room-created");
      created.replaceChildren(
        h("p", {}, "Game created. Join code ", h("strong.big-code", { text: room.code })),
        h("p.muted", { text: room.join_url }),
        roomLinks(room));
      created.hidden = false;
      created.querySelector("a")?.focus();
      refreshRooms();
    } catch (e2) {
      fieldError(err, e2);
    }
  });
}

// ---- classes -------------------------------------------------------------------------------

let currentClass = null;

async function refreshClasses() {
  try {
    const classes = await loadClasses();
    $("#classes-notice").textContent = "";
    const chosen = $("#room-class").value;
    $("#room-class").replaceChildren(h("option", { value: "", text: "No class" }),
      ...classes.map((c) => h("option", { value: classIdOf(c), text: c.name, selected: classIdOf(c) === chosen })));
    $("#class-list").replaceChildren(...classes.map((c) => h("li", {},
      h("span", {}, h("strong", { text: c.name }), " ",
        h("span.muted", { text: c.student_count !== undefined ? `${c.student_count} students` : "" })),
      h("button.secondary", {
        type: "button", "aria-pressed": String(classIdOf(c) === classIdOf(currentClass || {})),
        on: { click: () => openClass(c) }, text: "Roster",
      }))));
  } catch (err) {
    $("#classes-notice").textContent = `Classes are not available: ${err.message}`;
  }
}

async function openClass(c) {
  currentClass = c;
  const id = classIdOf(c);
  $("#roster").hidden = false;
  $("#roster-title").textContent = c.name;
  $("#print-cards").href = `/cards?class_id=${encodeURIComponent(id)}`;
  $("#class-grid").href = `/grid?class_id=${encodeURIComponent(id)}`;
  for (const b of $$("#class-list button")) b.setAttribute("aria-pressed", String(b.closest("li").textContent.startsWith(c.name)));
  showClassBoards(id);
  try {
    const students = await loadRoster(id);
    $("#roster-body").replaceChildren(...students.map((s) => h("tr", {},
      h("td", { text: s.display_name }),
      h("td.key", { text: s.student_key }),
      h("td", {}, h("a", { href: `/grid?user_id=${encodeURIComponent(s.user_id)}`, text: "Grid" })),
      h("td", {}, h("button.secondary.controls", { type: "button", text: "Settings",
        "aria-label": `Practice settings for ${s.display_name}`,
        on: { click: (e) => openStudentControls(s, e.currentTarget) } })))));
  } catch (err) {
    fieldError($("#students-error"), err);
  }
}

/** The class's top scorers today and this week (live-game points; everyone else has none). */
async function showClassBoards(classId) {
  for (const period of ["day", "week"]) {
    const list = $(`#board-${period}`);
    try {
      const body = await loadClassBoard(classId, period);
      const scored = body.board.filter((e) => e.points > 0).slice(0, 5);
      if (scored.length) {
        renderLeaders(list, scored.map((e) => ({ rank: e.rank, player_id: e.user_id, nickname: e.display_name, score: e.points })));
      } else {
        list.replaceChildren(h("li.empty.muted", { text: period === "day" ? "No points yet today." : "No points yet this week." }));
      }
    } catch (err) {
      list.replaceChildren(h("li.empty.muted", { text: `Not available: ${err.message}` }));
    }
  }
}

function wireClasses() {
  wireStudentControls();
  $("#class-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("#class-name").value.trim();
    if (!name) return;
    try {
      const created = await api("POST", "/api/classes", { name });
      $("#class-name").value = "";
      await refreshClasses();
      openClass({ ...created, name: created.name || name });
    } catch (err) {
      $("#classes-notice").textContent = err.message;
    }
  });
  $("#students-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const names = $("#student-names").value.split("\n").map((n) => n.trim()).filter(Boolean);
    if (!names.length || !currentClass) return fieldError($("#students-error"), "Type at least one name.");
    try {
      await addStudents(classIdOf(currentClass), names);
      $("#student-names").value = "";
      fieldError($("#students-error"), "");
      await openClass(currentClass);
      refreshClasses();
    } catch (err) {
      fieldError($("#students-error"), err);
    }
  });
}

wireAccount();
wireRoomForm();
wireClasses();
if (teacher()?.token) signedIn();
else signedOut();
