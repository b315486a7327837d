"""Long-poll loops: take a slot, poll, hand the task to a handler, poll again.

A poller only polls while a slot is free, so the worker never takes a task it has no room
to run. ``204`` means nothing came within the wait; a connection error (the server is
restarting) backs off briefly and tries again, so a worker outlives its server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from legato.exceptions import RPCError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_BACKOFF_START = 0.2
_BACKOFF_MAX = 5.0


class Poller(Generic[T]):
    """Runs ``pollers`` concurrent poll loops feeding ``handle``, at most ``slots`` at once."""

    def __init__(
        self,
        *,
        name: str,
        poll: Callable[[], Awaitable[T | None]],
        handle: Callable[[T], Awaitable[None]],
        slots: int,
        pollers: int,
    ) -> None:
        self._name = name
        self._poll = poll
        self._handle = handle
        self._slots = asyncio.Semaphore(slots)
        self._pollers = max(1, min(pollers, slots))
        self._poll_tasks: list[asyncio.Task[None]] = []
        self.running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        """Start the poll loops."""
        self._poll_tasks = [
            asyncio.create_task(self._loop(), name=f"{self._name} poller {i}") for i in range(self._pollers)
        ]

    async def stop_polling(self) -> None:
        """Stop the poll loops (an open long poll is abandoned; the server keeps its task)."""
        for task in self._poll_tasks:
            task.cancel()
        await asyncio.gather(*self._poll_tasks, return_exceptions=True)
        self._poll_tasks = []

    async def wait_running(self) -> None:
        """Wait for the handlers already running."""
        await asyncio.gather(*self.running, return_exceptions=True)

    async def _loop(self) -> None:
        backoff = _BACKOFF_START
        while True:
            await self._slots.acquire()
            try:
                task = await self._poll()
            except RPCError as e:
                self._slots.release()
                logger.warning("%s poll failed: %s; retrying in %.1fs", self._name, e.message, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX)
                continue
            except BaseException:
                self._slots.release()
                raise
            backoff = _BACKOFF_START
            if task is None:
                self._slots.release()
                continue
            self._spawn(task)

    def _spawn(self, task: T) -> None:
        handler = asyncio.create_task(self._run_handler(task), name=f"{self._name} handler")
        self.running.add(handler)
        handler.add_done_callback(self.running.discard)

    async def _run_handler(self, task: T) -> None:
        try:
            await self._handle(task)
        # A handler's own failure must not end the worker; the server retries the task.
        except Exception:
            logger.exception("%s task handler failed", self._name)
        finally:
            self._slots.release()
