"""Points students scored in live games over periods of time: what the daily and weekly boards
hold (rooms/period_boards.py). Implements rooms.ports.LivePointsRecord.

A live answer's points are in `answer_attempts.points` (NULL for practice), its time in
`timestamp`. The statement starts from the students' live sessions (`idx_user_sessions`),
then each session's answers in the window (`idx_session (session_id, timestamp)`): a handful
of index probes per student, whatever the size of the table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from persistence.database import Database


class PostgresLivePoints:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def live_points(self, user_ids: Sequence[uuid.UUID],
                          windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> dict[uuid.UUID, list[int]]:
        if not user_ids or not windows:
            return {}
        sums = ", ".join(
            f"COALESCE(SUM(a.points) FILTER (WHERE a.timestamp >= :s{i} AND a.timestamp < :e{i}), 0)::int"
            for i in range(len(windows)))
        statement = text(
            f"SELECT s.user_id, {sums} FROM practice_sessions s "
            "JOIN answer_attempts a ON a.session_id = s.id "
            "WHERE s.user_id = ANY(:users) AND s.mode = 'live' AND a.question_index IS NOT NULL "
            "AND a.timestamp >= :low AND a.timestamp < :high GROUP BY s.user_id"
        ).bindparams(bindparam("users", type_=ARRAY(UUID(as_uuid=True))))
        params: dict[str, object] = {"users": list(user_ids),
                                     "low": min(start for start, _ in windows),
                                     "high": max(end for _, end in windows)}
        for i, (start, end) in enumerate(windows):
            params[f"s{i}"], params[f"e{i}"] = start, end
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(statement, params)).all()
        return {row[0]: list(row[1:]) for row in rows}
