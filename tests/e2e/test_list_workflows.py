"""``Client.list_workflows`` and ``count_workflows`` against a real server, as temporalio's:
WorkflowExecution entries with decoded memos, paging behind ``async for``, ``limit``,
GROUP BY ExecutionStatus, and a bad query as INVALID_ARGUMENT naming the position."""

from __future__ import annotations

import pytest

from legato import workflow
from legato.client import (
    Client,
    RPCError,
    RPCStatusCode,
    WorkflowExecutionCountAggregationGroup,
    WorkflowExecutionStatus,
)
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@workflow.defn
class Quick:
    @workflow.run
    async def run(self) -> str:
        return "done"


@workflow.defn
class Waits:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


async def test_listing_pages_through_runs_with_their_fields(client: Client) -> None:
    async with running_worker(client, task_queue="list", workflows=[Quick, Waits]):
        for i in range(5):
            await client.execute_workflow(Quick.run, id=f"quick-{i}", task_queue="list")
        await client.start_workflow(Waits.run, id="waits", task_queue="list", memo={"owner": "ops"})
    listed = [e async for e in client.list_workflows(page_size=2)]
    assert [e.id for e in listed] == ["waits"] + [f"quick-{i}" for i in reversed(range(5))]
    first = listed[0]
    assert (first.workflow_type, first.task_queue, first.namespace) == ("Waits", "list", client.namespace)
    assert first.status is WorkflowExecutionStatus.RUNNING
    assert await first.memo() == {"owner": "ops"}
    assert listed[1].status is WorkflowExecutionStatus.COMPLETED
    assert listed[1].close_time is not None
    assert listed[1].history_length > 3
    limited = [e.id async for e in client.list_workflows("WorkflowType = 'Quick'", limit=3, page_size=2)]
    assert limited == ["quick-4", "quick-3", "quick-2"]


async def test_counting_groups_by_status(client: Client) -> None:
    async with running_worker(client, task_queue="count", workflows=[Quick, Waits]):
        await client.execute_workflow(Quick.run, id="q", task_queue="count")
        await client.start_workflow(Waits.run, id="w1", task_queue="count")
        await client.start_workflow(Waits.run, id="w2", task_queue="count")
    assert (await client.count_workflows("ExecutionStatus = 'Running'")).count == 2
    grouped = await client.count_workflows("GROUP BY ExecutionStatus")
    assert grouped.count == 3
    assert grouped.groups == [
        WorkflowExecutionCountAggregationGroup(2, ["Running"]),
        WorkflowExecutionCountAggregationGroup(1, ["Completed"]),
    ]


async def test_a_bad_query_is_invalid_argument_with_its_position(client: Client) -> None:
    with pytest.raises(RPCError) as raised:
        [e async for e in client.list_workflows("WorkflowId = 'a' AND")]
    assert raised.value.status is RPCStatusCode.INVALID_ARGUMENT
    assert "syntax error at position 21" in raised.value.message
    with pytest.raises(RPCError, match="invalid search attribute: Owner"):
        await client.count_workflows("Owner = 'ops'")


async def test_map_histories_gives_each_listed_runs_history(client: Client) -> None:
    async with running_worker(client, task_queue="hist", workflows=[Quick]):
        await client.execute_workflow(Quick.run, id="h1", task_queue="hist")
    histories = [h async for h in client.list_workflows("WorkflowId = 'h1'").map_histories()]
    assert [h.workflow_id for h in histories] == ["h1"]
    assert histories[0].events[-1].event_type.name == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
