"""Client interceptors, as ``temporalio.client.Interceptor`` and ``OutboundInterceptor``.

``Client.connect(interceptors=[...])`` builds a chain: each interceptor's
``intercept_client(next)`` wraps the next link, and the last link calls the server. Every
client call goes down the chain as one of the input dataclasses below, so an interceptor
can read or change it (add headers, log, refuse) before passing it on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from legato.common import QueryRejectCondition, RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

if TYPE_CHECKING:
    from legato._client.async_activity import (
        CompleteAsyncActivityInput,
        FailAsyncActivityInput,
        HeartbeatAsyncActivityInput,
        ReportCancellationAsyncActivityInput,
    )
    from legato._client.history import WorkflowHistoryEventAsyncIterator, WorkflowHistoryEventFilterType
    from legato._client.schedule_descriptions import ScheduleDescription, ScheduleUpdate, ScheduleUpdateInput
    from legato._client.schedule_types import Schedule, ScheduleBackfill, ScheduleOverlapPolicy
    from legato._client.schedules import ScheduleAsyncIterator, ScheduleHandle
    from legato._client.update_with_start import StartWorkflowUpdateWithStartInput
    from legato._client.updates import StartWorkflowUpdateInput, WorkflowUpdateHandle
    from legato._client.visibility import (
        CountWorkflowsInput,
        ListWorkflowsInput,
        WorkflowExecutionAsyncIterator,
        WorkflowExecutionCount,
    )
    from legato.client import WorkflowExecutionDescription, WorkflowHandle
    from legato.common import SearchAttributes, TypedSearchAttributes


@dataclass
class StartWorkflowInput:
    """What ``Client.start_workflow`` sends down the chain (Temporal's fields, in order)."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    id_conflict_policy: WorkflowIDConflictPolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: Any
    start_delay: timedelta | None
    headers: Mapping[str, Any]
    start_signal: str | None
    start_signal_args: Sequence[Any]
    static_summary: str | None
    static_details: str | None
    ret_type: type | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    request_eager_start: bool
    priority: Any
    versioning_override: Any = None
    time_skipping_config: Any = None


@dataclass
class CancelWorkflowInput:
    """What ``WorkflowHandle.cancel`` sends down the chain."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class TerminateWorkflowInput:
    """What ``WorkflowHandle.terminate`` sends down the chain."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    args: Sequence[Any]
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class SignalWorkflowInput:
    """What ``WorkflowHandle.signal`` sends down the chain."""

    id: str
    run_id: str | None
    signal: str
    args: Sequence[Any]
    headers: Mapping[str, Any]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DescribeWorkflowInput:
    """What ``WorkflowHandle.describe`` sends down the chain."""

    id: str
    run_id: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class FetchWorkflowHistoryEventsInput:
    """What ``WorkflowHandle.fetch_history_events`` sends down the chain."""

    id: str
    run_id: str | None
    page_size: int | None
    next_page_token: bytes | None
    wait_new_event: bool
    event_filter_type: WorkflowHistoryEventFilterType
    skip_archival: bool
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class QueryWorkflowInput:
    """What ``WorkflowHandle.query`` sends down the chain."""

    id: str
    run_id: str | None
    query: str
    args: Sequence[Any]
    reject_condition: QueryRejectCondition | None
    headers: Mapping[str, Any]
    ret_type: type | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class CreateScheduleInput:
    """What ``Client.create_schedule`` sends down the chain."""

    id: str
    schedule: Schedule
    trigger_immediately: bool
    backfill: Sequence[ScheduleBackfill]
    memo: Mapping[str, Any] | None
    search_attributes: SearchAttributes | TypedSearchAttributes | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class ListSchedulesInput:
    """What ``Client.list_schedules`` sends down the chain."""

    page_size: int
    next_page_token: bytes | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    query: str | None = None


@dataclass
class BackfillScheduleInput:
    """What ``ScheduleHandle.backfill`` sends down the chain."""

    id: str
    backfills: Sequence[ScheduleBackfill]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DeleteScheduleInput:
    """What ``ScheduleHandle.delete`` sends down the chain."""

    id: str
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DescribeScheduleInput:
    """What ``ScheduleHandle.describe`` sends down the chain."""

    id: str
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class PauseScheduleInput:
    """What ``ScheduleHandle.pause`` sends down the chain."""

    id: str
    note: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class TriggerScheduleInput:
    """What ``ScheduleHandle.trigger`` sends down the chain."""

    id: str
    overlap: ScheduleOverlapPolicy | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class UnpauseScheduleInput:
    """What ``ScheduleHandle.unpause`` sends down the chain."""

    id: str
    note: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class UpdateScheduleInput:
    """What ``ScheduleHandle.update`` sends down the chain."""

    id: str
    updater: Callable[[ScheduleUpdateInput], ScheduleUpdate | Awaitable[ScheduleUpdate | None] | None]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


class OutboundInterceptor:
    """One link of the client's chain; each method passes its input to ``next`` by default."""

    def __init__(self, next: OutboundInterceptor) -> None:
        """Wrap ``next``, the rest of the chain."""
        self.next = next

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        """Start a workflow."""
        return await self.next.start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Ask a workflow to cancel."""
        await self.next.cancel_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Terminate a workflow."""
        await self.next.terminate_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Signal a workflow."""
        await self.next.signal_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        """Describe a workflow run."""
        return await self.next.describe_workflow(input)

    def fetch_workflow_history_events(
        self, input: FetchWorkflowHistoryEventsInput
    ) -> WorkflowHistoryEventAsyncIterator:
        """A run's history events, page by page."""
        return self.next.fetch_workflow_history_events(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """Query a workflow; its handler's answer."""
        return await self.next.query_workflow(input)

    def list_workflows(self, input: ListWorkflowsInput) -> WorkflowExecutionAsyncIterator:
        """The runs a list filter matches, page by page."""
        return self.next.list_workflows(input)

    async def count_workflows(self, input: CountWorkflowsInput) -> WorkflowExecutionCount:
        """How many runs a list filter matches."""
        return await self.next.count_workflows(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        """Send an update; its handle once it reached the input's stage."""
        return await self.next.start_workflow_update(input)

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        """Start the workflow (or use the running one) and send it an update."""
        return await self.next.start_update_with_start_workflow(input)

    async def heartbeat_async_activity(self, input: HeartbeatAsyncActivityInput) -> None:
        """Heartbeat an asynchronously completed activity."""
        await self.next.heartbeat_async_activity(input)

    async def complete_async_activity(self, input: CompleteAsyncActivityInput) -> None:
        """Complete an asynchronously completed activity."""
        await self.next.complete_async_activity(input)

    async def fail_async_activity(self, input: FailAsyncActivityInput) -> None:
        """Fail an asynchronously completed activity."""
        await self.next.fail_async_activity(input)

    async def report_cancellation_async_activity(self, input: ReportCancellationAsyncActivityInput) -> None:
        """Report an asynchronously completed activity canceled."""
        await self.next.report_cancellation_async_activity(input)

    async def create_schedule(self, input: CreateScheduleInput) -> ScheduleHandle:
        """Create a schedule."""
        return await self.next.create_schedule(input)

    def list_schedules(self, input: ListSchedulesInput) -> ScheduleAsyncIterator:
        """The schedules a list filter matches, page by page."""
        return self.next.list_schedules(input)

    async def backfill_schedule(self, input: BackfillScheduleInput) -> None:
        """Take a schedule's actions of past periods now."""
        await self.next.backfill_schedule(input)

    async def delete_schedule(self, input: DeleteScheduleInput) -> None:
        """Delete a schedule."""
        await self.next.delete_schedule(input)

    async def describe_schedule(self, input: DescribeScheduleInput) -> ScheduleDescription:
        """Describe a schedule."""
        return await self.next.describe_schedule(input)

    async def pause_schedule(self, input: PauseScheduleInput) -> None:
        """Pause a schedule."""
        await self.next.pause_schedule(input)

    async def trigger_schedule(self, input: TriggerScheduleInput) -> None:
        """Take a schedule's action now."""
        await self.next.trigger_schedule(input)

    async def unpause_schedule(self, input: UnpauseScheduleInput) -> None:
        """Unpause a schedule."""
        await self.next.unpause_schedule(input)

    async def update_schedule(self, input: UpdateScheduleInput) -> None:
        """Replace a schedule by what its updater makes of its description."""
        await self.next.update_schedule(input)


class Interceptor:
    """Intercepts a client's calls (and, when it is also a ``legato.worker.Interceptor``,
    its workers' too, as Temporal's client interceptors do)."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap ``next`` with this interceptor's link; ``next`` itself by default."""
        return next


def chain(interceptors: Sequence[Interceptor], last: OutboundInterceptor) -> OutboundInterceptor:
    """The chain whose first link is the first interceptor's, as Temporal orders it."""
    link = last
    for interceptor in reversed(interceptors):
        link = interceptor.intercept_client(link)
    return link
