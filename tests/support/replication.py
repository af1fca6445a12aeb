"""A primary and a hot standby made the way docs/operations.md says ("A replica"), from the
machine's PostgreSQL binaries, on private ports in a temp dir.

The primary accepts replication only over TLS with a password (scram-sha-256) from the
`replicator` role, as the runbook's pg_hba.conf line does; the standby is made by
deploy/replica/make-standby itself (pg_basebackup with a slot, verify-full against the
primary's certificate) and configured by deploy/replica/standby.conf. With `archive=True` the
primary also archives WAL with deploy/pgbackrest/postgresql-archiving.conf into a pgBackRest
repository configured by deploy/pgbackrest/pgbackrest.conf (paths moved into the temp dir), the
standby's fallback. What differs from a real install: both run on this machine (127.0.0.1), the
certificate is self-signed for 127.0.0.1, and the data folders hold their postgresql.conf.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.support.pgbackrest import DEPLOY as PGBACKREST_DEPLOY
from tests.support.pgbackrest import config_for_test, make_repository_folders, pgbackrest
from tests.support.private_services import PrivatePostgres, _system_user
from tests.support.workers import ROOT, free_port

REPLICA_DEPLOY = ROOT / "deploy" / "replica"
SLOT = "us_west"
REPLICATION_USER = "replicator"
REPLICATION_PASSWORD = "a-test-replication-password"


@dataclass
class Replication:
    workdir: Path
    primary: PrivatePostgres
    standby: PrivatePostgres
    archive: bool

    def pgbackrest(self, *args: str, on: str = "primary") -> str:
        """A pgbackrest command on the primary's host, or the standby's (each host has its own
        pgbackrest.conf naming its own data folder; both use one repository)."""
        assert self.archive, "made without archive=True"
        cluster = self.primary if on == "primary" else self.standby
        return pgbackrest(Path(cluster.env["PGBACKREST_CONFIG"]), cluster.user, *args)

    async def sql(self, cluster: PrivatePostgres, query: str, *args: object,
                  database: str = "postgres") -> object:
        conn = await asyncpg.connect(cluster.url(database))
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    async def wait_replayed(self, within_s: float = 30) -> float:
        """Seconds until the standby has replayed everything the primary has written now."""
        target = await self.sql(self.primary, "SELECT pg_current_wal_lsn()")
        started = time.monotonic()
        while not await self.sql(self.standby, "SELECT pg_last_wal_replay_lsn() >= $1", target):
            assert time.monotonic() - started < within_s, "the standby did not catch up"
            await asyncio.sleep(0.02)
        return time.monotonic() - started

    def standby_log(self) -> str:
        return self.standby.log.read_text(errors="replace") if self.standby.log.exists() else ""


def _self_signed_for_localhost(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "server.key", folder / "server.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    key.chmod(0o600)
    return key, cert


def _configure_primary(cluster: PrivatePostgres, key: Path, cert: Path, archive: bool) -> None:
    """TLS, replication from `replicator` over TLS with a password only, and WAL archiving."""
    settings = f"\nssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
    if archive:
        settings += (PGBACKREST_DEPLOY / "postgresql-archiving.conf").read_text()
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write(settings)
    hba = cluster.data / "pg_hba.conf"
    # initdb's trust lines for replication go: the runbook's line is the only way in.
    lines = [line for line in hba.read_text().splitlines()
             if not re.match(r"^host\s+replication\s", line)]
    hba.write_text(f"hostssl replication {REPLICATION_USER} 127.0.0.1/32 scram-sha-256\n"
                   + "\n".join(lines) + "\n")


def _pgbackrest_host(workdir: Path, cluster: PrivatePostgres) -> None:
    """This cluster's host's /etc/pgbackrest/pgbackrest.conf, named in its environment (its
    archive and restore commands run pgbackrest): the shipped file, pointed at this cluster and
    the shared repository."""
    config = cluster.root / "pgbackrest.conf"
    config.write_text(config_for_test(workdir, cluster.data, cluster.port, cluster.root))
    cluster.give_to_owner(config)
    cluster.env["PGBACKREST_CONFIG"] = str(config)


async def make_standby(primary: PrivatePostgres, root: Path, env: dict[str, str],
                       slot: str = SLOT, archive_workdir: Path | None = None) -> PrivatePostgres:
    """Run deploy/replica/make-standby against `primary` into root/data, then start it."""
    os.mkdir(root)
    standby = PrivatePostgres(root, free_port(), primary.bin_dir, primary.user, dict(env))
    primary.give_to_owner(root)
    if archive_workdir is not None:
        _pgbackrest_host(archive_workdir, standby)
    conf_dir = root / "conf.d"
    await standby._as_owner([str(REPLICA_DEPLOY / "make-standby")], env={
        "PRIMARY_HOST": "127.0.0.1", "PRIMARY_PORT": str(primary.port), "SLOT": slot,
        "PGDATA": str(standby.data), "CONF_DIR": str(conf_dir), "PG_BIN": str(primary.bin_dir)})
    with (standby.data / "postgresql.conf").open("a") as conf:
        conf.write(f"\ninclude_dir = '{conf_dir}'\n")
    await standby.start()
    return standby


@contextlib.asynccontextmanager
async def replication(*, archive: bool = False) -> AsyncIterator[Replication]:
    workdir = Path(tempfile.mkdtemp(prefix="mathrally-replica-"))
    owner = _system_user()
    tls = workdir / "tls"
    tls.mkdir()
    key, cert = _self_signed_for_localhost(tls)
    if owner is not None:  # the servers run as `owner` and read these
        entry = pwd.getpwnam(owner)
        for path in (workdir, tls, key, cert):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    passfile = workdir / "pgpass"
    env = {"PGPASSFILE": str(passfile), "PGSSLROOTCERT": str(cert)}

    def configure(cluster: PrivatePostgres) -> None:
        _configure_primary(cluster, key, cert, archive)
        if archive:
            _pgbackrest_host(workdir, cluster)

    primary = await PrivatePostgres.create(root=workdir / "primary", env=dict(env), configure=configure)
    standby = None
    try:
        passfile.write_text(f"127.0.0.1:{primary.port}:replication:{REPLICATION_USER}:"
                            f"{REPLICATION_PASSWORD}\n")
        passfile.chmod(0o600)
        primary.give_to_owner(passfile)
        conn = await asyncpg.connect(primary.url())
        try:
            await conn.execute(f"CREATE ROLE {REPLICATION_USER} WITH REPLICATION LOGIN "
                               f"PASSWORD '{REPLICATION_PASSWORD}'")
        finally:
            await conn.close()
        if archive:
            make_repository_folders(workdir, owner)
            config = Path(primary.env["PGBACKREST_CONFIG"])
            pgbackrest(config, owner, "stanza-create")
            pgbackrest(config, owner, "check")
        standby = await make_standby(primary, workdir / "standby", env,
                                     archive_workdir=workdir if archive else None)
        yield Replication(workdir, primary, standby, archive)
    finally:
        for cluster in (standby, primary):
            if cluster is not None and await cluster.is_running():
                await cluster.stop("immediate")
        shutil.rmtree(workdir, ignore_errors=True)

