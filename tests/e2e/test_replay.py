"""Replay end to end: changed workflow code fails its task, never the run; fixed code resumes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.client import Client, WorkflowExecutionStatus
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@activity.defn
async def pack(order: str) -> str:
    return f"packed {order}"


@activity.defn
async def label(order: str) -> str:
    return f"labelled {order}"


@workflow.defn(name="Parcel")
class ParcelV1:
    @workflow.run
    async def run(self, order: str) -> str:
        packed = await workflow.execute_activity(pack, order, start_to_close_timeout=timedelta(seconds=10))
        await workflow.sleep(timedelta(seconds=2))
        return packed


@workflow.defn(name="Parcel")
class ParcelIncompatible:
    """Labels first: the history says the first command was `pack`."""

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(label, order, start_to_close_timeout=timedelta(seconds=10))
        return await workflow.execute_activity(pack, order, start_to_close_timeout=timedelta(seconds=10))


async def events_of(client: Client, workflow_id: str) -> list[str]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [e.attributes.type for e in history.events]


async def test_incompatible_code_gets_nondeterminism_error_and_fixed_code_resumes(client: Client) -> None:
    async with running_worker(client, task_queue="parcels", workflows=[ParcelV1], activities=[pack]):
        handle = await client.start_workflow("Parcel", "o-1", id="parcel-1", task_queue="parcels")
        await eventually(
            lambda: _has(client, "parcel-1", "TimerStarted"), within=20, what="the run waiting on its timer"
        )
    # The timer fires while only the incompatible worker polls.
    async with running_worker(client, task_queue="parcels", workflows=[ParcelIncompatible], activities=[pack, label]):
        await eventually(lambda: _nondeterminism_failed(client), within=30, what="a NON_DETERMINISTIC_ERROR task")
        description = await handle.describe()
        assert description.status == WorkflowExecutionStatus.RUNNING
    async with running_worker(client, task_queue="parcels", workflows=[ParcelV1], activities=[pack]):
        assert await handle.result() == "packed o-1"
    events = await events_of(client, "parcel-1")
    assert events.count("ActivityTaskScheduled") == 1
    assert events[-1] == "WorkflowExecutionCompleted"


async def _has(client: Client, workflow_id: str, event_type: str) -> bool:
    return event_type in await events_of(client, workflow_id)


async def _nondeterminism_failed(client: Client) -> bool:
    history = await client.get_workflow_handle("parcel-1").fetch_history()
    return any(
        e.attributes.type == "WorkflowTaskFailed" and e.attributes.cause == "NON_DETERMINISTIC_ERROR"
        for e in history.events
    )
