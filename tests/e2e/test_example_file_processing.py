"""The file-processing example survives a `kill -9` of its worker: the retried attempt,
on a second worker process, goes on from the last heartbeated chunk, not from the start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from examples.file_processing import workflows as file_processing

from legato.client import Client, WorkflowHandle
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHUNKS = 40


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes the test starts; any still running at the end are stopped."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def start_worker(server: ServerProcess, log: Path) -> subprocess.Popen[bytes]:
    """`python -m file_processing`, the image's entry point, as its own process."""
    env = {**os.environ, "LEGATO_ADDRESS": server.address}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "file_processing"], cwd=EXAMPLES, env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def heartbeat(client: Client, handle: WorkflowHandle[object, object]) -> tuple[int, int] | None:
    """The pending activity's (attempt, last heartbeated chunk), once it has heartbeated."""
    pending = (await handle.describe()).pending_activities
    if not pending or not pending[0].heartbeat_details:
        return None
    (chunk,) = await client.data_converter.decode(pending[0].heartbeat_details)
    return pending[0].attempt, int(chunk)


def ledger(tmp_path: Path, job: file_processing.FileJob) -> list[tuple[int, int]]:
    """(attempt, chunk) for each chunk processed, in order."""
    lines = (tmp_path / f"{job.name}.log").read_text().split()
    return [(int(a), int(c)) for a, c in zip(lines[::2], lines[1::2], strict=True)]


async def test_a_killed_workers_file_is_finished_by_another_from_its_last_heartbeat(
    server: ServerProcess, client: Client, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    job = file_processing.FileJob("big.csv", CHUNKS, seconds_per_chunk=0.2, ledger_dir=str(tmp_path))
    handle = await client.start_workflow(
        file_processing.FileProcessingWorkflow.run,
        job,
        id=f"process-{uuid.uuid4()}",
        task_queue=file_processing.TASK_QUEUE,
    )
    workers.append(start_worker(server, tmp_path / "worker-1.log"))

    async def past_chunk_3() -> tuple[int, int] | None:
        progress = await heartbeat(client, handle)
        return progress if progress and progress[1] >= 3 else None

    await eventually(past_chunk_3, within=30, what="the first worker to heartbeat chunk 3")
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait(timeout=10)

    async def retried() -> tuple[int, int] | None:
        progress = await heartbeat(client, handle)
        return progress if progress and progress[0] == 2 else None

    # The heartbeat timeout passes and the server schedules attempt 2: its heartbeat is final.
    _, last = await eventually(retried, within=30, what="the dead worker's attempt to time out and be retried")
    workers.append(start_worker(server, tmp_path / "worker-2.log"))
    result = await handle.result()

    assert result == file_processing.FileProcessed("big.csv", CHUNKS, attempt=2, resumed_from=last + 1)
    processed = ledger(tmp_path, job)
    second = [chunk for attempt, chunk in processed if attempt == 2]
    # The second attempt began right after the last heartbeat and went to the end...
    assert second == list(range(last + 1, CHUNKS))
    assert last >= 3
    # ...so each chunk up to that heartbeat was processed once, by the first attempt.
    assert Counter(c for a, c in processed if c <= last) == Counter(range(last + 1))
    assert {a for a, c in processed if c <= last} == {1}
