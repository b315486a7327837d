"""One task the server cannot process never stops the workflows queued behind it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from legato import activity, workflow
from legato.client import Client, WorkflowExecutionStatus
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@activity.defn
async def double(n: int) -> int:
    return 2 * n


@workflow.defn
class Doubler:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity(double, n, start_to_close_timeout=timedelta(seconds=10))


async def test_a_poisoned_task_and_ten_good_workflows_on_one_queue_all_ten_complete(
    client: Client, pg_dsn: str
) -> None:
    poisoned = await client.start_workflow(Doubler.run, 0, id="poison", task_queue="q")
    handles = [await client.start_workflow(Doubler.run, i, id=f"good-{i}", task_queue="q") for i in range(10)]
    conn = await asyncpg.connect(pg_dsn)
    try:
        # As an old row or a bug could leave it: a timeout no date arithmetic can take.
        await conn.execute("UPDATE executions SET workflow_task_timeout = 1e15 WHERE workflow_id = 'poison'")
    finally:
        await conn.close()
    async with running_worker(client, task_queue="q", workflows=[Doubler], activities=[double]):
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), 60)
    assert results == [2 * i for i in range(10)]
    assert (await poisoned.describe()).status is WorkflowExecutionStatus.RUNNING
