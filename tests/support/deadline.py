"""Waiting for an effect with a deadline, instead of sleeping and hoping.

`eventually` is how a test waits: it calls a check until the check returns something
truthy and returns that, or fails naming what it waited for once the deadline has passed.
`wait_until` is its blocking twin, for code with no event loop to yield to: starting a
subprocess from a sync fixture, or a sync test that polls kubectl.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

# Often enough that a test waits little past the effect, seldom enough to leave the CPU to
# what it waits for.
INTERVAL = 0.05


class DeadlineExceeded(AssertionError):
    """The effect did not happen in time; the message names what was awaited."""


class _Deadline:
    """The moment ``within`` seconds from now, and the failure that names ``what``."""

    def __init__(self, within: float, what: str) -> None:
        self.within = within
        self.what = what
        self._at = time.monotonic() + within

    def raise_if_passed(self) -> None:
        if time.monotonic() > self._at:
            raise DeadlineExceeded(f"timed out after {self.within}s waiting for {self.what}")


@overload
async def eventually(
    check: Callable[[], Awaitable[T | None]], *, within: float, what: str, interval: float = INTERVAL
) -> T: ...


@overload
async def eventually(check: Callable[[], T | None], *, within: float, what: str, interval: float = INTERVAL) -> T: ...


async def eventually(check: Callable[[], Any], *, within: float, what: str, interval: float = INTERVAL) -> Any:
    """Call ``check`` until it returns something truthy, awaiting what it returns if awaitable.

    Args:
        check: A function returning the effect (or None while there is none yet), or a
            coroutine function doing so: ``lambda: rt.hub.watched > 0`` or ``fetch_status``.
        within: Seconds until the deadline.
        what: What is awaited, for the failure message.
        interval: Seconds between calls.

    Returns:
        The first truthy value ``check`` returned.

    Raises:
        DeadlineExceeded: Nothing truthy came within ``within`` seconds.
    """
    deadline = _Deadline(within, what)
    while True:
        value = check()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        deadline.raise_if_passed()
        await asyncio.sleep(interval)


def wait_until(check: Callable[[], T | None], *, within: float, what: str, interval: float = INTERVAL) -> T:
    """`eventually` for sync code: call ``check`` until truthy, blocking the thread in between.

    Raises:
        DeadlineExceeded: Nothing truthy came within ``within`` seconds.
    """
    deadline = _Deadline(within, what)
    while True:
        value = check()
        if value:
            return value
        deadline.raise_if_passed()
        time.sleep(interval)
