"""Hand-built histories for the SDK's pure tests, and a driver that plays the server.

``HistoryBuilder`` appends events the way the server would: ``complete_task(commands)``
records a workflow task's completion and turns each command into its event, so a test can
run workflow code, take its commands, add what happened next and run the next task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from legato._runtime import instance as runtime_instance
from legato._runtime import replay
from legato._runtime.definitions import WorkflowDefinition
from legato._runtime.instance import WorkflowInstance
from legato._worker.workflows import activate
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, Payload, RetryPolicy, RetryState, WorkflowExecution
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent
from legato.converter import DataConverter

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def payload(value: Any) -> Payload:
    """``value`` as the default converter sends it."""
    return DataConverter.default.payload_converter.to_payload(value)


def payloads(*values: Any) -> list[Payload]:
    """Each value as the default converter sends it."""
    return DataConverter.default.payload_converter.to_payloads(values)


class HistoryBuilder:
    """Appends events with dense ids and a clock that moves one second per event."""

    def __init__(self, workflow_type: str, *args: Any, task_queue: str = "q", seed: int = 7) -> None:
        self.events: list[HistoryEvent] = []
        self.now = T0
        self._last_started = 0
        self.add(
            hist.WorkflowExecutionStarted(
                workflow_type=workflow_type, task_queue=task_queue, input=payloads(*args), randomness_seed=seed
            )
        )

    def add(self, attributes: Any, *, after: timedelta = timedelta(seconds=1)) -> HistoryEvent:
        """Append one event ``after`` the previous one."""
        self.now += after
        event = HistoryEvent(event_id=len(self.events) + 1, event_time=self.now, attributes=attributes)
        self.events.append(event)
        return event

    def workflow_task(self, *, after: timedelta = timedelta(seconds=1)) -> HistoryEvent:
        """Schedule and start a workflow task; returns its WorkflowTaskStarted."""
        scheduled = self.add(hist.WorkflowTaskScheduled(task_queue="q", start_to_close_timeout=10), after=after)
        started = self.add(hist.WorkflowTaskStarted(scheduled_event_id=scheduled.event_id))
        self._last_started = started.event_id
        return started

    def complete_task(self, commands: Sequence[cmd.Command]) -> list[HistoryEvent]:
        """Record the task's completion and the events its commands become."""
        completed = self.add(
            hist.WorkflowTaskCompleted(scheduled_event_id=self._last_started - 1, started_event_id=self._last_started)
        )
        return [self.add(_event_for(c, completed.event_id)) for c in commands]

    def fail_task(self, cause: str = "WORKFLOW_WORKER_UNHANDLED_FAILURE") -> HistoryEvent:
        """Record the task's failure."""
        return self.add(
            hist.WorkflowTaskFailed(
                scheduled_event_id=self._last_started - 1,
                started_event_id=self._last_started,
                cause=cause,
                failure=Failure(message="boom"),
            )
        )

    def activity_completed(self, scheduled_event_id: int, result: Any) -> None:
        """The activity scheduled at ``scheduled_event_id`` ran once and returned ``result``."""
        started = self.add(hist.ActivityTaskStarted(scheduled_event_id=scheduled_event_id, attempt=1))
        self.add(
            hist.ActivityTaskCompleted(
                scheduled_event_id=scheduled_event_id, started_event_id=started.event_id, result=payload(result)
            )
        )

    def activity_failed(self, scheduled_event_id: int, failure: Failure) -> None:
        """The activity scheduled at ``scheduled_event_id`` failed for good."""
        started = self.add(hist.ActivityTaskStarted(scheduled_event_id=scheduled_event_id, attempt=3))
        self.add(
            hist.ActivityTaskFailed(
                scheduled_event_id=scheduled_event_id,
                started_event_id=started.event_id,
                failure=failure,
                retry_state=RetryState.MAXIMUM_ATTEMPTS_REACHED,
            )
        )

    def since(self, event_id: int) -> list[HistoryEvent]:
        """The events after ``event_id``: what a task carries for a worker that cached the run."""
        return self.events[event_id:]

    def scheduled_ids(self) -> list[int]:
        """Event ids of every ActivityTaskScheduled, in order."""
        return [e.event_id for e in self.events if e.attributes.type == "ActivityTaskScheduled"]


def _event_for(command: cmd.Command, completed_id: int) -> Any:
    if isinstance(command, cmd.ScheduleActivityTask):
        return hist.ActivityTaskScheduled(
            activity_id=command.activity_id,
            activity_type=command.activity_type,
            task_queue=command.task_queue,
            input=command.input,
            start_to_close_timeout=command.start_to_close_timeout,
            schedule_to_close_timeout=command.schedule_to_close_timeout,
            retry_policy=command.retry_policy or RetryPolicy(),
            workflow_task_completed_event_id=completed_id,
        )
    if isinstance(command, cmd.StartTimer):
        return hist.TimerStarted(
            timer_id=command.timer_id,
            start_to_fire_timeout=command.start_to_fire_timeout,
            workflow_task_completed_event_id=completed_id,
        )
    if isinstance(command, cmd.CancelTimer):
        return hist.TimerCanceled(
            timer_id=command.timer_id, started_event_id=0, workflow_task_completed_event_id=completed_id
        )
    if isinstance(command, cmd.RequestCancelActivityTask):
        return hist.ActivityTaskCancelRequested(
            scheduled_event_id=command.scheduled_event_id, workflow_task_completed_event_id=completed_id
        )
    if isinstance(command, cmd.CompleteWorkflowExecution):
        return hist.WorkflowExecutionCompleted(result=command.result, workflow_task_completed_event_id=completed_id)
    if isinstance(command, cmd.RecordMarker):
        return hist.MarkerRecorded(
            marker_name=command.marker_name, details=command.details, workflow_task_completed_event_id=completed_id
        )
    if isinstance(command, cmd.ModifyWorkflowProperties):
        return hist.WorkflowPropertiesModified(
            upserted_memo=command.upserted_memo, workflow_task_completed_event_id=completed_id
        )
    if isinstance(command, cmd.StartChildWorkflowExecution):
        return hist.StartChildWorkflowExecutionInitiated(
            workflow_id=command.workflow_id,
            workflow_type=command.workflow_type,
            task_queue=command.task_queue or "q",
            input=command.input,
            workflow_task_completed_event_id=completed_id,
        )
    if isinstance(command, cmd.RequestCancelExternalWorkflowExecution):
        return hist.RequestCancelExternalWorkflowExecutionInitiated(
            workflow_execution=WorkflowExecution(workflow_id=command.workflow_id, run_id=command.run_id),
            child_workflow_only=command.child_workflow_only,
            reason=command.reason,
            workflow_task_completed_event_id=completed_id,
        )
    if isinstance(command, cmd.FailWorkflowExecution):
        return hist.WorkflowExecutionFailed(failure=command.failure, workflow_task_completed_event_id=completed_id)
    assert isinstance(command, cmd.CancelWorkflowExecution)
    return hist.WorkflowExecutionCanceled(workflow_task_completed_event_id=completed_id)


def new_instance(workflow_cls: type, *, run_id: str = "run-1") -> WorkflowInstance:
    """A fresh instance of a ``@workflow.defn`` class."""
    return runtime_instance.new_instance(
        WorkflowDefinition.must_from_class(workflow_cls),
        namespace="default",
        workflow_id="wf-1",
        run_id=run_id,
    )


def run_task(instance: WorkflowInstance, events: Sequence[HistoryEvent]) -> list[cmd.Command]:
    """Apply a task's events as the worker does; returns the last activation's commands."""
    return activate(instance, events)


def replay_all(workflow_cls: type, events: Sequence[HistoryEvent]) -> WorkflowInstance:
    """Replay a whole history (every activation replaying), as a replayer would."""
    instance = new_instance(workflow_cls)
    for activation in replay.split(events):
        instance.activate(activation, replaying=True)
    return instance
