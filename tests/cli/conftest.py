"""One server for all the command line's tests: a real ``legato-operator run`` process that
checks tokens, a worker for the workflows below, and ``cli`` to run ``legato`` in-process.

The server is shared by the package (starting one costs more than all the commands run
against it); each test uses workflow and schedule ids of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from legato import activity, workflow
from legato._cli import main
from legato.client import Client
from legato.common import RetryPolicy
from legato.exceptions import ApplicationError
from legato.worker import Worker
from legato_operator import postgres
from tests.support import databases
from tests.support.server_process import ServerProcess

TASK_QUEUE = "cli-orders"
# Allowed in every namespace; a second token only in team-a.
ADMIN_TOKEN = "cli-admin-token-0123456789"
TEAM_A_TOKEN = "cli-team-a-token-0123456789"
FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=5)


@activity.defn
async def charge(order: str) -> str:
    """Declines the first attempt, so every history shows a retry."""
    if activity.info().attempt == 1:
        raise ApplicationError("card declined", type="CardDeclined")
    return f"charged {order}"


@activity.defn
async def always_declines(order: str) -> str:
    """Never succeeds; retried slowly, so the activity waits in BACKOFF."""
    raise ApplicationError(f"card declined for {order}", type="CardDeclined")


@workflow.defn
class Order:
    """Charges, then waits for ``approve`` when asked to; answers ``stage`` and ``rename``."""

    def __init__(self) -> None:
        self.stage = "new"
        self.approved_by: str | None = None

    @workflow.run
    async def run(self, order: str, wait_for_approval: bool = False) -> str:
        charged = await workflow.execute_activity(
            charge, order, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY
        )
        self.stage = "awaiting approval"
        if wait_for_approval:
            await workflow.wait_condition(lambda: self.approved_by is not None)
        return f"{charged}, approved by {self.approved_by or 'nobody'}"

    @workflow.signal
    def approve(self, by: str) -> None:
        self.approved_by = by

    @workflow.query
    def current_stage(self) -> str:
        return self.stage

    @workflow.update
    def rename_stage(self, stage: str) -> str:
        previous, self.stage = self.stage, stage
        return previous


@activity.defn
async def pack(order: str) -> str:
    """Reports how far it got, again and again, until it is cancelled (or its run closes)."""
    while True:
        activity.heartbeat({"order": order, "packed": 2, "of": 3})
        await asyncio.sleep(0.2)


@workflow.defn
class Packing:
    """Waits on an activity that heartbeats and never finishes."""

    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(
            pack, order, start_to_close_timeout=timedelta(minutes=5), heartbeat_timeout=timedelta(seconds=2)
        )


@workflow.defn
class StuckPayment:
    """Its activity keeps failing with a minute between attempts."""

    @workflow.run
    async def run(self, order: str) -> str:
        slow = RetryPolicy(initial_interval=timedelta(seconds=60))
        return await workflow.execute_activity(
            always_declines, order, start_to_close_timeout=timedelta(seconds=10), retry_policy=slow
        )


@workflow.defn
class OutOfStock:
    """Fails at once, as a workflow refusing its input does."""

    @workflow.run
    async def run(self, sku: str) -> str:
        raise ApplicationError(f"no {sku} left", type="OutOfStock", non_retryable=True)


@pytest.fixture(scope="package")
def tokens_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tokens.json"
    tokens = [
        {"name": "admin", "token": ADMIN_TOKEN, "namespaces": ["*"]},
        {"name": "team-a", "token": TEAM_A_TOKEN, "namespaces": ["team-a"]},
    ]
    path.write_text(json.dumps({"tokens": tokens}))
    return path


@pytest.fixture(scope="package")
async def cli_server(
    pg_cluster: postgres.EmbeddedPostgres, tokens_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ServerProcess]:
    """A server that checks tokens, on a database of its own."""
    dsn = await databases.fresh_database(pg_cluster, "cli_commands")
    log = tmp_path_factory.mktemp("cli-server") / "server.log"
    args = ("--auth", "tokens", "--tokens-file", str(tokens_file), "--namespaces", "team-a")
    proc = ServerProcess(dsn=dsn, log_path=log, extra_args=args)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="package")
async def admin_client(cli_server: ServerProcess) -> AsyncIterator[Client]:
    client = await Client.connect(cli_server.address, api_key=ADMIN_TOKEN)
    yield client
    with contextlib.suppress(Exception):
        await client.close()


@pytest.fixture(scope="package")
async def worker(admin_client: Client) -> AsyncIterator[Worker]:
    """A worker on ``TASK_QUEUE`` for the package's tests."""
    activities = [charge, always_declines, pack]
    workflows = [Order, StuckPayment, Packing, OutOfStock]
    worker = Worker(admin_client, task_queue=TASK_QUEUE, workflows=workflows, activities=activities)
    async with worker:
        yield worker


@dataclass(frozen=True)
class Ran:
    """What one run of the command line did."""

    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


class Cli:
    """Runs ``legato`` in this process, against the package's server, with the admin token."""

    def __init__(self, address: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.address = address
        self._capsys = capsys

    async def __call__(self, *argv: str, token: str | None = ADMIN_TOKEN) -> Ran:
        flags = ["--address", self.address, *(["--api-key", token] if token else [])]
        # main() runs its own event loop; a thread keeps this one (and the worker) going.
        code = await asyncio.to_thread(main, [*argv, *flags])
        captured = self._capsys.readouterr()
        return Ran(code, captured.out, captured.err)


@pytest.fixture
def cli(cli_server: ServerProcess, worker: Worker, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(cli_server.address, capsys)
