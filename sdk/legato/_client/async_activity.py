"""Completing an activity from outside its worker (temporalio's asynchronous completion).

An activity calls ``activity.raise_complete_async()``; its worker then reports nothing,
and whoever holds its task token (or its workflow and activity ids) completes, fails,
heartbeats or reports it canceled through an ``AsyncActivityHandle``. The calls go down
the client's interceptor chain like every other; ``ServerOutbound`` sends them with
``send_*`` below. The server applies the attempt's timeouts as usual: a handle that
neither heartbeats nor completes in time sees its activity time out and be retried.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from legato import _service
from legato._runtime.activity_context import ActivityCancellationDetails
from legato.api.workflowservice import v1 as api
from legato.converter import DataConverter
from legato.exceptions import LegatoError

if TYPE_CHECKING:
    from legato.client import Client

_UNSET: Any = object()


@dataclass(frozen=True)
class AsyncActivityIDReference:
    """Names an activity by its workflow's id (and run id) and its activity id."""

    workflow_id: str
    run_id: str | None
    activity_id: str


class AsyncActivityCancelledError(LegatoError):
    """A heartbeat through an ``AsyncActivityHandle`` learned that the activity was cancelled."""

    def __init__(self, details: ActivityCancellationDetails | None = None) -> None:
        """Initialize with why it was cancelled."""
        super().__init__("Activity cancelled")
        self.details = details


@dataclass
class HeartbeatAsyncActivityInput:
    """What ``AsyncActivityHandle.heartbeat`` sends down the chain."""

    id_or_token: AsyncActivityIDReference | bytes
    details: Sequence[Any]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


@dataclass
class CompleteAsyncActivityInput:
    """What ``AsyncActivityHandle.complete`` sends down the chain."""

    id_or_token: AsyncActivityIDReference | bytes
    result: Any | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


@dataclass
class FailAsyncActivityInput:
    """What ``AsyncActivityHandle.fail`` sends down the chain."""

    id_or_token: AsyncActivityIDReference | bytes
    error: Exception
    last_heartbeat_details: Sequence[Any]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


@dataclass
class ReportCancellationAsyncActivityInput:
    """What ``AsyncActivityHandle.report_cancellation`` sends down the chain."""

    id_or_token: AsyncActivityIDReference | bytes
    details: Sequence[Any]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    data_converter_override: DataConverter | None = None


class AsyncActivityHandle:
    """An activity to complete, fail, heartbeat or report canceled from outside its worker."""

    def __init__(
        self,
        client: Client,
        id_or_token: AsyncActivityIDReference | bytes,
        data_converter_override: DataConverter | None = None,
    ) -> None:
        """A handle on the activity named by ``id_or_token`` (its task token, or its ids)."""
        self._client = client
        self._id_or_token = id_or_token
        self._data_converter_override = data_converter_override

    async def heartbeat(
        self,
        *details: Any,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Record progress, pushing the heartbeat timeout on.

        Raises:
            AsyncActivityCancelledError: A cancel of the activity was requested.
        """
        input = HeartbeatAsyncActivityInput(
            self._id_or_token, details, rpc_metadata, rpc_timeout, self._data_converter_override
        )
        await self._client._impl.heartbeat_async_activity(input)

    async def complete(
        self,
        result: Any | None = _UNSET,
        *,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Complete the activity with ``result``."""
        input = CompleteAsyncActivityInput(
            self._id_or_token, result, rpc_metadata, rpc_timeout, self._data_converter_override
        )
        await self._client._impl.complete_async_activity(input)

    async def fail(
        self,
        error: Exception,
        *,
        last_heartbeat_details: Sequence[Any] = [],  # Temporal's default; never mutated
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Fail the current attempt with ``error``; the server retries it per the policy."""
        input = FailAsyncActivityInput(
            self._id_or_token, error, last_heartbeat_details, rpc_metadata, rpc_timeout, self._data_converter_override
        )
        await self._client._impl.fail_async_activity(input)

    async def report_cancellation(
        self,
        *details: Any,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Report the activity canceled (after its cancel was requested)."""
        input = ReportCancellationAsyncActivityInput(
            self._id_or_token, details, rpc_metadata, rpc_timeout, self._data_converter_override
        )
        await self._client._impl.report_cancellation_async_activity(input)


def _token(token: bytes) -> str:
    # Legato's task tokens are text; temporalio's handle takes them as bytes.
    return token.decode() if isinstance(token, bytes) else str(token)


def _by_id(ref: AsyncActivityIDReference) -> dict[str, Any]:
    return {"workflow_id": ref.workflow_id, "run_id": ref.run_id or None, "activity_id": ref.activity_id}


async def send_heartbeat(client: Client, input: HeartbeatAsyncActivityInput) -> None:
    """Heartbeat by token or by ids; AsyncActivityCancelledError when a cancel was requested."""
    converter = input.data_converter_override or client.data_converter
    details = await converter.encode(list(input.details))
    call = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
    ref = input.id_or_token
    if isinstance(ref, AsyncActivityIDReference):
        request = api.HeartbeatActivityByIdRequest(**_by_id(ref), details=details)
        response = await client.service_client.heartbeat_activity_by_id(request, call)
    else:
        beat = api.HeartbeatActivityTaskRequest(task_token=_token(ref), details=details)
        response = await client.service_client.heartbeat_activity_task(beat, call)
    if response.cancel_requested:
        raise AsyncActivityCancelledError(ActivityCancellationDetails(cancel_requested=True))


async def send_complete(client: Client, input: CompleteAsyncActivityInput) -> None:
    """Complete by token or by ids."""
    converter = input.data_converter_override or client.data_converter
    result = None if input.result is _UNSET else (await converter.encode([input.result]))[0]
    call = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
    ref, identity = input.id_or_token, client.identity
    if isinstance(ref, AsyncActivityIDReference):
        by_id = api.CompleteActivityByIdRequest(**_by_id(ref), result=result, identity=identity)
        await client.service_client.complete_activity_by_id(by_id, call)
    else:
        request = api.CompleteActivityTaskRequest(task_token=_token(ref), result=result, identity=identity)
        await client.service_client.complete_activity_task(request, call)


async def send_fail(client: Client, input: FailAsyncActivityInput) -> None:
    """Fail by token or by ids; the last heartbeat details are recorded first."""
    converter = input.data_converter_override or client.data_converter
    if input.last_heartbeat_details:
        beat = HeartbeatAsyncActivityInput(input.id_or_token, input.last_heartbeat_details, input.rpc_metadata, None)
        beat.data_converter_override = converter
        await _heartbeat_quietly(client, beat)
    failure = await converter.encode_failure(input.error)
    call = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
    ref, identity = input.id_or_token, client.identity
    if isinstance(ref, AsyncActivityIDReference):
        by_id = api.FailActivityByIdRequest(**_by_id(ref), failure=failure, identity=identity)
        await client.service_client.fail_activity_by_id(by_id, call)
    else:
        request = api.FailActivityTaskRequest(task_token=_token(ref), failure=failure, identity=identity)
        await client.service_client.fail_activity_task(request, call)


async def _heartbeat_quietly(client: Client, input: HeartbeatAsyncActivityInput) -> None:
    # A cancel requested meanwhile does not stop the failure from being reported.
    with contextlib.suppress(AsyncActivityCancelledError):
        await send_heartbeat(client, input)


async def send_report_cancellation(client: Client, input: ReportCancellationAsyncActivityInput) -> None:
    """Report canceled by token or by ids."""
    converter = input.data_converter_override or client.data_converter
    details = await converter.encode(list(input.details))
    call = _service.CallOptions(metadata=input.rpc_metadata, timeout=input.rpc_timeout)
    ref, identity = input.id_or_token, client.identity
    if isinstance(ref, AsyncActivityIDReference):
        by_id = api.ReportActivityCanceledByIdRequest(**_by_id(ref), details=details, identity=identity)
        await client.service_client.report_activity_canceled_by_id(by_id, call)
    else:
        request = api.ReportActivityTaskCanceledRequest(task_token=_token(ref), details=details, identity=identity)
        await client.service_client.report_activity_task_canceled(request, call)
