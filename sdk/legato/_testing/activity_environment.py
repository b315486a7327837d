"""``ActivityEnvironment``: run activity code outside a worker, as temporalio's does.

``run`` calls the function in an activity context built from the environment's
attributes. An async function runs as a task of the caller's loop, which ``cancel()``
cancels. A sync one runs in a thread the environment starts for that one call (the
caller waits for it), so that ``cancel()`` can raise ``CancelledError`` in it the way a
worker does: into a thread that runs nothing but the activity, and only while it runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from legato._runtime import activity_context
from legato._runtime.activity_context import ActivityCancellationDetails, ActivityContext, CompositeEvent
from legato._runtime.definitions import ActivityDefinition
from legato._runtime.info import ActivityInfo
from legato._runtime.metrics import NoopMetricMeter
from legato._runtime.thread_cancel import ThreadRaiser
from legato.common import Priority
from legato.converter import DataConverter
from legato.exceptions import CancelledError

if TYPE_CHECKING:
    from legato.client import Client

_CANCEL_REQUESTED = ActivityCancellationDetails(cancel_requested=True)
_Params = ParamSpec("_Params")
_Return = TypeVar("_Return")


class ActivityEnvironment:
    """Runs activity code with ``legato.activity`` functions working, without a worker.

    Attributes:
        info: What ``activity.info()`` returns; change it with ``dataclasses.replace``
            on ``default_info()``.
        on_heartbeat: Called with the details of each ``activity.heartbeat(...)``.
        payload_converter: What ``activity.payload_converter()`` returns; set it before ``run``.
        metric_meter: What ``activity.metric_meter()`` returns (a no-op meter by default).
    """

    def __init__(self, client: Client | None = None) -> None:
        """An environment; ``client`` is what ``activity.client()`` returns in async activities."""
        self.info = ActivityEnvironment.default_info()
        self.on_heartbeat: Callable[..., None] = lambda *details: None
        self.payload_converter = DataConverter.default.payload_converter
        self.metric_meter = NoopMetricMeter()
        self._client = client
        self._cancellation: ActivityCancellationDetails | None = None
        self._worker_shutdown = False
        self._lock = threading.Lock()
        self._running: set[_Run] = set()

    @staticmethod
    def default_info() -> ActivityInfo:
        """The info ``run`` uses unless ``info`` is changed (temporalio's defaults)."""
        epoch = datetime.fromtimestamp(0, UTC)
        return ActivityInfo(
            activity_id="test",
            activity_type="unknown",
            attempt=1,
            current_attempt_scheduled_time=epoch,
            heartbeat_details=[],
            heartbeat_timeout=None,
            is_local=False,
            namespace="default",
            schedule_to_close_timeout=timedelta(seconds=1),
            scheduled_time=epoch,
            start_to_close_timeout=timedelta(seconds=1),
            started_time=epoch,
            task_queue="test",
            task_token="test",
            workflow_id="test",
            workflow_namespace="default",
            workflow_run_id="test-run",
            workflow_type="test",
            priority=Priority.default,
            retry_policy=None,
        )

    def cancel(
        self,
        cancellation_details: ActivityCancellationDetails = _CANCEL_REQUESTED,
    ) -> None:
        """Cancel the running activities, and any run later; only the first call counts.

        Args:
            cancellation_details: What ``activity.cancellation_details()`` returns after it.
        """
        with self._lock:
            if self._cancellation is not None:
                return
            self._cancellation = cancellation_details
            running = list(self._running)
        for run in running:
            run.cancel(cancellation_details)

    def worker_shutdown(self) -> None:
        """Tell the activities that the worker shuts down; only the first call counts."""
        with self._lock:
            if self._worker_shutdown:
                return
            self._worker_shutdown = True
            running = list(self._running)
        for run in running:
            run.context.worker_shutdown.set()

    def run(self, fn: Callable[_Params, _Return], *args: _Params.args, **kwargs: _Params.kwargs) -> _Return:
        """Call ``fn`` in an activity context and return what it returns: for an async
        ``fn``, the coroutine to await; a sync one runs (in its own thread) before this returns."""
        if _is_async(fn):
            return self._run_async(fn, args, kwargs)  # type: ignore[return-value]  # the awaitable of _Return
        return cast(_Return, self._run_sync(fn, args, kwargs))

    async def _run_async(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        run = _Run(self._context(is_async=True))
        with self._enter(run):
            run.task = asyncio.create_task(_awaiting(run.context, fn, args, kwargs))
            if run.context.cancelled.is_set():
                run.task.cancel()
            return await run.task

    def _run_sync(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        defn = ActivityDefinition.from_callable(fn)
        raises = defn is None or not defn.no_thread_cancel_exception
        run = _Run(self._context(is_async=False, raiser=ThreadRaiser() if raises else None))
        with self._enter(run):
            return _in_own_thread(run.context, fn, args, kwargs)

    def _context(self, *, is_async: bool, raiser: ThreadRaiser | None = None) -> ActivityContext:
        loop = asyncio.get_running_loop() if is_async else None
        return ActivityContext(
            info=self.info,
            heartbeat=lambda details: self.on_heartbeat(*details),
            cancelled=CompositeEvent(loop),
            worker_shutdown=CompositeEvent(loop),
            client=self._client if is_async else None,
            payload_converter=self.payload_converter,
            metric_meter=self.metric_meter,
            raiser=raiser,
        )

    def _enter(self, run: _Run) -> _Entered:
        return _Entered(self, run)


@dataclass(eq=False)
class _Run:
    """One call of ``run``: its context, and for an async one its task."""

    context: ActivityContext
    task: asyncio.Task[Any] | None = field(default=None)

    def cancel(self, details: ActivityCancellationDetails) -> None:
        self.context.cancel(details)
        if self.context.raiser is not None:
            self.context.raiser.raise_in_thread(CancelledError)
        if self.task is not None and not self.task.done():
            # From any thread: a test may cancel from outside the loop.
            self.task.get_loop().call_soon_threadsafe(self.task.cancel)


class _Entered:
    """Registers a run with its environment, carrying over a cancel or shutdown that came first."""

    def __init__(self, env: ActivityEnvironment, run: _Run) -> None:
        self._env, self._run = env, run

    def __enter__(self) -> None:
        with self._env._lock:
            if self._env._cancellation is not None:
                self._run.context.cancel(self._env._cancellation)
            if self._env._worker_shutdown:
                self._run.context.worker_shutdown.set()
            self._env._running.add(self._run)

    def __exit__(self, *exc: object) -> None:
        with self._env._lock:
            self._env._running.discard(self._run)


def _is_async(fn: Callable[..., Any]) -> bool:
    # A callable object's __call__ may be the coroutine function.
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__)


async def _awaiting(context: ActivityContext, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    with activity_context.bound(context):
        return await fn(*args, **kwargs)


def _in_own_thread(context: ActivityContext, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    """Run ``fn`` in a new thread that runs nothing else, wait for it, and hand back its
    result or exception."""
    outcome: dict[str, Any] = {}

    def body() -> None:
        with activity_context.bound(context):
            try:
                if context.raiser is None:
                    outcome["result"] = fn(*args, **kwargs)
                else:
                    with context.raiser.running():
                        outcome["result"] = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller's thread
                outcome["error"] = e

    copied = contextvars.copy_context()
    thread = threading.Thread(target=copied.run, args=(body,), name=f"activity {context.info.activity_type}")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
