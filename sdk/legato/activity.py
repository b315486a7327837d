"""Writing activities, as ``temporalio.activity``: the decorator and what activity code calls.

Async activities run on the worker's event loop; sync ones run in the worker's thread
pool (its ``activity_executor``). Both see the same context: ``info()``, ``heartbeat()``,
``is_cancelled()`` and ``logger``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar, overload

from legato._runtime import activity_context, definitions
from legato._runtime.info import ActivityInfo as Info

__all__ = [
    "Info",
    "LoggerAdapter",
    "defn",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "logger",
]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(
    *, name: str | None = None, no_thread_cancel_exception: bool = False, dynamic: bool = False
) -> Callable[[CallableType], CallableType]: ...


def defn(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    no_thread_cancel_exception: bool = False,
    dynamic: bool = False,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Mark a function (async or sync) as an activity.

    Args:
        fn: The function (when used without parentheses).
        name: The activity type name; the function's name by default.
        no_thread_cancel_exception: Accepted for compatibility; Legato never raises
            into threads (sync activities poll ``is_cancelled()``).
        dynamic: Not supported yet.
    """
    if dynamic:
        raise NotImplementedError("Dynamic activities are not supported by Legato yet")

    def decorate(f: CallableType) -> CallableType:
        definitions.define_activity(f, name)
        return f

    return decorate(fn) if fn is not None else decorate


def info() -> Info:
    """Information about the running activity attempt.

    Raises:
        RuntimeError: Not called from an activity.
    """
    context = activity_context.current()
    return context.outbound.info() if context.outbound is not None else context.info


def in_activity() -> bool:
    """Whether the caller is activity code."""
    return activity_context.maybe_current() is not None


def heartbeat(*details: Any) -> None:
    """Report progress; the details reach the next attempt as ``info().heartbeat_details``.

    Heartbeats are throttled by the worker and sent in the background. An activity with
    a ``heartbeat_timeout`` must heartbeat within it or the server times the attempt out.
    """
    context = activity_context.current()
    if context.outbound is not None:
        context.outbound.heartbeat(*details)
    else:
        context.heartbeat(details)


def is_cancelled() -> bool:
    """Whether the server asked to cancel this activity (learned through heartbeats)."""
    return activity_context.current().cancelled.is_set()


class LoggerAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger for activity code, tagged with the attempt.

    Attributes:
        activity_info_on_message: Append the activity's ids to each message.
        activity_info_on_extra: Put them in the record's ``legato_activity`` extra.
    """

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        super().__init__(logger, extra or {})
        self.activity_info_on_message = True
        self.activity_info_on_extra = True

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        """Add the attempt's ids to the message and the record."""
        context = activity_context.maybe_current()
        if context is None:
            return msg, kwargs
        i = context.info
        details = {
            "activity_id": i.activity_id,
            "activity_type": i.activity_type,
            "attempt": i.attempt,
            "workflow_id": i.workflow_id,
            "workflow_run_id": i.workflow_run_id,
            "namespace": i.workflow_namespace,
            "task_queue": i.task_queue,
        }
        if self.activity_info_on_extra:
            kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {}), "legato_activity": details}
        if self.activity_info_on_message:
            msg = f"{msg} ({details})"
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The logger underneath."""
        return self.logger


logger = LoggerAdapter(logging.getLogger(__name__), None)
"""The logger for activity code, tagged with the attempt's ids."""
