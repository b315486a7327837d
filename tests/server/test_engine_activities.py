"""Activities without a database: completion, retries, timeouts, cancellation, signals."""

from __future__ import annotations

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, FailureKind, RetryState
from legato.api.history import v1 as wire
from legato_operator.engine.rules import activities, commands, signals, termination, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, activity_task, idle, started_run, types
from tests.support.payloads import payload, payloads


def timer(kind: rows.TimerKind, task: rows.Task) -> rows.Timer:
    return rows.Timer(
        id=9,
        namespace="default",
        run_id=task.run_id,
        kind=kind,
        ref=task.scheduled_event_id,
        attempt=task.attempt,
        timer_id=None,
        due_at=NOW,
    )


def test_completion_writes_started_with_the_attempt_then_completed_and_schedules_a_workflow_task() -> None:
    run = idle(started_run(), next_event_id=6)
    b = activities.completed(run, activity_task(run, 5, attempt=3), payload("ok"), "w", NOW)
    assert types(b) == ["ActivityTaskStarted", "ActivityTaskCompleted", "WorkflowTaskScheduled"]
    started, completed = b.events[0].attributes, b.events[1].attributes
    assert isinstance(started, wire.ActivityTaskStarted)
    assert started.attempt == 3
    assert isinstance(completed, wire.ActivityTaskCompleted)
    assert completed.started_event_id == 6
    assert b.deleted_tasks == [5]


def test_completion_while_a_workflow_task_runs_is_buffered() -> None:
    run = started_run()
    b = activities.completed(run, activity_task(run, 5), payload("ok"), "w", NOW)
    assert b.events == []
    assert [a.type for a in b.buffered] == ["ActivityTaskStarted", "ActivityTaskCompleted"]
    assert b.execution.wft_needed


def test_a_retryable_failure_puts_the_task_in_backoff_without_an_event() -> None:
    run = idle(started_run())
    b = activities.failed(run, activity_task(run, 5), Failure(message="flaky"), "w", NOW)
    assert b.events == []
    assert b.buffered == []
    [update] = b.task_updates
    assert (update.attempt, update.state, (update.visible_at - NOW).total_seconds()) == (2, "backoff", 1.0)
    assert [(t.kind, t.attempt) for t in b.new_timers] == [("task_ready", 2)]


def test_the_last_allowed_attempt_failing_records_the_failure() -> None:
    run = idle(started_run())
    task = activity_task(
        run,
        5,
        attempt=2,
        retry_policy={"maximum_attempts": 2},
    )
    b = activities.failed(run, task, Failure(message="still"), "w", NOW)
    assert types(b) == ["ActivityTaskStarted", "ActivityTaskFailed", "WorkflowTaskScheduled"]
    failed = b.events[1].attributes
    assert isinstance(failed, wire.ActivityTaskFailed)
    assert failed.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED


def test_start_to_close_timeout_is_a_retryable_failure_of_the_attempt() -> None:
    run = idle(started_run())
    task = activity_task(run, 5)
    b = activities.timed_out(run, task, timer(rows.TimerKind.ACTIVITY_START_TO_CLOSE, task), NOW)
    assert b is not None
    assert b.events == []
    [update] = b.task_updates
    assert update.last_failure is not None
    assert update.last_failure["timeout_type"] == "START_TO_CLOSE"


def test_a_timer_of_an_earlier_attempt_does_nothing() -> None:
    run = idle(started_run())
    task = activity_task(run, 5, attempt=2)
    stale = rows.Timer(
        id=1,
        namespace="default",
        run_id=run.run_id,
        kind=rows.TimerKind.ACTIVITY_START_TO_CLOSE,
        ref=5,
        attempt=1,
        timer_id=None,
        due_at=NOW,
    )
    assert activities.timed_out(run, task, stale, NOW) is None


def test_schedule_to_close_ends_the_activity_for_good() -> None:
    run = idle(started_run())
    task = activity_task(run, 5, attempt=2, state=rows.TaskState.BACKOFF)
    b = activities.timed_out(run, task, timer(rows.TimerKind.ACTIVITY_SCHEDULE_TO_CLOSE, task), NOW)
    assert b is not None
    assert types(b) == [
        "ActivityTaskStarted",
        "ActivityTaskTimedOut",
        "WorkflowTaskScheduled",
    ]
    timed_out = b.events[1].attributes
    assert isinstance(timed_out, wire.ActivityTaskTimedOut)
    assert timed_out.retry_state == RetryState.TIMEOUT
    assert timed_out.failure.timeout_type is not None
    assert timed_out.failure.timeout_type.value == "SCHEDULE_TO_CLOSE"


def test_cancel_request_of_an_unstarted_activity_cancels_it_at_once() -> None:
    run = started_run()
    ctx = commands.Context(run, activities={5: activity_task(run, 5, state=rows.TaskState.READY)})
    b = workflow_tasks.complete(ctx, [cmd.RequestCancelActivityTask(scheduled_event_id=5)], "w", NOW)
    assert types(b) == [
        "WorkflowTaskCompleted",
        "ActivityTaskCancelRequested",
        "ActivityTaskCanceled",
        "WorkflowTaskScheduled",
    ]


def test_cancel_request_of_a_started_activity_reaches_it_through_heartbeats() -> None:
    run = started_run()
    ctx = commands.Context(run, activities={5: activity_task(run, 5)})
    b = workflow_tasks.complete(ctx, [cmd.RequestCancelActivityTask(scheduled_event_id=5)], "w", NOW)
    assert types(b) == ["WorkflowTaskCompleted", "ActivityTaskCancelRequested"]
    assert b.task_updates[0].cancel_requested
    task = activity_task(idle(run), 5)
    canceled_task = rows.Task(**{**task.__dict__, "cancel_requested": True})
    after = activities.failed(idle(run), canceled_task, Failure(message="c", kind=FailureKind.CANCELED), "w", NOW)
    assert types(after) == ["ActivityTaskStarted", "ActivityTaskCanceled", "WorkflowTaskScheduled"]


def test_a_signal_schedules_a_workflow_task_or_waits_behind_the_running_one() -> None:
    assert types(signals.signal(idle(started_run()), "go", payloads(1), "", NOW)) == [
        "WorkflowExecutionSignaled",
        "WorkflowTaskScheduled",
    ]
    assert signals.signal(started_run(), "go", payloads(1), "", NOW).buffered[0].type == "WorkflowExecutionSignaled"


def test_terminate_closes_the_run_and_ends_the_running_workflow_task() -> None:
    b = termination.terminate(started_run(), [], "bye", "me", NOW)
    assert types(b) == ["WorkflowTaskFailed", "WorkflowExecutionTerminated"]
    assert b.closed
    assert b.execution.status == "TERMINATED"


def test_a_cancel_request_is_recorded_once() -> None:
    run = idle(started_run())
    first = signals.request_cancel(run, "enough", "", NOW)
    assert types(first) == ["WorkflowExecutionCancelRequested", "WorkflowTaskScheduled"]
    assert not signals.request_cancel(first.execution, "again", "", NOW).changed
