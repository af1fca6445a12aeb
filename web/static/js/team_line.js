// Team mode on a student's phone: their team in the header and the lobby, after each question
// the team's rank and what their own answer added to it, and the teams at the end.
import { $ } from "./dom.js";
import { renderTeams } from "./board.js";

let myTeam = null;  // {team, name}

/** `team` from joined, state or a `team` event (the teacher moved this student). */
export function showTeam(team) {
  if (!team) return;
  myTeam = team;
  const badge = $("#team-badge");
  badge.className = `team-badge team-${team.team}`;
  badge.replaceChildren(Object.assign(document.createElement("span"), { className: "team-swatch" }), `Team ${team.name}`);
  badge.hidden = false;
  $("#team-lobby").textContent = `You are on team ${team.name}.`;
  $("#team-lobby").className = `team-line team-${team.team}`;
  $("#team-lobby").hidden = false;
}

/** After a question: `you.team` of the student's leaderboard copy. */
export function showTeamStanding(line, teams) {
  const el = $("#team-line");
  if (!line) { el.hidden = true; return; }
  const added = line.contribution === null || line.contribution === undefined ? ""
    : ` Your answer added ${line.contribution > 0 ? "+" : ""}${line.contribution}.`;
  el.className = `team-line team-${line.team}`;
  el.textContent = `Team ${line.name} is #${line.rank} of ${teams?.length ?? "?"} with ${line.score} points.${added}`;
  el.hidden = false;
}

/** At the end: every team, the student's own marked. */
export function showTeamsAtEnd(teams, mine = myTeam?.team) {
  if (!teams?.length) return;
  renderTeams($("#final-teams"), teams, mine ?? null);
  const own = teams.find((t) => t.team === mine);
  $("#final-teams-title").textContent = own ? `Teams: ${own.name} came #${own.rank}` : "Teams";
  $("#final-teams-box").hidden = false;
}
