"""Workflow tasks without a database: commands, failures, timeouts, buffering, stale tokens."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure
from legato.api.history import v1 as wire
from legato_operator import errors
from legato_operator.engine.rules import batch, commands, tokens, workflow_tasks
from legato_operator.store import rows
from tests.server import factories
from tests.server.factories import NOW, started_run, types
from tests.support.payloads import payload


def complete(ctx: commands.Context, *command_list: cmd.Command) -> batch.Batch:
    return workflow_tasks.complete(ctx, list(command_list), "worker-1", NOW)


def test_first_task_history_starts_at_event_one_and_ends_at_workflow_task_started() -> None:
    run = started_run()
    assert workflow_tasks.first_event_id(run) == 1
    assert (run.wft_scheduled_id, run.wft_started_id, run.next_event_id) == (2, 3, 4)


def test_scheduling_an_activity_appends_its_event_and_creates_a_ready_task() -> None:
    b = complete(
        commands.Context(started_run()),
        cmd.ScheduleActivityTask(activity_id="a1", activity_type="charge", start_to_close_timeout=5),
    )
    assert types(b) == ["WorkflowTaskCompleted", "ActivityTaskScheduled"]
    scheduled = b.events[1].attributes
    assert isinstance(scheduled, wire.ActivityTaskScheduled)
    assert scheduled.task_queue == "orders"
    assert scheduled.retry_policy.maximum_interval == 100.0
    assert [(t.kind, t.scheduled_event_id) for t in b.new_tasks] == [("activity", 5)]
    assert b.execution.last_wft_started_id == 3
    assert b.execution.wft_scheduled_id == 0


def test_an_activity_without_start_or_schedule_to_close_fails_the_workflow_task_not_the_run() -> None:
    b = complete(commands.Context(started_run()), cmd.ScheduleActivityTask(activity_id="a1", activity_type="charge"))
    assert types(b) == ["WorkflowTaskFailed"]
    failed = b.events[0].attributes
    assert isinstance(failed, wire.WorkflowTaskFailed)
    assert failed.cause == "BAD_SCHEDULE_ACTIVITY_ATTRIBUTES"
    assert failed.failure is not None
    assert failed.failure.message == "Either start_to_close_timeout or schedule_to_close_timeout is required"
    assert b.execution.status == "RUNNING"
    assert b.execution.wft_attempt == 2
    assert b.new_tasks[0].kind != "activity"


def test_schedule_to_close_alone_also_limits_each_attempt() -> None:
    b = complete(
        commands.Context(started_run()),
        cmd.ScheduleActivityTask(activity_id="a1", activity_type="charge", schedule_to_close_timeout=30),
    )
    scheduled = b.events[1].attributes
    assert isinstance(scheduled, wire.ActivityTaskScheduled)
    assert scheduled.start_to_close_timeout == 30
    assert [t.kind for t in b.new_timers] == ["activity_schedule_to_close"]


def test_a_timer_is_started_and_armed() -> None:
    b = complete(commands.Context(started_run()), cmd.StartTimer(timer_id="t", start_to_fire_timeout=3600))
    assert types(b) == ["WorkflowTaskCompleted", "TimerStarted"]
    assert [(t.kind, t.ref, t.timer_id) for t in b.new_timers] == [("user", 5, "t")]


def test_a_timer_id_in_use_fails_the_workflow_task() -> None:
    b = complete(
        commands.Context(started_run(), user_timers={"t": 7}),
        cmd.StartTimer(timer_id="t", start_to_fire_timeout=1),
    )
    assert types(b)[0] == "WorkflowTaskFailed"


def test_cancelling_a_pending_timer_disarms_it() -> None:
    b = complete(commands.Context(started_run(), user_timers={"t": 7}), cmd.CancelTimer(timer_id="t"))
    assert types(b) == ["WorkflowTaskCompleted", "TimerCanceled"]
    assert any(s.kinds == ("user",) and s.ref == 7 for s in b.deleted_timers)


def test_cancelling_a_timer_that_fired_during_the_task_drops_the_buffered_firing() -> None:
    ctx = commands.Context(started_run(), buffered=[wire.TimerFired(timer_id="t", started_event_id=7)])
    b = complete(ctx, cmd.CancelTimer(timer_id="t"))
    assert types(b) == ["WorkflowTaskCompleted", "TimerCanceled"]


def test_completing_the_workflow_closes_the_run() -> None:
    b = complete(commands.Context(started_run()), cmd.CompleteWorkflowExecution(result=payload({"ok": 1})))
    assert types(b) == ["WorkflowTaskCompleted", "WorkflowExecutionCompleted"]
    assert b.closed
    assert b.execution.status == "COMPLETED"
    assert b.execution.result == payload({"ok": 1}).model_dump(mode="json")


def test_failing_the_workflow_records_its_failure() -> None:
    b = complete(commands.Context(started_run()), cmd.FailWorkflowExecution(failure=Failure(message="no")))
    assert b.execution.status == "FAILED"
    assert b.execution.failure is not None


def test_a_close_command_before_others_is_refused() -> None:
    b = complete(
        commands.Context(started_run()),
        cmd.CompleteWorkflowExecution(),
        cmd.StartTimer(timer_id="t", start_to_fire_timeout=1),
    )
    assert types(b)[0] == "WorkflowTaskFailed"
    assert not b.closed


def test_closing_while_events_are_buffered_is_an_unhandled_command() -> None:
    ctx = commands.Context(started_run(), buffered=[wire.WorkflowExecutionSignaled(signal_name="go")])
    b = complete(ctx, cmd.CompleteWorkflowExecution())
    assert types(b) == ["WorkflowTaskFailed", "WorkflowExecutionSignaled", "WorkflowTaskScheduled"]
    assert not b.closed
    assert b.execution.wft_attempt == 1


def test_buffered_events_follow_the_command_events_then_a_new_task_is_scheduled() -> None:
    buffered: list[wire.EventAttributes] = [
        wire.ActivityTaskStarted(scheduled_event_id=5, attempt=2),
        wire.ActivityTaskCompleted(scheduled_event_id=5, started_event_id=0, result=payload(1)),
    ]
    b = complete(
        commands.Context(started_run(), buffered=buffered),
        cmd.StartTimer(timer_id="t", start_to_fire_timeout=1),
    )
    assert types(b) == [
        "WorkflowTaskCompleted",
        "TimerStarted",
        "ActivityTaskStarted",
        "ActivityTaskCompleted",
        "WorkflowTaskScheduled",
    ]
    completed = b.events[3].attributes
    assert isinstance(completed, wire.ActivityTaskCompleted)
    assert completed.started_event_id == b.events[2].event_id


def test_a_failed_workflow_task_is_retried_and_the_run_stays_running() -> None:
    ctx = commands.Context(started_run())
    b = workflow_tasks.fail(ctx, "NON_DETERMINISTIC_ERROR", Failure(message="nondeterminism"), "w", NOW)
    # Only the first failure is recorded; the retry is transient, in no event.
    assert types(b) == ["WorkflowTaskFailed"]
    assert b.execution.status == "RUNNING"
    assert (b.execution.wft_attempt, b.execution.wft_scheduled_id) == (2, batch.TRANSIENT)
    assert b.new_tasks[0].state == "ready"  # the first retry is immediate
    assert b.workflow_task_failures == ["NON_DETERMINISTIC_ERROR"]
    again = workflow_tasks.fail(
        commands.Context(dataclasses.replace(b.execution, wft_started_id=batch.TRANSIENT)),
        "NON_DETERMINISTIC_ERROR",
        None,
        "w",
        NOW,
    )
    assert again.events == []
    assert again.new_tasks[0].state == "backoff"
    assert [t.kind for t in again.new_timers] == ["task_ready"]
    assert again.execution.wft_attempt == 3
    assert again.execution.wft_failure is not None
    assert again.execution.wft_failure["cause"] == "NON_DETERMINISTIC_ERROR"


def test_a_timed_out_workflow_task_is_offered_again_with_the_next_attempt() -> None:
    run = started_run()
    b = workflow_tasks.timed_out(commands.Context(run), run.wft_scheduled_id, run.wft_attempt, NOW)
    assert b is not None
    assert types(b) == ["WorkflowTaskTimedOut"]
    assert (b.execution.wft_attempt, b.execution.wft_scheduled_id) == (2, batch.TRANSIENT)
    # The timer of an earlier attempt of the same (transient) task does nothing.
    assert workflow_tasks.timed_out(commands.Context(run), run.wft_scheduled_id, run.wft_attempt - 1, NOW) is None
    assert workflow_tasks.timed_out(commands.Context(run), run.wft_scheduled_id - 1, run.wft_attempt, NOW) is None


def test_a_token_of_an_answered_task_is_stale() -> None:
    run = started_run()
    token = workflow_tasks.token_for(run)
    assert workflow_tasks.check_token(run, token) is run
    after = complete(commands.Context(run), cmd.StartTimer(timer_id="t", start_to_fire_timeout=1)).execution
    with pytest.raises(errors.TaskNotFound):
        workflow_tasks.check_token(after, token)


def test_tokens_round_trip_and_garbage_names_the_field() -> None:
    token = tokens.WorkflowTaskToken("6a0b9c64-3f61-4c1e-9d47-3b9e0c2a7f11", 2, 3, 1)
    assert tokens.decode_workflow(tokens.encode(token)) == token
    with pytest.raises(errors.InvalidArgument) as caught:
        tokens.decode_workflow("not-a-token")
    assert caught.value.field == "task_token"
    with pytest.raises(errors.InvalidArgument):
        tokens.decode_activity(tokens.encode(token))


def transient_started(attempt: int = 3) -> rows.Execution:
    """A run whose first workflow task failed and whose attempt ``attempt`` has started."""
    run = started_run()
    failed = workflow_tasks.fail(commands.Context(run), "WORKFLOW_WORKER_UNHANDLED_FAILURE", None, "w", NOW)
    return dataclasses.replace(failed.execution, wft_attempt=attempt, wft_started_id=batch.TRANSIENT)


def transient_task(run: rows.Execution) -> rows.Task:
    # Started a second after it was scheduled, so the two times can be told apart.
    return dataclasses.replace(factories.workflow_task(run), started_at=NOW + timedelta(seconds=1))


def test_a_transient_attempt_that_fails_again_writes_nothing_but_counts() -> None:
    run = transient_started()
    b = workflow_tasks.fail(
        commands.Context(run), "WORKFLOW_WORKER_UNHANDLED_FAILURE", Failure(message="again"), "w", NOW
    )
    assert b.events == []
    assert b.execution.next_event_id == run.next_event_id
    assert (b.execution.wft_attempt, b.execution.wft_scheduled_id) == (4, batch.TRANSIENT)
    timed_out = workflow_tasks.timed_out(commands.Context(run), batch.TRANSIENT, run.wft_attempt, NOW)
    assert timed_out is not None
    assert timed_out.events == []


def test_a_transient_attempt_is_shown_and_recorded_with_the_same_ids_and_times() -> None:
    run = transient_started()
    task = transient_task(run)
    shown = workflow_tasks.transient_events(run, task, "w")
    assert [(e.event_id, e.attributes.type) for e in shown] == [
        (run.next_event_id, "WorkflowTaskScheduled"),
        (run.next_event_id + 1, "WorkflowTaskStarted"),
    ]
    ctx = commands.Context(run, workflow_task=task)
    b = workflow_tasks.complete(ctx, [cmd.StartTimer(timer_id="t", start_to_fire_timeout=1)], "w", NOW)
    assert types(b) == ["WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted", "TimerStarted"]
    assert [(e.event_id, e.event_time) for e in b.events[:2]] == [(e.event_id, e.event_time) for e in shown]
    scheduled = b.events[0].attributes
    assert isinstance(scheduled, wire.WorkflowTaskScheduled)
    assert scheduled.attempt == 3
    assert b.execution.last_wft_started_id == shown[1].event_id
    assert (b.execution.wft_attempt, b.execution.wft_failure) == (0, None)


def test_a_token_of_an_earlier_transient_attempt_is_stale() -> None:
    run = transient_started(attempt=3)
    earlier = dataclasses.replace(workflow_tasks.token_for(run), attempt=2)
    with pytest.raises(errors.TaskNotFound):
        workflow_tasks.check_token(run, earlier)
    assert workflow_tasks.check_token(run, workflow_tasks.token_for(run)) is run


def test_an_unhandled_command_starts_a_fresh_recorded_attempt() -> None:
    run = transient_started()
    buffered: list[wire.EventAttributes] = [wire.WorkflowExecutionSignaled(signal_name="go")]
    ctx = commands.Context(run, buffered=buffered, workflow_task=transient_task(run))
    b = workflow_tasks.complete(ctx, [cmd.CompleteWorkflowExecution(result=payload(1))], "w", NOW)
    assert types(b) == ["WorkflowExecutionSignaled", "WorkflowTaskScheduled"]
    assert (b.execution.wft_attempt, b.closed) == (1, False)
