"""Query requests in the store: claimed once, re-offered after a lapsed lease, swept when
their asker is gone, and deleted when answered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from legato.api.workflowservice import v1 as api
from legato_operator.engine.rules import queries
from legato_operator.engine.services import queries as query_service
from legato_operator.engine.services import runner, workers, workflows
from legato_operator.store import db, query_requests, rows
from tests.support.payloads import payload

START = api.StartWorkflowRequest(workflow_id="wf-1", workflow_type="Orders", task_queue="orders")
POLL = api.PollRequest(task_queue="orders", wait=0)


async def started_with_one_completed_task(rt: runner.Runtime) -> rows.Execution:
    await workflows.start_workflow(rt, "default", START)
    task = await workers.poll_workflow_task(rt, "default", POLL)
    assert task is not None
    await workers.complete_workflow_task(rt, "default", api.CompleteWorkflowTaskRequest(task_token=task.task_token))
    async with rt.pool.acquire() as conn:
        return await workflows.resolve(conn, "default", "wf-1", None)


async def count(pool: db.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM query_requests"))


async def test_a_claimed_query_is_offered_again_only_after_its_lease(rt: runner.Runtime) -> None:
    ex = await started_with_one_completed_task(rt)
    query = queries.new_request("default", ex, api.QueryWorkflowRequest(workflow_id="wf-1", query_type="q"))
    now = rt.clock.now()
    async with rt.pool.acquire() as conn:
        await query_requests.insert(conn, query, now, now + timedelta(seconds=30))
        claimed = await query_requests.claim(conn, "default", "orders", now, timedelta(seconds=10))
        assert claimed is not None
        assert (claimed.id, claimed.first_event_id) == (query.id, 4)
        assert await query_requests.claim(conn, "default", "orders", now, timedelta(seconds=10)) is None
        later = now + timedelta(seconds=11)
        again = await query_requests.claim(conn, "default", "orders", later, timedelta(seconds=10))
        assert again is not None
        assert again.id == query.id


async def test_rows_whose_asker_is_gone_are_swept_by_later_queries(rt: runner.Runtime) -> None:
    ex = await started_with_one_completed_task(rt)
    now = rt.clock.now()
    async with rt.pool.acquire() as conn:
        for _ in range(3):
            old = queries.new_request("default", ex, api.QueryWorkflowRequest(workflow_id="wf-1", query_type="q"))
            await query_requests.insert(conn, old, now - timedelta(minutes=5), now - timedelta(minutes=4))
        fresh = queries.new_request("default", ex, api.QueryWorkflowRequest(workflow_id="wf-1", query_type="q"))
        await query_requests.insert(conn, fresh, now, now + timedelta(seconds=30))
    assert await count(rt.pool) == 1


async def test_an_answered_query_leaves_no_row_and_the_run_unchanged(rt: runner.Runtime) -> None:
    ex = await started_with_one_completed_task(rt)
    request = api.QueryWorkflowRequest(workflow_id="wf-1", query_type="q", timeout=5)
    asked = asyncio.create_task(query_service.query_workflow(rt, "default", request))
    task = None
    while task is None:
        task = await workers.poll_workflow_task(rt, "default", api.PollRequest(task_queue="orders", wait=1))
    assert task.query is not None
    await query_service.respond_query_task(
        rt, "default", api.RespondQueryTaskRequest(task_token=task.task_token, result=payload("ok"))
    )
    assert (await asked).result == payload("ok")
    assert await count(rt.pool) == 0
    async with rt.pool.acquire() as conn:
        assert await workflows.resolve(conn, "default", "wf-1", None) == ex
