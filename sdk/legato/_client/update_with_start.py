"""Update-with-start from a client: ``WithStartWorkflowOperation`` and the inputs that go
down the client's chain, as temporalio's.

One server call (``update_with_start_workflow``) starts the run by the operation's id
policies, or takes the running one (``USE_EXISTING``), and admits the update on it in one
transaction, so neither happens without the other. The call holds until the update's
stage; past its hold the client waits by polling the update, on the run the call named.
The operation's ``workflow_handle()`` resolves as soon as the server answered the start.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from legato import _calls, _service
from legato._client.updates import (
    WorkflowUpdateHandle,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
    wait_for,
    wire_stage,
)
from legato._runtime import definitions
from legato.api.workflowservice import v1 as api
from legato.common import Priority, RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

if TYPE_CHECKING:
    from legato.client import Client, WorkflowHandle

SelfType = TypeVar("SelfType")
ReturnType = TypeVar("ReturnType")
# The HTTP call outlives the server's own hold, so the server's answer comes first.
_HTTP_MARGIN = 15.0


@dataclass
class UpdateWithStartUpdateWorkflowInput:
    """The update half of ``start_update_with_start_workflow``'s input."""

    update_id: str | None
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Any]
    ret_type: type | None


@dataclass
class UpdateWithStartStartWorkflowInput:
    """The start half: ``StartWorkflowInput`` without a start signal, eager start or RPC options."""

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
    static_summary: str | None
    static_details: str | None
    ret_type: type | None
    priority: Priority
    versioning_override: Any = None
    time_skipping_config: Any = None


@dataclass
class StartWorkflowUpdateWithStartInput:
    """What ``start_update_with_start_workflow`` sends down the client's chain."""

    start_workflow_input: UpdateWithStartStartWorkflowInput
    update_workflow_input: UpdateWithStartUpdateWorkflowInput
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    _on_start: Callable[[api.StartWorkflowResponse], None]
    _on_start_error: Callable[[BaseException], None]


class WithStartWorkflowOperation(Generic[SelfType, ReturnType]):
    """How to start the workflow an update-with-start sends its update to; used once."""

    def __init__(
        self,
        workflow: str | Callable[..., Awaitable[Any]],
        arg: Any = _calls.UNSET,
        *,
        args: Sequence[Any] = [],  # temporalio's default; never mutated
        id: str,
        task_queue: str,
        id_conflict_policy: WorkflowIDConflictPolicy,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        retry_policy: RetryPolicy | None = None,
        cron_schedule: str = "",
        memo: Mapping[str, Any] | None = None,
        search_attributes: Any = None,
        static_summary: str | None = None,
        static_details: str | None = None,
        start_delay: timedelta | None = None,
        priority: Priority = Priority.default,
        versioning_override: Any = None,
        stack_level: int = 2,
    ) -> None:
        """Describe the start (``Client.start_workflow``'s options).

        Raises:
            ValueError: No ``id_conflict_policy`` (UNSPECIFIED), as temporalio.
        """
        name, hinted = definitions.workflow_name_and_result_type(workflow)
        if id_conflict_policy == WorkflowIDConflictPolicy.UNSPECIFIED:
            raise ValueError("WorkflowIDConflictPolicy is required")
        self._start_workflow_input = UpdateWithStartStartWorkflowInput(
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
            static_summary=static_summary,
            static_details=static_details,
            ret_type=result_type or hinted,
            priority=priority,
            versioning_override=versioning_override,
        )
        self._workflow_handle: asyncio.Future[WorkflowHandle[SelfType, ReturnType]] | None = None
        self._used = False

    def _handle_future(self) -> asyncio.Future[WorkflowHandle[SelfType, ReturnType]]:
        # Made on first use, in the loop that uses it (the operation may be built outside one).
        if self._workflow_handle is None:
            self._workflow_handle = asyncio.get_running_loop().create_future()
        return self._workflow_handle

    async def workflow_handle(self) -> WorkflowHandle[SelfType, ReturnType]:
        """Wait until the workflow is running (or the start failed) and return its handle."""
        return await asyncio.shield(self._handle_future())


async def start_update_with_start(
    client: Client,
    update: str | Callable[..., Any],
    arg: Any,
    *,
    start_workflow_operation: WithStartWorkflowOperation[Any, Any],
    wait_for_stage: WorkflowUpdateStage,
    args: Sequence[Any],
    id: str | None,
    result_type: type | None,
    rpc_metadata: Mapping[str, str | bytes],
    rpc_timeout: timedelta | None,
) -> WorkflowUpdateHandle[Any]:
    """Build the chain's input (the operation's handle resolved from the start's answer) and send it."""
    from legato._client.updates import update_definition
    from legato.client import WorkflowHandle

    if wait_for_stage == WorkflowUpdateStage.ADMITTED:
        raise ValueError("ADMITTED wait stage not supported")
    if start_workflow_operation._used:
        raise RuntimeError("WithStartWorkflowOperation cannot be reused")
    start_workflow_operation._used = True
    name, hinted = update_definition(update)
    start = start_workflow_operation._start_workflow_input
    future = start_workflow_operation._handle_future()

    def on_start(response: api.StartWorkflowResponse) -> None:
        if not future.done():
            handle: WorkflowHandle[Any, Any] = WorkflowHandle(
                client,
                start.id,
                result_run_id=response.run_id,
                first_execution_run_id=response.run_id,
                result_type=start.ret_type,
            )
            future.set_result(handle)

    def on_start_error(error: BaseException) -> None:
        if not future.done():
            future.set_exception(error)

    input = StartWorkflowUpdateWithStartInput(
        start_workflow_input=start,
        update_workflow_input=UpdateWithStartUpdateWorkflowInput(
            update_id=id,
            update=name,
            args=_calls.arg_or_args(arg, args),
            wait_for_stage=wait_for_stage,
            headers={},
            ret_type=result_type or hinted,
        ),
        rpc_metadata=rpc_metadata,
        rpc_timeout=rpc_timeout,
        _on_start=on_start,
        _on_start_error=on_start_error,
    )
    return await client._impl.start_update_with_start_workflow(input)


async def send(
    client: Client, input: StartWorkflowUpdateWithStartInput, start: api.StartWorkflowRequest
) -> WorkflowUpdateHandle[Any]:
    """The chain's last link: one update-with-start call, then the update's own waits."""
    u = input.update_workflow_input
    update_id = u.update_id or str(uuid.uuid4())
    wanted = wire_stage(u.wait_for_stage)
    request = api.UpdateWithStartWorkflowRequest(
        **start.model_dump(),
        update=api.UpdateWorkflowRequest(
            workflow_id=start.workflow_id,
            update_id=update_id,
            name=u.update,
            args=await client.data_converter.encode(list(u.args)),
            header=dict(u.headers),
            identity=client.identity,
            wait_for_stage=wanted,
            wait=min(api.DEFAULT_UPDATE_WAIT, _seconds_left(input.rpc_timeout)),
        ),
    )
    options = _service.CallOptions(
        metadata=input.rpc_metadata, timeout=timedelta(seconds=request.update.wait + _HTTP_MARGIN)
    )
    try:
        response = await client.service_client.update_with_start_workflow(request, options)
    except asyncio.CancelledError as e:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from e
    input._on_start(api.StartWorkflowResponse(run_id=response.run_id, started=response.started))
    return await wait_for(
        client, u, update_id, start.workflow_id, response.update, input.rpc_metadata, input.rpc_timeout
    )


def _seconds_left(rpc_timeout: timedelta | None) -> float:
    return api.MAX_UPDATE_WAIT if rpc_timeout is None else max(rpc_timeout.total_seconds(), 0.001)
