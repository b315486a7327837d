"""``start_time_skipping``: the clock jumps to the next timer only when nothing else can
happen, while a result is awaited or the test sleeps, as in Temporal's test server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from legato.api.testservice import v1 as testing
from legato.client import WorkflowExecutionStatus
from legato.exceptions import RPCError, RPCStatusCode
from legato.testing import WorkflowEnvironment
from legato.worker import Worker
from tests.support.deadline import eventually
from tests.testing import workflows

pytestmark = pytest.mark.e2e

DAY = 24 * 3600.0


def _worker(env: WorkflowEnvironment, task_queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=task_queue,
        workflows=[
            workflows.Sleeper,
            workflows.GreetAfterSleeping,
            workflows.ActivityOrTimer,
            workflows.RetriedAfterAnHour,
        ],
        activities=[workflows.greet, workflows.take_a_moment, workflows.fail_once],
    )


async def test_a_workflow_sleeping_30_days_completes_at_once_with_its_clock_30_days_on(
    skipping_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    before = await skipping_env.get_current_time()
    async with _worker(skipping_env, task_queue):
        # Only a skipping clock can finish a 30-day sleep within the deadline.
        slept = await asyncio.wait_for(
            skipping_env.client.execute_workflow(
                workflows.Sleeper.run, 30 * DAY, id=str(uuid.uuid4()), task_queue=task_queue
            ),
            timeout=30,
        )
    assert slept >= 30 * DAY
    assert (await skipping_env.get_current_time()) - before >= timedelta(days=30)


async def test_an_activity_after_a_month_long_sleep_runs_and_its_result_comes_back(
    skipping_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with _worker(skipping_env, task_queue):
        greeting = await asyncio.wait_for(
            skipping_env.client.execute_workflow(
                workflows.GreetAfterSleeping.run, "World", id=str(uuid.uuid4()), task_queue=task_queue
            ),
            timeout=30,
        )
    assert greeting == "Hello, World!"


async def test_time_does_not_skip_while_an_activity_runs(skipping_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with _worker(skipping_env, task_queue):
        winner = await skipping_env.client.execute_workflow(
            workflows.ActivityOrTimer.run, 0.5, id=str(uuid.uuid4()), task_queue=task_queue
        )
    # A clock that skipped past the running activity would have fired the hour-long timer.
    assert winner == "activity"


async def test_an_activity_retry_an_hour_later_is_reached_by_skipping(skipping_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    before = await skipping_env.get_current_time()
    async with _worker(skipping_env, task_queue):
        attempt = await asyncio.wait_for(
            skipping_env.client.execute_workflow(
                workflows.RetriedAfterAnHour.run, str(uuid.uuid4()), id=str(uuid.uuid4()), task_queue=task_queue
            ),
            timeout=30,
        )
    assert attempt == 2
    assert (await skipping_env.get_current_time()) - before >= timedelta(hours=1)


async def test_time_does_not_skip_while_nobody_awaits_a_result(skipping_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with _worker(skipping_env, task_queue):
        handle = await skipping_env.client.start_workflow(
            workflows.Sleeper.run, DAY, id=str(uuid.uuid4()), task_queue=task_queue
        )
        before = await skipping_env.get_current_time()

        async def timer_started() -> bool:
            return any([e.attributes.type == "TimerStarted" async for e in handle.fetch_history_events()])

        await eventually(timer_started, within=10, what="the workflow's day-long timer")
        # Long enough for a jump to have happened had the clock been free.
        await asyncio.sleep(0.3)
        assert (await skipping_env.get_current_time()) - before < timedelta(minutes=1)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        assert await asyncio.wait_for(handle.result(), timeout=30) >= DAY


async def test_auto_time_skipping_disabled_keeps_real_time_while_a_result_is_awaited(
    skipping_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with _worker(skipping_env, task_queue):
        handle = await skipping_env.client.start_workflow(
            workflows.Sleeper.run, DAY, id=str(uuid.uuid4()), task_queue=task_queue
        )
        with skipping_env.auto_time_skipping_disabled(), pytest.raises(TimeoutError):
            await asyncio.wait_for(handle.result(), timeout=0.5)
        assert await asyncio.wait_for(handle.result(), timeout=30) >= DAY


async def test_sleep_moves_the_clock_by_its_duration_and_fires_the_timers_on_the_way(
    skipping_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with _worker(skipping_env, task_queue):
        handle = await skipping_env.client.start_workflow(
            workflows.Sleeper.run, 2 * 3600.0, id=str(uuid.uuid4()), task_queue=task_queue
        )
        before = await skipping_env.get_current_time()
        await asyncio.wait_for(skipping_env.sleep(timedelta(hours=3)), timeout=30)
        moved = (await skipping_env.get_current_time()) - before
        assert timedelta(hours=3) <= moved < timedelta(hours=3, minutes=1)

        async def completed() -> bool:
            return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED

        await eventually(completed, within=10, what="the two-hour sleeper to complete")


async def test_a_time_skipping_environment_says_it_skips_time(
    skipping_env: WorkflowEnvironment, local_env: WorkflowEnvironment
) -> None:
    assert skipping_env.supports_time_skipping
    assert skipping_env.supports_time_skipping_v1
    assert not skipping_env.supports_time_skipping_v2
    assert not local_env.supports_time_skipping


async def test_the_testing_operations_answer_failed_precondition_on_a_server_that_does_not_skip(
    local_env: WorkflowEnvironment,
) -> None:
    with pytest.raises(RPCError) as raised:
        await local_env.client.service_client.get_current_time(testing.GetCurrentTimeRequest())
    assert raised.value.status == RPCStatusCode.FAILED_PRECONDITION
    assert "--time-skipping" in raised.value.message
