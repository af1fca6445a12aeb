// What /practice shows around a session: the home (goal ring, streak, due facts, tracks) and a
// session's summary. Pure rendering from the API's replies; practice.js owns the flow.
import { $, h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const RING_RADIUS = 42;

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Today's goal as a ring: the share of the goal's minutes practised, and the words. */
export function renderGoalRing(root, goal) {
  const share = goal.goal_minutes ? Math.min(1, goal.practised_minutes / goal.goal_minutes) : 0;
  const length = 2 * Math.PI * RING_RADIUS;
  const ring = svg("svg", { viewBox: "0 0 100 100", "aria-hidden": "true", class: "ring" });
  ring.append(svg("circle", { cx: 50, cy: 50, r: RING_RADIUS, class: "ring-track" }));
  const done = svg("circle", { cx: 50, cy: 50, r: RING_RADIUS, class: "ring-done",
    "stroke-dasharray": `${(share * length).toFixed(1)} ${length.toFixed(1)}` });
  ring.append(done);
  const words = goal.met
    ? `Goal met: ${goal.practised_minutes} of ${goal.goal_minutes} minutes today`
    : `${goal.practised_minutes} of ${goal.goal_minutes} minutes today`;
  root.classList.toggle("met", Boolean(goal.met));
  root.replaceChildren(ring, h("p.ring-text", {},
    h("strong", { text: `${goal.practised_minutes}/${goal.goal_minutes}` }), h("span", { text: "\u00a0min" })),
  h("p.visually-hidden", { text: words }));
  root.title = words;
}

function trackStatus(track, assignedId) {
  if (track.completed_date) return ["done", "Done ✓"];
  if (!track.is_unlocked) return ["locked", `Locked: ${track.unlock_criteria || "finish the tracks before it first."}`];
  if (track.id === assignedId) return ["assigned", "Your teacher picked this track"];
  return track.started_date ? ["started", "Keep going"] : ["new", "Not started yet"];
}

/** The student's tracks in learning order, each with what they may do with it. */
export function renderTracks(root, { tracks, dueByTrack, assignedId, suggestedId, onPractise, onPlacement }) {
  root.replaceChildren(...tracks.map((t) => {
    const [kind, status] = trackStatus(t, assignedId);
    const total = t.total_questions || 0;
    const mastered = t.mastered_questions || 0;
    const due = dueByTrack[t.id] || 0;
    const meter = h("meter", { min: "0", max: String(total || 1), value: String(mastered),
      "aria-label": `${t.name}: ${mastered} of ${total} facts mastered` });
    const actions = h("div.row.track-actions");
    if (t.is_unlocked) {
      actions.append(h(`button${t.id === suggestedId ? "" : ".secondary"}`, {
        type: "button", text: t.started_date ? "Practise" : "Start",
        "aria-label": `${t.started_date ? "Practise" : "Start"} ${t.name}`, on: { click: () => onPractise(t) } }));
    }
    if (!t.completed_date) {
      actions.append(h("button.secondary", { type: "button", text: "Check what I know",
        "aria-label": `Check what I know in ${t.name}`, on: { click: () => onPlacement(t) } }));
    }
    return h(`li.track.${kind}`, { dataset: { trackId: t.id } },
      h("div.track-head", {}, h("h3", { text: t.name }), due ? h("span.pill", { text: `${due} due` }) : ""),
      h("p.track-status", { text: status }),
      h("p.track-count.muted", { text: `${mastered} of ${total} facts mastered` }), meter, actions);
  }));
}

const dayName = (iso, today) => {
  const days = Math.round((Date.parse(iso) - Date.parse(today)) / 86_400_000);
  if (days <= 0) return "Today";
  if (days === 1) return "Tomorrow";
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined,
    { weekday: "long", day: "numeric", month: "short", timeZone: "UTC" });
};

const count = (v) => (Array.isArray(v) ? v.length : Number(v) || 0);

/** A finished session: what improved, XP and level, when the next reviews are due. */
export function renderSummary(root, s, { today, trackName }) {
  const rows = [
    ["Facts answered", `${s.questions_answered} (${s.correct_answers} right)`],
    ["Facts improved", String(count(s.facts_improved))],
    ["Newly mastered", String(count(s.new_mastered_facts))],
    ["XP", `+${s.experience_gained ?? 0} (level ${s.level}, ${s.experience_points} of ${s.next_level_at} XP)`],
  ];
  if (s.daily_goal) {
    rows.push(["Today", s.daily_goal.met ? `goal met (${s.daily_goal.practised_minutes} min)`
      : `${s.daily_goal.practised_minutes} of ${s.daily_goal.goal_minutes} min`]);
  }
  const reviews = (s.next_reviews || []).slice(0, 4);
  root.replaceChildren(
    h("dl.summary-stats", {}, rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    h("h2", { text: "Next reviews" }),
    reviews.length
      ? h("ul.reviews", {}, reviews.map((r) => h("li", {},
        h("strong", { text: dayName(r.date, today) }), `: ${r.facts} ${r.facts === 1 ? "fact" : "facts"}`)))
      : h("p.muted", { text: "Nothing scheduled yet: practise a few more facts." }),
  );
  if (s.placed_out_sections) {
    const n = s.placed_out_sections.length;
    root.prepend(h("p.placed", { text: n
      ? `You already know ${n} ${n === 1 ? "part" : "parts"} of ${trackName}: those are done.`
      : `${trackName} starts from the beginning for you.` }));
  }
}

export function setNotice(text) { $("#practice-notice").textContent = text || ""; }
