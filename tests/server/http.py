"""Raw HTTP calls to a server in the test's loop, for tests that send what the SDK never would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from legato_operator.main import process

# The payload limit the API tests' server runs with: small, so going over it is cheap.
LIMIT = 1024
START = {"workflow_id": "wf-1", "workflow_type": "Orders", "task_queue": "orders"}


async def serve(pg_dsn: str) -> AsyncIterator[str]:
    """A server on the test's database (payload limit ``LIMIT``); yields its base URL."""
    options = process.Options(database_url=pg_dsn, port=0, max_payload_bytes=LIMIT)
    async with process.serve(options) as serving:
        yield f"http://{serving.address}"


async def call(method: str, url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    """One call; (status, the JSON answer or the text)."""
    async with aiohttp.ClientSession() as session:
        kwargs: dict[str, Any] = {"data": raw} if raw is not None else {"json": body}
        async with session.request(method, url, **kwargs) as response:
            text = await response.text()
            is_json = response.content_type == "application/json" and text
            return response.status, (await response.json() if is_json else text)


def ns(base: str) -> str:
    """The API root of the default namespace."""
    return base + "/api/v1/namespaces/default"
