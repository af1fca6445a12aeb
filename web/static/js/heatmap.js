// The projector's class heat map: one cell per fact played in this game, coloured by the share
// of correct answers once its question closes, outlined while it is being answered.
import { h } from "./dom.js";

const MAX_CONTIGUOUS = 13;  // beyond this span an axis lists only the values played

export class HeatMap {
  constructor(root) {
    this.root = root;
    this.facts = new Map();  // "a|b" → {a, b, op, answered, correct, live}
  }

  key(q) { return `${q.operand1}|${q.operand2}`; }

  open(q) {
    for (const f of this.facts.values()) f.live = false;
    const k = this.key(q);
    const f = this.facts.get(k) || { a: q.operand1, b: q.operand2, op: q.operation, answered: 0, correct: 0, played: false };
    f.live = true;
    this.facts.set(k, f);
    this.current = k;
    this.render();
  }

  close(c) {
    const f = this.facts.get(this.current);
    if (!f) return;
    f.live = false;
    f.played = true;
    f.answered += c.answered || 0;
    f.correct += c.correct || 0;
    this.render();
  }

  axis(values) {
    const sorted = [...new Set(values)].sort((x, y) => x - y);
    if (!sorted.length) return [];
    const lo = sorted[0];
    const hi = sorted.at(-1);
    if (hi - lo + 1 > MAX_CONTIGUOUS) return sorted;
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }

  render() {
    const facts = [...this.facts.values()];
    const rows = this.axis(facts.map((f) => f.a));
    const cols = this.axis(facts.map((f) => f.b));
    const op = facts[0]?.op || "";
    // A narrow header column, then squares no wider than a readable size.
    this.root.style.gridTemplateColumns = `calc(3 * var(--u)) repeat(${cols.length}, minmax(0, calc(7 * var(--u))))`;
    const cells = [h("div.hm-head", { role: "columnheader", text: op })];
    for (const b of cols) cells.push(h("div.hm-head", { role: "columnheader", text: String(b) }));
    for (const a of rows) {
      cells.push(h("div.hm-head", { role: "rowheader", text: String(a) }));
      for (const b of cols) {
        const f = this.facts.get(`${a}|${b}`);
        const cell = h("div.hm-cell", { role: "cell" });
        if (f?.played && f.answered) {
          const share = f.correct / f.answered;
          cell.classList.add("played");
          cell.style.backgroundColor = `hsl(${Math.round(120 * share)} 70% 55%)`;
          cell.textContent = `${Math.round(100 * share)}%`;
          cell.setAttribute("aria-label", `${a} ${op} ${b}: ${Math.round(100 * share)}% correct`);
        } else if (f?.played) {
          cell.textContent = "–";
          cell.setAttribute("aria-label", `${a} ${op} ${b}: no answers`);
        }
        if (f?.live) {
          cell.classList.add("live");
          cell.textContent = "…";
          cell.setAttribute("aria-label", `${a} ${op} ${b}: being answered`);
        }
        cells.push(cell);
      }
    }
    this.root.replaceChildren(...cells);
  }
}
