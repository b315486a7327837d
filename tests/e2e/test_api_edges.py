"""Bad input at the API's edge: a clear 4xx naming the field, and nothing stored changes."""

from __future__ import annotations

import pytest

from tests.support.payloads import wire
from tests.support.server_process import ServerProcess, http_json

pytestmark = pytest.mark.e2e


async def test_start_without_task_queue_gets_400_naming_the_field_and_stores_nothing(
    server: ServerProcess,
) -> None:
    url = f"{server.url}/api/v1/namespaces/default/workflows"
    status, body = await http_json("POST", url, {"workflow_id": "bad-1", "workflow_type": "Orders"})
    assert status == 400
    assert body["field"] == "task_queue"
    status, _ = await http_json("GET", f"{url}/bad-1")
    assert status == 404


async def test_start_with_oversized_args_gets_413_and_stores_nothing(server: ServerProcess) -> None:
    url = f"{server.url}/api/v1/namespaces/default/workflows"
    big = "x" * (2 * 1024 * 1024 + 1)
    request = {"workflow_id": "big-1", "workflow_type": "Orders", "task_queue": "q", "args": [wire(big)]}
    status, body = await http_json("POST", url, request)
    assert status == 413
    assert "args" in body["message"]
    status, _ = await http_json("GET", f"{url}/big-1")
    assert status == 404


async def test_openapi_document_lists_the_start_route(server: ServerProcess) -> None:
    status, body = await http_json("GET", f"{server.url}/openapi.json")
    assert status == 200
    assert "/api/v1/namespaces/{namespace}/workflows" in body["paths"]
    assert body["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
