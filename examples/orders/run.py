"""Run the order workflow against a Legato server: `python examples/orders/run.py [SCENARIO]`.

  ships              (the default) payment fails on its first attempt; the history shows
                     the retry, and the customer's note (sent with the start) is on the receipt
  shipping-fails     the parcel cannot be shipped: the payment is refunded and the stock
                     released, in reverse order, and the workflow fails with the shipping error
  backorder          too little stock: the order waits until this script signals `restock`
  backorder-expires  too little stock and no restock within 2 s: the order is cancelled

The order's `stage` and `status` queries are then asked of the closed run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import run_example

from legato.client import WorkflowHandle
from orders.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, Order, OrderWorkflow

SCENARIOS: dict[str, dict[str, Any]] = {
    "ships": {},
    "shipping-fails": {"ship_to": "Atlantis"},
    "backorder": {"quantity": 12},
    "backorder-expires": {"quantity": 12, "restock_timeout_seconds": 2.0},
}


async def restock_once_backordered(handle: WorkflowHandle[Any, Any]) -> None:
    """Play the warehouse: signal `restock` once the order says it waits for stock."""
    # Polling a query: the run's state is asked for, never written.
    stage = await handle.query(OrderWorkflow.stage)
    while stage != "backordered":
        await asyncio.sleep(0.2)
        stage = await handle.query(OrderWorkflow.stage)
    print("The order is backordered; signalling restock")
    await handle.signal(OrderWorkflow.restock)


async def main(scenario: str) -> None:
    fields: dict[str, Any] = {"sku": "TEA-1KG", "quantity": 2, "amount_cents": 2400, **SCENARIOS[scenario]}
    order = Order(order_id=f"order-{uuid.uuid4().hex[:6]}", **fields)
    await run_example(
        OrderWorkflow.run,
        order,
        workflow_id=order.order_id,
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        queries=("stage", "status"),
        # Signal-with-start: the note is in the history before the first step runs.
        start_signal="add_note",
        start_signal_args=["Please leave it with the neighbours"],
        while_running=restock_once_backordered if scenario == "backorder" else None,
        may_fail=scenario == "shipping-fails",
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default="ships", choices=SCENARIOS)
    asyncio.run(main(parser.parse_args().scenario))
