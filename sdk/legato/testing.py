"""Testing helpers, as ``temporalio.testing``.

``WorkflowEnvironment`` is a server to test workflows against: ``start_local()`` and
``start_time_skipping()`` run one in this process, on a Postgres of its own (they need the
``legato-operator`` package), and ``from_client()`` uses a running one.
``ActivityEnvironment`` runs an activity function outside a worker with a made-up
``activity.info()``, capturing heartbeats and letting the test cancel it.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from legato._runtime import activity_context
from legato._runtime.info import ActivityInfo
from legato._testing.workflow_environment import WorkflowEnvironment
from legato.common import Priority

__all__ = ["ActivityEnvironment", "WorkflowEnvironment"]

_R = TypeVar("_R")


def _default_info() -> ActivityInfo:
    now = datetime.now(UTC)
    return ActivityInfo(
        activity_id="test",
        activity_type="unknown",
        attempt=1,
        heartbeat_details=[],
        heartbeat_timeout=None,
        is_local=False,
        namespace="default",
        schedule_to_close_timeout=None,
        start_to_close_timeout=None,
        scheduled_time=now,
        current_attempt_scheduled_time=now,
        started_time=now,
        task_queue="test",
        task_token="test",
        workflow_id="test",
        workflow_namespace="default",
        workflow_run_id="test-run",
        workflow_type="test",
        priority=Priority.default,
        retry_policy=None,
    )


class ActivityEnvironment:
    """Runs activities as a worker would, without one.

    Attributes:
        info: What ``activity.info()`` returns inside ``run``.
        on_heartbeat: Called with the details of each ``activity.heartbeat(...)``.
    """

    def __init__(self) -> None:
        self.info = _default_info()
        self.on_heartbeat: Callable[..., None] = lambda *details: None
        self._cancelled = threading.Event()
        self._task: asyncio.Task[Any] | None = None

    def cancel(self) -> None:
        """Cancel the activity: ``is_cancelled()`` turns true and an async one is cancelled."""
        self._cancelled.set()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def run(self, fn: Callable[..., _R], *args: Any, **kwargs: Any) -> _R:
        """Call ``fn`` in an activity context; for an async ``fn``, the awaitable to await."""
        context = activity_context.ActivityContext(
            info=self.info, heartbeat=lambda details: self.on_heartbeat(*details), cancelled=self._cancelled
        )
        if inspect.iscoroutinefunction(fn):
            return self._run_async(context, fn, args, kwargs)  # type: ignore[return-value]  # awaitable of _R
        with activity_context.bound(context):
            return fn(*args, **kwargs)

    async def _run_async(
        self, context: activity_context.ActivityContext, fn: Callable[..., Any], args: Any, kwargs: Any
    ) -> Any:
        self._task = asyncio.current_task()
        with activity_context.bound(context):
            return await fn(*args, **kwargs)
