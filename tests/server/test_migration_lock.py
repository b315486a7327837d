"""Migrations started together on one empty database: each applies once, the schema ends whole.

Several server replicas (or the chart's pods rolling out) run ``migrate`` at the same time;
the advisory lock in ``store.db.migrate`` must make one apply everything and the rest find
it done, instead of two racing on the same ``CREATE TABLE``. So that they truly start
together (a Python process takes a while to start), the test holds the lock itself until
every migrator waits on it, then lets them all go at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import asyncpg
import pytest

from legato_operator import postgres
from legato_operator.store import db
from tests.support import databases
from tests.support.server_process import SERVER_BIN

# More than two, so that a lock letting two through at once would also have to hold a third.
PROCESSES = 4
_T = TypeVar("_T")
_APPLIED = re.compile(r"^Applied (\d+) migration\(s\): (.*)$", re.MULTILINE)

# The whole schema as the catalog sees it: columns, indexes, constraints.
_SCHEMA = """
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type AS item
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1
"""


async def migrate_process(dsn: str) -> tuple[int, str]:
    """`legato-operator migrate` on ``dsn``; (exit code, its output)."""
    proc = await asyncio.create_subprocess_exec(
        str(SERVER_BIN),
        "migrate",
        "--database-url",
        dsn,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


_WAITING = """
SELECT count(*) FROM pg_locks
WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


async def released_together(dsn: str, migrators: list[Awaitable[_T]]) -> list[_T]:
    """Run ``migrators`` while holding the migration lock, released once all of them wait on it."""
    async with holding_the_migration_lock(dsn) as gate:
        running = asyncio.gather(*migrators)
        try:
            await until_waiting(gate, len(migrators))
        # Not all of them got to the lock: stop the others rather than leave them running.
        except BaseException:
            running.cancel()
            raise
    return await running


@contextlib.asynccontextmanager
async def holding_the_migration_lock(dsn: str) -> AsyncIterator[asyncpg.Connection[asyncpg.Record]]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", db._MIGRATION_LOCK)
        yield conn
    finally:
        await conn.close()  # ends the session, and with it the lock


async def until_waiting(conn: asyncpg.Connection[asyncpg.Record], n: int, within: float = 60) -> None:
    """Poll until ``n`` sessions wait for an advisory lock; a migrate that takes none fails here."""
    deadline = time.monotonic() + within
    while (waiting := await conn.fetchval(_WAITING)) < n:
        assert time.monotonic() < deadline, f"{waiting} of {n} migrators wait on the migration lock"
        await asyncio.sleep(0.05)


async def recorded_versions(dsn: str) -> list[int]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        await conn.close()


async def schema_of(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r["item"] for r in await conn.fetch(_SCHEMA)]
    finally:
        await conn.close()


@pytest.fixture
async def reference_schema(pg_cluster: postgres.EmbeddedPostgres) -> list[str]:
    """The schema one lone ``migrate`` makes, on a database of its own."""
    dsn = await databases.fresh_database(pg_cluster, "migrate_reference")
    pool = await db.connect(dsn, min_size=1, max_size=1)
    try:
        await db.migrate(pool)
    finally:
        await pool.close()
    return await schema_of(dsn)


async def test_migrate_processes_started_together_apply_each_migration_once(
    pg_dsn: str, reference_schema: list[str]
) -> None:
    done = await released_together(pg_dsn, [migrate_process(pg_dsn) for _ in range(PROCESSES)])
    assert [code for code, _ in done] == [0] * PROCESSES, [out for _, out in done]
    applied = [name for _, out in done for name in applied_names(out)]
    # Between them the processes applied every migration, none twice.
    assert sorted(applied) == sorted(m.name for m in db.migrations())
    assert await recorded_versions(pg_dsn) == [m.version for m in db.migrations()]
    assert await schema_of(pg_dsn) == reference_schema


async def test_migrate_called_from_separate_pools_at_once_applies_each_migration_once(
    pg_dsn: str, reference_schema: list[str]
) -> None:
    pools = [await db.connect(pg_dsn, min_size=1, max_size=1) for _ in range(PROCESSES)]
    try:
        applied = await released_together(pg_dsn, [db.migrate(pool) for pool in pools])
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))
    assert sorted(name for names in applied for name in names) == sorted(m.name for m in db.migrations())
    assert await recorded_versions(pg_dsn) == [m.version for m in db.migrations()]
    assert await schema_of(pg_dsn) == reference_schema


def applied_names(output: str) -> list[str]:
    """The migrations one `migrate` says it applied ("none, up to date" is none)."""
    match = _APPLIED.search(output)
    assert match is not None, output
    names = [] if match.group(1) == "0" else match.group(2).split(", ")
    assert len(names) == int(match.group(1)), output
    return names
