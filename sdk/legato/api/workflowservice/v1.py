"""Requests and responses of the server's HTTP API.

Each operation takes one request model and answers one response model; which method and
path carry it is declared once, in ``legato.api.operations``. A request model holds every
input of its operation: the fields named in the path template (``workflow_id``,
``task_queue``) travel in the path, the others in the query (GET) or the JSON body (POST).
Long polls answer ``204 No Content`` when nothing came within ``wait``, and the caller
simply polls again. Errors are ``ErrorBody`` with a 4xx/5xx status.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from legato.api.command.v1 import Command
from legato.api.common.v1 import (
    Failure,
    Header,
    Name,
    Payload,
    Payloads,
    RetryPolicy,
    RunId,
    Seconds,
    Text,
    WireModel,
    WorkflowExecution,
    WorkflowExecutionStatus,
)
from legato.api.history.v1 import HistoryEvent, UpdateOutcome
from legato.api.workflow.v1 import WorkflowExecutionInfo

# The longest a long poll may be held open before it answers 204.
MAX_WAIT = 120.0
# Events per history page, at most (and by default).
MAX_PAGE_SIZE = 1000


class IdConflictPolicy(StrEnum):
    """What starting a workflow id that is already running does (Temporal's names)."""

    # FAIL for a start, USE_EXISTING for a signal-with-start (Temporal's defaults).
    UNSPECIFIED = "UNSPECIFIED"
    FAIL = "FAIL"
    USE_EXISTING = "USE_EXISTING"
    TERMINATE_EXISTING = "TERMINATE_EXISTING"


class IdReusePolicy(StrEnum):
    """Whether a closed workflow id may start again (Temporal's names)."""

    ALLOW_DUPLICATE = "ALLOW_DUPLICATE"
    ALLOW_DUPLICATE_FAILED_ONLY = "ALLOW_DUPLICATE_FAILED_ONLY"
    REJECT_DUPLICATE = "REJECT_DUPLICATE"
    # Deprecated in Temporal: ALLOW_DUPLICATE, and a running run is terminated.
    TERMINATE_IF_RUNNING = "TERMINATE_IF_RUNNING"


class ErrorBody(WireModel):
    """Every error answer. ``field`` names the offending input where there is one."""

    error: str
    message: str
    field: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None


# Who makes a call, recorded with what it does (``pid@host`` by default in the SDK).
Identity = Text


class LongPollRequest(WireModel):
    """A request the server may hold open for up to ``wait`` seconds before answering 204."""

    wait: float = Field(
        default=30.0, ge=0, le=MAX_WAIT, description="Seconds the server may hold the call before answering 204."
    )


class StartWorkflowRequest(WireModel):
    workflow_id: Name
    workflow_type: Name
    task_queue: Name
    args: Payloads = Field(default_factory=list)
    id_conflict_policy: IdConflictPolicy = IdConflictPolicy.UNSPECIFIED
    id_reuse_policy: IdReusePolicy = IdReusePolicy.ALLOW_DUPLICATE
    execution_timeout: Seconds | None = None
    run_timeout: Seconds | None = None
    task_timeout: Seconds | None = None
    retry_policy: RetryPolicy | None = None
    # Makes a retried start call (same request_id) return the run it already started.
    request_id: Text | None = None
    identity: Identity = ""
    header: Header = Field(default_factory=dict)
    # Temporal's memo: opaque payloads by key, shown by describe (limited as any payload).
    memo: dict[Name, Payload] = Field(default_factory=dict)
    # Temporal's typed search attributes: json/plain payloads with a ``type`` metadata, each
    # registered in the namespace (``add_search_attributes``) with that type.
    search_attributes: dict[Name, Payload] = Field(default_factory=dict)
    # The first workflow task waits this long (a durable timer).
    start_delay: Seconds | None = None
    # Temporal's older cron feature: each run starts at the schedule's next fire time and
    # its close starts the next (robfig/cron syntax: ``0 12 * * MON``, ``@every 1h``).
    cron_schedule: Text = ""
    # Accepted; the run starts normally (a worker polls for its first task).
    request_eager_execution: bool = False


class SignalWithStartWorkflowRequest(StartWorkflowRequest):
    """Signal the running run of the id, or start one and deliver the signal first, atomically."""

    signal_name: Name
    signal_args: Payloads = Field(default_factory=list)


class StartWorkflowResponse(WireModel):
    run_id: str
    # False when USE_EXISTING or a repeated request_id returned a run already going.
    started: bool


class PendingActivity(WireModel):
    """An activity of the run that is scheduled, running or waiting for a retry
    (Temporal's ``PendingActivityInfo``)."""

    activity_id: str
    activity_type: str
    state: str  # SCHEDULED | STARTED | BACKOFF (waiting for a retry)
    attempt: int
    scheduled_event_id: int
    last_failure: Failure | None = None
    next_attempt_time: datetime | None = None
    # The details of its latest heartbeat and when the server received it; both are kept
    # across retries (the next attempt starts from them) and absent before the first.
    heartbeat_details: Payloads = Field(default_factory=list)
    last_heartbeat_time: datetime | None = None


class PendingChildExecution(WireModel):
    """A child this run started that is still running (Temporal's ``PendingChildExecutionInfo``)."""

    workflow_id: str
    run_id: str
    workflow_type_name: str
    initiated_id: int
    parent_close_policy: str


class DescribeWorkflowRequest(WireModel):
    workflow_id: Name
    run_id: RunId = None


class PendingWorkflowTask(WireModel):
    """The run's workflow task, while one is scheduled or running.

    ``attempt`` counts from 1; past the first failure the attempts are transient (not in
    history), and ``last_failure_cause`` / ``last_failure`` say why the last one failed.
    """

    state: str  # SCHEDULED | STARTED
    attempt: int
    last_failure_cause: str | None = None
    last_failure: Failure | None = None
    last_failure_time: datetime | None = None


class DescribeWorkflowResponse(WireModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    start_time: datetime
    # The start plus the first workflow task's backoff; None from servers before it was kept.
    execution_time: datetime | None = None
    close_time: datetime | None = None
    history_length: int
    # The chain of runs: the first run, the run this one continues, the run after it.
    first_execution_run_id: str | None = None
    continued_run_id: str | None = None
    new_execution_run_id: str | None = None
    attempt: int = 1
    history_size_bytes: int = 0
    pending_activities: list[PendingActivity] = Field(default_factory=list)
    pending_children: list[PendingChildExecution] = Field(default_factory=list)
    pending_workflow_task: PendingWorkflowTask | None = None
    result: Payload | None = None
    failure: Failure | None = None
    # The memo as the start set it and the run's upserts changed it.
    memo: dict[str, Payload] = Field(default_factory=dict)
    # The run's custom search attributes as the start set them and its upserts changed them.
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    # The run that started this one as a child (None at the top), and the top of its tree.
    parent_execution: WorkflowExecution | None = None
    root_execution: WorkflowExecution | None = None


class WorkflowResultRequest(LongPollRequest):
    workflow_id: Name
    run_id: RunId = None
    wait: float = Field(
        default=0.0,
        ge=0,
        le=MAX_WAIT,
        description="Seconds to wait for the run to close; 0 answers at once (204 while it runs).",
    )


class WorkflowResultResponse(WireModel):
    """A closed run's outcome; ``result`` when COMPLETED, ``failure`` otherwise.

    ``new_execution_run_id`` is the run that goes on from this one (continued as new, or
    a retry of a failed or timed-out run), which a client following runs waits for next.
    """

    run_id: str
    status: WorkflowExecutionStatus
    result: Payload | None = None
    failure: Failure | None = None
    new_execution_run_id: str | None = None


class WorkflowHistoryRequest(WireModel):
    workflow_id: Name
    run_id: RunId = None
    page_token: str | None = Field(default=None, description="next_page_token of the previous page.")
    page_size: int = Field(default=MAX_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Events per page.")
    wait: float = Field(
        default=0.0,
        ge=0,
        le=MAX_WAIT,
        description=(
            "Seconds to wait for events past the page token while the run is open (Temporal's "
            "wait_new_event); the page then always has a next_page_token until the run closed."
        ),
    )


class HistoryPage(WireModel):
    events: list[HistoryEvent]
    next_page_token: str | None = None


class PollRequest(LongPollRequest):
    task_queue: Name
    identity: Identity = ""


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
    # Set on a query task: answer it with RESPOND_QUERY_TASK, never with commands.
    query: WorkflowQuery | None = None
    # Set on an update's validation task: answer it with RESPOND_UPDATE_VALIDATION.
    update: WorkflowUpdate | None = None


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
    header: Header = Field(default_factory=dict)


class CompleteWorkflowTaskRequest(WireModel):
    task_token: str
    commands: list[Command] = Field(default_factory=list)
    identity: Identity = ""
    # Temporal's force_create_new_workflow_task with return_new_workflow_task: a new task is
    # scheduled at once and handed back started, so a worker whose local activities outlast
    # the task keeps the run (its workflow task "heartbeat").
    force_new_workflow_task: bool = False


class CompleteWorkflowTaskResponse(WireModel):
    """A completion's answer: the new workflow task a ``force_new_workflow_task`` asked for
    (None when the run closed, or none was asked), and the activities its commands
    scheduled with ``request_eager_execution``, started already for the worker that asked
    (Temporal's eager activity execution: they are never offered to a poll)."""

    ok: bool = True
    workflow_task: WorkflowTask | None = None
    activity_tasks: list[ActivityTask] = Field(default_factory=list)


class FailWorkflowTaskRequest(WireModel):
    task_token: str
    # Temporal's causes, e.g. NON_DETERMINISTIC_ERROR or WORKFLOW_WORKER_UNHANDLED_FAILURE.
    cause: str = "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    failure: Failure
    identity: Identity = ""


class CompleteActivityTaskRequest(WireModel):
    task_token: str
    result: Payload | None = None
    identity: Identity = ""
    # The worker holds the run in its cache and has a free workflow-task slot: if the
    # result schedules the run's next workflow task, it comes back started in the answer
    # instead of being offered to a poll.
    request_workflow_task: bool = False


class CompleteActivityTaskResponse(WireModel):
    """A completion's answer: the run's next workflow task, started for the worker that
    asked with ``request_workflow_task`` (None when none was scheduled, or none asked)."""

    ok: bool = True
    workflow_task: WorkflowTask | None = None


class FailActivityTaskRequest(WireModel):
    task_token: str
    failure: Failure
    identity: Identity = ""


class HeartbeatActivityTaskRequest(WireModel):
    task_token: str
    details: Payloads = Field(default_factory=list)


class HeartbeatActivityTaskResponse(WireModel):
    cancel_requested: bool = False


class ReportActivityTaskCanceledRequest(WireModel):
    """The activity acknowledged a cancellation (Temporal's RespondActivityTaskCanceled)."""

    task_token: str
    details: Payloads = Field(default_factory=list)
    identity: Identity = ""


class ActivityByIdRequest(WireModel):
    """Names a running activity by its workflow and activity ids instead of a task token:
    the current attempt of the activity, in the named run or the workflow's latest."""

    workflow_id: Name
    activity_id: Name
    run_id: RunId = None


class CompleteActivityByIdRequest(ActivityByIdRequest):
    result: Payload | None = None
    identity: Identity = ""


class FailActivityByIdRequest(ActivityByIdRequest):
    failure: Failure
    identity: Identity = ""


class HeartbeatActivityByIdRequest(ActivityByIdRequest):
    details: Payloads = Field(default_factory=list)


class ReportActivityCanceledByIdRequest(ActivityByIdRequest):
    details: Payloads = Field(default_factory=list)
    identity: Identity = ""


class SignalWorkflowRequest(WireModel):
    workflow_id: Name
    signal_name: Name
    args: Payloads = Field(default_factory=list)
    run_id: RunId = None
    # Deduplicates a signal sent twice (a retried call, a re-applied resource).
    request_id: Text | None = None
    identity: Identity = ""
    header: Header = Field(default_factory=dict)


class CancelWorkflowRequest(WireModel):
    workflow_id: Name
    run_id: RunId = None
    # Temporal's: only a run of the chain that began with this run (else 404).
    first_execution_run_id: RunId = None
    reason: str = ""
    identity: Identity = ""


class DeleteWorkflowRequest(WireModel):
    """Delete a run and its history (Temporal's DeleteWorkflowExecution): the latest run of
    the workflow id without a ``run_id``; a running one is terminated first."""

    workflow_id: Name
    run_id: RunId = None
    reason: str = ""
    identity: Identity = ""


class TerminateWorkflowRequest(WireModel):
    workflow_id: Name
    run_id: RunId = None
    first_execution_run_id: RunId = None
    reason: str = ""
    details: Payloads = Field(default_factory=list)
    identity: Identity = ""


class DescribeTaskQueueRequest(WireModel):
    task_queue: Name


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


# --- queries ---------------------------------------------------------------------------

# The longest a query may wait for a worker's answer (Temporal's frontend answers a query
# no worker picked up after about 30 s; a caller may ask for less, never for more).
MAX_QUERY_TIMEOUT = 60.0
DEFAULT_QUERY_TIMEOUT = 30.0


class QueryRejectCondition(StrEnum):
    """When the server refuses a query instead of asking a worker (Temporal's names)."""

    NONE = "NONE"
    NOT_OPEN = "NOT_OPEN"
    NOT_COMPLETED_CLEANLY = "NOT_COMPLETED_CLEANLY"


class QueryWorkflowRequest(WireModel):
    workflow_id: Name
    run_id: RunId = None
    query_type: Name
    args: Payloads = Field(default_factory=list)
    reject_condition: QueryRejectCondition = QueryRejectCondition.NONE
    timeout: float = Field(
        default=DEFAULT_QUERY_TIMEOUT,
        gt=0,
        le=MAX_QUERY_TIMEOUT,
        description="Seconds to wait for a worker's answer before failing with 504.",
    )
    identity: Identity = ""
    header: Header = Field(default_factory=dict)


class QueryWorkflowResponse(WireModel):
    """A worker's answer (``result``, or ``failure`` when the handler failed or is unknown),
    or ``rejected`` with the run's status when the reject condition held."""

    result: Payload | None = None
    failure: Failure | None = None
    rejected: WorkflowExecutionStatus | None = None


class WorkflowQuery(WireModel):
    """A query handed to a worker with a workflow task poll (Temporal's legacy query task).

    ``first_event_id`` is right after the last completed workflow task's
    ``WorkflowTaskStarted``: a worker whose cached run applied exactly that much answers
    from it; any other worker replays the history up to that task first.
    """

    query_type: str
    args: Payloads = Field(default_factory=list)
    header: Header = Field(default_factory=dict)


class RespondQueryTaskRequest(WireModel):
    task_token: str
    result: Payload | None = None
    failure: Failure | None = None
    identity: Identity = ""


# --- updates ------------------------------------------------------------------------

# The longest the server holds an update call waiting for its stage before answering
# with the stage reached (the caller asks again: ``poll_workflow_update``).
MAX_UPDATE_WAIT = 60.0
DEFAULT_UPDATE_WAIT = 20.0


class UpdateStage(StrEnum):
    """How far an update got (Temporal's ``UpdateWorkflowExecutionLifecycleStage``)."""

    ADMITTED = "ADMITTED"
    ACCEPTED = "ACCEPTED"
    COMPLETED = "COMPLETED"


class UpdateWorkflowRequest(WireModel):
    """Send an update; a repeat of ``update_id`` on the same run joins the first one."""

    workflow_id: Name
    run_id: RunId = None
    first_execution_run_id: RunId = None
    update_id: Name
    name: Name
    args: Payloads = Field(default_factory=list)
    header: Header = Field(default_factory=dict)
    identity: Identity = ""
    wait_for_stage: UpdateStage = UpdateStage.ACCEPTED
    wait: float = Field(
        default=DEFAULT_UPDATE_WAIT,
        gt=0,
        le=MAX_UPDATE_WAIT,
        description="Seconds to hold the call for wait_for_stage before answering the stage reached.",
    )


class PollWorkflowUpdateRequest(WireModel):
    """Wait for an update's stage (the default: its outcome)."""

    workflow_id: Name
    run_id: RunId = None
    update_id: Name
    wait_for_stage: UpdateStage = UpdateStage.COMPLETED
    wait: float = Field(default=DEFAULT_UPDATE_WAIT, gt=0, le=MAX_UPDATE_WAIT)


class UpdateWorkflowResponse(WireModel):
    """The stage reached; with the outcome once ``COMPLETED`` (a rejection is a
    ``COMPLETED`` failure that left nothing in history)."""

    update_id: str
    run_id: str
    stage: UpdateStage
    outcome: UpdateOutcome | None = None


class UpdateWithStartWorkflowRequest(StartWorkflowRequest):
    """Start the run by the id's policies (a conflict policy is required: USE_EXISTING sends
    the update to a running run) and admit the update on it, in one transaction."""

    update: UpdateWorkflowRequest


class UpdateWithStartWorkflowResponse(WireModel):
    """The run the update went to, whether this call started it, and the update's stage."""

    run_id: str
    started: bool
    update: UpdateWorkflowResponse


class WorkflowUpdate(WireModel):
    """An update handed to a worker to validate (as a query is, from the run's state)."""

    update_id: str
    name: str
    args: Payloads = Field(default_factory=list)
    header: Header = Field(default_factory=dict)
    identity: str = ""


class RespondUpdateValidationRequest(WireModel):
    """The validator's verdict: ``rejection`` set refuses the update, unset accepts it."""

    task_token: str
    rejection: Failure | None = None
    identity: Identity = ""


# A query task's WorkflowQuery is declared after WorkflowTask, which refers to it.
WorkflowTask.model_rebuild()


# --- visibility: listing and counting runs with Temporal's list filter ---

# Runs per list page, at most (temporalio's list_workflows asks for 1,000).
MAX_LIST_PAGE_SIZE = 1000
MAX_LIST_QUERY = 4096


class ListWorkflowsRequest(WireModel):
    query: str = Field(
        default="",
        max_length=MAX_LIST_QUERY,
        description="Temporal's list filter, e.g. WorkflowType = 'Orders' AND ExecutionStatus = 'Running'.",
    )
    page_size: int = Field(default=MAX_LIST_PAGE_SIZE, ge=1, le=MAX_LIST_PAGE_SIZE)
    next_page_token: str | None = Field(default=None, max_length=4096)


class ListWorkflowsResponse(WireModel):
    executions: list[WorkflowExecutionInfo]
    # Absent on the last page.
    next_page_token: str | None = None


class CountWorkflowsRequest(WireModel):
    query: str = Field(
        default="",
        max_length=MAX_LIST_QUERY,
        description="A list filter, optionally ending in GROUP BY ExecutionStatus.",
    )


class CountGroup(WireModel):
    # Temporal's status names ('Running', ...), as its count groups give them.
    group_values: list[str]
    count: int


class CountWorkflowsResponse(WireModel):
    count: int
    groups: list[CountGroup] = Field(default_factory=list)
