"""The process's one LISTEN connection: turns NOTIFY payloads into in-process wake-ups.

Replicas wake each other's long polls and timer loops through Postgres alone. When the
connection drops, the listener reconnects and calls ``on_reconnect`` so every waiter
re-checks the database (it may have missed a notification meanwhile). Its failures to
reconnect are reported to the process's ``Outage``, which logs an outage once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from legato_operator.store import availability, db

log = logging.getLogger(__name__)


class Listener:
    """LISTEN on the channel; call ``on_notify(payload)`` for each notification."""

    def __init__(
        self,
        dsn: str,
        on_notify: Callable[[str], None],
        on_reconnect: Callable[[], None],
        outage: availability.Outage | None = None,
    ) -> None:
        self._dsn = dsn
        self._on_notify = on_notify
        self._on_reconnect = on_reconnect
        self._outage = outage or availability.Outage()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        """Connect (waiting for the first connection) and keep reconnecting in the background."""
        self._task = asyncio.create_task(self._run(), name="legato-listener")
        await asyncio.wait_for(self.connected.wait(), timeout=30)

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._listen_until_lost()
                delay = 0.1
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
                if db.is_unavailable(e):
                    self._outage.failed(e, "the LISTEN connection")
                else:
                    log.warning("LISTEN connection failed (%s); retrying in %.1fs", e, delay)
            self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _listen_until_lost(self) -> None:
        lost = asyncio.Event()
        conn = await asyncpg.connect(self._dsn)
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            await conn.add_listener(db.CHANNEL, self._deliver)
            self.connected.set()
            self._outage.recovered("the LISTEN connection")
            # Anything notified while we were away is unknown: every waiter re-checks.
            self._on_reconnect()
            await lost.wait()
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    def _deliver(self, _conn: db.Connection, _pid: int, _channel: str, payload: object) -> None:
        # A NOTIFY payload is always text; asyncpg's callback type just does not say so.
        self._on_notify(str(payload))
