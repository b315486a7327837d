"""Cancelling activities end to end: the workflow's cancellation types (what it sees and
when, as on Temporal's dev server), sync activities interrupted in their own thread, and
the worker's graceful shutdown (told, then cancelled after the timeout, then retried by
another worker)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.client import Client
from legato.common import RetryPolicy
from legato.exceptions import ActivityError, CancelledError
from legato.testing import ActivityEnvironment
from legato.worker import Worker
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e

FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_interval=timedelta(seconds=1))
seen: dict[str, list[str]] = {}
started: dict[str, threading.Event] = {}


def _started(key: str) -> threading.Event:
    return started.setdefault(key, threading.Event())


@activity.defn
async def cleans_up_slowly(key: str) -> str:
    _started(key).set()
    try:
        while True:
            activity.heartbeat()
            await asyncio.sleep(0.1)
    except asyncio.CancelledError:
        await asyncio.sleep(1.0)
        details = activity.cancellation_details()
        why = "cancel requested" if details and details.cancel_requested else "run closed" if details else "?"
        seen.setdefault(key, []).append(f"cleaned up: {why}")
        raise


@workflow.defn
class CancelsItsActivityWorkflow:
    @workflow.run
    async def run(self, key: str, cancellation_type: str) -> str:
        handle = workflow.start_activity(
            cleans_up_slowly,
            key,
            start_to_close_timeout=timedelta(seconds=30),
            # Long enough for the one-second cleanup: the cancel comes with a heartbeat's answer.
            heartbeat_timeout=timedelta(seconds=3),
            cancellation_type=workflow.ActivityCancellationType[cancellation_type],
        )
        await workflow.sleep(0.5)
        handle.cancel()
        cancelled_at = workflow.now()
        try:
            await handle
        except ActivityError as e:
            waited = (workflow.now() - cancelled_at).total_seconds()
            outcome = f"{type(e.cause).__name__} {'at once' if waited < 0.9 else 'after the activity'}"
        else:
            outcome = "completed"
        # The run stays open a while, so that an abandoned activity is not stopped by its end.
        await workflow.sleep(3)
        return outcome


@pytest.mark.parametrize(
    ("cancellation_type", "expected", "activity_saw"),
    [
        ("TRY_CANCEL", "CancelledError at once", "cleaned up: cancel requested"),
        ("WAIT_CANCELLATION_COMPLETED", "CancelledError after the activity", "cleaned up: cancel requested"),
        # No cancel is sent: the activity runs on until the run closes.
        ("ABANDON", "CancelledError at once", "cleaned up: run closed"),
    ],
)
async def test_the_workflow_sees_its_cancelled_activity_as_its_cancellation_type_says(
    client: Client, cancellation_type: str, expected: str, activity_saw: str
) -> None:
    key = f"type-{cancellation_type}"
    async with running_worker(
        client,
        task_queue=key,
        workflows=[CancelsItsActivityWorkflow],
        activities=[cleans_up_slowly],
        # Heartbeats well inside the three-second timeout even on a loaded machine: at the
        # default 80% a late one times the attempt out and a second attempt runs.
        max_heartbeat_throttle_interval=timedelta(seconds=0.5),
    ):
        result = await client.execute_workflow(
            CancelsItsActivityWorkflow.run, args=[key, cancellation_type], id=key, task_queue=key
        )
        assert result == expected
        await eventually(lambda: seen.get(key), within=10, what="the activity cleaned up")
    assert seen[key] == [activity_saw]


@activity.defn
def loops_until_cancelled(key: str) -> str:
    _started(key).set()
    try:
        while True:
            activity.heartbeat()
            time.sleep(0.01)
    except CancelledError:
        seen.setdefault(key, []).append(f"CancelledError in {threading.current_thread().name}")
        raise


@activity.defn
def adds(a: int, b: int) -> int:
    return a + b


@workflow.defn
class CancelsSyncActivityWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        handle = workflow.start_activity(
            loops_until_cancelled,
            key,
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=1),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(0.3)
        handle.cancel()
        try:
            await handle
        except ActivityError as e:
            return type(e.cause).__name__
        return "completed"


@workflow.defn
class AddsWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        return await workflow.execute_activity(adds, args=[n, 1], start_to_close_timeout=timedelta(seconds=10))


async def test_a_cancelled_sync_activity_gets_cancelled_error_in_its_thread_and_the_process_goes_on(
    client: Client,
) -> None:
    # Many environments cancelling sync activities in this process first: no stray exception
    # may reach a thread that later runs workflow activations or other activities.
    for i in range(10):
        env = ActivityEnvironment()
        # Cancelled once running: one cancelled before it starts only sees is_cancelled().
        threading.Thread(target=lambda key=f"env-{i}", env=env: (_started(key).wait(5), env.cancel())).start()
        with pytest.raises(CancelledError):
            env.run(loops_until_cancelled, f"env-{i}")
    with ThreadPoolExecutor(2, thread_name_prefix="sync-activities") as pool:
        async with running_worker(
            client,
            task_queue="sync-cancel",
            workflows=[CancelsSyncActivityWorkflow, AddsWorkflow],
            activities=[loops_until_cancelled, adds],
            activity_executor=pool,
        ):
            for i in range(3):
                key = f"sync-cancel-{i}"
                result = await client.execute_workflow(
                    CancelsSyncActivityWorkflow.run, key, id=key, task_queue="sync-cancel"
                )
                assert result == "CancelledError"
                assert seen[key][0].startswith("CancelledError in sync-activities")
            # The same threads run other activities and the workflows go on.
            sums = [
                await client.execute_workflow(AddsWorkflow.run, n, id=f"adds-{n}", task_queue="sync-cancel")
                for n in range(5)
            ]
    assert sums == [1, 2, 3, 4, 5]


@activity.defn
async def finishes_on_shutdown(key: str) -> str:
    _started(key).set()
    await activity.wait_for_worker_shutdown()
    return f"finished after the shutdown notice (is_worker_shutdown={activity.is_worker_shutdown()})"


@activity.defn
def ignores_shutdown(key: str) -> str:
    if activity.info().attempt > 1:
        return f"done on attempt {activity.info().attempt}"
    _started(key).set()
    try:
        while True:
            time.sleep(0.01)
    except CancelledError:
        details = activity.cancellation_details()
        shutdown = details is not None and details.worker_shutdown
        seen.setdefault(key, []).append(f"cancelled, worker_shutdown={shutdown}, told={activity.is_worker_shutdown()}")
        raise


@workflow.defn
class ShutdownWorkflow:
    @workflow.run
    async def run(self, key: str, sync: bool) -> str:
        return await workflow.execute_activity(
            ignores_shutdown if sync else finishes_on_shutdown,
            key,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=FAST_RETRY,
        )


async def wait_started(key: str) -> None:
    await eventually(lambda: _started(key).is_set(), within=10, what=f"activity {key} started")


async def test_graceful_shutdown_tells_running_activities_and_lets_them_finish(client: Client) -> None:
    key = "graceful"
    async with running_worker(client, task_queue=key, workflows=[ShutdownWorkflow]):
        handle = await client.start_workflow(ShutdownWorkflow.run, args=[key, False], id=key, task_queue=key)
        worker = Worker(
            client, task_queue=key, activities=[finishes_on_shutdown], graceful_shutdown_timeout=timedelta(seconds=10)
        )
        async with worker:
            await wait_started(key)
        result = await handle.result()
    assert result == "finished after the shutdown notice (is_worker_shutdown=True)"


async def test_past_the_graceful_timeout_a_sync_activity_is_cancelled_and_retried_elsewhere(client: Client) -> None:
    key = "past-grace"
    async with running_worker(client, task_queue=key, workflows=[ShutdownWorkflow]):
        handle = await client.start_workflow(ShutdownWorkflow.run, args=[key, True], id=key, task_queue=key)
        with ThreadPoolExecutor(1) as pool:
            first = Worker(
                client,
                task_queue=key,
                activities=[ignores_shutdown],
                activity_executor=pool,
                graceful_shutdown_timeout=timedelta(milliseconds=300),
            )
            async with first:
                await wait_started(key)
        assert seen[key] == ["cancelled, worker_shutdown=True, told=True"]
        async with running_worker(client, task_queue=key, activities=[ignores_shutdown]):
            assert await handle.result() == "done on attempt 2"
