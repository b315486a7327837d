"""Workflow updates: a client asks on any replica, a worker polling any replica validates,
and the run's workflow tasks run the handler.

Admission writes an ``update_requests`` row (a repeated update id joins the first) and
NOTIFYs the run's queue. A workflow-task poll claims it (SKIP LOCKED, leased) when the run
has no workflow task outstanding, as a query is claimed, and hands it to the worker to
validate. The verdict (``respond_update_validation``) either stores a rejection on the row
(history unchanged) or appends ``WorkflowExecutionUpdateAccepted`` in the run's
transaction; the completion that carries the handler's ``CompleteWorkflowUpdate`` stores
its outcome. Every move NOTIFYs the update's key, which wakes the caller wherever it waits.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import batch, keys, updates
from legato_operator.engine.services import runner, wakeup, workflows, writer
from legato_operator.store import db, executions, rows, update_requests

# A waiting caller re-reads the row at least this often, in case a wake-up was lost.
RECHECK_SECONDS = 5.0
# A worker holds an update to validate this long; past it (the worker died) another poll may.
LEASE = timedelta(seconds=10)


async def update_workflow(
    rt: runner.Runtime, namespace: str, request: api.UpdateWorkflowRequest
) -> api.UpdateWorkflowResponse:
    """Admit the update (or join the one with its id) and wait for ``wait_for_stage``."""

    async def admit(tx: runner.Tx) -> rows.UpdateRequest:
        return await _admit(rt, tx, namespace, request)

    stored = await rt.run("update_workflow", admit)
    return await _wait(rt, stored, request.wait_for_stage, request.wait)


async def update_with_start_workflow(
    rt: runner.Runtime, namespace: str, request: api.UpdateWithStartWorkflowRequest
) -> api.UpdateWithStartWorkflowResponse:
    """Start the run (or take the running one, by the conflict policy) and admit the update
    on it in one transaction, so neither happens without the other; then wait as an update."""
    if request.id_conflict_policy == api.IdConflictPolicy.UNSPECIFIED:
        raise errors.InvalidArgument(
            "id_conflict_policy", "update-with-start needs an id_conflict_policy (USE_EXISTING, FAIL, ...)"
        )

    async def change(tx: runner.Tx) -> tuple[api.StartWorkflowResponse, rows.UpdateRequest]:
        started = await workflows.start_in(rt, tx, namespace, request)
        update = request.update.model_copy(update={"workflow_id": request.workflow_id, "run_id": started.run_id})
        return started, await _admit(rt, tx, namespace, update)

    started, stored = await rt.run("update_with_start_workflow", change)
    try:
        response = await _wait(rt, stored, request.update.wait_for_stage, request.update.wait)
    # The run closed before the update finished: the start stands, so this call answers it;
    # the caller's wait for the update (poll_workflow_update) reports the close.
    except errors.NotFound:
        response = updates.response(stored)
    return api.UpdateWithStartWorkflowResponse(run_id=started.run_id, started=started.started, update=response)


async def _admit(
    rt: runner.Runtime, tx: runner.Tx, namespace: str, request: api.UpdateWorkflowRequest
) -> rows.UpdateRequest:
    """The update's row: a new one (NOTIFYing the run's pollers), or the one its id already has."""
    ex = await workflows.resolve(tx.conn, namespace, request.workflow_id, request.run_id, lock=True)
    existing = await update_requests.get(tx.conn, ex.run_id, request.update_id)
    if existing is not None:
        return existing
    updates.require_running(ex)
    stored = await update_requests.admit(tx.conn, updates.new_request(namespace, ex, request), rt.clock.now())
    # The queue's workflow pollers wait on this key, on every replica.
    await tx.notify({keys.task_key(namespace, ex.task_queue, rows.TaskKind.WORKFLOW)})
    return stored


async def poll_workflow_update(
    rt: runner.Runtime, namespace: str, request: api.PollWorkflowUpdateRequest
) -> api.UpdateWorkflowResponse:
    """Wait for an update already sent; NotFound for an id the run never had."""
    async with rt.pool.acquire() as conn:
        ex = await workflows.resolve(conn, namespace, request.workflow_id, request.run_id)
        stored = await update_requests.get(conn, ex.run_id, request.update_id)
    if stored is None:
        raise errors.NotFound(
            f"update {request.update_id!r} not found", workflow_id=request.workflow_id, run_id=ex.run_id
        )
    return await _wait(rt, stored, request.wait_for_stage, request.wait)


async def _wait(
    rt: runner.Runtime, update: rows.UpdateRequest, wanted: api.UpdateStage, wait: float
) -> api.UpdateWorkflowResponse:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    key = updates.update_key(update.run_id, update.update_id)
    while True:
        # Watch before reading: a move in between still wakes us.
        with rt.hub.watching(key) as woken:
            current = await rt.query(_current, update)
            if updates.reached(current, wanted):
                return updates.response(current)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return updates.response(current)
            await wakeup.wait(woken, min(remaining, RECHECK_SECONDS))


async def _current(conn: db.Connection, update: rows.UpdateRequest) -> rows.UpdateRequest:
    """The update as stored; NotFound, as Temporal answers, when its run closed without its outcome."""
    stored = await update_requests.get(conn, update.run_id, update.update_id) or update
    if stored.state != updates.COMPLETED:
        ex = await executions.load(conn, update.run_id)
        if ex is None or ex.status.value != "RUNNING":
            raise errors.NotFound(updates.CLOSED_MESSAGE, workflow_id=update.workflow_id, run_id=update.run_id)
    return stored


async def take(tx: runner.Tx, rt: runner.Runtime, namespace: str, task_queue: str) -> api.WorkflowTask | None:
    """An update of the queue for a polling worker to validate; None when none waits."""
    claimed = await update_requests.claim(tx.conn, namespace, task_queue, rt.clock.now(), LEASE)
    return None if claimed is None else updates.to_task(claimed)


async def record_completions(tx: runner.Tx, b: batch.Batch) -> None:
    """Store the outcomes a completion's events record, and wake their callers."""
    for update_id, outcome in updates.completions(b.events).items():
        await update_requests.move(tx.conn, b.execution.run_id, update_id, updates.COMPLETED, outcome)
        await tx.notify({updates.update_key(b.execution.run_id, update_id)})


async def respond_update_validation(
    rt: runner.Runtime, namespace: str, request: api.RespondUpdateValidationRequest
) -> None:
    """Accept (into history) or reject (nowhere but the row) an update a worker validated."""
    run_id, update_id = updates.decode_token(request.task_token)

    async def change(tx: runner.Tx) -> None:
        # The run first, then the update: every writer locks in this order.
        ex = await executions.load(tx.conn, run_id, lock=True)
        update = await update_requests.get(tx.conn, run_id, update_id, lock=True)
        if ex is None or ex.namespace != namespace or update is None or update.state != updates.ADMITTED:
            raise errors.TaskNotFound(f"Update {update_id!r} is no longer waiting for validation")
        if request.rejection is not None:
            outcome = updates.rejection_outcome(request.rejection)
            await update_requests.move(tx.conn, run_id, update_id, updates.COMPLETED, outcome)
        # The run closed while the worker validated: the caller hears it from the run's status.
        elif ex.status.value != "RUNNING":
            pass
        else:
            await writer.write(tx, updates.accepted(ex, update, rt.clock.now()))
            await update_requests.move(tx.conn, run_id, update_id, updates.ACCEPTED, None)
        await tx.notify({updates.update_key(run_id, update_id)})

    await rt.run("respond_update_validation", change)
