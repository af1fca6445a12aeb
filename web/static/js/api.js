// JSON over HTTP with the contract's error body, and the signed-in teacher on this device.
const TEACHER_KEY = "mathrally.teacher";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function teacher() {
  try { return JSON.parse(localStorage.getItem(TEACHER_KEY) || "null"); } catch { return null; }
}
export function setTeacher(value) {
  if (value) localStorage.setItem(TEACHER_KEY, JSON.stringify(value));
  else localStorage.removeItem(TEACHER_KEY);
}

/** api("POST", "/api/rooms", body, {token}) → parsed JSON; throws ApiError. */
export async function api(method, path, body, { token, raw = false } = {}) {
  const headers = { Accept: raw ? "*/*" : "application/json" };
  const bearer = token === undefined ? teacher()?.token : token;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server could not be reached. Check the connection and try again.");
  }
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText || "Request failed";
    try {
      const err = (await res.json()).error;
      if (err) { code = err.code || code; message = err.message || message; }
    } catch { /* not JSON */ }
    throw new ApiError(res.status, code, message);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return res.json();
}

/** Recent rooms this teacher created on this device (the screen key is only shown once). */
const ROOMS_KEY = "mathrally.rooms";
export function recentRooms() {
  try { return JSON.parse(localStorage.getItem(ROOMS_KEY) || "[]"); } catch { return []; }
}
export function rememberRoom(room) {
  const rooms = recentRooms().filter((r) => r.room_id !== room.room_id);
  rooms.unshift({ ...room, created_at: Date.now() });
  localStorage.setItem(ROOMS_KEY, JSON.stringify(rooms.slice(0, 20)));
}
export function findRoom(roomId) {
  return recentRooms().find((r) => r.room_id === roomId) || null;
}
