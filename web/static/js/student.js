// The student signed in with their key on this tab (POST /api/students/session), shared by
// /practice and /grid. A student who joined a live game with their key arrives signed in:
// /play leaves the key here for the tab (sessionStorage, per tab like the game itself).
import { api } from "./api.js";

const SESSION_KEY = "mathrally.student_session";  // {token, user_id, display_name}
const GAME_KEY = "mathrally.game_student_key";    // the key this tab joined a live game with

export function loadStudent() {
  try { return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null"); } catch { return null; }
}

export function forgetStudent() { sessionStorage.removeItem(SESSION_KEY); }

/** The student key the live game in this tab was joined with, if any. */
export function gameStudentKey() { return sessionStorage.getItem(GAME_KEY); }
export function rememberGameStudentKey(key) { if (key) sessionStorage.setItem(GAME_KEY, key); }

/** Letters and digits of a typed key, upper case ("ab12 cd" → "AB12CD"). */
export function cleanKey(value) { return value.replace(/\s+/g, "").toUpperCase(); }

/** Signs in with a student key; throws ApiError (401 invalid_student_key, 429 rate_limited). */
export async function signInStudent(studentKey) {
  const body = await api("POST", "/api/students/session", { student_key: studentKey }, { token: null });
  const session = { token: body.token, user_id: body.user_id, display_name: body.display_name };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** What to tell a student whose key was refused. */
export function keyRefusal(err) {
  if (err.status === 401 || err.status === 404) return "That key was not found. Check the card and try again.";
  if (err.status === 429) return "Too many tries from this school. Wait a few minutes and try again.";
  return err.message;
}
