// The projector's class heat map: the facts played in this game, each coloured by the share
// of correct answers once its question closes, outlined while it is being answered.
//
// It must read from the back of a classroom whatever was played: a few facts are big tiles
// naming the fact; more facts are a multiplication-table grid of the rows and columns played.
// Either way screen.css sizes the tiles or cells to the space the heat map has (a size
// container), so one fact is one large tile, not one small cell in an empty area.
import { h } from "./dom.js";

const MAX_TILES = 4;        // up to this many facts: tiles that name their fact
const MAX_CONTIGUOUS = 13;  // beyond this span an axis lists only the values played
const MIN_FILL = 0.25;      // a grid emptier than this keeps only the rows and columns played

export class HeatMap {
  constructor(root) {
    this.root = root;
    this.facts = new Map();  // "a|b" → {a, b, op, answered, correct, played, live}
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

  render() {
    const facts = [...this.facts.values()];
    if (!facts.length) this.root.replaceChildren();
    else if (facts.length <= MAX_TILES) this.renderTiles(facts);
    else this.renderGrid(facts);
  }

  /** A fact's colour, text and spoken description as it stands now. */
  describe(f) {
    const name = `${f.a} ${f.op} ${f.b}`;
    if (f.live) return { text: "…", label: `${name}: being answered` };
    if (f.played && f.answered) {
      const share = f.correct / f.answered;
      const pct = `${Math.round(100 * share)}%`;
      return { text: pct, label: `${name}: ${pct} correct`, colour: `hsl(${Math.round(120 * share)} 70% 55%)` };
    }
    if (f.played) return { text: "–", label: `${name}: no answers` };
    return { text: "", label: `${name}: not played` };
  }

  paint(el, f) {
    const d = this.describe(f);
    el.classList.toggle("played", Boolean(d.colour));
    el.classList.toggle("live", Boolean(f.live));
    if (d.colour) el.style.backgroundColor = d.colour;
    el.setAttribute("aria-label", d.label);
    return d;
  }

  renderTiles(facts) {
    const cols = Math.ceil(Math.sqrt(facts.length));
    const list = h("ul.hm-tiles", { "aria-label": this.label() });
    list.style.setProperty("--cols", String(cols));
    list.style.setProperty("--rows", String(Math.ceil(facts.length / cols)));
    for (const f of facts) {
      const tile = h("li.hm-tile");
      const d = this.paint(tile, f);
      tile.append(h("span.hm-fact", { "aria-hidden": "true", text: `${f.a} ${f.op} ${f.b}` }),
        h("span.hm-share", { "aria-hidden": "true", text: d.text }));
      list.append(tile);
    }
    this.root.replaceChildren(list);
  }

  renderGrid(facts) {
    let rows = axis(facts.map((f) => f.a));
    let cols = axis(facts.map((f) => f.b));
    if (facts.length < MIN_FILL * rows.length * cols.length) {
      rows = played(facts.map((f) => f.a));
      cols = played(facts.map((f) => f.b));
    }
    const op = facts[0].op || "";
    const grid = h("div.hm-grid", { role: "table", "aria-label": this.label() });
    grid.style.setProperty("--cols", String(cols.length));
    grid.style.setProperty("--rows", String(rows.length));
    const head = h("div", { role: "row" }, h("div.hm-head", { role: "columnheader", text: op }),
      cols.map((b) => h("div.hm-head", { role: "columnheader", text: String(b) })));
    const body = rows.map((a) => h("div", { role: "row" }, h("div.hm-head", { role: "rowheader", text: String(a) }),
      cols.map((b) => {
        const cell = h("div.hm-cell", { role: "cell" });
        const f = this.facts.get(`${a}|${b}`);
        if (f) cell.textContent = this.paint(cell, f).text;
        return cell;
      })));
    grid.append(head, ...body);
    this.root.replaceChildren(grid);
  }

  label() { return "Share of correct answers per fact"; }
}

/** Every value from the smallest to the largest played, unless that span is too wide. */
function axis(values) {
  const sorted = played(values);
  const lo = sorted[0];
  const hi = sorted.at(-1);
  if (hi - lo + 1 > MAX_CONTIGUOUS) return sorted;
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

function played(values) { return [...new Set(values)].sort((x, y) => x - y); }
