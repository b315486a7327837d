"""Child-workflow and external-workflow commands: the rules of ``rules.children``."""

from __future__ import annotations

from dataclasses import replace

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Payload, WorkflowExecution, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator.engine.rules import children, commands, signals, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, started_run, types


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
    asked = replace(running, run_id="asked", parent_close_policy="REQUEST_CANCEL")
    new = children.close_transfers(closed, [kept, ended, asked], NOW)
    assert [(t.run_id, t.kind, t.ref, t.timer_id) for t in new] == [
        ("parent-run", rows.TimerKind.CHILD_CLOSED, 5, closed.run_id),
        ("terminated", rows.TimerKind.PARENT_CLOSED, 0, "TERMINATE"),
        ("asked", rows.TimerKind.PARENT_CLOSED, 0, "REQUEST_CANCEL"),
    ]


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
    (failed,) = children.external_done(started_run(), 5, a, children.NOT_FOUND, NOW).buffered
    (signaled,) = children.external_done(started_run(), 5, a, "", NOW).buffered
    assert isinstance(failed, wire.SignalExternalWorkflowExecutionFailed)
    assert failed.cause == "EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND"
    assert isinstance(signaled, wire.ExternalWorkflowExecutionSignaled)


def test_a_cancel_request_to_another_run_is_initiated_with_a_due_now_delivery_row() -> None:
    command = cmd.RequestCancelExternalWorkflowExecution(workflow_id="other", reason="enough", child_workflow_only=True)
    b = workflow_tasks.complete(commands.Context(started_run()), [command], "worker-1", NOW)
    assert types(b) == ["WorkflowTaskCompleted", "RequestCancelExternalWorkflowExecutionInitiated"]
    initiated = b.events[1].attributes
    assert isinstance(initiated, wire.RequestCancelExternalWorkflowExecutionInitiated)
    assert (initiated.workflow_execution.workflow_id, initiated.reason, initiated.child_workflow_only) == (
        "other",
        "enough",
        True,
    )
    assert [(t.kind, t.ref, t.due_at) for t in b.new_timers] == [
        (rows.TimerKind.CANCEL_EXTERNAL, b.events[1].event_id, NOW)
    ]


def test_a_cancel_request_reaches_its_target_once_naming_the_run_that_asked() -> None:
    target = replace(started_run(), run_id="target", workflow_id="target-wf")
    sender = WorkflowExecution(workflow_id="sender-wf", run_id="sender-run")
    b = signals.request_cancel(target, "enough", "", NOW, external=sender, external_initiated_event_id=7)
    (first,) = b.buffered
    assert isinstance(first, wire.WorkflowExecutionCancelRequested)
    assert (first.cause, first.external_initiated_event_id, first.external_workflow_execution) == ("enough", 7, sender)
    again = signals.request_cancel(replace(target, cancel_requested=True), "", "", NOW, external=sender)
    assert not again.changed


def test_a_signal_or_cancel_for_children_only_reaches_only_the_senders_running_child() -> None:
    sender = started_run()
    child = replace(sender, run_id="child", parent_run_id=sender.run_id)
    stranger = replace(sender, run_id="stranger")
    closed_child = replace(child, status=WorkflowExecutionStatus.COMPLETED)
    assert children.reaches(sender, child, child_workflow_only=True)
    assert not children.reaches(sender, stranger, child_workflow_only=True)
    assert children.reaches(sender, stranger, child_workflow_only=False)
    assert not children.reaches(sender, closed_child, child_workflow_only=False)
    assert not children.reaches(sender, None, child_workflow_only=False)


def test_a_cancel_requests_outcome_is_temporals_event_on_the_sender() -> None:
    a = wire.RequestCancelExternalWorkflowExecutionInitiated(
        workflow_execution=WorkflowExecution(workflow_id="other", run_id=""), workflow_task_completed_event_id=4
    )
    (failed,) = children.external_done(started_run(), 5, a, children.NOT_FOUND, NOW).buffered
    (asked,) = children.external_done(started_run(), 5, a, "", NOW).buffered
    assert isinstance(failed, wire.RequestCancelExternalWorkflowExecutionFailed)
    assert (failed.cause, failed.initiated_event_id) == ("EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND", 5)
    assert isinstance(asked, wire.ExternalWorkflowExecutionCancelRequested)
    assert asked.initiated_event_id == 5


def test_describe_and_list_show_a_top_level_run_as_its_own_root_and_a_child_with_its_parent() -> None:
    top = started_run()
    assert children.lineage(top) == (None, WorkflowExecution(workflow_id=top.workflow_id, run_id=top.run_id))
    child = replace(
        top, run_id="child", parent_workflow_id="p", parent_run_id="p-run", root_workflow_id="r", root_run_id="r-run"
    )
    assert children.lineage(child) == (
        WorkflowExecution(workflow_id="p", run_id="p-run"),
        WorkflowExecution(workflow_id="r", run_id="r-run"),
    )
