"""Child workflows survive the server's kill -9: every cross-run step (start the child,
report its close, apply a timeout) is a row committed with the step before it, so a kill
between steps loses nothing and repeats nothing. A child's execution timeout is really let
pass, on the restarted server's clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.client import Client
from legato.exceptions import ChildWorkflowError, RPCError, TimeoutError
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

# Each child's activity runs, by child id (an attempt that ran twice would show here).
ran: Counter[str] = Counter()


@activity.defn
async def child_step(child_id: str) -> str:
    await asyncio.sleep(0.05)
    ran[child_id] += 1
    return f"{child_id} done"


@workflow.defn
class StepChild:
    @workflow.run
    async def run(self, child_id: str) -> str:
        result: str = await workflow.execute_activity(
            child_step, child_id, start_to_close_timeout=timedelta(seconds=10)
        )
        return result


@workflow.defn
class WaitingParent:
    """Starts two children one after the other and returns both results."""

    @workflow.run
    async def run(self) -> list[str]:
        own = workflow.info().workflow_id
        results = []
        for n in (1, 2):
            child_id = f"{own}-child-{n}"
            results.append(await workflow.execute_child_workflow(StepChild.run, child_id, id=child_id))
        return results


def _steps_done(n: int) -> Callable[[], bool]:
    return lambda: sum(ran.values()) >= n


async def test_parents_waiting_on_children_complete_after_repeated_kill_9(
    server: ServerProcess, client: Client
) -> None:
    ran.clear()
    ids = [f"parent-{i}" for i in range(10)]
    async with running_worker(
        client, task_queue="family", workflows=[WaitingParent, StepChild], activities=[child_step]
    ):
        handles = [await client.start_workflow(WaitingParent.run, id=i, task_queue="family") for i in ids]
        for done in (3, 8, 14):
            await eventually(_steps_done(done), within=60, what=f"{done} child steps")
            server.kill()
            server.start()
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), timeout=180)
    assert results == [[f"{i}-child-1 done", f"{i}-child-2 done"] for i in ids]
    for i in ids:
        events = (await client.get_workflow_handle(i).fetch_history()).events
        kinds = Counter(e.attributes.type for e in events)
        # Each child started once and was reported once, whatever the kills interrupted.
        assert kinds["StartChildWorkflowExecutionInitiated"] == 2, (i, kinds)
        assert kinds["ChildWorkflowExecutionStarted"] == 2, (i, kinds)
        assert kinds["ChildWorkflowExecutionCompleted"] == 2, (i, kinds)
        for n in (1, 2):
            runs = [e async for e in client.list_workflows(f"WorkflowId = '{i}-child-{n}'")]
            assert len(runs) == 1, (i, n, runs)


@workflow.defn
class SlowChild:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(hours=2))
        return "too late"


@workflow.defn
class TimingParent:
    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_child_workflow(
                SlowChild.run, id=f"{workflow.info().workflow_id}-slow", execution_timeout=timedelta(hours=1)
            )
        except ChildWorkflowError as e:
            cause = e.cause
            kind = cause.type.name if isinstance(cause, TimeoutError) and cause.type else None
            return f"{e}: {kind}"
        return "no timeout"


async def test_a_childs_execution_timeout_reaches_its_parent_after_an_hour_passes(
    server: ServerProcess, client: Client
) -> None:
    async with running_worker(client, task_queue="slow", workflows=[TimingParent, SlowChild]):
        parent = await client.start_workflow(TimingParent.run, id="timing-parent", task_queue="slow")

        async def child_sleeping() -> bool:
            try:
                history = await client.get_workflow_handle("timing-parent-slow").fetch_history()
            except RPCError:  # not started yet
                return False
            return any(e.attributes.type == "TimerStarted" for e in history.events)

        await eventually(child_sleeping, within=20, what="the child's timer")
        server.kill()
        # The restarted server's clock runs an hour and a second ahead: the child's limit passed.
        server.clock_offset = 3601
        server.start()
        assert await asyncio.wait_for(parent.result(), timeout=60) == (
            "Child Workflow execution timed out: START_TO_CLOSE"
        )
    child = await client.get_workflow_handle("timing-parent-slow").fetch_history()
    assert child.events[-1].attributes.type == "WorkflowExecutionTimedOut"
    parent_events = (await parent.fetch_history()).events
    assert [e.attributes.type for e in parent_events].count("ChildWorkflowExecutionTimedOut") == 1
