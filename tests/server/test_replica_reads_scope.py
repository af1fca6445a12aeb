"""Only reads that may be stale or wait for the replica go through the read routing: the
answer path, joins, sign-in, authorisation and practice never name it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The modules whose handlers read through app_keys.READS, and what each reads that way.
ROUTED = {
    "server/api_reports.py": "a game's report (fresh)",
    "server/api_learning.py": "a student's own grid, statistics, progress, daily goal (fresh); "
                              "a class's grid (bounded)",
    "server/api_classes.py": "a class export (fresh)",
}


def test_only_the_report_grid_export_and_statistics_handlers_read_through_the_routing():
    naming = set()
    for path in [*ROOT.glob("server/**/*.py"), *ROOT.glob("rooms/**/*.py"),
                 *ROOT.glob("persistence/**/*.py"), *ROOT.glob("learning/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        if re.search(r"app_keys\.READS\b|\bReadRouting\b", text):
            naming.add(str(path.relative_to(ROOT)))
    wiring = {"server/app_keys.py", "server/resources.py", "server/metrics.py",
              "persistence/read_routing.py"}
    assert naming - wiring == set(ROUTED)


def test_the_decisions_in_the_routed_modules_stay_on_the_primary():
    # Authorisation (whose room, whose class, whose student) reads app_keys.DATABASE.
    learning = (ROOT / "server/learning_access.py").read_text(encoding="utf-8")
    assert "app_keys.DATABASE" in learning and "READS" not in learning
    rooms = (ROOT / "server/api_rooms.py").read_text(encoding="utf-8")
    assert "def owned_room" in rooms and "READS" not in rooms
