"""The context a running activity sees: its info, its heartbeat channel, its cancellation.

The worker sets it in a context variable before calling the activity; a thread-pool
activity gets it through the copied context, so ``activity.info()`` and
``activity.heartbeat()`` work from sync activities too.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .info import ActivityInfo


@dataclass
class ActivityContext:
    """What ``legato.activity`` functions read.

    Attributes:
        info: The attempt's information.
        heartbeat: Records heartbeat details; the worker sends them, throttled.
        cancelled: Set when the server asked for cancellation (seen in a heartbeat answer).
        outbound: The activity outbound interceptor chain that ``activity.info()`` and
            ``activity.heartbeat()`` go through, when the worker has interceptors.
    """

    info: ActivityInfo
    heartbeat: Callable[[Sequence[Any]], None]
    cancelled: threading.Event = field(default_factory=threading.Event)
    outbound: Any = None


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
