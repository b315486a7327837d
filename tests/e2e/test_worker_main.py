"""`python -m legato.worker MODULE`, a worker image's entry point, as a real process: it runs
the module's workflows on the queue the operator names, at the log level it names, and
stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from legato.client import Client
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MODULE = "examples.greeting.workflows"


@pytest.fixture
def worker_log(tmp_path: Path) -> Path:
    return tmp_path / "worker.log"


@pytest.fixture
def worker(server: ServerProcess, worker_log: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "LEGATO_ADDRESS": server.address, "LEGATO_TASK_QUEUE": "from-the-operator"}
    env["LEGATO_LOG_LEVEL"] = "debug"
    with worker_log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "legato.worker", MODULE], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=10)


async def test_the_module_runs_on_the_queue_the_environment_names_until_sigterm(
    client: Client, worker: subprocess.Popen[bytes], worker_log: Path
) -> None:
    timeout = timedelta(seconds=60)
    result = await client.execute_workflow(
        "GreetingWorkflow", "Ada", id="greet-ada", task_queue="from-the-operator", execution_timeout=timeout
    )
    assert result == "Hello, Ada!"
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 30) == 0
    # LEGATO_LOG_LEVEL=debug: the SDK's debug lines are there.
    assert "DEBUG" in await asyncio.to_thread(worker_log.read_text)


def test_a_module_without_workflows_or_activities_is_refused_naming_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "legato.worker", "json"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "json lists no WORKFLOWS and no ACTIVITIES" in done.stderr
