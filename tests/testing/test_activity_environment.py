"""ActivityEnvironment runs activity code as temporalio's does: info, heartbeats,
cancellation (async tasks cancelled, sync threads interrupted), worker shutdown, client."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from legato import activity
from legato.client import Client
from legato.converter import DataConverter
from legato.exceptions import CancelledError
from legato.testing import ActivityEnvironment


async def test_async_activity_sees_info_heartbeats_and_cancellation() -> None:
    waiting = asyncio.Event()

    async def do_stuff(param: str) -> str:
        activity.heartbeat(f"param: {param}")
        assert activity.info().activity_id == "test"
        waiting.set()
        await activity.wait_for_cancelled()
        activity.heartbeat("cancelled")
        return "done"

    env = ActivityEnvironment()
    heartbeats: list[Any] = []
    env.on_heartbeat = lambda *details: heartbeats.append(details[0])
    task = asyncio.create_task(env.run(do_stuff, "param1"))
    await waiting.wait()
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert heartbeats == ["param: param1"]


async def test_async_activity_that_catches_cancellation_returns_its_result() -> None:
    async def cleans_up() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return f"cleaned up, cancelled: {activity.is_cancelled()}"
        return "never"

    env = ActivityEnvironment()
    task = asyncio.create_task(env.run(cleans_up))
    await asyncio.sleep(0)
    env.cancel()
    assert await task == "cleaned up, cancelled: True"


def test_sync_activity_gets_cancelled_error_raised_in_its_thread() -> None:
    started = threading.Event()
    cleaned: list[str] = []

    def loops_forever(param: str) -> str:
        activity.heartbeat(f"param: {param}")
        started.set()
        try:
            while True:
                time.sleep(0.01)
        except CancelledError:
            cleaned.append(threading.current_thread().name)
            raise

    env = ActivityEnvironment()
    heartbeats: list[Any] = []
    env.on_heartbeat = lambda *details: heartbeats.append(details[0])
    outcome: list[BaseException] = []

    def via_thread() -> None:
        try:
            env.run(loops_forever, "param1")
        except CancelledError as e:
            outcome.append(e)

    caller = threading.Thread(target=via_thread)
    caller.start()
    assert started.wait(5)
    env.cancel()
    caller.join(5)
    assert len(outcome) == 1
    assert heartbeats == ["param: param1"]
    # The activity ran in a thread of its own, not the caller's.
    assert len(cleaned) == 1
    assert cleaned[0] != caller.name


def cancel_once_started(
    env: ActivityEnvironment, started: threading.Event, details: activity.ActivityCancellationDetails | None = None
) -> None:
    """Cancel ``env`` from another thread once its activity has started."""

    def cancel() -> None:
        started.wait(5)
        if details is None:
            env.cancel()
        else:
            env.cancel(details)

    threading.Thread(target=cancel).start()


def test_sync_activity_defined_without_thread_cancel_polls_is_cancelled() -> None:
    started = threading.Event()

    @activity.defn(no_thread_cancel_exception=True)
    def polls() -> str:
        started.set()
        activity.wait_for_cancelled_sync()
        return f"saw cancel: {activity.is_cancelled()}"

    env = ActivityEnvironment()
    cancel_once_started(env, started)
    assert env.run(polls) == "saw cancel: True"


def test_shield_delays_the_thread_cancel_to_the_end_of_the_block() -> None:
    started = threading.Event()
    steps: list[str] = []

    def shielded() -> None:
        with activity.shield_thread_cancel_exception():
            started.set()
            activity.wait_for_cancelled_sync(5)
            steps.append("finished the shielded part")
        steps.append("never")

    env = ActivityEnvironment()
    cancel_once_started(env, started)
    with pytest.raises(CancelledError):
        env.run(shielded)
    assert steps == ["finished the shielded part"]


def test_a_sync_activity_that_returned_is_not_interrupted_by_a_later_cancel() -> None:
    env = ActivityEnvironment()
    assert env.run(lambda: "done") == "done"
    env.cancel()
    # The thread that ran it is gone; this thread goes on undisturbed.
    time.sleep(0.05)
    assert env.run(lambda: activity.is_cancelled()) is True


def test_cancellation_details_are_what_cancel_was_given() -> None:
    started = threading.Event()

    def waits() -> activity.ActivityCancellationDetails | None:
        assert activity.cancellation_details() is None
        started.set()
        activity.wait_for_cancelled_sync(5)
        return activity.cancellation_details()

    @activity.defn(no_thread_cancel_exception=True)
    def waits_quietly() -> activity.ActivityCancellationDetails | None:
        return waits()

    env = ActivityEnvironment()
    details = activity.ActivityCancellationDetails(paused=True)
    cancel_once_started(env, started, details)
    assert env.run(waits_quietly) == details
    # Only the first call counts.
    env.cancel(activity.ActivityCancellationDetails(timed_out=True))
    assert env.run(activity.cancellation_details) == details


async def test_worker_shutdown_is_announced_to_async_and_sync_activities() -> None:
    async def waits_async() -> str:
        await activity.wait_for_worker_shutdown()
        return f"async saw shutdown: {activity.is_worker_shutdown()}"

    def waits_sync() -> str:
        activity.wait_for_worker_shutdown_sync(5)
        return f"sync saw shutdown: {activity.is_worker_shutdown()}"

    env = ActivityEnvironment()
    async_task = asyncio.create_task(env.run(waits_async))
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:
        sync_future = loop.run_in_executor(pool, env.run, waits_sync)
        await asyncio.sleep(0.05)
        env.worker_shutdown()
        assert await async_task == "async saw shutdown: True"
        assert await sync_future == "sync saw shutdown: True"


def test_info_payload_converter_and_metric_meter_come_from_the_environment() -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(ActivityEnvironment.default_info(), activity_id="custom", attempt=3)
    converter = DataConverter.default.payload_converter
    env.payload_converter = converter

    def reads() -> tuple[str, int, bool]:
        meter = activity.metric_meter()
        meter.create_counter("jobs").add(1)
        return activity.info().activity_id, activity.info().attempt, activity.payload_converter() is converter

    assert env.run(reads) == ("custom", 3, True)


async def test_client_is_given_to_async_activities_only() -> None:
    client = Client.__new__(Client)  # never connected: the activity only hands it back

    async def async_client() -> Client:
        return activity.client()

    def sync_client() -> Client:
        return activity.client()

    env = ActivityEnvironment(client=client)
    assert await env.run(async_client) is client
    with pytest.raises(RuntimeError, match="only available in `async def`"):
        env.run(sync_client)
    with pytest.raises(RuntimeError, match="pass a client"):
        await ActivityEnvironment().run(async_client)


def test_an_activity_run_after_cancel_sees_it_cancelled() -> None:
    env = ActivityEnvironment()
    env.cancel()
    assert env.run(activity.is_cancelled) is True


async def test_an_async_activity_run_after_cancel_is_cancelled_at_once() -> None:
    async def sleeps() -> str:
        await asyncio.sleep(3600)
        return "never"

    env = ActivityEnvironment()
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await env.run(sleeps)


def test_many_cancelled_sync_activities_leave_pool_threads_undisturbed() -> None:
    # The threads of a pool that later runs other code must never get a stray CancelledError.
    def busy() -> None:
        while True:
            time.sleep(0.001)

    with ThreadPoolExecutor(4) as pool:
        for _ in range(20):
            env = ActivityEnvironment()
            future = pool.submit(_expect_cancel, env, busy)
            time.sleep(0.005)
            env.cancel()
            assert future.result(5) == "cancelled"
        # Work after the cancels runs to the end, in the same pool threads.
        results = [pool.submit(_sum_slowly).result(5) for _ in range(8)]
    assert results == [sum(range(2000))] * 8


def _expect_cancel(env: ActivityEnvironment, fn: Callable[[], None]) -> str:
    try:
        env.run(fn)
    except CancelledError:
        return "cancelled"
    return "not cancelled"


def _sum_slowly() -> int:
    total = 0
    for i in range(2000):
        total += i
        time.sleep(0)
    return total
