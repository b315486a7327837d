"""Fixtures of the server tests: a migrated database and an engine runtime on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from legato_operator import clock
from legato_operator.engine.services import runner
from legato_operator.store import db


@pytest.fixture
async def pool(pg_dsn: str) -> AsyncIterator[db.Pool]:
    """A pool on this test's fresh database, with the migrations applied."""
    p = await db.connect(pg_dsn, min_size=1, max_size=10)
    await db.migrate(p)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
def test_clock() -> clock.Clock:
    """The server clock of the test; advance it to make timers due."""
    return clock.Clock()


@pytest.fixture
def rt(pool: db.Pool, test_clock: clock.Clock) -> runner.Runtime:
    """The engine's runtime on the test database."""
    return runner.Runtime(pool=pool, clock=test_clock)
