"""Fixtures of the end-to-end tests: a server process per test, on its own database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from legato.client import Client
from tests.support.server_process import ServerProcess


@pytest.fixture
def server(pg_dsn: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A started server process on this test's own database, with the test module's
    ``SERVER_ARGS`` (more ``legato-operator run`` flags) if it has any."""
    extra = tuple(getattr(request.module, "SERVER_ARGS", ()))
    proc = ServerProcess(dsn=pg_dsn, log_path=tmp_path / "server.log", extra_args=extra)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[Client]:
    c = await Client.connect(server.address)
    yield c
    with contextlib.suppress(Exception):
        await c.close()
