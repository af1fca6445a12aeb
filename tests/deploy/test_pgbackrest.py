"""deploy/pgbackrest: the seed's backup strategy, checked as text and run for real.

The real run starts a throw-away PostgreSQL cluster (the machine's binaries), configured
with deploy/pgbackrest/postgresql-archiving.conf, and drives pgBackRest with
deploy/pgbackrest/pgbackrest.conf (only its paths moved into a temporary folder): stanza-create,
check, a full and an incremental backup, then a point-in-time restore into a new data folder
that must hold exactly the rows committed before the target time.
pgBackRest and the server binaries come from .ci/install-test-packages (./dev test runs it).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.pgbackrest import DEPLOY, STANZA, config_for_test, ini


def _on_calendar(path: Path) -> str:
    return ini(path)["Timer"]["OnCalendar"]


def _hours(on_calendar: str) -> set[int]:
    match = re.fullmatch(r"\*-\*-\* ([\d,]+):00:00 UTC", on_calendar)
    assert match, f"unexpected OnCalendar {on_calendar!r}"
    return {int(h) for h in match.group(1).split(",")}


def test_the_configuration_states_the_seed_strategy():
    conf = ini(DEPLOY / "pgbackrest.conf")
    # Point-in-time recovery for 7 days.
    assert conf["global"]["repo1-retention-full-type"] == "time"
    assert conf["global"]["repo1-retention-full"] == "7"
    assert STANZA in conf.sections()

    archiving = (DEPLOY / "postgresql-archiving.conf").read_text()
    assert re.search(r"^archive_mode = on$", archiving, re.M)
    assert f"pgbackrest --stanza={STANZA} archive-push %p" in archiving
    assert re.search(r"^wal_level = replica$", archiving, re.M)

    # Full daily at 02:00 UTC; incrementals in between, so one backup every 6 hours.
    full = _hours(_on_calendar(DEPLOY / "pgbackrest-full.timer"))
    incr = _hours(_on_calendar(DEPLOY / "pgbackrest-incr.timer"))
    assert full == {2}
    assert sorted(full | incr) == [2, 8, 14, 20] and not full & incr
    assert ini(DEPLOY / "pgbackrest-full.timer")["Timer"]["Unit"] == "pgbackrest-backup@full.service"
    assert ini(DEPLOY / "pgbackrest-incr.timer")["Timer"]["Unit"] == "pgbackrest-backup@incr.service"
    service = ini(DEPLOY / "pgbackrest-backup@.service")["Service"]
    assert service["ExecStart"] == f"/usr/bin/pgbackrest --stanza={STANZA} --type=%i backup"
    assert service["User"] == "postgres"

    cron = (DEPLOY / "pgbackrest.cron").read_text()
    assert re.search(r"^CRON_TZ=UTC$", cron, re.M)
    jobs = [(line.split()[0], line.split()[1], re.search(r"--type=(\w+)", line).group(1))
            for line in cron.splitlines() if line[:1].isdigit()]
    assert jobs == [("0", "2", "full"), ("0", "8,14,20", "incr")]


# --- the real run ----------------------------------------------------------------------------


def _pg_bin_dir() -> Path:
    """The machine's newest PostgreSQL whose major version pgBackRest supports."""
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parent.parent.name), reverse=True)
    if not installed:
        pytest.fail("no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install "
                    "postgresql) for the pgBackRest test")
    return installed[0].parent


@dataclass
class Cluster:
    workdir: Path
    bin_dir: Path
    config: Path
    port: int
    as_user: list[str]

    def run(self, *argv: str, check: bool = True) -> str:
        done = subprocess.run([*self.as_user, *argv], capture_output=True, text=True,
                              timeout=120, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done.stdout

    def pgbackrest(self, *args: str) -> str:
        return self.run("pgbackrest", f"--config={self.config}", f"--stanza={STANZA}", *args)

    def sql(self, query: str, *, port: int | None = None) -> str:
        return self.run(str(self.bin_dir / "psql"), "-h", str(self.workdir), "-p",
                        str(port or self.port), "-d", "postgres", "-Atqc", query).strip()

    def pg_ctl(self, data: Path, *args: str) -> None:
        self.run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-w", *args)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if shutil.which("pgbackrest") is None:
        pytest.fail("pgbackrest is not installed: run .ci/install-test-packages")
    bin_dir = _pg_bin_dir()
    # PostgreSQL refuses to run as root; the Debian package's postgres user runs it here.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    workdir = Path(tempfile.mkdtemp(prefix="mathrally-pgbackrest-"))
    port = _free_port()
    config = workdir / "pgbackrest.conf"
    config.write_text(config_for_test(workdir, workdir / "data", port, workdir))
    for sub in ("log", "lock", "spool", "repo"):
        (workdir / sub).mkdir()
    if as_user:
        owner = pwd.getpwnam("postgres")
        for path in [workdir, *workdir.iterdir()]:
            os.chown(path, owner.pw_uid, owner.pw_gid)
    c = Cluster(workdir=workdir, bin_dir=bin_dir, config=config, port=port, as_user=as_user)
    c.run(str(bin_dir / "initdb"), "-D", str(workdir / "data"), "-A", "trust", "-U", "postgres",
          "--no-sync")
    archiving = (DEPLOY / "postgresql-archiving.conf").read_text().replace(
        "pgbackrest --stanza=", f"pgbackrest --config={config} --stanza=")
    with (workdir / "data" / "postgresql.conf").open("a") as conf:
        conf.write(archiving)
        conf.write(f"\nport = {port}\nlisten_addresses = ''\nunix_socket_directories = "
                   f"'{workdir}'\nfsync = off\n")
    c.pg_ctl(workdir / "data", "-l", str(workdir / "data.log"), "start")
    try:
        yield c
    finally:
        for data in ("data", "restored"):
            if (workdir / data / "postmaster.pid").exists():
                c.pg_ctl(workdir / data, "-m", "immediate", "stop")
        shutil.rmtree(workdir, ignore_errors=True)


def test_pgbackrest_backs_up_and_restores_to_a_point_in_time(cluster: Cluster):
    cluster.pgbackrest("stanza-create")
    cluster.pgbackrest("check")  # archive_command delivers WAL into the repository
    cluster.pgbackrest("--type=full", "backup")
    cluster.sql("CREATE TABLE answers AS SELECT generate_series(1, 1000) AS n")
    cluster.pgbackrest("--type=incr", "backup")

    target = cluster.sql("SELECT now()")
    time.sleep(0.2)  # the later rows commit strictly after the target
    cluster.sql("INSERT INTO answers SELECT generate_series(1001, 1500)")
    cluster.sql("SELECT pg_switch_wal()")
    cluster.pgbackrest("check")  # waits until that WAL segment is archived

    info = cluster.pgbackrest("info")
    assert "full backup" in info and "incr backup" in info

    restored = cluster.workdir / "restored"
    cluster.pgbackrest(f"--pg1-path={restored}", "--type=time", f"--target={target}",
                       "--target-action=promote", "restore")
    restored_port = _free_port()
    with (restored / "postgresql.conf").open("a") as conf:
        # The copy must not push WAL into the original's archive.
        conf.write(f"\nport = {restored_port}\narchive_mode = off\n")
    cluster.pg_ctl(restored, "-l", str(cluster.workdir / "restored.log"), "start")
    deadline = time.monotonic() + 30
    while cluster.sql("SELECT pg_is_in_recovery()", port=restored_port) != "f":
        assert time.monotonic() < deadline, "the restored cluster did not finish recovery"
        time.sleep(0.1)
    assert cluster.sql("SELECT count(*), max(n) FROM answers", port=restored_port) == "1000|1000"
