"""Against a real server: a guarded call fails the workflow task, never the run.

The server retries the task; its history shows the failure with the guard's message, the
run stays open, and a worker with fixed code resumes it.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from legato import workflow
from legato.client import Client, WorkflowExecutionStatus
from legato.worker import UnsandboxedWorkflowRunner
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@workflow.defn(name="Stamp")
class StampsWithTheWallClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # the bug under test


@workflow.defn(name="Stamp")
class StampsWithWorkflowTime:
    @workflow.run
    async def run(self) -> str:
        return workflow.now().isoformat()


async def test_guarded_call_fails_the_task_and_fixed_code_resumes_the_run(client: Client) -> None:
    async with running_worker(client, task_queue="stamp", workflows=[StampsWithTheWallClock]):
        handle = await client.start_workflow("Stamp", id="stamp-1", task_queue="stamp")

        async def task_failed() -> bool:
            pending = (await handle.describe()).pending_workflow_task
            return pending is not None and pending.last_failure is not None

        await eventually(task_failed, within=30, what="the failed workflow task")
        described = await handle.describe()
    assert described.status == WorkflowExecutionStatus.RUNNING
    pending = described.pending_workflow_task
    assert pending is not None
    # As Temporal records it: the guard's error is the code's failure, not a history mismatch.
    assert pending.last_failure_cause == "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    assert pending.last_failure is not None
    assert pending.last_failure.type == "RestrictedWorkflowAccessError"
    assert "Cannot access datetime.datetime.now from inside a workflow" in pending.last_failure.message
    assert "workflow.now()" in pending.last_failure.message
    failed = [e for e in (await handle.fetch_history()).events if e.attributes.type == "WorkflowTaskFailed"]
    assert len(failed) == 1
    async with running_worker(client, task_queue="stamp", workflows=[StampsWithWorkflowTime]):
        assert await handle.result()


async def test_unsandboxed_worker_lets_the_same_code_complete(client: Client) -> None:
    async with running_worker(
        client, task_queue="stamp-free", workflows=[StampsWithTheWallClock], workflow_runner=UnsandboxedWorkflowRunner()
    ):
        result = await client.execute_workflow("Stamp", id="stamp-free-1", task_queue="stamp-free")
    assert datetime.fromisoformat(result)
