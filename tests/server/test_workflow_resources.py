"""Runs started from Workflow resources, on a real Postgres: one start per resource, and the
status writer's bookkeeping (what is behind, what is final)."""

from __future__ import annotations

from legato.api.command import v1 as cmd
from legato.api.workflowservice import v1 as api
from legato_operator.engine.services import resources, runner, workflows
from legato_operator.store import executions, resource_links, rows
from tests.server import flows

KEY = rows.ResourceKey(flows.NS, "order-1", "uid-1")


def request(workflow_id: str = "order-1", request_id: str = "workflow-resource/uid-1") -> api.StartWorkflowRequest:
    return api.StartWorkflowRequest(
        workflow_id=workflow_id, workflow_type="Orders", task_queue=flows.QUEUE, request_id=request_id
    )


async def start(rt: runner.Runtime, key: rows.ResourceKey = KEY) -> tuple[rows.WorkflowResource, bool]:
    return await resources.start(rt, key, request(key.name), identity={"workflowType": "Orders"}, generation=1)


async def behind(rt: runner.Runtime, *, include_running: bool = True) -> list[str]:
    return [u.resource.key.name for u in await resources.unsynced(rt, include_running=include_running)]


async def sync(rt: runner.Runtime, key: rows.ResourceKey = KEY) -> None:
    (item,) = [u for u in await resources.unsynced(rt, include_running=True) if u.resource.key == key]
    closed = item.status != "RUNNING"
    await rt.query(
        resource_links.mark_synced,
        item.resource,
        version=item.version,
        status=item.status,
        closed=closed,
        conditions=[],
    )


async def test_a_resource_starts_one_run_however_often_it_is_reconciled(rt: runner.Runtime) -> None:
    first, started = await start(rt)
    again, started_again = await start(rt)
    assert (started, started_again) == (True, False)
    assert again.run_id == first.run_id
    async with rt.pool.acquire() as conn:
        latest = await executions.latest(conn, flows.NS, "order-1")
    assert latest is not None
    assert latest.run_id == first.run_id


async def test_a_lost_link_finds_the_run_by_the_request_id(rt: runner.Runtime) -> None:
    first, _ = await start(rt)
    await rt.query(resource_links.delete, KEY)
    again, started = await start(rt)
    assert (again.run_id, started) == (first.run_id, False)


async def test_a_new_link_is_behind_until_synced(rt: runner.Runtime) -> None:
    await start(rt)
    assert await behind(rt) == ["order-1"]
    await sync(rt)
    assert await behind(rt) == []


async def test_a_running_run_that_moved_is_behind_only_for_the_coalesced_pass(rt: runner.Runtime) -> None:
    link, _ = await start(rt)
    await sync(rt)
    signal = api.SignalWorkflowRequest(workflow_id=link.workflow_id, signal_name="go", run_id=link.run_id)
    await workflows.signal_workflow(rt, flows.NS, signal)
    assert await behind(rt, include_running=False) == []
    assert await behind(rt, include_running=True) == ["order-1"]


async def test_a_closed_run_is_behind_in_every_pass_until_its_final_status_is_written(rt: runner.Runtime) -> None:
    link, _ = await start(rt)
    await sync(rt)
    await workflows.terminate_workflow(
        rt, flows.NS, api.TerminateWorkflowRequest(workflow_id=link.workflow_id, run_id=link.run_id)
    )
    assert await behind(rt, include_running=False) == ["order-1"]
    await sync(rt)
    assert await behind(rt) == []
    # Final: a later bookkeeping change (a signal that came too late) is written once more.
    await rt.query(resource_links.record_signal, KEY, "s1", "run closed")
    assert await behind(rt, include_running=False) == ["order-1"]


async def test_a_change_made_while_a_status_was_written_is_not_lost(rt: runner.Runtime) -> None:
    link, _ = await start(rt)
    await workflows.terminate_workflow(
        rt, flows.NS, api.TerminateWorkflowRequest(workflow_id=link.workflow_id, run_id=link.run_id)
    )
    (item,) = await resources.unsynced(rt, include_running=False)
    # The reconciler records a signal after the writer read the link, before it marks it.
    await rt.query(resource_links.record_signal, KEY, "s1", "run closed")
    await rt.query(
        resource_links.mark_synced, item.resource, version=item.version, status=item.status, closed=True, conditions=[]
    )
    assert await behind(rt, include_running=False) == ["order-1"]


async def test_signals_are_recorded_once_each_in_order(rt: runner.Runtime) -> None:
    await start(rt)
    for signal_id in ("a", "b", "a"):
        await rt.query(resource_links.record_signal, KEY, signal_id, None)
    await rt.query(resource_links.record_signal, KEY, "c", "closed")
    await rt.query(resource_links.record_signal, KEY, "c", None)
    link = await rt.query(resource_links.load, KEY)
    assert link is not None
    assert (link.delivered_signals, link.undelivered_signals) == (["a", "b"], {"c": "closed"})


async def test_observing_the_same_generation_and_refusal_changes_nothing(rt: runner.Runtime) -> None:
    await start(rt)
    await sync(rt)
    await rt.query(resource_links.observe, KEY, 1, [])
    assert await behind(rt) == []
    await rt.query(resource_links.observe, KEY, 2, ["args"])
    link = await rt.query(resource_links.load, KEY)
    assert link is not None
    assert (link.generation, link.refused_fields) == (2, ["args"])
    assert await behind(rt, include_running=False) == ["order-1"]


async def test_a_resource_follows_its_run_when_it_continues_as_new(rt: runner.Runtime) -> None:
    link, _ = await start(rt)
    await sync(rt)
    task = await flows.workflow_task(rt)
    await flows.answer(rt, task, cmd.ContinueAsNewWorkflowExecution())
    (item,) = await resources.unsynced(rt, include_running=False)
    assert item.resource.run_id != link.run_id
    assert item.status == "RUNNING"
    async with rt.pool.acquire() as conn:
        latest = await executions.latest(conn, flows.NS, link.workflow_id)
    assert latest is not None
    assert (latest.run_id, latest.continued_run_id) == (item.resource.run_id, link.run_id)


async def test_a_finished_resource_expires_its_ttl_after_its_final_status_is_written(rt: runner.Runtime) -> None:
    link, _ = await start(rt)
    await resources.set_ttl(rt, KEY, 60.0)
    await workflows.terminate_workflow(rt, flows.NS, api.TerminateWorkflowRequest(workflow_id=link.workflow_id))
    rt.clock.advance(120)
    assert await resources.expired(rt) == []  # its final status is not written yet
    await sync(rt)
    assert await resources.expired(rt) == [KEY]
    await resources.set_ttl(rt, KEY, None)
    assert await resources.expired(rt) == []
