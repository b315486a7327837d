"""Deleting one run on request: gone with all it owns, terminated first if it runs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from legato.api.command import v1 as cmd
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.services import deletion, runner, timer_loop, workflows
from legato_operator.store import db, executions, resource_links, rows
from tests.server import flows
from tests.support.deadline import eventually


def delete(workflow_id: str = "wf-1", **kw: Any) -> api.DeleteWorkflowRequest:
    return api.DeleteWorkflowRequest(workflow_id=workflow_id, **kw)


async def owned_rows(pool: db.Pool, run_id: str) -> dict[str, int]:
    tables = ("executions", "history_events", "tasks", "timers", "buffered_events")
    async with pool.acquire() as conn:
        return {t: await conn.fetchval(f"SELECT count(*) FROM {t} WHERE run_id = $1", run_id) for t in tables}


async def test_a_closed_run_is_deleted_with_its_history(rt: runner.Runtime, pool: db.Pool) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), cmd.CompleteWorkflowExecution())
    await deletion.delete_workflow(rt, flows.NS, delete(run_id=run.run_id))
    assert set((await owned_rows(pool, run.run_id)).values()) == {0}
    with pytest.raises(errors.NotFound):
        await workflows.describe_workflow(rt, flows.NS, api.DescribeWorkflowRequest(workflow_id="wf-1"))
    # The id is free: a new run starts under it.
    assert (await flows.start(rt)).started


async def test_a_running_run_is_terminated_for_its_waiters_then_deleted(rt: runner.Runtime, pool: db.Pool) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule())
    waiting = asyncio.create_task(workflows.wait_for_close(rt, flows.NS, "wf-1", run.run_id, 30))
    await eventually(lambda: rt.hub.watched > 0, within=10, what="the result wait to watch the close")
    await deletion.delete_workflow(rt, flows.NS, delete(reason="created by mistake"))
    outcome = await asyncio.wait_for(waiting, 20)
    assert outcome is not None
    assert outcome.status.value == "TERMINATED"
    # Its activity task and timers went with it: nothing is left for a worker to poll.
    assert set((await owned_rows(pool, run.run_id)).values()) == {0}


async def test_a_run_a_workflow_resource_links_to_is_kept(rt: runner.Runtime, pool: db.Pool) -> None:
    run = await flows.start(rt)
    key = rows.ResourceKey(flows.NS, "order-1", "uid-1")
    async with pool.acquire() as conn:
        await resource_links.insert(
            conn, rows.WorkflowResource(key=key, workflow_id="wf-1", run_id=run.run_id, identity={})
        )
    with pytest.raises(errors.FailedPrecondition, match="Workflow resource default/order-1"):
        await deletion.delete_workflow(rt, flows.NS, delete())
    counts = await owned_rows(pool, run.run_id)
    assert counts["executions"] == 1
    assert counts["history_events"] > 0


async def test_a_child_whose_running_parent_has_not_recorded_its_close_is_kept(
    rt: runner.Runtime, pool: db.Pool
) -> None:
    await flows.start(rt)
    start = cmd.StartChildWorkflowExecution(workflow_id="child-1", workflow_type="Child")
    await flows.answer(rt, await flows.workflow_task(rt), start)
    await timer_loop.TimerLoop(rt).fire_due()
    async with pool.acquire() as conn:
        child = await executions.latest(conn, flows.NS, "child-1")
    assert child is not None
    with pytest.raises(errors.FailedPrecondition, match="parent still runs"):
        await deletion.delete_workflow(rt, flows.NS, delete("child-1"))
    assert (await owned_rows(pool, child.run_id))["executions"] == 1


async def test_deleting_an_unknown_workflow_is_not_found(rt: runner.Runtime) -> None:
    with pytest.raises(errors.NotFound):
        await deletion.delete_workflow(rt, flows.NS, delete("nobody"))
