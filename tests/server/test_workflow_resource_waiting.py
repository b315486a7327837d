"""What the status writer reads to tell a stuck run, on a real Postgres: resource-started
runs whose workflow task has waited for a worker, and who polls their queues."""

from __future__ import annotations

from datetime import timedelta

from legato.api.workflowservice import v1 as api
from legato_operator.engine.services import resources, runner, task_queues
from legato_operator.store import rows
from tests.server import flows

MINUTE = timedelta(seconds=60)


async def start(rt: runner.Runtime, name: str, queue: str = flows.QUEUE) -> rows.WorkflowResource:
    key = rows.ResourceKey(flows.NS, name, f"uid-{name}")
    request = api.StartWorkflowRequest(
        workflow_id=name, workflow_type="Orders", task_queue=queue, request_id=f"workflow-resource/{key.uid}"
    )
    link, _ = await resources.start(rt, key, request, identity={}, generation=1)
    return link


async def waiting(rt: runner.Runtime, after: str | None = None) -> list[str]:
    found = await resources.waiting(rt, longer_than=MINUTE, after_run_id=after)
    return [item.resource.key.name for item in found]


async def test_a_workflow_task_waiting_past_the_threshold_is_found_with_its_queue_and_since(
    rt: runner.Runtime,
) -> None:
    link = await start(rt, "order-1")
    assert await waiting(rt) == []
    rt.clock.advance(61)
    (item,) = await resources.waiting(rt, longer_than=MINUTE, after_run_id=None)
    assert (item.resource.run_id, item.task_queue, item.status) == (link.run_id, flows.QUEUE, "RUNNING")
    assert item.waiting_since is not None
    assert rt.clock.now() - item.waiting_since >= MINUTE
    # What the writer's ordinary pass reads says the same.
    (behind,) = await resources.unsynced(rt, include_running=True)
    assert (behind.task_queue, behind.waiting_since) == (flows.QUEUE, item.waiting_since)


async def test_a_workflow_task_a_worker_holds_is_not_waiting(rt: runner.Runtime) -> None:
    await start(rt, "order-1")
    await flows.workflow_task(rt)
    rt.clock.advance(61)
    assert await waiting(rt) == []
    (behind,) = await resources.unsynced(rt, include_running=True)
    assert behind.waiting_since is None


async def test_waiting_runs_are_read_in_run_id_order_from_a_cursor(rt: runner.Runtime) -> None:
    links = sorted([await start(rt, f"order-{i}") for i in range(3)], key=lambda link: link.run_id)
    rt.clock.advance(61)
    names = [link.key.name for link in links]
    assert await waiting(rt) == names
    assert await waiting(rt, after=links[0].run_id) == names[1:]
    assert await waiting(rt, after=links[2].run_id) == []


async def test_workflow_pollers_are_counted_per_queue_in_one_read(rt: runner.Runtime) -> None:
    for queue, kind, identity in [
        ("orders", rows.TaskKind.WORKFLOW, "a@host"),
        ("orders", rows.TaskKind.WORKFLOW, "b@host"),
        ("orders", rows.TaskKind.ACTIVITY, "c@host"),
        ("billing", rows.TaskKind.ACTIVITY, "d@host"),
        ("other", rows.TaskKind.WORKFLOW, "e@host"),
    ]:
        await task_queues.record_poll(rt, flows.NS, queue, kind, identity)
    counts = await task_queues.workflow_pollers(rt, {(flows.NS, "orders"), (flows.NS, "billing"), ("elsewhere", "x")})
    # Activity workers take no workflow task; queues not asked for are not read.
    assert counts == {(flows.NS, "orders"): 2}
    assert await task_queues.workflow_pollers(rt, set()) == {}
    rt.clock.advance(61)
    assert await task_queues.workflow_pollers(rt, {(flows.NS, "orders")}) == {}
