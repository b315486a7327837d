"""The service contract: every operation of the HTTP API, declared once, as data.

An ``Operation`` names its method, its path, the model of its request and of its answer,
whether repeating it is harmless (``idempotent``: the SDK retries a call that timed out
only then) and (``LongPoll``) whether it may answer empty. Everything else is derived from this table:
the SDK's service client (``legato._service``) encodes requests from it, the server binds
each operation to one engine function through one generic adapter, and ``/openapi.json``
is generated from it, so none of them can drift from another.

A request model carries all of an operation's inputs: the fields named in the path
template travel in the path, the rest in the query string (GET) or the JSON body (POST).
``{namespace}`` is the one path parameter that is not a field: it is the scope every call
acts in, set by the client's connection and checked by the server's authorization. Only
``list_namespaces`` acts in none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from legato.api.common.v1 import WireModel
from legato.api.namespace import v1 as namespaces
from legato.api.operatorservice import v1 as operator
from legato.api.schedule import v1 as schedules
from legato.api.testservice import v1 as testing
from legato.api.workflowservice import v1 as api

NAMESPACES = "/api/v1/namespaces"
PREFIX = NAMESPACES + "/{namespace}"
NAMESPACE = "namespace"

Req = TypeVar("Req", bound=WireModel)
Resp = TypeVar("Resp", bound=WireModel)
PollReq = TypeVar("PollReq", bound=api.LongPollRequest)


@dataclass(frozen=True)
class Operation(Generic[Req, Resp]):
    """One operation: ``method path`` takes ``request`` and answers ``response``."""

    name: str
    method: str
    path: str
    request: type[Req]
    response: type[Resp]
    summary: str
    # Whether a repeat of the call cannot do its effect twice, so that a client may retry
    # it when it got no answer (a timeout): a read; a request_id the server answers a
    # repeat of with the first outcome; a task answer, whose repeat is refused (410).
    idempotent: bool = False
    # Long polls answer 204 when nothing came within the request's wait.
    may_be_empty: ClassVar[bool] = False
    path_fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(n for n in re.findall(r"{(\w+)}", self.path) if n != NAMESPACE)
        unknown = [n for n in names if n not in self.request.model_fields]
        if unknown:
            raise TypeError(f"{self.name}: path fields {unknown} are not fields of {self.request.__name__}")
        if self.method == "GET" and not self.idempotent:
            raise TypeError(f"{self.name}: a GET is a read, so it is idempotent")
        object.__setattr__(self, "path_fields", names)

    @property
    def carried_fields(self) -> tuple[str, ...]:
        """The request's fields that travel in the query (GET) or the body (POST)."""
        return tuple(n for n in self.request.model_fields if n not in self.path_fields)

    @property
    def scoped(self) -> bool:
        """Whether the call acts in the namespace of its path (all but ``list_namespaces``)."""
        return "{" + NAMESPACE + "}" in self.path

    @property
    def in_query(self) -> bool:
        """Whether the request's other fields travel in the query string (else the JSON body)."""
        return self.method == "GET"


@dataclass(frozen=True)
class LongPoll(Operation[PollReq, Resp]):
    """An operation held open up to the request's ``wait``; answers 204 when nothing came."""

    may_be_empty: ClassVar[bool] = True


START_WORKFLOW = Operation(
    "start_workflow",
    "POST",
    PREFIX + "/workflows",
    api.StartWorkflowRequest,
    api.StartWorkflowResponse,
    "Start a workflow run",
    idempotent=True,
)
DESCRIBE_WORKFLOW = Operation(
    "describe_workflow",
    "GET",
    PREFIX + "/workflows/{workflow_id}",
    api.DescribeWorkflowRequest,
    api.DescribeWorkflowResponse,
    "Describe a run",
    idempotent=True,
)
WORKFLOW_RESULT = LongPoll(
    "workflow_result",
    "GET",
    PREFIX + "/workflows/{workflow_id}/result",
    api.WorkflowResultRequest,
    api.WorkflowResultResponse,
    "Wait for a run's outcome",
    idempotent=True,
)
WORKFLOW_HISTORY = Operation(
    "workflow_history",
    "GET",
    PREFIX + "/workflows/{workflow_id}/history",
    api.WorkflowHistoryRequest,
    api.HistoryPage,
    "Read a run's history, page by page",
    idempotent=True,
)
SIGNAL_WORKFLOW = Operation(
    "signal_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/signal",
    api.SignalWorkflowRequest,
    api.Ack,
    "Signal a run",
    idempotent=True,
)
SIGNAL_WITH_START_WORKFLOW = Operation(
    "signal_with_start_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/signal-with-start",
    api.SignalWithStartWorkflowRequest,
    api.StartWorkflowResponse,
    "Signal the running run, or start one with the signal delivered first (atomically)",
    idempotent=True,
)
CANCEL_WORKFLOW = Operation(
    "cancel_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/cancel",
    api.CancelWorkflowRequest,
    api.Ack,
    "Request a run's cancellation",
    idempotent=True,
)
TERMINATE_WORKFLOW = Operation(
    "terminate_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/terminate",
    api.TerminateWorkflowRequest,
    api.Ack,
    "Terminate a run",
)
DELETE_WORKFLOW = Operation(
    "delete_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/delete",
    api.DeleteWorkflowRequest,
    api.Ack,
    "Delete a run and its history, terminating it first if it runs",
)
POLL_WORKFLOW_TASK = LongPoll(
    "poll_workflow_task",
    "POST",
    PREFIX + "/task-queues/{task_queue}/workflow-tasks/poll",
    api.PollRequest,
    api.WorkflowTask,
    "Long-poll a workflow task",
    idempotent=True,
)
COMPLETE_WORKFLOW_TASK = Operation(
    "complete_workflow_task",
    "POST",
    PREFIX + "/workflow-tasks/complete",
    api.CompleteWorkflowTaskRequest,
    api.CompleteWorkflowTaskResponse,
    "Complete a workflow task",
    idempotent=True,
)
FAIL_WORKFLOW_TASK = Operation(
    "fail_workflow_task",
    "POST",
    PREFIX + "/workflow-tasks/fail",
    api.FailWorkflowTaskRequest,
    api.Ack,
    "Fail a workflow task",
    idempotent=True,
)
POLL_ACTIVITY_TASK = LongPoll(
    "poll_activity_task",
    "POST",
    PREFIX + "/task-queues/{task_queue}/activity-tasks/poll",
    api.PollRequest,
    api.ActivityTask,
    "Long-poll an activity task",
    idempotent=True,
)
COMPLETE_ACTIVITY_TASK = Operation(
    "complete_activity_task",
    "POST",
    PREFIX + "/activity-tasks/complete",
    api.CompleteActivityTaskRequest,
    api.CompleteActivityTaskResponse,
    "Complete an activity task",
    idempotent=True,
)
FAIL_ACTIVITY_TASK = Operation(
    "fail_activity_task",
    "POST",
    PREFIX + "/activity-tasks/fail",
    api.FailActivityTaskRequest,
    api.Ack,
    "Fail an activity attempt",
    idempotent=True,
)
HEARTBEAT_ACTIVITY_TASK = Operation(
    "heartbeat_activity_task",
    "POST",
    PREFIX + "/activity-tasks/heartbeat",
    api.HeartbeatActivityTaskRequest,
    api.HeartbeatActivityTaskResponse,
    "Heartbeat an activity",
    idempotent=True,
)
REPORT_ACTIVITY_TASK_CANCELED = Operation(
    "report_activity_task_canceled",
    "POST",
    PREFIX + "/activity-tasks/canceled",
    api.ReportActivityTaskCanceledRequest,
    api.Ack,
    "Record that an activity acknowledged its cancellation",
    idempotent=True,
)
_BY_ID = PREFIX + "/workflows/{workflow_id}/activities/{activity_id}"
COMPLETE_ACTIVITY_BY_ID = Operation(
    "complete_activity_by_id",
    "POST",
    _BY_ID + "/complete",
    api.CompleteActivityByIdRequest,
    api.Ack,
    "Complete a running activity named by its workflow and activity ids (asynchronous completion)",
    # Not retried after a timeout: a repeat could reach the activity's next attempt.
    idempotent=False,
)
FAIL_ACTIVITY_BY_ID = Operation(
    "fail_activity_by_id",
    "POST",
    _BY_ID + "/fail",
    api.FailActivityByIdRequest,
    api.Ack,
    "Fail the current attempt of an activity named by its ids",
    # Not retried after a timeout: a repeat could reach the activity's next attempt.
    idempotent=False,
)
HEARTBEAT_ACTIVITY_BY_ID = Operation(
    "heartbeat_activity_by_id",
    "POST",
    _BY_ID + "/heartbeat",
    api.HeartbeatActivityByIdRequest,
    api.HeartbeatActivityTaskResponse,
    "Heartbeat an activity named by its ids",
    # Not retried after a timeout: a repeat could reach the activity's next attempt.
    idempotent=False,
)
REPORT_ACTIVITY_CANCELED_BY_ID = Operation(
    "report_activity_canceled_by_id",
    "POST",
    _BY_ID + "/canceled",
    api.ReportActivityCanceledByIdRequest,
    api.Ack,
    "Record that an activity named by its ids acknowledged its cancellation",
    # Not retried after a timeout: a repeat could reach the activity's next attempt.
    idempotent=False,
)
DESCRIBE_TASK_QUEUE = Operation(
    "describe_task_queue",
    "GET",
    PREFIX + "/task-queues/{task_queue}",
    api.DescribeTaskQueueRequest,
    api.TaskQueueBacklog,
    "A task queue's backlog and pollers",
    idempotent=True,
)
TASK_QUEUE_BACKLOG = Operation(
    "task_queue_backlog",
    "GET",
    PREFIX + "/task-queues/{task_queue}/backlog",
    api.DescribeTaskQueueRequest,
    api.TaskQueueBacklog,
    "A task queue's backlog for autoscalers: KEDA's metrics-api scaler reads `backlog`",
    idempotent=True,
)

# --- queries: asked by a client, handed to a worker by its workflow-task poll ---
QUERY_WORKFLOW = Operation(
    "query_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/query",
    api.QueryWorkflowRequest,
    api.QueryWorkflowResponse,
    "Query a run: a worker answers from the run's state; nothing is written to history",
)
UPDATE_WORKFLOW = Operation(
    "update_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/update",
    api.UpdateWorkflowRequest,
    api.UpdateWorkflowResponse,
    "Send an update and wait for its stage; a repeated update id joins the first",
    idempotent=True,
)
UPDATE_WITH_START_WORKFLOW = Operation(
    "update_with_start_workflow",
    "POST",
    PREFIX + "/workflows/{workflow_id}/update-with-start",
    api.UpdateWithStartWorkflowRequest,
    api.UpdateWithStartWorkflowResponse,
    "Start the run (or use the running one, by the conflict policy) and send it an update, atomically",
    idempotent=True,
)
POLL_WORKFLOW_UPDATE = Operation(
    "poll_workflow_update",
    "POST",
    PREFIX + "/workflows/{workflow_id}/update/poll",
    api.PollWorkflowUpdateRequest,
    api.UpdateWorkflowResponse,
    "Wait for an update's stage, by its id",
    idempotent=True,
)
RESPOND_UPDATE_VALIDATION = Operation(
    "respond_update_validation",
    "POST",
    PREFIX + "/update-tasks/respond",
    api.RespondUpdateValidationRequest,
    api.Ack,
    "Accept or reject an update a worker validated",
    idempotent=True,
)
RESPOND_QUERY_TASK = Operation(
    "respond_query_task",
    "POST",
    PREFIX + "/query-tasks/respond",
    api.RespondQueryTaskRequest,
    api.Ack,
    "Answer a query task",
    idempotent=True,
)

# --- visibility: Temporal's paths for listing and counting ---------------------------------
LIST_WORKFLOWS = Operation(
    "list_workflows",
    "GET",
    PREFIX + "/workflows",
    api.ListWorkflowsRequest,
    api.ListWorkflowsResponse,
    "List the namespace's runs that a list filter matches, a page at a time",
    idempotent=True,
)
COUNT_WORKFLOWS = Operation(
    "count_workflows",
    "GET",
    PREFIX + "/workflow-count",
    api.CountWorkflowsRequest,
    api.CountWorkflowsResponse,
    "Count the namespace's runs that a list filter matches (GROUP BY ExecutionStatus groups)",
    idempotent=True,
)

# --- namespaces and their search attributes ---------------------------------------------
# Not idempotent: a repeat is refused as already registered.
REGISTER_NAMESPACE = Operation(
    "register_namespace",
    "POST",
    PREFIX,
    namespaces.RegisterNamespaceRequest,
    namespaces.DescribeNamespaceResponse,
    "Register the namespace of the path (callers of every namespace only)",
)
DESCRIBE_NAMESPACE = Operation(
    "describe_namespace",
    "GET",
    PREFIX,
    namespaces.DescribeNamespaceRequest,
    namespaces.DescribeNamespaceResponse,
    "Describe a namespace: its description, owner, data and retention",
    idempotent=True,
)
UPDATE_NAMESPACE = Operation(
    "update_namespace",
    "POST",
    PREFIX + "/update",
    namespaces.UpdateNamespaceRequest,
    namespaces.DescribeNamespaceResponse,
    "Change a namespace's description, owner, data or retention (callers of every namespace only)",
    idempotent=True,
)
LIST_NAMESPACES = Operation(
    "list_namespaces",
    "GET",
    NAMESPACES,
    namespaces.ListNamespacesRequest,
    namespaces.ListNamespacesResponse,
    "List the namespaces, by name, a page at a time (callers of every namespace only)",
    idempotent=True,
)
ADD_SEARCH_ATTRIBUTES = Operation(
    "add_search_attributes",
    "POST",
    PREFIX + "/search-attributes",
    operator.AddSearchAttributesRequest,
    api.Ack,
    "Register custom search attributes in the namespace (a repeat of the same types changes nothing)",
    idempotent=True,
)
REMOVE_SEARCH_ATTRIBUTES = Operation(
    "remove_search_attributes",
    "POST",
    PREFIX + "/search-attributes/remove",
    operator.RemoveSearchAttributesRequest,
    api.Ack,
    "Unregister custom search attributes of the namespace",
)
LIST_SEARCH_ATTRIBUTES = Operation(
    "list_search_attributes",
    "GET",
    PREFIX + "/search-attributes",
    operator.ListSearchAttributesRequest,
    operator.ListSearchAttributesResponse,
    "List the namespace's custom search attributes and the system ones, with their types",
    idempotent=True,
)

# --- schedules -----------------------------------------------------------------------------
# Create is idempotent by request_id (a repeat answers the schedule it made); so is update.
CREATE_SCHEDULE = Operation(
    "create_schedule",
    "POST",
    PREFIX + "/schedules/{schedule_id}",
    schedules.CreateScheduleRequest,
    schedules.CreateScheduleResponse,
    "Create a schedule; 409 when the id is taken",
    idempotent=True,
)
DESCRIBE_SCHEDULE = Operation(
    "describe_schedule",
    "GET",
    PREFIX + "/schedules/{schedule_id}",
    schedules.DescribeScheduleRequest,
    schedules.DescribeScheduleResponse,
    "Describe a schedule: its schedule, what it did, what it will do, and its conflict token",
    idempotent=True,
)
UPDATE_SCHEDULE = Operation(
    "update_schedule",
    "POST",
    PREFIX + "/schedules/{schedule_id}/update",
    schedules.UpdateScheduleRequest,
    api.Ack,
    "Replace a schedule; with a conflict token, only if unchanged since",
    idempotent=True,
)
PATCH_SCHEDULE = Operation(
    "patch_schedule",
    "POST",
    PREFIX + "/schedules/{schedule_id}/patch",
    schedules.PatchScheduleRequest,
    api.Ack,
    "Pause, unpause, trigger or backfill a schedule",
)
DELETE_SCHEDULE = Operation(
    "delete_schedule",
    "POST",
    PREFIX + "/schedules/{schedule_id}/delete",
    schedules.DeleteScheduleRequest,
    api.Ack,
    "Delete a schedule (the workflows it started go on)",
)
LIST_SCHEDULES = Operation(
    "list_schedules",
    "GET",
    PREFIX + "/schedules",
    schedules.ListSchedulesRequest,
    schedules.ListSchedulesResponse,
    "List the namespace's schedules, by id, a page at a time",
    idempotent=True,
)

# --- the testing service (servers started with --time-skipping) --------------------------
# Not idempotent: locks are counted, so a repeat would count twice.
LOCK_TIME_SKIPPING = Operation(
    "lock_time_skipping",
    "POST",
    PREFIX + "/testing/time-skipping/lock",
    testing.LockTimeSkippingRequest,
    api.Ack,
    "Hold a time-skipping server's clock to real time",
)
UNLOCK_TIME_SKIPPING = Operation(
    "unlock_time_skipping",
    "POST",
    PREFIX + "/testing/time-skipping/unlock",
    testing.UnlockTimeSkippingRequest,
    api.Ack,
    "Release one lock of a time-skipping server's clock",
)
SLEEP_UNTIL = LongPoll(
    "sleep_until",
    "POST",
    PREFIX + "/testing/sleep-until",
    testing.SleepUntilRequest,
    testing.SleepResponse,
    "Let time skip until a time-skipping server's clock reaches a time",
    idempotent=True,
)
GET_CURRENT_TIME = Operation(
    "get_current_time",
    "GET",
    PREFIX + "/testing/current-time",
    testing.GetCurrentTimeRequest,
    testing.GetCurrentTimeResponse,
    "A time-skipping server's clock",
    idempotent=True,
)

# Every operation; Any: the table mixes request and response types.
OPERATIONS: tuple[Operation[Any, Any], ...] = (
    START_WORKFLOW,
    DESCRIBE_WORKFLOW,
    WORKFLOW_RESULT,
    WORKFLOW_HISTORY,
    SIGNAL_WORKFLOW,
    SIGNAL_WITH_START_WORKFLOW,
    CANCEL_WORKFLOW,
    TERMINATE_WORKFLOW,
    DELETE_WORKFLOW,
    POLL_WORKFLOW_TASK,
    COMPLETE_WORKFLOW_TASK,
    FAIL_WORKFLOW_TASK,
    POLL_ACTIVITY_TASK,
    COMPLETE_ACTIVITY_TASK,
    FAIL_ACTIVITY_TASK,
    HEARTBEAT_ACTIVITY_TASK,
    REPORT_ACTIVITY_TASK_CANCELED,
    COMPLETE_ACTIVITY_BY_ID,
    FAIL_ACTIVITY_BY_ID,
    HEARTBEAT_ACTIVITY_BY_ID,
    REPORT_ACTIVITY_CANCELED_BY_ID,
    DESCRIBE_TASK_QUEUE,
    TASK_QUEUE_BACKLOG,
    LOCK_TIME_SKIPPING,
    UNLOCK_TIME_SKIPPING,
    SLEEP_UNTIL,
    GET_CURRENT_TIME,
    QUERY_WORKFLOW,
    RESPOND_QUERY_TASK,
    LIST_WORKFLOWS,
    COUNT_WORKFLOWS,
    UPDATE_WORKFLOW,
    UPDATE_WITH_START_WORKFLOW,
    POLL_WORKFLOW_UPDATE,
    RESPOND_UPDATE_VALIDATION,
    REGISTER_NAMESPACE,
    DESCRIBE_NAMESPACE,
    UPDATE_NAMESPACE,
    LIST_NAMESPACES,
    ADD_SEARCH_ATTRIBUTES,
    REMOVE_SEARCH_ATTRIBUTES,
    LIST_SEARCH_ATTRIBUTES,
    CREATE_SCHEDULE,
    DESCRIBE_SCHEDULE,
    UPDATE_SCHEDULE,
    PATCH_SCHEDULE,
    DELETE_SCHEDULE,
    LIST_SCHEDULES,
)
