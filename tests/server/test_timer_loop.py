"""The timer loop: timers fire once even with several loops on one database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from legato.api.command import v1 as cmd
from legato.api.workflowservice import v1 as api
from legato_operator import clock
from legato_operator.engine.services import runner, timer_loop, workers, workflows, writer
from legato_operator.store import db, executions, rows, timers
from tests.server import flows
from tests.support.deadline import eventually


async def sleeping_runs(rt: runner.Runtime, n: int) -> list[api.StartWorkflowResponse]:
    """``n`` started runs, each of whose first workflow task started a 60 s timer."""
    runs = []
    for i in range(n):
        runs.append(await flows.start(rt, workflow_id=f"wf-{i}"))
        await flows.answer(rt, await flows.workflow_task(rt), cmd.StartTimer(timer_id="t", start_to_fire_timeout=60))
    return runs


async def test_two_timer_loops_on_one_database_fire_each_timer_once(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    runs = await sleeping_runs(rt, 12)
    test_clock.advance(61)
    other = runner.Runtime(pool=pool, clock=test_clock)
    loops = [timer_loop.TimerLoop(rt, batch_size=3), timer_loop.TimerLoop(other, batch_size=3)]
    # Both loops race round after round until nothing is due.
    while sum(await asyncio.gather(*(loop.fire_due() for loop in loops))):
        pass
    for run in runs:
        assert (await flows.event_types(rt, run.run_id)).count("TimerFired") == 1


async def test_a_running_loop_fires_a_short_timer_without_waiting_for_its_recheck(
    rt: runner.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No re-check within the test's deadline: only the new timer's wake-up can fire it.
    monkeypatch.setattr(writer, "TIMER_RECHECK_SECONDS", 600.0)
    loop = asyncio.create_task(timer_loop.TimerLoop(rt).run())
    try:
        run = await flows.start(rt)
        # The loop is asleep once it watches the timers key.
        await eventually(lambda: rt.hub.watched > 0, within=10, what="the timer loop to watch the timers key")
        await flows.answer(rt, await flows.workflow_task(rt), cmd.StartTimer(timer_id="t", start_to_fire_timeout=0.2))
        task = await flows.workflow_task(rt, wait=30)
        assert "TimerFired" in [e.attributes.type for e in task.history]
        assert run.started
    finally:
        loop.cancel()


async def test_the_execution_timeout_times_the_run_out(rt: runner.Runtime, test_clock: clock.Clock) -> None:
    await flows.start(rt, execution_timeout=30)
    await flows.workflow_task(rt)
    test_clock.advance(31)
    await timer_loop.TimerLoop(rt).fire_due()
    outcome = await workflows.wait_for_close(rt, flows.NS, "wf-1", None, 0)
    assert outcome is not None
    assert outcome.status.value == "TIMED_OUT"


async def test_a_workflow_task_whose_worker_vanished_times_out_and_is_offered_again(
    rt: runner.Runtime, test_clock: clock.Clock
) -> None:
    run = await flows.start(rt, task_timeout=5)
    await flows.workflow_task(rt)
    test_clock.advance(6)
    await timer_loop.TimerLoop(rt).fire_due()
    again = await flows.workflow_task(rt)
    assert again.attempt == 2
    assert "WorkflowTaskTimedOut" in await flows.event_types(rt, run.run_id)


async def test_a_timer_cancelled_after_it_fired_during_the_task_never_reaches_history(
    rt: runner.Runtime, test_clock: clock.Clock
) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), cmd.StartTimer(timer_id="t", start_to_fire_timeout=10))
    # A signal makes a workflow task; while a worker holds it, the timer fires (buffered).
    await workflows.signal_workflow(rt, flows.NS, api.SignalWorkflowRequest(workflow_id="wf-1", signal_name="go"))
    holding = await flows.workflow_task(rt)
    test_clock.advance(6)  # past the timer, not the workflow task's 10 s timeout
    await timer_loop.TimerLoop(rt).fire_due()
    await flows.answer(rt, holding, cmd.CancelTimer(timer_id="t"))
    types = await flows.event_types(rt, run.run_id)
    assert "TimerFired" not in types
    assert types[-1] == "TimerCanceled"
    assert await workers.poll_workflow_task(rt, flows.NS, api.PollRequest(task_queue=flows.QUEUE, wait=0)) is None
    async with rt.pool.acquire() as conn:
        ex = await executions.load(conn, run.run_id)
    assert ex is not None
    assert not ex.wft_needed


async def test_a_timer_cancelled_and_started_again_under_its_id_in_one_completion_fires_once(
    rt: runner.Runtime, test_clock: clock.Clock
) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), cmd.StartTimer(timer_id="t", start_to_fire_timeout=10))
    await workflows.signal_workflow(rt, flows.NS, api.SignalWorkflowRequest(workflow_id="wf-1", signal_name="restart"))
    # One completion disarms the timer and arms a new one with the same id (one statement).
    again: list[cmd.Command] = [cmd.CancelTimer(timer_id="t"), cmd.StartTimer(timer_id="t", start_to_fire_timeout=30)]
    await flows.answer(rt, await flows.workflow_task(rt), *again)
    test_clock.advance(11)
    assert await timer_loop.TimerLoop(rt).fire_due() == 0
    test_clock.advance(20)
    assert await timer_loop.TimerLoop(rt).fire_due() == 1
    types = await flows.event_types(rt, run.run_id)
    assert types.count("TimerStarted") == 2
    assert types.count("TimerCanceled") == 1
    assert types.count("TimerFired") == 1


async def test_a_cancel_sent_to_a_child_before_it_started_waits_for_the_start_and_reaches_it(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    parent = await flows.start(rt)
    start = cmd.StartChildWorkflowExecution(workflow_id="child-1", workflow_type="Child")
    await flows.answer(rt, await flows.workflow_task(rt), start)
    # The parent's next task cancels the child by id (its run is not known yet) ...
    await workflows.signal_workflow(rt, flows.NS, api.SignalWorkflowRequest(workflow_id="wf-1", signal_name="stop"))
    cancel = cmd.RequestCancelExternalWorkflowExecution(workflow_id="child-1", child_workflow_only=True)
    await flows.answer(rt, await flows.workflow_task(rt), cancel)
    # ... and the request fires before the child's start does.
    async with pool.acquire() as conn:
        due = await timers.claim_due(conn, test_clock.now(), limit=10, lease=timedelta(seconds=30))
    (request,) = [t for t in due if t.kind == rows.TimerKind.CANCEL_EXTERNAL]
    await timer_loop.fire(rt, request)
    assert "ExternalWorkflowExecutionCancelRequested" not in await flows.event_types(rt, parent.run_id)
    test_clock.advance(31)  # the leases of the rows claimed above run out
    # The start, then the request (again after a wait if it ran first). Past a lease each
    # round: fired together, the two may conflict on the parent, and a row that lost keeps
    # its lease until it runs out.
    for _ in range(5):
        await timer_loop.TimerLoop(rt).fire_due()
        test_clock.advance(31)
    async with pool.acquire() as conn:
        child = await executions.latest(conn, flows.NS, "child-1")
        left = [(t["kind"], t["due_at"]) for t in await conn.fetch("SELECT kind, due_at FROM timers")]
    assert child is not None
    seen = (" ".join(await flows.event_types(rt, parent.run_id)), left)
    assert "WorkflowExecutionCancelRequested" in await flows.event_types(rt, child.run_id), seen
    assert (await flows.event_types(rt, parent.run_id))[-1] == "ExternalWorkflowExecutionCancelRequested"


async def test_timers_due_together_fire_a_group_to_a_transaction_and_each_once(
    rt: runner.Runtime, test_clock: clock.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = await sleeping_runs(rt, 30)
    sizes: list[int] = []
    fire_all = timer_loop.fire_all

    async def counted(rt: runner.Runtime, group: list[rows.Timer]) -> None:
        sizes.append(len(group))
        await fire_all(rt, group)

    monkeypatch.setattr(timer_loop, "fire_all", counted)
    test_clock.advance(61)
    assert await timer_loop.TimerLoop(rt).fire_due() == 30
    assert sorted(sizes) == [5, timer_loop.GROUP_SIZE]
    for run in runs:
        assert (await flows.event_types(rt, run.run_id)).count("TimerFired") == 1


def timer(run_id: str, kind: rows.TimerKind, timer_id: int) -> rows.Timer:
    due = datetime(2026, 1, 1, tzinfo=UTC)
    return rows.Timer(timer_id, "default", run_id, kind, ref=1, attempt=1, timer_id=None, due_at=due)


def test_a_group_holds_one_timer_per_run_in_run_order_and_leaves_transfers_alone() -> None:
    due = [
        timer("run-b", rows.TimerKind.USER, 1),
        timer("run-a", rows.TimerKind.ACTIVITY_HEARTBEAT, 2),
        timer("run-b", rows.TimerKind.WORKFLOW_TASK_TIMEOUT, 3),
        timer("run-c", rows.TimerKind.CHILD_START, 4),
        timer("run-d", rows.TimerKind.TASK_READY, 5),
    ]
    groups, alone = timer_loop.grouped(due, 2)
    assert [[t.id for t in g] for g in groups] == [[2, 1], [5]]
    assert [t.id for t in alone] == [3, 4]
