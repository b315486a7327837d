"""Child workflows as a parent sees them: the start command, the handle, and resolution.

A child is two futures resolved by the parent's history: its start
(ChildWorkflowExecutionStarted, or StartChildWorkflowExecutionFailed, which temporalio
raises as WorkflowAlreadyStartedError) and its result (ChildWorkflowExecutionCompleted and
kin; a failure is a ChildWorkflowError whose cause is the child's failure, as temporalio
builds it). ``workflow.start_child_workflow`` returns the handle once the start resolves.

Cancelling the handle's task (or the parent's task awaiting it) acts by the child's
cancellation type, as temporalio's core does (checked on Temporal's dev server): ABANDON
resolves it as cancelled and leaves the child alone; TRY_CANCEL asks the child to cancel
and resolves at once; WAIT_CANCELLATION_COMPLETED and WAIT_CANCELLATION_REQUESTED ask and
wait for the child's close (core resolves the latter on the close too), so a child that
finishes anyway gives its result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from legato import _calls, exceptions
from legato._runtime.children import ChildWorkflowCancellationType
from legato.api.command import v1 as cmd
from legato.api.common.v1 import WorkflowExecution
from legato.api.history import v1 as hist
from legato.converter import DataConverter

_S = TypeVar("_S")
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
    cancel_requested: bool = False


class ChildWorkflowHandle(asyncio.Task[_T], Generic[_S, _T]):
    """A started child workflow: await it for its result; ``signal`` sends it a signal.
    Typed by the child's class and result, as temporalio's."""

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
        from legato._runtime import definitions
        from legato._runtime.instance import current_instance
        from legato._runtime.interceptor import SignalChildWorkflowInput

        input = SignalChildWorkflowInput(
            signal=definitions.signal_name(signal),
            args=_calls.arg_or_args(arg, args),
            child_workflow_id=self._child.command.workflow_id,
            headers={},
            event_groups=event_groups,
        )
        await current_instance().outbound.signal_child_workflow(input)


async def run_handle(state: ChildState) -> Any:
    """The body of a child's handle: wait for its result; a cancel acts by the cancellation type."""
    while True:
        try:
            return await asyncio.shield(state.result)
        except asyncio.CancelledError as e:
            if not state.result.done() and not state.cancel_requested:
                _cancel(state, reason_of(e))


def reason_of(e: asyncio.CancelledError) -> str:
    """Task.cancel(msg)'s message: the cancel request's reason, as in temporalio."""
    return e.args[0] if e.args and isinstance(e.args[0], str) else ""


def uncancel() -> None:
    """Clear the current task's cancel count once a cancel became the child's, so later
    awaits (and ``asyncio.timeout``) do not see it again, as temporalio does."""
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


def cancel_start(state: ChildState, reason: str) -> bool:
    """Cancel a child whose start has not resolved, as temporalio's core does. A start
    command not sent yet is dropped and the start fails; True then. A sent one is cancelled
    by the cancellation type (the request reaches the child once it runs): ABANDON and
    TRY_CANCEL fail the start at once, the WAIT types leave it to resolve."""
    from legato._runtime.instance import current_instance

    if state.cancel_requested:
        return False
    instance = current_instance()
    if instance.remove_unsent(state.command):
        state.cancel_requested = True
        error = _before_scheduled(state, reason, instance.converter)
        state.started.set_exception(error)
        state.result.set_exception(error)
        return True
    _cancel(state, reason)
    if state.result.done():
        state.started.set_exception(state.result.exception() or exceptions.CancelledError("Cancelled"))
    return False


def _cancel(state: ChildState, reason: str) -> None:
    from legato._runtime.instance import current_instance

    instance = current_instance()
    state.cancel_requested = True
    kind = state.cancellation_type
    if kind != ChildWorkflowCancellationType.ABANDON:
        command = cmd.RequestCancelExternalWorkflowExecution(
            workflow_id=state.command.workflow_id, run_id=state.run_id, child_workflow_only=True, reason=reason
        )
        # The outcome only matters through the child's own close: a child that closed
        # first fails the request, which is no error of the parent's.
        outcome = instance.external_outcome(command)
        outcome.add_done_callback(lambda f: f.cancelled() or f.exception())
    if kind in (ChildWorkflowCancellationType.ABANDON, ChildWorkflowCancellationType.TRY_CANCEL):
        state.result.set_exception(cancelled(state, instance.converter))


def cancelled(state: ChildState, converter: DataConverter) -> exceptions.ChildWorkflowError:
    """The ChildWorkflowError a child's handle resolves with when cancelled without waiting."""
    a = hist.ChildWorkflowExecutionCanceled(
        namespace=state.namespace,
        workflow_execution=WorkflowExecution(workflow_id=state.command.workflow_id, run_id=state.run_id),
        workflow_type=state.command.workflow_type,
        initiated_event_id=state.initiated_event_id or 0,
        started_event_id=state.started_event_id,
    )
    return _error(state, a, converter)


def _before_scheduled(state: ChildState, reason: str, converter: DataConverter) -> exceptions.ChildWorkflowError:
    """core's failure for a child cancelled before its start command was sent."""
    err = exceptions.ChildWorkflowError(
        f"Child Workflow Execution cancelled before scheduled: {reason}",
        namespace=state.namespace,
        workflow_id=state.command.workflow_id,
        run_id="",
        workflow_type=state.command.workflow_type,
        initiated_event_id=0,
        started_event_id=0,
        retry_state=exceptions.RetryState.NON_RETRYABLE_FAILURE,
    )
    err.__cause__ = exceptions.CancelledError("Cancelled")
    return err


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
        message, retry_state = "Child Workflow execution cancelled", "NON_RETRYABLE_FAILURE"
        cause = exceptions.CancelledError("Cancelled", *pc.from_payloads(a.details))
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
