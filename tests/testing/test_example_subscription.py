"""The subscription example over months of its own time, in about a second of ours: the
time-skipping environment jumps each 30-day wait once nothing else can happen."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from examples.subscription import workflows as subscription

from legato.client import WorkflowHandle
from legato.testing import WorkflowEnvironment
from legato.worker import Worker
from tests.support.deadline import eventually

pytestmark = pytest.mark.e2e


def _worker(env: WorkflowEnvironment, task_queue: str) -> Worker:
    return Worker(
        env.client, task_queue=task_queue, workflows=subscription.WORKFLOWS, activities=subscription.ACTIVITIES
    )


async def _start(env: WorkflowEnvironment, task_queue: str, **fields: int) -> WorkflowHandle[Any, Any]:
    sub = subscription.Subscription("customer-1", "tea-club", 1500, **fields)
    return await env.client.start_workflow(
        subscription.SubscriptionWorkflow.run, sub, id=f"subscription-{uuid.uuid4()}", task_queue=task_queue
    )


async def _events(handle: WorkflowHandle[Any, Any]) -> list[str]:
    return [e.attributes.type async for e in handle.fetch_history_events()]


async def test_a_year_of_monthly_renewals_is_charged_once_a_period_each_in_its_own_run(
    skipping_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    before = await skipping_env.get_current_time()
    async with _worker(skipping_env, task_queue):
        handle = await _start(skipping_env, task_queue, max_periods=12)
        # Only a skipping clock gets through 360 days within the deadline.
        ended = await asyncio.wait_for(handle.result(), timeout=30)
    assert ended == subscription.SubscriptionEnded("customer-1", 12, "completed")
    assert (await skipping_env.get_current_time()) - before >= timedelta(days=360)
    # The first run held one period and handed on; the last charged the twelfth.
    first = await _events(skipping_env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id))
    assert first.count("ActivityTaskScheduled") == 1
    assert first[-1] == "WorkflowExecutionContinuedAsNew"
    runs = [e async for e in skipping_env.client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) == 12


async def test_a_cancel_in_the_third_period_ends_it_after_two_charges(skipping_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with _worker(skipping_env, task_queue):
        handle = await _start(skipping_env, task_queue)
        # 65 days: two periods pass, and their charges run, before the signal.
        await asyncio.wait_for(skipping_env.sleep(timedelta(days=65)), timeout=30)
        latest = skipping_env.client.get_workflow_handle(handle.id)

        async def third_period_waiting() -> bool:
            runs = [e async for e in skipping_env.client.list_workflows(f"WorkflowId = '{handle.id}'")]
            return len(runs) == 3 and "TimerStarted" in await _events(latest)

        await eventually(third_period_waiting, within=10, what="the third run waiting for its period")
        await latest.signal(subscription.SubscriptionWorkflow.cancel)
        ended = await asyncio.wait_for(handle.result(), timeout=30)
    assert ended == subscription.SubscriptionEnded("customer-1", 2, "cancelled")
    # The cancel ended the wait before its 30 days: no third charge.
    assert "ActivityTaskScheduled" not in await _events(latest)
