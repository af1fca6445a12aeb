"""bench/ is packages whose modules import each other without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def module_name(path: Path) -> str:
    parts = path.relative_to(BENCH.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def bench_imports() -> dict[str, set[str]]:
    """Module → the bench modules it imports anywhere in its body (functions included)."""
    modules = {module_name(p): p for p in BENCH.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bench"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    found.add(candidate if candidate in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("bench"))
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_every_bench_module_lives_in_a_package():
    assert sorted(p.name for p in BENCH.glob("*.py")) == ["__init__.py"]


def test_bench_modules_import_each_other_without_a_cycle():
    graph = bench_imports()
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError(f"import cycle: {' → '.join([*path[path.index(name):], name])}")
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])
