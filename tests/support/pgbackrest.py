"""deploy/pgbackrest/pgbackrest.conf run for real on a test machine: the shipped file with only
its paths (repository, spool, logs, locks) moved into a temporary folder and the stanza's
pg1-* pointed at a private cluster."""

from __future__ import annotations

import configparser
import os
import pwd
import subprocess
from pathlib import Path

from tests.support.workers import ROOT

DEPLOY = ROOT / "deploy" / "pgbackrest"
STANZA = "mathrally"


def ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep option names as written
    parser.read(path)
    return parser


def config_for_test(workdir: Path, data: Path, port: int, socket_dir: Path) -> str:
    """deploy/pgbackrest/pgbackrest.conf with only its paths moved into workdir."""
    conf = ini(DEPLOY / "pgbackrest.conf")
    conf["global"].update({
        "repo1-path": str(workdir / "repo"), "spool-path": str(workdir / "spool"),
        "log-path": str(workdir / "log"), "lock-path": str(workdir / "lock"),
        "log-level-console": "warn"})
    conf[STANZA].update({"pg1-path": str(data), "pg1-port": str(port),
                         "pg1-socket-path": str(socket_dir)})
    lines = []
    for section in conf.sections():
        lines.append(f"[{section}]")
        lines.extend(f"{key}={value}" for key, value in conf[section].items())
    return "\n".join(lines) + "\n"


def make_repository_folders(workdir: Path, owner: str | None) -> None:
    for sub in ("log", "lock", "spool", "repo"):
        (workdir / sub).mkdir(exist_ok=True)
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.chown(workdir / sub, entry.pw_uid, entry.pw_gid)


def pgbackrest(config: Path, owner: str | None, *args: str) -> str:
    """One pgbackrest command as the clusters' owner; its output, or AssertionError."""
    prefix = ["runuser", "-u", owner, "--"] if owner else []
    done = subprocess.run([*prefix, "pgbackrest", f"--config={config}", f"--stanza={STANZA}", *args],
                          capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise AssertionError(f"pgbackrest {' '.join(args)} failed ({done.returncode}):\n"
                             f"{done.stdout}\n{done.stderr}")
    return done.stdout
