"""The route table: every path of ``legato.api.service`` with its handler, body and answer.

The OpenAPI document is generated from this table and the wire models, so it cannot
drift from what the server serves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel

from legato.api import service as api
from legato_operator.api import handlers

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Query:
    """A query parameter, for the OpenAPI document."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Route:
    """One operation of the API."""

    method: str
    path: str
    handler: Handler
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = api.Ack
    query: tuple[Query, ...] = ()
    # Long polls answer 204 when nothing came within the wait.
    may_be_empty: bool = False


RUN_ID = Query("run_id", "string", "A run of the workflow id; default: its latest run.")
WAIT = Query("wait", "number", "Seconds to wait for the run to close before answering 204 (at most 120).")
PAGE_TOKEN = Query("page_token", "string", "next_page_token of the previous page.")
PAGE_SIZE = Query("page_size", "integer", "Events per page, 1 to 1000.")

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        api.START_WORKFLOW,
        handlers.start_workflow,
        "Start a workflow run",
        api.StartWorkflowRequest,
        api.StartWorkflowResponse,
    ),
    Route(
        "GET",
        api.DESCRIBE_WORKFLOW,
        handlers.describe_workflow,
        "Describe a run",
        None,
        api.DescribeWorkflowResponse,
        (RUN_ID,),
    ),
    Route(
        "GET",
        api.WORKFLOW_RESULT,
        handlers.workflow_result,
        "Wait for a run's outcome",
        None,
        api.WorkflowResultResponse,
        (RUN_ID, WAIT),
        may_be_empty=True,
    ),
    Route(
        "GET",
        api.WORKFLOW_HISTORY,
        handlers.workflow_history,
        "Read a run's history, page by page",
        None,
        api.HistoryPage,
        (RUN_ID, PAGE_TOKEN, PAGE_SIZE),
    ),
    Route("POST", api.SIGNAL_WORKFLOW, handlers.signal_workflow, "Signal a run", api.SignalWorkflowRequest),
    Route(
        "POST",
        api.CANCEL_WORKFLOW,
        handlers.cancel_workflow,
        "Request a run's cancellation",
        api.CancelWorkflowRequest,
    ),
    Route(
        "POST",
        api.TERMINATE_WORKFLOW,
        handlers.terminate_workflow,
        "Terminate a run",
        api.TerminateWorkflowRequest,
    ),
    Route(
        "POST",
        api.POLL_WORKFLOW_TASK,
        handlers.poll_workflow_task,
        "Long-poll a workflow task",
        api.PollRequest,
        api.WorkflowTask,
        may_be_empty=True,
    ),
    Route(
        "POST",
        api.COMPLETE_WORKFLOW_TASK,
        handlers.complete_workflow_task,
        "Complete a workflow task",
        api.CompleteWorkflowTaskRequest,
    ),
    Route(
        "POST",
        api.FAIL_WORKFLOW_TASK,
        handlers.fail_workflow_task,
        "Fail a workflow task",
        api.FailWorkflowTaskRequest,
    ),
    Route(
        "POST",
        api.POLL_ACTIVITY_TASK,
        handlers.poll_activity_task,
        "Long-poll an activity task",
        api.PollRequest,
        api.ActivityTask,
        may_be_empty=True,
    ),
    Route(
        "POST",
        api.COMPLETE_ACTIVITY_TASK,
        handlers.complete_activity_task,
        "Complete an activity task",
        api.CompleteActivityTaskRequest,
    ),
    Route(
        "POST",
        api.FAIL_ACTIVITY_TASK,
        handlers.fail_activity_task,
        "Fail an activity attempt",
        api.FailActivityTaskRequest,
    ),
    Route(
        "POST",
        api.HEARTBEAT_ACTIVITY_TASK,
        handlers.heartbeat_activity_task,
        "Heartbeat an activity",
        api.HeartbeatActivityTaskRequest,
        api.HeartbeatActivityTaskResponse,
    ),
    Route(
        "GET",
        api.DESCRIBE_TASK_QUEUE,
        handlers.describe_task_queue,
        "A task queue's backlog and pollers",
        None,
        api.TaskQueueBacklog,
    ),
    Route(
        "GET",
        api.TASK_QUEUE_BACKLOG,
        handlers.describe_task_queue,
        "A task queue's backlog for autoscalers: KEDA's metrics-api scaler reads `backlog`",
        None,
        api.TaskQueueBacklog,
    ),
)
