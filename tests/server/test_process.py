"""The `legato-operator` process: kill -9 loses nothing, and the clock offset makes timers due."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.server_process import SERVER_BIN, ServerProcess


@pytest.fixture
def server(pg_dsn: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(dsn=pg_dsn, log_path=tmp_path / "server.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def url(server: ServerProcess, path: str) -> str:
    return f"{server.url}/api/v1/namespaces/default{path}"


async def post(url: str, body: Any) -> Any:
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_an_hour_timer_fires_after_kill_9_and_a_restart_with_the_clock_ahead(server: ServerProcess) -> None:
    await post(url(server, "/workflows"), {"workflow_id": "nap", "workflow_type": "Nap", "task_queue": "q"})
    task = await post(url(server, "/task-queues/q/workflow-tasks/poll"), {"wait": 10})
    timer = {"type": "StartTimer", "timer_id": "1", "start_to_fire_timeout": 3600}
    await post(url(server, "/workflow-tasks/complete"), {"task_token": task["task_token"], "commands": [timer]})
    server.kill()
    server.clock_offset = 3601
    server.start()
    task = await asyncio.wait_for(post(url(server, "/task-queues/q/workflow-tasks/poll"), {"wait": 20}), 25)
    types = [e["attributes"]["type"] for e in task["history"]]
    assert types == [
        "WorkflowTaskCompleted",
        "TimerStarted",
        "TimerFired",
        "WorkflowTaskScheduled",
        "WorkflowTaskStarted",
    ]


def test_sigterm_stops_the_server_cleanly(server: ServerProcess) -> None:
    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=15) == 0


def test_run_without_a_database_url_exits_2_saying_why() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LEGATO_DATABASE_URL"}
    done = subprocess.run([str(SERVER_BIN), "run"], capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode == 2
    assert "--database-url or LEGATO_DATABASE_URL is required" in done.stderr
