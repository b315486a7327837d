"""The order worker as a long-running process: `cd examples && python -m orders`.

The entrypoint of the orders image (`docker build -t shop/orders-worker examples/orders`). The SDK reads LEGATO_ADDRESS,
LEGATO_NAMESPACE, LEGATO_TASK_QUEUE and LEGATO_TOKEN_FILE, which the operator sets on a
TaskQueue's Deployment, so nothing here is configured; outside a cluster the defaults
suit `legato-operator dev` (the task queue `orders` on localhost:7233).

On SIGTERM (a scale-down) the worker stops polling and gives running activities up to
30 s to finish before it exits, so their work is not cut off and retried elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import timedelta

from legato.client import Client
from legato.worker import Worker
from orders import workflows as module


async def main() -> None:
    # The TaskQueue's env sets LEGATO_LOG_LEVEL (DEBUG shows every task the worker takes).
    logging.basicConfig(level=os.environ.get("LEGATO_LOG_LEVEL", "INFO").upper())
    client = await Client.connect()
    worker = Worker(
        client,
        # LEGATO_TASK_QUEUE, set by the operator, wins over the default.
        task_queue=None if "LEGATO_TASK_QUEUE" in os.environ else module.TASK_QUEUE,
        workflows=module.WORKFLOWS,
        activities=module.ACTIVITIES,
        graceful_shutdown_timeout=timedelta(seconds=30),
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main())
