"""Durability end to end: timers across restarts, kill -9 of the server mid-run."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from legato import activity, workflow
from legato.client import Client
from legato.common import RetryPolicy
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e


@workflow.defn
class NapWorkflow:
    @workflow.run
    async def run(self, hours: int) -> str:
        started = workflow.now()
        await workflow.sleep(timedelta(hours=hours))
        return f"slept {(workflow.now() - started).total_seconds() / 3600:.2f}h"


async def has_event(client: Client, workflow_id: str, event_type: str) -> bool:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return any(e.attributes.type == event_type for e in history.events)


async def test_one_hour_timer_fires_after_server_restart(server: ServerProcess, client: Client) -> None:
    async with running_worker(client, task_queue="naps", workflows=[NapWorkflow]):
        handle = await client.start_workflow(NapWorkflow.run, 1, id="nap-1", task_queue="naps")
        await eventually(lambda: has_event(client, "nap-1", "TimerStarted"), within=20, what="TimerStarted")
        server.kill()
        # The restarted server's clock runs an hour and a second ahead: the timer is due.
        server.clock_offset = 3601
        server.start()
        result = await asyncio.wait_for(handle.result(), timeout=60)
    assert result.startswith("slept 1.0")
    assert await has_event(client, "nap-1", "TimerFired")


# Side effects of the crash test's activities: (workflow id, step, attempt) per execution.
side_effects: list[tuple[str, str, int]] = []


@activity.defn
async def crash_step(workflow_id: str, step: str) -> str:
    # A little work, so that the kill lands while activities are in flight.
    await asyncio.sleep(random.uniform(0.01, 0.1))
    side_effects.append((workflow_id, step, activity.info().attempt))
    return f"{step} ok"


@workflow.defn
class CrashWorkflow:
    @workflow.run
    async def run(self, workflow_id: str) -> list[str]:
        results = []
        for step in ("reserve", "charge", "ship"):
            results.append(
                await workflow.execute_activity(
                    crash_step,
                    args=[workflow_id, step],
                    start_to_close_timeout=timedelta(seconds=5),
                    retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200)),
                )
            )
        return results


async def recorded_attempts(client: Client, workflow_id: str) -> dict[str, tuple[int, str | None]]:
    """Per step: the attempt history records and the timeout type of its last failure."""
    events = (await client.get_workflow_handle(workflow_id).fetch_history()).events
    pc = client.data_converter.payload_converter
    step_of = {
        e.event_id: pc.from_payload(e.attributes.input[1])
        for e in events
        if e.attributes.type == "ActivityTaskScheduled"
    }
    attempts: dict[str, tuple[int, str | None]] = {}
    for e in events:
        if e.attributes.type == "ActivityTaskStarted":
            a = e.attributes
            last = a.last_failure.timeout_type.value if a.last_failure and a.last_failure.timeout_type else None
            attempts[step_of[a.scheduled_event_id]] = (a.attempt, last)
    return attempts


async def test_fifty_workflows_complete_after_server_is_killed_mid_run(
    server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    side_effects.clear()
    ids = [f"crash-{i}" for i in range(50)]
    async with running_worker(client, task_queue="crash", workflows=[CrashWorkflow], activities=[crash_step]):
        handles = [await client.start_workflow(CrashWorkflow.run, i, id=i, task_queue="crash") for i in ids]
        await eventually(lambda: _some_done(side_effects, 20), within=60, what="20 activities done")
        server.kill()
        server.start()
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), timeout=240)
    assert all(r == ["reserve ok", "charge ok", "ship ok"] for r in results)
    runs = Counter((wf, step) for wf, step, _ in side_effects)
    for wf in ids:
        for step, (attempts, last_timeout) in (await recorded_attempts(client, wf)).items():
            ran = runs[(wf, step)]
            # Each attempt ran at most once, and the attempt that completed ran.
            per_attempt = Counter(a for w, s, a in side_effects if (w, s) == (wf, step))
            assert all(n == 1 for n in per_attempt.values()), (wf, step, per_attempt)
            assert per_attempt[attempts] == 1, (wf, step, per_attempt, attempts)
            # A task handed out just before the kill, whose answer never reached the worker,
            # is an attempt that timed out without running; nothing else may differ.
            assert ran == attempts or last_timeout == "START_TO_CLOSE", (wf, step, ran, attempts)


async def _some_done(effects: list[tuple[str, str, int]], n: int) -> bool:
    return len(effects) >= n
