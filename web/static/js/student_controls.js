// The teacher's controls for one student (docs/practice.md, "Teacher controls"): the track
// their practice opens on, unlocking a locked track, the daily goal, and the accommodations
// (more time, accuracy scoring). A dialog opened from the roster.
import { $, h } from "./dom.js";
import { api } from "./api.js";

const TIMES = [["1", "Class time (1×)"], ["1.5", "1.5× the time"], ["2", "2× the time"], ["untimed", "Untimed"]];
let student = null;  // {user_id, display_name}

function status(text) { $("#controls-status").textContent = text; }

async function load() {
  const id = encodeURIComponent(student.user_id);
  const [settings, body] = await Promise.all([
    api("GET", `/api/users/${id}/settings`), api("GET", `/api/users/${id}/tracks`)]);
  const tracks = body.tracks || [];
  $("#ctl-track").replaceChildren(h("option", { value: "", text: "None: the student chooses" }),
    ...tracks.map((t) => h("option", { value: t.id, text: t.name, selected: t.id === settings.assigned_track_id })));
  $("#ctl-time").replaceChildren(...TIMES.map(([v, label]) => h("option", {
    value: v, text: label, selected: String(settings.time_multiplier) === v })));
  $("#ctl-accuracy").checked = Boolean(settings.accuracy_scoring);
  $("#ctl-goal").value = String(settings.daily_goal_minutes ?? 15);
  const locked = tracks.filter((t) => !t.is_unlocked);
  $("#ctl-unlock-track").replaceChildren(...locked.map((t) => h("option", { value: t.id, text: `${t.name} (${t.unlock_criteria})` })));
  $("#ctl-unlock-row").hidden = !locked.length;
  $("#ctl-none-locked").hidden = locked.length > 0;
}

/** Opens the controls of `s` ({user_id, display_name}). */
export async function openStudentControls(s, opener) {
  student = s;
  $("#controls-title").textContent = `${s.display_name}: practice and accommodations`;
  status("");
  const dialog = $("#controls-dialog");
  dialog.onclose = () => opener?.focus();
  dialog.showModal();
  try {
    await load();
    $("#ctl-track").focus();
  } catch (err) {
    status(err.message);
  }
}

async function save(e) {
  e.preventDefault();
  const time = $("#ctl-time").value;
  const goal = Number($("#ctl-goal").value);
  if (!Number.isInteger(goal) || goal < 1 || goal > 120) {
    status("The daily goal is 1 to 120 minutes.");
    $("#ctl-goal").focus();
    return;
  }
  try {
    await api("PATCH", `/api/users/${encodeURIComponent(student.user_id)}/settings`, {
      assigned_track_id: $("#ctl-track").value || null,
      time_multiplier: time === "untimed" ? "untimed" : Number(time),
      accuracy_scoring: $("#ctl-accuracy").checked, daily_goal_minutes: goal,
    });
    await load();
    status(`Saved for ${student.display_name}.`);
  } catch (err) {
    status(err.message);
  }
}

async function unlock() {
  const trackId = $("#ctl-unlock-track").value;
  const name = $("#ctl-unlock-track").selectedOptions[0]?.textContent.replace(/ \(.*$/, "");
  try {
    await api("POST", `/api/users/${encodeURIComponent(student.user_id)}/tracks/${encodeURIComponent(trackId)}/unlock`);
    await load();
    status(`${name} is open for ${student.display_name}.`);
  } catch (err) {
    status(err.message);
  }
}

export function wireStudentControls() {
  $("#controls-form").addEventListener("submit", save);
  $("#ctl-unlock").addEventListener("click", unlock);
  $("#controls-close").addEventListener("click", () => $("#controls-dialog").close());
}
