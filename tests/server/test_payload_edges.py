"""Payloads JSON cannot carry, sent by a raw HTTP client: a 400 naming the field, nothing stored.

Python's and pydantic's JSON parsers accept ``NaN``, ``Infinity`` and numbers too large
for a float (``1e999`` becomes infinity); Postgres's jsonb refuses them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from legato_operator.main import process as server


@pytest.fixture
async def ns(pg_dsn: str) -> AsyncIterator[str]:
    async with server.serve(server.Options(database_url=pg_dsn, port=0)) as serving:
        yield f"http://{serving.address}/api/v1/namespaces/default"


async def post(url: str, body: str) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as it is: the literals under test are not JSON, so no encoder writes them."""
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.post(url, data=body.encode(), headers=headers) as r:
        return r.status, await r.json()


async def get(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status


START = '{"workflow_id": "%s", "workflow_type": "Orders", "task_queue": "orders", "args": %s}'


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ("[NaN]", "args.0"),
        ('["ok", {"total": Infinity}]', "args.1.total"),
        ('[{"deep": [1, -Infinity]}]', "args.0.deep.1"),
        ("[1e999]", "args.0"),
    ],
)
async def test_a_start_with_a_non_finite_number_gets_400_naming_it_and_stores_nothing(
    ns: str, args: str, field: str
) -> None:
    status, body = await post(ns + "/workflows", START % ("nan-1", args))
    assert (status, body["error"], body["field"]) == (400, "InvalidArgument", field)
    assert "NaN and Infinity" in body["message"]
    assert await get(ns + "/workflows/nan-1") == 404


async def test_strings_that_spell_nan_are_stored_as_they_are(ns: str) -> None:
    status, _ = await post(ns + "/workflows", START % ("nan-2", '["NaN", {"Infinity": 1}]'))
    assert status == 200
    async with aiohttp.ClientSession() as session, session.get(ns + "/workflows/nan-2/history") as r:
        events = (await r.json())["events"]
    assert events[0]["attributes"]["input"] == ["NaN", {"Infinity": 1}]


async def test_a_signal_with_nan_gets_400_and_the_history_does_not_change(ns: str) -> None:
    status, _ = await post(ns + "/workflows", START % ("nan-3", "[]"))
    assert status == 200
    status, body = await post(ns + "/workflows/nan-3/signal", '{"signal_name": "go", "args": [NaN]}')
    assert (status, body["field"]) == (400, "args.0")
    async with aiohttp.ClientSession() as session, session.get(ns + "/workflows/nan-3/history") as r:
        events = (await r.json())["events"]
    assert [e["attributes"]["type"] for e in events] == ["WorkflowExecutionStarted", "WorkflowTaskScheduled"]


async def test_a_failure_whose_details_hold_infinity_is_refused_before_its_token_is_read(ns: str) -> None:
    body = '{"task_token": "x", "failure": {"message": "m", "details": [Infinity]}}'
    status, answer = await post(ns + "/activity-tasks/fail", body)
    assert (status, answer["field"]) == (400, "failure.details.0")
