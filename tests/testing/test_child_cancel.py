"""Cancelling children and other runs from workflow code, as temporalio's workflows do:
a child handle's cancel acts by its ``cancellation_type``, ``ExternalWorkflowHandle.cancel``
asks another run to cancel, and a parent's whole cancellation reaches the child it awaits.

The outcomes were checked on Temporal's dev server (temporalio 1.35): every cancellation
type gives ``ChildWorkflowError('Child Workflow execution cancelled')`` caused by
``CancelledError('Cancelled')``, and WAIT_CANCELLATION_REQUESTED, like
WAIT_CANCELLATION_COMPLETED, waits for the child's close.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from legato.api.history import v1 as hist
from legato.client import Client, WorkflowExecutionStatus, WorkflowHandle
from legato.exceptions import WorkflowFailureError
from legato.testing import WorkflowEnvironment
from legato.worker import Worker
from tests.sdk import test_temporal_child_cancel_history as recorded
from tests.testing import child_cancel_workflows as cc

pytestmark = pytest.mark.e2e

WORKFLOWS = [cc.Waiter, cc.CancellingParent, cc.AwaitingParent, cc.Canceller, cc.Kid, cc.EarlyCanceller]
CANCELLED = "ChildWorkflowError: Child Workflow execution cancelled / CancelledError: Cancelled / NON_RETRYABLE_FAILURE"


async def _types(client: Client, workflow_id: str) -> list[str]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [e.attributes.type for e in history.events]


async def _status_within(handle: WorkflowHandle[object, object], wanted: WorkflowExecutionStatus) -> None:
    deadline = asyncio.get_running_loop().time() + 15
    while (status := (await handle.describe()).status) != wanted:
        assert asyncio.get_running_loop().time() < deadline, f"still {status}, wanted {wanted}"
        await asyncio.sleep(0.05)


async def _cancel_child(env: WorkflowEnvironment, cancellation_type: str, mode: str) -> tuple[str, str]:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(env.client, task_queue=task_queue, workflows=WORKFLOWS):
        result = await env.client.execute_workflow(
            cc.CancellingParent.run,
            args=[cancellation_type, mode, cancellation_type == "TRY_CANCEL"],
            id=parent_id,
            task_queue=task_queue,
        )
        child = env.client.get_workflow_handle(f"{parent_id}-child")
        if cancellation_type == "ABANDON":
            assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
            await child.terminate()
        else:
            await _status_within(
                child, WorkflowExecutionStatus.COMPLETED if mode == "finish" else WorkflowExecutionStatus.CANCELED
            )
    return result, parent_id


async def test_an_abandoned_childs_cancel_resolves_at_once_and_leaves_the_child_alone(
    local_env: WorkflowEnvironment,
) -> None:
    result, parent_id = await _cancel_child(local_env, "ABANDON", "finish")
    assert result == CANCELLED
    assert "RequestCancelExternalWorkflowExecutionInitiated" not in await _types(local_env.client, parent_id)
    assert "WorkflowExecutionCancelRequested" not in await _types(local_env.client, f"{parent_id}-child")


async def test_try_cancel_asks_the_child_and_resolves_without_waiting_for_it(local_env: WorkflowEnvironment) -> None:
    result, parent_id = await _cancel_child(local_env, "TRY_CANCEL", "finish")
    assert result == CANCELLED
    parent = await _types(local_env.client, parent_id)
    # Resolved before the request's outcome came back: the parent only held on after.
    assert parent.index("RequestCancelExternalWorkflowExecutionInitiated") < parent.index("TimerStarted")
    assert parent.index("TimerStarted") < parent.index("ExternalWorkflowExecutionCancelRequested")
    assert "WorkflowExecutionCancelRequested" in await _types(local_env.client, f"{parent_id}-child")


@pytest.mark.parametrize("cancellation_type", ["WAIT_CANCELLATION_COMPLETED", "WAIT_CANCELLATION_REQUESTED"])
async def test_a_waiting_cancel_resolves_with_the_childs_cancellation(
    local_env: WorkflowEnvironment, cancellation_type: str
) -> None:
    result, parent_id = await _cancel_child(local_env, cancellation_type, "give-up")
    assert result == CANCELLED
    parent = await _types(local_env.client, parent_id)
    asked, canceled = (
        parent.index("ExternalWorkflowExecutionCancelRequested"),
        parent.index("ChildWorkflowExecutionCanceled"),
    )
    assert parent.index("RequestCancelExternalWorkflowExecutionInitiated") < asked < canceled


@pytest.mark.parametrize("cancellation_type", ["WAIT_CANCELLATION_COMPLETED", "WAIT_CANCELLATION_REQUESTED"])
async def test_a_child_that_finishes_despite_the_cancel_gives_its_result_to_a_waiting_parent(
    local_env: WorkflowEnvironment, cancellation_type: str
) -> None:
    result, _ = await _cancel_child(local_env, cancellation_type, "finish")
    assert result == "result: finished anyway"


async def test_a_cancelled_parent_cancels_the_child_it_awaits_and_ends_cancelled(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        parent = await local_env.client.start_workflow(cc.AwaitingParent.run, id=parent_id, task_queue=task_queue)
        child = local_env.client.get_workflow_handle(f"{parent_id}-child")
        deadline = asyncio.get_running_loop().time() + 15
        while "ChildWorkflowExecutionStarted" not in await _types(local_env.client, parent_id):
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.05)
        pending = (await parent.describe()).raw_description.pending_children
        assert [(c.workflow_id, c.workflow_type_name, c.parent_close_policy) for c in pending] == [
            (f"{parent_id}-child", "Waiter", "TERMINATE")
        ]
        await parent.cancel()
        with pytest.raises(WorkflowFailureError):
            await parent.result()
        assert (await parent.describe()).status == WorkflowExecutionStatus.CANCELED
        assert (await child.describe()).status == WorkflowExecutionStatus.CANCELED
        assert (await parent.describe()).raw_description.pending_children == []


async def test_a_workflow_cancels_another_by_id_and_the_target_learns_who_asked(local_env: WorkflowEnvironment) -> None:
    task_queue, target_id, sender_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        target = await local_env.client.start_workflow(cc.Waiter.run, "give-up", id=target_id, task_queue=task_queue)
        sender = await local_env.client.start_workflow(cc.Canceller.run, target_id, id=sender_id, task_queue=task_queue)
        assert await sender.result() == "asked"
        await _status_within(target, WorkflowExecutionStatus.CANCELED)
    requested = [
        e.attributes
        for e in (await target.fetch_history()).events
        if isinstance(e.attributes, hist.WorkflowExecutionCancelRequested)
    ]
    assert len(requested) == 1
    assert requested[0].identity == "history-service"
    assert requested[0].cause == f"Cancel requested by workflow with run id {sender.result_run_id} with reason: enough"
    assert requested[0].external_workflow_execution is not None
    assert requested[0].external_workflow_execution.workflow_id == sender_id
    sender_events = (await sender.fetch_history()).events
    (initiated,) = [e for e in sender_events if e.attributes.type == "RequestCancelExternalWorkflowExecutionInitiated"]
    assert requested[0].external_initiated_event_id == initiated.event_id
    assert "ExternalWorkflowExecutionCancelRequested" in [e.attributes.type for e in sender_events]


async def test_cancelling_a_missing_workflow_raises_temporalios_not_found_application_error(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        result = await local_env.client.execute_workflow(
            cc.Canceller.run, str(uuid.uuid4()), id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert result == "ExternalWorkflowExecutionNotFound: Unable to cancel external workflow because not found"


async def test_the_recorded_parent_gives_temporals_event_sequence_on_legato(local_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=[recorded.CancelParent, recorded.Waiter]):
        target = await local_env.client.start_workflow(recorded.Waiter.run, id="ctarget-1", task_queue=task_queue)
        parent = await local_env.client.start_workflow(recorded.CancelParent.run, id="cparent-1", task_queue=task_queue)
        assert await parent.result() == (
            "ChildWorkflowError: Child Workflow execution cancelled cause=CancelledError('Cancelled') | "
            "ApplicationError: ExternalWorkflowExecutionNotFound: Unable to cancel external workflow because not found"
        )
        await _status_within(target, WorkflowExecutionStatus.CANCELED)
    legato = [e.attributes.type for e in (await parent.fetch_history()).events]
    assert legato == [e.attributes.type for e in recorded.events("child_cancel")]
    legato_target = [e.attributes.type for e in (await target.fetch_history()).events]
    assert legato_target == [e.attributes.type for e in recorded.events("child_cancel_target")]


async def test_a_start_cancelled_in_its_own_task_never_reaches_history_and_frees_the_id(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=WORKFLOWS):
        result = await local_env.client.execute_workflow(cc.EarlyCanceller.run, id=parent_id, task_queue=task_queue)
    assert result == ["Child Workflow Execution cancelled before scheduled: why / CancelledError('Cancelled')", "kid"]
    # As on Temporal's dev server: only the second start is in history.
    assert (await _types(local_env.client, parent_id)).count("StartChildWorkflowExecutionInitiated") == 1
