"""A long-running worker for one example: `python examples/worker.py orders`.

The entrypoint of an example's container image. It reads LEGATO_ADDRESS,
LEGATO_NAMESPACE and LEGATO_TASK_QUEUE, which the operator sets on a TaskQueue's
Deployment; the defaults suit `legato-operator dev`.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from legato.client import Client
from legato.worker import Worker


async def main(example: str) -> None:
    module = importlib.import_module(f"{example}.workflows")
    client = await Client.connect(
        os.environ.get("LEGATO_ADDRESS", "localhost:7233"),
        namespace=os.environ.get("LEGATO_NAMESPACE", "default"),
    )
    worker = Worker(
        client,
        task_queue=os.environ.get("LEGATO_TASK_QUEUE", module.TASK_QUEUE),
        workflows=module.WORKFLOWS,
        activities=module.ACTIVITIES,
    )
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "orders"))
