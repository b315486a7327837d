"""Heartbeats of one running activity: recorded from any thread, sent throttled.

``activity.heartbeat()`` only records the latest details; the first heartbeat is sent at
once and later ones at most once per interval (Temporal's throttle), always with the
latest details. A ``cancel_requested`` answer cancels the activity, and so does a refusal
because the attempt no longer holds its task (the run closed, the attempt timed out): as
in Temporal, with ``cancellation_details().not_found`` set.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from legato import _service, _transport
from legato._runtime.activity_context import ActivityCancellationDetails
from legato.api.workflowservice import v1 as api
from legato.converter import DataConverter
from legato.exceptions import RPCError

logger = logging.getLogger(__name__)

_NOTHING: Any = object()


class Heartbeater:
    """Sends one activity's heartbeats in the background."""

    def __init__(
        self,
        service: _service.ServiceClient,
        task: api.ActivityTask,
        converter: DataConverter,
        *,
        interval: float,
        on_cancel: Callable[[ActivityCancellationDetails], None],
    ) -> None:
        self._service = service
        self._task = task
        self._converter = converter
        self._interval = interval
        self._on_cancel = on_cancel
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._pending: Any = _NOTHING
        self._sender: asyncio.Task[None] | None = None

    def record(self, details: Sequence[Any]) -> None:
        """Record the latest details; callable from the activity's thread or the loop."""
        if threading.get_ident() == self._loop_thread:
            self._on_record(list(details))
        else:
            self._loop.call_soon_threadsafe(self._on_record, list(details))

    def _on_record(self, details: list[Any]) -> None:
        self._pending = details
        if self._sender is None or self._sender.done():
            self._sender = self._loop.create_task(self._send_pending(), name="heartbeat")

    async def _send_pending(self) -> None:
        while self._pending is not _NOTHING:
            details, self._pending = self._pending, _NOTHING
            await self._send(details)
            await asyncio.sleep(self._interval)

    async def _send(self, details: list[Any]) -> None:
        try:
            payloads = await self._converter.encode(details)
            request = api.HeartbeatActivityTaskRequest(task_token=self._task.task_token, details=payloads)
            response = await self._service.heartbeat_activity_task(request)
        # Nobody waits for this attempt any more: stop it.
        except _transport.TaskNotFoundError as e:
            logger.info("Activity %r is no longer current (%s); cancelling it", self._task.activity_id, e.message)
            self._on_cancel(ActivityCancellationDetails(not_found=True))
            return
        # A lost heartbeat is not fatal: the next one, or the timeout, settles it.
        except (RPCError, TypeError, ValueError) as e:
            logger.warning("Heartbeat of activity %r failed: %s", self._task.activity_id, e)
            return
        if response.cancel_requested:
            self._on_cancel(ActivityCancellationDetails(cancel_requested=True))

    async def close(self) -> None:
        """Stop sending; details not yet sent are dropped (the outcome follows at once)."""
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
