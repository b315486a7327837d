"""In-process wake-ups: long polls, result waits and the timer loop wait on keys.

A key is woken by this process after its own commits and by the LISTEN connection for
other replicas' NOTIFYs. A waiter takes its future *before* checking the database, so a
wake-up between the check and the wait is never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator

TIMERS = "timers"


def task_key(namespace: str, task_queue: str, kind: str) -> str:
    """Key woken when a task of this queue and kind becomes ready."""
    return "task " + json.dumps([namespace, task_queue, kind], separators=(",", ":"))


def closed_key(run_id: str) -> str:
    """Key woken when a run closes."""
    return "closed " + run_id


class _Slot:
    """One key's future and how many waiters hold it (the slot goes when none do)."""

    def __init__(self) -> None:
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.holders = 0


class Hub:
    """Futures per key, resolved by ``wake``; a woken key gets a fresh future next time."""

    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}

    @contextlib.contextmanager
    def watching(self, key: str) -> Iterator[asyncio.Future[None]]:
        """The future the next ``wake(key)`` resolves, held for the block.

        Enter before checking the database and wait after: a wake in between still counts.
        """
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.holders += 1
        try:
            yield slot.future
        finally:
            slot.holders -= 1
            # Nobody waits any more: drop the slot so idle keys cost nothing.
            if slot.holders == 0 and self._slots.get(key) is slot:
                del self._slots[key]

    def wake(self, key: str) -> None:
        """Resolve the key's future, if anyone waits on it; later waiters get a new one."""
        slot = self._slots.pop(key, None)
        if slot is not None and not slot.future.done():
            slot.future.set_result(None)

    def wake_all(self) -> None:
        """Wake every waiter (after a lost LISTEN connection, anything may have changed)."""
        for key in list(self._slots):
            self.wake(key)

    @property
    def watched(self) -> int:
        """How many keys have waiters (for tests: idle keys must not pile up)."""
        return len(self._slots)


async def wait(future: asyncio.Future[None], timeout: float) -> bool:  # noqa: ASYNC109 - a deadline, not a cancel scope
    """Wait for ``future`` at most ``timeout`` seconds; True if it was woken."""
    if future.done():
        return True
    if timeout <= 0:
        return False
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return False
    return True
