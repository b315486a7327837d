"""A workflow task made ready while a poll waits in this process is handed to that poll."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import clock, metrics
from legato_operator.engine.rules import keys
from legato_operator.engine.services import handing, runner, timer_loop, workers
from legato_operator.store import rows
from tests.server import flows
from tests.support.deadline import eventually

KEY = keys.task_key(flows.NS, flows.QUEUE, rows.TaskKind.WORKFLOW)


@pytest.fixture(autouse=True)
def no_recheck(monkeypatch: pytest.MonkeyPatch) -> None:
    # No periodic re-check within a test: a poll is answered by a wake or a hand-over only.
    monkeypatch.setattr(workers, "RECHECK_SECONDS", 600.0)


def matched() -> float:
    return metrics.REGISTRY.get_sample_value("legato_tasks_matched_total", {"kind": "workflow"}) or 0.0


async def idle_poll(rt: runner.Runtime, identity: str = "poller-1") -> asyncio.Task[api.WorkflowTask | None]:
    """A poll that has looked at the database, found nothing, and waits."""
    request = api.PollRequest(task_queue=flows.QUEUE, identity=identity, wait=60)
    poll = asyncio.create_task(workers.poll_workflow_task(rt, flows.NS, request))
    await eventually(lambda: rt.hub.idle_pollers(KEY) == 1, within=10, what="the poll to wait")
    return poll


async def test_a_start_hands_its_workflow_task_to_the_waiting_poll(rt: runner.Runtime) -> None:
    poll, before = await idle_poll(rt), matched()
    run = await flows.start(rt)
    task = await asyncio.wait_for(poll, 20)
    assert task is not None
    assert task.run_id == run.run_id
    # Started by the start's own transaction, for this poll: nothing is left to claim.
    assert matched() == before + 1
    started = task.history[-1].attributes
    assert isinstance(started, wire.WorkflowTaskStarted)
    assert started.identity == "poller-1"
    assert await workers.poll_workflow_task(rt, flows.NS, flows.request(wait=0)) is None
    await flows.answer(rt, task, flows.schedule())
    assert (await flows.event_types(rt, run.run_id))[-2:] == ["WorkflowTaskCompleted", "ActivityTaskScheduled"]


async def test_a_handing_that_rolls_back_sends_the_poll_back_to_the_database(
    rt: runner.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    poll = await idle_poll(rt)

    async def fails(*args: Any) -> None:
        raise RuntimeError("the transaction fails after the task was started for the poll")

    with monkeypatch.context() as patched:
        patched.setattr(handing, "prepare", fails)
        with pytest.raises(RuntimeError):
            await flows.start(rt)
    # Released: the poll looked again, found nothing (the start rolled back) and waits on.
    await eventually(lambda: rt.hub.idle_pollers(KEY) == 1, within=10, what="the poll to wait again")
    assert not poll.done()
    run = await flows.start(rt)
    task = await asyncio.wait_for(poll, 20)
    assert task is not None
    assert task.run_id == run.run_id


async def test_a_poll_gone_before_the_commit_leaves_its_task_to_the_workflow_task_timeout(
    rt: runner.Runtime, test_clock: clock.Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    poll = await idle_poll(rt)
    prepare = handing.prepare

    async def leaves_first(*args: Any) -> None:
        # The worker's poll request ends (shutdown, a dropped connection) mid-transaction.
        poll.cancel()
        await asyncio.gather(poll, return_exceptions=True)
        await prepare(*args)

    monkeypatch.setattr(handing, "prepare", leaves_first)
    run = await flows.start(rt)
    monkeypatch.undo()
    assert await workers.poll_workflow_task(rt, flows.NS, flows.request(wait=0)) is None
    test_clock.advance(11)
    await timer_loop.TimerLoop(rt).fire_due()
    retried = await flows.workflow_task(rt)
    assert (retried.run_id, retried.attempt) == (run.run_id, 2)
    assert "WorkflowTaskTimedOut" in await flows.event_types(rt, run.run_id)


async def test_a_poll_waiting_on_another_queue_is_not_handed_the_task(rt: runner.Runtime) -> None:
    request = api.PollRequest(task_queue="elsewhere", identity="other", wait=60)
    other = asyncio.create_task(workers.poll_workflow_task(rt, flows.NS, request))
    other_key = keys.task_key(flows.NS, "elsewhere", rows.TaskKind.WORKFLOW)
    await eventually(lambda: rt.hub.idle_pollers(other_key) == 1, within=10, what="the other poll to wait")
    before = matched()
    await flows.start(rt)
    assert matched() == before
    started = (await flows.workflow_task(rt)).history[-1].attributes
    assert isinstance(started, wire.WorkflowTaskStarted)
    assert started.identity != "other"
    other.cancel()
    await asyncio.gather(other, return_exceptions=True)
