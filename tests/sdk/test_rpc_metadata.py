"""rpc_metadata travels as HTTP headers: the client's on every call, a call's own over them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from legato.client import Client
from legato.exceptions import RPCError, RPCStatusCode


@pytest.fixture
async def recording_server() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A stand-in server that records each request's headers and answers 404 NotFound."""
    seen: list[dict[str, str]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response({"error": "NotFound", "message": "no such workflow"}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_client_and_call_metadata_are_sent_as_headers(recording_server: tuple[str, list[dict[str, str]]]) -> None:
    address, seen = recording_server
    async with await Client.connect(address, rpc_metadata={"x-team": "a", "x-env": "dev"}) as client:
        handle = client.get_workflow_handle("missing")
        with pytest.raises(RPCError) as refused:
            await handle.describe(rpc_metadata={"x-env": b"prod"})
        client.rpc_metadata = {"x-team": "b"}
        with pytest.raises(RPCError):
            await handle.cancel()
    assert refused.value.status is RPCStatusCode.NOT_FOUND
    assert (seen[0]["x-team"], seen[0]["x-env"]) == ("a", "prod")
    assert (seen[1]["x-team"], "x-env" in seen[1]) == ("b", False)
