"""The HTTP API on a real server process-in-a-task and a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from legato import _service, _transport
from legato.api import operations as ops
from legato.api.workflowservice import v1 as api
from legato_operator.engine.rules import tokens
from tests.server import http
from tests.server.http import LIMIT, START, call, ns
from tests.support.deadline import eventually
from tests.support.payloads import plain, wire


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    async for url in http.serve(pg_dsn):
        yield url


async def test_a_start_without_a_task_queue_gets_400_naming_the_field_and_stores_nothing(
    base_url: str,
) -> None:
    status, body = await call("POST", ns(base_url) + "/workflows", {"workflow_id": "wf-1", "workflow_type": "O"})
    assert (status, body["field"], body["error"]) == (400, "task_queue", "InvalidArgument")
    status, _ = await call("GET", ns(base_url) + "/workflows/wf-1")
    assert status == 404


async def test_a_body_that_is_not_json_gets_400(base_url: str) -> None:
    status, body = await call("POST", ns(base_url) + "/workflows", raw=b"{nope")
    assert status == 400
    assert body["error"] == "InvalidArgument"


async def test_a_bad_command_names_its_path_in_the_list(base_url: str) -> None:
    body = {
        "task_token": "x",
        "commands": [{"type": "StartTimer", "timer_id": "t", "start_to_fire_timeout": -1}],
    }
    status, answer = await call("POST", ns(base_url) + "/workflow-tasks/complete", body)
    assert (status, answer["field"]) == (400, "commands.0.start_to_fire_timeout")


async def test_oversized_args_get_413_naming_field_size_and_limit_and_store_nothing(base_url: str) -> None:
    status, body = await call("POST", ns(base_url) + "/workflows", {**START, "args": [wire("x" * LIMIT)]})
    assert status == 413
    assert body["field"] == "args"
    assert "args" in body["message"]
    assert str(LIMIT) in body["message"]
    status, _ = await call("GET", ns(base_url) + "/workflows/wf-1")
    assert status == 404


async def test_start_then_describe_then_an_empty_poll_answers_204(base_url: str) -> None:
    status, started = await call("POST", ns(base_url) + "/workflows", START)
    assert status == 200
    assert started["started"] is True
    status, again = await call("POST", ns(base_url) + "/workflows", START)
    assert (status, again["error"], again["run_id"]) == (409, "WorkflowAlreadyStarted", started["run_id"])
    status, described = await call("GET", ns(base_url) + "/workflows/wf-1")
    assert (status, described["status"], described["history_length"]) == (200, "RUNNING", 2)
    status, _ = await call("POST", ns(base_url) + "/task-queues/other/workflow-tasks/poll", {"wait": 0.1})
    assert status == 204
    status, _ = await call("GET", ns(base_url) + "/workflows/wf-1/result?wait=0.1")
    assert status == 204


async def test_a_whole_run_over_http_and_a_stale_token_gets_410(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    status, task = await call("POST", ns(base_url) + "/task-queues/orders/workflow-tasks/poll", {"wait": 5})
    assert status == 200
    assert task["first_event_id"] == 1
    result = asyncio.create_task(call("GET", ns(base_url) + "/workflows/wf-1/result?wait=10"))
    complete = {
        "task_token": task["task_token"],
        "commands": [{"type": "CompleteWorkflowExecution", "result": wire(7)}],
    }
    assert (await call("POST", ns(base_url) + "/workflow-tasks/complete", complete))[0] == 200
    status, body = await call("POST", ns(base_url) + "/workflow-tasks/complete", complete)
    assert (status, body["error"]) == (410, "TaskNotFound")
    status, outcome = await asyncio.wait_for(result, 5)
    assert (status, outcome["status"], plain(outcome["result"])) == (200, "COMPLETED", 7)


async def test_history_pages_with_an_opaque_token(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    status, first = await call("GET", ns(base_url) + "/workflows/wf-1/history?page_size=1")
    assert status == 200
    assert [e["event_id"] for e in first["events"]] == [1]
    token = first["next_page_token"]
    status, second = await call("GET", ns(base_url) + f"/workflows/wf-1/history?page_size=5&page_token={token}")
    assert [e["event_id"] for e in second["events"]] == [2]
    assert second["next_page_token"] is None
    status, body = await call("GET", ns(base_url) + "/workflows/wf-1/history?page_token=zzz")
    assert (status, body["field"]) == (400, "page_token")


async def test_an_activity_token_of_a_missing_run_gets_410(base_url: str) -> None:
    token = tokens.encode(tokens.ActivityTaskToken("00000000-0000-0000-0000-000000000000", 5, 1))
    status, body = await call("POST", ns(base_url) + "/activity-tasks/complete", {"task_token": token})
    assert (status, body["error"]) == (410, "TaskNotFound")


async def test_health_readiness_openapi_and_metrics(base_url: str) -> None:
    assert (await call("GET", base_url + "/healthz"))[0] == 200
    assert (await call("GET", base_url + "/readyz"))[0] == 200
    status, document = await call("GET", base_url + "/openapi.json")
    assert status == 200
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) >= {ops.START_WORKFLOW.path, ops.POLL_ACTIVITY_TASK.path}
    assert "StartWorkflowRequest" in document["components"]["schemas"]
    await call("POST", ns(base_url) + "/workflows", START)
    status, text = await call("GET", base_url + "/metrics")
    assert status == 200
    assert 'legato_task_backlog{kind="workflow",namespace="default",task_queue="orders"} 1.0' in text
    assert "legato_workflows_started_total" in text
    assert "wf-1" not in text


async def test_a_task_queue_reports_its_backlog_and_waiting_pollers(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    poll = asyncio.create_task(call("POST", ns(base_url) + "/task-queues/orders/activity-tasks/poll", {"wait": 1}))

    async def described_with_a_poller() -> dict[str, Any] | None:
        status, body = await call("GET", ns(base_url) + "/task-queues/orders")
        assert status == 200
        return dict(body) if body["pollers"] else None

    backlog = await eventually(described_with_a_poller, within=10, what="the waiting poll to be recorded")
    assert (backlog["workflow_tasks"], backlog["activity_tasks"], backlog["pollers"]) == (1, 0, 1)
    assert (await poll)[0] == 204


async def test_signal_cancel_and_terminate_over_http(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    signal = {"signal_name": "go", "args": [wire(1)], "request_id": "s-1"}
    assert (await call("POST", ns(base_url) + "/workflows/wf-1/signal", signal))[0] == 200
    assert (await call("POST", ns(base_url) + "/workflows/wf-1/cancel", {"reason": "enough"}))[0] == 200
    assert (await call("POST", ns(base_url) + "/workflows/wf-1/terminate", {"reason": "bye"}))[0] == 200
    status, body = await call("POST", ns(base_url) + "/workflows/wf-1/signal", signal | {"request_id": "s-2"})
    assert (status, body["error"]) == (404, "NotFound")
    status, page = await call("GET", ns(base_url) + "/workflows/wf-1/history")
    types = [e["attributes"]["type"] for e in page["events"]]
    assert types[2:] == [
        "WorkflowExecutionSignaled",
        "WorkflowExecutionCancelRequested",
        "WorkflowExecutionTerminated",
    ]


async def test_a_body_that_names_its_object_again_is_refused_naming_the_field(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    body = {"workflow_id": "other", "signal_name": "go"}
    status, answer = await call("POST", ns(base_url) + "/workflows/wf-1/signal", body)
    assert (status, answer["field"]) == (400, "workflow_id")
    status, page = await call("GET", ns(base_url) + "/workflows/wf-1/history")
    assert len(page["events"]) == 2


async def test_query_parameters_are_checked_against_the_operation(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    status, answer = await call("GET", ns(base_url) + "/workflows/wf-1/history?page_sise=5")
    assert (status, answer["field"]) == (400, "page_sise")
    status, answer = await call("GET", ns(base_url) + "/workflows/wf-1/history?page_size=1001")
    assert (status, answer["field"]) == (400, "page_size")
    status, answer = await call("GET", ns(base_url) + "/workflows/wf-1/result?wait=soon")
    assert (status, answer["field"]) == (400, "wait")


async def test_the_service_client_raises_task_not_found_for_an_answer_the_server_no_longer_wants(
    base_url: str,
) -> None:
    service = _service.ServiceClient(_transport.Transport(base_url, namespace="default"))
    try:
        await service.start_workflow(api.StartWorkflowRequest.model_validate(START))
        task = await service.poll_workflow_task(api.PollRequest(task_queue="orders", wait=5))
        assert task is not None
        done = api.CompleteWorkflowTaskRequest(task_token=task.task_token)
        await service.complete_workflow_task(done)
        with pytest.raises(_transport.TaskNotFoundError):
            await service.complete_workflow_task(done)
        events = [e async for e in service.history("wf-1", None, page_size=1)]
        assert [e.event_id for e in events] == [1, 2, 3, 4]
    finally:
        await service.close()
