"""Updates from a client: the stage enum, the handle, the errors, and the calls.

``start_update`` sends the update and holds until it is accepted (or completed); a
rejection is raised there as ``WorkflowUpdateFailedError``. ``WorkflowUpdateHandle.result``
polls for the outcome. Each server call holds at most its ``wait`` and the client asks
again until the stage is reached, so a run no worker polls waits as long as the caller
allows: past ``rpc_timeout`` it raises ``WorkflowUpdateRPCTimeoutOrCancelledError``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from legato import _service
from legato._runtime.updates import UPDATE_ATTR, UpdateDefinition
from legato.api.history.v1 import UpdateOutcome
from legato.api.workflowservice import v1 as api
from legato.exceptions import LegatoError

if TYPE_CHECKING:
    from legato.client import Client

LocalReturnType = TypeVar("LocalReturnType")
# The HTTP call outlives the server's own hold, so the server's answer comes first.
_HTTP_MARGIN = 15.0


class WorkflowUpdateStage(IntEnum):
    """How far ``start_update`` waits (temporalio's values); ADMITTED is not supported."""

    ADMITTED = 1
    ACCEPTED = 2
    COMPLETED = 3


_WIRE_STAGES = {
    WorkflowUpdateStage.ADMITTED: api.UpdateStage.ADMITTED,
    WorkflowUpdateStage.ACCEPTED: api.UpdateStage.ACCEPTED,
    WorkflowUpdateStage.COMPLETED: api.UpdateStage.COMPLETED,
}


class WorkflowUpdateFailedError(LegatoError):
    """The update was rejected by its validator, or its handler failed; ``cause`` says how."""

    def __init__(self, cause: BaseException) -> None:
        """Initialize with the failure's error (an ``ApplicationError``, usually)."""
        super().__init__("Workflow update failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Cause of the update failure."""
        assert self.__cause__
        return self.__cause__


class RPCTimeoutOrCancelledError(LegatoError):
    """A client call timed out or was cancelled."""


class WorkflowUpdateRPCTimeoutOrCancelledError(RPCTimeoutOrCancelledError):
    """The client's wait for an update timed out or was cancelled (the update goes on)."""

    def __init__(self) -> None:
        """Initialize with temporalio's message."""
        super().__init__("Timeout or cancellation waiting for update")


@dataclass
class StartWorkflowUpdateInput:
    """What ``WorkflowHandle.start_update`` sends down the chain (temporalio's fields)."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    update_id: str | None
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, Any]
    ret_type: type | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


def update_definition(update: str | Callable[..., Any]) -> tuple[str, Any]:
    """The name and result type of an update given as a string or a ``@workflow.update`` method.

    Raises:
        TypeError: A method without ``@workflow.update``, or the dynamic one.
    """
    if isinstance(update, str):
        return update, None
    defn = getattr(update, UPDATE_ATTR, None)
    if not isinstance(defn, UpdateDefinition) or defn.name is None:
        raise TypeError(f"{getattr(update, '__qualname__', update)!r} is not a named @workflow.update method")
    from legato._runtime.definitions import return_type

    hinted = return_type(defn.fn)
    return defn.name, None if hinted is Any else hinted


class WorkflowUpdateHandle(Generic[LocalReturnType]):
    """An update sent to a workflow: its ids, and its result once the handler finishes."""

    def __init__(
        self,
        client: Client,
        id: str,
        workflow_id: str,
        *,
        workflow_run_id: str | None = None,
        result_type: type | None = None,
        known_outcome: UpdateOutcome | None = None,
    ) -> None:
        """Use ``WorkflowHandle.start_update`` or ``get_update_handle``."""
        self._client = client
        self._id = id
        # Known when this handle sent the update (temporalio's handle has no name parameter).
        self._name: str | None = None
        self._workflow_id = workflow_id
        self._workflow_run_id = workflow_run_id
        self._result_type = result_type
        self._known_outcome = known_outcome

    @property
    def id(self) -> str:
        """The update id."""
        return self._id

    @property
    def name(self) -> str:
        """The update's name (when this handle was made knowing it)."""
        if self._name is None:
            raise RuntimeError(f"Update name not known for update {self._id!r}")
        return self._name

    @property
    def workflow_id(self) -> str:
        """The workflow id."""
        return self._workflow_id

    @property
    def workflow_run_id(self) -> str | None:
        """The run the update was sent to, if known."""
        return self._workflow_run_id

    async def result(
        self,
        *,
        rpc_metadata: Mapping[str, str | bytes] = {},  # Temporal's default; never mutated
        rpc_timeout: timedelta | None = None,
    ) -> LocalReturnType:
        """Wait for the handler's result.

        Raises:
            WorkflowUpdateFailedError: The update was rejected or its handler failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: ``rpc_timeout`` passed, or the wait was cancelled.
            RPCError: The run closed before the update finished ("workflow execution already completed").
        """
        if self._known_outcome is None:
            request = api.PollWorkflowUpdateRequest(
                workflow_id=self._workflow_id, run_id=self._workflow_run_id, update_id=self._id
            )
            response = await _until(self._client, request, api.UpdateStage.COMPLETED, rpc_metadata, rpc_timeout)
            self._known_outcome = response.outcome
        return await _decode_outcome(self._client, self._known_outcome, self._result_type)  # type: ignore[no-any-return]  # decoded by hint


async def start_workflow_update(client: Client, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
    """Send the update and wait for ``wait_for_stage``; the chain's last link."""
    if input.wait_for_stage == WorkflowUpdateStage.ADMITTED:
        raise ValueError("ADMITTED wait stage not supported")
    update_id = input.update_id or str(uuid.uuid4())
    request = api.UpdateWorkflowRequest(
        workflow_id=input.id,
        run_id=input.run_id,
        first_execution_run_id=input.first_execution_run_id,
        update_id=update_id,
        name=input.update,
        args=await client.data_converter.encode(list(input.args)),
        header=dict(input.headers),
        identity=client.identity,
        wait_for_stage=_WIRE_STAGES[input.wait_for_stage],
    )
    wanted = _WIRE_STAGES[input.wait_for_stage]
    response = await _until(client, request, wanted, input.rpc_metadata, input.rpc_timeout)
    return await _handle(client, update_id, input.id, response, input.update, input.ret_type)


def wire_stage(stage: WorkflowUpdateStage) -> api.UpdateStage:
    """The wire's name of a stage."""
    return _WIRE_STAGES[stage]


class _UpdateInput(Protocol):
    update: str
    wait_for_stage: WorkflowUpdateStage
    ret_type: type | None


async def wait_for(
    client: Client,
    input: _UpdateInput,
    update_id: str,
    workflow_id: str,
    response: api.UpdateWorkflowResponse,
    rpc_metadata: Mapping[str, str | bytes],
    rpc_timeout: timedelta | None,
) -> WorkflowUpdateHandle[Any]:
    """The handle of an update already admitted (by update-with-start), once it reached
    the input's stage: polled for on the run the server named."""
    wanted = _WIRE_STAGES[input.wait_for_stage]
    if response.outcome is None and not _reached(response.stage, wanted):
        poll = api.PollWorkflowUpdateRequest(
            workflow_id=workflow_id, run_id=response.run_id, update_id=update_id, wait_for_stage=wanted
        )
        response = await _until(client, poll, wanted, rpc_metadata, rpc_timeout)
    return await _handle(client, update_id, workflow_id, response, input.update, input.ret_type)


async def _handle(
    client: Client,
    update_id: str,
    workflow_id: str,
    response: api.UpdateWorkflowResponse,
    name: str,
    ret_type: type | None,
) -> WorkflowUpdateHandle[Any]:
    handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(
        client,
        update_id,
        workflow_id,
        workflow_run_id=response.run_id,
        result_type=ret_type,
        known_outcome=response.outcome,
    )
    handle._name = name
    # A rejection completes the update at once; start_update raises it, as temporalio does.
    if response.outcome is not None and response.outcome.failure is not None:
        await handle.result()
    return handle


async def _until(
    client: Client,
    request: api.UpdateWorkflowRequest | api.PollWorkflowUpdateRequest,
    wanted: api.UpdateStage,
    rpc_metadata: Mapping[str, str | bytes],
    rpc_timeout: timedelta | None,
) -> api.UpdateWorkflowResponse:
    """Ask (the first call admits the update; repeats join it) until ``wanted`` is reached."""
    loop = asyncio.get_running_loop()
    deadline = None if rpc_timeout is None else loop.time() + rpc_timeout.total_seconds()
    try:
        while True:
            remaining = api.MAX_UPDATE_WAIT if deadline is None else deadline - loop.time()
            if remaining <= 0:
                raise WorkflowUpdateRPCTimeoutOrCancelledError()
            wait = min(remaining, api.DEFAULT_UPDATE_WAIT)
            call = request.model_copy(update={"wait": wait})
            options = _service.CallOptions(metadata=rpc_metadata, timeout=timedelta(seconds=wait + _HTTP_MARGIN))
            if isinstance(call, api.UpdateWorkflowRequest):
                response = await client.service_client.update_workflow(call, options)
            else:
                response = await client.service_client.poll_workflow_update(call, options)
            if response.outcome is not None or _reached(response.stage, wanted):
                return response
    except asyncio.CancelledError as e:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from e


def _reached(stage: api.UpdateStage, wanted: api.UpdateStage) -> bool:
    order = [api.UpdateStage.ADMITTED, api.UpdateStage.ACCEPTED, api.UpdateStage.COMPLETED]
    return order.index(stage) >= order.index(wanted)


async def _decode_outcome(client: Client, outcome: UpdateOutcome | None, result_type: type | None) -> Any:
    if outcome is None:
        raise RuntimeError("Update has no outcome")
    if outcome.failure is not None:
        raise WorkflowUpdateFailedError(await client.data_converter.decode_failure(outcome.failure))
    if not outcome.success:
        return None
    return (await client.data_converter.decode(outcome.success[:1], [result_type]))[0]
