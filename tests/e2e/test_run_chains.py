"""Chains of runs and start options through a real server: continue-as-new, workflow
retries, start delays, signal-with-start and the id policies (checked against Temporal's
dev server: the same combinations are errors, and the same runs result)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from legato import workflow
from legato.api.history import v1 as wire
from legato.client import Client, WorkflowContinuedAsNewError, WorkflowExecutionStatus
from legato.common import RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from legato.exceptions import ApplicationError, RPCError, TimeoutError, TimeoutType, WorkflowAlreadyStartedError
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e


@workflow.defn
class Countdown:
    """Continues as new until ``n`` reaches 0, then reports what its last run knew."""

    @workflow.run
    async def run(self, n: int) -> dict[str, object]:
        if n > 0:
            workflow.continue_as_new(n - 1)
        info = workflow.info()
        return {
            "continued": info.continued_run_id,
            "first": info.first_execution_run_id,
            "length": info.get_current_history_length(),
            "size": info.get_current_history_size(),
            "suggested": info.is_continue_as_new_suggested(),
        }


@workflow.defn
class Flaky:
    """Fails its first two attempts."""

    @workflow.run
    async def run(self) -> str:
        info = workflow.info()
        if info.attempt < 3:
            raise ApplicationError(f"attempt {info.attempt}", type="Flake")
        return (
            f"ok on attempt {info.attempt} after {workflow.get_last_failure()}, first run {info.first_execution_run_id}"
        )


@workflow.defn
class SlowFirst:
    """Outlives its run timeout on its first attempt; the retry says how that one ended."""

    @workflow.run
    async def run(self) -> list[str]:
        if workflow.info().attempt == 1:
            await asyncio.sleep(60)
        last = workflow.get_last_failure()
        assert isinstance(last, TimeoutError)
        return [str(last), str(last.type)]


@workflow.defn
class Waiter:
    """Returns the signals it got once it has one."""

    def __init__(self) -> None:
        self.got: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: bool(self.got))
        return self.got

    @workflow.signal
    def go(self, value: str) -> None:
        self.got.append(value)


async def test_continue_as_new_chains_runs_and_the_result_follows_them(client: Client) -> None:
    async with running_worker(client, task_queue="chains", workflows=[Countdown]):
        handle = await client.start_workflow(Countdown.run, 2, id="countdown", task_queue="chains")
        result = await handle.result()
        with pytest.raises(WorkflowContinuedAsNewError) as caught:
            await handle.result(follow_runs=False)
    first_run = handle.result_run_id
    assert result["first"] == first_run
    assert result["continued"] not in (None, first_run)
    assert result["length"] == 3
    assert isinstance(result["size"], int)
    assert result["size"] > 0
    assert result["suggested"] is False
    latest = await client.get_workflow_handle("countdown").describe()
    assert latest.status == WorkflowExecutionStatus.COMPLETED
    assert latest.run_id != first_run
    first = client.get_workflow_handle("countdown", run_id=first_run)
    assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    closing = (await first.fetch_history()).events[-1].attributes
    assert isinstance(closing, wire.WorkflowExecutionContinuedAsNew)
    assert closing.new_execution_run_id == caught.value.new_execution_run_id


async def test_a_failed_run_is_retried_as_a_new_run_chained_to_it(client: Client) -> None:
    policy = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=5)
    async with running_worker(client, task_queue="retries", workflows=[Flaky]):
        handle = await client.start_workflow(Flaky.run, id="flaky", task_queue="retries", retry_policy=policy)
        assert await handle.result() == f"ok on attempt 3 after Flake: attempt 2, first run {handle.result_run_id}"
    first = client.get_workflow_handle("flaky", run_id=handle.result_run_id)
    failed = (await first.fetch_history()).events[-1].attributes
    assert isinstance(failed, wire.WorkflowExecutionFailed)
    assert failed.new_execution_run_id is not None
    described = await client.get_workflow_handle("flaky").describe()
    assert described.raw_description.attempt == 3


async def test_a_run_retried_after_its_run_timeout_reads_temporals_timeout_failure(client: Client) -> None:
    # As on Temporal's dev server: continued_failure is a START_TO_CLOSE "workflow timeout".
    policy = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=2)
    async with running_worker(client, task_queue="run-timeouts", workflows=[SlowFirst]):
        result = await client.execute_workflow(
            SlowFirst.run,
            id="slow-first",
            task_queue="run-timeouts",
            retry_policy=policy,
            run_timeout=timedelta(seconds=1),
        )
    assert result == ["workflow timeout", str(TimeoutType.START_TO_CLOSE)]


async def test_start_delay_holds_the_first_workflow_task_back(client: Client) -> None:
    handle = await client.start_workflow(
        Waiter.run,
        id="delayed",
        task_queue="delays",
        start_delay=timedelta(seconds=1),
        start_signal="go",
        start_signal_args=["now"],
    )
    events = (await handle.fetch_history()).events
    assert [e.attributes.type for e in events] == ["WorkflowExecutionStarted", "WorkflowExecutionSignaled"]
    async with running_worker(client, task_queue="delays", workflows=[Waiter]):
        assert await handle.result() == ["now"]
    events = (await handle.fetch_history()).events
    scheduled = next(e for e in events if e.attributes.type == "WorkflowTaskScheduled")
    assert scheduled.event_time - events[0].event_time >= timedelta(seconds=1)


async def test_signal_with_start_starts_a_run_or_signals_the_running_one(client: Client) -> None:
    first = await client.start_workflow(
        Waiter.run, id="sws", task_queue="sws", start_signal="go", start_signal_args=["a"]
    )
    again = await client.start_workflow(
        Waiter.run, id="sws", task_queue="sws", start_signal="go", start_signal_args=["b"]
    )
    assert again.result_run_id == first.result_run_id
    async with running_worker(client, task_queue="sws", workflows=[Waiter]):
        assert await first.result() == ["a", "b"]
    with pytest.raises(RPCError, match="FAIL is not supported"):
        await client.start_workflow(
            Waiter.run,
            id="sws-2",
            task_queue="sws",
            start_signal="go",
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )


async def test_terminate_existing_replaces_the_running_run(client: Client) -> None:
    old = await client.start_workflow(Waiter.run, id="replace", task_queue="nobody")
    new = await client.start_workflow(
        Waiter.run, id="replace", task_queue="nobody", id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING
    )
    assert new.result_run_id != old.result_run_id
    old_run = client.get_workflow_handle("replace", run_id=old.result_run_id)
    terminated = (await old_run.fetch_history()).events[-1].attributes
    assert isinstance(terminated, wire.WorkflowExecutionTerminated)
    assert terminated.reason == "TerminateIfRunning WorkflowIdReusePolicy"
    newest = await client.start_workflow(
        Waiter.run, id="replace", task_queue="nobody", id_reuse_policy=WorkflowIDReusePolicy.TERMINATE_IF_RUNNING
    )
    assert newest.result_run_id != new.result_run_id
    assert (await client.get_workflow_handle("replace").describe()).status == WorkflowExecutionStatus.RUNNING


async def test_policy_combinations_temporal_refuses_are_refused_naming_the_field(client: Client) -> None:
    with pytest.raises(RPCError, match="TERMINATE_IF_RUNNING cannot be used together") as caught:
        await client.start_workflow(
            Waiter.run,
            id="bad",
            task_queue="nobody",
            id_reuse_policy=WorkflowIDReusePolicy.TERMINATE_IF_RUNNING,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
    assert caught.value.field == "id_reuse_policy"
    with pytest.raises(RPCError, match="REJECT_DUPLICATE cannot be used together"):
        await client.start_workflow(
            Waiter.run,
            id="bad",
            task_queue="nobody",
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        )
    await client.start_workflow(Waiter.run, id="taken", task_queue="nobody")
    with pytest.raises(WorkflowAlreadyStartedError):
        await client.start_workflow(Waiter.run, id="taken", task_queue="nobody")


async def chain_of(client: Client, workflow_id: str, first_run: str | None) -> list[str]:
    """Statuses along the chain from its first run, following each continue-as-new."""
    statuses: list[str] = []
    run_id = first_run
    while run_id is not None:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        described = await handle.describe()
        statuses.append(described.raw_description.status.value)
        run_id = described.raw_description.new_execution_run_id
        if described.status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
            # The close names the run that the same transaction started.
            closing = (await handle.fetch_history()).events[-1].attributes
            assert isinstance(closing, wire.WorkflowExecutionContinuedAsNew)
            assert closing.new_execution_run_id == run_id
    return statuses


async def test_a_server_killed_between_runs_loses_no_link_of_any_chain(server: ServerProcess, client: Client) -> None:
    ids = [f"chain-{i}" for i in range(10)]
    async with running_worker(client, task_queue="chains", workflows=[Countdown]):
        handles = [await client.start_workflow(Countdown.run, 8, id=i, task_queue="chains") for i in ids]
        await eventually(lambda: _continued(client, ids[0]), within=30, what="a first continue-as-new")
        server.kill()
        server.start()
        await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), timeout=120)
    for workflow_id, handle in zip(ids, handles, strict=True):
        assert await chain_of(client, workflow_id, handle.result_run_id) == ["CONTINUED_AS_NEW"] * 8 + ["COMPLETED"]


async def _continued(client: Client, workflow_id: str) -> bool:
    return (await client.get_workflow_handle(workflow_id).describe()).raw_description.continued_run_id is not None
