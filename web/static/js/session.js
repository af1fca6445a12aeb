// What the student pages keep between page loads. sessionStorage is per tab, so two children
// sharing a computer in two tabs stay two players, and a refresh rejoins the same player.
export const JOIN_KEY = "mathrally.join";          // {code, nickname} or {code, student_key}
export const REJOIN_KEY = "mathrally.rejoin";      // {rejoin_token, code, nickname}
export const PENDING_KEY = "mathrally.pending";    // the unacknowledged answer, if any
export const SKEW_KEY = "mathrally.clock_skew";    // server clock − this device's clock, ms
export const SAVED_KEY = "mathrally.student_key";  // localStorage: a remembered student key

function read(key) {
  try { return JSON.parse(sessionStorage.getItem(key) || "null"); } catch { return null; }
}
export const loadJoin = () => read(JOIN_KEY);
export const loadRejoin = () => read(REJOIN_KEY);
export const loadPending = () => read(PENDING_KEY);
export function saveRejoin(value) { sessionStorage.setItem(REJOIN_KEY, JSON.stringify(value)); }
export function savePending(value) {
  if (value) sessionStorage.setItem(PENDING_KEY, JSON.stringify(value));
  else sessionStorage.removeItem(PENDING_KEY);
}
export function clearPlaySession() {
  for (const k of [JOIN_KEY, REJOIN_KEY, PENDING_KEY]) sessionStorage.removeItem(k);
}
