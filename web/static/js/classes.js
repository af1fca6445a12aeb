// The class roster API, in one place so the pages do not depend on its exact shape.
import { api } from "./api.js";

export const classIdOf = (c) => c?.class_id ?? c?.id ?? null;

export async function loadClasses() {
  const body = await api("GET", "/api/classes");
  return Array.isArray(body) ? body : body.classes || [];
}

export async function loadClass(classId) {
  return api("GET", `/api/classes/${encodeURIComponent(classId)}`);
}

export async function loadRoster(classId) {
  const body = await api("GET", `/api/classes/${encodeURIComponent(classId)}/students`);
  return Array.isArray(body) ? body : body.students || [];
}

export async function addStudents(classId, names) {
  return api("POST", `/api/classes/${encodeURIComponent(classId)}/students`,
    { students: names.map((display_name) => ({ display_name })) });
}

/** The class's daily ("day") or weekly ("week") board of live-game points. */
export async function loadClassBoard(classId, period) {
  return api("GET", `/api/classes/${encodeURIComponent(classId)}/leaderboard?period=${period}`);
}
