"""The `legato-operator` process: kill -9 loses nothing, and the clock offset makes timers due."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from legato_operator import postgres

SERVER_BIN = Path(sys.executable).parent / "legato-operator"


class Process:
    """One `legato-operator run --no-kubernetes` on a fixed port, restartable."""

    def __init__(self, dsn: str, log: Path) -> None:
        self.dsn, self.log, self.port = dsn, log, postgres.free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, clock_offset: float = 0.0) -> None:
        args = [
            str(SERVER_BIN),
            "run",
            "--no-kubernetes",
            "--database-url",
            self.dsn,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--clock-offset",
            str(clock_offset),
        ]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not self._ready():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "server not ready in 30 s"
            time.sleep(0.05)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def signal(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/namespaces/default{path}"


@pytest.fixture
def server(pg_dsn: str, tmp_path: Path) -> Iterator[Process]:
    process = Process(pg_dsn, tmp_path / "server.log")
    process.start()
    try:
        yield process
    finally:
        if process.proc is not None and process.proc.poll() is None:
            process.signal(signal.SIGKILL)


async def post(url: str, body: Any) -> Any:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_an_hour_timer_fires_after_kill_9_and_a_restart_with_the_clock_ahead(server: Process) -> None:
    await post(server.url("/workflows"), {"workflow_id": "nap", "workflow_type": "Nap", "task_queue": "q"})
    task = await post(server.url("/task-queues/q/workflow-tasks/poll"), {"wait": 10})
    timer = {"type": "StartTimer", "timer_id": "1", "start_to_fire_timeout": 3600}
    await post(server.url("/workflow-tasks/complete"), {"task_token": task["task_token"], "commands": [timer]})
    assert server.signal(signal.SIGKILL) == -signal.SIGKILL
    server.start(clock_offset=3601)
    task = await asyncio.wait_for(post(server.url("/task-queues/q/workflow-tasks/poll"), {"wait": 20}), 25)
    types = [e["attributes"]["type"] for e in task["history"]]
    assert types == [
        "WorkflowTaskCompleted",
        "TimerStarted",
        "TimerFired",
        "WorkflowTaskScheduled",
        "WorkflowTaskStarted",
    ]


def test_sigterm_stops_the_server_cleanly(server: Process) -> None:
    assert server.signal(signal.SIGTERM) == 0


def test_run_without_a_database_url_exits_2_saying_why() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEGATO_DATABASE_URL"}
    done = subprocess.run([str(SERVER_BIN), "run"], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2
    assert "--database-url or LEGATO_DATABASE_URL is required" in done.stderr
