"""Handles on other runs from workflow code: ``workflow.get_external_workflow_handle``.

A signal is a SignalExternalWorkflowExecution command whose outcome history brings back:
ExternalWorkflowExecutionSignaled, or SignalExternalWorkflowExecutionFailed, which
temporalio raises as ApplicationError type ``ExternalWorkflowExecutionNotFound``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from legato import _calls
from legato._runtime import definitions
from legato.api.command import v1 as cmd
from legato.exceptions import ApplicationError

_W = TypeVar("_W")

OUTCOME_EVENTS = ("ExternalWorkflowExecutionSignaled", "SignalExternalWorkflowExecutionFailed")


def not_found() -> ApplicationError:
    """What temporalio raises for a signal whose target does not exist."""
    return ApplicationError(
        "Unable to signal external workflow because it was not found", type="ExternalWorkflowExecutionNotFound"
    )


async def send_signal(
    workflow_id: str, run_id: str, signal: Any, arg: Any, args: Sequence[Any], *, child_only: bool = False
) -> None:
    """Send a signal to another run and wait until the server delivered it."""
    from legato._runtime.instance import current_instance

    instance = current_instance()
    command = cmd.SignalExternalWorkflowExecution(
        workflow_id=workflow_id,
        run_id=run_id,
        signal_name=definitions.signal_name(signal),
        input=instance.converter.payload_converter.to_payloads(_calls.arg_or_args(arg, args)),
        child_workflow_only=child_only,
    )
    await instance.signal_external(command)


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
        await send_signal(self._id, self._run_id or "", signal, arg, args)

    async def cancel(self, *, reason: str = "", event_groups: Any = None) -> None:
        """Not supported yet."""
        raise NotImplementedError("cancelling an external workflow is not supported yet")


def get_external_workflow_handle(workflow_id: str, *, run_id: str | None = None) -> ExternalWorkflowHandle[Any]:
    """A handle on another run, by workflow id (its latest run) or run id."""
    return ExternalWorkflowHandle(workflow_id, run_id)


def get_external_workflow_handle_for(
    workflow: Any, workflow_id: str, *, run_id: str | None = None
) -> ExternalWorkflowHandle[Any]:
    """``get_external_workflow_handle``, typed by the workflow's run method."""
    return ExternalWorkflowHandle(workflow_id, run_id)


__all__ = ["ExternalWorkflowHandle", "get_external_workflow_handle", "get_external_workflow_handle_for"]
