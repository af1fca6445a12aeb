-- One scored answer per player per live question (docs/schema.md): the answer writer refuses
-- a second attempt_id for a (session, question_index) with `already_answered`, and this index
-- makes the database refuse it too, whatever a worker believes (two workers briefly holding
-- one room, a replayed request). Retries of one attempt_id stay idempotent through the
-- attempt_id's own UNIQUE constraint. Practice answers (question_index NULL) are not
-- concerned: a student may answer a fact many times.

-- Rows a split-brain room could have left before this index existed: the earliest answer of
-- each (session, question) stays the question's answer; later ones stay stored as the
-- student's practice (their learning aggregates already count them) but leave the room.
WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY session_id, question_index
                                  ORDER BY timestamp, id) AS n
    FROM answer_attempts
    WHERE question_index IS NOT NULL
)
UPDATE answer_attempts a SET question_index = NULL, points = NULL
FROM ranked r
WHERE a.id = r.id AND r.n > 1;

CREATE UNIQUE INDEX idx_attempts_one_per_question
    ON answer_attempts (session_id, question_index) WHERE question_index IS NOT NULL;
