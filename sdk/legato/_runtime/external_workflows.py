"""Handles on other runs from workflow code: ``workflow.get_external_workflow_handle``.

A signal is a SignalExternalWorkflowExecution command whose outcome history brings back:
ExternalWorkflowExecutionSignaled, or SignalExternalWorkflowExecutionFailed, which
temporalio raises as ApplicationError type ``ExternalWorkflowExecutionNotFound``. A cancel
request is the same round trip with RequestCancelExternalWorkflowExecution, answered by
ExternalWorkflowExecutionCancelRequested or RequestCancelExternalWorkflowExecutionFailed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from legato import _calls
from legato._runtime import definitions
from legato.api.command import v1 as cmd
from legato.exceptions import ApplicationError

_W = TypeVar("_W")

OUTCOME_EVENTS = (
    "ExternalWorkflowExecutionSignaled",
    "SignalExternalWorkflowExecutionFailed",
    "ExternalWorkflowExecutionCancelRequested",
    "RequestCancelExternalWorkflowExecutionFailed",
)
FAILED_EVENTS = ("SignalExternalWorkflowExecutionFailed", "RequestCancelExternalWorkflowExecutionFailed")

# What temporalio raises when the target does not exist (or is not the sender's child).
_NOT_FOUND = {
    "SignalExternalWorkflowExecutionFailed": "Unable to signal external workflow because it was not found",
    "RequestCancelExternalWorkflowExecutionFailed": "Unable to cancel external workflow because not found",
}


def not_found(failed_event_type: str) -> ApplicationError:
    """temporalio's error for a signal or cancel request whose target does not exist."""
    return ApplicationError(_NOT_FOUND[failed_event_type], type="ExternalWorkflowExecutionNotFound")


async def send_signal(
    workflow_id: str,
    run_id: str,
    signal: str,
    args: Sequence[Any],
    headers: dict[str, Any],
    *,
    child_only: bool = False,
) -> None:
    """Send a signal to another run and wait until the server delivered it (the end of
    the outbound chain's signal calls)."""
    from legato._runtime.instance import current_instance

    instance = current_instance()
    command = cmd.SignalExternalWorkflowExecution(
        workflow_id=workflow_id,
        run_id=run_id,
        signal_name=signal,
        input=instance.converter.payload_converter.to_payloads(list(args)),
        child_workflow_only=child_only,
        header=headers,
    )
    await instance.send_external(command)


async def send_cancel(workflow_id: str, run_id: str, reason: str) -> None:
    """Ask another run to cancel and wait until the server delivered the request; the
    reason names the asking run, in temporalio's words."""
    from legato._runtime.instance import current_instance

    instance = current_instance()
    command = cmd.RequestCancelExternalWorkflowExecution(
        workflow_id=workflow_id,
        run_id=run_id,
        reason=f"Cancel requested by workflow with run id {instance.run_id} with reason: {reason}",
    )
    await instance.send_external(command)


class ExternalWorkflowHandle(Generic[_W]):
    """Another run, by workflow id (and run id): signal it."""

    def __init__(self, workflow_id: str, run_id: str | None) -> None:
        """Initialize with the run's ids."""
        self._id, self._run_id = workflow_id, run_id

    @property
    def id(self) -> str:
        """The workflow id."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """The run id, or None for the id's latest run."""
        return self._run_id

    async def signal(
        self, signal: Any, arg: Any = _calls.UNSET, *, args: Sequence[Any] = [], event_groups: Any = None
    ) -> None:
        """Signal the run.

        Raises:
            ApplicationError: type ``ExternalWorkflowExecutionNotFound``: no such run is running.
        """
        from legato._runtime.instance import current_instance
        from legato._runtime.interceptor import SignalExternalWorkflowInput

        instance = current_instance()
        input = SignalExternalWorkflowInput(
            signal=definitions.signal_name(signal),
            args=_calls.arg_or_args(arg, args),
            namespace=instance.namespace,
            workflow_id=self._id,
            workflow_run_id=self._run_id,
            headers={},
            event_groups=event_groups,
        )
        await instance.outbound.signal_external_workflow(input)

    async def cancel(self, *, reason: str = "", event_groups: Any = None) -> None:
        """Ask the run to cancel; returns once the server recorded the request on it.

        Raises:
            ApplicationError: type ``ExternalWorkflowExecutionNotFound``: no such run is running.
        """
        await send_cancel(self._id, self._run_id or "", reason)


def get_external_workflow_handle(workflow_id: str, *, run_id: str | None = None) -> ExternalWorkflowHandle[Any]:
    """A handle on another run, by workflow id (its latest run) or run id."""
    return ExternalWorkflowHandle(workflow_id, run_id)


def get_external_workflow_handle_for(
    workflow: Any, workflow_id: str, *, run_id: str | None = None
) -> ExternalWorkflowHandle[Any]:
    """``get_external_workflow_handle``, typed by the workflow's run method."""
    return ExternalWorkflowHandle(workflow_id, run_id)


__all__ = ["ExternalWorkflowHandle", "get_external_workflow_handle", "get_external_workflow_handle_for"]
