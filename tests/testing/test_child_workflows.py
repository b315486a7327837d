"""Child workflows end to end: a parent runs a child and gets its result or its failure,
as temporalio's parents do."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from legato.api.common.v1 import WorkflowExecution
from legato.api.history import v1 as hist
from legato.client import WorkflowExecutionStatus
from legato.exceptions import WorkflowFailureError
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


async def test_a_closing_parent_asks_a_request_cancel_child_to_cancel_as_history_service(
    local_env: WorkflowEnvironment,
) -> None:
    assert await _child_status_after_parent_closes(local_env, "REQUEST_CANCEL") == WorkflowExecutionStatus.CANCELED


async def test_a_child_asked_by_its_parents_close_names_the_parent_as_temporal_does(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        parent = await local_env.client.start_workflow(
            cw.ParentLeaving.run, "REQUEST_CANCEL", id=parent_id, task_queue=task_queue
        )
        child_run = await parent.result()
        child = local_env.client.get_workflow_handle(f"{parent_id}-child", run_id=child_run)
        with pytest.raises(WorkflowFailureError):
            await child.result()
    (requested,) = [
        e.attributes
        for e in (await child.fetch_history()).events
        if isinstance(e.attributes, hist.WorkflowExecutionCancelRequested)
    ]
    assert (requested.cause, requested.identity, requested.external_initiated_event_id) == ("", "history-service", 0)
    assert requested.external_workflow_execution == WorkflowExecution(
        workflow_id=parent_id, run_id=parent.result_run_id or ""
    )


async def test_describe_and_list_show_a_childs_parent_and_root_and_a_top_runs_own_root(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        parent = await local_env.client.start_workflow(
            cw.ParentLeaving.run, "ABANDON", id=parent_id, task_queue=task_queue
        )
        child_run = await parent.result()
        child = local_env.client.get_workflow_handle(f"{parent_id}-child", run_id=child_run)
        described = await child.describe()
        await child.terminate()
    top = await parent.describe()
    assert (top.parent_id, top.parent_run_id, top.root_id, top.root_run_id) == (None, None, parent_id, top.run_id)
    assert (described.parent_id, described.parent_run_id) == (parent_id, top.run_id)
    assert (described.root_id, described.root_run_id) == (parent_id, top.run_id)
    [listed] = [e async for e in local_env.client.list_workflows(f"WorkflowId = '{parent_id}-child'")]
    assert (listed.parent_id, listed.parent_run_id, listed.root_id) == (parent_id, top.run_id, parent_id)


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


SIGNALLING = [cw.Receiver, cw.Sender, cw.ParentSignalling]


async def test_a_workflow_signals_another_by_its_id_and_history_records_the_delivery(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, target, sender = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=SIGNALLING):
        receiver = await local_env.client.start_workflow(cw.Receiver.run, id=target, task_queue=task_queue)
        assert await local_env.client.execute_workflow(cw.Sender.run, target, id=sender, task_queue=task_queue) == (
            "signaled"
        )
        assert await receiver.result() == "from a workflow"
    history = await local_env.client.get_workflow_handle(sender).fetch_history()
    types = [e.attributes.type for e in history.events]
    assert "SignalExternalWorkflowExecutionInitiated" in types
    assert "ExternalWorkflowExecutionSignaled" in types


async def test_signalling_a_missing_workflow_raises_temporalios_not_found_application_error(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=SIGNALLING):
        result = await local_env.client.execute_workflow(
            cw.Sender.run, str(uuid.uuid4()), id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert result == ("ExternalWorkflowExecutionNotFound: Unable to signal external workflow because it was not found")


async def test_a_parent_signals_its_child_through_the_childs_handle(local_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=SIGNALLING):
        result = await local_env.client.execute_workflow(
            cw.ParentSignalling.run, id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert result == "from the parent"


async def test_a_childs_chain_keeps_its_parent_which_is_told_only_of_the_last_runs_close(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=[cw.Chained, cw.ChainParent]):
        parent = await local_env.client.start_workflow(cw.ChainParent.run, id=parent_id, task_queue=task_queue)
        # Temporal's outcome (checked on its dev server): one continue-as-new, then a retry.
        assert await parent.result() == "done step=1 attempt=2"
    runs = [e async for e in local_env.client.list_workflows(f"WorkflowId = '{parent_id}-child'")]
    assert len(runs) == 3
    assert {(r.parent_id, r.parent_run_id, r.root_id) for r in runs} == {(parent_id, parent.result_run_id, parent_id)}
    last = next(r for r in runs if r.status == WorkflowExecutionStatus.COMPLETED)
    closes = [
        e.attributes
        for e in (await parent.fetch_history()).events
        if isinstance(e.attributes, hist.ChildWorkflowExecutionCompleted)
    ]
    assert [c.workflow_execution.run_id for c in closes] == [last.run_id]
