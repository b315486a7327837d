"""The operator's own metrics on /metrics: HTTP calls by operation and status, process metrics.

A real server in the test's loop, with a stub authenticator so that a refused call can be
made; the registry is the process's, shared by every test, so each test compares what
/metrics says before and after its own calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from legato_operator.api import app, auth, http_metrics
from legato_operator.engine.services import runner
from legato_operator.main import process
from tests.server.http import START

TOKEN = "metrics-test-token-0123456789"
REQUESTS = "legato_http_requests_total"


class OneToken:
    """Accepts `TOKEN`, acting in every namespace."""

    async def authenticate(self, token: str) -> auth.Principal | None:
        return auth.Principal("tester", None) if token == TOKEN else None


@pytest.fixture
async def base_url(pg_dsn: str) -> AsyncIterator[str]:
    options = process.Options(database_url=pg_dsn, port=0, authenticator=OneToken(), namespaces=("default",))
    async with process.serve(options) as serving:
        yield f"http://{serving.address}"


async def scrape(base_url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, by name and labels."""
    async with aiohttp.ClientSession() as session, session.get(base_url + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def requests(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], operation: str, status: int) -> float:
    return samples.get((REQUESTS, frozenset({("operation", operation), ("status", str(status))})), 0.0)


async def call(method: str, url: str, body: object = None, *, token: str | None = TOKEN) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as session, session.request(method, url, json=body, headers=headers) as r:
        await r.read()
        return r.status


async def test_api_calls_are_counted_by_operation_and_status_including_refused_ones(base_url: str) -> None:
    ns = base_url + "/api/v1/namespaces/default"
    before = await scrape(base_url)
    assert await call("POST", ns + "/workflows", START) == 200
    assert await call("GET", ns + "/workflows/no-such-run") == 404
    assert await call("POST", ns + "/workflows", {"workflow_id": "w", "workflow_type": "T"}) == 400
    assert await call("GET", ns + "/workflows/wf-1", token=None) == 401
    assert await call("POST", ns + "/task-queues/idle/workflow-tasks/poll", {"wait": 0.1}) == 204
    after = await scrape(base_url)
    expected = {
        ("start_workflow", 200): 1,
        ("describe_workflow", 404): 1,
        ("start_workflow", 400): 1,
        ("describe_workflow", 401): 1,
        ("poll_workflow_task", 204): 1,
    }
    counted = {key: requests(after, *key) - requests(before, *key) for key in expected}
    assert counted == expected


async def test_other_paths_are_counted_under_fixed_names_never_the_raw_path(base_url: str) -> None:
    before = await scrape(base_url)
    assert await call("GET", base_url + "/healthz", token=None) == 200
    assert await call("GET", base_url + "/no/such/path/wf-secret-id") == 404
    assert await call("GET", base_url + "/ui/", token=None) == 200
    after = await scrape(base_url)
    assert requests(after, "healthz", 200) - requests(before, "healthz", 200) == 1
    assert requests(after, "unmatched", 404) - requests(before, "unmatched", 404) == 1
    assert requests(after, "ui", 200) - requests(before, "ui", 200) == 1
    # The first scrape itself was counted by the time of the second.
    assert requests(after, "metrics", 200) >= 1
    operations = {dict(labels)["operation"] for name, labels in after if name == REQUESTS}
    assert not [op for op in operations if "/" in op or "wf-" in op]


async def test_latency_is_a_histogram_reaching_past_a_long_poll(base_url: str) -> None:
    await call("GET", base_url + "/healthz", token=None)
    samples = await scrape(base_url)
    bounds = {
        dict(labels)["le"]
        for name, labels in samples
        if name == "legato_http_request_duration_seconds_bucket" and dict(labels)["operation"] == "healthz"
    }
    assert {"60.0", "+Inf"} <= bounds


async def test_process_metrics_and_store_availability_are_exported(base_url: str) -> None:
    names = {name for name, _labels in await scrape(base_url)}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"} <= names
    assert "python_gc_collections_total" in names
    assert ("legato_store_available", frozenset()) in await scrape(base_url)


def test_every_route_of_the_app_is_counted_under_a_known_name(rt: runner.Runtime) -> None:
    routes = app.create(rt).router.routes()
    unnamed = [str(route) for route in routes if http_metrics.route_name(route) == http_metrics.UNMATCHED]
    assert not unnamed
