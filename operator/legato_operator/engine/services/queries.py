"""Queries: a client asks on any replica, a worker polling any replica answers.

The asking replica writes a ``query_requests`` row and NOTIFYs the run's workflow task
queue, then waits on the query's key. A workflow-task poll on any replica claims the row
(SKIP LOCKED) before it looks for a workflow task, once the run has no workflow task
outstanding (the completion of one wakes a poller for a query that waited for it), and
hands the worker a query task; the
worker's answer (``respond_query_task``) is written to the row and NOTIFYs the query's
key, which wakes the asker wherever it waits. The asker deletes the row when it answers or
gives up. Nothing of the run is read for update or written: a query changes no state.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import keys, queries
from legato_operator.engine.services import runner, wakeup, workflows
from legato_operator.store import query_requests, rows

# A waiting asker re-reads its row at least this often, in case a wake-up was lost.
RECHECK_SECONDS = 5.0
# A worker holds a query this long; past it (the worker died) another poll may take it.
LEASE = timedelta(seconds=10)


async def query_workflow(
    rt: runner.Runtime, namespace: str, request: api.QueryWorkflowRequest
) -> api.QueryWorkflowResponse:
    """A worker's answer to the query, or the rejection; QueryTimeout when none came in time."""
    async with rt.pool.acquire() as conn:
        ex = await workflows.resolve(conn, namespace, request.workflow_id, request.run_id)
    if queries.rejects(request.reject_condition, ex.status):
        return api.QueryWorkflowResponse(rejected=ex.status)
    query = queries.new_request(namespace, ex, request)
    try:
        stored = await _ask_and_wait(rt, query, request.timeout)
    finally:
        # Answered or given up on (or the caller went away): nobody waits for this row any more.
        await rt.query(query_requests.delete, query.id)
    if stored is None:
        raise errors.QueryTimeout(ex.workflow_id, ex.run_id, ex.task_queue, request.timeout)
    return queries.response(stored)


async def _ask_and_wait(rt: runner.Runtime, query: rows.QueryRequest, wait: float) -> dict[str, object] | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    key = queries.query_key(query.id)
    asked = False
    while True:
        # Watch before asking or reading: an answer in between still wakes us.
        with rt.hub.watching(key) as woken:
            if not asked:
                await rt.run("query_workflow", lambda tx: _ask(rt, tx, query, wait))
                asked = True
            else:
                stored = await rt.query(query_requests.answered, query.id)
                if stored is not None:
                    return stored
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            await wakeup.wait(woken, min(remaining, RECHECK_SECONDS))


async def _ask(rt: runner.Runtime, tx: runner.Tx, query: rows.QueryRequest, wait: float) -> None:
    now = rt.clock.now()
    await query_requests.insert(tx.conn, query, now, now + timedelta(seconds=wait))
    # The queue's workflow pollers wait on this key, on every replica.
    await tx.notify({keys.task_key(query.namespace, query.task_queue, rows.TaskKind.WORKFLOW)})


async def take(tx: runner.Tx, rt: runner.Runtime, namespace: str, task_queue: str) -> api.WorkflowTask | None:
    """A query of the queue for a polling worker, as a query task; None when none waits."""
    claimed = await query_requests.claim(tx.conn, namespace, task_queue, rt.clock.now(), LEASE)
    return None if claimed is None else queries.to_task(claimed)


async def wake_waiting(tx: runner.Tx, ex: rows.Execution) -> None:
    """After a run's workflow task completed: wake a poller for a query or an update that
    waited for it (both are taken by the queue's workflow-task polls)."""
    if await query_requests.any_waiting(tx.conn, ex.run_id):
        await tx.notify({keys.task_key(ex.namespace, ex.task_queue, rows.TaskKind.WORKFLOW)})


async def respond_query_task(rt: runner.Runtime, namespace: str, request: api.RespondQueryTaskRequest) -> None:
    """Record a worker's answer and wake its asker; TaskNotFound when nobody waits for it."""
    query_id = queries.decode_token(request.task_token)
    stored = queries.stored_answer(request)

    async def change(tx: runner.Tx) -> None:
        if not await query_requests.answer(tx.conn, query_id, namespace, stored):
            raise errors.TaskNotFound(f"Query task {query_id} is no longer waiting: answered, or its asker gave up")
        await tx.notify({queries.query_key(query_id)})

    await rt.run("respond_query_task", change)
