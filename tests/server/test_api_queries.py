"""Queries through the HTTP API, as a client and a worker speak it: the query waits for a
poll to take it, the answer comes back, nothing is stored; bad input is refused by field."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from legato_operator.engine.rules import queries
from tests.server import http
from tests.server.http import START, call, ns
from tests.support.payloads import plain, wire

POLL = "/task-queues/orders/workflow-tasks/poll"
RESPOND = "/query-tasks/respond"
QUERY = "/workflows/wf-1/query"


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    async for url in http.serve(pg_dsn):
        yield url


async def started_with_one_completed_task(base_url: str) -> None:
    assert (await call("POST", ns(base_url) + "/workflows", START))[0] == 200
    status, task = await call("POST", ns(base_url) + POLL, {"wait": 5})
    assert status == 200
    assert (await call("POST", ns(base_url) + "/workflow-tasks/complete", {"task_token": task["task_token"]}))[0] == 200


async def history_length(base_url: str) -> int:
    status, page = await call("GET", ns(base_url) + "/workflows/wf-1/history")
    assert status == 200
    return len(page["events"])


async def test_a_query_is_handed_to_a_poll_and_its_answer_returned_without_touching_history(base_url: str) -> None:
    await started_with_one_completed_task(base_url)
    before = await history_length(base_url)
    asked = asyncio.create_task(call("POST", ns(base_url) + QUERY, {"query_type": "count", "args": [wire(2)]}))
    status, task = await call("POST", ns(base_url) + POLL, {"wait": 5})
    assert status == 200
    assert task["query"]["query_type"] == "count"
    assert [plain(p) for p in task["query"]["args"]] == [2]
    assert (task["history"], task["first_event_id"]) == ([], 4)
    answer = {"task_token": task["task_token"], "result": wire(42)}
    assert (await call("POST", ns(base_url) + RESPOND, answer))[0] == 200
    status, body = await asked
    assert status == 200
    assert plain(body["result"]) == 42
    assert await history_length(base_url) == before
    # Answered and forgotten: a second answer finds nobody waiting.
    assert (await call("POST", ns(base_url) + RESPOND, answer))[0] == 410


async def test_a_query_nobody_takes_answers_504_in_its_timeout_and_is_forgotten(base_url: str) -> None:
    await started_with_one_completed_task(base_url)
    status, body = await call("POST", ns(base_url) + QUERY, {"query_type": "count", "timeout": 0.3})
    assert (status, body["error"]) == (504, "DeadlineExceeded")
    assert "no worker of task queue 'orders'" in body["message"]
    status, _ = await call("POST", ns(base_url) + POLL, {"wait": 0})
    assert status == 204


async def test_a_query_waits_for_the_runs_outstanding_workflow_task(base_url: str) -> None:
    assert (await call("POST", ns(base_url) + "/workflows", START))[0] == 200
    asked = asyncio.create_task(call("POST", ns(base_url) + QUERY, {"query_type": "count"}))
    status, task = await call("POST", ns(base_url) + POLL, {"wait": 5})
    assert (status, task["query"]) == (200, None)
    assert (await call("POST", ns(base_url) + "/workflow-tasks/complete", {"task_token": task["task_token"]}))[0] == 200
    status, query_task = await call("POST", ns(base_url) + POLL, {"wait": 5})
    assert query_task["query"]["query_type"] == "count"
    failure = {"message": "Query handler for 'count' expected but not found, known queries: []"}
    assert (await call("POST", ns(base_url) + RESPOND, {"task_token": query_task["task_token"], "failure": failure}))[
        0
    ] == 200
    status, body = await asked
    assert (status, body["failure"]["message"]) == (200, failure["message"])


async def test_a_closed_run_is_rejected_by_not_open_with_its_status(base_url: str) -> None:
    await started_with_one_completed_task(base_url)
    assert (await call("POST", ns(base_url) + "/workflows/wf-1/terminate", {}))[0] == 200
    status, body = await call("POST", ns(base_url) + QUERY, {"query_type": "count", "reject_condition": "NOT_OPEN"})
    assert (status, body) == (200, {"result": None, "failure": None, "rejected": "TERMINATED"})


@pytest.mark.parametrize(
    ("request_body", "field"),
    [
        ({"query_type": "count", "reject_condition": "SOMETIMES"}, "reject_condition"),
        ({"query_type": "count", "timeout": 0}, "timeout"),
        ({"query_type": "count", "timeout": 61}, "timeout"),
        ({"query_type": ""}, "query_type"),
        ({}, "query_type"),
    ],
)
async def test_a_bad_query_is_refused_naming_the_field(base_url: str, request_body: dict[str, Any], field: str) -> None:
    await started_with_one_completed_task(base_url)
    status, body = await call("POST", ns(base_url) + QUERY, request_body)
    assert (status, body["field"]) == (400, field)
    status, _ = await call("POST", ns(base_url) + POLL, {"wait": 0})
    assert status == 204


async def test_an_answer_with_a_token_that_is_not_a_query_tokens_is_refused(base_url: str) -> None:
    status, body = await call("POST", ns(base_url) + RESPOND, {"task_token": "nonsense"})
    assert (status, body["field"]) == (400, "task_token")
    unknown = queries.encode_token("5b0c8f0e-5f0e-4d0a-9a53-0b1a7d9f2c11")
    status, body = await call("POST", ns(base_url) + RESPOND, {"task_token": unknown})
    assert (status, body["error"]) == (410, "TaskNotFound")


async def test_a_query_of_an_unknown_workflow_is_not_found(base_url: str) -> None:
    status, body = await call("POST", ns(base_url) + QUERY, {"query_type": "count"})
    assert (status, body["error"]) == (404, "NotFound")
