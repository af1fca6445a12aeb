"""./dev and .ci/install-test-packages, run for real as subprocesses.

Missing tools are simulated with a PATH that links every tool of the machine but the ones
named, so nothing is ever uninstalled; the non-root case drops to `nobody` with setpriv.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A temporary folder `nobody` can enter (pytest's tmp_path is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="mathrally-dev-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def path_without(where: Path, *hidden: str) -> str:
    """A PATH of symlinks to every command on the machine except `hidden`."""
    farm = where / "bin"
    farm.mkdir()
    for folder in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin", "/sbin"]:
        if not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name not in hidden and not (farm / entry.name).exists():
                (farm / entry.name).symlink_to(entry.path)
    return str(farm)


def run(argv: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None,
        as_nobody: bool = False) -> subprocess.CompletedProcess[str]:
    if as_nobody and os.geteuid() == 0:
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]
    return subprocess.run(argv, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=60, check=False)


def test_an_unknown_command_is_named_and_refused():
    result = run(["./dev", "frobnicate"])
    assert result.returncode == 2
    assert result.stderr.startswith("./dev: unknown command 'frobnicate'")
    assert len(result.stderr.splitlines()) == 1
    bare = run(["./dev"])
    assert bare.returncode == 2 and "usage: ./dev serve" in bare.stderr


def test_without_npm_dev_says_so_in_one_line(tmp_path):
    # A checkout whose browser bundle is not built yet, with a .venv ./dev takes as installed.
    checkout = tmp_path / "checkout"
    (checkout / "web").mkdir(parents=True)
    shutil.copy(REPO / "dev", checkout / "dev")
    shutil.copy(REPO / "pyproject.toml", checkout / "pyproject.toml")
    shutil.copy(REPO / "web" / "package.json", checkout / "web" / "package.json")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (venv / f".installed-server-{digest}").touch()
    result = run(["./dev", "serve"], cwd=checkout,
                 env={"PATH": path_without(tmp_path, "npm"), "MATHRALLY_VENV": str(venv)})
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("./dev: npm is missing")
    assert len(result.stderr.splitlines()) == 1


INSTALLER = REPO / ".ci" / "install-test-packages"
# The system's Python, which `nobody` can run (root's pyenv shims are in a folder it cannot enter).
DEBIAN_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def test_the_installer_is_silent_when_everything_is_there():
    result = run([str(INSTALLER)])
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_without_root_the_installer_names_what_to_run(public_dir):
    script = public_dir / "install-test-packages"
    shutil.copy(INSTALLER, script)
    result = run([str(script)], cwd=public_dir, as_nobody=True,
                 env={"PATH": path_without(public_dir, "pgbackrest"),
                      "CHROMIUM_PATH": "/nonexistent", "PYTHON": DEBIAN_PYTHON})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "the tests need: chromium fonts-dejavu-core pgbackrest (not found): run `sudo apt-get "
        "install --no-install-recommends chromium fonts-dejavu-core pgbackrest`, then ./dev test again"]


def test_without_apt_the_installer_says_so(tmp_path):
    result = run([str(INSTALLER)], env={"PATH": path_without(tmp_path, "pgbackrest", "apt-get")})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "the tests need: pgbackrest (not found; this is not a Debian/Ubuntu machine: install them, "
        "then run ./dev test again)"]

