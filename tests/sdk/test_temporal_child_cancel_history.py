"""A Temporal history with cancel requests from a workflow reads into Legato's events and
replays on Legato's code for it.

Recorded on Temporal's dev server by tests/golden/temporal/record_child_cancel.py: the
parent cancels its child ``cchild-1`` through the handle (waiting for the cancellation),
asks a missing workflow to cancel, then asks ``ctarget-1`` to.
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


def events(name: str) -> list[hist.HistoryEvent]:
    """The recorded run's events, read as Legato's."""
    data: dict[str, Any] = json.loads((TEMPORAL / f"{name}.cli.json").read_text())
    return WorkflowHistory.from_json(name, data).events


def _of(evs: list[hist.HistoryEvent], kind: type[Any]) -> list[Any]:
    return [e.attributes for e in evs if isinstance(e.attributes, kind)]


def test_the_parents_cancel_requests_read_with_temporals_fields() -> None:
    evs = events("child_cancel")
    to_child, to_missing, to_target = _of(evs, hist.RequestCancelExternalWorkflowExecutionInitiated)
    (started,) = _of(evs, hist.ChildWorkflowExecutionStarted)
    assert (to_child.child_workflow_only, to_child.reason) == (True, "")
    assert to_child.workflow_execution == started.workflow_execution
    assert (to_missing.workflow_execution.workflow_id, to_missing.child_workflow_only) == ("missing-wf", False)
    parent_run = evs[0].attributes
    assert isinstance(parent_run, hist.WorkflowExecutionStarted)
    assert to_target.reason.endswith(" with reason: enough")
    (failed,) = _of(evs, hist.RequestCancelExternalWorkflowExecutionFailed)
    assert (failed.cause, failed.initiated_event_id) == ("EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND", 19)
    asked = _of(evs, hist.ExternalWorkflowExecutionCancelRequested)
    assert [a.initiated_event_id for a in asked] == [10, 24]
    (canceled,) = _of(evs, hist.ChildWorkflowExecutionCanceled)
    assert (canceled.initiated_event_id, canceled.started_event_id) == (5, 6)


def test_the_targets_cancel_request_names_the_run_that_asked() -> None:
    (requested,) = _of(events("child_cancel_target"), hist.WorkflowExecutionCancelRequested)
    assert requested.identity == "history-service"
    assert requested.external_initiated_event_id == 24
    assert requested.external_workflow_execution is not None
    assert requested.external_workflow_execution.workflow_id == "cparent-1"
    assert requested.cause.startswith("Cancel requested by workflow with run id ")


@workflow.defn(name="Waiter", sandboxed=False)
class Waiter:
    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: False)
        return "never"


@workflow.defn(name="CancelParent", sandboxed=False)
class CancelParent:
    """The recorded parent, written against Legato."""

    @workflow.run
    async def run(self) -> str:
        child = await workflow.start_child_workflow(Waiter.run, id="cchild-1")
        child.cancel()
        try:
            await child
        except Exception as e:
            outcomes = [f"{type(e).__name__}: {e} cause={e.__cause__!r}"]
        try:
            await workflow.get_external_workflow_handle("missing-wf").cancel()
        except Exception as e:
            outcomes.append(f"{type(e).__name__}: {e}")
        await workflow.get_external_workflow_handle("ctarget-1").cancel(reason="enough")
        return " | ".join(outcomes)


@workflow.defn(name="CancelParent", sandboxed=False)
class CancelParentKeepingItsChild:
    @workflow.run
    async def run(self) -> str:
        child = await workflow.start_child_workflow(Waiter.run, id="cchild-1")
        result: str = await child
        return result


def _history(name: str, workflow_id: str) -> WorkflowHistory:
    data: dict[str, Any] = json.loads((TEMPORAL / f"{name}.cli.json").read_text())
    return WorkflowHistory.from_json(workflow_id, data)


async def test_the_recorded_parent_replays_on_legatos_code_for_it() -> None:
    result = await Replayer(workflows=[CancelParent, Waiter]).replay_workflow(_history("child_cancel", "cparent-1"))
    assert result.replay_failure is None


async def test_code_that_no_longer_cancels_its_child_is_nondeterministic_against_the_record() -> None:
    replayer = Replayer(workflows=[CancelParentKeepingItsChild, Waiter])
    result = await replayer.replay_workflow(_history("child_cancel", "cparent-1"), raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, NondeterminismError)
    assert "RequestCancelExternalWorkflowExecutionInitiated" in str(result.replay_failure)
