"""Starting, signalling, cancelling and terminating runs through the public client."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.client import Client, WorkflowExecutionStatus
from legato.common import WorkflowIDConflictPolicy
from legato.exceptions import (
    CancelledError,
    RPCError,
    RPCStatusCode,
    TerminatedError,
    WorkflowAlreadyStartedError,
    WorkflowFailureError,
)
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@activity.defn
async def double(n: int) -> int:
    return n * 2


@workflow.defn
class Collector:
    """Collects signalled items until told to finish; cleans up when cancelled."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        try:
            await workflow.wait_condition(lambda: self.done)
        except asyncio.CancelledError:
            self.items.append("cleaned up")
            raise
        return self.items

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@workflow.defn
class FanOut:
    @workflow.run
    async def run(self, numbers: list[int]) -> list[int]:
        return list(
            await asyncio.gather(
                *(workflow.execute_activity(double, n, start_to_close_timeout=timedelta(seconds=10)) for n in numbers)
            )
        )


async def test_starting_a_running_id_again_is_refused_or_returns_the_existing_run(client: Client) -> None:
    first = await client.start_workflow(Collector.run, id="dup-1", task_queue="nobody-polls")
    with pytest.raises(WorkflowAlreadyStartedError):
        await client.start_workflow(Collector.run, id="dup-1", task_queue="nobody-polls")
    again = await client.start_workflow(
        Collector.run, id="dup-1", task_queue="nobody-polls", id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
    )
    assert again.result_run_id == first.result_run_id


async def test_signals_are_delivered_in_order_including_those_sent_before_a_worker_polls(client: Client) -> None:
    handle = await client.start_workflow(Collector.run, id="signals-1", task_queue="collect")
    await handle.signal(Collector.add, "a")
    await handle.signal(Collector.add, "b")
    async with running_worker(client, task_queue="collect", workflows=[Collector]):
        await handle.signal(Collector.add, "c")
        await handle.signal(Collector.finish)
        assert await handle.result() == ["a", "b", "c"]


async def test_cancel_raises_cancelled_error_inside_the_workflow_which_may_clean_up(client: Client) -> None:
    async with running_worker(client, task_queue="collect", workflows=[Collector]):
        handle = await client.start_workflow(Collector.run, id="cancel-1", task_queue="collect")
        await handle.signal(Collector.add, "x")
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED


async def test_terminate_closes_the_run_at_once(client: Client) -> None:
    handle = await client.start_workflow(Collector.run, id="term-1", task_queue="nobody-polls")
    await handle.terminate("operator asked", {"ticket": 7}, reason="by hand")
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, TerminatedError)
    # As in temporalio: the positional arguments are the details, carried as payloads.
    assert (failure.value.cause.message, list(failure.value.cause.details)) == (
        "by hand",
        ["operator asked", {"ticket": 7}],
    )
    status = await eventually(lambda: _status(client, "term-1"), within=10, what="status")
    assert status == WorkflowExecutionStatus.TERMINATED


async def test_gathered_activities_are_scheduled_together_and_results_keep_their_order(client: Client) -> None:
    async with running_worker(client, task_queue="fan", workflows=[FanOut], activities=[double]):
        result = await client.execute_workflow(FanOut.run, [1, 2, 3], id="fan-1", task_queue="fan")
    assert result == [2, 4, 6]
    events = (await client.get_workflow_handle("fan-1").fetch_history()).events
    first_completed = [e.attributes.type for e in events].index("WorkflowTaskCompleted")
    assert [e.attributes.type for e in events[first_completed + 1 : first_completed + 4]] == [
        "ActivityTaskScheduled"
    ] * 3


async def _status(client: Client, workflow_id: str) -> WorkflowExecutionStatus | None:
    return (await client.get_workflow_handle(workflow_id).describe()).status


async def test_a_started_handle_cancels_and_terminates_only_its_own_chain(client: Client) -> None:
    # As on Temporal's dev server: after the id is started again, the old handle's cancel
    # and terminate are NOT_FOUND ("workflow execution not found"); its signal still lands.
    old = await client.start_workflow("Nobody", id="chain-owner", task_queue="nobody-polls")
    await old.terminate("first chain done")
    new = await client.start_workflow("Nobody", id="chain-owner", task_queue="nobody-polls")
    for call in (old.cancel, old.terminate):
        with pytest.raises(RPCError, match="workflow execution not found") as caught:
            await call()
        assert caught.value.status == RPCStatusCode.NOT_FOUND
    await old.signal("poke")
    assert (await new.describe()).status == WorkflowExecutionStatus.RUNNING
    await new.terminate()
