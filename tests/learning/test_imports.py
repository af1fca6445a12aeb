"""learning/ imports nothing outside itself and the standard library (no SQL, HTTP, sockets,
Redis): ENGINEERING.md's layering, checked on the source."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

LEARNING = Path(__file__).resolve().parents[2] / "learning"


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_learning_imports_only_itself_and_the_standard_library():
    modules = sorted(LEARNING.glob("*.py"))
    assert len(modules) >= 8
    outside = {f"{path.name}: {name}" for path in modules for name in _imported(path)
               if name != "learning" and name not in sys.stdlib_module_names}
    assert outside == set()
