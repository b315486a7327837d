"""Two server processes' engines on one database coordinate only through Postgres."""

from __future__ import annotations

import asyncio

import pytest

from legato.api.workflowservice import v1 as api
from legato_operator import clock
from legato_operator.engine.services import runner, workers
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
