"""Activities end to end: results, retries on the server, timeouts, non-retryable errors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from legato import activity, workflow
from legato.client import Client
from legato.common import RetryPolicy
from legato.exceptions import ActivityError, ApplicationError, WorkflowFailureError
from legato.exceptions import TimeoutError as LegatoTimeoutError
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e

FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_interval=timedelta(seconds=1))
attempts_seen: dict[str, list[int]] = {}


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def flaky_charge(order_id: str) -> str:
    attempts_seen.setdefault(order_id, []).append(activity.info().attempt)
    if activity.info().attempt < 3:
        raise RuntimeError(f"card declined (attempt {activity.info().attempt})")
    return f"charged {order_id}"


@activity.defn
async def hangs_first_time(key: str) -> str:
    attempts_seen.setdefault(key, []).append(activity.info().attempt)
    if activity.info().attempt == 1:
        await asyncio.sleep(3600)
    return f"done on attempt {activity.info().attempt}"


@activity.defn
async def rejects_card(order_id: str) -> str:
    attempts_seen.setdefault(order_id, []).append(activity.info().attempt)
    raise ApplicationError("card is stolen", type="StolenCard", non_retryable=True)


@activity.defn
async def rate_limited(key: str) -> str:
    raise ApplicationError("rate limited; come back in an hour", next_retry_delay=timedelta(hours=1))


@workflow.defn
class RateLimitedWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            rate_limited, key, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY
        )


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn
class ChargeWorkflow:
    @workflow.run
    async def run(self, order_id: str) -> str:
        return await workflow.execute_activity(
            flaky_charge, order_id, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY
        )


@workflow.defn
class HungActivityWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        return await workflow.execute_activity(
            hangs_first_time, key, start_to_close_timeout=timedelta(seconds=1), retry_policy=FAST_RETRY
        )


@workflow.defn
class StolenCardWorkflow:
    @workflow.run
    async def run(self, order_id: str) -> str:
        try:
            return await workflow.execute_activity(
                rejects_card, order_id, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY
            )
        except ActivityError as e:
            if not isinstance(e.cause, ApplicationError):
                raise
            raise ApplicationError(f"payment refused: {e.cause.message}", type=e.cause.type) from e


async def activity_started_attempts(client: Client, workflow_id: str) -> list[int]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [e.attributes.attempt for e in history.events if e.attributes.type == "ActivityTaskStarted"]


async def test_workflow_returns_its_activity_result(client: Client) -> None:
    async with running_worker(client, task_queue="greet", workflows=[GreetingWorkflow], activities=[greet]):
        result = await client.execute_workflow(GreetingWorkflow.run, "Ada", id="greet-ada", task_queue="greet")
    assert result == "Hello, Ada!"


async def test_activity_failing_twice_then_succeeding_records_three_attempts(client: Client) -> None:
    async with running_worker(client, task_queue="charge", workflows=[ChargeWorkflow], activities=[flaky_charge]):
        result = await client.execute_workflow(ChargeWorkflow.run, "order-3x", id="charge-3x", task_queue="charge")
    assert result == "charged order-3x"
    assert attempts_seen["order-3x"] == [1, 2, 3]
    assert await activity_started_attempts(client, "charge-3x") == [3]
    history = await client.get_workflow_handle("charge-3x").fetch_history()
    assert [e.attributes.type for e in history.events].count("ActivityTaskCompleted") == 1


async def test_hung_activity_times_out_and_is_retried(client: Client) -> None:
    async with running_worker(
        client, task_queue="hung", workflows=[HungActivityWorkflow], activities=[hangs_first_time]
    ):
        result = await client.execute_workflow(HungActivityWorkflow.run, "hung-1", id="hung-1", task_queue="hung")
    assert result == "done on attempt 2"
    history = await client.get_workflow_handle("hung-1").fetch_history()
    started = next(e for e in history.events if e.attributes.type == "ActivityTaskStarted")
    assert started.attributes.attempt == 2  # type: ignore[union-attr]
    assert started.attributes.last_failure.timeout_type.value == "START_TO_CLOSE"  # type: ignore[union-attr]


async def test_non_retryable_error_stops_retries(client: Client) -> None:
    async with running_worker(client, task_queue="stolen", workflows=[StolenCardWorkflow], activities=[rejects_card]):
        handle = await client.start_workflow(StolenCardWorkflow.run, "order-st", id="stolen-1", task_queue="stolen")
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    assert attempts_seen["order-st"] == [1]
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "StolenCard"
    assert "payment refused: card is stolen" in cause.message
    assert await activity_started_attempts(client, "stolen-1") == [1]


async def test_an_activity_asking_for_its_next_retry_in_an_hour_waits_an_hour_not_the_policys_backoff(
    client: Client,
) -> None:
    async with running_worker(client, task_queue="limited", workflows=[RateLimitedWorkflow], activities=[rate_limited]):
        handle = await client.start_workflow(RateLimitedWorkflow.run, "k", id="limited-1", task_queue="limited")

        async def in_backoff() -> Any:
            pending = (await handle.describe()).pending_activities
            return pending[0] if pending and pending[0].state == "BACKOFF" else None

        waiting = await eventually(in_backoff, within=20, what="the activity waiting for its retry")
    assert waiting.next_attempt_time is not None
    wait = waiting.next_attempt_time - datetime.now(UTC)
    assert timedelta(minutes=55) < wait <= timedelta(hours=1)


@activity.defn
async def measure(text: str) -> int:
    return len(text)


@workflow.defn
class MeasureWorkflow:
    @workflow.run
    async def run(self, text: str) -> list[int]:
        measured = await workflow.execute_activity(measure, text, start_to_close_timeout=timedelta(seconds=10))
        return [len(text), measured]


async def test_an_input_over_one_mib_reaches_the_workflow_and_its_activity(client: Client) -> None:
    # Past aiohttp's 1 MiB mark for request bodies, under the 2 MiB payload limit.
    text = "x" * (1536 * 1024)
    async with running_worker(client, task_queue="measure", workflows=[MeasureWorkflow], activities=[measure]):
        result = await client.execute_workflow(MeasureWorkflow.run, text, id="measure-1", task_queue="measure")
    assert result == [len(text), len(text)]


@workflow.defn
class UnpickedActivityWorkflow:
    """Schedules an activity on a queue no worker polls, with a schedule-to-start limit."""

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.execute_activity(
                greet,
                "nobody",
                task_queue="nobody-polls-this",
                schedule_to_start_timeout=timedelta(seconds=1),
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=FAST_RETRY,
            )
        except ActivityError as e:
            cause = e.cause
            assert isinstance(cause, LegatoTimeoutError)
            return f"{type(cause).__name__} {cause.type.name if cause.type else None}"
        return "ran"


async def test_an_activity_no_worker_picks_up_fails_at_its_schedule_to_start_timeout_without_a_retry(
    client: Client,
) -> None:
    async with running_worker(client, task_queue="unpicked", workflows=[UnpickedActivityWorkflow]):
        outcome = await asyncio.wait_for(
            client.execute_workflow(UnpickedActivityWorkflow.run, id="unpicked-1", task_queue="unpicked"), timeout=30
        )
    # As Temporal: a schedule-to-start timeout is not retried, whatever the retry policy says.
    assert outcome == "TimeoutError SCHEDULE_TO_START"
    history = await client.get_workflow_handle("unpicked-1").fetch_history()
    types = [e.attributes.type for e in history.events]
    assert "ActivityTaskTimedOut" in types
    assert "ActivityTaskStarted" not in types
