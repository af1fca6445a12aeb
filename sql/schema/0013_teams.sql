-- Team mode (docs/schema.md, "Teams"): a room plays in 2..8 teams, named when the room is
-- created; each player is on one team (placed when they join, moved by the teacher in the
-- lobby). A team's points are derived from its members' answers, never stored, so they are
-- rebuilt from these rows and answer_attempts like every board.
ALTER TABLE rooms
    ADD COLUMN class_id UUID REFERENCES classes(id) ON DELETE SET NULL;

CREATE TABLE room_teams (
    room_id UUID NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
    team_index SMALLINT NOT NULL CHECK (team_index BETWEEN 0 AND 7),
    name VARCHAR(20) NOT NULL,
    PRIMARY KEY (room_id, team_index)
);

-- first_question: the index of the first question a player counts for in their team's mean
-- (0 for a player who joined in the lobby; a late joiner's team is not charged 0 points for
-- the questions asked before they came).
ALTER TABLE room_players
    ADD COLUMN team_index SMALLINT,
    ADD COLUMN first_question INTEGER NOT NULL DEFAULT 0,
    ADD CONSTRAINT room_players_team_fkey FOREIGN KEY (room_id, team_index)
        REFERENCES room_teams (room_id, team_index);
