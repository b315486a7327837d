"""A history as a person reads it: one line per event, with the details that matter.

``-o json`` prints the history as Temporal's tools write it
(``WorkflowHistory.to_temporal_json()``, temporalio's ``to_json()``), or with
``--history-format legato`` as Legato saves it (``WorkflowHistory.to_json()``); both are
read back by ``WorkflowHistory.from_json`` and the ``Replayer``. ``-o jsonl`` prints each
event in Legato's JSON, one a line, as it comes when following.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from legato._cli.output import Output
from legato._cli.values import compact, payload_value, seconds_text, time_text
from legato.api.common.v1 import Failure, Payload
from legato.api.history.v1 import HistoryEvent

HEADERS = ("ID", "TIME", "TYPE", "DETAILS")
# What ``show -o json`` prints: Temporal's history JSON, or Legato's own.
HISTORY_FORMATS = ("temporal", "legato")


def _values(payloads: list[Payload]) -> str:
    return compact([payload_value(p) for p in payloads])


def failure_text(failure: Failure | None) -> str:
    """A failure as `message (type)`; '' for none."""
    if failure is None:
        return ""
    kind = failure.type or failure.kind.value
    return f"{failure.message} ({kind})"


# The details of each event type worth a glance; others show only their type.
_DETAILS: dict[str, Callable[[Any], str]] = {
    "WorkflowExecutionStarted": lambda a: f"{a.workflow_type} on {a.task_queue}, input {_values(a.input)}",
    "WorkflowTaskFailed": lambda a: f"{a.cause}: {failure_text(a.failure)}",
    "ActivityTaskScheduled": lambda a: f"{a.activity_type} (id {a.activity_id}), input {_values(a.input)}",
    "ActivityTaskStarted": lambda a: (
        f"attempt {a.attempt}"
        + (f", previous attempt failed: {failure_text(a.last_failure)}" if a.last_failure else "")
    ),
    "ActivityTaskCompleted": lambda a: f"result {compact(payload_value(a.result))}",
    "ActivityTaskFailed": lambda a: f"{failure_text(a.failure)}, {a.retry_state.value}",
    "ActivityTaskTimedOut": lambda a: f"{failure_text(a.failure)}, {a.retry_state.value}",
    "TimerStarted": lambda a: f"timer {a.timer_id} for {seconds_text(a.start_to_fire_timeout)}",
    "TimerFired": lambda a: f"timer {a.timer_id}",
    "TimerCanceled": lambda a: f"timer {a.timer_id}",
    "WorkflowExecutionSignaled": lambda a: f"{a.signal_name}, input {_values(a.input)}",
    "WorkflowExecutionCompleted": lambda a: f"result {compact(payload_value(a.result))}",
    "WorkflowExecutionFailed": lambda a: failure_text(a.failure),
    "WorkflowExecutionTerminated": lambda a: f"reason {a.reason!r}" if a.reason else "",
    "WorkflowExecutionCancelRequested": lambda a: a.cause,
    "WorkflowExecutionContinuedAsNew": lambda a: f"next run {a.new_execution_run_id}",
    "WorkflowExecutionUpdateAccepted": lambda a: (
        f"{a.accepted_request.input.name} "
        f"(id {a.accepted_request.meta.update_id}), input {_values(a.accepted_request.input.args)}"
    ),
    "WorkflowExecutionUpdateCompleted": lambda a: (
        f"id {a.meta.update_id}, "
        + (failure_text(a.outcome.failure) if a.outcome.failure else f"result {_values(a.outcome.success or [])}")
    ),
    "MarkerRecorded": lambda a: a.marker_name,
    "StartChildWorkflowExecutionInitiated": lambda a: f"{a.workflow_type} (id {a.workflow_id})",
    "ChildWorkflowExecutionCompleted": lambda a: (
        f"{a.workflow_execution.workflow_id}, result {compact(payload_value(a.result))}"
    ),
    "ChildWorkflowExecutionFailed": lambda a: f"{a.workflow_execution.workflow_id}: {failure_text(a.failure)}",
}


def details(event: HistoryEvent) -> str:
    """The short details of one event ('' when its type alone says enough)."""
    describe = _DETAILS.get(event.attributes.type)
    return describe(event.attributes) if describe else ""


def row(event: HistoryEvent) -> list[str]:
    """One event as a table row."""
    # Milliseconds: a workflow's events often fall within one second.
    return [str(event.event_id), time_text(event.event_time, milliseconds=True), event.attributes.type, details(event)]


class EventPrinter:
    """Prints events as they come: table lines aligned on the widest type, or JSON lines."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self._header_written = False

    def print(self, event: HistoryEvent) -> None:
        """Print one event (the table's header before the first)."""
        if self.out.format == "jsonl":
            self.out.write(event.model_dump_json())
            return
        if not self._header_written:
            self.out.write(self._line(list(HEADERS)))
            self._header_written = True
        self.out.write(self._line(row(event)))

    @staticmethod
    def _line(cells: list[str]) -> str:
        # Fixed widths: a followed history cannot be measured before it is printed.
        event_id, time, kind, detail = cells
        return f"{event_id:>4}  {time:<24}  {kind:<34}  {detail}".rstrip()
