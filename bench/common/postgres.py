"""The PostgreSQL a benchmark runs on, and throw-away databases on it."""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from pathlib import Path

import asyncpg

from persistence.embedded import start_embedded_postgres
from persistence.urls import with_database

LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return LOCAL
    except OSError:
        return start_embedded_postgres(Path(tempfile.gettempdir()) / "mathrally-bench-embedded")


async def copy_database(server: str, template: str) -> tuple[str, str]:
    name = f"bench_flow_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return name, with_database(server, name)


async def drop(server: str, name: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def describe_server(server: str) -> str:
    """The PostgreSQL version and the settings that make a commit durable, for the figures."""
    conn = await asyncpg.connect(server)
    try:
        durability = {k: await conn.fetchval(f"SHOW {k}") for k in ("synchronous_commit", "fsync")}
        return f"PostgreSQL {await conn.fetchval('SHOW server_version')}, {durability}"
    finally:
        await conn.close()
