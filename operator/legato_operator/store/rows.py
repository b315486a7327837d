"""Row types of the store's tables, as frozen dataclasses the engine computes with.

The enums' values are the text the columns hold: a member binds to a text parameter as
its value, and each query's ``_row`` turns the text read back into the member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from legato.api.common.v1 import WorkflowExecutionStatus


class TaskKind(StrEnum):
    """Which worker takes a task (``tasks.kind``, ``task_queue_pollers.kind``)."""

    WORKFLOW = "workflow"
    ACTIVITY = "activity"


class TaskState(StrEnum):
    """Where a task is in its life (``tasks.state``)."""

    # Claimable from ``visible_at`` on.
    READY = "ready"
    # A worker holds it.
    STARTED = "started"
    # Waiting out a retry's delay; its ``task_ready`` timer makes it ready.
    BACKOFF = "backoff"


class TimerKind(StrEnum):
    """What a due timer does when it fires (``timers.kind``)."""

    # A workflow's own timer (ref: its TimerStarted event).
    USER = "user"
    # An activity's limits (ref: its ActivityTaskScheduled event).
    ACTIVITY_START_TO_CLOSE = "activity_start_to_close"
    ACTIVITY_HEARTBEAT = "activity_heartbeat"
    ACTIVITY_SCHEDULE_TO_CLOSE = "activity_schedule_to_close"
    ACTIVITY_SCHEDULE_TO_START = "activity_schedule_to_start"
    # A task's retry delay ended (ref: its scheduled event).
    TASK_READY = "task_ready"
    # A workflow task's start_to_close limit (ref: its WorkflowTaskScheduled event).
    WORKFLOW_TASK_TIMEOUT = "workflow_task_timeout"
    # The run's execution (or run) timeout.
    WORKFLOW_EXECUTION_TIMEOUT = "workflow_execution_timeout"
    # The first workflow task's backoff ended (start_delay, a retry's interval, migration 0015).
    WORKFLOW_START_BACKOFF = "workflow_start_backoff"
    # Due-now transfers between runs (migration 0017), each fired in its own transaction
    # that locks only the run the row belongs to:
    # start the child a StartChildWorkflowExecutionInitiated asks for (ref: that event);
    CHILD_START = "child_start"
    # deliver a child's close to its parent (ref: the initiated event, timer_id: the child's run);
    CHILD_CLOSED = "child_closed"
    # apply the parent close policy (TERMINATE or REQUEST_CANCEL) to this child (timer_id: the policy).
    PARENT_CLOSED = "parent_closed"
    # deliver a SignalExternalWorkflowExecutionInitiated's signal (ref: that event; fired
    # locking the target, not this run);
    SIGNAL_EXTERNAL = "signal_external"
    # record its outcome on the sender (ref: the initiated event, timer_id: a failure cause or "").
    SIGNAL_EXTERNAL_DONE = "signal_external_done"
    # The same pair for a RequestCancelExternalWorkflowExecutionInitiated (a cancel request
    # sent to another run, or to a child by its handle's cancellation type).
    CANCEL_EXTERNAL = "cancel_external"
    CANCEL_EXTERNAL_DONE = "cancel_external_done"


@dataclass(frozen=True)
class Execution:
    """One run (a row of ``executions``)."""

    run_id: str
    namespace: str
    workflow_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    start_time: datetime
    next_event_id: int
    version: int
    workflow_task_timeout: float
    randomness_seed: int
    close_time: datetime | None = None
    wft_scheduled_id: int = 0
    wft_started_id: int = 0
    wft_attempt: int = 0
    wft_needed: bool = False
    last_wft_started_id: int = 0
    # The last failure or timeout of the workflow task, while its attempts keep failing:
    # {"cause": ..., "failure": {...} | None, "time": ISO 8601}; None once one completes.
    wft_failure: dict[str, Any] | None = None
    execution_timeout: float | None = None
    request_id: str | None = None
    cancel_requested: bool = False
    result: Any = None
    # The memo: key -> payload as wire JSON (migration 0013); None when empty.
    memo: dict[str, Any] | None = None
    # Custom search attributes: name -> {"type", "value"} (migration 0020); None when none.
    search_attributes: dict[str, Any] | None = None
    # Temporal's cron_schedule of the run's chain (migration 0021); None without one.
    cron_schedule: str | None = None
    failure: dict[str, Any] | None = None
    # The chain of runs (migration 0015): its first run, the run this one continues, the
    # run that continues this one (set when it closes so), and the run's attempt.
    first_execution_run_id: str | None = None
    continued_run_id: str | None = None
    new_run_id: str | None = None
    attempt: int = 1
    # Bytes of history so far (each event's attributes as stored).
    history_size: int = 0
    # The first workflow task is not scheduled until its backoff timer fires.
    first_task_backoff: bool = False
    # Start plus the first workflow task's backoff (migration 0019), Temporal's ExecutionTime.
    execution_time: datetime | None = None
    # A child run (migration 0017): the run that started it, its initiated event and the
    # parent close policy; the root of its tree.
    parent_run_id: str | None = None
    parent_workflow_id: str | None = None
    parent_initiated_event_id: int | None = None
    parent_close_policy: str | None = None
    root_run_id: str | None = None
    root_workflow_id: str | None = None


@dataclass(frozen=True)
class Task:
    """A workflow or activity task (a row of ``tasks``)."""

    id: int
    namespace: str
    task_queue: str
    kind: TaskKind
    run_id: str
    scheduled_event_id: int
    attempt: int
    state: TaskState
    visible_at: datetime
    scheduled_at: datetime
    started_at: datetime | None = None
    info: dict[str, Any] = field(default_factory=dict)
    heartbeat_details: list[Any] | None = None
    last_heartbeat_at: datetime | None = None
    last_failure: dict[str, Any] | None = None
    cancel_requested: bool = False


@dataclass(frozen=True)
class NewTask:
    """A task to insert."""

    namespace: str
    task_queue: str
    kind: TaskKind
    run_id: str
    scheduled_event_id: int
    attempt: int
    state: TaskState
    visible_at: datetime
    scheduled_at: datetime
    info: dict[str, Any] = field(default_factory=dict)
    # Set for a task inserted started (an eager activity).
    started_at: datetime | None = None


@dataclass(frozen=True)
class TaskUpdate:
    """New values of a task's mutable columns, for the task (run_id, scheduled_event_id)."""

    run_id: str
    scheduled_event_id: int
    attempt: int
    state: TaskState
    visible_at: datetime
    last_failure: dict[str, Any] | None
    cancel_requested: bool


@dataclass(frozen=True)
class Timer:
    """A due-time row of ``timers``."""

    id: int
    namespace: str
    run_id: str
    kind: TimerKind
    ref: int
    attempt: int
    timer_id: str | None
    due_at: datetime


@dataclass(frozen=True)
class NewTimer:
    """A timer to insert."""

    namespace: str
    run_id: str
    kind: TimerKind
    due_at: datetime
    ref: int = 0
    attempt: int = 0
    timer_id: str | None = None


@dataclass(frozen=True)
class TimerSelector:
    """Which of a run's timers to delete: of these kinds, with this ref."""

    run_id: str
    kinds: tuple[TimerKind, ...]
    ref: int


@dataclass(frozen=True)
class ResourceKey:
    """A `Workflow` resource: its namespace, name and uid (a re-created one is another)."""

    namespace: str
    name: str
    uid: str


@dataclass(frozen=True)
class WorkflowResource:
    """The link from a `Workflow` resource to its run (a row of ``workflow_resources``)."""

    key: ResourceKey
    workflow_id: str
    run_id: str
    identity: dict[str, Any]
    generation: int = 0
    delivered_signals: list[str] = field(default_factory=list)
    undelivered_signals: dict[str, str] = field(default_factory=dict)
    refused_fields: list[str] = field(default_factory=list)
    change: int = 1
    synced_change: int = 0
    synced_version: int = 0
    synced_status: WorkflowExecutionStatus | None = None
    final: bool = False
    conditions: list[dict[str, Any]] = field(default_factory=list)
    # Seconds after the run's close at which the resource is deleted (None: kept).
    ttl_after_finished: float | None = None


@dataclass(frozen=True)
class UnsyncedResource:
    """A link whose status is behind (or is due a recheck): the run's version and status
    when it was found, its task queue, and since when its workflow task has waited for a
    worker (None when none waits: none is scheduled, a worker holds it, or it backs off)."""

    resource: WorkflowResource
    version: int
    status: WorkflowExecutionStatus
    task_queue: str = ""
    waiting_since: datetime | None = None


# --- queries (query_requests) ---


@dataclass(frozen=True)
class QueryRequest:
    """A query as a worker gets it."""

    id: str
    namespace: str
    task_queue: str
    workflow_id: str
    run_id: str
    workflow_type: str
    query_type: str
    args: list[dict[str, Any]]
    # After the run's last completed WorkflowTaskStarted, read when a poll claims the query.
    first_event_id: int = 0
    # Temporal's Header, as JSON payloads by key.
    header: dict[str, Any] = field(default_factory=dict)


@dataclass
class UpdateRequest:
    """A workflow update as stored: admitted, accepted into history, or completed."""

    run_id: str
    update_id: str
    namespace: str
    task_queue: str
    workflow_id: str
    workflow_type: str
    name: str
    args: list[dict[str, Any]]
    header: dict[str, Any] = field(default_factory=dict)
    identity: str = ""
    # admitted | accepted | completed
    state: str = "admitted"
    # {"success": [payload...]} or {"failure": {...}}, once completed.
    outcome: dict[str, Any] | None = None
    # After the run's last completed WorkflowTaskStarted, read when a poll claims the update.
    first_event_id: int = 0


@dataclass(frozen=True)
class Namespace:
    """A registered namespace (a row of ``namespaces``); ``retention`` None is the server's."""

    name: str
    id: str
    description: str
    owner_email: str
    data: dict[str, str]
    retention: timedelta | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Schedule:
    """A schedule (a row of ``schedules``): its wire JSON and its progress, both as stored."""

    namespace: str
    schedule_id: str
    schedule: dict[str, Any]
    progress: dict[str, Any]
    memo: dict[str, Any] | None
    search_attributes: dict[str, Any] | None
    request_id: str
    version: int
    next_wake: datetime | None
    created_at: datetime
    updated_at: datetime | None
