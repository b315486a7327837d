"""Child workflows, as Temporal's server runs them: pure rules, no I/O.

The cross-run work goes through due-now timer rows (Temporal's transfer tasks), each fired
in a transaction that locks one existing run only: the parent's StartChildWorkflowExecution
arms CHILD_START on the parent, which starts the child and records ChildWorkflowExecutionStarted
(or StartChildWorkflowExecutionFailed); the child's close arms CHILD_CLOSED on the parent,
which records the close; the parent's close arms PARENT_CLOSED on each running child whose
policy is TERMINATE or REQUEST_CANCEL. A signal or cancel request to another run arms
SIGNAL_EXTERNAL or CANCEL_EXTERNAL, fired locking the target, whose outcome comes back to
the sender as a *_DONE row of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from legato.api.command import v1 as cmd
from legato.api.common.v1 import WorkflowExecution, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator.engine.rules import batch, start
from legato_operator.store import rows

# Temporal's reason and identity on a child terminated by its parent's close policy; the
# identity is also that of any cancel request one run sends another.
TERMINATED_BY_PARENT_REASON = "by parent close policy"
TERMINATED_BY_PARENT_IDENTITY = "history-service"
# The close policies the server acts on; ABANDON leaves the child alone.
_ACTING_POLICIES = ("TERMINATE", "REQUEST_CANCEL")
_CLOSE_EVENT = {
    "WorkflowExecutionCompleted": WorkflowExecutionStatus.COMPLETED,
    "WorkflowExecutionFailed": WorkflowExecutionStatus.FAILED,
    "WorkflowExecutionCanceled": WorkflowExecutionStatus.CANCELED,
    "WorkflowExecutionTimedOut": WorkflowExecutionStatus.TIMED_OUT,
    "WorkflowExecutionTerminated": WorkflowExecutionStatus.TERMINATED,
}


def initiated(b: batch.Batch, c: cmd.StartChildWorkflowExecution, completed_id: int) -> None:
    """StartChildWorkflowExecutionInitiated, and the due-now row that starts the child."""
    ex = b.execution
    initiated_id = b.append(
        wire.StartChildWorkflowExecutionInitiated(
            namespace=ex.namespace,
            workflow_id=c.workflow_id,
            workflow_type=c.workflow_type,
            task_queue=c.task_queue or ex.task_queue,
            input=c.input,
            workflow_execution_timeout=c.workflow_execution_timeout,
            workflow_run_timeout=c.workflow_run_timeout,
            workflow_task_timeout=c.workflow_task_timeout,
            parent_close_policy=c.parent_close_policy or "TERMINATE",
            workflow_id_reuse_policy=c.workflow_id_reuse_policy,
            retry_policy=c.retry_policy,
            header=c.header,
            memo=c.memo,
            search_attributes=c.search_attributes,
            cron_schedule=c.cron_schedule,
            workflow_task_completed_event_id=completed_id,
        )
    )
    b.arm(rows.TimerKind.CHILD_START, b.now, ref=initiated_id)


def request(a: wire.StartChildWorkflowExecutionInitiated) -> api.StartWorkflowRequest:
    """The start request a StartChildWorkflowExecutionInitiated stands for."""
    return api.StartWorkflowRequest(
        workflow_id=a.workflow_id,
        workflow_type=a.workflow_type,
        task_queue=a.task_queue,
        args=a.input,
        id_reuse_policy=api.IdReusePolicy(a.workflow_id_reuse_policy),
        execution_timeout=a.workflow_execution_timeout,
        run_timeout=a.workflow_run_timeout,
        task_timeout=a.workflow_task_timeout,
        retry_policy=a.retry_policy,
        header=a.header,
        memo=a.memo,
        search_attributes=a.search_attributes,
        cron_schedule=a.cron_schedule,
    )


def parent_of(parent: rows.Execution, initiated_id: int, a: wire.StartChildWorkflowExecutionInitiated) -> start.Parent:
    """The child's link to ``parent``; a top-level parent is its own tree's root."""
    return start.Parent(
        namespace=parent.namespace,
        workflow_id=parent.workflow_id,
        run_id=parent.run_id,
        initiated_event_id=initiated_id,
        close_policy=a.parent_close_policy,
        root_workflow_id=parent.root_workflow_id or parent.workflow_id,
        root_run_id=parent.root_run_id or parent.run_id,
    )


def started(
    parent: rows.Execution, initiated_id: int, a: wire.StartChildWorkflowExecutionInitiated, run_id: str, now: datetime
) -> batch.Batch:
    """ChildWorkflowExecutionStarted on the parent, delivered like any event from outside."""
    b = batch.Batch(execution=parent, now=now)
    b.deliver(
        wire.ChildWorkflowExecutionStarted(
            namespace=a.namespace,
            initiated_event_id=initiated_id,
            workflow_execution=WorkflowExecution(workflow_id=a.workflow_id, run_id=run_id),
            workflow_type=a.workflow_type,
            header=a.header,
        )
    )
    return b


def start_failed(
    parent: rows.Execution, initiated_id: int, a: wire.StartChildWorkflowExecutionInitiated, now: datetime
) -> batch.Batch:
    """StartChildWorkflowExecutionFailed on the parent: the id is already running (or may not be reused)."""
    b = batch.Batch(execution=parent, now=now)
    b.deliver(
        wire.StartChildWorkflowExecutionFailed(
            namespace=a.namespace,
            workflow_id=a.workflow_id,
            workflow_type=a.workflow_type,
            cause="WORKFLOW_ALREADY_EXISTS",
            initiated_event_id=initiated_id,
        )
    )
    return b


def closed_event(
    child: rows.Execution, close: wire.EventAttributes, initiated_id: int, started_id: int
) -> wire.EventAttributes | None:
    """The parent's event for its child's close event; None when the child's chain goes on."""
    common = {
        "namespace": child.namespace,
        "workflow_execution": WorkflowExecution(workflow_id=child.workflow_id, run_id=child.run_id),
        "workflow_type": child.workflow_type,
        "initiated_event_id": initiated_id,
        "started_event_id": started_id,
    }
    if isinstance(close, wire.WorkflowExecutionCompleted):
        return wire.ChildWorkflowExecutionCompleted(result=close.result, **common)
    if isinstance(close, wire.WorkflowExecutionFailed):
        return wire.ChildWorkflowExecutionFailed(failure=close.failure, retry_state=close.retry_state, **common)
    if isinstance(close, wire.WorkflowExecutionCanceled):
        return wire.ChildWorkflowExecutionCanceled(details=close.details, **common)
    if isinstance(close, wire.WorkflowExecutionTimedOut):
        return wire.ChildWorkflowExecutionTimedOut(retry_state=close.retry_state, **common)
    if isinstance(close, wire.WorkflowExecutionTerminated):
        return wire.ChildWorkflowExecutionTerminated(**common)
    return None


def child_closed(parent: rows.Execution, event: wire.EventAttributes, now: datetime) -> batch.Batch:
    """The child's close, delivered to its parent."""
    b = batch.Batch(execution=parent, now=now)
    b.deliver(event)
    return b


def close_transfers(closed: rows.Execution, children: list[rows.Execution], now: datetime) -> list[rows.NewTimer]:
    """The due-now rows a run's close arms: its close to its parent, its policy to its children."""
    new: list[rows.NewTimer] = []
    if closed.parent_run_id is not None and closed.parent_initiated_event_id is not None:
        new.append(
            rows.NewTimer(
                namespace=closed.namespace,
                run_id=closed.parent_run_id,
                kind=rows.TimerKind.CHILD_CLOSED,
                due_at=now,
                ref=closed.parent_initiated_event_id,
                timer_id=closed.run_id,
            )
        )
    for child in children:
        if child.parent_close_policy in _ACTING_POLICIES:
            new.append(
                rows.NewTimer(
                    namespace=child.namespace,
                    run_id=child.run_id,
                    kind=rows.TimerKind.PARENT_CLOSED,
                    due_at=now,
                    timer_id=child.parent_close_policy,
                )
            )
    return new


def lineage(ex: rows.Execution) -> tuple[WorkflowExecution | None, WorkflowExecution]:
    """A run's parent (None at the top) and root (itself at the top), as describe and list
    show them: Temporal gives a top-level run its own execution as root."""
    own = WorkflowExecution(workflow_id=ex.workflow_id, run_id=ex.run_id)
    parent = None
    if ex.parent_workflow_id is not None and ex.parent_run_id is not None:
        parent = WorkflowExecution(workflow_id=ex.parent_workflow_id, run_id=ex.parent_run_id)
    if ex.root_workflow_id is None or ex.root_run_id is None:
        return parent, own
    return parent, WorkflowExecution(workflow_id=ex.root_workflow_id, run_id=ex.root_run_id)


def pending(running: list[rows.Execution]) -> list[api.PendingChildExecution]:
    """A run's running children as describe shows them, in the order the parent started them."""
    ordered = sorted(running, key=lambda c: (c.parent_initiated_event_id or 0, c.start_time))
    return [
        api.PendingChildExecution(
            workflow_id=c.workflow_id,
            run_id=c.run_id,
            workflow_type_name=c.workflow_type,
            initiated_id=c.parent_initiated_event_id or 0,
            parent_close_policy=c.parent_close_policy or "TERMINATE",
        )
        for c in ordered
    ]


# --- signals and cancel requests to other runs (workflow.get_external_workflow_handle) ---

NOT_FOUND = "EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND"


def reaches(sender: rows.Execution, target: rows.Execution | None, child_workflow_only: bool) -> bool:
    """Whether a signal or cancel request from ``sender`` may be delivered to ``target``:
    it is running, and is the sender's child when the command says children only."""
    if target is None or target.status != WorkflowExecutionStatus.RUNNING:
        return False
    return not child_workflow_only or target.parent_run_id == sender.run_id


def outcome_row(sender: rows.Timer, kind: rows.TimerKind, delivered: bool, now: datetime) -> rows.NewTimer:
    """The due-now row that takes a sent signal's or cancel request's outcome back to its sender."""
    return rows.NewTimer(
        namespace=sender.namespace,
        run_id=sender.run_id,
        kind=kind,
        due_at=now,
        ref=sender.ref,
        timer_id="" if delivered else NOT_FOUND,
    )


def signal_initiated(b: batch.Batch, c: cmd.SignalExternalWorkflowExecution, completed_id: int) -> None:
    """SignalExternalWorkflowExecutionInitiated, and the due-now row that delivers the signal."""
    initiated_id = b.append(
        wire.SignalExternalWorkflowExecutionInitiated(
            namespace=b.execution.namespace,
            workflow_execution=WorkflowExecution(workflow_id=c.workflow_id, run_id=c.run_id),
            signal_name=c.signal_name,
            input=c.input,
            child_workflow_only=c.child_workflow_only,
            header=c.header,
            workflow_task_completed_event_id=completed_id,
        )
    )
    b.arm(rows.TimerKind.SIGNAL_EXTERNAL, b.now, ref=initiated_id)


def external_done(
    sender: rows.Execution,
    initiated_id: int,
    a: wire.SignalExternalWorkflowExecutionInitiated | wire.RequestCancelExternalWorkflowExecutionInitiated,
    cause: str,
    now: datetime,
) -> batch.Batch:
    """The outcome of a sent signal or cancel request on its sender: delivered, or failed with ``cause``."""
    common: dict[str, Any] = {
        "namespace": a.namespace,
        "workflow_execution": a.workflow_execution,
        "initiated_event_id": initiated_id,
    }
    event: wire.EventAttributes
    if isinstance(a, wire.SignalExternalWorkflowExecutionInitiated):
        event = (
            wire.SignalExternalWorkflowExecutionFailed(cause=cause, **common)
            if cause
            else wire.ExternalWorkflowExecutionSignaled(**common)
        )
    else:
        event = (
            wire.RequestCancelExternalWorkflowExecutionFailed(cause=cause, **common)
            if cause
            else wire.ExternalWorkflowExecutionCancelRequested(**common)
        )
    b = batch.Batch(execution=sender, now=now)
    b.deliver(event)
    return b


def cancel_initiated(b: batch.Batch, c: cmd.RequestCancelExternalWorkflowExecution, completed_id: int) -> None:
    """RequestCancelExternalWorkflowExecutionInitiated, and the due-now row that delivers it."""
    initiated_id = b.append(
        wire.RequestCancelExternalWorkflowExecutionInitiated(
            namespace=b.execution.namespace,
            workflow_execution=WorkflowExecution(workflow_id=c.workflow_id, run_id=c.run_id),
            child_workflow_only=c.child_workflow_only,
            reason=c.reason,
            workflow_task_completed_event_id=completed_id,
        )
    )
    b.arm(rows.TimerKind.CANCEL_EXTERNAL, b.now, ref=initiated_id)
