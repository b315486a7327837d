"""A ``Batch``: everything one change to a run does, computed without I/O.

The pure engine functions build a batch from the run's state and an input; the service
writes it in one transaction: the execution row (conditional on its version), the events,
the buffered events, tasks, timers and NOTIFYs. Event ids are assigned here, densely from
the run's ``next_event_id``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from legato.api.common.v1 import Failure, Payload, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator.engine.rules import keys
from legato_operator.store import rows

# Timer kinds that belong to one activity (ref = its scheduled event id).
# The scheduled and started "event id" of a transient workflow-task attempt: it has none.
TRANSIENT = -1


def scheduled_event(execution: rows.Execution, attempt: int) -> wire.WorkflowTaskScheduled:
    """The WorkflowTaskScheduled of the run's workflow task at ``attempt``."""
    return wire.WorkflowTaskScheduled(
        task_queue=execution.task_queue, start_to_close_timeout=execution.workflow_task_timeout, attempt=attempt
    )


ACTIVITY_TIMER_KINDS = (
    rows.TimerKind.ACTIVITY_START_TO_CLOSE,
    rows.TimerKind.ACTIVITY_SCHEDULE_TO_CLOSE,
    rows.TimerKind.ACTIVITY_SCHEDULE_TO_START,
    rows.TimerKind.ACTIVITY_HEARTBEAT,
    rows.TimerKind.TASK_READY,
)
WORKFLOW_TASK_TIMER_KINDS = (rows.TimerKind.WORKFLOW_TASK_TIMEOUT, rows.TimerKind.TASK_READY)


@dataclass
class Batch:
    """The events, tasks and timers of one change, and the run's state after it."""

    execution: rows.Execution
    now: datetime
    events: list[wire.HistoryEvent] = field(default_factory=list)
    buffered: list[wire.EventAttributes] = field(default_factory=list)
    # The run's buffered events were taken from the store and appended (or dropped).
    took_buffered: bool = False
    new_tasks: list[rows.NewTask] = field(default_factory=list)
    task_updates: list[rows.TaskUpdate] = field(default_factory=list)
    deleted_tasks: list[int] = field(default_factory=list)
    new_timers: list[rows.NewTimer] = field(default_factory=list)
    deleted_timers: list[rows.TimerSelector] = field(default_factory=list)
    notify: set[str] = field(default_factory=set)
    closed: bool = False
    # The batch inserted the run (it started).
    new_run: bool = False
    # Causes of the workflow-task failures and timeouts this change records, for the metrics.
    workflow_task_failures: list[str] = field(default_factory=list)
    # (activity type, outcome) of attempts that ended, for the metrics.
    activity_outcomes: list[tuple[str, str]] = field(default_factory=list)
    # Kinds of the tasks handed to the completing worker in its answer (rules.eager).
    handed_over: list[rows.TaskKind] = field(default_factory=list)
    # The run that goes on from this one (continue-as-new, a retry), inserted in the same
    # transaction right after this batch closes this run.
    successor: Batch | None = None

    @property
    def changed(self) -> bool:
        """Whether the batch writes anything at all."""
        return bool(self.events or self.buffered or self.new_tasks or self.task_updates or self.closed)

    def update(self, **changes: Any) -> None:
        """Move the run's state (the version is the service's business)."""
        self.execution = dataclasses.replace(self.execution, **changes)

    def append(self, attributes: wire.EventAttributes, *, at: datetime | None = None) -> int:
        """Append an event to history, recorded at ``at`` (default now); returns its event id."""
        event_id = self.execution.next_event_id
        time = self.now if at is None else at
        self.events.append(wire.HistoryEvent(event_id=event_id, event_time=time, attributes=attributes))
        # The history's size as Temporal suggests continue-as-new by it: the bytes stored.
        size = self.execution.history_size + len(attributes.model_dump_json())
        self.update(next_event_id=event_id + 1, history_size=size)
        return event_id

    @property
    def workflow_task_in_flight(self) -> bool:
        """A worker holds the run's workflow task (it has started and not ended)."""
        return self.execution.wft_started_id != 0

    def deliver(self, *attributes: wire.EventAttributes) -> None:
        """Record events from outside the workflow task: buffer them behind an in-flight
        task, else append them and make sure a workflow task is scheduled to see them."""
        if self.workflow_task_in_flight:
            self.buffered.extend(attributes)
            self.update(wft_needed=True)
            return
        self._append_all(list(attributes))
        # A run whose first task waits out its backoff sees the events when the backoff ends.
        if self.execution.wft_scheduled_id == 0 and not self.execution.first_task_backoff:
            self.schedule_workflow_task()

    def schedule_workflow_task(
        self, *, attempt: int = 1, delay: float = 0.0, transient: bool = False, started: bool = False
    ) -> None:
        """Append WorkflowTaskScheduled and create its task (ready now, or after ``delay``;
        ``started``: held at once by the worker that asked for it, never offered to a poll).

        A ``transient`` attempt (a retry after a failure) is not written to history: its
        task and timers are keyed by ``TRANSIENT``, and its events are written only if it
        completes, so a workflow task that keeps failing does not grow the history.
        """
        ex = self.execution
        scheduled_id = TRANSIENT if transient else self.append(scheduled_event(ex, attempt))
        self.update(wft_scheduled_id=scheduled_id, wft_started_id=0, wft_attempt=attempt)
        visible_at = self.now + timedelta(seconds=delay)
        self.new_tasks.append(
            rows.NewTask(
                namespace=ex.namespace,
                task_queue=ex.task_queue,
                kind=rows.TaskKind.WORKFLOW,
                run_id=ex.run_id,
                scheduled_event_id=scheduled_id,
                attempt=attempt,
                state=_new_task_state(delay, started),
                visible_at=visible_at,
                scheduled_at=self.now,
            )
        )
        if delay > 0:
            self.arm(rows.TimerKind.TASK_READY, visible_at, ref=scheduled_id, attempt=attempt)
        elif not started:
            self.notify.add(keys.task_key(ex.namespace, ex.task_queue, rows.TaskKind.WORKFLOW))

    def end_workflow_task(self) -> None:
        """Drop the run's current workflow task: its row and its timeout."""
        scheduled_id = self.execution.wft_scheduled_id
        if scheduled_id:
            self.deleted_tasks.append(scheduled_id)
            self.disarm(WORKFLOW_TASK_TIMER_KINDS, scheduled_id)
        self.update(wft_scheduled_id=0, wft_started_id=0)

    def flush(self, pending: list[wire.EventAttributes]) -> int:
        """Append the run's buffered events (``pending`` from the store, then this batch's);
        returns how many were appended."""
        events = [*pending, *self.buffered]
        self.buffered = []
        self.took_buffered = True
        self.update(wft_needed=False)
        self._append_all(events)
        return len(events)

    def _append_all(self, events: list[wire.EventAttributes]) -> None:
        # An activity close names its ActivityTaskStarted, whose id is known only when
        # both are appended: the close's started_event_id is filled in here.
        started_ids: dict[int, int] = {}
        for attributes in events:
            attributes = _with_started_id(attributes, started_ids)
            event_id = self.append(attributes)
            if isinstance(attributes, wire.ActivityTaskStarted):
                started_ids[attributes.scheduled_event_id] = event_id

    def arm(
        self, kind: rows.TimerKind, due_at: datetime, *, ref: int = 0, attempt: int = 0, timer_id: str | None = None
    ) -> None:
        """Create a timer row for this run."""
        ex = self.execution
        self.new_timers.append(
            rows.NewTimer(
                namespace=ex.namespace,
                run_id=ex.run_id,
                kind=kind,
                due_at=due_at,
                ref=ref,
                attempt=attempt,
                timer_id=timer_id,
            )
        )

    def disarm(self, kinds: tuple[rows.TimerKind, ...], ref: int) -> None:
        """Delete this run's timers of ``kinds`` with ``ref``."""
        self.deleted_timers.append(rows.TimerSelector(self.execution.run_id, kinds, ref))

    def close(
        self, status: WorkflowExecutionStatus, *, result: Payload | None = None, failure: Failure | None = None
    ) -> None:
        """Close the run: its tasks, timers and buffered events go with it (the service
        deletes them all); the close event is the caller's."""
        self.update(
            status=status,
            close_time=self.now,
            result=None if result is None else result.model_dump(mode="json"),
            failure=None if failure is None else failure.model_dump(mode="json"),
            wft_scheduled_id=0,
            wft_started_id=0,
            wft_needed=False,
        )
        self.closed = True
        self.notify.add(keys.closed_key(self.execution.run_id))
        self.notify.add(keys.ANY_CLOSED)


def _with_started_id(attributes: wire.EventAttributes, started_ids: dict[int, int]) -> wire.EventAttributes:
    closes = (
        wire.ActivityTaskCompleted,
        wire.ActivityTaskFailed,
        wire.ActivityTaskTimedOut,
        wire.ActivityTaskCanceled,
    )
    if isinstance(attributes, closes) and attributes.scheduled_event_id in started_ids:
        return attributes.model_copy(update={"started_event_id": started_ids[attributes.scheduled_event_id]})
    return attributes


def dump(attributes: wire.EventAttributes) -> dict[str, Any]:
    """Event attributes as the JSON the store keeps."""
    return attributes.model_dump(mode="json")


def _new_task_state(delay: float, started: bool) -> rows.TaskState:
    if started:
        return rows.TaskState.STARTED
    return rows.TaskState.BACKOFF if delay > 0 else rows.TaskState.READY
