"""Running local activities in the worker that runs their workflow.

Each attempt runs through the activity worker's definitions, interceptors and executor,
with ``activity.info().is_local`` true and ``start_to_close_timeout`` bounding it. A
failed attempt is retried here after its backoff while that backoff is within the
activity's ``local_retry_threshold``; a longer one is handed back to the workflow as a
backoff outcome, which waits on a durable timer (see ``legato._runtime.local_activities``).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from legato import exceptions
from legato._runtime import activity_context, local_activities
from legato._runtime.activity_context import ActivityCancellationDetails
from legato._runtime.info import ActivityInfo
from legato._runtime.interceptor import ExecuteActivityInput
from legato._runtime.local_activities import LocalActivityState, Outcome
from legato.api.common.v1 import Failure
from legato.common import Priority
from legato.converter import DataConverter

from . import activity_links
from .activities import decode_args

if TYPE_CHECKING:
    from legato._runtime.instance import WorkflowInstance

    from .activities import ActivityWorker

logger = logging.getLogger(__name__)


class LocalActivityRunner:
    """Runs a workflow's local activities with the activity worker's registrations."""

    def __init__(self, activities: ActivityWorker | None, converter: DataConverter) -> None:
        self._activities = activities
        self._converter = converter
        # The attempt each schedule runs now, and its context: what a cancel stops.
        self._running: dict[int, tuple[asyncio.Future[Any], activity_context.ActivityContext]] = {}

    def cancel(self, state: LocalActivityState) -> None:
        """Cancel the attempt a cancelled schedule runs (as a regular activity is cancelled)."""
        running = self._running.get(id(state))
        if running is not None and self._activities is not None:
            self._activities.cancel_running(*running, ActivityCancellationDetails(cancel_requested=True))

    async def run(self, instance: WorkflowInstance, state: LocalActivityState) -> Outcome:
        """Attempts until one succeeds, the policy gives up, the backoff needs a timer, or
        the code cancelled the schedule."""
        attempt = state.attempt
        options = state.options
        while True:
            # Asked between attempts (or before the first): none starts.
            if _cancel_asked(state):
                return self._cancelled(attempt)
            try:
                result = await self._attempt(instance, state, attempt)
            except asyncio.CancelledError:
                if not _cancel_asked(state):
                    raise
                return self._cancelled(attempt)
            except Exception as e:
                if _cancel_asked(state):
                    return self._cancelled(attempt)
                failure = self._failure(e, state)
                wait = local_activities.backoff(
                    options.retry_policy,
                    attempt,
                    e,
                    elapsed=(_now() - state.original_schedule_time).total_seconds(),
                    schedule_to_close=options.schedule_to_close_timeout,
                )
                if wait is None:
                    return Outcome(attempt=attempt, complete_time=_now(), failure=failure)
                # Past the threshold the wait is a durable timer in the workflow.
                if wait > options.local_retry_threshold:
                    return Outcome(attempt=attempt, complete_time=_now(), failure=failure, backoff=wait)
                await asyncio.sleep(wait)
                attempt += 1
            else:
                return Outcome(attempt=attempt, complete_time=_now(), result=result)

    async def _attempt(self, instance: WorkflowInstance, state: LocalActivityState, attempt: int) -> Any:
        worker = self._activities
        options = state.options
        defn = worker.definition(options.activity_type) if worker is not None else None
        if worker is None or defn is None:
            raise exceptions.ApplicationError(
                f"Activity function {options.activity_type} is not registered on this worker",
                type="NotFoundError",
                non_retryable=True,
            )
        context = worker.context_for(self._info(instance, state, attempt), defn)
        args = decode_args(worker.converter, options.args, defn)
        input = ExecuteActivityInput(fn=defn.fn, args=args, executor=worker.executor, headers=dict(options.headers))
        with activity_context.bound(context):
            ctx = contextvars.copy_context()
        inbound = ctx.run(activity_links.inbound_chain, tuple(worker.interceptors), context)
        run = asyncio.get_running_loop().create_task(inbound.execute_activity(input), context=ctx)
        self._running[id(state)] = (run, context)
        try:
            value = await asyncio.wait_for(run, options.start_to_close_timeout)
        except TimeoutError:
            raise _TimedOut() from None
        finally:
            self._running.pop(id(state), None)
        return worker.converter.payload_converter.to_payload(value)

    def _cancelled(self, attempt: int) -> Outcome:
        # What the attempt a cancel stopped reports, as temporalio's worker does.
        error = exceptions.CancelledError("Cancelled")
        failure = self._converter.failure_converter.to_failure(error, self._converter.payload_converter)
        return Outcome(attempt=attempt, complete_time=_now(), failure=failure)

    def _failure(self, error: Exception, state: LocalActivityState) -> Failure:
        if isinstance(error, _TimedOut):
            error = _timeout_error(state)
        else:
            logger.warning("Local activity %r failed: %s", state.options.activity_type, error)
        return self._converter.failure_converter.to_failure(error, self._converter.payload_converter)

    def _info(self, instance: WorkflowInstance, state: LocalActivityState, attempt: int) -> ActivityInfo:
        options = state.options
        workflow = instance.info()

        def seconds(value: float | None) -> timedelta | None:
            return timedelta(seconds=value) if value is not None else None

        return ActivityInfo(
            activity_id=options.activity_id,
            activity_type=options.activity_type,
            attempt=attempt,
            current_attempt_scheduled_time=_now(),
            heartbeat_details=[],
            heartbeat_timeout=None,
            is_local=True,
            namespace=instance.namespace,
            schedule_to_close_timeout=seconds(options.schedule_to_close_timeout),
            scheduled_time=state.original_schedule_time,
            start_to_close_timeout=seconds(options.start_to_close_timeout),
            started_time=_now(),
            task_queue=workflow.task_queue,
            task_token=b"".hex(),
            workflow_id=instance.workflow_id,
            workflow_namespace=instance.namespace,
            workflow_run_id=instance.run_id,
            workflow_type=workflow.workflow_type,
            priority=Priority.default,
            retry_policy=options.retry_policy,
        )


def _cancel_asked(state: LocalActivityState) -> bool:
    """Whether the code cancelled the schedule (it may, while an attempt runs)."""
    return state.cancel_requested


class _TimedOut(Exception):
    """An attempt ran past its start-to-close timeout."""


def _timeout_error(state: LocalActivityState) -> exceptions.ActivityError:
    # What temporalio raises in the workflow: ActivityError("Local Activity timed out")
    # whose cause is the START_TO_CLOSE TimeoutError.
    cause = exceptions.TimeoutError(
        "Activity timed out", type=exceptions.TimeoutType.START_TO_CLOSE, last_heartbeat_details=[]
    )
    return local_activities.activity_error(state, "Local Activity timed out", exceptions.RetryState.TIMEOUT, cause)


def _now() -> datetime:
    return datetime.now(UTC)
