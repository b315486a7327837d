"""Workflows and activities the tests of ``legato.testing`` run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from legato import activity, workflow
from legato.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from legato.exceptions import ApplicationError


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn
async def take_a_moment(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "activity"


_attempts: dict[str, int] = {}


@activity.defn
async def fail_once(key: str) -> int:
    """Fails its first attempt (per key), then answers its attempt number."""
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] == 1:
        raise ApplicationError("first attempt fails")
    return activity.info().attempt


@workflow.defn
class Sleeper:
    """Sleeps ``seconds`` (a durable timer) and answers how long its clock moved."""

    @workflow.run
    async def run(self, seconds: float) -> float:
        start = workflow.now()
        await asyncio.sleep(seconds)
        return (workflow.now() - start).total_seconds()


@workflow.defn
class GreetAfterSleeping:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(days=30))
        return await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn
class ActivityOrTimer:
    """Races an activity taking real time against an hour-long timer; answers the winner."""

    @workflow.run
    async def run(self, seconds: float) -> str:
        act = workflow.start_activity(take_a_moment, seconds, start_to_close_timeout=timedelta(seconds=30))
        timer = asyncio.ensure_future(asyncio.sleep(3600))
        done, _ = await asyncio.wait([act, timer], return_when=asyncio.FIRST_COMPLETED)
        return "activity" if act in done else "timer"


@workflow.defn
class RetriedAfterAnHour:
    @workflow.run
    async def run(self, key: str) -> int:
        return await workflow.execute_activity(
            fail_once,
            key,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(hours=1)),
        )


@workflow.defn
class Asserting:
    """Fails an ``assert`` in its run method, or in its signal handler when signalled."""

    def __init__(self) -> None:
        self.signalled = False

    @workflow.run
    async def run(self, in_run: bool) -> str:
        assert not in_run, "the run method's assertion"
        await workflow.wait_condition(lambda: self.signalled)
        return "never"

    @workflow.signal
    def poke(self) -> None:
        self.signalled = True
        assert not self.signalled, "the signal handler's assertion"
