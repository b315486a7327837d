"""Requests and responses of the server's HTTP API, and the paths they go to.

Every path is under ``/api/v1/namespaces/{namespace}``. Long polls (task polls, result,
history with ``wait``) answer ``204 No Content`` when nothing came within the wait, and
the caller simply polls again. Errors are ``ErrorBody`` with a 4xx/5xx status.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from legato.api.command import MAX_NAME_LENGTH, Command
from legato.api.common import Failure, Payload, Payloads, RetryPolicy, WireModel, WorkflowExecutionStatus
from legato.api.history import HistoryEvent

PREFIX = "/api/v1/namespaces/{namespace}"
START_WORKFLOW = PREFIX + "/workflows"  # POST StartWorkflowRequest
DESCRIBE_WORKFLOW = PREFIX + "/workflows/{workflow_id}"  # GET ?run_id=
WORKFLOW_RESULT = PREFIX + "/workflows/{workflow_id}/result"  # GET ?run_id=&wait=
WORKFLOW_HISTORY = PREFIX + "/workflows/{workflow_id}/history"  # GET ?run_id=&page_token=&page_size=
SIGNAL_WORKFLOW = PREFIX + "/workflows/{workflow_id}/signal"  # POST SignalWorkflowRequest
CANCEL_WORKFLOW = PREFIX + "/workflows/{workflow_id}/cancel"  # POST CancelWorkflowRequest
TERMINATE_WORKFLOW = PREFIX + "/workflows/{workflow_id}/terminate"  # POST TerminateWorkflowRequest
POLL_WORKFLOW_TASK = PREFIX + "/task-queues/{task_queue}/workflow-tasks/poll"  # POST PollRequest
COMPLETE_WORKFLOW_TASK = PREFIX + "/workflow-tasks/complete"  # POST
FAIL_WORKFLOW_TASK = PREFIX + "/workflow-tasks/fail"  # POST
POLL_ACTIVITY_TASK = PREFIX + "/task-queues/{task_queue}/activity-tasks/poll"  # POST PollRequest
COMPLETE_ACTIVITY_TASK = PREFIX + "/activity-tasks/complete"  # POST
FAIL_ACTIVITY_TASK = PREFIX + "/activity-tasks/fail"  # POST
HEARTBEAT_ACTIVITY_TASK = PREFIX + "/activity-tasks/heartbeat"  # POST
DESCRIBE_TASK_QUEUE = PREFIX + "/task-queues/{task_queue}"  # GET backlog and pollers
TASK_QUEUE_BACKLOG = PREFIX + "/task-queues/{task_queue}/backlog"  # GET, for autoscalers (KEDA metrics-api)


class IdConflictPolicy(StrEnum):
    """What starting a workflow id that is already running does (Temporal's names)."""

    FAIL = "FAIL"
    USE_EXISTING = "USE_EXISTING"


class IdReusePolicy(StrEnum):
    """Whether a closed workflow id may start again (Temporal's names)."""

    ALLOW_DUPLICATE = "ALLOW_DUPLICATE"
    ALLOW_DUPLICATE_FAILED_ONLY = "ALLOW_DUPLICATE_FAILED_ONLY"
    REJECT_DUPLICATE = "REJECT_DUPLICATE"


class ErrorBody(WireModel):
    """Every error answer. ``field`` names the offending input where there is one."""

    error: str
    message: str
    field: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None


class StartWorkflowRequest(WireModel):
    workflow_id: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    workflow_type: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    task_queue: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    args: Payloads = Field(default_factory=list)
    id_conflict_policy: IdConflictPolicy = IdConflictPolicy.FAIL
    id_reuse_policy: IdReusePolicy = IdReusePolicy.ALLOW_DUPLICATE
    execution_timeout: float | None = Field(default=None, gt=0)
    run_timeout: float | None = Field(default=None, gt=0)
    task_timeout: float | None = Field(default=None, gt=0)
    retry_policy: RetryPolicy | None = None
    # Makes a retried start call (same request_id) return the run it already started.
    request_id: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class StartWorkflowResponse(WireModel):
    run_id: str
    # False when USE_EXISTING or a repeated request_id returned a run already going.
    started: bool


class PendingActivity(WireModel):
    activity_id: str
    activity_type: str
    state: str  # SCHEDULED | STARTED | BACKOFF (waiting for a retry)
    attempt: int
    scheduled_event_id: int
    last_failure: Failure | None = None
    next_attempt_time: datetime | None = None


class DescribeWorkflowResponse(WireModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    start_time: datetime
    close_time: datetime | None = None
    history_length: int
    pending_activities: list[PendingActivity] = Field(default_factory=list)
    result: Payload = None
    failure: Failure | None = None


class WorkflowResultResponse(WireModel):
    """A closed run's outcome; ``result`` when COMPLETED, ``failure`` otherwise."""

    run_id: str
    status: WorkflowExecutionStatus
    result: Payload = None
    failure: Failure | None = None


class HistoryPage(WireModel):
    events: list[HistoryEvent]
    next_page_token: str | None = None


class PollRequest(WireModel):
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)
    # Longest time the server holds the poll open before answering 204.
    wait: float = Field(default=30.0, ge=0, le=120)


class WorkflowTask(WireModel):
    """A workflow task. ``history`` holds the events from ``first_event_id`` on.

    The server sends the events after the previous workflow task's ``WorkflowTaskStarted``
    (``first_event_id`` = that id + 1), which is all a worker that cached the run needs;
    a worker without it fetches the full history from ``WORKFLOW_HISTORY`` first.
    """

    task_token: str
    workflow_id: str
    run_id: str
    workflow_type: str
    attempt: int
    first_event_id: int
    history: list[HistoryEvent]


class CompleteWorkflowTaskRequest(WireModel):
    task_token: str
    commands: list[Command] = Field(default_factory=list)
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class FailWorkflowTaskRequest(WireModel):
    task_token: str
    # Temporal's causes, e.g. NON_DETERMINISTIC_ERROR or WORKFLOW_WORKER_UNHANDLED_FAILURE.
    cause: str = "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    failure: Failure
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class ActivityTask(WireModel):
    task_token: str
    workflow_id: str
    run_id: str
    workflow_type: str
    activity_id: str
    activity_type: str
    input: Payloads
    attempt: int
    scheduled_time: datetime
    started_time: datetime
    schedule_to_close_timeout: float | None = None
    start_to_close_timeout: float | None = None
    heartbeat_timeout: float | None = None
    heartbeat_details: Payloads = Field(default_factory=list)


class CompleteActivityTaskRequest(WireModel):
    task_token: str
    result: Payload = None
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class FailActivityTaskRequest(WireModel):
    task_token: str
    failure: Failure
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class HeartbeatActivityTaskRequest(WireModel):
    task_token: str
    details: Payloads = Field(default_factory=list)


class HeartbeatActivityTaskResponse(WireModel):
    cancel_requested: bool = False


class SignalWorkflowRequest(WireModel):
    signal_name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    args: Payloads = Field(default_factory=list)
    run_id: str | None = None
    # Deduplicates a signal sent twice (a retried call, a re-applied resource).
    request_id: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class CancelWorkflowRequest(WireModel):
    run_id: str | None = None
    reason: str = ""
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class TerminateWorkflowRequest(WireModel):
    run_id: str | None = None
    reason: str = ""
    identity: str = Field(default="", max_length=MAX_NAME_LENGTH)


class TaskQueueBacklog(WireModel):
    """A task queue's load, counted over every server replica.

    ``workflow_tasks`` and ``activity_tasks`` wait for a poller; ``running`` are held by
    workers now; ``backlog`` is waiting + running, what the operator's scaling divides by
    ``targetBacklogPerReplica``; ``pollers`` are workers that polled within the last minute.
    """

    workflow_tasks: int
    activity_tasks: int
    oldest_task_age: float
    pollers: int
    running: int = 0
    backlog: int = 0


class Ack(WireModel):
    """The answer to a call that returns nothing but success."""

    ok: bool = True
