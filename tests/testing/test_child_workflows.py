"""Child workflows end to end: a parent runs a child and gets its result or its failure,
as temporalio's parents do."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from legato.client import WorkflowExecutionStatus
from legato.testing import WorkflowEnvironment
from legato.worker import Worker
from tests.testing import child_workflows as cw

pytestmark = pytest.mark.e2e

WORKFLOWS = [cw.Child, cw.Parent, cw.ParentCatching, cw.ParentOfTaken, cw.ParentLeaving]


async def test_a_parent_gets_its_childs_result_and_the_child_knows_its_parent(local_env: WorkflowEnvironment) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        result = await local_env.client.execute_workflow(cw.Parent.run, "ann", id=parent_id, task_queue=task_queue)
    assert result == f"hello ann from {parent_id}"
    history = await local_env.client.get_workflow_handle(parent_id).fetch_history()
    types = [e.attributes.type for e in history.events]
    assert types[4:7] == [
        "StartChildWorkflowExecutionInitiated",
        "ChildWorkflowExecutionStarted",
        "WorkflowTaskScheduled",
    ]
    assert "ChildWorkflowExecutionCompleted" in types


async def test_a_failed_child_is_a_child_workflow_error_caused_by_its_application_error(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        result = await local_env.client.execute_workflow(
            cw.ParentCatching.run, "fail", id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert result == (
        "ChildWorkflowError: Child Workflow execution failed / ApplicationError: child says no (ChildRefused)"
    )


async def test_starting_a_child_whose_id_is_running_raises_workflow_already_started(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, taken = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        running = await local_env.client.start_workflow(cw.Child.run, "wait", id=taken, task_queue=task_queue)
        result = await local_env.client.execute_workflow(
            cw.ParentOfTaken.run, taken, id=str(uuid.uuid4()), task_queue=task_queue
        )
        await running.terminate()
    assert result == f"WorkflowAlreadyStartedError: {taken}"


async def _child_status_after_parent_closes(env: WorkflowEnvironment, policy: str) -> WorkflowExecutionStatus | None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(env.client, task_queue=task_queue, workflows=WORKFLOWS):
        child_run = await env.client.execute_workflow(cw.ParentLeaving.run, policy, id=parent_id, task_queue=task_queue)
        child = env.client.get_workflow_handle(f"{parent_id}-child", run_id=child_run)
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            status = (await child.describe()).status
            if status != WorkflowExecutionStatus.RUNNING or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.05)
        if status == WorkflowExecutionStatus.RUNNING:
            await child.terminate()
    return status


async def test_a_closing_parent_terminates_its_running_child_by_default_policy(local_env: WorkflowEnvironment) -> None:
    assert await _child_status_after_parent_closes(local_env, "TERMINATE") == WorkflowExecutionStatus.TERMINATED


async def test_a_closing_parent_leaves_an_abandoned_child_running(local_env: WorkflowEnvironment) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        child_run = await local_env.client.execute_workflow(
            cw.ParentLeaving.run, "ABANDON", id=parent_id, task_queue=task_queue
        )
        child = local_env.client.get_workflow_handle(f"{parent_id}-child", run_id=child_run)
        # A TERMINATE row would be due at once; a moment later the child still runs.
        await asyncio.sleep(1.0)
        assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
        await child.terminate()
