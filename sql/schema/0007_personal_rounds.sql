-- Personal rounds (docs/protocol.md, "Personal rounds"): a room option where, on each question,
-- every player gets their own fact from the room's track (due review → weakest → new), all
-- against the same timer. Listed in docs/schema.md.

-- The option; a personal room needs a track to choose from.
ALTER TABLE rooms ADD COLUMN personal_rounds BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE rooms ADD CONSTRAINT rooms_personal_rounds_track_check
    CHECK (NOT personal_rounds OR track_id IS NOT NULL);

-- Which fact each player got at each question of a personal room, written before the round
-- reaches anyone: a room rebuilt after a restart gives every player back the fact they were
-- shown. room_questions keeps one fact per index too, the round's fallback (a player the
-- choice could not serve gets it) and the room report's anchor.
CREATE TABLE room_personal_questions (
    room_id UUID NOT NULL,
    question_index INTEGER NOT NULL,
    player_id UUID NOT NULL REFERENCES room_players(id) ON DELETE CASCADE,
    question_id UUID NOT NULL REFERENCES questions(id),
    PRIMARY KEY (room_id, question_index, player_id),
    FOREIGN KEY (room_id, question_index)
        REFERENCES room_questions (room_id, question_index) ON DELETE CASCADE
);
