"""A built package carries what `mathrally serve` serves, and nothing of the build tools."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_the_pages_and_the_browser_bundle(tmp_path):
    assert (REPO / "web" / "vendor" / "socketio.mjs").is_file(), "./dev builds web/vendor first"
    # From a copy: setuptools reuses an in-tree build/ folder, which may hold an older build.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "*.egg-info", "__pycache__", ".mathrally"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
                    str(tmp_path), str(source)], check=True, timeout=300, capture_output=True)
    (wheel,) = tmp_path.glob("mathrally-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("web/vendor/socketio.mjs", "web/pages/play.html", "web/static/js/play.js",
                   "sql/migrations/env.py", "sql/schema/0001_seed_tables.sql",
                   "sql/answer_flow/lock_users.sql", "server/cli.py", "learning/__init__.py"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("web/node_modules/", "web/scripts/", "tests/"))]
