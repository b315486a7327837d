"""Activity tasks: run the function, heartbeat while it runs, report its outcome.

Async activities run as tasks on the worker's loop; sync ones run in the thread pool with
the activity context copied in. Cancellation (asked by the server through a heartbeat
answer, or by the worker's shutdown after its grace period) cancels an async activity's
task and raises ``CancelledError`` in a sync activity's thread while it runs there. The
outcome is retried through a server restart, so a completed activity is not run again
because its answer was lost; an activity that called ``activity.raise_complete_async()``
gets no answer from the worker: its client completes it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Sequence
from concurrent.futures import Executor
from datetime import timedelta
from typing import Any

from legato._runtime import activity_context
from legato._runtime.activity_context import ActivityCancellationDetails, CompleteAsyncError, CompositeEvent
from legato._runtime.definitions import ActivityDefinition
from legato._runtime.info import ActivityInfo
from legato._runtime.interceptor import ExecuteActivityInput, Interceptor
from legato._runtime.metrics import NOOP
from legato._runtime.thread_cancel import ThreadRaiser
from legato.api.common.v1 import Failure
from legato.api.workflowservice import v1 as api
from legato.common import Priority, RawValue
from legato.exceptions import ApplicationError, CancelledError, RPCError

from . import activity_links
from .base import TaskWorker, WorkerContext, registry
from .eager import EagerWorkflowTasks
from .heartbeat import Heartbeater

logger = logging.getLogger(__name__)

ActivityAnswer = api.CompleteActivityTaskRequest | api.FailActivityTaskRequest


class ActivityWorker(TaskWorker[api.ActivityTask, ActivityAnswer]):
    """Polls a task queue's activity tasks and runs them."""

    kind = "activity"
    # A finished activity's answer outlasts a server restart: losing it would run it again.
    respond_within = 120.0

    def __init__(
        self,
        context: WorkerContext,
        *,
        activities: Sequence[Any],
        executor: Executor | None,
        interceptors: Sequence[Interceptor] = (),
        throttle: tuple[float, float] = (60.0, 30.0),
        client: Any = None,
    ) -> None:
        super().__init__(context)
        self._executor = executor
        self._interceptors = interceptors
        # The worker's (max, default) heartbeat throttle intervals, in seconds.
        self._throttle = throttle
        definitions = map(ActivityDefinition.must_from_callable, activities)
        self._definitions = registry(definitions, lambda d: d.name, "activity")
        for defn in self._definitions.values():
            if not defn.is_async and executor is None:
                raise ValueError(f"Activity {defn.name!r} is not async: the worker needs an activity_executor")
        self._client = client
        self._running: dict[str, tuple[asyncio.Future[Any], activity_context.ActivityContext]] = {}
        self.shutting_down = False
        # Set by the runner when the run's next workflow task may come back in a completion.
        self.eager_workflow_tasks: EagerWorkflowTasks | None = None
        self._shutdown_announced = False

    async def _poll(self, request: api.PollRequest) -> api.ActivityTask | None:
        return await self._service.poll_activity_task(request)

    def announce_shutdown(self) -> None:
        """Tell running activities, and any started from now on, that the worker shuts down."""
        self._shutdown_announced = True
        for _, context in self._running.values():
            context.worker_shutdown.set()

    def cancel_all(self) -> None:
        """Cancel every running activity (the worker's grace period ran out)."""
        for future, context in list(self._running.values()):
            self.cancel_running(future, context, ActivityCancellationDetails(worker_shutdown=True))

    async def handle(self, task: api.ActivityTask) -> ActivityAnswer | None:
        """Run the activity; the request reporting its outcome, None when completed asynchronously."""
        defn = self.definition(task.activity_type)
        if defn is None:
            self._warn_not_registered(task.activity_type, self._definitions)
            return self._fail(task, self._not_registered(task))
        context = self._context(task, defn)
        heartbeater = Heartbeater(
            self._service,
            task,
            self._converter,
            interval=_throttle(task, *self._throttle),
            on_cancel=lambda details: self._cancel(task, details),
        )
        context.heartbeat = heartbeater.record
        try:
            result = await self._run(task, defn, context)
        # The activity's client completes it later (activity.raise_complete_async()).
        except CompleteAsyncError:
            return None
        # Cancelled on the server's request, or by the worker's shutdown.
        except asyncio.CancelledError:
            return self._fail(task, self._failure(self._cancellation()))
        # Raised in a sync activity's thread by that same cancellation.
        except CancelledError as e:
            return self._fail(task, self._failure(self._cancellation() if context.cancelled.is_set() else e))
        except Exception as e:
            logger.warning("Activity %r (id %r) failed: %s", task.activity_type, task.activity_id, e)
            return self._fail(task, self._failure(e))
        finally:
            await heartbeater.close()
        try:
            payload = self._converter.payload_converter.to_payload(result)
        except TypeError as e:
            return self._fail(task, self._failure(e))
        return api.CompleteActivityTaskRequest(task_token=task.task_token, result=payload, identity=self._identity)

    def definition(self, activity_type: str) -> ActivityDefinition | None:
        """The definition that runs ``activity_type``: its own, else the dynamic one (name "")."""
        return self._definitions.get(activity_type) or self._definitions.get("")

    async def _run(
        self, task: api.ActivityTask, defn: ActivityDefinition, context: activity_context.ActivityContext
    ) -> Any:
        args = decode_args(self._converter, task.input, defn)
        input = ExecuteActivityInput(fn=defn.fn, args=args, executor=self._executor, headers=dict(task.header))
        # The whole chain runs in the activity's context, so interceptors see activity.info() too.
        with activity_context.bound(context):
            ctx = contextvars.copy_context()
        inbound = ctx.run(activity_links.inbound_chain, tuple(self._interceptors), context)
        future = asyncio.get_running_loop().create_task(inbound.execute_activity(input), context=ctx)
        self._running[task.task_token] = (future, context)
        try:
            return await future
        finally:
            del self._running[task.task_token]

    @property
    def converter(self) -> Any:
        """The worker's data converter (local activities convert with it too)."""
        return self._converter

    @property
    def executor(self) -> Executor | None:
        """Where sync activities run."""
        return self._executor

    @property
    def interceptors(self) -> Sequence[Interceptor]:
        """The worker's interceptors, whose activity chains every attempt goes through."""
        return self._interceptors

    def _context(self, task: api.ActivityTask, defn: ActivityDefinition) -> activity_context.ActivityContext:
        return self.context_for(self._info(task), defn)

    def context_for(self, info: ActivityInfo, defn: ActivityDefinition) -> activity_context.ActivityContext:
        """An attempt's context: what ``legato.activity`` reads while it runs."""
        loop = asyncio.get_running_loop()
        raises = not defn.is_async and not defn.no_thread_cancel_exception
        context = activity_context.ActivityContext(
            info=info,
            heartbeat=lambda details: None,
            cancelled=CompositeEvent(loop if defn.is_async else None),
            worker_shutdown=CompositeEvent(loop if defn.is_async else None),
            # As in temporalio: sync activities get no client (it is bound to the loop).
            client=self._client if defn.is_async else None,
            payload_converter=self._converter.payload_converter,
            metric_meter=NOOP,
            raiser=ThreadRaiser() if raises else None,
        )
        if self._shutdown_announced:
            context.worker_shutdown.set()
        return context

    def _cancel(self, task: api.ActivityTask, details: ActivityCancellationDetails) -> None:
        running = self._running.get(task.task_token)
        if running is not None:
            self.cancel_running(*running, details)

    def cancel_running(
        self,
        future: asyncio.Future[Any],
        context: activity_context.ActivityContext,
        details: ActivityCancellationDetails,
    ) -> None:
        """Cancel a running attempt: its context says why, then the task or thread is told."""
        # Cancelled once, as in Temporal: a second reason must not interrupt the cleanup.
        if context.cancelled.is_set():
            return
        context.cancel(details)
        # Async activities see asyncio cancellation; sync ones CancelledError in their thread
        # (unless defined with no_thread_cancel_exception: then they poll is_cancelled()).
        defn = self.definition(context.info.activity_type)
        if defn is not None and defn.is_async:
            future.cancel()
        elif context.raiser is not None:
            context.raiser.raise_in_thread(CancelledError)

    def _cancellation(self) -> BaseException:
        if self.shutting_down:
            return ApplicationError("Worker shutdown", type="WorkerShutdown")
        return CancelledError("Activity cancelled")

    def _info(self, task: api.ActivityTask) -> ActivityInfo:
        def seconds(value: float | None) -> timedelta | None:
            return timedelta(seconds=value) if value is not None else None

        return ActivityInfo(
            activity_id=task.activity_id,
            activity_type=task.activity_type,
            attempt=task.attempt,
            current_attempt_scheduled_time=task.scheduled_time,
            heartbeat_details=self._converter.payload_converter.from_payloads(task.heartbeat_details),
            heartbeat_timeout=seconds(task.heartbeat_timeout),
            is_local=False,
            namespace=self._service.namespace,
            schedule_to_close_timeout=seconds(task.schedule_to_close_timeout),
            scheduled_time=task.scheduled_time,
            start_to_close_timeout=seconds(task.start_to_close_timeout),
            started_time=task.started_time,
            task_queue=self._task_queue,
            task_token=task.task_token,
            workflow_id=task.workflow_id,
            workflow_namespace=self._service.namespace,
            workflow_run_id=task.run_id,
            workflow_type=task.workflow_type,
            priority=Priority.default,
            retry_policy=None,
        )

    def _undecodable(self, task: api.ActivityTask, error: Exception) -> ActivityAnswer:
        return self._fail(task, self._failure(error))

    def _too_large(self, task: api.ActivityTask, error: RPCError) -> ActivityAnswer:
        refused = ApplicationError(
            f"Activity result too large for the server: {error.message}", type="PayloadTooLarge", non_retryable=True
        )
        return self._fail(task, self._failure(refused))

    def _not_registered(self, task: api.ActivityTask) -> Failure:
        error = ApplicationError(
            f"Activity function {task.activity_type} is not registered on this worker, "
            f"available activities: {self._registered(self._definitions)}",
            type="NotFoundError",
        )
        return self._failure(error)

    def _fail(self, task: api.ActivityTask, failure: Failure) -> api.FailActivityTaskRequest:
        return api.FailActivityTaskRequest(task_token=task.task_token, failure=failure, identity=self._identity)

    async def _answer(self, task: api.ActivityTask, answer: ActivityAnswer) -> None:
        if isinstance(answer, api.CompleteActivityTaskRequest):
            await self._complete(task, answer)
        else:
            await self._answers.fail_activity_task(answer)

    async def _complete(self, task: api.ActivityTask, request: api.CompleteActivityTaskRequest) -> None:
        """Send the result; take the run's next workflow task when this worker holds the run."""
        eager = self.eager_workflow_tasks
        if eager is None or not eager.reserve(task.run_id):
            await self._answers.complete_activity_task(request)
            return
        try:
            answer = await self._answers.complete_activity_task(
                request.model_copy(update={"request_workflow_task": True})
            )
        except BaseException:
            eager.release()
            raise
        eager.deliver(answer.workflow_task)


def decode_args(converter: Any, payloads: Sequence[Any], defn: ActivityDefinition) -> list[Any]:
    """An activity's arguments: by its parameters' types, or raw (one sequence) for the dynamic one."""
    if defn.dynamic:
        return [[RawValue(p) for p in payloads]]
    return list(converter.payload_converter.from_payloads(payloads, defn.arg_types))


def _throttle(task: api.ActivityTask, most: float, default: float) -> float:
    """Temporal's heartbeat throttle: 80% of the heartbeat timeout, ``default`` without one, ``most`` at most."""
    if task.heartbeat_timeout:
        return min(task.heartbeat_timeout * 0.8, most)
    return min(default, most)
