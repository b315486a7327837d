"""Run the order workflow against a Legato server: `python examples/orders/run.py`.

Payment fails on its first attempt; the history shows the retry. The order's `stage`
query is then asked of the closed run.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import run_example

from orders.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, Order, OrderWorkflow

if __name__ == "__main__":
    order = Order(order_id=f"order-{uuid.uuid4().hex[:6]}", sku="TEA-1KG", quantity=2, amount_cents=2400)
    asyncio.run(
        run_example(
            OrderWorkflow.run,
            order,
            workflow_id=order.order_id,
            task_queue=TASK_QUEUE,
            workflows=WORKFLOWS,
            activities=ACTIVITIES,
            queries=("stage",),
        )
    )
