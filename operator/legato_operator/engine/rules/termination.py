"""Closing a run without its code's say: termination, and the execution timeout firing.

Both close the run at once; a workflow task a worker holds is recorded as failed
(``FORCE_CLOSE_COMMAND``) first, and buffered events are appended, so the history says
how everything ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from legato.api.common.v1 import Failure, FailureKind, Payload, RetryState, TimeoutType, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato_operator.engine.rules import batch, chains, signals
from legato_operator.store import rows


def terminate(
    execution: rows.Execution,
    buffered: list[wire.EventAttributes],
    reason: str,
    identity: str,
    now: datetime,
    details: Sequence[Payload] = (),
) -> batch.Batch:
    """WorkflowExecutionTerminated: the run closes now, whatever its code is doing; the
    caller's details (payloads, as they came) go into the event and the run's failure."""
    signals.require_running(execution)
    b = _force_close(execution, buffered, now)
    b.append(wire.WorkflowExecutionTerminated(reason=reason, details=list(details), identity=identity))
    failure = Failure(
        message=reason or "Workflow terminated", kind=FailureKind.TERMINATED, source="server", details=list(details)
    )
    b.close(WorkflowExecutionStatus.TERMINATED, failure=failure)
    return b


# What a run retried after its run timeout is told of it (workflow.get_last_failure()), as Temporal's.
RUN_TIMED_OUT = Failure(
    message="workflow timeout", kind=FailureKind.TIMEOUT, source="Server", timeout_type=TimeoutType.START_TO_CLOSE
)


def execution_timed_out(
    execution: rows.Execution,
    buffered: list[wire.EventAttributes],
    now: datetime,
    started: wire.WorkflowExecutionStarted | None = None,
) -> batch.Batch | None:
    """WorkflowExecutionTimedOut when the execution (or run) timeout fires on a running
    run; a run timeout is retried by the run's retry policy (``started`` holds it)."""
    if execution.status != WorkflowExecutionStatus.RUNNING:
        return None
    b = _force_close(execution, buffered, now)
    # --- chains of runs: only the run's own limit is retried, never the chain's deadline ---
    decision = chains.retry_decision(execution, started, None, now)
    new_run_id = None
    own_limit = started is not None and chains.is_run_timeout(started, now)
    if started is not None and decision.delay is not None and own_limit:
        new_run_id = chains.start_retry(b, started, decision.delay, RUN_TIMED_OUT)
    elif started is not None and own_limit and started.cron_schedule:
        new_run_id = chains.start_cron(b, started, result=None, failure=RUN_TIMED_OUT)
    state = RetryState.IN_PROGRESS if new_run_id else RetryState.TIMEOUT
    b.append(wire.WorkflowExecutionTimedOut(retry_state=state, new_execution_run_id=new_run_id))
    failure = Failure(message="Workflow execution timed out", kind=FailureKind.TIMEOUT, source="server")
    b.close(WorkflowExecutionStatus.TIMED_OUT, failure=failure)
    return b


def _force_close(execution: rows.Execution, buffered: list[wire.EventAttributes], now: datetime) -> batch.Batch:
    b = batch.Batch(execution=execution, now=now)
    # A worker holds a task: it is failed, so the history says how that task ended (a
    # transient attempt left no events to end).
    if execution.wft_started_id and execution.wft_scheduled_id != batch.TRANSIENT:
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
