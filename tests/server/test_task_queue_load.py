"""A task queue's load as every replica sees it: pollers and activity recorded in Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from legato.api.workflowservice import v1 as api
from legato_operator import clock
from legato_operator.engine.services import runner, task_queues, workers
from legato_operator.store import db
from tests.server import flows


@pytest.fixture
async def other(pg_dsn: str, pool: db.Pool) -> AsyncIterator[runner.Runtime]:
    """A second server process's engine: its own pool and memory, the same database."""
    own_pool = await db.connect(pg_dsn, min_size=1, max_size=4)
    try:
        yield runner.Runtime(pool=own_pool, clock=clock.Clock())
    finally:
        await own_pool.close()


async def poll_once(rt: runner.Runtime, identity: str, kind: str = "workflow") -> None:
    request = api.PollRequest(task_queue=flows.QUEUE, identity=identity, wait=0)
    if kind == "workflow":
        await workers.poll_workflow_task(rt, flows.NS, request)
    else:
        await workers.poll_activity_task(rt, flows.NS, request)


async def test_pollers_recorded_by_one_process_are_counted_by_another(
    rt: runner.Runtime, other: runner.Runtime
) -> None:
    await poll_once(rt, "worker-a")
    await poll_once(rt, "worker-a", "activity")  # the same worker polling both kinds counts once
    await poll_once(other, "worker-b")
    for reader in (rt, other):
        described = await workers.describe_task_queue(
            reader, flows.NS, api.DescribeTaskQueueRequest(task_queue=flows.QUEUE)
        )
        assert described.pollers == 2


async def test_a_poller_not_seen_for_a_minute_no_longer_counts(rt: runner.Runtime, other: runner.Runtime) -> None:
    await poll_once(rt, "worker-a")
    other.clock.advance(task_queues.POLLER_WINDOW.total_seconds() + 1)
    assert (await task_queues.load(other, flows.NS, flows.QUEUE)).pollers == 0


async def test_polls_within_the_record_interval_write_once(rt: runner.Runtime) -> None:
    await poll_once(rt, "worker-a")
    async with rt.pool.acquire() as conn:
        first = await conn.fetchval("SELECT last_seen FROM task_queue_pollers")
    rt.clock.advance(1)
    await poll_once(rt, "worker-a")
    async with rt.pool.acquire() as conn:
        assert await conn.fetchval("SELECT last_seen FROM task_queue_pollers") == first


async def test_backlog_counts_waiting_and_running_tasks_on_every_replica(
    rt: runner.Runtime, other: runner.Runtime
) -> None:
    await flows.start(rt, "wf-1")
    await flows.start(rt, "wf-2")
    await flows.workflow_task(rt)  # wf-1's task is now held by a worker
    load = await task_queues.load(other, flows.NS, flows.QUEUE)
    assert (load.workflow_tasks, load.activity_tasks, load.running, load.backlog) == (1, 0, 1, 2)
    assert load.oldest_task_age >= 0
    wire = load.to_wire()
    assert (wire.backlog, wire.running) == (2, 1)


async def test_a_handed_out_task_records_when_the_queue_was_last_active(
    rt: runner.Runtime, other: runner.Runtime
) -> None:
    assert (await task_queues.load(other, flows.NS, flows.QUEUE)).last_active is None
    before = rt.clock.now()
    await flows.start(rt)
    await flows.workflow_task(rt)
    loads = await task_queues.all_loads(other)
    last_active = loads[(flows.NS, flows.QUEUE)].last_active
    assert last_active is not None
    assert last_active >= before
