// A shape for each answer state, so a result never depends on colour alone: a circle with a
// tick (correct), a square with a cross (wrong), a triangle with a clock hand (time's up), a
// dot (saved, waiting). Drawn as SVG, so no emoji font is needed on a classroom Chromebook.
const SVG = "http://www.w3.org/2000/svg";

const SHAPES = {
  good: [["circle", { cx: 12, cy: 12, r: 11 }], ["path", { d: "M6.5 12.5l3.8 3.8 7.2-8.6", class: "stroke" }]],
  bad: [["rect", { x: 1.5, y: 1.5, width: 21, height: 21, rx: 3 }], ["path", { d: "M7.5 7.5l9 9M16.5 7.5l-9 9", class: "stroke" }]],
  late: [["path", { d: "M12 1.5l11 20.5H1z" }], ["path", { d: "M12 9v5.5l3 2", class: "stroke" }]],
  neutral: [["circle", { cx: 12, cy: 12, r: 6 }]],
};

/** An SVG mark for `kind` ("good", "bad", "late", "neutral"); decorative (the text says it). */
export function answerMark(kind) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", `mark mark-${SHAPES[kind] ? kind : "neutral"}`);
  for (const [tag, attrs] of SHAPES[kind] || SHAPES.neutral) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    svg.append(el);
  }
  return svg;
}
