"""Two server processes' engines on one database coordinate only through Postgres."""

from __future__ import annotations

import asyncio

from legato.api import service as api
from legato_operator import clock
from legato_operator.engine import runtime, workers
from legato_operator.store import db, listener
from tests.server import flows


async def test_a_poll_on_one_replica_is_woken_by_a_start_on_another_through_notify(pool: db.Pool, pg_dsn: str) -> None:
    starter = runtime.Runtime(pool=pool, clock=clock.Clock())
    poller = runtime.Runtime(pool=pool, clock=clock.Clock())
    notifications = listener.Listener(pg_dsn, poller.hub.wake, poller.hub.wake_all)
    await notifications.start()
    try:
        loop = asyncio.get_running_loop()
        poll = asyncio.create_task(workers.poll_workflow_task(poller, flows.NS, flows.QUEUE, api.PollRequest(wait=30)))
        await asyncio.sleep(0.05)
        began = loop.time()
        await flows.start(starter)
        task = await asyncio.wait_for(poll, 10)
        # Well under the 5 s re-check: the NOTIFY woke it.
        assert loop.time() - began < 2
        assert task is not None
    finally:
        await notifications.stop()
