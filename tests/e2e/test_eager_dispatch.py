"""Eager dispatch end to end: tasks handed over in answers, and workers killed holding them.

A workflow task's completion brings back the activities it scheduled on the worker's own
queue, started; an activity's completion brings back its run's next workflow task when the
worker holds the run. A worker killed with ``kill -9`` while it holds either loses nothing:
the task's timeout retries it and another worker finishes the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from legato import activity, workflow
from legato.api.history import v1 as wire
from legato.client import Client
from tests.e2e.eager_workflows import (
    HOLD_ENV,
    HeldActivityWorkflow,
    HeldWorkflowTaskWorkflow,
    held_step,
    quick_step,
)
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


async def metric(server: ServerProcess, name: str, label: str) -> dict[str, float]:
    """One of the server's metrics, by the value of one label."""
    async with aiohttp.ClientSession() as session, session.get(f"{server.url}/metrics") as r:
        text = await r.text()
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            key = labels.split(f'{label}="', 1)[1].split('"', 1)[0]
            counts[key] = counts.get(key, 0.0) + float(value)
    return counts


async def handed_over(server: ServerProcess) -> dict[str, float]:
    """Tasks started for a worker in its answers, by kind."""
    return await metric(server, "legato_tasks_handed_over_total", "kind")


async def polled(server: ServerProcess, kind: str) -> float:
    """How many tasks of ``kind`` pollers took (each observes its wait once)."""
    return (await metric(server, "legato_task_schedule_to_start_seconds_count", "kind")).get(kind, 0.0)


@contextmanager
def holding_worker(server: ServerProcess, task_queue: str, markers: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A worker process that holds what it is handed until killed."""
    env = {**os.environ, HOLD_ENV: str(markers)}
    command = [sys.executable, "-m", "tests.e2e.eager_workflows", server.address, task_queue]
    log = (markers / "worker.log").open("wb")
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@activity.defn
async def add_one(value: int) -> int:
    return value + 1


@workflow.defn
class ThreeSteps:
    @workflow.run
    async def run(self, value: int) -> int:
        for _ in range(3):
            value = await workflow.execute_activity(add_one, value, start_to_close_timeout=timedelta(seconds=30))
        return value


async def test_a_workers_own_activities_and_workflow_tasks_come_back_in_its_answers(
    server: ServerProcess, client: Client
) -> None:
    async with running_worker(client, task_queue="eager", workflows=[ThreeSteps], activities=[add_one]):
        assert await client.execute_workflow(ThreeSteps.run, 1, id="eager-1", task_queue="eager") == 4
    counts = await handed_over(server)
    # Each activity came with the workflow task that scheduled it; each result brought back
    # the next workflow task: only the first workflow task was polled for.
    assert counts.get("activity") == 3
    assert counts.get("workflow") == 3
    assert await polled(server, "activity") == 0
    assert await polled(server, "workflow") == 1


async def test_a_worker_with_eager_execution_disabled_polls_for_its_activities(
    server: ServerProcess, client: Client
) -> None:
    options = {"disable_eager_activity_execution": True}
    async with running_worker(client, task_queue="polled", workflows=[ThreeSteps], activities=[add_one], **options):
        assert await client.execute_workflow(ThreeSteps.run, 1, id="polled-1", task_queue="polled") == 4
    assert (await handed_over(server)).get("activity", 0) == 0


@workflow.defn
class Elsewhere:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(
            add_one, value, task_queue="elsewhere-activities", start_to_close_timeout=timedelta(seconds=30)
        )


async def test_an_activity_on_another_queue_is_not_handed_over(server: ServerProcess, client: Client) -> None:
    async with (
        running_worker(client, task_queue="elsewhere", workflows=[Elsewhere], activities=[add_one]),
        running_worker(client, task_queue="elsewhere-activities", activities=[add_one]),
    ):
        assert await client.execute_workflow(Elsewhere.run, 1, id="elsewhere-1", task_queue="elsewhere") == 2
    assert (await handed_over(server)).get("activity", 0) == 0


async def test_a_worker_killed_holding_an_eager_activity_loses_nothing(
    server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    with holding_worker(server, "held-activity", tmp_path) as doomed:
        handle = await client.start_workflow(HeldActivityWorkflow.run, 1, id="held-act", task_queue="held-activity")
        await eventually(lambda: (tmp_path / "activity-1").exists(), within=30, what="the activity in the worker")
        assert (await handed_over(server)).get("activity") == 1
        doomed.send_signal(signal.SIGKILL)
    # The attempt's start_to_close timeout (2 s) was armed when it was handed over.
    async with running_worker(
        client, task_queue="held-activity", workflows=[HeldActivityWorkflow], activities=[held_step, quick_step]
    ):
        assert await handle.result() == 2
    # One ActivityTaskStarted, written with the result: the second attempt's, carrying
    # the first one's timeout as its last failure.
    started = [
        e.attributes for e in (await handle.fetch_history()).events if e.attributes.type == "ActivityTaskStarted"
    ]
    assert len(started) == 1
    assert isinstance(started[0], wire.ActivityTaskStarted)
    assert started[0].attempt == 2
    assert started[0].last_failure is not None


async def test_a_worker_killed_holding_a_handed_over_workflow_task_loses_nothing(
    server: ServerProcess, client: Client, tmp_path: Path
) -> None:
    with holding_worker(server, "held-wft", tmp_path) as doomed:
        handle = await client.start_workflow(
            HeldWorkflowTaskWorkflow.run, 5, id="held-wft", task_queue="held-wft", task_timeout=timedelta(seconds=2)
        )
        await eventually(lambda: (tmp_path / "workflow-task").exists(), within=30, what="the workflow task held")
        assert (await handed_over(server)).get("workflow") == 1
        doomed.send_signal(signal.SIGKILL)
    async with running_worker(
        client, task_queue="held-wft", workflows=[HeldWorkflowTaskWorkflow], activities=[held_step, quick_step]
    ):
        assert await handle.result() == 11
    types = [e.attributes.type for e in (await handle.fetch_history()).events]
    assert types.count("ActivityTaskCompleted") == 1
    assert "WorkflowTaskTimedOut" in types
