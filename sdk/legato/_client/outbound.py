"""The last link of the client's interceptor chain: each input becomes a call to the server.

Options of temporalio's that change what a call does but that Legato does not have yet
(priorities, versioning) are refused here, by name, rather than
ignored; options that change nothing a workflow could observe (summaries, eager start)
are accepted and dropped. A start with ``start_signal`` is a signal-with-start.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from legato import _service
from legato._client import (
    async_activity,
    history,
    queries,
    schedule_descriptions,
    schedules,
    update_with_start,
    updates,
    visibility,
)
from legato._client.interceptor import (
    BackfillScheduleInput,
    CancelWorkflowInput,
    CreateScheduleInput,
    DeleteScheduleInput,
    DescribeScheduleInput,
    DescribeWorkflowInput,
    FetchWorkflowHistoryEventsInput,
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
)
from legato.api.workflowservice import v1 as api
from legato.converter import _search_attributes as search_attribute_encoding
from legato.exceptions import RPCError, RPCStatusCode, WorkflowAlreadyStartedError

if TYPE_CHECKING:
    from legato.client import Client, WorkflowExecutionDescription, WorkflowHandle

logger = logging.getLogger(__name__)


def not_supported(call: str, parameter: str) -> NotImplementedError:
    """The error for a parameter whose feature Legato does not have yet."""
    return NotImplementedError(f"{call}({parameter}=...) is not supported by Legato yet")


def options(rpc_metadata: Mapping[str, str | bytes], rpc_timeout: Any) -> _service.CallOptions:
    """The per-call options of an input."""
    return _service.CallOptions(metadata=rpc_metadata, timeout=rpc_timeout)


def _refuse_unsupported(
    input: StartWorkflowInput | update_with_start.UpdateWithStartStartWorkflowInput, call: str
) -> None:
    unsupported = {
        "versioning_override": input.versioning_override is not None,
        "priority": _non_default_priority(input.priority),
    }
    for name, given in unsupported.items():
        if given:
            raise not_supported(call, name)


async def _memo(converter: Any, memo: Mapping[str, Any] | None) -> dict[str, Any]:
    # Each value through the payload converter and the codec, as temporalio encodes a memo.
    if not memo:
        return {}
    return dict(zip(memo, await converter.encode(list(memo.values())), strict=True))


async def _start_request(
    client: Client, input: StartWorkflowInput | update_with_start.UpdateWithStartStartWorkflowInput
) -> api.StartWorkflowRequest:
    """The start request of a start's input (its arguments and memo encoded)."""
    converter = client.data_converter
    return api.StartWorkflowRequest(
        workflow_id=input.id,
        workflow_type=input.workflow,
        task_queue=input.task_queue,
        args=await converter.encode(list(input.args)),
        id_conflict_policy=input.id_conflict_policy.to_api(),
        id_reuse_policy=input.id_reuse_policy.to_api(),
        execution_timeout=_seconds(input.execution_timeout),
        run_timeout=_seconds(input.run_timeout),
        task_timeout=_seconds(input.task_timeout),
        retry_policy=input.retry_policy.to_api() if input.retry_policy else None,
        request_id=str(uuid.uuid4()),
        identity=client.identity,
        header=dict(input.headers),
        memo=await _memo(converter, input.memo),
        search_attributes=search_attribute_encoding.payloads_of(input.search_attributes),
        start_delay=_seconds(input.start_delay),
        cron_schedule=input.cron_schedule,
    )


def _non_default_priority(priority: Any) -> bool:
    fields = ("priority_key", "fairness_key", "fairness_weight")
    return priority is not None and any(getattr(priority, f, None) is not None for f in fields)


class ServerOutbound(OutboundInterceptor):
    """Calls the server for each input; the chain ends here."""

    def __init__(self, client: Client) -> None:
        """Call the server of ``client``."""
        self._client = client

    @property
    def _service(self) -> _service.ServiceClient:
        return self._client.service_client

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        """Start the run; a taken id raises ``WorkflowAlreadyStartedError``."""
        from legato.client import WorkflowHandle

        _refuse_unsupported(input, "Client.start_workflow")
        converter = self._client.data_converter
        request = (await _start_request(self._client, input)).model_copy(
            update={"request_eager_execution": input.request_eager_start}
        )
        call_options = options(input.rpc_metadata, input.rpc_timeout)
        try:
            # Signal-with-start: one call that signals the running run or starts one with the signal.
            if input.start_signal is not None:
                signal_args = await converter.encode(list(input.start_signal_args))
                sws = api.SignalWithStartWorkflowRequest(
                    **request.model_dump(), signal_name=input.start_signal, signal_args=signal_args
                )
                response = await self._service.signal_with_start_workflow(sws, call_options)
            else:
                response = await self._service.start_workflow(request, call_options)
        except RPCError as e:
            # The server names it; a bare 409 without an ErrorBody is taken to mean the same.
            if e.error == "WorkflowAlreadyStarted" or (e.status is RPCStatusCode.ALREADY_EXISTS and not e.error):
                raise WorkflowAlreadyStartedError(input.id, input.workflow, run_id=e.run_id) from e
            raise
        return WorkflowHandle(
            self._client,
            input.id,
            result_run_id=response.run_id,
            first_execution_run_id=response.run_id,
            result_type=input.ret_type,
        )

    async def start_update_with_start_workflow(
        self, input: update_with_start.StartWorkflowUpdateWithStartInput
    ) -> updates.WorkflowUpdateHandle[Any]:
        """Start (or use) the run and send the update in one call; a taken id (FAIL) raises
        ``WorkflowAlreadyStartedError``, from this call and from the operation's handle."""
        start = input.start_workflow_input
        _refuse_unsupported(start, "WithStartWorkflowOperation")
        request = await _start_request(self._client, start)
        try:
            return await update_with_start.send(self._client, input, request)
        except RPCError as e:
            error: BaseException = e
            if e.error == "WorkflowAlreadyStarted":
                error = WorkflowAlreadyStartedError(start.id, start.workflow, run_id=e.run_id)
            # The operation's handle fails with the call, unless the start was answered first.
            input._on_start_error(error)
            raise error from e
        except BaseException as e:
            input._on_start_error(e)
            raise

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Ask the run to cancel."""
        request = api.CancelWorkflowRequest(
            workflow_id=input.id,
            run_id=input.run_id,
            first_execution_run_id=input.first_execution_run_id,
            reason=input.reason or "",
            identity=self._client.identity,
        )
        await self._service.cancel_workflow(request, options(input.rpc_metadata, input.rpc_timeout))

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Close the run now; ``args`` are its details, recorded with the termination."""
        request = api.TerminateWorkflowRequest(
            workflow_id=input.id,
            run_id=input.run_id,
            first_execution_run_id=input.first_execution_run_id,
            reason=input.reason or "",
            details=await self._client.data_converter.encode(list(input.args)),
            identity=self._client.identity,
        )
        await self._service.terminate_workflow(request, options(input.rpc_metadata, input.rpc_timeout))

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Deliver the signal (deduplicated by a request id of its own)."""
        request = api.SignalWorkflowRequest(
            workflow_id=input.id,
            signal_name=input.signal,
            args=await self._client.data_converter.encode(list(input.args)),
            run_id=input.run_id,
            request_id=str(uuid.uuid4()),
            header=dict(input.headers),
            identity=self._client.identity,
        )
        await self._service.signal_workflow(request, options(input.rpc_metadata, input.rpc_timeout))

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        """The run's description."""
        from legato.client import WorkflowExecutionDescription

        request = api.DescribeWorkflowRequest(workflow_id=input.id, run_id=input.run_id)
        raw = await self._service.describe_workflow(request, options(input.rpc_metadata, input.rpc_timeout))
        return WorkflowExecutionDescription.from_raw(raw, self._client.namespace, self._client.data_converter)

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> history.WorkflowHistoryEventAsyncIterator:
        """The run's events from ``next_page_token`` on, or only its close event, page by page."""
        return history.WorkflowHistoryEventAsyncIterator(self._client, input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """A worker's answer to the query; WorkflowQueryFailedError / WorkflowQueryRejectedError."""
        return await queries.query_workflow(self._client, input)

    def list_workflows(self, input: visibility.ListWorkflowsInput) -> visibility.WorkflowExecutionAsyncIterator:
        """The matching runs, fetched a page at a time as the caller iterates."""
        return visibility.WorkflowExecutionAsyncIterator(self._client, input)

    async def count_workflows(self, input: visibility.CountWorkflowsInput) -> visibility.WorkflowExecutionCount:
        """The server's count."""
        return await visibility.count_workflows(self._client, input)

    async def start_workflow_update(self, input: updates.StartWorkflowUpdateInput) -> updates.WorkflowUpdateHandle[Any]:
        """Send the update; WorkflowUpdateFailedError when its validator rejects it."""
        return await updates.start_workflow_update(self._client, input)

    async def heartbeat_async_activity(self, input: async_activity.HeartbeatAsyncActivityInput) -> None:
        """Send the heartbeat, by token or by ids."""
        await async_activity.send_heartbeat(self._client, input)

    async def complete_async_activity(self, input: async_activity.CompleteAsyncActivityInput) -> None:
        """Send the completion, by token or by ids."""
        await async_activity.send_complete(self._client, input)

    async def fail_async_activity(self, input: async_activity.FailAsyncActivityInput) -> None:
        """Send the failure, by token or by ids."""
        await async_activity.send_fail(self._client, input)

    async def report_cancellation_async_activity(
        self, input: async_activity.ReportCancellationAsyncActivityInput
    ) -> None:
        """Send the cancellation, by token or by ids."""
        await async_activity.send_report_cancellation(self._client, input)

    async def create_schedule(self, input: CreateScheduleInput) -> schedules.ScheduleHandle:
        """Create the schedule; a taken id raises ``ScheduleAlreadyRunningError``."""
        return await schedules.create_schedule(self._client, input)

    def list_schedules(self, input: ListSchedulesInput) -> schedules.ScheduleAsyncIterator:
        """The matching schedules, fetched a page at a time as the caller iterates."""
        return schedules.ScheduleAsyncIterator(self._client, input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        """Patch the schedule with the backfills."""
        await schedules.patch_schedule(self._client, input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        """Delete the schedule."""
        await schedules.delete_schedule(self._client, input)

    async def describe_schedule(self, input: DescribeScheduleInput) -> schedule_descriptions.ScheduleDescription:
        """The schedule's description."""
        return await schedules.describe_schedule(self._client, input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        """Patch the schedule paused."""
        await schedules.patch_schedule(self._client, input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        """Patch the schedule with an immediate action."""
        await schedules.patch_schedule(self._client, input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        """Patch the schedule unpaused."""
        await schedules.patch_schedule(self._client, input)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        """Describe, ask the updater, and replace the schedule under the conflict token."""
        await schedules.update_schedule(self._client, input)


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if value is not None else None
