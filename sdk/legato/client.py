"""Starting and following workflows from outside, as ``temporalio.client``.

``Client.connect("localhost:7233")`` talks HTTP to the server (``legato.api.workflowservice.v1``);
``start_workflow`` returns a ``WorkflowHandle`` whose ``result()`` long-polls until the run
closes and raises ``WorkflowFailureError`` (with the failure as its cause) unless it
completed.

Every call is retried through a server restart or a database outage by the client's
``RetryConfig`` (``legato.service``), as Temporal's client is; ``result()`` retries each of
its polls the same way, so it rides through them too.

Each call goes down the client's interceptor chain (``Client.connect(interceptors=...)``)
as one of the input dataclasses below, as in Temporal; the last link
(``legato._client.outbound``) calls the server.
"""

from __future__ import annotations

import json
import os
import ssl
import tempfile
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any, Generic, TypedDict, TypeVar, overload

from legato import _calls, _retry, _service, _transport
from legato import converter as converters
from legato._client.async_activity import (
    AsyncActivityCancelledError,
    AsyncActivityHandle,
    AsyncActivityIDReference,
    CompleteAsyncActivityInput,
    FailAsyncActivityInput,
    HeartbeatAsyncActivityInput,
    ReportCancellationAsyncActivityInput,
)
from legato._client.history import WorkflowHistoryEventAsyncIterator, WorkflowHistoryEventFilterType
from legato._client.interceptor import (
    BackfillScheduleInput,
    CancelWorkflowInput,
    CreateScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
    Interceptor,
    ListSchedulesInput,
    OutboundInterceptor,
    PauseScheduleInput,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    TerminateWorkflowInput,
    TriggerScheduleInput,
    UnpauseScheduleInput,
    UpdateScheduleInput,
    chain,
)
from legato._client.outbound import ServerOutbound, not_supported
from legato._client.queries import WorkflowQueryFailedError, WorkflowQueryRejectedError
from legato._client.schedule_action import ScheduleAction, ScheduleActionStartWorkflow
from legato._client.schedule_descriptions import (
    ScheduleActionExecution,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleDescription,
    ScheduleInfo,
    ScheduleListAction,
    ScheduleListActionStartWorkflow,
    ScheduleListDescription,
    ScheduleListInfo,
    ScheduleListSchedule,
    ScheduleListState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from legato._client.schedule_types import (
    Schedule,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
)
from legato._client.schedules import ScheduleAlreadyRunningError, ScheduleAsyncIterator, ScheduleHandle
from legato._client.update_with_start import (
    StartWorkflowUpdateWithStartInput,
    UpdateWithStartStartWorkflowInput,
    UpdateWithStartUpdateWorkflowInput,
    WithStartWorkflowOperation,
    start_update_with_start,
)
from legato._client.updates import (
    RPCTimeoutOrCancelledError,
    StartWorkflowUpdateInput,
    WorkflowUpdateFailedError,
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
    update_definition,
)
from legato._client.visibility import (
    CountWorkflowsInput,
    ListWorkflowsInput,
    WorkflowExecutionAsyncIterator,
    WorkflowExecutionCount,
    WorkflowExecutionCountAggregationGroup,
)
from legato._runtime import definitions, temporal_history, temporal_history_out
from legato._runtime.activity_context import ActivityCancellationDetails
from legato.api.common.v1 import WorkflowExecutionStatus as WireStatus
from legato.api.history.v1 import HistoryEvent
from legato.api.workflow.v1 import WorkflowExecutionInfo
from legato.api.workflowservice import v1 as api
from legato.common import (
    HeaderCodecBehavior,
    Priority,
    QueryRejectCondition,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from legato.converter import DataConverter
from legato.exceptions import (
    CancelledError,
    LegatoError,
    RPCError,
    RPCStatusCode,
    TerminatedError,
    TimeoutError,
    TimeoutType,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
)
from legato.runtime import Runtime
from legato.service import HttpConnectProxyConfig, KeepAliveConfig, RetryConfig, TLSConfig

__all__ = [
    "ActivityCancellationDetails",
    "AsyncActivityCancelledError",
    "AsyncActivityHandle",
    "AsyncActivityIDReference",
    "BackfillScheduleInput",
    "CancelWorkflowInput",
    "Client",
    "ClientConfig",
    "CompleteAsyncActivityInput",
    "CountWorkflowsInput",
    "CreateScheduleInput",
    "DeleteScheduleInput",
    "DescribeScheduleInput",
    "DescribeWorkflowInput",
    "FailAsyncActivityInput",
    "FetchWorkflowHistoryEventsInput",
    "HeaderCodecBehavior",
    "HeartbeatAsyncActivityInput",
    "HttpConnectProxyConfig",
    "Interceptor",
    "KeepAliveConfig",
    "ListSchedulesInput",
    "ListWorkflowsInput",
    "OutboundInterceptor",
    "PauseScheduleInput",
    "QueryWorkflowInput",
    "RPCError",
    "RPCStatusCode",
    "RPCTimeoutOrCancelledError",
    "ReportCancellationAsyncActivityInput",
    "RetryConfig",
    "Schedule",
    "ScheduleAction",
    "ScheduleActionExecution",
    "ScheduleActionExecutionStartWorkflow",
    "ScheduleActionResult",
    "ScheduleActionStartWorkflow",
    "ScheduleAlreadyRunningError",
    "ScheduleAsyncIterator",
    "ScheduleBackfill",
    "ScheduleCalendarSpec",
    "ScheduleDescription",
    "ScheduleHandle",
    "ScheduleInfo",
    "ScheduleIntervalSpec",
    "ScheduleListAction",
    "ScheduleListActionStartWorkflow",
    "ScheduleListDescription",
    "ScheduleListInfo",
    "ScheduleListSchedule",
    "ScheduleListState",
    "ScheduleOverlapPolicy",
    "SchedulePolicy",
    "ScheduleRange",
    "ScheduleSpec",
    "ScheduleState",
    "ScheduleUpdate",
    "ScheduleUpdateInput",
    "SignalWorkflowInput",
    "StartWorkflowInput",
    "StartWorkflowUpdateInput",
    "StartWorkflowUpdateWithStartInput",
    "TLSConfig",
    "TerminateWorkflowInput",
    "TriggerScheduleInput",
    "UnpauseScheduleInput",
    "UpdateScheduleInput",
    "UpdateWithStartStartWorkflowInput",
    "UpdateWithStartUpdateWorkflowInput",
    "WithStartWorkflowOperation",
    "WorkflowAlreadyStartedError",
    "WorkflowContinuedAsNewError",
    "WorkflowExecution",
    "WorkflowExecutionAsyncIterator",
    "WorkflowExecutionCount",
    "WorkflowExecutionCountAggregationGroup",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowHistory",
    "WorkflowHistoryEventAsyncIterator",
    "WorkflowHistoryEventFilterType",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowUpdateFailedError",
    "WorkflowUpdateHandle",
    "WorkflowUpdateRPCTimeoutOrCancelledError",
    "WorkflowUpdateStage",
]

SelfType = TypeVar("SelfType")
ReturnType = TypeVar("ReturnType")

# How long the server may hold a result long poll; the HTTP timeout adds a margin.
_RESULT_WAIT = 30.0
_UNSET: Any = _calls.UNSET


class WorkflowExecutionStatus(IntEnum):
    """A run's status, with Temporal's names and integer values."""

    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    CONTINUED_AS_NEW = 6
    TIMED_OUT = 7

    @staticmethod
    def from_api(status: WireStatus) -> WorkflowExecutionStatus:
        """The status of the wire's (named) status."""
        return WorkflowExecutionStatus[status.name]


class ClientConfig(TypedDict, total=False):
    """What ``Client.config()`` returns: the options the client was made with."""

    service_client: _service.ServiceClient
    namespace: str
    data_converter: DataConverter
    plugins: Sequence[Any]
    interceptors: Sequence[Interceptor]
    default_workflow_query_reject_condition: Any
    header_codec_behavior: HeaderCodecBehavior


class Client:
    """A connection to a Legato server and namespace."""

    def __init__(
        self,
        service_client: _service.ServiceClient,
        *,
        namespace: str = "default",
        data_converter: DataConverter = DataConverter.default,
        plugins: Sequence[Any] = [],  # Temporal's default; never mutated
        interceptors: Sequence[Interceptor] = [],  # Temporal's default; never mutated
        default_workflow_query_reject_condition: Any = None,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> None:
        """Use ``Client.connect``; see it for the arguments.

        Raises:
            NotImplementedError: ``plugins``, or a ``header_codec_behavior`` other than NO_CODEC, given.
        """
        if plugins:
            raise not_supported("Client", "plugins")
        # Headers left unencoded where the user asked for them encoded could leak secrets.
        if header_codec_behavior != HeaderCodecBehavior.NO_CODEC:
            raise not_supported("Client", "header_codec_behavior")
        if namespace != service_client.namespace:
            service_client = service_client.with_namespace(namespace)
        self._service = service_client
        self._data_converter = data_converter
        self._config = ClientConfig(
            service_client=service_client,
            namespace=namespace,
            data_converter=data_converter,
            plugins=list(plugins),
            interceptors=list(interceptors),
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            header_codec_behavior=header_codec_behavior,
        )
        self._impl = chain(interceptors, ServerOutbound(self))

    @classmethod
    async def connect(
        cls,
        target_host: str | None = None,
        *,
        namespace: str | None = None,
        api_key: str | None = None,
        data_converter: DataConverter = DataConverter.default,
        plugins: Sequence[Any] = [],  # Temporal's default; never mutated
        interceptors: Sequence[Interceptor] = [],  # Temporal's default; never mutated
        default_workflow_query_reject_condition: Any = None,
        tls: bool | TLSConfig | None = None,
        retry_config: RetryConfig | None = None,
        keep_alive_config: KeepAliveConfig | None = KeepAliveConfig.default,
        connect_timeout: timedelta | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        identity: str | None = None,
        lazy: bool = False,
        runtime: Any = None,
        http_connect_proxy_config: HttpConnectProxyConfig | None = None,
        dns_load_balancing_config: Any = None,
        grpc_compression: Any = None,
        payload_limits: Any = None,
        header_codec_behavior: HeaderCodecBehavior = HeaderCodecBehavior.NO_CODEC,
    ) -> Client:
        """Make a client for the server at ``target_host`` (``host:port`` or a URL).

        The connection is opened on first use whatever ``lazy`` says, so a worker started
        before its server simply waits for it.

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
            plugins: Not supported yet: a non-empty list raises NotImplementedError.
            interceptors: Client interceptors, first outermost; those that are also
                ``legato.worker.Interceptor`` intercept the client's workers too.
            default_workflow_query_reject_condition: The ``QueryRejectCondition`` of
                queries that do not give their own; None never rejects.
            tls: https for a bare ``host:port`` when true or a ``TLSConfig``; a
                ``TLSConfig`` also sets the root CA and the client certificate.
            retry_config: How calls are retried while the server is unreachable or
                answers 503 (restarting, or its database down); ``RetryConfig()``, as
                Temporal's defaults, when None.
            keep_alive_config: gRPC keep-alive; accepted and unused over HTTP.
            connect_timeout: Accepted and unused: nothing is connected until the first call.
            rpc_metadata: Headers sent with every call.
            identity: Recorded with what this client does; ``pid@host`` by default.
            lazy: Accepted: Legato always connects lazily.
            runtime: The ``legato.runtime.Runtime`` whose SDK metrics this client and its
                workers count; ``Runtime.default()`` when None.
            http_connect_proxy_config: Not supported yet: raises NotImplementedError.
            dns_load_balancing_config: gRPC DNS balancing; accepted and unused.
            grpc_compression: gRPC compression; accepted and unused.
            payload_limits: Payload size warnings; accepted and unused (the server enforces its limits).
            header_codec_behavior: ``NO_CODEC`` (Temporal's default): headers do not go
                through the payload codec. Any other raises NotImplementedError.

        Raises:
            NotImplementedError: ``plugins``, ``http_connect_proxy_config`` or a
                ``header_codec_behavior`` other than NO_CODEC given.
        """
        if http_connect_proxy_config is not None:
            raise not_supported("Client.connect", "http_connect_proxy_config")
        namespace = namespace or os.environ.get("LEGATO_NAMESPACE") or "default"
        target = target_host or os.environ.get("LEGATO_ADDRESS") or "localhost:7233"
        transport = _transport.Transport(target, namespace=namespace, api_key=api_key, tls=_tls(tls))
        metrics = (runtime if isinstance(runtime, Runtime) else Runtime.default()).metrics
        service = _service.ServiceClient(
            transport, retry_config=retry_config, identity=identity, rpc_metadata=rpc_metadata, metrics=metrics
        )
        return cls(
            service,
            namespace=namespace,
            data_converter=data_converter,
            plugins=plugins,
            interceptors=interceptors,
            default_workflow_query_reject_condition=default_workflow_query_reject_condition,
            header_codec_behavior=header_codec_behavior,
        )

    def config(self, *, active_config: bool = False) -> ClientConfig:
        """A shallow copy of the options this client was made with."""
        config = self._config.copy()
        config["interceptors"] = list(config.get("interceptors", []))
        return config

    @property
    def namespace(self) -> str:
        """The namespace every call acts in."""
        return self._service.namespace

    @property
    def service_client(self) -> _service.ServiceClient:
        """The typed calls to the server that this client (and its workers) make."""
        return self._service

    @property
    def workflow_service(self) -> _service.ServiceClient:
        """Temporal's raw workflow service; Legato's typed calls to its HTTP API."""
        return self._service

    @property
    def operator_service(self) -> _service.ServiceClient:
        """Temporal's operator service; the same typed calls (Legato has one API)."""
        return self._service

    @property
    def identity(self) -> str:
        """The identity recorded with what this client does."""
        return self._service.identity

    @property
    def data_converter(self) -> DataConverter:
        """The converter of arguments and results."""
        return self._data_converter

    @property
    def rpc_metadata(self) -> Mapping[str, str | bytes]:
        """Headers sent with every call; assign to replace them."""
        return self._service.rpc_metadata

    @rpc_metadata.setter
    def rpc_metadata(self, value: Mapping[str, str | bytes]) -> None:
        self._service.rpc_metadata = dict(value)

    @property
    def api_key(self) -> str | None:
        """The API key sent as a bearer token; assign to replace it."""
        return self._service.transport.api_key

    @api_key.setter
    def api_key(self, value: str | None) -> None:
        self._service.transport.set_api_key(value)

    async def close(self) -> None:
        """Close the HTTP session (Legato's addition; Temporal's client has nothing to close)."""
        await self._service.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start_workflow(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _UNSET,
        *,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str,
        task_queue: str,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        retry_policy: RetryPolicy | None = None,
        cron_schedule: str = "",
        memo: Mapping[str, Any] | None = None,
        search_attributes: Any = None,
        static_summary: str | None = None,
        static_details: str | None = None,
        start_delay: timedelta | None = None,
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = [],  # Temporal's default; never mutated
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: Any = None,
        stack_level: int = 2,
    ) -> WorkflowHandle[Any, Any]:
        """Start a workflow and return its handle.

        Args:
            workflow: The ``@workflow.run`` method of a workflow class, or a type name.
            arg: The single argument (or use ``args``).
            args: The arguments.
            id: The workflow id.
            task_queue: The task queue its workers poll.
            result_type: Type ``result()`` decodes into; the run method's hint by default.
            execution_timeout: Limit on the whole execution.
            run_timeout: Limit on one run.
            task_timeout: Limit on each workflow task.
            id_reuse_policy: Whether a closed id may start again.
            id_conflict_policy: What a running id does.
            retry_policy: How the server retries the workflow.
            cron_schedule: Not supported yet (raises NotImplementedError unless empty).
            memo: Values kept with the run and shown by describe (not searchable).
            search_attributes: Typed search attributes (``TypedSearchAttributes``), each
                registered in the namespace with its type; the untyped mapping is deprecated.
            static_summary: Accepted and dropped (a note for UIs; changes nothing).
            static_details: Accepted and dropped (a note for UIs; changes nothing).
            start_delay: The first workflow task waits this long (a durable timer).
            start_signal: Signal-with-start: signal the running run of ``id``, or start
                one with this signal delivered first, atomically.
            start_signal_args: The start signal's arguments.
            rpc_metadata: Headers for this call.
            rpc_timeout: Timeout of this call.
            request_eager_start: Accepted; the run starts normally (a worker polls for it).
            priority: A ``Priority``; not supported yet (raises unless default).
            versioning_override: Not supported yet (raises unless None).
            stack_level: Accepted for Temporal's signature (it tunes a warning).

        Raises:
            WorkflowAlreadyStartedError: The id is taken (by the policies above).
            NotImplementedError: An option Legato does not have yet was given.
            RPCError: The server refused or could not be reached.
        """
        name, hinted = definitions.workflow_name_and_result_type(workflow)
        input = StartWorkflowInput(
            workflow=name,
            args=_calls.arg_or_args(arg, args),
            id=id,
            task_queue=task_queue,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            cron_schedule=cron_schedule,
            memo=memo,
            search_attributes=search_attributes,
            start_delay=start_delay,
            headers={},
            start_signal=start_signal,
            start_signal_args=start_signal_args,
            static_summary=static_summary,
            static_details=static_details,
            ret_type=result_type or hinted,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            request_eager_start=request_eager_start,
            priority=priority,
            versioning_override=versioning_override,
        )
        return await self._impl.start_workflow(input)

    async def execute_workflow(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _UNSET,
        *,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str,
        task_queue: str,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        retry_policy: RetryPolicy | None = None,
        cron_schedule: str = "",
        memo: Mapping[str, Any] | None = None,
        search_attributes: Any = None,
        static_summary: str | None = None,
        static_details: str | None = None,
        start_delay: timedelta | None = None,
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = [],  # Temporal's default; never mutated
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
        request_eager_start: bool = False,
        priority: Priority = Priority.default,
        versioning_override: Any = None,
    ) -> Any:
        """Start a workflow and wait for its result; the arguments are ``start_workflow``'s.

        Raises:
            WorkflowFailureError: The run did not complete.
        """
        handle = await self.start_workflow(
            workflow,
            arg,
            args=args,
            id=id,
            task_queue=task_queue,
            result_type=result_type,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            cron_schedule=cron_schedule,
            memo=memo,
            search_attributes=search_attributes,
            static_summary=static_summary,
            static_details=static_details,
            start_delay=start_delay,
            start_signal=start_signal,
            start_signal_args=start_signal_args,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
            request_eager_start=request_eager_start,
            priority=priority,
            versioning_override=versioning_override,
        )
        return await handle.result()

    def list_workflows(
        self,
        query: str | None = None,
        *,
        limit: int | None = None,
        page_size: int = 1000,
        next_page_token: bytes | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowExecutionAsyncIterator:
        """The runs that ``query`` (Temporal's list filter; all runs when None) matches,
        in its ``ORDER BY`` (running first, then the latest closed, by default); pages of
        ``page_size`` are fetched as iteration goes, and iteration stops after ``limit``.

        Raises:
            RPCError: INVALID_ARGUMENT for a query that does not parse (the message gives
                the position) or names an unknown search attribute; raised on iteration.
        """
        input = ListWorkflowsInput(query, page_size, next_page_token, rpc_metadata, rpc_timeout, limit)
        return self._impl.list_workflows(input)

    async def execute_update_with_start_workflow(
        self,
        update: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Start the operation's workflow (or use the running one, by its conflict policy),
        send it the update in the same server call, and wait for the update's result.

        Raises:
            WorkflowUpdateFailedError: The validator rejected the update or its handler failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: ``rpc_timeout`` passed first.
            WorkflowAlreadyStartedError: The id runs and the conflict policy is FAIL.
        """
        handle = await self.start_update_with_start_workflow(
            update,
            arg,
            start_workflow_operation=start_workflow_operation,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            args=args,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result()

    async def start_update_with_start_workflow(
        self,
        update: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """``execute_update_with_start_workflow``, returning the update's handle once it
        reached ``wait_for_stage`` (ACCEPTED or COMPLETED; ADMITTED raises ``ValueError``).
        A ``WithStartWorkflowOperation`` is used once (``RuntimeError`` on reuse)."""
        return await start_update_with_start(
            self,
            update,
            arg,
            start_workflow_operation=start_workflow_operation,
            wait_for_stage=wait_for_stage,
            args=args,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )

    async def count_workflows(
        self,
        query: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowExecutionCount:
        """How many runs ``query`` matches; a query ending in ``GROUP BY ExecutionStatus``
        gives the count of each status in ``groups`` too.

        Raises:
            RPCError: INVALID_ARGUMENT for a query that does not parse.
        """
        return await self._impl.count_workflows(CountWorkflowsInput(query, rpc_metadata, rpc_timeout))

    async def create_schedule(
        self,
        id: str,
        schedule: Schedule,
        *,
        trigger_immediately: bool = False,
        backfill: Sequence[ScheduleBackfill] = [],  # Temporal's default; never mutated
        memo: Mapping[str, Any] | None = None,
        search_attributes: TypedSearchAttributes | SearchAttributes | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> ScheduleHandle:
        """Create a schedule and return its handle.

        Args:
            id: The schedule id.
            schedule: What it does, when and how.
            trigger_immediately: Take one action now, as well.
            backfill: Periods whose actions are taken now, as if they were passing.
            memo: The schedule's memo (the workflows' memo is the action's).
            search_attributes: The schedule's search attributes (the workflows' are the
                action's); the untyped mapping is deprecated.
            rpc_metadata: Headers for this call.
            rpc_timeout: Timeout of this call.

        Raises:
            ScheduleAlreadyRunningError: A schedule has this id.
            ValueError: ``limited_actions`` and ``remaining_actions`` disagree.
            NotImplementedError: The action has a priority (Legato has none yet).
        """
        input = CreateScheduleInput(
            id, schedule, trigger_immediately, backfill, memo, search_attributes, rpc_metadata, rpc_timeout
        )
        return await self._impl.create_schedule(input)

    def get_schedule_handle(self, id: str) -> ScheduleHandle:
        """A handle to the schedule ``id`` (not checked until it is used)."""
        return ScheduleHandle(self, id)

    async def list_schedules(
        self,
        query: str | None = None,
        *,
        page_size: int = 1000,
        next_page_token: bytes | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> ScheduleAsyncIterator:
        """The schedules ``query`` (Temporal's list filter; all when None) matches, fetched
        a page of ``page_size`` at a time as iteration goes; nothing is asked before."""
        return self._impl.list_schedules(
            ListSchedulesInput(page_size, next_page_token, rpc_metadata, rpc_timeout, query)
        )

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

    @overload
    def get_async_activity_handle(
        self, *, workflow_id: str, run_id: str | None, activity_id: str
    ) -> AsyncActivityHandle: ...

    @overload
    def get_async_activity_handle(self, *, task_token: bytes) -> AsyncActivityHandle: ...

    def get_async_activity_handle(
        self,
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        activity_id: str | None = None,
        task_token: bytes | None = None,
    ) -> AsyncActivityHandle:
        """A handle to complete, fail, heartbeat or report canceled an activity that called
        ``activity.raise_complete_async()``: named by its ``task_token`` alone (from
        ``activity.info().task_token``; text in Legato, bytes accepted), or by
        ``workflow_id``, ``run_id`` and ``activity_id`` together.

        Raises:
            ValueError: Both a token and ids, or ids without a workflow or activity id.
            NotImplementedError: An activity id without a workflow id (standalone activities).
        """
        if task_token is not None:
            if workflow_id is not None or run_id is not None or activity_id is not None:
                raise ValueError("Task token cannot be present with other IDs")
            return AsyncActivityHandle(self, task_token)
        if workflow_id is None:
            if activity_id is not None:
                raise not_supported("Client.get_async_activity_handle", "activity_id without workflow_id")
            raise ValueError("Task token or workflow/run/activity ID must be present")
        if activity_id is None:
            raise ValueError("Workflow ID, run ID, and activity ID must all be given together")
        return AsyncActivityHandle(self, AsyncActivityIDReference(workflow_id, run_id, activity_id))

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


def _tls(tls: bool | TLSConfig | None) -> bool | ssl.SSLContext:
    """What the transport needs of Temporal's ``tls`` option: off, on, or a configured context."""
    if not isinstance(tls, TLSConfig):
        return bool(tls)
    if tls.domain is not None:
        raise not_supported("TLSConfig", "domain")
    if tls.verification_server_name is not None:
        raise not_supported("TLSConfig", "verification_server_name")
    context = ssl.create_default_context(cadata=tls.server_root_ca_cert.decode() if tls.server_root_ca_cert else None)
    if tls.client_cert is not None and tls.client_private_key is not None:
        _load_client_cert(context, tls.client_cert, tls.client_private_key)
    return context


def _load_client_cert(context: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    # ssl only loads a certificate chain from files; they live only for the load.
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_file.write_bytes(cert)
        key_file.write_bytes(key)
        context.load_cert_chain(cert_file, key_file)


@dataclass(frozen=True)
class WorkflowExecution:
    """A workflow run as the server lists it (Temporal's fields, in order).

    Legato has no parents or search attributes yet: those fields are None or empty.
    ``raw_info`` is the server's list entry (its description, for ``describe()``).
    """

    close_time: datetime | None
    execution_time: datetime | None
    history_length: int
    id: str
    namespace: str
    parent_id: str | None
    parent_run_id: str | None
    root_id: str | None
    root_run_id: str | None
    raw_info: api.DescribeWorkflowResponse | WorkflowExecutionInfo
    run_id: str
    search_attributes: SearchAttributes
    start_time: datetime
    status: WorkflowExecutionStatus | None
    task_queue: str
    typed_search_attributes: TypedSearchAttributes
    workflow_type: str
    _context_free_data_converter: DataConverter

    @property
    def data_converter(self) -> DataConverter:
        """The converter the client decodes with."""
        return self._context_free_data_converter

    @staticmethod
    def _from_raw_info(raw: WorkflowExecutionInfo, namespace: str, converter: DataConverter) -> WorkflowExecution:
        return WorkflowExecution(**_execution_fields(raw, namespace, converter))

    async def memo(self) -> Mapping[str, Any]:
        """The run's memo, each value decoded (codec, then converter) without a type hint."""
        raw = self.raw_info.memo
        values = await self.data_converter.decode(list(raw.values()))
        return dict(zip(raw, values, strict=True))

    async def memo_value(self, key: str, default: Any = _UNSET, *, type_hint: type | None = None) -> Any:
        """One memo value, decoded into ``type_hint``.

        Raises:
            KeyError: The memo has no ``key`` and no default was given.
        """
        payload = self.raw_info.memo.get(key)
        if payload is None:
            if default is _UNSET:
                raise KeyError(f"Memo does not have a value for key {key!r}")
            return default
        return (await self.data_converter.decode([payload], [type_hint]))[0]


def _execution_fields(
    raw: api.DescribeWorkflowResponse | WorkflowExecutionInfo, namespace: str, converter: DataConverter
) -> dict[str, Any]:
    """WorkflowExecution's fields from a list entry or a description."""
    parent, root = raw.parent_execution, raw.root_execution
    return {
        "close_time": raw.close_time,
        "execution_time": raw.execution_time or raw.start_time,
        "history_length": raw.history_length,
        "id": raw.workflow_id,
        "namespace": namespace,
        "parent_id": parent.workflow_id if parent else None,
        "parent_run_id": parent.run_id if parent else None,
        "root_id": root.workflow_id if root else raw.workflow_id,
        "root_run_id": root.run_id if root else raw.run_id,
        "raw_info": raw,
        "run_id": raw.run_id,
        "search_attributes": converters.decode_search_attributes(raw.search_attributes),
        "start_time": raw.start_time,
        "status": WorkflowExecutionStatus.from_api(raw.status),
        "task_queue": raw.task_queue,
        "typed_search_attributes": converters.decode_typed_search_attributes(raw.search_attributes),
        "workflow_type": raw.workflow_type,
        "_context_free_data_converter": converter,
    }


@dataclass(frozen=True)
class WorkflowExecutionDescription(WorkflowExecution):
    """What ``WorkflowHandle.describe()`` returns.

    Beyond Temporal's fields: ``pending_activities`` and ``pending_workflow_task`` (read
    from ``raw_description``).
    """

    raw_description: api.DescribeWorkflowResponse
    _static_summary: str | None = None
    _static_details: str | None = None
    _metadata_decoded: bool = False

    @staticmethod
    def from_raw(
        raw: api.DescribeWorkflowResponse, namespace: str, converter: DataConverter
    ) -> WorkflowExecutionDescription:
        """The description of the server's answer."""
        return WorkflowExecutionDescription(
            **_execution_fields(raw, namespace, converter),
            raw_description=raw,
        )

    async def static_summary(self) -> str | None:
        """The summary given at start; None, Legato does not keep one yet."""
        return self._static_summary

    async def static_details(self) -> str | None:
        """The details given at start; None, Legato does not keep them yet."""
        return self._static_details

    @property
    def pending_activities(self) -> list[api.PendingActivity]:
        """The run's activities that are scheduled, running or waiting for a retry.

        Each has temporalio's ``PendingActivityInfo`` names for its progress:
        ``heartbeat_details`` (the payloads of its latest heartbeat, as sent; decode them
        with ``client.data_converter.decode``) and ``last_heartbeat_time``.
        """
        return list(self.raw_description.pending_activities)

    @property
    def pending_workflow_task(self) -> api.PendingWorkflowTask | None:
        """The workflow task waiting or running, with its attempt and why the last one failed."""
        return self.raw_description.pending_workflow_task


@dataclass(frozen=True)
class WorkflowHistory:
    """A run's history, as ``fetch_history()`` returns it."""

    workflow_id: str
    events: list[HistoryEvent] = field(default_factory=list)

    def to_json(self) -> str:
        """The history as Legato's JSON (a golden history for replay tests).

        temporalio's ``to_json()`` writes Temporal's format: ``to_temporal_json()`` here.
        ``from_json`` reads both.
        """
        return api.HistoryPage(events=self.events).model_dump_json(indent=2)

    def to_temporal_json(self) -> str:
        """The history as Temporal's JSON, as temporalio's ``to_json()`` writes it.

        The protobuf JSON of ``temporal workflow show --output json``, which Temporal's
        ``WorkflowHistory.from_json`` and ``Replayer`` read, as do Legato's.
        """
        return json.dumps(temporal_history_out.events_to_json(self.events), indent=2, ensure_ascii=False)

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


# --- continue-as-new ---


class WorkflowContinuedAsNewError(LegatoError):
    """``result(follow_runs=False)`` of a run that continued as new (temporalio's)."""

    def __init__(self, new_execution_run_id: str) -> None:
        """The run that goes on from the one whose result was asked for."""
        super().__init__("Workflow continued as new")
        self._new_execution_run_id = new_execution_run_id

    @property
    def new_execution_run_id(self) -> str:
        """The next run's id."""
        return self._new_execution_run_id


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
        start_workflow_response: Any = None,
    ) -> None:
        """Use ``Client.start_workflow`` or ``Client.get_workflow_handle``."""
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type

    @property
    def id(self) -> str:
        """The workflow id."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """The run this handle acts on; the latest run when None."""
        return self._run_id

    @property
    def result_run_id(self) -> str | None:
        """The run whose result ``result()`` waits for."""
        return self._result_run_id

    @property
    def first_execution_run_id(self) -> str | None:
        """The first run of the chain, when known (cancel and terminate do not check it yet)."""
        return self._first_execution_run_id

    async def result(
        self,
        *,
        follow_runs: bool = True,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> ReturnType:
        """Wait for the run to close and return its result.

        Args:
            follow_runs: Follow the chain: when the run continued as new, or failed or
                timed out and was retried, wait for the next run's result (Temporal's
                default). When False, a continued run raises
                ``WorkflowContinuedAsNewError``.
            rpc_metadata: Headers for each poll.
            rpc_timeout: Accepted; each poll is bounded by the server's wait instead.

        Raises:
            WorkflowFailureError: The run failed, was cancelled, terminated or timed out;
                ``cause`` is the failure (e.g. an ApplicationError or ActivityError).
            WorkflowContinuedAsNewError: The run continued as new and ``follow_runs`` is False.
            RPCError: The server could not be reached for longer than the client's retry
                config allows, or refused the call.
        """
        run_id = self._result_run_id
        options = _service.CallOptions(metadata=rpc_metadata)
        while True:
            response = await self._closed(run_id, options)
            # The chain goes on: a continue-as-new or a retry started the next run.
            if follow_runs and response.new_execution_run_id:
                run_id = response.new_execution_run_id
                continue
            return await self._outcome(response)

    async def _closed(self, run_id: str | None, options: _service.CallOptions) -> api.WorkflowResultResponse:
        service = self._client.service_client
        request = api.WorkflowResultRequest(workflow_id=self._id, run_id=run_id, wait=_RESULT_WAIT)
        while True:
            # Each poll is retried as any other call; a long poll is always safe to repeat.
            response = await _retry.call(
                lambda: service.workflow_result(request, options),
                config=service.retry_config,
                idempotent=True,
                what=f"Waiting for the result of {self._id!r}",
            )
            # 204: still running after the wait; ask again.
            if response is not None:
                return response

    async def _outcome(self, response: api.WorkflowResultResponse) -> ReturnType:
        converter = self._client.data_converter
        if response.status is WireStatus.COMPLETED:
            if response.result is None:
                return None  # type: ignore[return-value]  # a run without a result returned None
            decoded = await converter.decode([response.result], [self._result_type])
            return decoded[0]  # type: ignore[no-any-return]  # typed by the run method's hint
        if response.status is WireStatus.CONTINUED_AS_NEW and response.new_execution_run_id:
            raise WorkflowContinuedAsNewError(response.new_execution_run_id)
        if response.failure is not None:
            raise WorkflowFailureError(cause=await converter.decode_failure(response.failure))
        raise WorkflowFailureError(cause=_close_error(response.status))

    async def describe(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowExecutionDescription:
        """The run's status, times and pending activities."""
        return await self._client._impl.describe_workflow(
            DescribeWorkflowInput(id=self._id, run_id=self._run_id, rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)
        )

    async def signal(
        self,
        signal: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Send a signal (a ``@workflow.signal`` method or its name) with its arguments."""
        input = SignalWorkflowInput(
            id=self._id,
            run_id=self._run_id,
            signal=definitions.signal_name(signal),
            args=_calls.arg_or_args(arg, args),
            headers={},
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        await self._client._impl.signal_workflow(input)

    async def query(
        self,
        query: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        result_type: type | None = None,
        reject_condition: QueryRejectCondition | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Ask the run (a ``@workflow.query`` method or its name) for its handler's answer.

        A worker answers from the run's current state (a closed run, or one no worker has
        cached, is replayed from its history first); nothing is written to history.

        Args:
            query: The query method or its name.
            arg: Its one argument; ``args`` for several.
            args: Its arguments.
            result_type: What to decode the answer as; the method's return hint by default.
            reject_condition: When the server refuses instead (the client's default when None).
            rpc_metadata: Headers for the call.
            rpc_timeout: How long to wait for a worker's answer (the server's 30 s by
                default, 60 s at most).

        Raises:
            WorkflowQueryFailedError: The handler failed, or there is none for the name.
            WorkflowQueryRejectedError: The reject condition held for the run's status.
            RPCError: No worker answered in time (``DEADLINE_EXCEEDED``), or the run is unknown.
        """
        name, hinted = definitions.query_definition(query)
        input = QueryWorkflowInput(
            id=self._id,
            run_id=self._run_id,
            query=name,
            args=_calls.arg_or_args(arg, args),
            reject_condition=reject_condition,
            headers={},
            ret_type=result_type or hinted,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await self._client._impl.query_workflow(input)

    async def execute_update(
        self,
        update: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Send an update (a ``@workflow.update`` method or its name) and wait for its result.

        Raises:
            WorkflowUpdateFailedError: The validator rejected it or the handler failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: ``rpc_timeout`` passed first.
        """
        handle = await self.start_update(
            update,
            arg,
            args=args,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            id=id,
            result_type=result_type,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result(rpc_metadata=rpc_metadata, rpc_timeout=rpc_timeout)

    async def start_update(
        self,
        update: str | Callable[..., Any],
        arg: Any = _UNSET,
        *,
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = [],  # Temporal's default; never mutated
        id: str | None = None,
        result_type: type | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Send an update and return its handle once it reached ``wait_for_stage``
        (ACCEPTED or COMPLETED; ADMITTED raises ``ValueError`` as in temporalio). A repeated
        ``id`` on the same run joins the first update: its handler runs once."""
        name, hinted = update_definition(update)
        input = StartWorkflowUpdateInput(
            id=self._id,
            run_id=self._run_id,
            first_execution_run_id=self._first_execution_run_id,
            update_id=id,
            update=name,
            args=_calls.arg_or_args(arg, args),
            wait_for_stage=wait_for_stage,
            headers={},
            ret_type=result_type or hinted,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return await self._client._impl.start_workflow_update(input)

    def get_update_handle(
        self, id: str, *, workflow_run_id: str | None = None, result_type: type | None = None
    ) -> WorkflowUpdateHandle[Any]:
        """A handle to an update already sent, by its id."""
        run_id = workflow_run_id or self._run_id
        return WorkflowUpdateHandle(self._client, id, self._id, workflow_run_id=run_id, result_type=result_type)

    def get_update_handle_for(
        self, update: Callable[..., Any], id: str, *, workflow_run_id: str | None = None
    ) -> WorkflowUpdateHandle[Any]:
        """``get_update_handle`` with the result type taken from the update method's hint."""
        _, hinted = update_definition(update)
        return self.get_update_handle(id, workflow_run_id=workflow_run_id, result_type=hinted)

    async def cancel(
        self,
        *,
        reason: str | None = "",
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Ask the workflow to cancel; its code sees asyncio cancellation and may clean up."""
        input = CancelWorkflowInput(
            id=self._id,
            run_id=self._run_id,
            first_execution_run_id=self._first_execution_run_id,
            reason=reason,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        await self._client._impl.cancel_workflow(input)

    async def terminate(
        self,
        *args: Any,
        reason: str | None = None,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """End the run at once; no workflow code runs.

        Details (``*args``) are recorded in the ``WorkflowExecutionTerminated`` event.
        """
        input = TerminateWorkflowInput(
            id=self._id,
            run_id=self._run_id,
            first_execution_run_id=self._first_execution_run_id,
            args=args,
            reason=reason,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        await self._client._impl.terminate_workflow(input)

    async def fetch_history(
        self,
        *,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHistory:
        """The run's whole history (or only its close event)."""
        events = self.fetch_history_events(
            event_filter_type=event_filter_type,
            skip_archival=skip_archival,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return WorkflowHistory(self._id, [e async for e in events])

    def fetch_history_events(
        self,
        *,
        page_size: int | None = None,
        next_page_token: bytes | None = None,
        wait_new_event: bool = False,
        event_filter_type: WorkflowHistoryEventFilterType = WorkflowHistoryEventFilterType.ALL_EVENT,
        skip_archival: bool = False,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHistoryEventAsyncIterator:
        """The run's history events, fetched page by page as they are iterated.

        Args:
            page_size: Events per page; the server's maximum by default.
            next_page_token: Start from this page (a previous page's token).
            wait_new_event: Follow an open run: at the end of its history, wait for new
                events (a long poll per page) until it closes, as Temporal's.
            event_filter_type: All events, or only the close event of a closed run.
            skip_archival: Accepted and unused (Legato does not archive).
            rpc_metadata: Headers for each page's call.
            rpc_timeout: Timeout of each page's call.
        """
        input = FetchWorkflowHistoryEventsInput(
            id=self._id,
            run_id=self._run_id,
            page_size=page_size,
            next_page_token=next_page_token,
            wait_new_event=wait_new_event,
            event_filter_type=event_filter_type,
            skip_archival=skip_archival,
            rpc_metadata=rpc_metadata,
            rpc_timeout=rpc_timeout,
        )
        return self._client._impl.fetch_workflow_history_events(input)


def _close_error(status: WireStatus) -> BaseException:
    """The cause Temporal's client gives a run that closed without a recorded failure."""
    if status is WireStatus.CANCELED:
        return CancelledError("Workflow cancelled")
    if status is WireStatus.TERMINATED:
        return TerminatedError("Workflow terminated")
    if status is WireStatus.TIMED_OUT:
        return TimeoutError("Workflow timed out", type=TimeoutType.START_TO_CLOSE, last_heartbeat_details=[])
    return RPCError(f"Workflow closed with status {status.value}", RPCStatusCode.UNKNOWN, b"")
