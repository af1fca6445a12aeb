// A visible countdown (a bar or a ring, and the seconds) that also speaks at a few moments,
// not every second. `ring` is an SVG circle with pathLength="100": its stroke runs down,
// smoothly, or with motion reduced in whole-second steps with the number, so nothing sweeps
// (a bar, `fill`, does the same).
// `onSecond(s)` is called once as each whole second begins (the projector's ticks).
import { reducedMotion } from "./motion.js";

export class Countdown {
  constructor({ fill, ring, seconds, container, totalMs, remainingMs, announce, onSecond }) {
    Object.assign(this, { fill, ring, seconds, container, totalMs, announce, onSecond });
    this.lastSecond = null;
    this.deadline = performance.now() + Math.max(0, remainingMs);
    this.spoken = new Set();
    this.timer = null;
  }

  start() {
    this.tick();
    this.timer = setInterval(() => this.tick(), 100);
    const s = Math.ceil((this.deadline - performance.now()) / 1000);
    this.announce?.(`${s} seconds.`);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  tick() {
    const left = Math.max(0, this.deadline - performance.now());
    const s = Math.ceil(left / 1000);
    if (this.seconds) this.seconds.textContent = `${s}s`;
    const newSecond = s !== this.lastSecond;
    const stepped = reducedMotion();
    if (newSecond || !stepped) {
      const shown = stepped ? Math.min(this.totalMs, s * 1000) : left;
      const share = this.totalMs ? shown / this.totalMs : 0;
      if (this.fill) this.fill.style.transform = `scaleX(${share})`;
      if (this.ring) this.ring.style.strokeDashoffset = String(100 * (1 - share));
    }
    if (newSecond) {
      this.lastSecond = s;
      this.onSecond?.(s);
    }
    this.container?.classList.toggle("low", left <= 5000);
    for (const mark of [10, 5]) {
      if (s === mark && !this.spoken.has(mark) && this.totalMs > mark * 1000 + 2000) {
        this.spoken.add(mark);
        this.announce?.(`${mark} seconds left.`);
      }
    }
    if (left <= 0) this.stop();
  }
}
