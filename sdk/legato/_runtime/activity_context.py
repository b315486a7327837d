"""The context a running activity sees: its info, its heartbeat channel, its cancellation.

The worker (or ``legato.testing.ActivityEnvironment``) sets it in a context variable
before calling the activity; a thread-pool activity gets it through the copied context,
so ``activity.info()`` and ``activity.heartbeat()`` work from sync activities too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .info import ActivityInfo
from .thread_cancel import ThreadRaiser


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why the activity was cancelled (temporalio's fields); set once, never changed."""

    not_found: bool = False
    cancel_requested: bool = False
    paused: bool = False
    reset: bool = False
    timed_out: bool = False
    worker_shutdown: bool = False


class CompositeEvent:
    """An event that sync code waits on as a ``threading.Event`` and async code on the
    activity's loop; set from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._thread_event = threading.Event()
        self._loop = loop
        self._async_event = asyncio.Event() if loop is not None else None

    def set(self) -> None:
        """Set both events; the async one on its loop."""
        self._thread_event.set()
        if self._loop is None or self._async_event is None:
            return
        # A closed loop raises RuntimeError: nobody can be waiting on it any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._async_event.set)

    def is_set(self) -> bool:
        """Whether it was set."""
        return self._thread_event.is_set()

    async def wait(self) -> None:
        """Wait on the activity's loop.

        Raises:
            RuntimeError: The activity is not async.
        """
        if self._async_event is None:
            raise RuntimeError("not in async activity")
        await self._async_event.wait()

    def wait_sync(self, timeout: float | None = None) -> None:
        """Block the calling thread until set, or until ``timeout`` seconds passed."""
        self._thread_event.wait(timeout)


def _loop_or_none() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass
class ActivityContext:
    """What ``legato.activity`` functions read.

    Attributes:
        info: The attempt's information.
        heartbeat: Records heartbeat details; the worker sends them, throttled.
        cancelled: Set when the server asked for cancellation (seen in a heartbeat answer).
        worker_shutdown: Set when the worker began to shut down.
        cancellation_details: Why it was cancelled, once it was.
        client: The worker's client (async activities only), or None.
        payload_converter: The converter of the worker's data converter.
        metric_meter: What ``activity.metric_meter()`` returns.
        raiser: Raises cancellation into a sync activity's thread, or None.
        outbound: The activity outbound interceptor chain that ``activity.info()`` and
            ``activity.heartbeat()`` go through, when the worker has interceptors.
    """

    info: ActivityInfo
    heartbeat: Callable[[Sequence[Any]], None]
    cancelled: CompositeEvent = field(default_factory=lambda: CompositeEvent(_loop_or_none()))
    worker_shutdown: CompositeEvent = field(default_factory=lambda: CompositeEvent(_loop_or_none()))
    cancellation_details: ActivityCancellationDetails | None = None
    client: Any = None
    payload_converter: Any = None
    metric_meter: Any = None
    raiser: ThreadRaiser | None = None
    outbound: Any = None

    def cancel(self, details: ActivityCancellationDetails) -> None:
        """Record why (the first reason stays) and set ``cancelled``."""
        if self.cancellation_details is None:
            self.cancellation_details = details
        self.cancelled.set()


class CompleteAsyncError(BaseException):
    """Raised by ``activity.raise_complete_async()``; a BaseException so that ``except
    Exception`` in activity code does not swallow it."""


_current: contextvars.ContextVar[ActivityContext] = contextvars.ContextVar("legato_activity_context")


def current() -> ActivityContext:
    """The running activity's context.

    Raises:
        RuntimeError: Not called from an activity.
    """
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("Not in activity context") from None


def maybe_current() -> ActivityContext | None:
    """The running activity's context, or None outside an activity."""
    return _current.get(None)


@contextmanager
def bound(context: ActivityContext) -> Iterator[None]:
    """Make ``context`` the current activity context for the duration."""
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)
