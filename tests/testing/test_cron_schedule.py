"""Temporal's older cron feature on a time-skipping server: each run of the chain waits for
the schedule's next fire time, gets the last run's result, and a failed run's successor
learns how it failed; terminating the current run ends the chain. Checked against
Temporal's dev server: the first run's initiator is CRON_SCHEDULE, each completion names
the next run, which is attempt 1 with ``last_completion_result``."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from legato import workflow
from legato.api.history import v1 as hist
from legato.client import RPCError, RPCStatusCode, WorkflowExecutionStatus, WorkflowHandle
from legato.exceptions import ApplicationError
from legato.testing import WorkflowEnvironment
from legato.worker import Worker
from tests.support.deadline import eventually

HOURLY = "0 * * * *"


@workflow.defn
class Counts:
    @workflow.run
    async def run(self, step: int) -> int:
        last = workflow.get_last_completion_result(int) if workflow.has_last_completion_result() else 0
        assert workflow.info().cron_schedule == HOURLY
        failure = workflow.get_last_failure()
        if last == 2 and failure is None:
            raise ApplicationError("third run fails", non_retryable=True)
        return (last or 0) + step


async def runs_of(env: WorkflowEnvironment, workflow_id: str, at_least: int) -> list[str]:
    """The chain's run ids, newest first, once it has ``at_least`` (time skips an hour a try)."""

    async def enough() -> list[str] | None:
        runs = [e.run_id async for e in env.client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        if len(runs) >= at_least:
            return runs
        await env.sleep(timedelta(hours=1))
        return None

    return await eventually(enough, within=60, what=f"{at_least} runs of the cron chain")


async def started_of(handle: WorkflowHandle[object, object]) -> hist.WorkflowExecutionStarted:
    first = await anext(handle.fetch_history_events())
    assert isinstance(first.attributes, hist.WorkflowExecutionStarted)
    return first.attributes


async def test_a_cron_chain_runs_at_each_fire_time_with_the_last_result(skipping_env: WorkflowEnvironment) -> None:
    client, task_queue, workflow_id = skipping_env.client, str(uuid.uuid4()), "hourly"
    async with Worker(client, task_queue=task_queue, workflows=[Counts]):
        handle = await client.start_workflow(Counts.run, 1, id=workflow_id, task_queue=task_queue, cron_schedule=HOURLY)
        runs = list(reversed(await runs_of(skipping_env, workflow_id, at_least=5)))
        await client.get_workflow_handle(workflow_id).terminate("enough")
    first = await started_of(client.get_workflow_handle(workflow_id, run_id=runs[0]))
    assert (first.initiator, first.cron_schedule, first.attempt) == ("CRON_SCHEDULE", HOURLY, 1)
    assert first.first_workflow_task_backoff is not None
    assert first.first_workflow_task_backoff <= 3600
    results = []
    for run_id in runs[:4]:
        described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        assert described.execution_time is not None
        assert described.execution_time.minute == 0
        results.append(described.status)
    assert results[:2] == [WorkflowExecutionStatus.COMPLETED] * 2
    assert results[2] is WorkflowExecutionStatus.FAILED
    assert await client.get_workflow_handle(workflow_id, run_id=runs[1]).result(follow_runs=False) == 2
    # The run after the failure gets the last result from before it, and the failure.
    assert await client.get_workflow_handle(workflow_id, run_id=runs[3]).result(follow_runs=False) == 3
    second = await started_of(client.get_workflow_handle(workflow_id, run_id=runs[1]))
    assert second.continued_execution_run_id == runs[0]
    assert second.first_workflow_task_backoff == pytest.approx(3600, abs=5)
    # A start's handle names no run: it describes the chain's latest, the one terminated.
    assert (await handle.describe()).status is WorkflowExecutionStatus.TERMINATED


async def test_terminating_the_current_run_ends_the_chain(skipping_env: WorkflowEnvironment) -> None:
    client, task_queue = skipping_env.client, str(uuid.uuid4())
    async with Worker(client, task_queue=task_queue, workflows=[Counts]):
        await client.start_workflow(Counts.run, 1, id="ends", task_queue=task_queue, cron_schedule=HOURLY)
        await runs_of(skipping_env, "ends", at_least=2)
        await client.get_workflow_handle("ends").terminate("stop")
        await skipping_env.sleep(timedelta(hours=3))
    statuses = [e.status async for e in client.list_workflows("WorkflowId = 'ends'")]
    assert statuses[0] is WorkflowExecutionStatus.TERMINATED
    assert WorkflowExecutionStatus.RUNNING not in statuses


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("61 * * * *", "invalid CronSchedule"),
        ("* * *", "invalid CronSchedule"),
        ("@every nope", "invalid CronSchedule"),
    ],
)
async def test_a_bad_schedule_is_refused_by_name(
    skipping_env: WorkflowEnvironment, schedule: str, message: str
) -> None:
    with pytest.raises(RPCError, match=message) as refused:
        await skipping_env.client.start_workflow(Counts.run, 1, id="bad", task_queue="q", cron_schedule=schedule)
    assert refused.value.status is RPCStatusCode.INVALID_ARGUMENT


async def test_a_schedule_with_a_start_delay_is_refused(skipping_env: WorkflowEnvironment) -> None:
    with pytest.raises(RPCError, match="CronSchedule and WorkflowStartDelay may not be used together"):
        await skipping_env.client.start_workflow(
            Counts.run, 1, id="bad", task_queue="q", cron_schedule=HOURLY, start_delay=timedelta(seconds=5)
        )


@workflow.defn
class StartsCronChild:
    @workflow.run
    async def run(self) -> str:
        child = await workflow.start_child_workflow(
            Counts.run,
            1,
            id="cron-child",
            cron_schedule=HOURLY,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
        return child.first_execution_run_id or ""


async def test_a_child_started_with_a_cron_schedule_runs_as_a_cron_chain(skipping_env: WorkflowEnvironment) -> None:
    client, task_queue = skipping_env.client, str(uuid.uuid4())
    async with Worker(client, task_queue=task_queue, workflows=[StartsCronChild, Counts]):
        first_run = await client.execute_workflow(StartsCronChild.run, id="parent", task_queue=task_queue)
        runs = list(reversed(await runs_of(skipping_env, "cron-child", at_least=3)))
        await client.get_workflow_handle("cron-child").terminate("enough")
    assert runs[0] == first_run
    started = await started_of(client.get_workflow_handle("cron-child", run_id=runs[0]))
    assert (started.cron_schedule, started.initiator) == (HOURLY, "CRON_SCHEDULE")
    assert await client.get_workflow_handle("cron-child", run_id=runs[1]).result(follow_runs=False) == 2
