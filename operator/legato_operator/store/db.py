"""Connection pool, transactions, migrations and NOTIFY.

Migrations are the numbered ``.sql`` files beside this module, applied in order under a
Postgres advisory lock (so replicas starting together apply each once) and recorded in
``schema_migrations``. They only ever move forward.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeAlias

import asyncpg
import asyncpg.pool

from legato_operator import metrics
from legato_operator.store import availability, jsonb

log = logging.getLogger(__name__)

# One NOTIFY channel for everything; the payload is the key of what changed.
CHANNEL = "legato"
# Arbitrary, constant: the advisory lock that serializes migrations across replicas.
_MIGRATION_LOCK = 7233_0001
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

# Quoted: asyncpg's classes are generic only in its stubs. Queries run on a pool's
# connections (proxies); the listener and the pool's init and reset hooks get a plain one.
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"


@dataclass(frozen=True)
class Migration:
    """One forward-only schema change."""

    version: int
    name: str
    sql: str


async def _init_connection(conn: Connection, outage: availability.Outage | None = None) -> None:
    # jsonb in and out as Python values, so no query deals in JSON text; NUL-safe (see jsonb).
    await conn.set_type_codec("jsonb", encoder=jsonb.dumps, decoder=jsonb.loads, schema="pg_catalog")
    # A new connection is the surest sign the database is back after an outage.
    if outage is not None:
        outage.recovered("a new pool connection")


async def connect(
    dsn: str, *, min_size: int = 2, max_size: int = 20, outage: availability.Outage | None = None
) -> Pool:
    """A pool whose connections speak jsonb as Python values; each new one tells ``outage``."""
    _quiet_pool_floor()
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=functools.partial(_init_connection, outage=outage),
        reset=_keep_session,
    )
    assert pool is not None
    return pool


class _OutageFilter(logging.Filter):
    """Drops asyncpg's warning, with a traceback, each time its pool fails to reconnect.

    While the database is down the pool retries its floor of connections in the background
    and logs each failure; the outage is already logged once (``store.availability``), so these
    records would only repeat it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or not is_unavailable(error)


_POOL_LOG = logging.getLogger("asyncpg.pool")


def _quiet_pool_floor() -> None:
    if not any(isinstance(f, _OutageFilter) for f in _POOL_LOG.filters):
        _POOL_LOG.addFilter(_OutageFilter())


async def _keep_session(conn: Connection) -> None:
    """Skip asyncpg's reset on release (``RESET ALL``, ``UNLISTEN *``, unlocks, ...).

    It costs a round trip and a commit per transaction, and there is nothing to reset: pool
    connections never LISTEN (the listener has its own connection), never change settings,
    and the one advisory lock (migrations) is released in a ``finally``.
    """


@contextlib.asynccontextmanager
async def transaction(pool: Pool, operation: str) -> AsyncIterator[Connection]:
    """A connection inside one transaction, timed as ``operation`` in the metrics."""
    started = time.perf_counter()
    try:
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    finally:
        metrics.STORE_TRANSACTION.labels(operation).observe(time.perf_counter() - started)


def is_retryable(error: BaseException) -> bool:
    """True for errors where running the whole transaction again may succeed."""
    return isinstance(error, asyncpg.DeadlockDetectedError | asyncpg.SerializationError | asyncpg.UniqueViolationError)


# Postgres refusing or dropping connections: stopped, restarting, shutting down, lost.
_UNAVAILABLE = (
    OSError,  # refused, reset, unreachable; TimeoutError (connect, command timeouts) is one too
    asyncpg.PostgresConnectionError,  # class 08, ConnectionDoesNotExistError among them
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: stopped under us (pg_ctl stop -m fast)
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300: full, for now
)


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be reached now, not that a query is wrong.

    Those are outages: the API answers them 503 (retry later) and the background loops
    wait them out, instead of treating each as a bug with a traceback.
    """
    if isinstance(error, _UNAVAILABLE):
        return True
    # asyncpg's InterfaceError is also its answer to misuse; only a closed connection or
    # a closing pool (the process is stopping) is an outage.
    return isinstance(error, asyncpg.InterfaceError) and ("is closed" in str(error) or "is closing" in str(error))


async def notify(conn: Connection, keys: Iterable[str]) -> None:
    """NOTIFY each key on the channel; delivered only if the transaction commits."""
    unique = sorted(set(keys))
    if unique:
        await conn.execute("SELECT pg_notify($1, k) FROM unnest($2::text[]) AS k", CHANNEL, unique)


def migrations() -> list[Migration]:
    """The migrations shipped with this package, in order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text()))
    found.sort(key=lambda m: m.version)
    return found


async def migrate(pool: Pool) -> list[str]:
    """Apply the migrations not yet recorded; returns the names applied now."""
    applied_now = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for migration in migrations():
                if migration.version not in done:
                    await _apply(conn, migration)
                    applied_now.append(migration.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied_now


async def _apply(conn: Connection, migration: Migration) -> None:
    # The change and its record commit together: a crash leaves neither.
    async with conn.transaction():
        await conn.execute(migration.sql)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", migration.version, migration.name
        )
    log.info("Applied migration %s", migration.name)


async def pending_migrations(pool: Pool) -> list[str]:
    """Names of shipped migrations the database lacks (all of them on an empty database)."""
    async with pool.acquire() as conn:
        exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        done: set[Any] = set()
        if exists:
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    return [m.name for m in migrations() if m.version not in done]


async def ensure_database(server_dsn: str, name: str) -> None:
    """Create database ``name`` on the server of ``server_dsn`` unless it exists (dev mode)."""
    conn = await asyncpg.connect(server_dsn)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            # CREATE DATABASE takes no parameters: quote the identifier (the one place we do).
            quoted = await conn.fetchval("SELECT quote_ident($1)", name)
            await conn.execute(f"CREATE DATABASE {quoted}")
    finally:
        await conn.close()
