"""Every environment variable a `mathrally` command reads, with its meaning and default: the
text of each command's `--help`, kept next to nothing else so the help cannot drift from it.
The README's Configuration table lists the same variables (tests/server/test_cli_serve.py)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from server.settings import Settings

HELP_WIDTH = 100


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    default: str


def _variables() -> dict[str, Variable]:
    d = Settings(secret_key="")  # the defaults only; no random key is made for this
    items = [
        Variable("DATABASE_URL", "postgresql://user:pass@host:port/db",
                 "an embedded PostgreSQL in MATHRALLY_DATA_DIR/postgres"),
        Variable("MATHRALLY_DATA_DIR", "folder of the embedded PostgreSQL and of backups "
                 "(by default /var/lib/mathrally for root, else the user's data folder)",
                 str(d.data_dir)),
        Variable("DATABASE_REPLICA_URL", "a streaming replica of DATABASE_URL; reports, grids, "
                 "exports and statistics read from it when it is fresh enough", "none: the primary"),
        Variable("DATABASE_REPLICA_MAX_LAG_MS", "reads that accept staleness use the replica only "
                 "while it misses at most this much of the latest writes",
                 str(d.replica_max_lag_ms)),
        Variable("DATABASE_REPLICA_WAIT_MS", "reads that must see every earlier write wait this "
                 "long for the replica, then read the primary", str(d.replica_wait_ms)),
        Variable("REDIS_URL", "redis://host:port/0; needed for more than one worker",
                 "in-process Redis, one worker"),
        Variable("SECRET_KEY", "signs rejoin tokens; required with REDIS_URL",
                 "a random key per start"),
        Variable("HOST", "address to listen on", d.host),
        Variable("PORT", "port to listen on", str(d.port)),
        Variable("PUBLIC_URL", "the address students type (projector, QR code)",
                 "the request's host"),
        Variable("ALLOWED_ORIGINS", "comma-separated origins allowed to open Socket.IO connections",
                 "same origin only"),
        Variable("TRUSTED_PROXIES", "comma-separated proxy addresses or CIDR ranges whose "
                 "forwarded headers are believed", "none"),
        Variable("FORWARDED_HEADER", "the header the trusted proxy writes the client into: "
                 "x-forwarded-for (with X-Forwarded-Proto) or forwarded (RFC 7239)", d.forwarded_header),
        Variable("REDIS_PREFIX", "first part of every Redis key and channel", d.redis_prefix),
        Variable("MIGRATE_ON_START", "apply pending migrations as the server starts (0 to skip)",
                 "1" if d.migrate_on_start else "0"),
        Variable("BATCH_WINDOW_MS", "group commit: a batch closes after this many ms",
                 str(d.batch_window_ms)),
        Variable("BATCH_MAX_ATTEMPTS", "group commit: ... or after this many answers",
                 str(d.batch_max_attempts)),
        Variable("BATCH_IN_FLIGHT", "group commit: batches committing at once",
                 str(d.batch_in_flight)),
        Variable("DB_POOL_SIZE", "database connections per worker", str(d.db_pool_size)),
        Variable("DB_CONNECT_TIMEOUT_MS", "how long opening a PostgreSQL connection may take",
                 str(d.db_connect_timeout_ms)),
        Variable("DB_STATEMENT_TIMEOUT_MS", "how long one statement may take",
                 str(d.db_statement_timeout_ms)),
        Variable("DB_POOL_TIMEOUT_MS", "how long to wait for a pooled connection",
                 str(d.db_pool_timeout_ms)),
        Variable("REPORT_POOL_SIZE", "database connections per worker for reports, exports, "
                 "grids and statistics, apart from the live game's", str(d.report_pool_size)),
        Variable("REPORT_POOL_TIMEOUT_MS", "how long a report waits for one before it is "
                 "refused 503 busy", str(d.report_pool_timeout_ms)),
        Variable("ANSWER_TIMEOUT_MS", "an answer is acknowledged or refused within this",
                 str(d.answer_timeout_ms)),
        Variable("TOKEN_TTL_HOURS", "how long a teacher's sign-in lasts", str(d.token_ttl_hours)),
        Variable("PG_BIN_DIR", "where to look first for pg_dump / pg_restore",
                 "by the server's version"),
        Variable("LOG_FORMAT", "json (one object per line) or text", "text on a terminal, else json"),
        Variable("LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR", "INFO"),
    ]
    return {v.name: v for v in items}


_DATABASE = ("DATABASE_URL", "MATHRALLY_DATA_DIR")
_LOGS = ("LOG_FORMAT", "LOG_LEVEL")

# What each command reads; `serve` reads them all but the backup tools' PG_BIN_DIR.
COMMAND_VARIABLES: dict[str, tuple[str, ...]] = {
    "serve": ("DATABASE_URL", "MATHRALLY_DATA_DIR", "DATABASE_REPLICA_URL",
              "DATABASE_REPLICA_MAX_LAG_MS", "DATABASE_REPLICA_WAIT_MS", "REDIS_URL", "SECRET_KEY",
              "HOST", "PORT", "PUBLIC_URL", "ALLOWED_ORIGINS", "TRUSTED_PROXIES", "FORWARDED_HEADER",
              "REDIS_PREFIX", "MIGRATE_ON_START", "BATCH_WINDOW_MS", "BATCH_MAX_ATTEMPTS", "BATCH_IN_FLIGHT",
              "DB_POOL_SIZE", "DB_CONNECT_TIMEOUT_MS", "DB_STATEMENT_TIMEOUT_MS", "DB_POOL_TIMEOUT_MS",
              "REPORT_POOL_SIZE", "REPORT_POOL_TIMEOUT_MS", "ANSWER_TIMEOUT_MS", "TOKEN_TTL_HOURS", *_LOGS),
    "migrate": (*_DATABASE, *_LOGS),
    "seed": (*_DATABASE, *_LOGS),
    "retention": (*_DATABASE, *_LOGS),
    "backup": (*_DATABASE, "PG_BIN_DIR", *_LOGS),
    "restore": (*_DATABASE, "PG_BIN_DIR", *_LOGS),
}


def all_variables() -> list[Variable]:
    return list(_variables().values())


def help_epilog(command: str) -> str:
    """The 'environment' section of `mathrally <command> --help`."""
    known = _variables()
    rows = [known[name] for name in COMMAND_VARIABLES[command]]
    width = max(len(v.name) for v in rows)
    lines = ["environment (default in brackets):"]
    for v in rows:
        lines.extend(textwrap.wrap(f"{v.name:<{width}}  {v.meaning} [{v.default}]", HELP_WIDTH,
                                   initial_indent="  ", subsequent_indent=" " * (width + 4)))
    return "\n".join(lines)
