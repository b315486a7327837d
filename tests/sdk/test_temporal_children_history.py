"""A Temporal history with a child workflow and external signals reads into Legato's events.

Recorded on Temporal's dev server by tests/golden/temporal/record_children.py: the parent
starts ``child-1``, signals it through the child's handle, signals a workflow that does not
exist, and returns the child's result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from legato import workflow
from legato.api.history import v1 as hist
from legato.client import WorkflowHistory
from legato.exceptions import NondeterminismError
from legato.worker import Replayer

TEMPORAL = Path(__file__).resolve().parents[1] / "golden" / "temporal"


def _events(name: str) -> list[hist.HistoryEvent]:
    data: dict[str, Any] = json.loads((TEMPORAL / f"{name}.cli.json").read_text())
    return WorkflowHistory.from_json(name, data).events


def _of(events: list[hist.HistoryEvent], kind: type[Any]) -> list[Any]:
    return [e.attributes for e in events if isinstance(e.attributes, kind)]


def test_parent_history_reads_child_and_external_events_with_temporals_fields() -> None:
    events = _events("children")
    (initiated,) = _of(events, hist.StartChildWorkflowExecutionInitiated)
    assert (initiated.workflow_id, initiated.workflow_type, initiated.task_queue) == ("child-1", "Child", "q")
    assert (initiated.parent_close_policy, initiated.workflow_task_completed_event_id) == ("TERMINATE", 4)
    (started,) = _of(events, hist.ChildWorkflowExecutionStarted)
    assert started.initiated_event_id == 5
    assert started.workflow_execution.workflow_id == "child-1"
    (completed,) = _of(events, hist.ChildWorkflowExecutionCompleted)
    assert (completed.initiated_event_id, completed.started_event_id) == (5, 6)
    assert completed.workflow_execution.run_id == started.workflow_execution.run_id


def test_signal_to_a_missing_workflow_reads_as_failed_with_not_found_cause() -> None:
    events = _events("children")
    to_child, to_missing = _of(events, hist.SignalExternalWorkflowExecutionInitiated)
    assert (to_child.signal_name, to_child.child_workflow_only) == ("poke", True)
    assert to_missing.workflow_execution.workflow_id == "missing-wf"
    assert not to_missing.child_workflow_only
    (signaled,) = _of(events, hist.ExternalWorkflowExecutionSignaled)
    assert signaled.initiated_event_id == 10
    (failed,) = _of(events, hist.SignalExternalWorkflowExecutionFailed)
    assert (failed.cause, failed.initiated_event_id) == ("EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND", 15)
    assert events[15].signal_external_workflow_execution_failed_event_attributes is not None


def test_child_history_names_its_parent_and_root() -> None:
    parent_run = _events("children")[5].attributes
    assert isinstance(parent_run, hist.ChildWorkflowExecutionStarted)
    started = _events("children_child")[0].attributes
    assert isinstance(started, hist.WorkflowExecutionStarted)
    assert started.parent_workflow_execution is not None
    assert started.root_workflow_execution is not None
    assert started.parent_workflow_execution.workflow_id == "parent-1"
    assert (started.parent_workflow_namespace, started.parent_initiated_event_id) == ("default", 5)
    assert started.root_workflow_execution == started.parent_workflow_execution


_seen: list[tuple[workflow.ParentInfo | None, workflow.RootInfo | None]] = []


@workflow.defn(name="Child", sandboxed=False)
class Child:
    """The recorded child, written against Legato; it notes what workflow.info() says."""

    def __init__(self) -> None:
        self.got: str | None = None

    @workflow.run
    async def run(self, name: str) -> str:
        _seen.append((workflow.info().parent, workflow.info().root))
        await workflow.wait_condition(lambda: self.got is not None)
        return f"hello {name} {self.got}"

    @workflow.signal
    def poke(self, value: str) -> None:
        self.got = value


async def test_replayed_temporal_child_sees_its_parent_and_root_in_workflow_info() -> None:
    _seen.clear()
    data: dict[str, Any] = json.loads((TEMPORAL / "children_child.cli.json").read_text())
    result = await Replayer(workflows=[Child]).replay_workflow(WorkflowHistory.from_json("child-1", data))
    assert result.replay_failure is None
    parent, root = _seen[0]
    assert parent is not None
    assert root is not None
    assert (parent.namespace, parent.workflow_id) == ("default", "parent-1")
    assert (
        parent.run_id
        == data["events"][0]["workflowExecutionStartedEventAttributes"]["parentWorkflowExecution"]["runId"]
    )
    assert (root.workflow_id, root.run_id) == (parent.workflow_id, parent.run_id)


@workflow.defn(name="Parent", sandboxed=False)
class ParentWithoutChild:
    @workflow.run
    async def run(self) -> str:
        return "no child"


async def test_replaying_a_parent_history_with_code_that_starts_no_child_is_nondeterministic() -> None:
    data: dict[str, Any] = json.loads((TEMPORAL / "children.cli.json").read_text())
    replayer = Replayer(workflows=[ParentWithoutChild])
    result = await replayer.replay_workflow(WorkflowHistory.from_json("parent-1", data), raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError)
    assert "StartChildWorkflowExecutionInitiated" in str(result.replay_failure)
