"""What clients call: start, describe, result, history, signal, cancel, terminate.

Each call is one transaction (``Runtime.run``); the rules of ``start``, ``signals`` and
``termination`` decide, ``writer`` writes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from typing import Any, TypeVar

from legato.api.common.v1 import Failure, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import children, keys, memo, search_attributes, signals, start, termination
from legato_operator.engine.services import namespaces, runner, wakeup, writer
from legato_operator.store import db, executions, history, rows, tasks

StartT = TypeVar("StartT", bound=api.StartWorkflowRequest)
# Event ids are Postgres integers.
MAX_EVENT_ID = 2**31 - 1
# A waiting result call re-reads the run at least this often, in case a wake-up was lost.
RECHECK_SECONDS = 5.0
# How often a history read with a wait looks for new events.
HISTORY_POLL_SECONDS = 0.1
_RUNNING = WorkflowExecutionStatus.RUNNING
_PENDING_STATE = {
    rows.TaskState.READY: "SCHEDULED",
    rows.TaskState.STARTED: "STARTED",
    rows.TaskState.BACKOFF: "BACKOFF",
}


async def start_workflow(
    rt: runner.Runtime, namespace: str, request: api.StartWorkflowRequest
) -> api.StartWorkflowResponse:
    """Start a run, or answer with the one the id already has (per the request's policies)."""

    async def change(tx: runner.Tx) -> api.StartWorkflowResponse:
        return await start_in(rt, tx, namespace, request)

    # A concurrent start of the same id violates the one-running-run index: the retry sees it.
    return await rt.run("start_workflow", change)


async def start_in(
    rt: runner.Runtime, tx: runner.Tx, namespace: str, request: api.StartWorkflowRequest
) -> api.StartWorkflowResponse:
    """``start_workflow`` inside the caller's transaction (a Workflow resource records its
    link to the run in the same one)."""
    latest = await executions.latest(tx.conn, namespace, request.workflow_id)
    decision = start.decide(request, latest)
    if isinstance(decision, start.Existing):
        return api.StartWorkflowResponse(run_id=decision.run_id, started=False)
    if isinstance(decision, start.TerminateFirst):
        await _terminate_for_start(rt, tx, decision.run_id)
    request = await checked_search_attributes(tx, namespace, request)
    b = start.new_run(namespace, request, rt.clock.now())
    await writer.write(tx, b, new_run=True)
    return api.StartWorkflowResponse(run_id=b.execution.run_id, started=True)


async def checked_search_attributes(tx: runner.Tx, namespace: str, request: StartT) -> StartT:
    """The request with its search attributes checked against the namespace's registered
    ones (read only when it sets some)."""
    if not request.search_attributes:
        return request
    registered = await namespaces.registered(tx.conn, namespace)
    checked = search_attributes.checked(namespace, registered, request.search_attributes)
    return request.model_copy(update={"search_attributes": checked})


async def _terminate_for_start(rt: runner.Runtime, tx: runner.Tx, run_id: str) -> None:
    # TERMINATE_EXISTING: the running run ends in the transaction that starts its successor.
    ex = await executions.load(tx.conn, run_id, lock=True)
    assert ex is not None, "the id's latest run was just read"
    buffered = await history.buffered(tx.conn, ex)
    reason, identity = start.TERMINATED_BY_START_REASON, start.TERMINATED_BY_START_IDENTITY
    await writer.write(tx, termination.terminate(ex, buffered, reason, identity, rt.clock.now()))


async def signal_with_start_workflow(
    rt: runner.Runtime, namespace: str, request: api.SignalWithStartWorkflowRequest
) -> api.StartWorkflowResponse:
    """Signal the id's running run, or start one with the signal delivered first; one transaction."""

    async def change(tx: runner.Tx) -> api.StartWorkflowResponse:
        latest = await executions.latest(tx.conn, namespace, request.workflow_id, lock=True)
        decision = start.decide(request, latest, signal=True)
        # Signal-with-start signals the running run even when the request id repeats.
        if isinstance(decision, start.Existing) and latest is not None and latest.status == _RUNNING:
            await _signal_existing(rt, tx, latest, request)
            return api.StartWorkflowResponse(run_id=latest.run_id, started=False)
        if isinstance(decision, start.Existing):
            return api.StartWorkflowResponse(run_id=decision.run_id, started=False)
        if isinstance(decision, start.TerminateFirst):
            await _terminate_for_start(rt, tx, decision.run_id)
        signal = wire.WorkflowExecutionSignaled(
            signal_name=request.signal_name, input=request.signal_args, identity=request.identity
        )
        checked = await checked_search_attributes(tx, namespace, request)
        b = start.new_run(namespace, checked, rt.clock.now(), signal=signal)
        await writer.write(tx, b, new_run=True)
        return api.StartWorkflowResponse(run_id=b.execution.run_id, started=True)

    return await rt.run("signal_with_start_workflow", change)


async def _signal_existing(
    rt: runner.Runtime, tx: runner.Tx, ex: rows.Execution, request: api.SignalWithStartWorkflowRequest
) -> None:
    if request.request_id and not await executions.remember_signal(tx.conn, ex.run_id, request.request_id):
        return
    b = signals.signal(ex, request.signal_name, request.signal_args, request.identity, rt.clock.now())
    await writer.write(tx, b)


def _check_run_id(run_id: str) -> None:
    try:
        uuid.UUID(run_id)
    except ValueError:
        raise errors.InvalidArgument("run_id", f"run_id '{run_id}' is not a UUID") from None


async def resolve(
    conn: db.Connection, namespace: str, workflow_id: str, run_id: str | None, *, lock: bool = False
) -> rows.Execution:
    """The run named by (workflow id, run id), or the id's latest run; NotFound otherwise."""
    if run_id:
        _check_run_id(run_id)
        found = await executions.find(conn, namespace, workflow_id, run_id)
        if found is not None and lock:
            found = await executions.load(conn, run_id, lock=True)
    else:
        found = await executions.latest(conn, namespace, workflow_id, lock=lock)
    if found is None:
        where = f" run {run_id}" if run_id else ""
        raise errors.NotFound(
            f"Workflow '{workflow_id}'{where} not found in namespace '{namespace}'",
            workflow_id=workflow_id,
            run_id=run_id,
        )
    return found


async def describe_workflow(
    rt: runner.Runtime, namespace: str, request: api.DescribeWorkflowRequest
) -> api.DescribeWorkflowResponse:
    """The run's status, outcome and pending activities."""
    async with rt.pool.acquire() as conn:
        ex = await resolve(conn, namespace, request.workflow_id, request.run_id)
        pending = await tasks.for_run(conn, ex.run_id, rows.TaskKind.ACTIVITY)
        running_children = await executions.running_children(conn, ex.run_id)
    parent, root = children.lineage(ex)
    return api.DescribeWorkflowResponse(
        workflow_id=ex.workflow_id,
        run_id=ex.run_id,
        workflow_type=ex.workflow_type,
        task_queue=ex.task_queue,
        status=ex.status,
        start_time=ex.start_time,
        execution_time=ex.execution_time or ex.start_time,
        close_time=ex.close_time,
        history_length=ex.next_event_id - 1,
        first_execution_run_id=ex.first_execution_run_id or ex.run_id,
        continued_run_id=ex.continued_run_id,
        new_execution_run_id=ex.new_run_id,
        attempt=ex.attempt,
        history_size_bytes=ex.history_size,
        pending_activities=[_pending(t) for t in pending],
        pending_children=children.pending(running_children),
        pending_workflow_task=_pending_workflow_task(ex),
        result=ex.result,
        failure=_failure(ex.failure),
        memo=memo.payloads(ex.memo),
        search_attributes=search_attributes.payloads(ex.search_attributes),
        parent_execution=parent,
        root_execution=root,
    )


def _pending(task: rows.Task) -> api.PendingActivity:
    return api.PendingActivity(
        activity_id=str(task.info.get("activity_id", "")),
        activity_type=str(task.info.get("activity_type", "")),
        state=_PENDING_STATE[task.state],
        attempt=task.attempt,
        scheduled_event_id=task.scheduled_event_id,
        last_failure=_failure(task.last_failure),
        next_attempt_time=task.visible_at if task.state == rows.TaskState.BACKOFF else None,
        heartbeat_details=task.heartbeat_details or [],
        last_heartbeat_time=task.last_heartbeat_at,
    )


def _pending_workflow_task(ex: rows.Execution) -> api.PendingWorkflowTask | None:
    if ex.wft_scheduled_id == 0:
        return None
    failed = ex.wft_failure or {}
    return api.PendingWorkflowTask(
        state="STARTED" if ex.wft_started_id != 0 else "SCHEDULED",
        attempt=ex.wft_attempt,
        last_failure_cause=failed.get("cause"),
        last_failure=_failure(failed.get("failure")),
        last_failure_time=failed.get("time"),
    )


def _failure(stored: dict[str, Any] | None) -> Failure | None:
    return None if stored is None else Failure.model_validate(stored)


def _outcome(ex: rows.Execution) -> api.WorkflowResultResponse:
    return api.WorkflowResultResponse(
        run_id=ex.run_id,
        status=ex.status,
        result=ex.result,
        failure=_failure(ex.failure),
        new_execution_run_id=ex.new_run_id,
    )


async def workflow_result(
    rt: runner.Runtime, namespace: str, request: api.WorkflowResultRequest
) -> api.WorkflowResultResponse | None:
    """The run's outcome once it closes; None if it is still running after ``request.wait``."""
    return await wait_for_close(rt, namespace, request.workflow_id, request.run_id, request.wait)


async def wait_for_close(
    rt: runner.Runtime, namespace: str, workflow_id: str, run_id: str | None, wait: float
) -> api.WorkflowResultResponse | None:
    """The run's outcome once it closes; None if it is still running after ``wait`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    # Without a run id, find the latest run first: its close key is what to watch.
    if not run_id:
        async with rt.pool.acquire() as conn:
            latest = await resolve(conn, namespace, workflow_id, None)
        if latest.status != WorkflowExecutionStatus.RUNNING:
            return _outcome(latest)
        run_id = latest.run_id
    # A run this process started and has seen no close of needs no first read (the usual
    # result wait right after a start); every later round reads, in case a wake was lost.
    read = not rt.known_open(namespace, workflow_id, run_id)
    while True:
        # Watch before reading: a close between the read and the wait still wakes us.
        with rt.hub.watching(keys.closed_key(run_id)) as woken:
            if read:
                async with rt.pool.acquire() as conn:
                    ex = await resolve(conn, namespace, workflow_id, run_id)
                if ex.status != WorkflowExecutionStatus.RUNNING:
                    return _outcome(ex)
            read = True
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            # Closed by this process: the row it committed is the outcome.
            closed = rt.closed_runs.get(run_id) if await wakeup.wait(woken, min(remaining, RECHECK_SECONDS)) else None
            if closed is not None and closed.namespace == namespace and closed.workflow_id == workflow_id:
                return _outcome(closed)


def _page_token(next_event_id: int) -> str:
    return base64.urlsafe_b64encode(f"e{next_event_id}".encode()).decode()


def _first_event_id(page_token: str | None) -> int:
    if not page_token:
        return 1
    try:
        text = base64.urlsafe_b64decode(page_token.encode()).decode()
        if text.startswith("e") and 1 <= int(text[1:]) <= MAX_EVENT_ID:
            return int(text[1:])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise errors.InvalidArgument("page_token", "page_token is not one this server issued")


async def workflow_history(rt: runner.Runtime, namespace: str, request: api.WorkflowHistoryRequest) -> api.HistoryPage:
    """One page of the run's history; ``next_page_token`` is None on the last page. With a
    ``wait``, an open run's page waits for new events and always names the next one."""
    first, size = _first_event_id(request.page_token), request.page_size
    deadline = asyncio.get_running_loop().time() + request.wait
    while True:
        async with rt.pool.acquire() as conn:
            ex = await resolve(conn, namespace, request.workflow_id, request.run_id)
            events = await history.read(conn, ex.run_id, first_event_id=first, limit=size + 1)
        running = ex.status == WorkflowExecutionStatus.RUNNING
        remaining = deadline - asyncio.get_running_loop().time()
        if events or not running or remaining <= 0:
            break
        # Rare (a client following a history): a short poll, not a wake-up on every write.
        await asyncio.sleep(min(remaining, HISTORY_POLL_SECONDS))
    more = len(events) > size
    events = events[:size]
    after = events[-1].event_id + 1 if events else first
    follows = more or (request.wait > 0 and running)
    return api.HistoryPage(events=events, next_page_token=_page_token(after) if follows else None)


async def signal_workflow(rt: runner.Runtime, namespace: str, request: api.SignalWorkflowRequest) -> None:
    """Deliver a signal once (a repeated request id is a no-op)."""

    async def change(tx: runner.Tx) -> None:
        await signal_in(rt, tx, namespace, request)

    await rt.run("signal_workflow", change)


async def signal_in(rt: runner.Runtime, tx: runner.Tx, namespace: str, request: api.SignalWorkflowRequest) -> None:
    """``signal_workflow`` inside the caller's transaction (a Workflow resource records the
    delivery in the same one)."""
    ex = await resolve(tx.conn, namespace, request.workflow_id, request.run_id, lock=True)
    signals.require_running(ex)
    if request.request_id and not await executions.remember_signal(tx.conn, ex.run_id, request.request_id):
        return
    b = signals.signal(ex, request.signal_name, request.args, request.identity, rt.clock.now(), request.header)
    await writer.write(tx, b)


async def cancel_workflow(rt: runner.Runtime, namespace: str, request: api.CancelWorkflowRequest) -> None:
    """Ask the workflow to cancel; its code decides what that means."""

    async def change(tx: runner.Tx) -> None:
        ex = await resolve(tx.conn, namespace, request.workflow_id, request.run_id, lock=True)
        _require_chain(ex, request.first_execution_run_id)
        b = signals.request_cancel(ex, request.reason, request.identity, rt.clock.now())
        if b.changed:
            await writer.write(tx, b)

    await rt.run("cancel_workflow", change)


def _require_chain(ex: rows.Execution, first_execution_run_id: str | None) -> None:
    """A handle made by a start addresses that start's chain only, as Temporal's."""
    if first_execution_run_id and (ex.first_execution_run_id or ex.run_id) != first_execution_run_id:
        raise errors.NotFound("workflow execution not found", workflow_id=ex.workflow_id)


async def terminate_workflow(rt: runner.Runtime, namespace: str, request: api.TerminateWorkflowRequest) -> None:
    """Close the run now, without its code's say."""

    async def change(tx: runner.Tx) -> None:
        ex = await resolve(tx.conn, namespace, request.workflow_id, request.run_id, lock=True)
        _require_chain(ex, request.first_execution_run_id)
        buffered = await history.buffered(tx.conn, ex)
        b = termination.terminate(ex, buffered, request.reason, request.identity, rt.clock.now(), request.details)
        await writer.write(tx, b)

    await rt.run("terminate_workflow", change)
