"""Inputs the server must refuse at the edge, naming the field, or store without changing them:
durations past any bound, the character U+0000, run ids and tokens in forms Postgres cannot
read. None of them may answer 5xx."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from legato_operator.engine.rules import tokens
from tests.server import http
from tests.server.http import START, call, ns
from tests.support.payloads import plain, wire

FOREVER = 1e15  # seconds: past what a date can hold when added to now


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    async for url in http.serve(pg_dsn):
        yield url


def activity(**options: Any) -> dict[str, Any]:
    return {"type": "ScheduleActivityTask", "activity_id": "a", "activity_type": "t", **options}


async def start_and_poll(base_url: str, **start: Any) -> dict[str, Any]:
    status, _ = await call("POST", ns(base_url) + "/workflows", {**START, **start})
    assert status == 200
    status, task = await call("POST", ns(base_url) + "/task-queues/orders/workflow-tasks/poll", {"wait": 5})
    assert status == 200
    return dict(task)


async def events(base_url: str, workflow_id: str = "wf-1") -> list[dict[str, Any]]:
    status, page = await call("GET", ns(base_url) + f"/workflows/{workflow_id}/history")
    assert status == 200
    return list(page["events"])


@pytest.mark.parametrize(
    ("start", "field"),
    [
        ({"task_timeout": FOREVER}, "task_timeout"),
        ({"execution_timeout": FOREVER}, "execution_timeout"),
        ({"run_timeout": 0}, "run_timeout"),
        ({"retry_policy": {"initial_interval": 1e300}}, "retry_policy.initial_interval"),
        ({"retry_policy": {"backoff_coefficient": 1e300}}, "retry_policy.backoff_coefficient"),
    ],
)
async def test_a_start_with_a_duration_out_of_bounds_is_refused_naming_it(
    base_url: str, start: dict[str, Any], field: str
) -> None:
    status, body = await call("POST", ns(base_url) + "/workflows", {**START, **start})
    assert (status, body["field"]) == (400, field)
    status, _ = await call("GET", ns(base_url) + "/workflows/wf-1")
    assert status == 404


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (
            {
                "type": "ScheduleActivityTask",
                "activity_id": "a",
                "activity_type": "t",
                "start_to_close_timeout": FOREVER,
            },
            "commands.0.start_to_close_timeout",
        ),
        (
            {"type": "ScheduleActivityTask", "activity_id": "a", "activity_type": "t", "heartbeat_timeout": FOREVER},
            "commands.0.heartbeat_timeout",
        ),
        ({"type": "StartTimer", "timer_id": "t", "start_to_fire_timeout": FOREVER}, "commands.0.start_to_fire_timeout"),
        (
            activity(start_to_close_timeout=5, retry_policy={"maximum_interval": FOREVER}),
            "commands.0.retry_policy.maximum_interval",
        ),
    ],
)
async def test_a_command_with_a_duration_out_of_bounds_is_refused_naming_it_and_history_stays(
    base_url: str, command: dict[str, Any], field: str
) -> None:
    task = await start_and_poll(base_url)
    before = await events(base_url)
    complete = {"task_token": task["task_token"], "commands": [command]}
    status, body = await call("POST", ns(base_url) + "/workflow-tasks/complete", complete)
    assert (status, body["field"]) == (400, field)
    assert await events(base_url) == before


async def test_an_activity_failure_asking_for_a_retry_past_any_bound_is_refused(base_url: str) -> None:
    token = tokens.encode(tokens.ActivityTaskToken("00000000-0000-0000-0000-000000000000", 5, 1))
    failure = {"message": "later", "next_retry_delay": FOREVER}
    status, body = await call("POST", ns(base_url) + "/activity-tasks/fail", {"task_token": token, "failure": failure})
    assert (status, body["field"]) == (400, "failure.next_retry_delay")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/workflows", {**START, "workflow_id": "a\u0000b"}, "workflow_id"),
        ("/workflows", {**START, "task_queue": "q\u0000"}, "task_queue"),
        ("/workflows", {**START, "identity": "me\u0000"}, "identity"),
        ("/workflows", {**START, "request_id": "\u0000"}, "request_id"),
        ("/task-queues/orders/workflow-tasks/poll", {"identity": "w\u0000", "wait": 0}, "identity"),
        ("/workflows/wf%00/signal", {"signal_name": "go"}, "workflow_id"),
        ("/workflows/wf-1/signal", {"signal_name": "g\u0000o"}, "signal_name"),
    ],
)
async def test_a_name_with_u0000_is_refused_naming_it(base_url: str, path: str, body: Any, field: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    status, answer = await call("POST", ns(base_url) + path, body)
    assert (status, answer["field"]) == (400, field)


async def test_a_namespace_with_u0000_is_refused(base_url: str) -> None:
    status, answer = await call("POST", base_url + "/api/v1/namespaces/a%00b/workflows", START)
    assert (status, answer["field"]) == (400, "namespace")


async def test_payloads_and_messages_with_u0000_are_stored_and_read_back_unchanged(base_url: str) -> None:
    odd = "a\u0000b\u001b0\u001b\u001b"
    # Payload data is bytes (base64 on the wire); the texts around it are stored as text.
    task = await start_and_poll(base_url, args=[wire(odd), wire({odd: [odd]})])
    failure = {"message": odd, "details": [wire(odd)], "stack_trace": odd}
    command = {"type": "FailWorkflowExecution", "failure": failure}
    status, _ = await call(
        "POST", ns(base_url) + "/workflow-tasks/complete", {"task_token": task["task_token"], "commands": [command]}
    )
    assert status == 200
    history = await events(base_url)
    assert [plain(p) for p in history[0]["attributes"]["input"]] == [odd, {odd: [odd]}]
    assert history[-1]["attributes"]["failure"]["message"] == odd
    status, outcome = await call("GET", ns(base_url) + "/workflows/wf-1/result")
    assert (status, [plain(p) for p in outcome["failure"]["details"]]) == (200, [odd])
    assert outcome["failure"]["stack_trace"] == odd


async def test_a_run_id_in_any_form_python_reads_names_the_same_run(base_url: str) -> None:
    status, started = await call("POST", ns(base_url) + "/workflows", START)
    run_id = started["run_id"]
    for form in (run_id, "{" + run_id + "}", "urn:uuid:" + run_id, run_id.upper().replace("-", "")):
        status, described = await call("GET", ns(base_url) + f"/workflows/wf-1?run_id={form}")
        assert (status, described["run_id"]) == (200, run_id)
    status, answer = await call("GET", ns(base_url) + "/workflows/wf-1?run_id=not-a-uuid")
    assert (status, answer["field"]) == (400, "run_id")


def _raw_token(fields: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "fields",
    [
        ["a", "not-a-uuid", 5, 1],
        ["a", "{00000000-0000-0000-0000-000000000000}", 5, 1],
        ["a", "00000000-0000-0000-0000-000000000000", True, 1],
        ["a", "00000000-0000-0000-0000-000000000000", 5, 2**40],
        ["w", "00000000-0000-0000-0000-000000000000", 1, 2, 1.5],
    ],
)
async def test_a_task_token_the_server_never_issued_gets_400(base_url: str, fields: list[Any]) -> None:
    path = "/activity-tasks/complete" if fields[0] == "a" else "/workflow-tasks/complete"
    status, answer = await call("POST", ns(base_url) + path, {"task_token": _raw_token(fields)})
    assert (status, answer["field"]) == (400, "task_token")


async def test_a_page_token_past_the_last_possible_event_gets_400(base_url: str) -> None:
    await call("POST", ns(base_url) + "/workflows", START)
    token = base64.urlsafe_b64encode(f"e{2**40}".encode()).decode()
    status, answer = await call("GET", ns(base_url) + f"/workflows/wf-1/history?page_token={token}")
    assert (status, answer["field"]) == (400, "page_token")
