"""Listing and counting runs on a real Postgres: filters of every kind match the right
runs, pages follow one another without gaps or repeats, counts group by status, and bad
input is refused naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.api.common.v1 import WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.services import runner, visibility, workflows

NS = "default"


async def start(rt: runner.Runtime, workflow_id: str, workflow_type: str = "Orders", **options: object) -> str:
    request = api.StartWorkflowRequest(
        workflow_id=workflow_id, workflow_type=workflow_type, task_queue="orders", **options
    )
    return (await workflows.start_workflow(rt, NS, request)).run_id


async def terminate(rt: runner.Runtime, workflow_id: str) -> None:
    await workflows.terminate_workflow(rt, NS, api.TerminateWorkflowRequest(workflow_id=workflow_id))


async def ids(rt: runner.Runtime, query: str, page_size: int = 1000) -> list[str]:
    page = await visibility.list_workflows(rt, NS, api.ListWorkflowsRequest(query=query, page_size=page_size))
    return [e.workflow_id for e in page.executions]


async def test_runs_are_listed_running_first_then_latest_closed(rt: runner.Runtime) -> None:
    for name in ("a", "b", "c", "d"):
        await start(rt, name)
        rt.clock.advance(1)
    await terminate(rt, "b")
    rt.clock.advance(1)
    await terminate(rt, "a")
    assert await ids(rt, "") == ["d", "c", "a", "b"]


async def test_filters_match_by_id_type_status_queue_and_times(rt: runner.Runtime) -> None:
    await start(rt, "order-1")
    rt.clock.advance(600)
    middle = rt.clock.now()
    await start(rt, "order-2", "Refunds")
    await start(rt, "invoice-1", start_delay=60.0)
    await terminate(rt, "order-2")
    assert await ids(rt, "WorkflowType = 'Refunds'") == ["order-2"]
    assert set(await ids(rt, "WorkflowId STARTS_WITH 'order-'")) == {"order-1", "order-2"}
    assert set(await ids(rt, "ExecutionStatus = 'Running'")) == {"order-1", "invoice-1"}
    assert await ids(rt, "ExecutionStatus = 'Terminated' AND CloseTime IS NOT NULL") == ["order-2"]
    assert set(await ids(rt, f"StartTime >= '{middle.isoformat()}'")) == {"order-2", "invoice-1"}
    assert await ids(rt, f"ExecutionTime > '{(middle + timedelta(seconds=30)).isoformat()}'") == ["invoice-1"]
    assert await ids(rt, "TaskQueue = 'elsewhere'") == []
    assert set(await ids(rt, "HistoryLength > 1 OR WorkflowId IN ('invoice-1')")) == {
        "order-1",
        "order-2",
        "invoice-1",
    }
    assert await ids(rt, "ExecutionDuration < '1m' AND ExecutionStatus != 'Running'") == ["order-2"]


async def test_a_value_is_data_never_sql(rt: runner.Runtime) -> None:
    await start(rt, "x")
    assert await ids(rt, "WorkflowId = 'x'' OR ''1''=''1'") == []
    assert await ids(rt, "WorkflowId = 'x'") == ["x"]


async def test_pages_follow_each_other_in_any_order(rt: runner.Runtime) -> None:
    for i in range(7):
        await start(rt, f"wf-{i}", "Even" if i % 2 == 0 else "Odd")
        if i % 3 == 0:
            rt.clock.advance(1)  # runs sharing a start time too
    for query in ("", "ORDER BY WorkflowId", "ORDER BY WorkflowType DESC, WorkflowId ASC", "ORDER BY StartTime"):
        seen: list[str] = []
        token: str | None = None
        while True:
            request = api.ListWorkflowsRequest(query=query, page_size=3, next_page_token=token)
            page = await visibility.list_workflows(rt, NS, request)
            seen += [e.workflow_id for e in page.executions]
            token = page.next_page_token
            if token is None:
                break
        assert seen == await ids(rt, query), query
        assert sorted(seen) == [f"wf-{i}" for i in range(7)], query
    assert await ids(rt, "ORDER BY WorkflowType DESC, WorkflowId ASC") == [
        "wf-1", "wf-3", "wf-5", "wf-0", "wf-2", "wf-4", "wf-6",
    ]  # fmt: skip


async def test_counts_total_and_per_status_in_temporals_names(rt: runner.Runtime) -> None:
    for name in ("a", "b", "c"):
        await start(rt, name)
    await terminate(rt, "c")
    total = await visibility.count_workflows(rt, NS, api.CountWorkflowsRequest(query="WorkflowType = 'Orders'"))
    assert (total.count, total.groups) == (3, [])
    grouped = await visibility.count_workflows(rt, NS, api.CountWorkflowsRequest(query="GROUP BY ExecutionStatus"))
    assert grouped.count == 3
    assert [(g.group_values, g.count) for g in grouped.groups] == [(["Running"], 2), (["Terminated"], 1)]


async def test_listing_reads_only_its_namespace(rt: runner.Runtime) -> None:
    await start(rt, "mine")
    other = api.StartWorkflowRequest(workflow_id="theirs", workflow_type="Orders", task_queue="orders")
    await workflows.start_workflow(rt, "other", other)
    assert await ids(rt, "") == ["mine"]


async def test_an_entry_carries_the_runs_fields(rt: runner.Runtime) -> None:
    run_id = await start(rt, "wf", start_delay=5.0)
    page = await visibility.list_workflows(rt, NS, api.ListWorkflowsRequest())
    [entry] = page.executions
    assert (entry.workflow_id, entry.run_id, entry.workflow_type, entry.task_queue) == (
        "wf",
        run_id,
        "Orders",
        "orders",
    )
    assert entry.status is WorkflowExecutionStatus.RUNNING
    assert entry.execution_time - entry.start_time == timedelta(seconds=5)
    assert (entry.history_length, entry.close_time, entry.first_execution_run_id) == (1, None, run_id)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (api.ListWorkflowsRequest(query="WorkflowId ="), "query"),
        (api.ListWorkflowsRequest(query="GROUP BY ExecutionStatus"), "query"),
        (api.ListWorkflowsRequest(next_page_token="not-a-token"), "next_page_token"),
        (api.ListWorkflowsRequest(next_page_token="WzFd"), "next_page_token"),
    ],
)
async def test_bad_input_names_its_field(rt: runner.Runtime, request_: api.ListWorkflowsRequest, field: str) -> None:
    with pytest.raises(errors.InvalidArgument) as raised:
        await visibility.list_workflows(rt, NS, request_)
    assert raised.value.field == field


async def test_a_count_refuses_an_order(rt: runner.Runtime) -> None:
    with pytest.raises(errors.InvalidArgument, match="ORDER BY"):
        await visibility.count_workflows(rt, NS, api.CountWorkflowsRequest(query="ORDER BY StartTime"))
