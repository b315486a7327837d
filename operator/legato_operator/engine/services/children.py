"""Child workflows across runs: the transfers the timer loop fires, and what a close arms.

Each transfer row belongs to one run and fires in the timer loop's transaction, which has
locked that run only; the other run is read (its committed history) or inserted (a new
child), never locked, so two runs' locks are never held together.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from legato.api.common.v1 import WorkflowExecution
from legato.api.history import v1 as wire
from legato_operator import errors
from legato_operator.engine.rules import batch, children, keys, signals, start, termination
from legato_operator.engine.services import runner, workflows, writer
from legato_operator.store import executions, history, rows, timers


async def start_child(tx: runner.Tx, parent: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch:
    """Start the child the parent's StartChildWorkflowExecutionInitiated asks for; the
    parent's batch records ChildWorkflowExecutionStarted, or the start's failure."""
    initiated_id = int(timer.ref)
    event = await history.event(tx.conn, parent.run_id, initiated_id)
    assert event is not None, "a child start row names its parent's initiated event"
    assert isinstance(event.attributes, wire.StartChildWorkflowExecutionInitiated)
    a = event.attributes
    request = children.request(a)
    latest = await executions.latest(tx.conn, parent.namespace, a.workflow_id)
    try:
        start.decide(request, latest)
    except errors.AlreadyStarted:
        return children.start_failed(parent, initiated_id, a, now)
    child = start.new_run(parent.namespace, request, now, parent=children.parent_of(parent, initiated_id, a))
    await writer.write(tx, child, new_run=True)
    return children.started(parent, initiated_id, a, child.execution.run_id, now)


async def child_closed(tx: runner.Tx, parent: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch | None:
    """Deliver a child's close (read from its committed history) to the parent."""
    child = await executions.load(tx.conn, timer.timer_id or "")
    close = None if child is None else await history.last(tx.conn, child.run_id)
    if child is None or close is None:
        return None
    initiated_id = int(timer.ref)
    started_id = await history.child_started_id(tx.conn, parent.run_id, initiated_id)
    event = children.closed_event(child, close.attributes, initiated_id, started_id)
    return None if event is None else children.child_closed(parent, event, now)


async def parent_closed(tx: runner.Tx, child: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch:
    """Apply the parent close policy (the row's timer_id) to a running child: terminate it,
    or ask it to cancel, naming its parent as the run that asked (no reason: Temporal's)."""
    reason, identity = children.TERMINATED_BY_PARENT_REASON, children.TERMINATED_BY_PARENT_IDENTITY
    if timer.timer_id == "REQUEST_CANCEL":
        parent, _ = children.lineage(child)
        return signals.request_cancel(child, "", identity, now, external=parent)
    buffered = await history.buffered(tx.conn, child)
    return termination.terminate(child, buffered, reason, identity, now)


async def deliver_external(rt: runner.Runtime, tx: runner.Tx, timer: rows.Timer) -> None:
    """Deliver a signal or cancel request another run sent, locking the target only; the
    outcome goes back to the sender as a due-now row of its own."""
    event = await history.event(tx.conn, timer.run_id, int(timer.ref))
    assert event is not None, "an external row names its sender's initiated event"
    a = event.attributes
    assert isinstance(a, _SENT)
    target = a.workflow_execution
    sender = await executions.load(tx.conn, timer.run_id)
    # A child cancelled before it started: the request waits for the start, as the child
    # it names is the one about to run. Asked before the target is looked up: each
    # statement reads what is committed when it runs, and the start commits its row's
    # removal with the child, so a start seen pending here is not yet a child below.
    if sender is not None and await _child_starting(tx, sender, a):
        await timers.postpone(tx.conn, timer.id, rt.clock.now() + _WAIT_FOR_START)
        return
    try:
        ex = await workflows.resolve(tx.conn, timer.namespace, target.workflow_id, target.run_id or None, lock=True)
    except errors.NotFound:
        ex = None
    delivered = sender is not None and children.reaches(sender, ex, a.child_workflow_only)
    if await timers.take(tx.conn, timer.id) is None or sender is None:
        return
    if ex is not None and delivered:
        await writer.write(tx, _delivery(ex, sender, int(timer.ref), a, rt.clock.now()))
    done_kind = _DONE[timer.kind]
    await timers.insert(tx.conn, [children.outcome_row(timer, done_kind, delivered, rt.clock.now())])
    await tx.notify({keys.TIMERS})


async def _child_starting(
    tx: runner.Tx,
    sender: rows.Execution,
    a: wire.SignalExternalWorkflowExecutionInitiated | wire.RequestCancelExternalWorkflowExecutionInitiated,
) -> bool:
    """Whether a request to a child by id alone finds the sender's start of that child pending."""
    if not a.child_workflow_only or a.workflow_execution.run_id:
        return False
    for initiated_id in await timers.refs(tx.conn, sender.run_id, rows.TimerKind.CHILD_START):
        event = await history.event(tx.conn, sender.run_id, initiated_id)
        started = None if event is None else event.attributes
        if isinstance(started, wire.StartChildWorkflowExecutionInitiated) and (
            started.workflow_id == a.workflow_execution.workflow_id
        ):
            return True
    return False


# How long a request to a child not started yet waits before it looks again.
_WAIT_FOR_START = timedelta(milliseconds=200)
_SENT = (wire.SignalExternalWorkflowExecutionInitiated, wire.RequestCancelExternalWorkflowExecutionInitiated)
_DONE = {
    rows.TimerKind.SIGNAL_EXTERNAL: rows.TimerKind.SIGNAL_EXTERNAL_DONE,
    rows.TimerKind.CANCEL_EXTERNAL: rows.TimerKind.CANCEL_EXTERNAL_DONE,
}


def _delivery(
    target: rows.Execution,
    sender: rows.Execution,
    initiated_id: int,
    a: wire.SignalExternalWorkflowExecutionInitiated | wire.RequestCancelExternalWorkflowExecutionInitiated,
    now: datetime,
) -> batch.Batch:
    if isinstance(a, wire.SignalExternalWorkflowExecutionInitiated):
        return signals.signal(target, a.signal_name, a.input, "", now, a.header)
    sent_by = WorkflowExecution(workflow_id=sender.workflow_id, run_id=sender.run_id)
    identity = children.TERMINATED_BY_PARENT_IDENTITY
    return signals.request_cancel(
        target, a.reason, identity, now, external=sent_by, external_initiated_event_id=initiated_id
    )


async def external_done(tx: runner.Tx, sender: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch:
    """Record a sent signal's or cancel request's outcome on its sender."""
    initiated_id = int(timer.ref)
    event = await history.event(tx.conn, sender.run_id, initiated_id)
    assert event is not None, "an outcome row names its sender's initiated event"
    a = event.attributes
    assert isinstance(a, _SENT)
    return children.external_done(sender, initiated_id, a, timer.timer_id or "", now)
