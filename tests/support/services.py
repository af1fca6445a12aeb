"""Which PostgreSQL and Redis the tests use.

TEST_DATABASE_URL / TEST_REDIS_URL choose explicitly: a URL, or "embedded" / "fake" to force
the embedded PostgreSQL and the in-process fakeredis. Unset, the tests use the machine's
services on 127.0.0.1 when they answer, and the embedded defaults when they do not.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from pathlib import Path

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def postgres_server_url() -> str:
    """A libpq URL of a PostgreSQL server whose database we may CREATE/DROP databases from."""
    choice = os.environ.get("TEST_DATABASE_URL", "")
    if choice and choice != "embedded":
        return choice
    if not choice and _port_open("127.0.0.1", 5432):
        return LOCAL_POSTGRES
    from persistence.embedded import start_embedded_postgres

    data_dir = Path(tempfile.gettempdir()) / "mathrally-test-embedded"
    return start_embedded_postgres(data_dir)


def redis_url() -> str | None:
    """A Redis URL, or None for the in-process fakeredis."""
    choice = os.environ.get("TEST_REDIS_URL", "")
    if choice == "fake":
        return None
    if choice:
        return choice
    return LOCAL_REDIS if _port_open("127.0.0.1", 6379) else None


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
