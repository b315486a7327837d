"""Starting and following workflows from outside, as ``temporalio.client``.

``Client.connect("localhost:7233")`` talks HTTP to the server (``legato.api.workflowservice.v1``);
``start_workflow`` returns a ``WorkflowHandle`` whose ``result()`` long-polls until the run
closes and raises ``WorkflowFailureError`` (with the failure as its cause) unless it
completed.

Every call is retried through a server restart or a database outage by the client's
``RetryConfig`` (``legato.service``), as Temporal's client is; ``result()`` retries each of
its polls the same way, so it rides through them too.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from legato import _calls, _retry, _service, _transport
from legato._runtime import definitions, temporal_history
from legato.api.common.v1 import WorkflowExecutionStatus
from legato.api.history.v1 import HistoryEvent
from legato.api.workflowservice import v1 as api
from legato.common import RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from legato.converter import DataConverter
from legato.exceptions import (
    CancelledError,
    RPCError,
    RPCStatusCode,
    TerminatedError,
    TimeoutError,
    TimeoutType,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
)
from legato.service import RetryConfig

__all__ = [
    "Client",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowHistory",
]

SelfType = TypeVar("SelfType")
ReturnType = TypeVar("ReturnType")

# How long the server may hold a result long poll; the HTTP timeout adds a margin.
_RESULT_WAIT = 30.0
_UNSET: Any = _calls.UNSET


class Client:
    """A connection to a Legato server and namespace."""

    def __init__(self, service_client: _service.ServiceClient, *, data_converter: DataConverter, identity: str) -> None:
        """Use ``Client.connect``."""
        self._service = service_client
        self._data_converter = data_converter
        self._identity = identity

    @staticmethod
    async def connect(
        target_host: str | None = None,
        *,
        namespace: str | None = None,
        api_key: str | None = None,
        data_converter: DataConverter = DataConverter.default,
        identity: str | None = None,
        tls: bool = False,
        retry_config: RetryConfig | None = None,
    ) -> Client:
        """Make a client for the server at ``target_host`` (``host:port`` or a URL).

        The connection is opened on first use, so a worker started before its server
        simply waits for it.

        Args:
            target_host: ``localhost:7233``, or ``http(s)://...``. When None, taken from
                ``LEGATO_ADDRESS`` (set by the operator on worker pods), else ``localhost:7233``.
            namespace: The namespace every call acts in. When None, taken from
                ``LEGATO_NAMESPACE``, else ``default``.
            api_key: A token sent as ``Authorization: Bearer``. When None, the token is
                read from the file ``LEGATO_TOKEN_FILE`` names at each call (re-read when
                it changes: the operator mounts a rotated ServiceAccount token there on
                worker pods), else taken from ``LEGATO_API_KEY``.
            data_converter: Converts arguments and results.
            identity: Recorded with what this client does; ``pid@host`` by default.
            tls: Use https for a bare ``host:port``.
            retry_config: How calls are retried while the server is unreachable or
                answers 503 (restarting, or its database down); ``RetryConfig()``, as
                Temporal's defaults, when None.
        """
        target = target_host or os.environ.get("LEGATO_ADDRESS") or "localhost:7233"
        namespace = namespace or os.environ.get("LEGATO_NAMESPACE") or "default"
        transport = _transport.Transport(target, namespace=namespace, api_key=api_key, tls=tls)
        return Client(
            _service.ServiceClient(transport, retry_config=retry_config),
            data_converter=data_converter,
            identity=identity or f"{os.getpid()}@{socket.gethostname()}",
        )

    @property
    def namespace(self) -> str:
        """The namespace every call acts in."""
        return self._service.namespace

    @property
    def service_client(self) -> _service.ServiceClient:
        """The typed calls to the server that this client (and its workers) make."""
        return self._service

    @property
    def identity(self) -> str:
        """The identity recorded with what this client does."""
        return self._identity

    @property
    def data_converter(self) -> DataConverter:
        """The converter of arguments and results."""
        return self._data_converter

    async def close(self) -> None:
        """Close the HTTP session (Legato's addition; Temporal's client has nothing to close)."""
        await self._service.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start_workflow(
        self,
        workflow: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        id: str,
        task_queue: str,
        args: Sequence[Any] = (),
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        retry_policy: RetryPolicy | None = None,
        request_id: str | None = None,
    ) -> WorkflowHandle[Any, Any]:
        """Start a workflow and return its handle.

        Args:
            workflow: The ``@workflow.run`` method of a workflow class, or a type name.
            arg: The single argument (or use ``args``).
            id: The workflow id.
            task_queue: The task queue its workers poll.
            args: The arguments.
            result_type: Type ``result()`` decodes into; the run method's hint by default.
            execution_timeout: Limit on the whole execution.
            run_timeout: Limit on one run.
            task_timeout: Limit on each workflow task.
            id_reuse_policy: Whether a closed id may start again.
            id_conflict_policy: What a running id does.
            retry_policy: How the server retries the workflow.
            request_id: Makes a retried call return the run it already started.

        Raises:
            WorkflowAlreadyStartedError: The id is taken (by the policies above).
            RPCError: The server refused or could not be reached.
        """
        name, hinted = definitions.workflow_name_and_result_type(workflow)
        request = api.StartWorkflowRequest(
            workflow_id=id,
            workflow_type=name,
            task_queue=task_queue,
            args=await self._data_converter.encode(_calls.arg_or_args(arg, args)),
            id_conflict_policy=id_conflict_policy.to_api(),
            id_reuse_policy=id_reuse_policy.to_api(),
            execution_timeout=_calls.seconds(execution_timeout),
            run_timeout=_calls.seconds(run_timeout),
            task_timeout=_calls.seconds(task_timeout),
            retry_policy=retry_policy.to_api() if retry_policy else None,
            request_id=request_id or str(uuid.uuid4()),
            identity=self._identity,
        )
        try:
            response = await self._service.start_workflow(request)
        except RPCError as e:
            # The server names it; a bare 409 without an ErrorBody is taken to mean the same.
            if e.error == "WorkflowAlreadyStarted" or (e.status is RPCStatusCode.ALREADY_EXISTS and not e.error):
                raise WorkflowAlreadyStartedError(id, name, run_id=e.run_id) from e
            raise
        return WorkflowHandle(
            self,
            id,
            result_run_id=response.run_id,
            first_execution_run_id=response.run_id,
            result_type=result_type or hinted,
        )

    async def execute_workflow(self, workflow: str | Callable[..., Any], arg: Any = _UNSET, **options: Any) -> Any:
        """Start a workflow and wait for its result; options as ``start_workflow``.

        Raises:
            WorkflowFailureError: The run did not complete.
        """
        handle = await self.start_workflow(workflow, arg, **options)
        return await handle.result()

    def get_workflow_handle(
        self,
        workflow_id: str,
        *,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: type | None = None,
    ) -> WorkflowHandle[Any, Any]:
        """A handle to an existing workflow (its latest run unless ``run_id`` is given)."""
        return WorkflowHandle(
            self,
            workflow_id,
            run_id=run_id,
            result_run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=result_type,
        )

    def get_workflow_handle_for(
        self,
        workflow: Callable[..., Any],
        workflow_id: str,
        *,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
    ) -> WorkflowHandle[Any, Any]:
        """A handle typed by a workflow's run method (its result type decodes ``result()``)."""
        defn = definitions.WorkflowDefinition.must_from_run_fn(workflow)
        return self.get_workflow_handle(
            workflow_id,
            run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=defn.result_type,
        )


@dataclass(frozen=True)
class WorkflowExecutionDescription:
    """What ``WorkflowHandle.describe()`` returns."""

    id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus
    start_time: datetime
    close_time: datetime | None
    history_length: int
    pending_activities: list[api.PendingActivity]
    # The workflow task waiting or running, with its attempt and why the last one failed.
    pending_workflow_task: api.PendingWorkflowTask | None
    raw_description: api.DescribeWorkflowResponse


@dataclass(frozen=True)
class WorkflowHistory:
    """A run's history, as ``fetch_history()`` returns it."""

    workflow_id: str
    events: list[HistoryEvent] = field(default_factory=list)

    def to_json(self) -> str:
        """The history as JSON (a golden history for replay tests)."""
        return api.HistoryPage(events=self.events).model_dump_json(indent=2)

    @staticmethod
    def from_json(workflow_id: str, history: str | dict[str, Any]) -> WorkflowHistory:
        """A history saved by ``to_json``, or exported by Temporal.

        Temporal's exports are read too: ``temporal workflow show --output json``,
        temporalio's ``WorkflowHistory.to_json()`` and the web UI's download, so that
        workflow code moving from Temporal can be replayed against its histories.

        Raises:
            ValueError: The history is malformed, or holds an event Legato cannot replay
                yet (the message names the event type and id).
        """
        parsed = json.loads(history) if isinstance(history, str) else history
        if not isinstance(parsed, dict):
            raise ValueError("A JSON history must be an object with an 'events' list")
        if temporal_history.is_temporal_history(parsed):
            return WorkflowHistory(workflow_id, temporal_history.events_from_json(parsed))
        return WorkflowHistory(workflow_id, api.HistoryPage.model_validate(parsed).events)


class WorkflowHandle(Generic[SelfType, ReturnType]):
    """A workflow, for following, signalling, cancelling and terminating it."""

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: str | None = None,
        result_run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: type | None = None,
    ) -> None:
        """Use ``Client.start_workflow`` or ``Client.get_workflow_handle``."""
        self._client = client
        self._service = client.service_client
        self.id = id
        self.run_id = run_id
        self.result_run_id = result_run_id
        self.first_execution_run_id = first_execution_run_id
        self._result_type = result_type

    async def result(self) -> ReturnType:
        """Wait for the run to close and return its result.

        Raises:
            WorkflowFailureError: The run failed, was cancelled, terminated or timed out;
                ``cause`` is the failure (e.g. an ApplicationError or ActivityError).
            RPCError: The server could not be reached for longer than the client's retry
                config allows, or refused the call.
        """
        request = api.WorkflowResultRequest(workflow_id=self.id, run_id=self.result_run_id, wait=_RESULT_WAIT)
        while True:
            # Each poll is retried as any other call; a long poll is always safe to repeat.
            response = await _retry.call(
                lambda: self._service.workflow_result(request),
                config=self._service.retry_config,
                idempotent=True,
                what=f"Waiting for the result of {self.id!r}",
            )
            # 204: still running after the wait; ask again.
            if response is not None:
                return await self._outcome(response)

    async def _outcome(self, response: api.WorkflowResultResponse) -> ReturnType:
        converter = self._client.data_converter
        if response.status is WorkflowExecutionStatus.COMPLETED:
            if response.result is None:
                return None  # type: ignore[return-value]  # a run without a result returned None
            decoded = await converter.decode([response.result], [self._result_type])
            return decoded[0]  # type: ignore[no-any-return]  # typed by the run method's hint
        if response.failure is not None:
            raise WorkflowFailureError(cause=await converter.decode_failure(response.failure))
        raise WorkflowFailureError(cause=_close_error(response.status))

    async def describe(self) -> WorkflowExecutionDescription:
        """The run's status, times and pending activities."""
        d = await self._service.describe_workflow(api.DescribeWorkflowRequest(workflow_id=self.id, run_id=self.run_id))
        return WorkflowExecutionDescription(
            id=d.workflow_id,
            run_id=d.run_id,
            workflow_type=d.workflow_type,
            task_queue=d.task_queue,
            status=d.status,
            start_time=d.start_time,
            close_time=d.close_time,
            history_length=d.history_length,
            pending_activities=list(d.pending_activities),
            pending_workflow_task=d.pending_workflow_task,
            raw_description=d,
        )

    async def signal(self, signal: str | Callable[..., Any], arg: Any = _UNSET, *, args: Sequence[Any] = ()) -> None:
        """Send a signal (a ``@workflow.signal`` method or its name) with its arguments."""
        request = api.SignalWorkflowRequest(
            workflow_id=self.id,
            signal_name=definitions.signal_name(signal),
            args=await self._client.data_converter.encode(_calls.arg_or_args(arg, args)),
            run_id=self.run_id,
            request_id=str(uuid.uuid4()),
            identity=self._client.identity,
        )
        await self._service.signal_workflow(request)

    async def cancel(self) -> None:
        """Ask the workflow to cancel; its code sees asyncio cancellation and may clean up."""
        request = api.CancelWorkflowRequest(workflow_id=self.id, run_id=self.run_id, identity=self._client.identity)
        await self._service.cancel_workflow(request)

    async def terminate(self, *args: Any, reason: str | None = None) -> None:
        """End the run at once; no workflow code runs."""
        request = api.TerminateWorkflowRequest(
            workflow_id=self.id,
            run_id=self.run_id,
            reason=reason or "",
            details=await self._client.data_converter.encode(args),
            identity=self._client.identity,
        )
        await self._service.terminate_workflow(request)

    async def fetch_history(self) -> WorkflowHistory:
        """The run's whole history."""
        return WorkflowHistory(self.id, [e async for e in self.fetch_history_events()])

    async def fetch_history_events(self, *, page_size: int | None = None) -> AsyncIterator[HistoryEvent]:
        """The run's history events, page by page."""
        async for event in self._service.history(self.id, self.run_id, page_size=page_size):
            yield event


def _close_error(status: WorkflowExecutionStatus) -> BaseException:
    """The cause Temporal's client gives a run that closed without a recorded failure."""
    if status is WorkflowExecutionStatus.CANCELED:
        return CancelledError("Workflow cancelled")
    if status is WorkflowExecutionStatus.TERMINATED:
        return TerminatedError("Workflow terminated")
    if status is WorkflowExecutionStatus.TIMED_OUT:
        return TimeoutError("Workflow timed out", type=TimeoutType.START_TO_CLOSE, last_heartbeat_details=[])
    return RPCError(f"Workflow closed with status {status.value}", status=RPCStatusCode.UNKNOWN)
