"""A long-running worker for one example: `python examples/worker.py orders`.

The entrypoint of an example's container image. The SDK reads LEGATO_ADDRESS,
LEGATO_NAMESPACE, LEGATO_TASK_QUEUE and LEGATO_TOKEN_FILE, which the operator sets on a
TaskQueue's Deployment, so nothing here is configured; outside a cluster the defaults
suit `legato-operator dev` (the example's own task queue on localhost:7233).

On SIGTERM (a scale-down) the worker stops polling and gives running activities up to
30 s to finish before it exits, so their work is not cut off and retried elsewhere.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from legato.client import Client
from legato.worker import Worker

# The examples are imported by name (`orders.workflows`) from this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))


async def main(example: str) -> None:
    module = importlib.import_module(f"{example}.workflows")
    client = await Client.connect()
    worker = Worker(
        client,
        task_queue=os.environ.get("LEGATO_TASK_QUEUE", module.TASK_QUEUE),
        workflows=module.WORKFLOWS,
        activities=module.ACTIVITIES,
        graceful_shutdown_timeout=timedelta(seconds=30),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "orders"))
