"""Child-workflow and external-workflow commands: the rules of ``rules.children``, and the
commands the server does not run yet.

The wire carries Temporal's commands; until the server carries one out, a completion with
it is refused as a whole with Temporal's cause for that command, so nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Payload, WorkflowExecution, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator.engine.rules import children, commands, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, started_run, types

NOT_YET: list[tuple[cmd.Command, str]] = [
    (
        cmd.RequestCancelExternalWorkflowExecution(workflow_id="other"),
        "BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES",
    ),
]


@pytest.mark.parametrize(("command", "cause"), NOT_YET)
def test_a_child_or_external_command_fails_the_workflow_task_with_temporals_cause(
    command: cmd.Command, cause: str
) -> None:
    b = workflow_tasks.complete(
        commands.Context(started_run()),
        [cmd.StartTimer(timer_id="t1", start_to_fire_timeout=5), command],
        "worker-1",
        NOW,
    )
    assert types(b) == ["WorkflowTaskFailed"]
    failed = b.events[0].attributes
    assert isinstance(failed, wire.WorkflowTaskFailed)
    assert failed.cause == cause
    assert failed.failure is not None
    assert command.type in failed.failure.message
    assert not any(t.kind.value == "user" for t in b.new_timers)
    assert not b.closed


def _start_child(command: cmd.StartChildWorkflowExecution) -> wire.StartChildWorkflowExecutionInitiated:
    b = workflow_tasks.complete(commands.Context(started_run()), [command], "worker-1", NOW)
    assert types(b) == ["WorkflowTaskCompleted", "StartChildWorkflowExecutionInitiated"]
    initiated = b.events[1]
    assert [(t.kind, t.ref, t.due_at) for t in b.new_timers] == [(rows.TimerKind.CHILD_START, initiated.event_id, NOW)]
    assert isinstance(initiated.attributes, wire.StartChildWorkflowExecutionInitiated)
    return initiated.attributes


def test_a_start_child_command_is_initiated_with_the_parents_task_queue_and_a_due_now_start_row() -> None:
    a = _start_child(cmd.StartChildWorkflowExecution(workflow_id="child-1", workflow_type="Child"))
    assert (a.workflow_id, a.task_queue, a.parent_close_policy) == ("child-1", started_run().task_queue, "TERMINATE")


def test_a_child_starts_with_its_parent_and_the_parents_tree_root() -> None:
    parent = started_run()
    a = _start_child(cmd.StartChildWorkflowExecution(workflow_id="child-1", workflow_type="Child"))
    link = children.parent_of(parent, 5, a)
    assert (link.run_id, link.initiated_event_id, link.root_run_id) == (parent.run_id, 5, parent.run_id)
    grandchild = children.parent_of(replace(parent, root_run_id="root", root_workflow_id="r"), 5, a)
    assert (grandchild.root_workflow_id, grandchild.root_run_id) == ("r", "root")


def test_a_completed_child_becomes_child_workflow_execution_completed_with_its_ids() -> None:
    child = replace(started_run(), run_id="c0ffee00-0000-4000-8000-000000000000", workflow_id="child-1")
    result = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    event = children.closed_event(
        child, wire.WorkflowExecutionCompleted(result=result, workflow_task_completed_event_id=4), 5, 6
    )
    assert isinstance(event, wire.ChildWorkflowExecutionCompleted)
    assert (event.initiated_event_id, event.started_event_id, event.result) == (5, 6, result)
    assert event.workflow_execution.run_id == child.run_id


def test_a_continued_child_reports_nothing_yet() -> None:
    close = wire.WorkflowExecutionContinuedAsNew(
        new_execution_run_id="next", workflow_type="Child", task_queue="q", workflow_task_completed_event_id=4
    )
    assert children.closed_event(started_run(), close, 5, 6) is None


def test_a_close_reports_to_the_parent_and_terminates_only_children_whose_policy_says_so() -> None:
    closed = replace(started_run(), parent_run_id="parent-run", parent_initiated_event_id=5)
    running = replace(started_run(), status=WorkflowExecutionStatus.RUNNING)
    kept = replace(running, run_id="abandoned", parent_close_policy="ABANDON")
    ended = replace(running, run_id="terminated", parent_close_policy="TERMINATE")
    new = children.close_transfers(closed, [kept, ended], NOW)
    assert [(t.run_id, t.kind, t.ref) for t in new] == [
        ("parent-run", rows.TimerKind.CHILD_CLOSED, 5),
        ("terminated", rows.TimerKind.PARENT_CLOSED, 0),
    ]
    assert new[0].timer_id == closed.run_id


def test_a_signal_to_another_run_is_initiated_with_a_due_now_delivery_row() -> None:
    command = cmd.SignalExternalWorkflowExecution(workflow_id="other", signal_name="poke")
    b = workflow_tasks.complete(commands.Context(started_run()), [command], "worker-1", NOW)
    assert types(b) == ["WorkflowTaskCompleted", "SignalExternalWorkflowExecutionInitiated"]
    assert [(t.kind, t.ref) for t in b.new_timers] == [(rows.TimerKind.SIGNAL_EXTERNAL, b.events[1].event_id)]


def test_a_signal_whose_target_is_missing_fails_with_temporals_not_found_cause() -> None:
    a = wire.SignalExternalWorkflowExecutionInitiated(
        workflow_execution=WorkflowExecution(workflow_id="other", run_id=""),
        signal_name="poke",
        workflow_task_completed_event_id=4,
    )
    # The run's workflow task is in flight: the outcome waits behind it, buffered.
    (failed,) = children.signal_done(started_run(), 5, a, children.NOT_FOUND, NOW).buffered
    (signaled,) = children.signal_done(started_run(), 5, a, "", NOW).buffered
    assert isinstance(failed, wire.SignalExternalWorkflowExecutionFailed)
    assert failed.cause == "EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND"
    assert isinstance(signaled, wire.ExternalWorkflowExecutionSignaled)
