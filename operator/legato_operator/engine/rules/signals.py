"""Signals and cancel requests: sent from outside the workflow's code and delivered to it,
buffered behind an in-flight workflow task. Both need a running run."""

from __future__ import annotations

from datetime import datetime

from legato.api.common.v1 import Header, Payloads, WorkflowExecution, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator import errors
from legato_operator.engine.rules import batch
from legato_operator.store import rows

_RUNNING = WorkflowExecutionStatus.RUNNING


def require_running(execution: rows.Execution) -> None:
    """NotFound (as Temporal answers) when the run has already closed."""
    if execution.status != _RUNNING:
        raise errors.NotFound(
            f"Workflow '{execution.workflow_id}' (run {execution.run_id}) already closed ({execution.status})",
            workflow_id=execution.workflow_id,
            run_id=execution.run_id,
        )


def signal(
    execution: rows.Execution, name: str, args: Payloads, identity: str, now: datetime, header: Header | None = None
) -> batch.Batch:
    """WorkflowExecutionSignaled, for the workflow's next task."""
    require_running(execution)
    b = batch.Batch(execution=execution, now=now)
    b.deliver(wire.WorkflowExecutionSignaled(signal_name=name, input=args, identity=identity, header=header or {}))
    return b


def request_cancel(
    execution: rows.Execution,
    reason: str,
    identity: str,
    now: datetime,
    *,
    external: WorkflowExecution | None = None,
    external_initiated_event_id: int = 0,
) -> batch.Batch:
    """WorkflowExecutionCancelRequested, once: a repeated request changes nothing.
    ``external`` is the run that asked (another workflow, or a closing parent's policy)."""
    require_running(execution)
    b = batch.Batch(execution=execution, now=now)
    if not execution.cancel_requested:
        b.update(cancel_requested=True)
        b.deliver(
            wire.WorkflowExecutionCancelRequested(
                cause=reason,
                identity=identity,
                external_workflow_execution=external,
                external_initiated_event_id=external_initiated_event_id,
            )
        )
    return b
