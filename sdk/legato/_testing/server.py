"""The in-process server that ``start_local`` and ``start_time_skipping`` run.

It lives in the ``legato-operator`` package, which the SDK must not import: the SDK finds
its starter through the ``legato.testing`` entry point named ``server``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from importlib import metadata
from typing import Protocol


class EmbeddedServer(Protocol):
    """A started server: its ``host:port``, and how to stop it (and its Postgres)."""

    address: str

    def stop(self) -> None:
        """Stop the server and remove what it made; blocking."""


class _Starter(Protocol):
    def __call__(
        self, *, time_skipping: bool, ip: str, port: int | None, namespaces: Sequence[str]
    ) -> EmbeddedServer: ...


async def start(
    *, time_skipping: bool, ip: str = "127.0.0.1", port: int | None = None, namespaces: Sequence[str] = ()
) -> EmbeddedServer:
    """Start a server with its own Postgres; starting blocks, so it runs in a thread."""
    starter = _starter()
    return await asyncio.to_thread(starter, time_skipping=time_skipping, ip=ip, port=port, namespaces=namespaces)


async def stop(server: EmbeddedServer) -> None:
    """Stop ``server`` without blocking the event loop."""
    await asyncio.to_thread(server.stop)


def _starter() -> _Starter:
    found = metadata.entry_points(group="legato.testing", name="server")
    for entry_point in found:
        starter: _Starter = entry_point.load()
        return starter
    raise RuntimeError(
        "WorkflowEnvironment.start_local() and start_time_skipping() run a Legato server in this "
        "process, which needs the legato-operator package: pip install legato-operator"
    )
