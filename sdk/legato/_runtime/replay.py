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

from collections.abc import Sequence
from dataclasses import dataclass, field

from legato.api.command import v1 as cmd
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent

COMMAND_EVENT_TYPES = frozenset(
    {
        "ActivityTaskScheduled",
        "ActivityTaskCancelRequested",
        "TimerStarted",
        "TimerCanceled",
        "WorkflowExecutionCompleted",
        "WorkflowExecutionFailed",
        "WorkflowExecutionCanceled",
        "WorkflowExecutionContinuedAsNew",
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


def split(events: Sequence[HistoryEvent]) -> list[Activation]:
    """Split consecutive history events into activations (see the module docstring)."""
    activations: list[Activation] = []
    current = Activation()
    for i, event in enumerate(events):
        kind = event.attributes.type
        if kind in COMMAND_EVENT_TYPES:
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
    return activations


def _closes_activation(events: Sequence[HistoryEvent], i: int) -> bool:
    # The task being worked on (last event), or one whose completion is recorded.
    return i == len(events) - 1 or events[i + 1].attributes.type == "WorkflowTaskCompleted"


def describe_command(command: cmd.Command) -> str:
    """A short description of a command for error messages."""
    if isinstance(command, cmd.ScheduleActivityTask):
        return f"ScheduleActivityTask(activity_type={command.activity_type!r}, id={command.activity_id!r})"
    if isinstance(command, cmd.StartTimer | cmd.CancelTimer):
        return f"{command.type}(timer_id={command.timer_id!r})"
    if isinstance(command, cmd.RequestCancelActivityTask):
        return f"RequestCancelActivityTask(scheduled_event_id={command.scheduled_event_id})"
    return command.type


def describe_event(event: HistoryEvent) -> str:
    """A short description of a command event for error messages."""
    a = event.attributes
    if isinstance(a, hist.ActivityTaskScheduled):
        detail = f"(activity_type={a.activity_type!r}, id={a.activity_id!r})"
    elif isinstance(a, hist.TimerStarted | hist.TimerCanceled):
        detail = f"(timer_id={a.timer_id!r})"
    elif isinstance(a, hist.ActivityTaskCancelRequested):
        detail = f"(scheduled_event_id={a.scheduled_event_id})"
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
    if isinstance(command, cmd.CancelTimer):
        return isinstance(a, hist.TimerCanceled) and a.timer_id == command.timer_id
    if isinstance(command, cmd.RequestCancelActivityTask):
        return isinstance(a, hist.ActivityTaskCancelRequested) and a.scheduled_event_id == command.scheduled_event_id
    closing = {
        "CompleteWorkflowExecution": "WorkflowExecutionCompleted",
        "FailWorkflowExecution": "WorkflowExecutionFailed",
        "CancelWorkflowExecution": "WorkflowExecutionCanceled",
        "ContinueAsNewWorkflowExecution": "WorkflowExecutionContinuedAsNew",
    }
    return closing.get(command.type) == event.attributes.type
