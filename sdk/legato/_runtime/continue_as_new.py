"""Continue-as-new in a run: the error that carries the command, and building the command.

As in temporalio, ``workflow.continue_as_new`` raises ``ContinueAsNewError`` (a
``BaseException``, so ``except Exception`` in workflow code does not swallow it); when it
leaves the run method (or a signal handler) the instance closes the run with a
``ContinueAsNewWorkflowExecution`` command, and the server starts the next run in the
same transaction as the close.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from legato import _calls
from legato._runtime.interceptor import ContinueAsNewInput
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Payload
from legato.converter import _search_attributes as search_attribute_encoding

if TYPE_CHECKING:
    from legato._runtime.instance import WorkflowInstance


class ContinueAsNewError(BaseException):
    """Raised by ``workflow.continue_as_new``; let it leave the run method.

    Workflow code should not catch it: the run closes as continued-as-new when it
    propagates out of the run method or a signal handler.
    """

    def __init__(self, *args: object) -> None:
        """Temporal's signature; the command is attached by the outbound chain."""
        super().__init__(*args)
        self.command: cmd.ContinueAsNewWorkflowExecution | None = None


def error(instance: WorkflowInstance, input: ContinueAsNewInput) -> ContinueAsNewError:
    """The error to raise for ``input``, with its command."""
    _refuse_unsupported(input)
    converter = instance.converter.payload_converter
    e = ContinueAsNewError("Continue as new")
    e.command = cmd.ContinueAsNewWorkflowExecution(
        workflow_type=input.workflow or "",
        task_queue=input.task_queue or "",
        input=converter.to_payloads(list(input.args)),
        workflow_run_timeout=_calls.seconds(input.run_timeout),
        workflow_task_timeout=_calls.seconds(input.task_timeout),
        backoff_start_interval=_calls.seconds(input.backoff_start_interval),
        retry_policy=input.retry_policy.to_api() if input.retry_policy else None,
        memo=_payloads(input.memo or {}, converter),
        search_attributes=search_attribute_encoding.payloads_of(input.search_attributes),
    )
    return e


def _payloads(values: Mapping[str, Any], converter: Any) -> dict[str, Payload]:
    return {key: converter.to_payload(value) for key, value in values.items()}


def _refuse_unsupported(input: ContinueAsNewInput) -> None:
    if input.versioning_intent is not None:
        raise NotImplementedError("workflow.continue_as_new(versioning_intent=...) is not supported by Legato")
    if input.initial_versioning_behavior not in (None, 0):
        raise NotImplementedError(
            "workflow.continue_as_new(initial_versioning_behavior=...) is not supported by Legato"
        )
