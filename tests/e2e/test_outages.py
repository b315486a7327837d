"""Outages end to end: the server killed and restarted, Postgres stopped and started.

The server is a real process and Postgres a real cluster — one of this module's own, so
that stopping it disturbs no other test. Calls made while either is down succeed once it
is back; while Postgres is down the API answers 503 and says so in its log once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from legato import workflow
from legato.client import Client
from legato_operator import postgres
from tests.support import databases
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

# How long Postgres stays down in these tests ("a few seconds").
OUTAGE_SECONDS = 3.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.EmbeddedPostgres]:
    """A Postgres cluster these tests may stop; started again after each test."""
    with databases.throwaway_cluster("legato-outage-pg-") as pg:
        yield pg


@pytest.fixture
async def outage_server(cluster: postgres.EmbeddedPostgres, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """A server process on a fresh database of ``cluster``; Postgres is up again after the test."""
    dsn = await databases.fresh_database(cluster, f"outage_{tmp_path.name[-20:].replace('-', '_')}")
    proc = ServerProcess(dsn=dsn, log_path=tmp_path / "server.log")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
        if not (cluster.data_dir / "postmaster.pid").exists():
            cluster.start()


@workflow.defn
class WaitForGo:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.wait_condition(lambda: self.go)
        return f"{name} went"

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


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


async def test_metrics_still_answer_during_a_postgres_outage_and_say_the_database_is_unreachable(
    cluster: postgres.EmbeddedPostgres, outage_server: ServerProcess
) -> None:
    await asyncio.to_thread(cluster.stop)
    # A scraper learns of the outage from the replica itself, not from a scrape that fails.
    await eventually(lambda: _store_available(outage_server, 0.0), within=30, what="legato_store_available 0")
    status, _, _ = await raw_get(f"{outage_server.url}/api/v1/namespaces/default/workflows/nobody")
    assert status == 503
    await asyncio.to_thread(cluster.start)
    await eventually(lambda: _store_available(outage_server, 1.0), within=30, what="legato_store_available 1")
    _, _, text = await raw_get(outage_server.url + "/metrics")
    unavailable = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "legato_http_requests_total" and sample.labels["status"] == "503"
    ]
    assert sum(unavailable) >= 1


async def _store_available(server: ServerProcess, expected: float) -> bool:
    status, _, text = await raw_get(server.url + "/metrics")
    if status != 200:
        return False
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return families["legato_store_available"].samples[0].value == expected


async def _status_of(url: str, expected: int) -> bool:
    status, _, _ = await raw_get(url)
    return status == expected


async def test_a_call_made_while_the_server_is_down_succeeds_once_it_is_back(outage_server: ServerProcess) -> None:
    client = await Client.connect(outage_server.address)
    async with running_worker(client, task_queue="outages", workflows=[WaitForGo]):
        outage_server.kill()
        # Made while nothing listens; it is retried until the restarted server answers.
        start = asyncio.create_task(client.start_workflow(WaitForGo.run, "a", id="down-1", task_queue="outages"))
        await asyncio.to_thread(outage_server.start)
        handle = await start
        await handle.signal(WaitForGo.proceed)
        assert await asyncio.wait_for(handle.result(), timeout=30) == "a went"
    await client.close()


async def test_a_call_made_while_postgres_is_stopped_succeeds_once_it_is_back(
    cluster: postgres.EmbeddedPostgres, outage_server: ServerProcess
) -> None:
    client = await Client.connect(outage_server.address)
    async with running_worker(client, task_queue="outages", workflows=[WaitForGo]):
        await asyncio.to_thread(cluster.stop)
        # Made while the server answers 503; it is retried until the database is back.
        start = asyncio.create_task(client.start_workflow(WaitForGo.run, "b", id="pg-down-1", task_queue="outages"))
        await asyncio.sleep(OUTAGE_SECONDS)
        assert not start.done()
        await asyncio.to_thread(cluster.start)
        handle = await start
        await handle.signal(WaitForGo.proceed)
        assert await asyncio.wait_for(handle.result(), timeout=30) == "b went"
    await client.close()


async def test_result_rides_through_a_server_restart_and_a_postgres_restart(
    cluster: postgres.EmbeddedPostgres, outage_server: ServerProcess
) -> None:
    client = await Client.connect(outage_server.address)
    async with running_worker(client, task_queue="outages", workflows=[WaitForGo]):
        handle = await client.start_workflow(WaitForGo.run, "c", id="ride-1", task_queue="outages")
        result = asyncio.create_task(handle.result())
        # Its long poll is open on the server when the server dies, then when Postgres stops.
        await eventually(lambda: _started(client, "ride-1"), within=20, what="the run's first workflow task")
        outage_server.kill()
        await asyncio.to_thread(outage_server.start)
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(cluster.start)
        assert not result.done()
        await handle.signal(WaitForGo.proceed)
        assert await asyncio.wait_for(result, timeout=30) == "c went"
    await client.close()


async def _started(client: Client, workflow_id: str) -> bool:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return any(e.attributes.type == "WorkflowTaskCompleted" for e in history.events)
