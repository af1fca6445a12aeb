// Motion that a class enjoys and a child who is bothered by it can turn off: every animation
// here checks `reducedMotion()`, which honours the system setting (prefers-reduced-motion)
// and the page's own Motion preference (prefs.js puts `motion-reduce` on <html>).

export function reducedMotion() {
  return document.documentElement.classList.contains("motion-reduce")
    || Boolean(globalThis.matchMedia?.("(prefers-reduced-motion: reduce)").matches);
}

const MOVE_MS = 600;

/**
 * Re-renders a list whose rows carry `data-key` so that each row slides from where it was to
 * its new place (FLIP: First, Last, Invert, Play, with CSS transforms only). New rows fade in.
 * `render()` replaces the list's children.
 */
export function flipRender(list, render) {
  const visible = list.getClientRects().length > 0;
  const before = new Map();
  if (visible && !reducedMotion()) {
    for (const row of list.children) if (row.dataset.key) before.set(row.dataset.key, row.getBoundingClientRect().top);
  }
  render();
  if (before.size === 0) return;
  for (const row of list.children) {
    const top = before.get(row.dataset.key);
    const delta = top === undefined ? null : top - row.getBoundingClientRect().top;
    if (delta === 0) continue;
    row.animate(delta === null
      ? [{ opacity: 0, transform: "translateY(0.6em)" }, { opacity: 1, transform: "none" }]
      : [{ transform: `translateY(${delta}px)` }, { transform: "none" }],
    { duration: MOVE_MS, easing: "cubic-bezier(0.2, 0.8, 0.2, 1)" });
  }
}

/** Runs `steps` one after another, `gapMs` apart (at once, in order, with reduced motion).
 *  Returns a function that cancels the steps not yet run. */
export function inSequence(steps, gapMs) {
  if (reducedMotion()) {
    for (const step of steps) step();
    return () => {};
  }
  const timers = steps.map((step, i) => setTimeout(step, i * gapMs));
  return () => timers.forEach(clearTimeout);
}
