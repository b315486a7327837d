"""An activity's attempts: started by a poll, then completed, failed, timed out or canceled.

As in Temporal, polling writes no event: ActivityTaskStarted is written when the activity
closes, with the final attempt number. A failed or timed-out attempt that the retry policy
allows is retried by the server (the task waits in backoff; history stays silent), so
the workflow sees only the final outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from legato.api.common.v1 import Failure, FailureKind, RetryPolicy, RetryState, TimeoutType
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import batch, keys, retry, tokens
from legato_operator.store import rows

# Per-attempt limits; they go when the attempt ends.
_ATTEMPT_TIMERS = (rows.TimerKind.ACTIVITY_START_TO_CLOSE, rows.TimerKind.ACTIVITY_HEARTBEAT)
# Timer kind → which limit it enforces.
TIMEOUT_OF = {
    rows.TimerKind.ACTIVITY_START_TO_CLOSE: TimeoutType.START_TO_CLOSE,
    rows.TimerKind.ACTIVITY_HEARTBEAT: TimeoutType.HEARTBEAT,
    rows.TimerKind.ACTIVITY_SCHEDULE_TO_CLOSE: TimeoutType.SCHEDULE_TO_CLOSE,
    rows.TimerKind.ACTIVITY_SCHEDULE_TO_START: TimeoutType.SCHEDULE_TO_START,
}
_TEMPORAL_NAMES = {
    TimeoutType.START_TO_CLOSE: "StartToClose",
    TimeoutType.HEARTBEAT: "Heartbeat",
    TimeoutType.SCHEDULE_TO_CLOSE: "ScheduleToClose",
    TimeoutType.SCHEDULE_TO_START: "ScheduleToStart",
}


def _seconds(task: rows.Task, name: str) -> float | None:
    value = task.info.get(name)
    return None if value is None else float(value)


def attempt_timers(task: rows.Task, now: datetime) -> list[rows.NewTimer]:
    """The limits armed when a poll starts an attempt: start_to_close and heartbeat."""
    armed = []
    for kind, name in (
        (rows.TimerKind.ACTIVITY_START_TO_CLOSE, "start_to_close_timeout"),
        (rows.TimerKind.ACTIVITY_HEARTBEAT, "heartbeat_timeout"),
    ):
        seconds = _seconds(task, name)
        if seconds is not None:
            armed.append(
                rows.NewTimer(
                    namespace=task.namespace,
                    run_id=task.run_id,
                    kind=kind,
                    due_at=now + timedelta(seconds=seconds),
                    ref=task.scheduled_event_id,
                    attempt=task.attempt,
                )
            )
    return armed


def to_wire(task: rows.Task) -> api.ActivityTask:
    """The task as a worker receives it, from the task row alone (no history read)."""
    info = task.info
    assert task.started_at is not None
    token = tokens.ActivityTaskToken(task.run_id, task.scheduled_event_id, task.attempt)
    return api.ActivityTask(
        task_token=tokens.encode(token),
        workflow_id=info["workflow_id"],
        run_id=task.run_id,
        workflow_type=info["workflow_type"],
        activity_id=info["activity_id"],
        activity_type=info["activity_type"],
        input=info.get("input", []),
        attempt=task.attempt,
        scheduled_time=task.scheduled_at,
        started_time=task.started_at,
        schedule_to_close_timeout=_seconds(task, "schedule_to_close_timeout"),
        start_to_close_timeout=_seconds(task, "start_to_close_timeout"),
        heartbeat_timeout=_seconds(task, "heartbeat_timeout"),
        heartbeat_details=task.heartbeat_details or [],
        header=info.get("header", {}),
    )


def not_held(token: tokens.ActivityTaskToken) -> errors.TaskNotFound:
    """The error for a token whose attempt no longer holds its activity."""
    return errors.TaskNotFound(
        f"Activity attempt {token.attempt} (scheduled event {token.scheduled_event_id}) of run "
        f"{token.run_id} no longer holds its task: it timed out, was retried or cancelled, "
        "was already answered, or the run closed"
    )


def _activity_type(task: rows.Task) -> str:
    return str(task.info.get("activity_type", ""))


def _started(task: rows.Task, identity: str = "") -> wire.ActivityTaskStarted:
    last = None if task.last_failure is None else Failure.model_validate(task.last_failure)
    return wire.ActivityTaskStarted(
        scheduled_event_id=task.scheduled_event_id, attempt=task.attempt, identity=identity, last_failure=last
    )


def _finish(b: batch.Batch, task: rows.Task, outcome: str, *events: wire.EventAttributes) -> None:
    # The activity is over: no more task, no more attempts, no more limits.
    b.deleted_tasks.append(task.scheduled_event_id)
    b.disarm(batch.ACTIVITY_TIMER_KINDS, task.scheduled_event_id)
    b.activity_outcomes.append((_activity_type(task), outcome))
    b.deliver(*events)


def completed(execution: rows.Execution, task: rows.Task, result: Any, identity: str, now: datetime) -> batch.Batch:
    """The attempt holding ``task`` (already taken from the store) completed."""
    b = batch.Batch(execution=execution, now=now)
    done = wire.ActivityTaskCompleted(
        scheduled_event_id=task.scheduled_event_id, started_event_id=0, result=result, identity=identity
    )
    _finish(b, task, "completed", _started(task, identity), done)
    return b


def canceled(
    execution: rows.Execution, task: rows.Task, details: list[Any], identity: str, now: datetime
) -> batch.Batch:
    """The attempt holding ``task`` reported itself canceled: recorded as such, as Temporal
    does, whether or not a cancel was requested (no retry)."""
    b = batch.Batch(execution=execution, now=now)
    done = wire.ActivityTaskCanceled(scheduled_event_id=task.scheduled_event_id, details=details)
    _finish(b, task, "canceled", _started(task, identity), done)
    return b


def failed(execution: rows.Execution, task: rows.Task, failure: Failure, identity: str, now: datetime) -> batch.Batch:
    """The attempt holding ``task`` failed: retry it per the policy, or record the failure."""
    b = batch.Batch(execution=execution, now=now)
    # The worker honoured a cancel request.
    if task.cancel_requested and failure.kind == FailureKind.CANCELED:
        canceled = wire.ActivityTaskCanceled(scheduled_event_id=task.scheduled_event_id, details=failure.details)
        _finish(b, task, "canceled", _started(task, identity), canceled)
        return b
    decision = _decide(task, failure, now)
    if decision.delay is not None:
        _retry_later(b, task, failure, decision.delay)
        return b
    final = wire.ActivityTaskFailed(
        scheduled_event_id=task.scheduled_event_id,
        started_event_id=0,
        failure=failure,
        retry_state=decision.state,
        identity=identity,
    )
    _finish(b, task, "failed", _started(task, identity), final)
    return b


def _decide(task: rows.Task, failure: Failure, now: datetime) -> retry.RetryDecision:
    policy = RetryPolicy.model_validate(task.info.get("retry_policy") or {})
    return retry.decide(
        policy,
        task.attempt,
        failure,
        now=now,
        scheduled_at=task.scheduled_at,
        schedule_to_close=_seconds(task, "schedule_to_close_timeout"),
    )


def _retry_later(b: batch.Batch, task: rows.Task, failure: Failure, delay: float) -> None:
    visible_at = b.now + timedelta(seconds=delay)
    b.task_updates.append(
        rows.TaskUpdate(
            run_id=task.run_id,
            scheduled_event_id=task.scheduled_event_id,
            attempt=task.attempt + 1,
            state=rows.TaskState.BACKOFF,
            visible_at=visible_at,
            last_failure=failure.model_dump(mode="json"),
            cancel_requested=task.cancel_requested,
        )
    )
    b.disarm(_ATTEMPT_TIMERS, task.scheduled_event_id)
    b.arm(rows.TimerKind.TASK_READY, visible_at, ref=task.scheduled_event_id, attempt=task.attempt + 1)
    b.activity_outcomes.append((_activity_type(task), "retried"))


def timeout_failure(timeout_type: TimeoutType) -> Failure:
    """The failure a timeout records, with Temporal's message."""
    return Failure(
        message=f"activity {_TEMPORAL_NAMES[timeout_type]} timeout",
        kind=FailureKind.TIMEOUT,
        timeout_type=timeout_type,
        source="server",
    )


def timed_out(execution: rows.Execution, task: rows.Task, timer: rows.Timer, now: datetime) -> batch.Batch | None:
    """A limit of the activity ran out; None when the timer no longer applies to the task."""
    timeout_type = TIMEOUT_OF[timer.kind]
    failure = timeout_failure(timeout_type)
    b = batch.Batch(execution=execution, now=now)
    # An attempt's limit: a retryable failure of that attempt.
    if timeout_type in (TimeoutType.START_TO_CLOSE, TimeoutType.HEARTBEAT):
        if task.state != rows.TaskState.STARTED or task.attempt != timer.attempt:
            return None
        decision = _decide(task, failure, now)
        if decision.delay is not None:
            _retry_later(b, task, failure, decision.delay)
            return b
        _time_out(b, task, failure, decision.state)
        return b
    # Never picked up in time: final, as in Temporal.
    if timeout_type == TimeoutType.SCHEDULE_TO_START and (
        task.state != rows.TaskState.READY or task.attempt != timer.attempt
    ):
        return None
    _time_out(b, task, failure, RetryState.TIMEOUT)
    return b


def _time_out(b: batch.Batch, task: rows.Task, failure: Failure, state: RetryState) -> None:
    final = wire.ActivityTaskTimedOut(
        scheduled_event_id=task.scheduled_event_id, started_event_id=0, failure=failure, retry_state=state
    )
    # Record the attempt that ran, if one is running or did run.
    if task.state == rows.TaskState.STARTED:
        _finish(b, task, "timed_out", _started(task), final)
    elif task.attempt > 1:
        previous = _started(task).model_copy(update={"attempt": task.attempt - 1})
        _finish(b, task, "timed_out", previous, final)
    else:
        _finish(b, task, "timed_out", final)


def ready(task: rows.Task, timer: rows.Timer) -> rows.TaskUpdate | None:
    """A task's backoff ended: it becomes claimable. None if the timer is stale."""
    if task.state != rows.TaskState.BACKOFF or task.attempt != timer.attempt:
        return None
    return rows.TaskUpdate(
        run_id=task.run_id,
        scheduled_event_id=task.scheduled_event_id,
        attempt=task.attempt,
        state=rows.TaskState.READY,
        visible_at=task.visible_at,
        last_failure=task.last_failure,
        cancel_requested=task.cancel_requested,
    )


def ready_key(task: rows.Task) -> str:
    """The wake-up key of the task's queue."""
    return keys.task_key(task.namespace, task.task_queue, task.kind)


def too_large(what: str, error: errors.PayloadTooLarge, *, non_retryable: bool, type: str = "") -> Failure:
    """The failure that replaces an answer the server cannot record (Temporal's
    "Complete result exceeds size limit." and its kin), naming the size and the limit."""
    return Failure(
        message=f"{what} exceeds size limit: {error.message}",
        kind=FailureKind.SERVER,
        type=type,
        source="server",
        non_retryable=non_retryable,
    )
