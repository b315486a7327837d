"""A workflow task that keeps failing leaves the run open, visible and its history bounded."""

from __future__ import annotations

import pytest

from legato import workflow
from legato.client import Client
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@workflow.defn(name="Ledger")
class BrokenLedger:
    @workflow.run
    async def run(self) -> str:
        raise RuntimeError("ledger code has a bug")


@workflow.defn(name="Ledger")
class FixedLedger:
    @workflow.run
    async def run(self) -> str:
        return "balanced"


async def test_a_failing_workflow_task_records_one_failure_however_often_it_is_retried(client: Client) -> None:
    async with running_worker(client, task_queue="ledger", workflows=[BrokenLedger]):
        handle = await client.start_workflow("Ledger", id="ledger-1", task_queue="ledger")

        async def retried_often() -> bool:
            pending = (await handle.describe()).pending_workflow_task
            return pending is not None and pending.attempt >= 5

        await eventually(retried_often, within=30, what="the fifth attempt of the failing workflow task")
        described = await handle.describe()
    assert [e.attributes.type for e in (await handle.fetch_history()).events] == [
        "WorkflowExecutionStarted",
        "WorkflowTaskScheduled",
        "WorkflowTaskStarted",
        "WorkflowTaskFailed",
    ]
    pending = described.pending_workflow_task
    assert pending is not None
    assert pending.last_failure_cause == "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    assert pending.last_failure is not None
    assert "ledger code has a bug" in pending.last_failure.message
    async with running_worker(client, task_queue="ledger", workflows=[FixedLedger]):
        assert await handle.result() == "balanced"
    history = [e.attributes.type for e in (await handle.fetch_history()).events]
    assert history[4:] == [
        "WorkflowTaskScheduled",
        "WorkflowTaskStarted",
        "WorkflowTaskCompleted",
        "WorkflowExecutionCompleted",
    ]
