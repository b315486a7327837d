"""The benchmark's workflow for Legato, and the worker process that runs it.

Three trivial async activities in sequence, each with a 30 s start-to-close timeout, as
Temporal's samples write them. Run as a script, it polls the ``bench`` task queue of the
server given as argument until it is terminated; bench/run.py imports ``BenchWorkflow``
from here to start workflows by their run method.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from legato import activity, workflow
from legato.client import Client
from legato.worker import Worker

TASK_QUEUE = "bench"
TIMEOUT = timedelta(seconds=30)


@activity.defn
async def step_one(value: int) -> int:
    return value + 1


@activity.defn
async def step_two(value: int) -> int:
    return value * 2


@activity.defn
async def step_three(value: int) -> int:
    return value - 1


@workflow.defn
class BenchWorkflow:
    @workflow.run
    async def run(self, value: int) -> int:
        value = await workflow.execute_activity(step_one, value, start_to_close_timeout=TIMEOUT)
        value = await workflow.execute_activity(step_two, value, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(step_three, value, start_to_close_timeout=TIMEOUT)


async def main(target: str) -> None:
    client = await Client.connect(target)
    worker = Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[BenchWorkflow],
        activities=[step_one, step_two, step_three],
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
