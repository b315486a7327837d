"""Workflows for the eager-dispatch tests, and a worker process to run them and be killed.

Run as ``python -m tests.e2e.eager_workflows ADDRESS TASK_QUEUE MARKERS``, the worker is
the one that dies: it writes a marker file when it holds what the test wants it to hold
(an activity it was handed, or a workflow task it was handed), and then holds on to it
until it is killed. The same code in the test's own worker, without ``HOLD_ENV``, runs
everything through.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from legato import activity, workflow
from legato.client import Client
from legato.worker import Worker

# Set in the worker process that is to hold its task until killed: the markers' folder.
HOLD_ENV = "LEGATO_TEST_HOLD_MARKERS"


def _holding(name: str) -> bool:
    """In the holding process, write the marker ``name`` and say so."""
    folder = os.environ.get(HOLD_ENV)
    if not folder:
        return False
    (Path(folder) / name).write_text(str(os.getpid()))
    return True


@activity.defn
async def held_step(value: int) -> int:
    if _holding(f"activity-{activity.info().attempt}"):
        await asyncio.sleep(3600)
    return value + 1


@activity.defn
async def quick_step(value: int) -> int:
    return value * 2


@workflow.defn
class HeldActivityWorkflow:
    """One activity, which the holding worker is handed with its workflow task's answer."""

    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(held_step, value, start_to_close_timeout=timedelta(seconds=2))


@workflow.defn(sandboxed=False)
class HeldWorkflowTaskWorkflow:
    """The second workflow task, handed over with the activity's completion, never
    completes in the holding worker: its code blocks the task's thread there."""

    @workflow.run
    async def run(self, value: int) -> int:
        doubled = await workflow.execute_activity(quick_step, value, start_to_close_timeout=timedelta(seconds=30))
        if not workflow.unsafe.is_replaying() and _holding("workflow-task"):
            time.sleep(3600)  # noqa: ASYNC251 (blocking the task is the point)
        return doubled + 1


async def main(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[HeldActivityWorkflow, HeldWorkflowTaskWorkflow],
        activities=[held_step, quick_step],
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
