"""Answers from workers that the server cannot record fail their task, once and readably,
instead of being dropped and the task run again and again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.server import http
from tests.server.http import LIMIT, START, call, ns
from tests.support.payloads import wire

TOO_BIG = wire("y" * LIMIT)


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    async for url in http.serve(pg_dsn):
        yield url


async def poll(base_url: str, kind: str) -> dict[str, Any]:
    status, task = await call("POST", ns(base_url) + f"/task-queues/orders/{kind}-tasks/poll", {"wait": 5})
    assert status == 200
    return dict(task)


async def complete(base_url: str, token: str, *commands: dict[str, Any]) -> int:
    body = {"task_token": token, "commands": list(commands)}
    status, _ = await call("POST", ns(base_url) + "/workflow-tasks/complete", body)
    return status


async def history(base_url: str) -> list[dict[str, Any]]:
    status, page = await call("GET", ns(base_url) + "/workflows/wf-1/history")
    assert status == 200
    return list(page["events"])


async def with_an_activity(base_url: str) -> dict[str, Any]:
    await call("POST", ns(base_url) + "/workflows", START)
    task = await poll(base_url, "workflow")
    schedule = {
        "type": "ScheduleActivityTask",
        "activity_id": "a",
        "activity_type": "t",
        "start_to_close_timeout": 5,
        "retry_policy": {"maximum_attempts": 5},
    }
    assert await complete(base_url, task["task_token"], schedule) == 200
    return await poll(base_url, "activity")


async def test_an_activity_result_over_the_limit_fails_the_activity_for_good_naming_size_and_limit(
    base_url: str,
) -> None:
    task = await with_an_activity(base_url)
    body = {"task_token": task["task_token"], "result": TOO_BIG}
    status, _ = await call("POST", ns(base_url) + "/activity-tasks/complete", body)
    assert status == 200
    failed = [e["attributes"] for e in await history(base_url) if e["attributes"]["type"] == "ActivityTaskFailed"]
    assert len(failed) == 1
    assert failed[0]["retry_state"] == "NON_RETRYABLE_FAILURE"
    message = failed[0]["failure"]["message"]
    assert message.startswith("Complete result exceeds size limit")
    assert f"over the limit of {LIMIT} bytes" in message
    assert (failed[0]["failure"]["kind"], failed[0]["failure"]["non_retryable"]) == ("server", True)


async def test_heartbeat_details_over_the_limit_fail_the_activity_and_ask_the_worker_to_cancel(base_url: str) -> None:
    task = await with_an_activity(base_url)
    body = {"task_token": task["task_token"], "details": [TOO_BIG]}
    status, answer = await call("POST", ns(base_url) + "/activity-tasks/heartbeat", body)
    assert (status, answer["cancel_requested"]) == (200, True)
    types = [e["attributes"]["type"] for e in await history(base_url)]
    assert "ActivityTaskFailed" in types


async def test_a_failure_over_the_limit_is_recorded_without_its_payloads(base_url: str) -> None:
    task = await with_an_activity(base_url)
    failure = {"message": "boom", "details": [TOO_BIG], "non_retryable": True}
    status, _ = await call(
        "POST", ns(base_url) + "/activity-tasks/fail", {"task_token": task["task_token"], "failure": failure}
    )
    assert status == 200
    failed = next(e["attributes"] for e in await history(base_url) if e["attributes"]["type"] == "ActivityTaskFailed")
    assert failed["failure"]["details"] == []
    assert failed["failure"]["message"].startswith("boom (failure exceeds size limit")


@pytest.mark.parametrize(
    ("command", "cause"),
    [
        ({"type": "CompleteWorkflowExecution", "result": TOO_BIG}, "BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES"),
        (
            {
                "type": "ScheduleActivityTask",
                "activity_id": "a",
                "activity_type": "t",
                "start_to_close_timeout": 5,
                "input": [TOO_BIG],
            },
            "BAD_SCHEDULE_ACTIVITY_ATTRIBUTES",
        ),
    ],
)
async def test_a_completion_over_the_limit_fails_the_workflow_task_with_the_commands_cause(
    base_url: str, command: dict[str, Any], cause: str
) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    task = await poll(base_url, "workflow")
    assert await complete(base_url, task["task_token"], command) == 200
    failed = [e["attributes"] for e in await history(base_url) if e["attributes"]["type"] == "WorkflowTaskFailed"]
    assert [f["cause"] for f in failed] == [cause]
    assert f"over the limit of {LIMIT} bytes" in failed[0]["failure"]["message"]
    _, described = await call("GET", ns(base_url) + "/workflows/wf-1")
    assert (described["status"], described["pending_workflow_task"]["last_failure_cause"]) == ("RUNNING", cause)
