"""The order workflow: check inventory, take payment, ship.

Payment fails on its first attempt, as a flaky card processor would; the server retries
it by the retry policy and the workflow sees only the successful result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from legato import activity, workflow
from legato.common import RetryPolicy
from legato.exceptions import ApplicationError

TASK_QUEUE = "orders"
STEP_TIMEOUT = timedelta(seconds=30)


@dataclass
class Order:
    order_id: str
    sku: str
    quantity: int
    amount_cents: int


@dataclass
class Receipt:
    order_id: str
    payment_id: str
    tracking_number: str


@activity.defn
async def check_inventory(order: Order) -> bool:
    activity.logger.info("Checking stock of %s for %s", order.sku, order.order_id)
    return order.quantity <= 10


@activity.defn
async def process_payment(order: Order) -> str:
    if activity.info().attempt == 1:
        raise ApplicationError("payment gateway timed out", type="GatewayTimeout")
    return f"pay-{order.order_id}-{order.amount_cents}"


@activity.defn
async def ship_order(order: Order) -> str:
    return f"TRACK-{order.order_id.upper()}"


@workflow.defn
class OrderWorkflow:
    """Runs one order to shipment; refuses orders the warehouse cannot fill."""

    def __init__(self) -> None:
        self._stage = "checking inventory"

    @workflow.query
    def stage(self) -> str:
        """Where the order is; answered from the workflow's state, running or closed."""
        return self._stage

    @workflow.run
    async def run(self, order: Order) -> Receipt:
        if not await workflow.execute_activity(check_inventory, order, start_to_close_timeout=STEP_TIMEOUT):
            raise ApplicationError(f"Not enough stock of {order.sku}", type="OutOfStock", non_retryable=True)
        self._stage = "taking payment"
        payment_id = await workflow.execute_activity(
            process_payment,
            order,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_attempts=5),
        )
        self._stage = "shipping"
        tracking = await workflow.execute_activity(ship_order, order, start_to_close_timeout=STEP_TIMEOUT)
        workflow.logger.info("Order %s shipped: %s", order.order_id, tracking)
        self._stage = "shipped"
        return Receipt(order_id=order.order_id, payment_id=payment_id, tracking_number=tracking)


ACTIVITIES = [check_inventory, process_payment, ship_order]
WORKFLOWS = [OrderWorkflow]
