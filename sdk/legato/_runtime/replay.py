"""Splitting history into activations, and matching commands against history.

A run's history is a sequence of workflow tasks. Each ``WorkflowTaskStarted`` that the
task's own ``WorkflowTaskCompleted`` follows (or that ends the history: the task being
worked on now) closes one activation. The events of an activation are:

* the *command events* that open it: what the previous activation's commands became
  (``ActivityTaskScheduled``, ``TimerStarted``, ...), matched in order against those
  commands, so replayed code that decides differently is caught;
* the *jobs*: what happened since (activity results, fired timers, signals, a cancel
  request), which the activation feeds to the workflow code.

A workflow task that failed or timed out left no commands, so its ``WorkflowTaskStarted``
closes nothing: its jobs roll into the next task's activation, which is what the worker
that completed that next task saw.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from legato._runtime import local_activities
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Payload
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent

# The search attribute Temporal's SDKs upsert beside each patch marker, with no command of
# the workflow's own: replay passes over an upsert of it alone.
CHANGE_VERSION = "TemporalChangeVersion"

COMMAND_EVENT_TYPES = frozenset(
    {
        "ActivityTaskScheduled",
        "ActivityTaskCancelRequested",
        "TimerStarted",
        "TimerCanceled",
        "WorkflowExecutionCompleted",
        "WorkflowExecutionFailed",
        "WorkflowExecutionCanceled",
        "MarkerRecorded",
        "WorkflowPropertiesModified",
        "UpsertWorkflowSearchAttributes",
        "WorkflowExecutionContinuedAsNew",
        "WorkflowExecutionUpdateCompleted",
        "StartChildWorkflowExecutionInitiated",
        "SignalExternalWorkflowExecutionInitiated",
        "RequestCancelExternalWorkflowExecutionInitiated",
    }
)

JOB_EVENT_TYPES = frozenset(
    {
        "WorkflowExecutionStarted",
        "WorkflowExecutionSignaled",
        "WorkflowExecutionCancelRequested",
        "ActivityTaskCompleted",
        "ActivityTaskFailed",
        "ActivityTaskTimedOut",
        "ActivityTaskCanceled",
        "TimerFired",
        "WorkflowExecutionUpdateAccepted",
        "ChildWorkflowExecutionStarted",
        "StartChildWorkflowExecutionFailed",
        "ChildWorkflowExecutionCompleted",
        "ChildWorkflowExecutionFailed",
        "ChildWorkflowExecutionCanceled",
        "ChildWorkflowExecutionTimedOut",
        "ChildWorkflowExecutionTerminated",
        "ExternalWorkflowExecutionSignaled",
        "SignalExternalWorkflowExecutionFailed",
        "ExternalWorkflowExecutionCancelRequested",
        "RequestCancelExternalWorkflowExecutionFailed",
    }
)


@dataclass
class Activation:
    """One workflow task's worth of history.

    ``started`` is None for the tail of a closed run's history: command events that no
    activation follows, which a replay still checks.
    """

    command_events: list[HistoryEvent] = field(default_factory=list)
    jobs: list[HistoryEvent] = field(default_factory=list)
    started: HistoryEvent | None = None
    # Whether the previous task's WorkflowTaskCompleted opens this: only then were its commands recorded.
    after_completed_task: bool = False
    # Patch ids whose markers this activation's commands became (the next activation's
    # command events): on replay, ``workflow.patched(id)`` is true only for these.
    patches: frozenset[str] = frozenset()


def split(events: Sequence[HistoryEvent]) -> list[Activation]:
    """Split consecutive history events into activations (see the module docstring)."""
    activations: list[Activation] = []
    current = Activation()
    for i, event in enumerate(events):
        kind = event.attributes.type
        if kind in COMMAND_EVENT_TYPES and not _is_change_version(event):
            current.command_events.append(event)
        elif kind in JOB_EVENT_TYPES:
            current.jobs.append(event)
        elif kind == "WorkflowTaskCompleted":
            current.after_completed_task = True
        elif kind == "WorkflowTaskStarted" and _closes_activation(events, i):
            current.started = event
            activations.append(current)
            current = Activation()
    if current.command_events or current.jobs or current.after_completed_task:
        activations.append(current)
    for this, following in itertools.pairwise(activations):
        this.patches = frozenset(p[0] for e in following.command_events if (p := patch_of(e)) is not None)
    return activations


def _is_change_version(event: HistoryEvent) -> bool:
    a = event.attributes
    return isinstance(a, hist.UpsertWorkflowSearchAttributes) and set(a.search_attributes) == {CHANGE_VERSION}


def _closes_activation(events: Sequence[HistoryEvent], i: int) -> bool:
    # The task being worked on (last event), or one whose completion is recorded.
    return i == len(events) - 1 or events[i + 1].attributes.type == "WorkflowTaskCompleted"


# --- patches (workflow.patched): Temporal's core_patch markers ---

PATCH_MARKER = "core_patch"
_PATCH_DETAILS = "patch-data"


def patch_marker(patch_id: str, *, deprecated: bool) -> cmd.RecordMarker:
    """The command ``workflow.patched``/``deprecate_patch`` record, as Temporal's SDKs write it."""
    data = json.dumps({"id": patch_id, "deprecated": deprecated}, separators=(",", ":")).encode()
    payload = Payload(metadata={"encoding": b"json/plain"}, data=data)
    return cmd.RecordMarker(marker_name=PATCH_MARKER, details={_PATCH_DETAILS: [payload]})


def _patch_details(marker_name: str, details: dict[str, list[Payload]]) -> tuple[str, bool] | None:
    payloads = details.get(_PATCH_DETAILS) or []
    if marker_name != PATCH_MARKER or not payloads:
        return None
    try:
        data = json.loads(payloads[0].data)
        return str(data["id"]), bool(data.get("deprecated", False))
    except (ValueError, KeyError, TypeError):
        return None


def patch_of(event: HistoryEvent) -> tuple[str, bool] | None:
    """The patch id and whether it is deprecated, if ``event`` is a patch marker."""
    a = event.attributes
    return _patch_details(a.marker_name, a.details) if isinstance(a, hist.MarkerRecorded) else None


def command_patch(command: cmd.Command) -> tuple[str, bool] | None:
    """The patch id and whether it is deprecated, if ``command`` records a patch marker."""
    return _patch_details(command.marker_name, command.details) if isinstance(command, cmd.RecordMarker) else None


def local_marker_key(marker_name: str, details: dict[str, list[Payload]]) -> tuple[int, str] | None:
    """A local activity marker's (seq, activity type); None for another marker."""
    data = local_activities.marker_data(marker_name, details)
    return None if data is None else (int(data["seq"]), str(data.get("activity_type")))


def describe_command(command: cmd.Command) -> str:
    """A short description of a command for error messages."""
    if isinstance(command, cmd.ScheduleActivityTask):
        return f"ScheduleActivityTask(activity_type={command.activity_type!r}, id={command.activity_id!r})"
    if isinstance(command, cmd.StartTimer | cmd.CancelTimer):
        return f"{command.type}(timer_id={command.timer_id!r})"
    if isinstance(command, cmd.StartChildWorkflowExecution):
        return f"StartChildWorkflowExecution(workflow_type={command.workflow_type!r}, id={command.workflow_id!r})"
    if isinstance(command, cmd.RequestCancelActivityTask):
        return f"RequestCancelActivityTask(scheduled_event_id={command.scheduled_event_id})"
    if (patch := command_patch(command)) is not None:
        return f"RecordMarker(patch={patch[0]!r})"
    if isinstance(command, cmd.CompleteWorkflowUpdate):
        return f"CompleteWorkflowUpdate(update_id={command.update_id!r})"
    return command.type


def describe_event(event: HistoryEvent) -> str:
    """A short description of a command event for error messages."""
    a = event.attributes
    if isinstance(a, hist.ActivityTaskScheduled):
        detail = f"(activity_type={a.activity_type!r}, id={a.activity_id!r})"
    elif isinstance(a, hist.TimerStarted | hist.TimerCanceled):
        detail = f"(timer_id={a.timer_id!r})"
    elif isinstance(a, hist.StartChildWorkflowExecutionInitiated):
        detail = f"(workflow_type={a.workflow_type!r}, id={a.workflow_id!r})"
    elif isinstance(a, hist.ActivityTaskCancelRequested):
        detail = f"(scheduled_event_id={a.scheduled_event_id})"
    elif (patch := patch_of(event)) is not None:
        detail = f"(patch={patch[0]!r})"
    else:
        detail = ""
    return f"{event.attributes.type}{detail} at event {event.event_id}"


def matches(command: cmd.Command, event: HistoryEvent) -> bool:
    """Whether ``event`` is what ``command`` became when the server applied it."""
    a = event.attributes
    if isinstance(command, cmd.ScheduleActivityTask):
        return (
            isinstance(a, hist.ActivityTaskScheduled)
            and a.activity_type == command.activity_type
            and a.activity_id == command.activity_id
        )
    if isinstance(command, cmd.StartTimer):
        return isinstance(a, hist.TimerStarted) and a.timer_id == command.timer_id
    if isinstance(command, cmd.SignalExternalWorkflowExecution):
        return (
            isinstance(a, hist.SignalExternalWorkflowExecutionInitiated)
            and a.signal_name == command.signal_name
            and a.workflow_execution.workflow_id == command.workflow_id
        )
    if isinstance(command, cmd.RequestCancelExternalWorkflowExecution):
        return (
            isinstance(a, hist.RequestCancelExternalWorkflowExecutionInitiated)
            and a.workflow_execution.workflow_id == command.workflow_id
        )
    if isinstance(command, cmd.StartChildWorkflowExecution):
        return (
            isinstance(a, hist.StartChildWorkflowExecutionInitiated)
            and a.workflow_type == command.workflow_type
            and a.workflow_id == command.workflow_id
        )
    if isinstance(command, cmd.CancelTimer):
        return isinstance(a, hist.TimerCanceled) and a.timer_id == command.timer_id
    if isinstance(command, cmd.RequestCancelActivityTask):
        return isinstance(a, hist.ActivityTaskCancelRequested) and a.scheduled_event_id == command.scheduled_event_id
    if isinstance(command, cmd.RecordMarker) and (local := local_marker_key(command.marker_name, command.details)):
        return isinstance(a, hist.MarkerRecorded) and local_marker_key(a.marker_name, a.details) == local
    if isinstance(command, cmd.RecordMarker):
        # The id alone: deprecate_patch's marker matches the one patched() recorded.
        patch = command_patch(command)
        return (
            isinstance(a, hist.MarkerRecorded)
            and a.marker_name == command.marker_name
            and (patch is None or (patch_of(event) or ("",))[0] == patch[0])
        )
    if isinstance(command, cmd.CompleteWorkflowUpdate):
        return isinstance(a, hist.WorkflowExecutionUpdateCompleted) and a.meta.update_id == command.update_id
    if isinstance(command, cmd.ModifyWorkflowProperties):
        return isinstance(a, hist.WorkflowPropertiesModified) and set(a.upserted_memo) == set(command.upserted_memo)
    if isinstance(command, cmd.UpsertWorkflowSearchAttributes):
        # As temporalio's core: an upsert matches an upsert, whatever it sets.
        return isinstance(a, hist.UpsertWorkflowSearchAttributes)
    closing = {
        "CompleteWorkflowExecution": "WorkflowExecutionCompleted",
        "FailWorkflowExecution": "WorkflowExecutionFailed",
        "CancelWorkflowExecution": "WorkflowExecutionCanceled",
        "ContinueAsNewWorkflowExecution": "WorkflowExecutionContinuedAsNew",
    }
    return closing.get(command.type) == event.attributes.type
