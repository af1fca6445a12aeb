// A visible countdown (bar + seconds) that also speaks at a few moments, not every second.
export class Countdown {
  constructor({ fill, seconds, container, totalMs, remainingMs, announce }) {
    Object.assign(this, { fill, seconds, container, totalMs, announce });
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
    if (this.fill) this.fill.style.transform = `scaleX(${this.totalMs ? left / this.totalMs : 0})`;
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
