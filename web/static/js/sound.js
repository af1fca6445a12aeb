// The projector's sounds: short WebAudio beeps (no audio files), off until the teacher turns
// them on with the Sound button; the choice is kept on this device.
const KEY = "mathrally.sound";
let context = null;

export function soundOn() { return localStorage.getItem(KEY) === "on"; }

/** Turns sound on or off; turning it on is a click, so the browser lets the audio start. */
export function setSound(on) {
  localStorage.setItem(KEY, on ? "on" : "off");
  if (on && !context && globalThis.AudioContext) context = new AudioContext();
  context?.resume?.();
}

function tone(freq, startS, lengthS, volume = 0.15) {
  const osc = context.createOscillator();
  const gain = context.createGain();
  osc.type = "triangle";
  osc.frequency.value = freq;
  const t = context.currentTime + startS;
  // A soft attack and release: a beep, never a click.
  gain.gain.setValueAtTime(0, t);
  gain.gain.linearRampToValueAtTime(volume, t + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.001, t + lengthS);
  osc.connect(gain).connect(context.destination);
  osc.start(t);
  osc.stop(t + lengthS + 0.05);
}

const TUNES = {
  tick: [[880, 0, 0.08, 0.08]],                                   // each of the last seconds
  join: [[660, 0, 0.12, 0.08]],                                   // a name arrives
  close: [[523, 0, 0.15], [784, 0.12, 0.3]],                      // time's up / all answered
  place: [[392, 0, 0.2], [523, 0.15, 0.3]],                       // a podium place appears
  win: [[523, 0, 0.18], [659, 0.15, 0.18], [784, 0.3, 0.18], [1047, 0.45, 0.5]],
};

/** Plays one of the tunes above when sound is on; nothing otherwise. */
export function play(name) {
  if (!soundOn() || !context || !TUNES[name]) return;
  for (const [freq, start, length, volume] of TUNES[name]) tone(freq, start, length, volume);
}
