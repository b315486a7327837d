"""Many ``handle.result()`` calls at once on one client: each holds a long poll open."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from legato import _service, workflow
from legato import client as client_module
from legato.client import Client
from legato.service import RetryConfig
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

# More long polls than the 100 connections aiohttp gives one session by default.
RUNS = 150


@workflow.defn
class Nap:
    @workflow.run
    async def run(self, seconds: float) -> str:
        await workflow.sleep(timedelta(seconds=seconds))
        return "rested"


async def test_150_concurrent_results_on_one_client_all_complete(
    server: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shorter long polls than the SDK's (30 s held + 15 s margin), the same shape: a poll
    # that waited for a connection longer than the margin would time out.
    monkeypatch.setattr(client_module, "_RESULT_WAIT", 3.0)
    monkeypatch.setattr(_service, "LONG_POLL_MARGIN", 1.0)
    # One try per poll, so that a timeout fails the test instead of being retried away.
    waiter = await Client.connect(server.address, retry_config=RetryConfig(max_retries=1))
    worker_client = await Client.connect(server.address)
    async with running_worker(worker_client, task_queue="naps", workflows=[Nap]):
        handles = [await waiter.start_workflow(Nap.run, 8.0, id=f"nap-{i}", task_queue="naps") for i in range(RUNS)]
        results = await asyncio.wait_for(asyncio.gather(*(h.result() for h in handles)), timeout=120)
    assert results == ["rested"] * RUNS
    await waiter.close()
    await worker_client.close()
