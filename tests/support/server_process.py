"""A real server process on the test Postgres, and the real SDK parts that talk to it.

The server runs as a subprocess (`legato-operator run`, by default with
`--no-kubernetes`) so tests can `kill -9` it and start it again on the same database.
Workers run in the test's event loop: they are the real `legato.worker.Worker`, talking
HTTP to that process. Used by the end-to-end, server and realapi tests.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from legato.client import Client
from legato.worker import Worker
from legato_operator import postgres
from tests.support.deadline import wait_until

SERVER_BIN = Path(sys.executable).parent / "legato-operator"


@dataclass
class ServerProcess:
    """One `legato-operator run` process; restartable on the same database and port."""

    dsn: str
    log_path: Path
    port: int = field(default_factory=postgres.free_port)
    clock_offset: float = 0.0
    extra_args: Sequence[str] = ()
    # With a kubeconfig the process also campaigns for the Lease and runs the reconcilers.
    kubeconfig: Path | None = None
    identity: str = "replica-0"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self) -> None:
        args = [
            str(SERVER_BIN),
            "run",
            *([] if self.kubeconfig else ["--no-kubernetes"]),
            *(["--kubeconfig", str(self.kubeconfig), "--identity", self.identity] if self.kubeconfig else []),
            "--database-url",
            self.dsn,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--clock-offset",
            str(self.clock_offset),
            *self.extra_args,
        ]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(self._ready, within=30, what=f"server on {self.address} ready")

    def kill(self) -> None:
        """`kill -9`: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}; log:\n{self.log_path.read_text()}")
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False


@contextlib.asynccontextmanager
async def running_worker(
    client: Client,
    *,
    task_queue: str,
    workflows: Sequence[type] = (),
    activities: Sequence[Callable[..., Any]] = (),
    **options: Any,
) -> AsyncIterator[Worker]:
    """A real worker polling ``task_queue`` for the duration of the block."""
    worker = Worker(client, task_queue=task_queue, workflows=list(workflows), activities=list(activities), **options)
    async with worker:
        yield worker


async def http_json(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    """A raw HTTP call, for tests that must send what the SDK never would."""
    # A stream, not bytes: aiohttp warns on large raw bodies, and warnings are errors here.
    data = None if body is None else io.BytesIO(json.dumps(body).encode())
    headers = {"Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=data, headers=headers) as r,
    ):
        text = await r.text()
        return r.status, (json.loads(text) if text else None)
