"""Chains of runs and start options without a database: continue-as-new, workflow retries,
start delays, signal-with-start and the id policies as Temporal's server decides them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, RetryPolicy, RetryState, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import batch, chains, commands, start, termination, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, started_run, types
from tests.support.payloads import payloads

C, R = api.IdConflictPolicy, api.IdReusePolicy


def request(**kw: Any) -> api.StartWorkflowRequest:
    return api.StartWorkflowRequest(workflow_id="wf-1", workflow_type="Orders", task_queue="orders", **kw)


def started_event(**kw: Any) -> wire.WorkflowExecutionStarted:
    b = start.new_run("default", request(**kw), NOW)
    attributes = b.events[0].attributes
    assert isinstance(attributes, wire.WorkflowExecutionStarted)
    return attributes


def complete(run: rows.Execution, started: wire.WorkflowExecutionStarted, command: cmd.Command) -> batch.Batch:
    ctx = commands.Context(execution=run, started=started)
    return workflow_tasks.complete(ctx, [command], "worker-1", NOW)


# --- continue-as-new ---


def test_continue_as_new_closes_the_run_and_starts_the_next_in_the_same_batch() -> None:
    run = started_run(run_timeout=60.0)
    b = complete(run, started_event(run_timeout=60.0), cmd.ContinueAsNewWorkflowExecution(input=payloads(2)))
    assert types(b) == ["WorkflowTaskCompleted", "WorkflowExecutionContinuedAsNew"]
    assert b.closed
    assert b.execution.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    successor = b.successor
    assert successor is not None
    assert types(successor) == ["WorkflowExecutionStarted", "WorkflowTaskScheduled"]
    closing = b.events[1].attributes
    assert isinstance(closing, wire.WorkflowExecutionContinuedAsNew)
    assert closing.new_execution_run_id == successor.execution.run_id == b.execution.new_run_id


def test_a_childs_next_run_keeps_its_parent_and_root_in_row_and_started_event() -> None:
    run = dataclasses.replace(
        started_run(),
        parent_workflow_id="p",
        parent_run_id="p-run",
        parent_initiated_event_id=5,
        parent_close_policy="REQUEST_CANCEL",
        root_workflow_id="r",
        root_run_id="r-run",
    )
    b = complete(run, started_event(), cmd.ContinueAsNewWorkflowExecution())
    assert b.successor is not None
    nxt = b.successor.execution
    assert (nxt.parent_run_id, nxt.parent_initiated_event_id, nxt.parent_close_policy) == ("p-run", 5, "REQUEST_CANCEL")
    assert (nxt.root_workflow_id, nxt.root_run_id) == ("r", "r-run")
    started = b.successor.events[0].attributes
    assert isinstance(started, wire.WorkflowExecutionStarted)
    assert started.parent_workflow_execution is not None
    assert started.root_workflow_execution is not None
    assert (started.parent_workflow_execution.run_id, started.root_workflow_execution.run_id) == ("p-run", "r-run")
    assert started.parent_initiated_event_id == 5


def test_a_top_level_runs_next_run_has_no_parent() -> None:
    b = complete(started_run(), started_event(), cmd.ContinueAsNewWorkflowExecution())
    assert b.successor is not None
    assert b.successor.execution.parent_run_id is None
    assert start.kept_parent(b.execution) is None


def test_the_next_run_names_the_chain_and_keeps_the_runs_defaults() -> None:
    run = started_run(run_timeout=60.0, task_timeout=5.0)
    b = complete(run, started_event(run_timeout=60.0, task_timeout=5.0), cmd.ContinueAsNewWorkflowExecution())
    assert b.successor is not None
    new = b.successor.execution
    first = b.successor.events[0].attributes
    assert isinstance(first, wire.WorkflowExecutionStarted)
    assert (new.continued_run_id, new.first_execution_run_id, new.attempt) == (run.run_id, run.run_id, 1)
    assert (first.continued_execution_run_id, first.initiator) == (run.run_id, "CONTINUE_AS_NEW")
    assert (first.workflow_type, first.task_queue, first.workflow_run_timeout) == ("Orders", "orders", 60.0)
    assert new.workflow_task_timeout == 5.0


def test_continue_as_new_may_change_the_type_queue_and_timeouts() -> None:
    command = cmd.ContinueAsNewWorkflowExecution(workflow_type="Billing", task_queue="billing", workflow_run_timeout=9)
    b = complete(started_run(), started_event(), command)
    assert b.successor is not None
    assert (b.successor.execution.workflow_type, b.successor.execution.task_queue) == ("Billing", "billing")


def test_the_execution_timeout_spans_the_whole_chain() -> None:
    started = started_event(execution_timeout=100.0)
    later = started_run(execution_timeout=100.0)
    b = workflow_tasks.complete(
        commands.Context(execution=later, started=started),
        [cmd.ContinueAsNewWorkflowExecution()],
        "worker-1",
        NOW + timedelta(seconds=30),
    )
    assert b.successor is not None
    (timeout,) = [t for t in b.successor.new_timers if t.kind == rows.TimerKind.WORKFLOW_EXECUTION_TIMEOUT]
    assert timeout.due_at == NOW + timedelta(seconds=100)


def test_a_continue_as_new_backoff_delays_the_first_workflow_task_with_a_timer() -> None:
    b = complete(started_run(), started_event(), cmd.ContinueAsNewWorkflowExecution(backoff_start_interval=3))
    assert b.successor is not None
    assert types(b.successor) == ["WorkflowExecutionStarted"]
    assert b.successor.execution.first_task_backoff
    assert [t.kind for t in b.successor.new_timers] == [rows.TimerKind.WORKFLOW_START_BACKOFF]


def test_continue_as_new_with_buffered_events_is_an_unhandled_command() -> None:
    ctx = commands.Context(
        execution=started_run(), started=started_event(), buffered=[wire.TimerFired(timer_id="1", started_event_id=5)]
    )
    b = workflow_tasks.complete(ctx, [cmd.ContinueAsNewWorkflowExecution()], "worker-1", NOW)
    assert b.successor is None
    assert not b.closed
    assert "WorkflowTaskFailed" in types(b)


# --- workflow retries ---


def test_a_failed_run_with_a_retry_policy_starts_the_next_attempt_after_its_backoff() -> None:
    policy = RetryPolicy(initial_interval=2.0)
    b = complete(
        started_run(retry_policy=policy),
        started_event(retry_policy=policy),
        cmd.FailWorkflowExecution(failure=Failure(message="boom")),
    )
    failed = b.events[-1].attributes
    assert isinstance(failed, wire.WorkflowExecutionFailed)
    assert failed.retry_state == RetryState.IN_PROGRESS
    assert b.successor is not None
    assert failed.new_execution_run_id == b.successor.execution.run_id
    assert (b.successor.execution.attempt, b.successor.execution.first_task_backoff) == (2, True)
    (backoff,) = b.successor.new_timers
    assert backoff.due_at == NOW + timedelta(seconds=2)
    retried = b.successor.events[0].attributes
    assert isinstance(retried, wire.WorkflowExecutionStarted)
    assert retried.continued_failure == Failure(message="boom")


def test_a_failed_run_is_not_retried_without_a_policy_or_past_its_attempts() -> None:
    plain = complete(started_run(), started_event(), cmd.FailWorkflowExecution(failure=Failure(message="boom")))
    assert plain.successor is None
    policy = RetryPolicy(maximum_attempts=1)
    last = complete(
        started_run(retry_policy=policy),
        started_event(retry_policy=policy),
        cmd.FailWorkflowExecution(failure=Failure(message="boom")),
    )
    failed = last.events[-1].attributes
    assert isinstance(failed, wire.WorkflowExecutionFailed)
    assert last.successor is None
    assert failed.retry_state == RetryState.MAXIMUM_ATTEMPTS_REACHED


def test_a_non_retryable_failure_ends_the_chain() -> None:
    policy = RetryPolicy()
    failure = Failure(message="no", non_retryable=True)
    b = complete(
        started_run(retry_policy=policy), started_event(retry_policy=policy), cmd.FailWorkflowExecution(failure=failure)
    )
    assert b.successor is None


def test_a_run_timeout_is_retried_but_the_chains_deadline_is_not() -> None:
    policy = RetryPolicy(initial_interval=1.0)
    started = started_event(retry_policy=policy, run_timeout=10.0)
    run = started_run(retry_policy=policy, run_timeout=10.0)
    b = termination.execution_timed_out(run, [], NOW + timedelta(seconds=10), started)
    assert b is not None
    assert b.successor is not None
    timed_out = b.events[-1].attributes
    assert isinstance(timed_out, wire.WorkflowExecutionTimedOut)
    assert timed_out.retry_state == RetryState.IN_PROGRESS
    retried = b.successor.events[0].attributes
    assert isinstance(retried, wire.WorkflowExecutionStarted)
    assert retried.continued_failure == termination.RUN_TIMED_OUT
    bounded = started_event(retry_policy=policy, execution_timeout=10.0)
    b = termination.execution_timed_out(run, [], NOW + timedelta(seconds=10), bounded)
    assert b is not None
    assert b.successor is None


# --- start options ---


def test_start_delay_writes_only_the_started_event_and_arms_the_backoff() -> None:
    b = start.new_run("default", request(start_delay=5.0), NOW)
    assert types(b) == ["WorkflowExecutionStarted"]
    first = b.events[0].attributes
    assert isinstance(first, wire.WorkflowExecutionStarted)
    assert first.first_workflow_task_backoff == 5.0
    assert not b.new_tasks
    assert b.execution.first_task_backoff


def test_a_signal_during_the_backoff_waits_for_it_then_the_first_task_sees_both() -> None:
    run = start.new_run("default", request(start_delay=5.0), NOW).execution
    b = batch.Batch(execution=run, now=NOW)
    b.deliver(wire.WorkflowExecutionSignaled(signal_name="go"))
    assert types(b) == ["WorkflowExecutionSignaled"]
    assert not b.new_tasks
    ended = chains.backoff_ended(b.execution, NOW + timedelta(seconds=5))
    assert ended is not None
    assert types(ended) == ["WorkflowTaskScheduled"]
    assert chains.backoff_ended(ended.execution, NOW) is None


def test_signal_with_start_writes_the_signal_before_the_first_workflow_task() -> None:
    signal = wire.WorkflowExecutionSignaled(signal_name="go", input=payloads("a"))
    b = start.new_run("default", request(), NOW, signal=signal)
    assert types(b) == ["WorkflowExecutionStarted", "WorkflowExecutionSignaled", "WorkflowTaskScheduled"]


def test_terminate_existing_replaces_a_running_run() -> None:
    running = started_run()
    decision = start.decide(request(id_conflict_policy=C.TERMINATE_EXISTING), running)
    assert decision == start.TerminateFirst(running.run_id)
    assert start.decide(request(id_reuse_policy=R.TERMINATE_IF_RUNNING), running) == start.TerminateFirst(
        running.run_id
    )


@pytest.mark.parametrize(
    ("reuse", "conflict", "field"),
    [
        (R.TERMINATE_IF_RUNNING, C.FAIL, "id_reuse_policy"),
        (R.TERMINATE_IF_RUNNING, C.USE_EXISTING, "id_reuse_policy"),
        (R.TERMINATE_IF_RUNNING, C.TERMINATE_EXISTING, "id_reuse_policy"),
        (R.REJECT_DUPLICATE, C.TERMINATE_EXISTING, "id_reuse_policy"),
    ],
)
def test_policy_combinations_temporal_refuses_are_invalid_even_for_a_new_id(
    reuse: api.IdReusePolicy, conflict: api.IdConflictPolicy, field: str
) -> None:
    with pytest.raises(errors.InvalidArgument) as caught:
        start.decide(request(id_reuse_policy=reuse, id_conflict_policy=conflict), None)
    assert caught.value.field == field


def test_signal_with_start_uses_the_running_run_and_refuses_fail() -> None:
    running = started_run()
    assert start.decide(request(), running, signal=True) == start.Existing(running.run_id)
    with pytest.raises(errors.InvalidArgument) as caught:
        start.decide(request(id_conflict_policy=C.FAIL), None, signal=True)
    assert caught.value.field == "id_conflict_policy"


@pytest.mark.parametrize(
    ("reuse", "status", "allowed"),
    [
        (R.TERMINATE_IF_RUNNING, WorkflowExecutionStatus.COMPLETED, True),
        (R.ALLOW_DUPLICATE_FAILED_ONLY, WorkflowExecutionStatus.CONTINUED_AS_NEW, False),
    ],
)
def test_closed_ids_follow_the_reuse_policy(
    reuse: api.IdReusePolicy, status: WorkflowExecutionStatus, allowed: bool
) -> None:
    closed = dataclasses.replace(started_run(), status=status)
    if allowed:
        assert start.decide(request(id_reuse_policy=reuse), closed) is None
    else:
        with pytest.raises(errors.AlreadyStarted):
            start.decide(request(id_reuse_policy=reuse), closed)


# --- history size and the continue-as-new suggestion ---


def test_workflow_task_started_carries_the_history_size_and_temporals_suggestion() -> None:
    run = started_run()
    assert run.history_size > 0
    small = workflow_tasks.started_event(run, 2, "w")
    assert small.history_size_bytes == run.history_size
    assert not small.suggest_continue_as_new
    long = dataclasses.replace(run, next_event_id=workflow_tasks.SUGGEST_CONTINUE_AS_NEW_EVENTS)
    assert workflow_tasks.started_event(long, 2, "w").suggest_continue_as_new
    large = dataclasses.replace(run, history_size=workflow_tasks.SUGGEST_CONTINUE_AS_NEW_BYTES)
    assert workflow_tasks.started_event(large, 2, "w").suggest_continue_as_new
