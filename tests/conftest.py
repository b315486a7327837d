"""Shared fixtures: one throwaway Postgres cluster per test session, a database per test.

The cluster comes from `legato_operator.postgres` (the machine's binaries, else the
pgserver wheel) in a temporary folder on a free port, with default durability settings.
Each test that asks for ``pg_dsn`` gets a fresh, empty database of its own.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from legato_operator import postgres

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.EmbeddedPostgres]:
    """The session's Postgres cluster, started once and removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="legato-test-pg-"))
    # As root, Postgres runs as another user: let it reach the folder (mkdtemp makes it 700),
    # so the cluster stays here and goes with it, rather than being placed elsewhere.
    root.chmod(0o755)
    cluster = postgres.EmbeddedPostgres(root / "data")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def pg_dsn(pg_cluster: postgres.EmbeddedPostgres) -> str:
    """DSN of a fresh, empty database for this test (no migrations applied)."""
    name = f"test_{next(_database_numbers)}"
    conn = await asyncpg.connect(pg_cluster.dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return pg_cluster.dsn_for(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Postgres, so `make test-fast` can leave them out."""
    for item in items:
        if "pg_dsn" in getattr(item, "fixturenames", ()) or "pg_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
