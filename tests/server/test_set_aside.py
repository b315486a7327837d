"""Work the server fails to process is set aside with backoff; the rest of its queue goes on.

Each test poisons one task or timer by writing into the database what no edge would let
in any more (a duration past what a date can hold), the way an old row or a bug would.
"""

from __future__ import annotations

from legato.api.command import v1 as cmd
from legato_operator import clock, metrics
from legato_operator.engine.services import runner, timer_loop, workers
from legato_operator.store import db
from tests.server import flows

FOREVER = 1e15


def failures(item: str, kind: str) -> float:
    value = metrics.REGISTRY.get_sample_value("legato_processing_failures_total", {"item": item, "kind": kind})
    return value or 0.0


async def test_a_workflow_task_that_cannot_start_is_set_aside_and_the_ten_behind_it_are_served(
    rt: runner.Runtime, pool: db.Pool
) -> None:
    poisoned = await flows.start(rt, workflow_id="poison")
    for i in range(10):
        await flows.start(rt, workflow_id=f"good-{i}")
    async with pool.acquire() as conn:
        await conn.execute("UPDATE executions SET workflow_task_timeout = $1 WHERE workflow_id = 'poison'", FOREVER)
    before = failures("task", "workflow")
    served = {(await flows.workflow_task(rt)).workflow_id for _ in range(10)}
    assert served == {f"good-{i}" for i in range(10)}
    assert await workers.poll_workflow_task(rt, flows.NS, flows.request(wait=0)) is None
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, processing_failures, visible_at > now() AS later FROM tasks WHERE run_id = $1",
            poisoned.run_id,
        )
    assert row is not None
    assert (row["state"], row["processing_failures"], row["later"]) == ("ready", 1, True)
    assert failures("task", "workflow") == before + 1
    # The run and its history are untouched: a fixed server picks the task up again.
    assert await flows.event_types(rt, poisoned.run_id) == ["WorkflowExecutionStarted", "WorkflowTaskScheduled"]


async def test_an_activity_task_that_cannot_start_is_set_aside_and_the_next_is_served(
    rt: runner.Runtime, pool: db.Pool
) -> None:
    for workflow_id in ("poison", "good"):
        await flows.start(rt, workflow_id=workflow_id)
        await flows.answer(rt, await flows.workflow_task(rt), flows.schedule())
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE tasks SET info = jsonb_set(info, '{start_to_close_timeout}', to_jsonb($1::float8))"
            " WHERE kind = 'activity' AND info->>'workflow_id' = 'poison'",
            FOREVER,
        )
    task = await flows.activity_task(rt)
    assert task.workflow_id == "good"
    assert await workers.poll_activity_task(rt, flows.NS, flows.request(wait=0)) is None


async def test_a_timer_that_cannot_fire_is_set_aside_and_the_others_fire(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    poisoned = await flows.start(rt, workflow_id="poison")
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule(start_to_close_timeout=5))
    await flows.activity_task(rt)
    good = await flows.start(rt, workflow_id="good")
    await flows.answer(rt, await flows.workflow_task(rt), cmd.StartTimer(timer_id="t", start_to_fire_timeout=10))
    async with pool.acquire() as conn:
        # Retrying the timed-out attempt would wait past what a date can hold.
        await conn.execute(
            "UPDATE tasks SET info = jsonb_set(info, '{retry_policy,initial_interval}', to_jsonb($1::float8))",
            1e300,
        )
    before = failures("timer", "activity_start_to_close")
    test_clock.advance(11)
    await timer_loop.TimerLoop(rt).fire_due()
    assert "TimerFired" in await flows.event_types(rt, good.run_id)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT failures, lease_until, due_at > $2 AS later FROM timers WHERE run_id = $1 AND kind = $3",
            poisoned.run_id,
            test_clock.now(),
            "activity_start_to_close",
        )
    assert row is not None
    assert (row["failures"], row["lease_until"], row["later"]) == (1, None, True)
    assert failures("timer", "activity_start_to_close") == before + 1
