"""docs/http-api.md's route index names every route the application registers, and no other."""

from __future__ import annotations

import re
from pathlib import Path

from server.app import create_app
from server.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "http-api.md"


def documented_routes() -> set[tuple[str, str]]:
    index = DOC.read_text(encoding="utf-8").split("## Every route", 1)[1].split("\n## ", 1)[0]
    routes = set()
    for row in index.splitlines():
        if not row.startswith("| ") or row.startswith("| method"):
            continue
        methods, paths = re.fullmatch(r"([A-Z, ]+?) (/.*)", row.split("|")[1].strip()).groups()
        for method in methods.split(","):
            for path in paths.split(","):
                routes.add((method.strip(), path.strip()))
    return routes


def registered_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="postgresql://unused/unused", secret_key="k"))
    routes = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        if route.method != "HEAD":  # every GET answers HEAD too (the doc says so once)
            routes.add((route.method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)))
    return routes


def test_every_registered_route_is_documented_and_every_documented_route_exists():
    assert documented_routes() == registered_routes()
