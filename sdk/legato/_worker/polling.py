"""Long-poll loops: take a slot, poll, hand the task to a handler, poll again.

A poller only polls while a slot is free, so the worker never takes a task it has no room
to run. ``204`` means nothing came within the wait. A transient error (``legato._retry``:
the server restarting, its database down) backs off and tries again for as long as it
lasts, so a worker outlives its server; the first failure logs a warning and the first
poll that succeeds after it an info line, not one line per try. Any other error is
logged each time and polled again at the longest backoff: the worker keeps going.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from legato import _retry
from legato.exceptions import RPCError
from legato.service import RetryConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")

# No limit on tries or time, as Temporal's core SDK polls (it waits up to 10 s between
# tries; 5 s here, as before).
POLL_RETRY = RetryConfig(
    initial_interval_millis=200, multiplier=2.0, max_interval_millis=5000, max_elapsed_time_millis=None, max_retries=0
)
_LONGEST_WAIT = POLL_RETRY.max_interval_millis / 1000


class Slots:
    """A poller's task slots: a poll waits for a free one; a task that an answer brings
    (eager dispatch) takes one only if one is free, without waiting — which
    ``asyncio.Semaphore`` cannot do."""

    def __init__(self, count: int) -> None:
        self._free = count
        self._released = asyncio.Event()

    def try_acquire(self) -> bool:
        """Take a slot if one is free."""
        if self._free == 0:
            return False
        self._free -= 1
        return True

    async def acquire(self) -> None:
        """Take a slot, waiting for one to be released."""
        while not self.try_acquire():
            # Nothing is free as of now: only a later release may wake us (no await in between).
            self._released.clear()
            await self._released.wait()

    def release(self) -> None:
        """Give a slot back; every waiter tries again, one gets it."""
        self._free += 1
        self._released.set()


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
        self._slots = Slots(slots)
        self._pollers = max(1, min(pollers, slots))
        self._poll_tasks: list[asyncio.Task[None]] = []
        self.running: set[asyncio.Task[None]] = set()
        # When polls began to fail (shared by this poller's loops: one warning per outage).
        self._failing_since: float | None = None

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
        backoff: _retry.Backoff | None = None
        while True:
            await self._slots.acquire()
            try:
                task = await self._poll()
            except RPCError as e:
                self._slots.release()
                backoff = backoff or _retry.Backoff(POLL_RETRY)
                await asyncio.sleep(self._failed(e, backoff))
                continue
            except BaseException:
                self._slots.release()
                raise
            if backoff is not None:
                backoff = None
                self._recovered()
            if task is None:
                self._slots.release()
                continue
            self._spawn(task)

    def _failed(self, error: RPCError, backoff: _retry.Backoff) -> float:
        """Log a failed poll (once per outage when transient); the seconds to wait."""
        if not _retry.is_retryable(error, idempotent=True):
            logger.error("%s poll failed: %s; polling again in %.0fs", self._name, error.message, _LONGEST_WAIT)
            return _LONGEST_WAIT
        delay = backoff.next_delay() or _LONGEST_WAIT
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            logger.warning("%s poll failed: %s; retrying until the server answers", self._name, error.message)
        else:
            logger.debug("%s poll failed again: %s; retrying in %.1fs", self._name, error.message, delay)
        return delay

    def _recovered(self) -> None:
        if self._failing_since is not None:
            lasted = time.monotonic() - self._failing_since
            self._failing_since = None
            logger.info("%s polls reach the server again, after %.1fs", self._name, lasted)

    def try_reserve(self) -> bool:
        """Take a free slot without waiting, for a task that an answer may bring back."""
        return self._slots.try_acquire()

    def release(self) -> None:
        """Give back a reserved slot that no task came for."""
        self._slots.release()

    def run_reserved(self, task: T) -> None:
        """Run ``task`` in a slot reserved for it; the slot is freed when it is done."""
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
