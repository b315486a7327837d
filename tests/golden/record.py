"""Records the golden histories replayed by tests/sdk/test_golden.py.

Run against a server: `.venv/bin/legato-operator dev --then ".venv/bin/python tests/golden/record.py"`
(with case names as arguments, only those).
Re-record only on purpose: a golden history stands for runs already in flight, and a
change that fails to replay it would break those runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run as a script, this folder is on the path but not the checkout the examples live in.
sys.path.insert(0, str(HERE.parents[1]))

from examples.greeting import workflows as greeting  # noqa: E402
from examples.orders import workflows as orders  # noqa: E402
from examples.pricing import workflows as pricing  # noqa: E402

from legato.client import Client  # noqa: E402
from legato.worker import Worker  # noqa: E402

CASES: list[tuple[str, Any, Any, Any]] = [
    ("orders", orders, orders.OrderWorkflow.run, orders.Order("order-golden", "TEA-1KG", 2, 2400)),
    ("greeting", greeting, greeting.GreetingWorkflow.run, "Golden"),
    ("pricing", pricing, pricing.PriceSumWorkflow.run, ["tea", "cups", "kettle"]),
    # After the pricing lookups went parallel behind workflow.patched: a patch marker.
    ("pricing_parallel", pricing, pricing.PriceSumWorkflow.run, ["tea", "cups", "kettle"]),
]


async def record(client: Client, name: str, module: Any, run: Any, arg: Any) -> None:
    async with Worker(client, task_queue=module.TASK_QUEUE, workflows=module.WORKFLOWS, activities=module.ACTIVITIES):
        handle = await client.start_workflow(
            run, arg, id=f"golden-{name}-{uuid.uuid4().hex[:6]}", task_queue=module.TASK_QUEUE
        )
        await handle.result()
    history = await handle.fetch_history()
    # Stack traces name this checkout's folders; the recording must not.
    text = history.to_json().replace(str(HERE.parents[1]) + "/", "")
    (HERE / f"{name}.json").write_text(text + "\n")
    print(f"recorded {name}: {len(history.events)} events")


async def main() -> None:
    client = await Client.connect(os.environ.get("LEGATO_ADDRESS", "localhost:7233"))
    wanted = set(sys.argv[1:])
    for case in CASES:
        if not wanted or case[0] in wanted:
            await record(client, *case)


if __name__ == "__main__":
    asyncio.run(main())
