"""Two server processes' engines on one database coordinate only through Postgres."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from legato.api.workflowservice import v1 as api
from legato_operator import clock
from legato_operator.engine.services import runner, workers, workflows
from legato_operator.store import db, listener
from tests.server import flows
from tests.support.deadline import eventually


async def test_a_poll_on_one_replica_is_woken_by_a_start_on_another_through_notify(
    pool: db.Pool, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No periodic re-check within the test's deadline: only the NOTIFY can wake the poll.
    monkeypatch.setattr(workers, "RECHECK_SECONDS", 600.0)
    starter = runner.Runtime(pool=pool, clock=clock.Clock())
    poller = runner.Runtime(pool=pool, clock=clock.Clock())
    notifications = listener.Listener(pg_dsn, poller.on_notify, poller.hub.wake_all)
    await notifications.start()
    try:
        poll = asyncio.create_task(
            workers.poll_workflow_task(poller, flows.NS, api.PollRequest(task_queue=flows.QUEUE, wait=60))
        )
        # The poll is waiting once it watches its key.
        await eventually(lambda: poller.hub.watched > 0, within=10, what="the poll to watch its key")
        await flows.start(starter)
        task = await asyncio.wait_for(poll, 20)
        assert task is not None
    finally:
        await notifications.stop()


@contextlib.asynccontextmanager
async def listening(pool: db.Pool, pg_dsn: str) -> AsyncIterator[runner.Runtime]:
    """A replica's runtime with its LISTEN connection up, as a server process has it."""
    rt = runner.Runtime(pool=pool, clock=clock.Clock())
    notifications = listener.Listener(pg_dsn, rt.on_notify, rt.on_reconnect)
    rt.listening = notifications.connected
    await notifications.start()
    try:
        yield rt
    finally:
        await notifications.stop()


async def test_a_run_started_here_and_closed_on_another_replica_answers_its_result_wait_at_once(
    pool: db.Pool, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A result wait on the starting replica skips its first read only while no close was
    # notified: the other replica's close must reach it, or the wait would sit out a recheck.
    monkeypatch.setattr(workflows, "RECHECK_SECONDS", 600.0)
    closer = runner.Runtime(pool=pool, clock=clock.Clock())
    async with listening(pool, pg_dsn) as starter:
        run = await flows.start(starter)
        assert starter.known_open(flows.NS, "wf-1", run.run_id)
        await workflows.terminate_workflow(closer, flows.NS, api.TerminateWorkflowRequest(workflow_id="wf-1"))
        await eventually(
            lambda: not starter.known_open(flows.NS, "wf-1", run.run_id), within=10, what="the close's NOTIFY"
        )
        outcome = await asyncio.wait_for(workflows.wait_for_close(starter, flows.NS, "wf-1", run.run_id, 60), 20)
        assert outcome is not None
        assert outcome.status.value == "TERMINATED"


async def test_a_result_wait_for_a_run_started_here_waits_for_its_close_without_a_read(
    pool: db.Pool, pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with listening(pool, pg_dsn) as starter:
        run = await flows.start(starter)
        reads = 0
        resolve = workflows.resolve

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            return await resolve(*args, **kwargs)

        monkeypatch.setattr(workflows, "resolve", counted)
        waiting = asyncio.create_task(workflows.wait_for_close(starter, flows.NS, "wf-1", run.run_id, 60))
        await eventually(lambda: starter.hub.watched > 0, within=10, what="the result wait to watch the close")
        # Waiting on the close without having read the run.
        assert reads == 0
        await workflows.terminate_workflow(starter, flows.NS, api.TerminateWorkflowRequest(workflow_id="wf-1"))
        outcome = await asyncio.wait_for(waiting, 20)
        assert outcome is not None
        assert outcome.status.value == "TERMINATED"
