"""The per-test server process and its client, shared by the end-to-end and browser tests.

A test module may set ``SERVER_ARGS`` (more ``legato-operator run`` flags) and ``TOKENS``
(tokens-file entries, which turn authentication on; the client uses the first).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from legato.client import Client
from tests.support.server_process import ServerProcess


@pytest.fixture
def server(pg_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A started server process on this test's own database, as its module configures it."""
    tokens: list[dict[str, Any]] = list(getattr(request.module, "TOKENS", ()))
    extra: tuple[str, ...] = tuple(getattr(request.module, "SERVER_ARGS", ()))
    if tokens:
        path = tmp_path / "tokens.json"
        path.write_text(json.dumps({"tokens": tokens}))
        extra += ("--auth", "tokens", "--tokens-file", str(path))
    proc = ServerProcess(dsn=pg_dsn, log_path=tmp_path / "server.log", extra_args=extra)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def client(server: ServerProcess, request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    """A client of the server, with the module's first token when it has ``TOKENS``."""
    tokens = getattr(request.module, "TOKENS", ())
    c = await Client.connect(server.address, api_key=tokens[0]["token"] if tokens else None)
    yield c
    with contextlib.suppress(Exception):
        await c.close()
