"""Writing activities, as ``temporalio.activity``: the decorator and what activity code calls.

Async activities run on the worker's event loop; sync ones run in the worker's thread
pool (its ``activity_executor``). Both see the same context: ``info()``, ``heartbeat()``,
cancellation (``is_cancelled()``, ``wait_for_cancelled*()``, ``cancellation_details()``),
the worker's shutdown (``is_worker_shutdown()``, ``wait_for_worker_shutdown*()``),
``payload_converter()``, ``metric_meter()`` and ``logger``; async ones also ``client()``.
A cancelled sync activity gets ``CancelledError`` raised in its thread, as in temporalio,
unless it was defined with ``no_thread_cancel_exception=True``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from legato._runtime import activity_context, definitions
from legato._runtime.activity_context import ActivityCancellationDetails
from legato._runtime.info import ActivityInfo as Info
from legato._runtime.metrics import NoopMetricMeter

if TYPE_CHECKING:
    from legato.client import Client
    from legato.converter import PayloadConverter

__all__ = [
    "ActivityCancellationDetails",
    "Info",
    "LoggerAdapter",
    "cancellation_details",
    "client",
    "defn",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "is_worker_shutdown",
    "logger",
    "metric_meter",
    "payload_converter",
    "raise_complete_async",
    "shield_thread_cancel_exception",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
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
        no_thread_cancel_exception: For a sync activity: do not raise ``CancelledError``
            in its thread when it is cancelled (it polls ``is_cancelled()`` instead).
        dynamic: Run this function for every activity type the worker has no other
            definition for; it takes one ``Sequence[RawValue]`` and reads the type from
            ``info().activity_type``. Cannot be given with ``name``.
    """

    def decorate(f: CallableType) -> CallableType:
        definitions.define_activity(f, name, no_thread_cancel_exception=no_thread_cancel_exception, dynamic=dynamic)
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
    """Whether a cancellation was ever requested (learned through heartbeats), or the
    worker cancelled the activity at shutdown."""
    return activity_context.current().cancelled.is_set()


def cancellation_details() -> ActivityCancellationDetails | None:
    """Why the activity was cancelled; None while it is not. Once set it does not change."""
    return activity_context.current().cancellation_details


@contextmanager
def shield_thread_cancel_exception() -> Iterator[None]:
    """Delay the ``CancelledError`` of a sync activity's thread to the end of the block.

    If a cancellation came during the block, it is raised when the outermost block ends,
    whatever the block returned or raised. Async activities run the block as it is.
    """
    raiser = activity_context.current().raiser
    if raiser is None:
        yield
    else:
        with raiser.shielded():
            yield


async def wait_for_cancelled() -> None:
    """Wait until the activity is cancelled.

    Raises:
        RuntimeError: Not in an async activity.
    """
    await activity_context.current().cancelled.wait()


def wait_for_cancelled_sync(timeout: timedelta | float | None = None) -> None:
    """Block until the activity is cancelled or ``timeout`` passed (a ``threading.Event.wait``)."""
    activity_context.current().cancelled.wait_sync(_seconds(timeout))


def is_worker_shutdown() -> bool:
    """Whether the worker running this activity began to shut down."""
    return activity_context.current().worker_shutdown.is_set()


async def wait_for_worker_shutdown() -> None:
    """Wait until the worker begins to shut down.

    Raises:
        RuntimeError: Not in an async activity.
    """
    await activity_context.current().worker_shutdown.wait()


def wait_for_worker_shutdown_sync(timeout: timedelta | float | None = None) -> None:
    """Block until the worker begins to shut down or ``timeout`` passed."""
    activity_context.current().worker_shutdown.wait_sync(_seconds(timeout))


def _seconds(timeout: timedelta | float | None) -> float | None:
    return timeout.total_seconds() if isinstance(timeout, timedelta) else timeout


def client() -> Client:
    """The worker's client, for async activities.

    Raises:
        RuntimeError: In a sync activity, or in an ``ActivityEnvironment`` made without one.
    """
    found = activity_context.current().client
    if found is None:
        raise RuntimeError(
            "No client available. The client is only available in `async def` "
            "activities; not in `def` activities. In tests you can pass a "
            "client when creating ActivityEnvironment."
        )
    return found  # type: ignore[no-any-return]  # the context holds a Client


def payload_converter() -> PayloadConverter:
    """The payload converter of the worker's data converter."""
    found = activity_context.current().payload_converter
    if found is None:
        from legato.converter import DataConverter

        return DataConverter.default.payload_converter
    return found  # type: ignore[no-any-return]  # the context holds a PayloadConverter


def metric_meter() -> NoopMetricMeter:
    """The activity's metric meter: a no-op one (Legato's SDK records no metrics yet)."""
    found = activity_context.current().metric_meter
    return found if isinstance(found, NoopMetricMeter) else NoopMetricMeter()


def raise_complete_async() -> NoReturn:
    """Say that the activity will be completed later through ``Client.get_async_activity_handle``:
    the worker reports nothing when the function ends with this."""
    raise activity_context.CompleteAsyncError()


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
