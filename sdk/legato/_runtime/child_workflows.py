"""Child workflows as a parent sees them: the start command, the handle, and resolution.

A child is two futures resolved by the parent's history: its start
(ChildWorkflowExecutionStarted, or StartChildWorkflowExecutionFailed, which temporalio
raises as WorkflowAlreadyStartedError) and its result (ChildWorkflowExecutionCompleted and
kin; a failure is a ChildWorkflowError whose cause is the child's failure, as temporalio
builds it). ``workflow.start_child_workflow`` returns the handle once the start resolves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from legato import _calls, exceptions
from legato._runtime.children import ChildWorkflowCancellationType
from legato.api.command import v1 as cmd
from legato.api.history import v1 as hist
from legato.converter import DataConverter

_T = TypeVar("_T")

# The child events that resolve a child's start or its result, by type name.
START_EVENTS = ("ChildWorkflowExecutionStarted", "StartChildWorkflowExecutionFailed")
CLOSE_EVENTS = (
    "ChildWorkflowExecutionCompleted",
    "ChildWorkflowExecutionFailed",
    "ChildWorkflowExecutionCanceled",
    "ChildWorkflowExecutionTimedOut",
    "ChildWorkflowExecutionTerminated",
)


@dataclass(eq=False)
class ChildState:
    """What the instance tracks about one child it started."""

    command: cmd.StartChildWorkflowExecution
    result_type: Any
    cancellation_type: ChildWorkflowCancellationType
    started: asyncio.Future[str]
    result: asyncio.Future[Any]
    namespace: str
    initiated_event_id: int | None = None
    started_event_id: int = 0
    run_id: str = ""


class ChildWorkflowHandle(asyncio.Task[_T], Generic[_T]):
    """A started child workflow: await it for its result; ``signal`` sends it a signal."""

    _child: ChildState

    @property
    def id(self) -> str:
        """The child's workflow id."""
        return self._child.command.workflow_id

    @property
    def first_execution_run_id(self) -> str | None:
        """The child's first run id (known once it started)."""
        return self._child.run_id or None

    async def signal(
        self, signal: Any, arg: Any = _calls.UNSET, *, args: Sequence[Any] = [], event_groups: Any = None
    ) -> None:
        """Signal the child (a SignalExternalWorkflowExecution for its id, children only)."""
        from legato._runtime import external_workflows

        await external_workflows.send_signal(self._child.command.workflow_id, "", signal, arg, args, child_only=True)


async def run_handle(state: ChildState) -> Any:
    """The body of a child's handle: wait for its result."""
    return await asyncio.shield(state.result)


def resolve_start(state: ChildState, event: hist.HistoryEvent) -> None:
    """Resolve a child's start from ChildWorkflowExecutionStarted or StartChildWorkflowExecutionFailed."""
    a = event.attributes
    if state.started.done():
        return
    if isinstance(a, hist.ChildWorkflowExecutionStarted):
        state.run_id = a.workflow_execution.run_id
        state.started_event_id = event.event_id
        state.started.set_result(state.run_id)
        return
    assert isinstance(a, hist.StartChildWorkflowExecutionFailed)
    error = exceptions.WorkflowAlreadyStartedError(a.workflow_id, a.workflow_type)
    state.started.set_exception(error)
    state.result.set_exception(error)


def resolve_close(state: ChildState, event: hist.HistoryEvent, converter: DataConverter) -> None:
    """Resolve a child's result from the parent's event for its close."""
    a = event.attributes
    if state.result.done():
        return
    if isinstance(a, hist.ChildWorkflowExecutionCompleted):
        try:
            pc = converter.payload_converter
            value = None if a.result is None else pc.from_payload(a.result, state.result_type)
        except Exception as e:
            state.result.set_exception(e)
        else:
            state.result.set_result(value)
        return
    state.result.set_exception(_error(state, a, converter))


def _error(state: ChildState, a: Any, converter: DataConverter) -> exceptions.ChildWorkflowError:
    """temporalio's ChildWorkflowError, with the child's close as its cause."""
    pc = converter.payload_converter
    cause: BaseException
    if isinstance(a, hist.ChildWorkflowExecutionFailed):
        message, retry_state = "Child Workflow execution failed", a.retry_state.name
        cause = converter.failure_converter.from_failure(a.failure, pc)
    elif isinstance(a, hist.ChildWorkflowExecutionCanceled):
        message, retry_state = "Child Workflow execution cancelled", "CANCEL_REQUESTED"
        cause = exceptions.CancelledError(message, *pc.from_payloads(a.details))
    elif isinstance(a, hist.ChildWorkflowExecutionTimedOut):
        message, retry_state = "Child Workflow execution timed out", a.retry_state.name
        cause = exceptions.TimeoutError(message, type=exceptions.TimeoutType.START_TO_CLOSE, last_heartbeat_details=[])
    else:
        message, retry_state = "Child Workflow execution terminated", "NON_RETRYABLE_FAILURE"
        cause = exceptions.TerminatedError(message)
    err = exceptions.ChildWorkflowError(
        message,
        namespace=state.namespace,
        workflow_id=a.workflow_execution.workflow_id,
        run_id=a.workflow_execution.run_id,
        workflow_type=a.workflow_type,
        initiated_event_id=a.initiated_event_id,
        started_event_id=a.started_event_id,
        retry_state=exceptions.RetryState[retry_state],
    )
    err.__cause__ = cause
    return err
