"""Changes from outside the workflow's code: signals, cancel requests, termination and the
execution timeout. Signals and cancel requests are delivered to the workflow (buffered
behind an in-flight task); termination and the timeout close the run at once."""

from __future__ import annotations

from datetime import datetime

from legato.api import history as wire
from legato.api.common import Failure, FailureKind, Payloads, WorkflowExecutionStatus
from legato_operator import errors
from legato_operator.engine import batch
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


def signal(execution: rows.Execution, name: str, args: Payloads, identity: str, now: datetime) -> batch.Batch:
    """WorkflowExecutionSignaled, for the workflow's next task."""
    require_running(execution)
    b = batch.Batch(execution=execution, now=now)
    b.deliver(wire.WorkflowExecutionSignaled(signal_name=name, input=args, identity=identity))
    return b


def timer_fired(execution: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch:
    """TimerFired for a user timer whose row the timer loop just took."""
    b = batch.Batch(execution=execution, now=now)
    b.deliver(wire.TimerFired(timer_id=timer.timer_id or "", started_event_id=int(timer.ref)))
    return b


def request_cancel(execution: rows.Execution, reason: str, identity: str, now: datetime) -> batch.Batch:
    """WorkflowExecutionCancelRequested, once: a repeated request changes nothing."""
    require_running(execution)
    b = batch.Batch(execution=execution, now=now)
    if not execution.cancel_requested:
        b.update(cancel_requested=True)
        b.deliver(wire.WorkflowExecutionCancelRequested(cause=reason, identity=identity))
    return b


def terminate(
    execution: rows.Execution, buffered: list[wire.EventAttributes], reason: str, identity: str, now: datetime
) -> batch.Batch:
    """WorkflowExecutionTerminated: the run closes now, whatever its code is doing."""
    require_running(execution)
    b = _force_close(execution, buffered, now)
    b.append(wire.WorkflowExecutionTerminated(reason=reason, identity=identity))
    failure = Failure(message=reason or "Workflow terminated", kind=FailureKind.TERMINATED, source="server")
    b.close(WorkflowExecutionStatus.TERMINATED, failure=failure)
    return b


def execution_timed_out(
    execution: rows.Execution, buffered: list[wire.EventAttributes], now: datetime
) -> batch.Batch | None:
    """WorkflowExecutionTimedOut when the execution timeout fires on a running run."""
    if execution.status != _RUNNING:
        return None
    b = _force_close(execution, buffered, now)
    b.append(wire.WorkflowExecutionTimedOut())
    failure = Failure(message="Workflow execution timed out", kind=FailureKind.TIMEOUT, source="server")
    b.close(WorkflowExecutionStatus.TIMED_OUT, failure=failure)
    return b


def _force_close(execution: rows.Execution, buffered: list[wire.EventAttributes], now: datetime) -> batch.Batch:
    b = batch.Batch(execution=execution, now=now)
    # A worker holds a task: it is failed, so the history says how that task ended.
    if execution.wft_started_id:
        b.append(
            wire.WorkflowTaskFailed(
                scheduled_event_id=execution.wft_scheduled_id,
                started_event_id=execution.wft_started_id,
                cause="FORCE_CLOSE_COMMAND",
            )
        )
        b.update(wft_started_id=0)
    if buffered:
        b.flush(buffered)
    return b
