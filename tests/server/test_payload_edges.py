"""Payloads from a raw HTTP client: opaque to the server, stored and returned byte for byte;
a value that is not a Payload gets a 400 naming the field, and nothing is stored."""

from __future__ import annotations

import base64
import json
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
    """POST ``body`` as it is, so the test controls every byte."""
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session, session.post(url, data=body.encode(), headers=headers) as r:
        return r.status, await r.json()


async def get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status, await r.json() if r.status == 200 else None


START = '{"workflow_id": "%s", "workflow_type": "Orders", "task_queue": "orders", "args": %s}'


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ('["plain json"]', "args.0"),
        ('[{"metadata": {}, "data": "not base64!"}]', "args.0.data"),
        ('[{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "", "extra": 1}]', "args.0.extra"),
    ],
)
async def test_a_start_whose_args_are_not_payloads_gets_400_naming_the_field_and_stores_nothing(
    ns: str, args: str, field: str
) -> None:
    status, body = await post(ns + "/workflows", START % ("bad-1", args))
    assert (status, body["error"], body["field"]) == (400, "InvalidArgument", field)
    assert (await get(ns + "/workflows/bad-1"))[0] == 404


async def test_payload_bytes_the_server_cannot_read_are_stored_and_returned_unchanged(ns: str) -> None:
    # What a codec might write: not JSON, not UTF-8, NaN-looking; none of the server's business.
    odd = b"\x00\xffNaN Infinity \x1b0"
    data = base64.b64encode(odd).decode()
    encoding = base64.b64encode(b"binary/encrypted").decode()
    sent = {"metadata": {"encoding": encoding, "key-id": "azE="}, "data": data}
    status, _ = await post(ns + "/workflows", START % ("odd-1", json.dumps([sent])))
    assert status == 200
    status, page = await get(ns + "/workflows/odd-1/history")
    assert page["events"][0]["attributes"]["input"] == [sent]
