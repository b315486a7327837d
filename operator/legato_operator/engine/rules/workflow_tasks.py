"""The workflow task's life: started by a poll, then completed, failed or timed out.

At most one workflow task per run is outstanding (the execution row holds its scheduled
and started event ids). Whatever ends it — completion, failure, timeout — appends the
events buffered while it was in flight and, if anything is left for the workflow to see,
schedules the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, FailureKind, TimeoutType, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator import errors
from legato_operator.engine.rules import batch, commands, retry, tokens
from legato_operator.store import rows

_RUNNING = WorkflowExecutionStatus.RUNNING
# Temporal's defaults (limit.historyCount / limit.historySize .suggestContinueAsNew): past
# either, WorkflowTaskStarted suggests continue-as-new.
SUGGEST_CONTINUE_AS_NEW_EVENTS = 4 * 1024
SUGGEST_CONTINUE_AS_NEW_BYTES = 4 * 1024 * 1024


def started_event(execution: rows.Execution, scheduled_event_id: int, identity: str) -> wire.WorkflowTaskStarted:
    """The WorkflowTaskStarted of a task, with the history's size and Temporal's suggestion."""
    suggest = (
        execution.next_event_id >= SUGGEST_CONTINUE_AS_NEW_EVENTS
        or execution.history_size >= SUGGEST_CONTINUE_AS_NEW_BYTES
    )
    return wire.WorkflowTaskStarted(
        scheduled_event_id=scheduled_event_id,
        identity=identity,
        history_size_bytes=execution.history_size,
        suggest_continue_as_new=suggest,
    )


def start(execution: rows.Execution, task: rows.Task, identity: str, now: datetime) -> batch.Batch | None:
    """A poll took ``task``: append WorkflowTaskStarted and arm its start_to_close timeout.

    None when the task row is stale (the run closed or moved on); the caller drops it.
    """
    current = (
        execution.status == _RUNNING
        and execution.wft_scheduled_id == task.scheduled_event_id
        and execution.wft_started_id == 0
    )
    if not current:
        return None
    b = batch.Batch(execution=execution, now=now)
    # A transient attempt's Scheduled and Started are written only if it completes.
    if task.scheduled_event_id == batch.TRANSIENT:
        started_id = batch.TRANSIENT
    else:
        started_id = b.append(started_event(b.execution, task.scheduled_event_id, identity))
    b.update(wft_started_id=started_id)
    due = now + timedelta(seconds=execution.workflow_task_timeout)
    b.arm(rows.TimerKind.WORKFLOW_TASK_TIMEOUT, due, ref=task.scheduled_event_id, attempt=execution.wft_attempt)
    return b


def is_transient(execution: rows.Execution) -> bool:
    """Whether the run's workflow task is a transient attempt (not in history)."""
    return execution.wft_scheduled_id == batch.TRANSIENT


def transient_events(
    execution: rows.Execution, task: rows.Task, identity: str
) -> tuple[wire.HistoryEvent, wire.HistoryEvent]:
    """The WorkflowTaskScheduled and WorkflowTaskStarted a started transient attempt would
    have: what its poll shows the worker, and what its completion writes, ids and times alike."""
    assert task.started_at is not None, "a started task has its start time"
    scheduled_id = execution.next_event_id
    scheduled = batch.scheduled_event(execution, execution.wft_attempt)
    started = started_event(execution, scheduled_id, identity)
    return (
        wire.HistoryEvent(event_id=scheduled_id, event_time=task.scheduled_at, attributes=scheduled),
        wire.HistoryEvent(event_id=scheduled_id + 1, event_time=task.started_at, attributes=started),
    )


def first_event_id(execution: rows.Execution) -> int:
    """Where a task's history starts: after the last completed task's WorkflowTaskStarted."""
    return execution.last_wft_started_id + 1


def token_for(execution: rows.Execution) -> tokens.WorkflowTaskToken:
    """The token of the run's started workflow task."""
    return tokens.WorkflowTaskToken(
        execution.run_id, execution.wft_scheduled_id, execution.wft_started_id, execution.wft_attempt
    )


def check_token(execution: rows.Execution | None, token: tokens.WorkflowTaskToken) -> rows.Execution:
    """The execution, if the token's task is the run's started workflow task; else TaskNotFound."""
    holds = (
        execution is not None
        and execution.status == _RUNNING
        and execution.wft_scheduled_id == token.scheduled_event_id
        and execution.wft_started_id == token.started_event_id
        and execution.wft_started_id != 0
        and execution.wft_attempt == token.attempt
    )
    if not holds:
        raise errors.TaskNotFound(
            f"Workflow task (scheduled {token.scheduled_event_id}, started {token.started_event_id}) of run "
            f"{token.run_id} is no longer outstanding: it was answered, timed out, or the run closed"
        )
    assert execution is not None
    return execution


def complete(
    ctx: commands.Context,
    command_list: Sequence[cmd.Command],
    identity: str,
    now: datetime,
    *,
    force_new: bool = False,
) -> batch.Batch:
    """Apply a completion: WorkflowTaskCompleted, the commands' events, buffered events,
    and a new workflow task when the workflow has something new to see.

    ``force_new`` (Temporal's ``force_create_new_workflow_task``, a worker's heartbeat while
    local activities run) schedules the next task whatever came, started at once by the
    same worker, which gets it back in the answer.
    """
    problem = _sequence_problem(ctx, command_list)
    if problem is not None:
        return _refuse(ctx, problem, identity, now)
    ex = ctx.execution
    b = batch.Batch(execution=ex, now=now)
    scheduled_id, started_id = _record_attempt(b, ctx, identity)
    completed_id = b.append(
        wire.WorkflowTaskCompleted(scheduled_event_id=scheduled_id, started_event_id=started_id, identity=identity)
    )
    b.end_workflow_task()
    b.update(last_wft_started_id=started_id, wft_attempt=0, wft_failure=None)
    applier = commands.Applier(b, ctx, completed_id)
    for command in command_list:
        problem = applier.apply(command)
        if problem is not None:
            return _refuse(ctx, problem, identity, now)
    if b.closed:
        return b
    # Flush even when commands consumed every buffered event: the store's copies go too.
    flushed = b.flush(applier.buffered) if ctx.buffered else 0
    if flushed or applier.needs_workflow_task or force_new:
        b.schedule_workflow_task(started=force_new)
    if force_new:
        start_at_once(b, identity)
    return b


def start_at_once(b: batch.Batch, identity: str) -> None:
    """Start the task just scheduled, for the worker that forced it or takes it over."""
    ex = b.execution
    started_id = b.append(started_event(ex, ex.wft_scheduled_id, identity))
    b.update(wft_started_id=started_id)
    due = b.now + timedelta(seconds=ex.workflow_task_timeout)
    b.arm(rows.TimerKind.WORKFLOW_TASK_TIMEOUT, due, ref=ex.wft_scheduled_id, attempt=ex.wft_attempt)


def _record_attempt(b: batch.Batch, ctx: commands.Context, identity: str) -> tuple[int, int]:
    """The completed attempt's scheduled and started event ids, writing them first if it
    was transient, exactly as its poll showed them to the worker."""
    ex = ctx.execution
    if not is_transient(ex):
        return ex.wft_scheduled_id, ex.wft_started_id
    assert ctx.workflow_task is not None, "a transient completion is given its task"
    scheduled, started = transient_events(ex, ctx.workflow_task, identity)
    return b.append(scheduled.attributes, at=scheduled.event_time), b.append(started.attributes, at=started.event_time)


def _sequence_problem(ctx: commands.Context, command_list: Sequence[cmd.Command]) -> commands.Problem | None:
    closes = [i for i, c in enumerate(command_list) if commands.is_close(c)]
    if closes and closes[0] != len(command_list) - 1:
        return commands.Problem(
            "BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES",
            "A command that closes the workflow must be the last command",
        )
    # Temporal's UnhandledCommand: the workflow would close without seeing new events.
    if closes and ctx.buffered:
        return commands.Problem(
            "UNHANDLED_COMMAND",
            "Events arrived while the workflow task ran; the workflow must see them first",
        )
    return None


def _refuse(ctx: commands.Context, problem: commands.Problem, identity: str, now: datetime) -> batch.Batch:
    # An unhandled command is not the code's fault: the next task is a fresh first attempt.
    attempt = 1 if problem.cause == "UNHANDLED_COMMAND" else ctx.execution.wft_attempt + 1
    failure = Failure(message=problem.message, type=problem.cause, source="server")
    return fail(ctx, problem.cause, failure, identity, now, next_attempt=attempt)


def fail(
    ctx: commands.Context,
    cause: str,
    failure: Failure | None,
    identity: str,
    now: datetime,
    *,
    next_attempt: int | None = None,
) -> batch.Batch:
    """A failed workflow task, retried after a short backoff; the run and its history stay
    as they are, so a worker with fixed code picks the run up again.

    As in Temporal, only the first failure is written (WorkflowTaskFailed); the attempts
    after it are transient until one completes, so a task failing every few seconds for a
    week adds nothing to the history. The last failure is kept on the run for describe.
    """
    ex = ctx.execution
    b = batch.Batch(execution=ex, now=now)
    if not is_transient(ex):
        b.append(
            wire.WorkflowTaskFailed(
                scheduled_event_id=ex.wft_scheduled_id,
                started_event_id=ex.wft_started_id,
                cause=cause,
                failure=failure,
                identity=identity,
            )
        )
    attempt = next_attempt or ex.wft_attempt + 1
    # Not the code's fault: the workflow must see new events first, in a fresh attempt.
    if cause != "UNHANDLED_COMMAND":
        _note_failure(b, cause, failure)
    _retry(b, ctx, attempt=attempt, delay=retry.workflow_task_backoff(attempt))
    return b


def _note_failure(b: batch.Batch, cause: str, failure: Failure | None) -> None:
    dumped = None if failure is None else failure.model_dump(mode="json")
    b.update(wft_failure={"cause": cause, "failure": dumped, "time": b.now.isoformat()})
    b.workflow_task_failures.append(cause)


def timed_out(ctx: commands.Context, scheduled_event_id: int, attempt: int, now: datetime) -> batch.Batch | None:
    """The start_to_close timeout of a started workflow task fired: WorkflowTaskTimedOut (for
    the first attempt that times out; transient ones record nothing) and a new attempt.
    None when that attempt already ended."""
    ex = ctx.execution
    current = ex.wft_scheduled_id == scheduled_event_id and ex.wft_attempt == attempt and ex.wft_started_id != 0
    if ex.status != _RUNNING or not current:
        return None
    b = batch.Batch(execution=ex, now=now)
    if not is_transient(ex):
        b.append(
            wire.WorkflowTaskTimedOut(
                scheduled_event_id=ex.wft_scheduled_id,
                started_event_id=ex.wft_started_id,
                timeout_type=TimeoutType.START_TO_CLOSE,
            )
        )
    message = f"Workflow task timed out after {ex.workflow_task_timeout:g}s (start_to_close)"
    _note_failure(b, "TIMED_OUT", Failure(message=message, kind=FailureKind.TIMEOUT, source="server"))
    # A worker that died holding the task: offer it again at once.
    _retry(b, ctx, attempt=ex.wft_attempt + 1, delay=0.0)
    return b


def _retry(b: batch.Batch, ctx: commands.Context, *, attempt: int, delay: float) -> None:
    b.end_workflow_task()
    if ctx.buffered or b.buffered:
        b.flush(ctx.buffered)
    # A retry is transient; a fresh first attempt (after an unhandled command) is recorded.
    b.schedule_workflow_task(attempt=attempt, delay=delay, transient=attempt > 1)
