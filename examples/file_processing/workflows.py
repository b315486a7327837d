"""The file-processing workflow: one long activity that heartbeats its progress.

The activity works through a file chunk by chunk and heartbeats the index of each chunk
it has finished. When its worker dies (a node lost, a `kill -9`), the heartbeats stop,
the server times the attempt out after `HEARTBEAT_TIMEOUT` and retries it on another
worker, and the new attempt reads the last heartbeat from `activity.info().heartbeat_details`
and goes on from the chunk after it instead of from the start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from legato import activity, workflow
from legato.common import RetryPolicy

TASK_QUEUE = "file-processing"
# Short, so a dead worker's attempt is retried within seconds; the worker heartbeats at
# most every 80% of it (Temporal's throttle), and each chunk is well within it.
HEARTBEAT_TIMEOUT = timedelta(seconds=5)


@dataclass
class FileJob:
    name: str
    chunks: int
    # Stands in for the work on one chunk (parsing, uploading...).
    seconds_per_chunk: float = 0.5
    # When set, each processed chunk appends "<attempt> <chunk>" to <ledger_dir>/<name>.log,
    # as a real job writes its output, so a test can see what was processed twice.
    ledger_dir: str | None = None


@dataclass
class FileProcessed:
    name: str
    chunks: int
    attempt: int
    # The chunk the last attempt began with: 0 unless it resumed from a heartbeat.
    resumed_from: int


@activity.defn
async def process_file(job: FileJob) -> FileProcessed:
    details = activity.info().heartbeat_details
    # The previous attempt's last heartbeat is the last chunk it finished.
    first = int(details[0]) + 1 if details else 0
    if first:
        activity.logger.info("Resuming %s at chunk %d of %d", job.name, first, job.chunks)
    for chunk in range(first, job.chunks):
        await asyncio.sleep(job.seconds_per_chunk)
        _record(job, chunk)
        activity.heartbeat(chunk)
    return FileProcessed(job.name, job.chunks, activity.info().attempt, first)


def _record(job: FileJob, chunk: int) -> None:
    if job.ledger_dir is not None:
        with (Path(job.ledger_dir) / f"{job.name}.log").open("a") as ledger:
            ledger.write(f"{activity.info().attempt} {chunk}\n")


@workflow.defn
class FileProcessingWorkflow:
    """Processes one file; a killed worker costs the chunks since its last heartbeat, no more."""

    @workflow.run
    async def run(self, job: FileJob) -> FileProcessed:
        return await workflow.execute_activity(
            process_file,
            job,
            # The whole file's budget; the heartbeat timeout catches a dead worker long before.
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=10),
        )


ACTIVITIES: list[Callable[..., Any]] = [process_file]
WORKFLOWS: list[type] = [FileProcessingWorkflow]
