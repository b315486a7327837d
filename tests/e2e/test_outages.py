"""Outages end to end: Postgres stopped and started under a real server process.

Postgres is a real cluster — one of this module's own, so that stopping it disturbs no
other test. While it is down the API answers 503 and says so in its log once.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from legato_operator import postgres
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

# How long Postgres stays down in these tests ("a few seconds").
OUTAGE_SECONDS = 3.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.EmbeddedPostgres]:
    """A Postgres cluster these tests may stop; started again after each test."""
    root = Path(tempfile.mkdtemp(prefix="legato-outage-pg-"))
    root.chmod(0o755)
    pg = postgres.EmbeddedPostgres(root / "data")
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def outage_server(cluster: postgres.EmbeddedPostgres, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server process on a fresh database of ``cluster``; Postgres is up again after the test."""
    name = f"outage_{tmp_path.name[-20:].replace('-', '_')}"
    conn = await asyncpg.connect(cluster.dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    proc = ServerProcess(dsn=cluster.dsn_for(name), log_path=tmp_path / "server.log")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
        if not (cluster.data_dir / "postmaster.pid").exists():
            cluster.start()


class Log:
    """The server's log from the moment this was made."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._start = path.stat().st_size

    def lines(self) -> list[str]:
        with self.path.open("rb") as f:
            f.seek(self._start)
            return f.read().decode(errors="replace").splitlines()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines())


async def raw_get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status, dict(r.headers), await r.text()


async def test_calls_during_a_postgres_outage_answer_503_and_the_log_says_so_once(
    cluster: postgres.EmbeddedPostgres, outage_server: ServerProcess
) -> None:
    url = f"{outage_server.url}/api/v1/namespaces/default/workflows/nobody"
    log = Log(outage_server.log_path)
    await asyncio.to_thread(cluster.stop)
    # Calls keep failing for the whole outage; every one of them is a 503 that says why.
    answers = set()
    until = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < until:
        status, headers, body = await raw_get(url)
        answers.add((status, headers.get("Retry-After"), '"error":"Unavailable"' in body))
        await asyncio.sleep(0.05)
    await asyncio.to_thread(cluster.start)
    assert answers == {(503, "1", True)}
    await eventually(lambda: _status_of(url, 404), within=30, what="the database to answer again")
    await eventually(lambda: log.count("Database reachable again"), within=30, what="the end of the outage logged")
    # One warning when it started and one line when it ended: no traceback, nothing per call.
    assert log.count("Database unreachable") == 1, log.lines()
    assert log.count("Traceback") == 0, log.lines()
    assert len(log.lines()) == 2, log.lines()


async def _status_of(url: str, expected: int) -> bool:
    status, _, _ = await raw_get(url)
    return status == expected
