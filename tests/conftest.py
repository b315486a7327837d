"""Shared fixtures: one throwaway Postgres cluster per test session, a database per test.

The cluster comes from `legato_operator.postgres` (the machine's binaries, else the
pgserver wheel) in a temporary folder on a free port, with default durability settings.
Each test that asks for ``pg_dsn`` gets a fresh, empty database of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from legato_operator import postgres
from tests.support import databases

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.EmbeddedPostgres]:
    """The session's Postgres cluster, started once and removed at the end."""
    with databases.throwaway_cluster("legato-test-pg-") as cluster:
        yield cluster


@pytest.fixture
async def pg_dsn(pg_cluster: postgres.EmbeddedPostgres) -> str:
    """DSN of a fresh, empty database for this test (no migrations applied)."""
    return await databases.fresh_database(pg_cluster, f"test_{next(_database_numbers)}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses Postgres, so `make test-fast` can leave them out."""
    for item in items:
        if "pg_dsn" in getattr(item, "fixturenames", ()) or "pg_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


# Temporal's sample tests are a project of their own, run by tests/testing/test_samples.py.
collect_ignore = ["samples"]
