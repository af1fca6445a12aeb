"""DATABASE_URL in the usual libpq form, adapted for SQLAlchemy's asyncpg dialect."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url


def to_asyncpg_url(database_url: str) -> URL:
    """`postgresql://user@host:port/db` (or postgres://, or already +asyncpg) → asyncpg URL."""
    url = make_url(database_url)
    if url.drivername in ("postgresql", "postgres", "postgresql+asyncpg"):
        return url.set(drivername="postgresql+asyncpg")
    raise ValueError(f"DATABASE_URL must be a postgresql:// URL, got {url.drivername}://")


def with_database(database_url: str, database: str) -> str:
    """The same server and credentials, another database (tests make one per run)."""
    return make_url(database_url).set(database=database).render_as_string(hide_password=False)


def describe(database_url: str) -> str:
    """For logs: the URL with its password hidden."""
    return make_url(database_url).render_as_string(hide_password=True)
