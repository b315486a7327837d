"""The typed service client: one method per operation of ``legato.api.operations``.

``Client`` and the worker both call the server through this class, never through the
transport: each method sends its request the way its operation's declaration says (path
fields in the path, the rest in the query or the body) and validates the answer into the
declared response model. Long polls return None when the server answered 204.

A call is retried on transient errors by the client's ``RetryConfig`` (``legato._retry``
says which errors, and a timeout only for an idempotent operation). A long poll is tried
once: its callers poll again anyway, each in its own way (``handle.result()``, the
worker's poll loops).
"""

from __future__ import annotations

import copy
import os
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from legato import _metrics, _retry, _transport
from legato.api import operations as ops
from legato.api.history.v1 import HistoryEvent
from legato.api.namespace import v1 as namespaces
from legato.api.operatorservice import v1 as operator
from legato.api.schedule import v1 as schedules
from legato.api.testservice import v1 as testing
from legato.api.workflowservice import v1 as api
from legato.exceptions import RPCError, RPCStatusCode
from legato.service import RetryConfig

# Seconds a short call may take before it fails with DEADLINE_EXCEEDED.
DEFAULT_HTTP_TIMEOUT = 30.0
# A long poll's HTTP timeout is its wait plus this, so the server's 204 comes first.
LONG_POLL_MARGIN = 15.0


@dataclass(frozen=True)
class CallOptions:
    """What one call adds: Temporal's ``rpc_metadata`` (sent as HTTP headers) and ``rpc_timeout``."""

    metadata: Mapping[str, str | bytes] = field(default_factory=dict)
    timeout: timedelta | None = None

    def headers(self, base: Mapping[str, str | bytes]) -> dict[str, str]:
        """The HTTP headers of ``base`` metadata overlaid with this call's."""
        merged = {**base, **self.metadata}
        return {k: v.decode() if isinstance(v, bytes) else v for k, v in merged.items()}


NO_OPTIONS = CallOptions()


class ServiceClient:
    """The server's operations, as typed calls over one transport.

    Attributes:
        identity: Recorded with what the client and its workers do; ``pid@host`` by default.
        rpc_metadata: Headers sent with every call (Temporal's client-wide ``rpc_metadata``).
    """

    def __init__(
        self,
        transport: _transport.Transport,
        *,
        retry_config: RetryConfig | None = None,
        identity: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] | None = None,
        metrics: _metrics.SdkMetrics | None = None,
    ) -> None:
        self.transport = transport
        # The runtime's SDK metrics (requests here, tasks in the worker); a private set if none.
        self.metrics = metrics or _metrics.SdkMetrics()
        self.retry_config = retry_config or RetryConfig()
        self.identity = identity or f"{os.getpid()}@{socket.gethostname()}"
        self.rpc_metadata: Mapping[str, str | bytes] = dict(rpc_metadata or {})

    def with_retry_config(self, retry_config: RetryConfig) -> ServiceClient:
        """The same calls over the same connection, retried by ``retry_config`` instead."""
        clone = copy.copy(self)
        clone.retry_config = retry_config
        return clone

    def with_namespace(self, namespace: str) -> ServiceClient:
        """The same calls over the same connection, acting in ``namespace``."""
        clone = copy.copy(self)
        clone.transport = copy.copy(self.transport)
        clone.transport.namespace = namespace
        return clone

    @property
    def namespace(self) -> str:
        """The namespace every call acts in."""
        return self.transport.namespace

    async def close(self) -> None:
        """Close the HTTP session; a later call opens a new one."""
        await self.transport.close()

    async def call(
        self, op: ops.Operation[ops.Req, ops.Resp], request: ops.Req, options: CallOptions = NO_OPTIONS
    ) -> ops.Resp:
        """Make the call ``op`` with ``request``; its answer as ``op.response``.

        Raises:
            RPCError: The server refused, failed or could not be reached (after the retries
                its retry config allows, for a transient error).
        """
        timeout = options.timeout.total_seconds() if options.timeout else DEFAULT_HTTP_TIMEOUT
        headers = options.headers(self.rpc_metadata)
        with self.metrics.request(self.namespace, op.name, long=False):
            text = await _retry.call(
                lambda: self._send(op, request, timeout, headers=headers),
                config=self.retry_config,
                idempotent=op.idempotent,
                what=op.name,
            )
        if text is None:
            raise RPCError(f"{op.name} answered 204 with no body", RPCStatusCode.INTERNAL, b"")
        return op.response.model_validate_json(text)

    async def poll(
        self, op: ops.LongPoll[ops.PollReq, ops.Resp], request: ops.PollReq, options: CallOptions = NO_OPTIONS
    ) -> ops.Resp | None:
        """Make the long poll ``op`` once; None when nothing came within ``request.wait``."""
        headers = options.headers(self.rpc_metadata)
        with self.metrics.request(self.namespace, op.name, long=True):
            text = await self._send(op, request, request.wait + LONG_POLL_MARGIN, long_poll=True, headers=headers)
        # Parsed and validated in one pass (pydantic's JSON parser), not json.loads first.
        return None if text is None else op.response.model_validate_json(text)

    async def _send(
        self,
        op: ops.Operation[Any, Any],
        request: ops.Req,
        http_timeout: float,
        *,
        long_poll: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> str | None:
        path_args = {name: str(getattr(request, name)) for name in op.path_fields}
        params: dict[str, str] = {}
        body = None
        if op.in_query:
            values = request.model_dump(mode="json", include=set(op.carried_fields), exclude_none=True)
            params = {name: str(value) for name, value in values.items()}
        else:
            # Straight to JSON text by pydantic, not dumped to dicts and encoded again.
            body = request.model_dump_json(exclude=set(op.path_fields))
        return await self.transport.request(
            op.method,
            op.path,
            path_args=path_args,
            params=params,
            body=body,
            http_timeout=http_timeout,
            long_poll=long_poll,
            extra_headers=headers,
        )

    # --- workflows ---------------------------------------------------------------------

    async def start_workflow(
        self, request: api.StartWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> api.StartWorkflowResponse:
        """Start a run (idempotent on the workflow id, per the request's policies)."""
        return await self.call(ops.START_WORKFLOW, request, options)

    async def describe_workflow(
        self, request: api.DescribeWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> api.DescribeWorkflowResponse:
        """A run's status, outcome and pending activities."""
        return await self.call(ops.DESCRIBE_WORKFLOW, request, options)

    async def workflow_result(
        self, request: api.WorkflowResultRequest, options: CallOptions = NO_OPTIONS
    ) -> api.WorkflowResultResponse | None:
        """A closed run's outcome; None when it is still running after ``request.wait``."""
        return await self.poll(ops.WORKFLOW_RESULT, request, options)

    async def workflow_history(
        self, request: api.WorkflowHistoryRequest, options: CallOptions = NO_OPTIONS
    ) -> api.HistoryPage:
        """One page of a run's history."""
        return await self.call(ops.WORKFLOW_HISTORY, request, options)

    async def history(
        self,
        workflow_id: str,
        run_id: str | None,
        *,
        page_size: int | None = None,
    ) -> AsyncIterator[HistoryEvent]:
        """A run's whole history, event by event, fetched page by page."""
        size = {} if page_size is None else {"page_size": page_size}
        token: str | None = None
        while True:
            request = api.WorkflowHistoryRequest(workflow_id=workflow_id, run_id=run_id, page_token=token, **size)
            page = await self.workflow_history(request)
            for event in page.events:
                yield event
            token = page.next_page_token
            if not token:
                return

    async def signal_workflow(self, request: api.SignalWorkflowRequest, options: CallOptions = NO_OPTIONS) -> None:
        """Deliver a signal (deduplicated by its request id)."""
        await self.call(ops.SIGNAL_WORKFLOW, request, options)

    async def signal_with_start_workflow(
        self, request: api.SignalWithStartWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> api.StartWorkflowResponse:
        """Signal the id's running run, or start one with the signal first (atomically)."""
        return await self.call(ops.SIGNAL_WITH_START_WORKFLOW, request, options)

    async def cancel_workflow(self, request: api.CancelWorkflowRequest, options: CallOptions = NO_OPTIONS) -> None:
        """Ask a run to cancel."""
        await self.call(ops.CANCEL_WORKFLOW, request, options)

    async def terminate_workflow(
        self, request: api.TerminateWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Close a run now."""
        await self.call(ops.TERMINATE_WORKFLOW, request, options)

    async def delete_workflow(self, request: api.DeleteWorkflowRequest, options: CallOptions = NO_OPTIONS) -> None:
        """Delete a run and its history (Temporal's DeleteWorkflowExecution); a running one is terminated first."""
        await self.call(ops.DELETE_WORKFLOW, request, options)

    # --- tasks -------------------------------------------------------------------------

    async def poll_workflow_task(self, request: api.PollRequest) -> api.WorkflowTask | None:
        """The queue's next workflow task; None when none came within ``request.wait``."""
        return await self.poll(ops.POLL_WORKFLOW_TASK, request)

    async def complete_workflow_task(
        self, request: api.CompleteWorkflowTaskRequest
    ) -> api.CompleteWorkflowTaskResponse:
        """Answer a workflow task with its commands (and take the new one it forced, if any)."""
        return await self.call(ops.COMPLETE_WORKFLOW_TASK, request)

    async def fail_workflow_task(self, request: api.FailWorkflowTaskRequest) -> None:
        """Report a workflow task that could not be completed; the server retries it."""
        await self.call(ops.FAIL_WORKFLOW_TASK, request)

    async def poll_activity_task(self, request: api.PollRequest) -> api.ActivityTask | None:
        """The queue's next activity task; None when none came within ``request.wait``."""
        return await self.poll(ops.POLL_ACTIVITY_TASK, request)

    async def complete_activity_task(
        self, request: api.CompleteActivityTaskRequest, options: CallOptions = NO_OPTIONS
    ) -> api.CompleteActivityTaskResponse:
        """Report an activity's result (and take the run's next workflow task, if asked for)."""
        return await self.call(ops.COMPLETE_ACTIVITY_TASK, request, options)

    async def fail_activity_task(self, request: api.FailActivityTaskRequest, options: CallOptions = NO_OPTIONS) -> None:
        """Report an activity attempt's failure; the server retries per the policy."""
        await self.call(ops.FAIL_ACTIVITY_TASK, request, options)

    async def heartbeat_activity_task(
        self, request: api.HeartbeatActivityTaskRequest, options: CallOptions = NO_OPTIONS
    ) -> api.HeartbeatActivityTaskResponse:
        """Record an activity's progress; says whether a cancel was requested."""
        return await self.call(ops.HEARTBEAT_ACTIVITY_TASK, request, options)

    async def report_activity_task_canceled(
        self, request: api.ReportActivityTaskCanceledRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Record that an activity acknowledged its cancellation."""
        await self.call(ops.REPORT_ACTIVITY_TASK_CANCELED, request, options)

    async def complete_activity_by_id(
        self, request: api.CompleteActivityByIdRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Complete an activity named by its workflow and activity ids."""
        await self.call(ops.COMPLETE_ACTIVITY_BY_ID, request, options)

    async def fail_activity_by_id(
        self, request: api.FailActivityByIdRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Fail the current attempt of an activity named by its ids."""
        await self.call(ops.FAIL_ACTIVITY_BY_ID, request, options)

    async def heartbeat_activity_by_id(
        self, request: api.HeartbeatActivityByIdRequest, options: CallOptions = NO_OPTIONS
    ) -> api.HeartbeatActivityTaskResponse:
        """Heartbeat an activity named by its ids; says whether a cancel was requested."""
        return await self.call(ops.HEARTBEAT_ACTIVITY_BY_ID, request, options)

    async def report_activity_canceled_by_id(
        self, request: api.ReportActivityCanceledByIdRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Record that an activity named by its ids acknowledged its cancellation."""
        await self.call(ops.REPORT_ACTIVITY_CANCELED_BY_ID, request, options)

    async def describe_task_queue(self, request: api.DescribeTaskQueueRequest) -> api.TaskQueueBacklog:
        """A queue's backlog and pollers."""
        return await self.call(ops.DESCRIBE_TASK_QUEUE, request)

    async def task_queue_backlog(self, request: api.DescribeTaskQueueRequest) -> api.TaskQueueBacklog:
        """A queue's backlog, from the endpoint autoscalers read."""
        return await self.call(ops.TASK_QUEUE_BACKLOG, request)

    # --- the testing service (servers started with --time-skipping) ----------------------

    async def lock_time_skipping(self, request: testing.LockTimeSkippingRequest) -> None:
        """Hold the server's clock to real time; locks nest."""
        await self.call(ops.LOCK_TIME_SKIPPING, request)

    async def unlock_time_skipping(self, request: testing.UnlockTimeSkippingRequest) -> None:
        """Release one lock; with none held, time jumps to the next timer when nothing runs."""
        await self.call(ops.UNLOCK_TIME_SKIPPING, request)

    async def sleep_until(self, request: testing.SleepUntilRequest) -> testing.SleepResponse | None:
        """Let time skip until ``request.timestamp``; None when it is not there after ``wait``."""
        return await self.poll(ops.SLEEP_UNTIL, request)

    async def get_current_time(self, request: testing.GetCurrentTimeRequest) -> testing.GetCurrentTimeResponse:
        """The server's clock."""
        return await self.call(ops.GET_CURRENT_TIME, request)

    # --- visibility --------------------------------------------------------------------

    async def list_workflows(
        self, request: api.ListWorkflowsRequest, options: CallOptions = NO_OPTIONS
    ) -> api.ListWorkflowsResponse:
        """One page of the runs a list filter matches."""
        return await self.call(ops.LIST_WORKFLOWS, request, options)

    async def count_workflows(
        self, request: api.CountWorkflowsRequest, options: CallOptions = NO_OPTIONS
    ) -> api.CountWorkflowsResponse:
        """How many runs a list filter matches (per status with GROUP BY ExecutionStatus)."""
        return await self.call(ops.COUNT_WORKFLOWS, request, options)

    # --- namespaces and their search attributes ---------------------------------------

    async def register_namespace(
        self, request: namespaces.RegisterNamespaceRequest, options: CallOptions = NO_OPTIONS
    ) -> namespaces.DescribeNamespaceResponse:
        """Register this client's namespace (``with_namespace`` for another)."""
        return await self.call(ops.REGISTER_NAMESPACE, request, options)

    async def describe_namespace(
        self, request: namespaces.DescribeNamespaceRequest | None = None, options: CallOptions = NO_OPTIONS
    ) -> namespaces.DescribeNamespaceResponse:
        """This client's namespace: description, owner, data and retention."""
        return await self.call(ops.DESCRIBE_NAMESPACE, request or namespaces.DescribeNamespaceRequest(), options)

    async def update_namespace(
        self, request: namespaces.UpdateNamespaceRequest, options: CallOptions = NO_OPTIONS
    ) -> namespaces.DescribeNamespaceResponse:
        """Change this client's namespace; absent fields stay as they are."""
        return await self.call(ops.UPDATE_NAMESPACE, request, options)

    async def list_namespaces(
        self, request: namespaces.ListNamespacesRequest | None = None, options: CallOptions = NO_OPTIONS
    ) -> namespaces.ListNamespacesResponse:
        """One page of the server's namespaces, by name."""
        return await self.call(ops.LIST_NAMESPACES, request or namespaces.ListNamespacesRequest(), options)

    async def add_search_attributes(
        self, request: operator.AddSearchAttributesRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Register custom search attributes in this client's namespace."""
        await self.call(ops.ADD_SEARCH_ATTRIBUTES, request, options)

    async def remove_search_attributes(
        self, request: operator.RemoveSearchAttributesRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Unregister custom search attributes of this client's namespace."""
        await self.call(ops.REMOVE_SEARCH_ATTRIBUTES, request, options)

    async def list_search_attributes(
        self, request: operator.ListSearchAttributesRequest | None = None, options: CallOptions = NO_OPTIONS
    ) -> operator.ListSearchAttributesResponse:
        """The custom search attributes of this client's namespace and the system ones."""
        request = request or operator.ListSearchAttributesRequest()
        return await self.call(ops.LIST_SEARCH_ATTRIBUTES, request, options)

    # --- schedules ---------------------------------------------------------------------

    async def create_schedule(
        self, request: schedules.CreateScheduleRequest, options: CallOptions = NO_OPTIONS
    ) -> schedules.CreateScheduleResponse:
        """Create a schedule (409 ALREADY_EXISTS when its id is taken)."""
        return await self.call(ops.CREATE_SCHEDULE, request, options)

    async def describe_schedule(
        self, request: schedules.DescribeScheduleRequest, options: CallOptions = NO_OPTIONS
    ) -> schedules.DescribeScheduleResponse:
        """A schedule, what it did and will do, and its conflict token."""
        return await self.call(ops.DESCRIBE_SCHEDULE, request, options)

    async def update_schedule(
        self, request: schedules.UpdateScheduleRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Replace a schedule."""
        await self.call(ops.UPDATE_SCHEDULE, request, options)

    async def patch_schedule(self, request: schedules.PatchScheduleRequest, options: CallOptions = NO_OPTIONS) -> None:
        """Pause, unpause, trigger or backfill a schedule."""
        await self.call(ops.PATCH_SCHEDULE, request, options)

    async def delete_schedule(
        self, request: schedules.DeleteScheduleRequest, options: CallOptions = NO_OPTIONS
    ) -> None:
        """Delete a schedule."""
        await self.call(ops.DELETE_SCHEDULE, request, options)

    async def list_schedules(
        self, request: schedules.ListSchedulesRequest, options: CallOptions = NO_OPTIONS
    ) -> schedules.ListSchedulesResponse:
        """One page of the namespace's schedules."""
        return await self.call(ops.LIST_SCHEDULES, request, options)

    # --- queries -----------------------------------------------------------------------

    async def query_workflow(
        self, request: api.QueryWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> api.QueryWorkflowResponse:
        """Ask a worker for a query's answer; held by the server up to ``request.timeout``."""
        return await self.call(ops.QUERY_WORKFLOW, request, options)

    async def respond_query_task(self, request: api.RespondQueryTaskRequest) -> None:
        """Answer a query task with its result or failure."""
        await self.call(ops.RESPOND_QUERY_TASK, request)

    async def update_workflow(
        self, request: api.UpdateWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> api.UpdateWorkflowResponse:
        """Send an update; held by the server up to ``request.wait`` for its stage."""
        return await self.call(ops.UPDATE_WORKFLOW, request, options)

    async def update_with_start_workflow(
        self, request: api.UpdateWithStartWorkflowRequest, options: CallOptions = NO_OPTIONS
    ) -> api.UpdateWithStartWorkflowResponse:
        """Start (or use) the run and send it an update; held up to ``request.update.wait``."""
        return await self.call(ops.UPDATE_WITH_START_WORKFLOW, request, options)

    async def poll_workflow_update(
        self, request: api.PollWorkflowUpdateRequest, options: CallOptions = NO_OPTIONS
    ) -> api.UpdateWorkflowResponse:
        """Wait for an update's stage; held by the server up to ``request.wait``."""
        return await self.call(ops.POLL_WORKFLOW_UPDATE, request, options)

    async def respond_update_validation(self, request: api.RespondUpdateValidationRequest) -> None:
        """Accept or reject an update after running its validator."""
        await self.call(ops.RESPOND_UPDATE_VALIDATION, request)
