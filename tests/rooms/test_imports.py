"""The live game's layering, checked on the source: rooms/ reaches its record, the answer
writer and the sockets only through the ports it defines (rooms/ports.py), and persistence/
implements those ports without importing the game."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What only the transport and the storage may use: sockets, HTTP, SQL and the drivers.
NOT_FOR_THE_GAME = {"persistence", "server", "socketio", "engineio", "aiohttp", "sqlalchemy",
                    "asyncpg", "alembic"}


def _imported(path: Path) -> set[str]:
    """Full names of the modules `path` imports (function-level imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_rooms_imports_no_storage_and_no_transport():
    modules = sorted((ROOT / "rooms").glob("*.py"))
    assert len(modules) >= 15
    found = {f"{path.name}: {name}" for path in modules for name in _imported(path)
             if name.split(".")[0] in NOT_FOR_THE_GAME}
    assert found == set()


def test_the_ports_import_only_the_standard_library():
    outside = {name for name in _imported(ROOT / "rooms" / "ports.py")
               if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside == set()


def test_persistence_imports_nothing_of_rooms_but_its_ports():
    modules = sorted((ROOT / "persistence").rglob("*.py"))
    users = {path.name for path in modules if "rooms.ports" in _imported(path)}
    assert users >= {"room_store.py", "live_answers.py"}
    found = {f"{path.relative_to(ROOT)}: {name}" for path in modules for name in _imported(path)
             if name.split(".")[0] == "rooms" and name != "rooms.ports"}
    assert found == set()
