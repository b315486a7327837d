"""Applying a workflow task's commands, in order, to a batch.

Each command becomes its history event and its side effects (an activity task, a timer,
closing the run). A command the server cannot carry out is a ``Problem``: the whole
completion is then refused and recorded as a WorkflowTaskFailed with Temporal's cause,
and the workflow task is retried — the worker process never crashes the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, FailureKind, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator import errors
from legato_operator.engine.rules import batch, chains, children, keys, memo, retry, search_attributes, start, updates
from legato_operator.store import rows


@dataclass(frozen=True)
class Problem:
    """Why a command was refused: Temporal's WorkflowTaskFailed cause and a message."""

    cause: str
    message: str


@dataclass
class Context:
    """What applying commands needs to know of the run beyond its execution row.

    ``buffered``: events that arrived while the task was in flight (taken from the store);
    ``user_timers``: pending timer id → TimerStarted id (loaded only when a command needs it);
    ``activities``: pending activity tasks by scheduled event id (likewise);
    ``workflow_task``: the workflow task's row, when the attempt is transient.
    """

    execution: rows.Execution
    buffered: list[wire.EventAttributes] = field(default_factory=list)
    user_timers: dict[str, int] = field(default_factory=dict)
    activities: dict[int, rows.Task] = field(default_factory=dict)
    # The run's workflow task row, when the attempt being answered is transient (its times).
    workflow_task: rows.Task | None = None
    # --- chains of runs: the run's WorkflowExecutionStarted, when a command needs it
    # (continue-as-new takes its defaults, a failure its retry policy) ---
    started: wire.WorkflowExecutionStarted | None = None
    # The namespace's custom search attributes (name -> type), when a command sets some.
    search_attribute_types: Mapping[str, str] = field(default_factory=dict)


_CLOSE_COMMANDS = (
    cmd.CompleteWorkflowExecution,
    cmd.FailWorkflowExecution,
    cmd.CancelWorkflowExecution,
    cmd.ContinueAsNewWorkflowExecution,
)
NEEDS_TIMERS = (cmd.StartTimer, cmd.CancelTimer)
NEEDS_ACTIVITIES = (cmd.RequestCancelActivityTask,)
NEEDS_STARTED = (cmd.ContinueAsNewWorkflowExecution, cmd.FailWorkflowExecution)


# The cause of a refused completion, by the command whose attributes were refused.
BAD_ATTRIBUTES = {
    "ScheduleActivityTask": "BAD_SCHEDULE_ACTIVITY_ATTRIBUTES",
    "RequestCancelActivityTask": "BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES",
    "StartTimer": "BAD_START_TIMER_ATTRIBUTES",
    "CancelTimer": "BAD_CANCEL_TIMER_ATTRIBUTES",
    "CompleteWorkflowExecution": "BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES",
    "FailWorkflowExecution": "BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES",
    "CancelWorkflowExecution": "BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES",
    "RecordMarker": "BAD_RECORD_MARKER_ATTRIBUTES",
    "ModifyWorkflowProperties": "BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES",
    "UpsertWorkflowSearchAttributes": "BAD_SEARCH_ATTRIBUTES",
    "ContinueAsNewWorkflowExecution": "BAD_CONTINUE_AS_NEW_ATTRIBUTES",
    "CompleteWorkflowUpdate": "BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE",
    "StartChildWorkflowExecution": "BAD_START_CHILD_EXECUTION_ATTRIBUTES",
    "SignalExternalWorkflowExecution": "BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES",
    "RequestCancelExternalWorkflowExecution": "BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES",
}


def sets_search_attributes(command: cmd.Command) -> bool:
    """Whether applying ``command`` checks search attributes against the registered ones."""
    if isinstance(command, cmd.UpsertWorkflowSearchAttributes):
        return True
    if isinstance(command, cmd.StartChildWorkflowExecution | cmd.ContinueAsNewWorkflowExecution):
        return bool(command.search_attributes)
    return False


def too_large(command_list: list[cmd.Command], field: str, message: str) -> Problem:
    """Why a completion whose payload at ``field`` (``commands.2.input``) is over the limit
    is refused: the cause of that command, and a message naming the field, size and limit."""
    parts = field.split(".")
    index = int(parts[1]) if len(parts) > 1 and parts[0] == "commands" and parts[1].isdigit() else -1
    name = command_list[index].type if 0 <= index < len(command_list) else ""
    cause = BAD_ATTRIBUTES.get(name, "WORKFLOW_WORKER_UNHANDLED_FAILURE")
    return Problem(cause, f"{name or 'The completion'} exceeds size limit: {message}")


def is_close(command: cmd.Command) -> bool:
    """Whether the command closes the run."""
    return isinstance(command, _CLOSE_COMMANDS)


class Applier:
    """Applies one completion's commands to ``b``, whose WorkflowTaskCompleted is ``completed_id``."""

    def __init__(self, b: batch.Batch, ctx: Context, completed_id: int) -> None:
        self.b = b
        self.ctx = ctx
        self.completed_id = completed_id
        self.buffered = list(ctx.buffered)
        # Something happened that the workflow must see in a new workflow task.
        self.needs_workflow_task = False
        self._new_activities: dict[int, str] = {}
        # Pending timers as this completion goes: started ones added, canceled ones removed.
        self._timers = dict(ctx.user_timers)

    def apply(self, command: cmd.Command) -> Problem | None:
        """Apply one command; a Problem refuses the whole completion."""
        try:
            command = self._checked(command)
        except errors.InvalidArgument as e:
            return Problem("BAD_SEARCH_ATTRIBUTES", e.message)
        if isinstance(command, cmd.UpsertWorkflowSearchAttributes):
            return self._upsert_search_attributes(command)
        if isinstance(command, cmd.ScheduleActivityTask):
            return self._schedule_activity(command)
        if isinstance(command, cmd.StartTimer):
            return self._start_timer(command)
        if isinstance(command, cmd.CancelTimer):
            return self._cancel_timer(command)
        if isinstance(command, cmd.RequestCancelActivityTask):
            return self._request_cancel_activity(command)
        if isinstance(command, cmd.RecordMarker | cmd.ModifyWorkflowProperties):
            return self._record(command)
        if isinstance(command, cmd.CompleteWorkflowUpdate):
            self.b.append(updates.completed_event(command))
            return None
        if isinstance(command, cmd.StartChildWorkflowExecution):
            if problem := _child_cron_problem(command):
                return problem
            children.initiated(self.b, command, self.completed_id)
            return None
        if isinstance(command, cmd.SignalExternalWorkflowExecution):
            children.signal_initiated(self.b, command, self.completed_id)
            return None
        if isinstance(command, cmd.RequestCancelExternalWorkflowExecution):
            children.cancel_initiated(self.b, command, self.completed_id)
            return None
        self._close(command)
        return None

    # --- markers and workflow properties: history only, no task or timer ---

    def _record(self, c: cmd.RecordMarker | cmd.ModifyWorkflowProperties) -> Problem | None:
        if isinstance(c, cmd.RecordMarker):
            self.b.append(
                wire.MarkerRecorded(
                    marker_name=c.marker_name,
                    details=c.details,
                    workflow_task_completed_event_id=self.completed_id,
                    failure=c.failure,
                )
            )
            return None
        if not c.upserted_memo:
            return Problem("BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES", "upserted_memo must not be empty")
        self.b.append(
            wire.WorkflowPropertiesModified(
                upserted_memo=c.upserted_memo, workflow_task_completed_event_id=self.completed_id
            )
        )
        self.b.update(memo=memo.upserted(self.b.execution.memo, c.upserted_memo))
        return None

    # --- search attributes: checked against the namespace's, then kept on the row ---

    def _checked(self, command: cmd.Command) -> cmd.Command:
        """The command with its search attributes checked; a continue-as-new that sets none
        hands on the run's, as Temporal's server does."""
        ex = self.b.execution  # with the upserts of this completion so far
        if isinstance(command, cmd.ContinueAsNewWorkflowExecution) and not command.search_attributes:
            return command.model_copy(update={"search_attributes": search_attributes.payloads(ex.search_attributes)})
        if not sets_search_attributes(command):
            return command
        assert isinstance(
            command,
            cmd.UpsertWorkflowSearchAttributes | cmd.StartChildWorkflowExecution | cmd.ContinueAsNewWorkflowExecution,
        )
        types = self.ctx.search_attribute_types
        checked = search_attributes.checked(ex.namespace, types, command.search_attributes)
        return command.model_copy(update={"search_attributes": checked})

    def _upsert_search_attributes(self, c: cmd.UpsertWorkflowSearchAttributes) -> Problem | None:
        if not c.search_attributes:
            return Problem("BAD_SEARCH_ATTRIBUTES", "search_attributes must not be empty")
        values = search_attributes.upserted(self.b.execution.search_attributes, c.search_attributes)
        try:
            search_attributes.check_total(values)
        except errors.InvalidArgument as e:
            return Problem("BAD_SEARCH_ATTRIBUTES", e.message)
        self.b.append(
            wire.UpsertWorkflowSearchAttributes(
                search_attributes=c.search_attributes, workflow_task_completed_event_id=self.completed_id
            )
        )
        self.b.update(search_attributes=values)
        return None

    def _schedule_activity(self, c: cmd.ScheduleActivityTask) -> Problem | None:
        if c.start_to_close_timeout is None and c.schedule_to_close_timeout is None:
            return Problem(
                "BAD_SCHEDULE_ACTIVITY_ATTRIBUTES",
                "Either start_to_close_timeout or schedule_to_close_timeout is required",
            )
        if c.activity_id in self._new_activities.values():
            return Problem("BAD_SCHEDULE_ACTIVITY_ATTRIBUTES", f"Activity ID '{c.activity_id}' is already in use")
        b, ex = self.b, self.b.execution
        attributes = wire.ActivityTaskScheduled(
            activity_id=c.activity_id,
            activity_type=c.activity_type,
            task_queue=c.task_queue or ex.task_queue,
            input=c.input,
            schedule_to_close_timeout=c.schedule_to_close_timeout,
            schedule_to_start_timeout=c.schedule_to_start_timeout,
            # An attempt always has a limit: without its own, it is the whole activity's.
            start_to_close_timeout=c.start_to_close_timeout or c.schedule_to_close_timeout,
            heartbeat_timeout=c.heartbeat_timeout,
            retry_policy=retry.effective_policy(c.retry_policy),
            workflow_task_completed_event_id=self.completed_id,
            header=c.header,
        )
        scheduled_id = b.append(attributes)
        self._new_activities[scheduled_id] = c.activity_id
        self._add_activity_task(scheduled_id, attributes)
        return None

    def _add_activity_task(self, scheduled_id: int, a: wire.ActivityTaskScheduled) -> None:
        b, ex = self.b, self.b.execution
        info: dict[str, Any] = {
            **batch.dump(a),
            "workflow_id": ex.workflow_id,
            "workflow_type": ex.workflow_type,
        }
        b.new_tasks.append(
            rows.NewTask(
                namespace=ex.namespace,
                task_queue=a.task_queue,
                kind=rows.TaskKind.ACTIVITY,
                run_id=ex.run_id,
                scheduled_event_id=scheduled_id,
                attempt=1,
                state=rows.TaskState.READY,
                visible_at=b.now,
                scheduled_at=b.now,
                info=info,
            )
        )
        b.notify.add(keys.task_key(ex.namespace, a.task_queue, rows.TaskKind.ACTIVITY))
        self._arm_activity_limits(scheduled_id, a)

    def _arm_activity_limits(self, scheduled_id: int, a: wire.ActivityTaskScheduled) -> None:
        # The whole activity's limits; each attempt's are armed when a poll starts it.
        b = self.b
        if a.schedule_to_close_timeout is not None:
            due = b.now + timedelta(seconds=a.schedule_to_close_timeout)
            b.arm(rows.TimerKind.ACTIVITY_SCHEDULE_TO_CLOSE, due, ref=scheduled_id)
        if a.schedule_to_start_timeout is not None:
            due = b.now + timedelta(seconds=a.schedule_to_start_timeout)
            b.arm(rows.TimerKind.ACTIVITY_SCHEDULE_TO_START, due, ref=scheduled_id, attempt=1)

    def _start_timer(self, c: cmd.StartTimer) -> Problem | None:
        if c.timer_id in self._timers:
            return Problem("BAD_START_TIMER_ATTRIBUTES", f"Timer ID '{c.timer_id}' is already in use")
        b = self.b
        started_id = b.append(
            wire.TimerStarted(
                timer_id=c.timer_id,
                start_to_fire_timeout=c.start_to_fire_timeout,
                workflow_task_completed_event_id=self.completed_id,
            )
        )
        self._timers[c.timer_id] = started_id
        due = b.now + timedelta(seconds=c.start_to_fire_timeout)
        b.arm(rows.TimerKind.USER, due, ref=started_id, timer_id=c.timer_id)
        return None

    def _cancel_timer(self, c: cmd.CancelTimer) -> Problem | None:
        started_id = self._timers.pop(c.timer_id, None)
        if started_id is not None:
            self.b.disarm((rows.TimerKind.USER,), started_id)
            self.b.new_timers = [
                t for t in self.b.new_timers if not (t.kind == rows.TimerKind.USER and t.ref == started_id)
            ]
        else:
            # It fired while the task was in flight: the firing never reaches history.
            fired = self._take_buffered_fired(c.timer_id)
            if fired is None:
                return Problem("BAD_CANCEL_TIMER_ATTRIBUTES", f"Timer '{c.timer_id}' is not pending")
            started_id = fired.started_event_id
        self.b.append(
            wire.TimerCanceled(
                timer_id=c.timer_id,
                started_event_id=started_id,
                workflow_task_completed_event_id=self.completed_id,
            )
        )
        return None

    def _take_buffered_fired(self, timer_id: str) -> wire.TimerFired | None:
        for i, event in enumerate(self.buffered):
            if isinstance(event, wire.TimerFired) and event.timer_id == timer_id:
                del self.buffered[i]
                return event
        return None

    def _request_cancel_activity(self, c: cmd.RequestCancelActivityTask) -> Problem | None:
        scheduled_id = c.scheduled_event_id
        task = self.ctx.activities.get(scheduled_id)
        known = task is not None or scheduled_id in self._new_activities or self._buffered_close(scheduled_id)
        if not known:
            return Problem(
                "BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES",
                f"No pending activity was scheduled by event {scheduled_id}",
            )
        self.b.append(
            wire.ActivityTaskCancelRequested(
                scheduled_event_id=scheduled_id, workflow_task_completed_event_id=self.completed_id
            )
        )
        # Started: the worker learns it from its next heartbeat and reports the cancel.
        if task is not None and task.state == rows.TaskState.STARTED:
            self.b.task_updates.append(_cancel_requested(task))
        # Never started (or between attempts): canceled at once.
        elif task is not None or scheduled_id in self._new_activities:
            self._cancel_unstarted(scheduled_id, task)
        return None

    def _buffered_close(self, scheduled_id: int) -> bool:
        closes = (wire.ActivityTaskCompleted, wire.ActivityTaskFailed, wire.ActivityTaskTimedOut)
        return any(isinstance(e, closes) and e.scheduled_event_id == scheduled_id for e in self.buffered)

    def _cancel_unstarted(self, scheduled_id: int, task: rows.Task | None) -> None:
        b = self.b
        b.new_tasks = [t for t in b.new_tasks if t.scheduled_event_id != scheduled_id]
        b.new_timers = [t for t in b.new_timers if t.ref != scheduled_id or t.kind == rows.TimerKind.USER]
        b.deleted_tasks.append(scheduled_id)
        b.disarm(batch.ACTIVITY_TIMER_KINDS, scheduled_id)
        b.append(wire.ActivityTaskCanceled(scheduled_event_id=scheduled_id))
        if task is not None:
            b.activity_outcomes.append((str(task.info.get("activity_type", "")), "canceled"))
        self.needs_workflow_task = True

    def _close(self, c: cmd.Command) -> None:
        b, completed = self.b, self.completed_id
        if isinstance(c, cmd.CompleteWorkflowExecution):
            # --- chains of runs: a cron run starts the next at the schedule's next time ---
            started = self.ctx.started
            cron_next = None
            if started is not None and started.cron_schedule:
                cron_next = chains.start_cron(b, started, result=c.result, failure=None)
            completed_event = wire.WorkflowExecutionCompleted(
                result=c.result, workflow_task_completed_event_id=completed, new_execution_run_id=cron_next
            )
            b.append(completed_event)
            b.close(WorkflowExecutionStatus.COMPLETED, result=c.result)
        elif isinstance(c, cmd.FailWorkflowExecution):
            # --- chains of runs: a failed run is retried by its retry policy ---
            chains.fail(b, self.ctx.started, c.failure, completed)
        elif isinstance(c, cmd.ContinueAsNewWorkflowExecution):
            assert self.ctx.started is not None, "a continue-as-new completion is given the run's start"
            chains.continue_as_new(b, self.ctx.started, c, completed)
        elif isinstance(c, cmd.CancelWorkflowExecution):
            b.append(wire.WorkflowExecutionCanceled(details=c.details, workflow_task_completed_event_id=completed))
            canceled = Failure(message="Workflow canceled", kind=FailureKind.CANCELED, details=c.details)
            b.close(WorkflowExecutionStatus.CANCELED, failure=canceled)


def _child_cron_problem(c: cmd.StartChildWorkflowExecution) -> Problem | None:
    try:
        start.check_cron(c.cron_schedule)
    except errors.InvalidArgument as e:
        return Problem("BAD_START_CHILD_EXECUTION_ATTRIBUTES", e.message)
    return None


def _cancel_requested(task: rows.Task) -> rows.TaskUpdate:
    return rows.TaskUpdate(
        run_id=task.run_id,
        scheduled_event_id=task.scheduled_event_id,
        attempt=task.attempt,
        state=task.state,
        visible_at=task.visible_at,
        last_failure=task.last_failure,
        cancel_requested=True,
    )
