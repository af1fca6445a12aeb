// Socket.IO with the msgpack parser (the server speaks msgpack only), vendored from npm.
import { io, msgpackParser } from "/vendor/socketio.mjs";

export function connect(namespace, auth) {
  return io(namespace, {
    auth,
    parser: msgpackParser,
    // Websocket first (one connection, works across workers without sticky sessions);
    // fall back to long-polling where a school proxy blocks websockets.
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    // Exponential backoff with ±50 % jitter, so a class whose server went away does not
    // come back in one stampede.
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
    randomizationFactor: 0.5,
  });
}

/** emit with an ack and a timeout: resolves to the ack, or {ok:false, error:{code:"timeout"}}. */
export function request(socket, event, payload, timeoutMs = 8000) {
  return new Promise((resolve) => {
    const args = payload === undefined ? [] : [payload];
    socket.timeout(timeoutMs).emit(event, ...args, (err, ack) => {
      if (err) resolve({ ok: false, error: { code: "timeout", message: "No answer from the server" } });
      else resolve(ack ?? { ok: false, error: { code: "invalid_ack", message: "Empty answer" } });
    });
  });
}

const REFUSALS = {
  room_not_found: "There is no game with that code. Check the code and try again.",
  room_locked: "This game is locked: the teacher is not letting anyone else in.",
  game_over: "This game has finished.",
  nickname_taken: "Someone in this game already uses that name. Pick another one.",
  invalid_nickname: "That name can't be used here. Please choose another name.",
  rate_limited: "Too many tries. Wait a few seconds and try again.",
  unauthorized: "Please sign in again.",
  forbidden: "You are not allowed to open this game.",
  kicked: "The teacher removed you from this game.",
  invalid_payload: "Something was missing. Please try again.",
  student_key: "That student key is not in this teacher's classes. Check your card.",
};

/** Reconnect after a random 0.25–1.25 s: 300 phones told to leave at once spread out. */
export function reconnectSoon(socket, afterSeconds = 0.25) {
  setTimeout(() => socket.connect(), (afterSeconds + Math.random()) * 1000);
}

/** The refusal code of a connect_error, or null when it is a network problem (retry). */
export function refusalCode(err) {
  return err?.data?.code ?? null;
}
export function refusalMessage(code) {
  return REFUSALS[code] || "The server refused the connection.";
}
