"""The order workflow: reserve stock, take payment, ship; undo what was done when a step fails.

Payment fails on its first attempt, as a flaky card processor would; the server retries
it by the retry policy and the workflow sees only the successful result. Shipping to a
place no carrier serves fails for good: the workflow then refunds the payment and
releases the stock, in reverse order (a saga), and fails with the shipping error. An
order the warehouse cannot fill waits for a `restock` signal, and is cancelled when none
comes within the order's `restock_timeout_seconds`. Customer notes arrive as `add_note`
signals; the `status` query shows them with the order's stage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from legato import activity, workflow
from legato.common import RetryPolicy
from legato.exceptions import ActivityError, ApplicationError

TASK_QUEUE = "orders"
STEP_TIMEOUT = timedelta(seconds=30)
# The places the (pretend) carriers serve; any other `ship_to` fails shipping for good.
DELIVERABLE = ("Berlin", "Hamburg", "Munich", "Vienna", "Zurich")


@dataclass
class Order:
    order_id: str
    sku: str
    quantity: int
    amount_cents: int
    ship_to: str = "Berlin"
    # How long a backordered order waits for stock before it is cancelled (a week).
    restock_timeout_seconds: float = 7 * 24 * 3600.0


@dataclass
class Receipt:
    order_id: str
    payment_id: str | None
    tracking_number: str | None
    status: str = "shipped"  # or "cancelled": never restocked, never charged
    notes: list[str] = field(default_factory=list)


@dataclass
class OrderStatus:
    """What the `status` query answers."""

    stage: str
    notes: list[str]
    payment_id: str | None = None
    tracking_number: str | None = None


@activity.defn
async def check_inventory(order: Order) -> bool:
    """Reserve the order's stock; False (nothing reserved) when there is too little."""
    activity.logger.info("Checking stock of %s for %s", order.sku, order.order_id)
    return order.quantity <= 10


@activity.defn
async def release_inventory(order: Order) -> None:
    activity.logger.info("Releasing %d x %s held for %s", order.quantity, order.sku, order.order_id)


@activity.defn
async def process_payment(order: Order) -> str:
    if activity.info().attempt == 1:
        raise ApplicationError("payment gateway timed out", type="GatewayTimeout")
    return f"pay-{order.order_id}-{order.amount_cents}"


@activity.defn
async def refund_payment(payment_id: str) -> str:
    return f"refund-{payment_id}"


@activity.defn
async def ship_order(order: Order) -> str:
    if order.ship_to not in DELIVERABLE:
        # No retry can make a carrier serve the address: fail for good.
        raise ApplicationError(f"no carrier delivers to {order.ship_to}", type="Undeliverable", non_retryable=True)
    return f"TRACK-{order.order_id.upper()}"


@workflow.defn
class OrderWorkflow:
    """Runs one order to shipment, waits for stock it lacks, and undoes its steps on failure."""

    def __init__(self) -> None:
        self._status = OrderStatus(stage="checking inventory", notes=[])
        self._restocked = False
        # Each done step's undo, run last-first when a later step fails.
        self._compensations: list[Callable[[], Awaitable[object]]] = []

    @workflow.query
    def stage(self) -> str:
        """Where the order is; answered from the workflow's state, running or closed."""
        return self._status.stage

    @workflow.query
    def status(self) -> OrderStatus:
        """The stage, the customer's notes, and the payment and parcel once there are any."""
        return self._status

    @workflow.signal
    def add_note(self, note: str) -> None:
        self._status.notes.append(note)

    @workflow.signal
    def restock(self) -> None:
        """The warehouse received stock for this backordered order."""
        self._restocked = True

    @workflow.run
    async def run(self, order: Order) -> Receipt:
        if not await self._reserve(order):
            return self._cancelled(order)
        try:
            payment_id = await self._pay(order)
            tracking = await self._ship(order)
        # A step failed for good: undo the done ones, then fail with the step's error.
        except ActivityError:
            await self._compensate()
            raise
        workflow.logger.info("Order %s shipped: %s", order.order_id, tracking)
        self._status.stage = "shipped"
        return Receipt(order.order_id, payment_id, tracking, notes=self._status.notes)

    async def _reserve(self, order: Order) -> bool:
        """Hold the stock, waiting for a restock when short; False when none came in time."""
        if not await workflow.execute_activity(check_inventory, order, start_to_close_timeout=STEP_TIMEOUT):
            self._status.stage = "backordered"
            try:
                await workflow.wait_condition(lambda: self._restocked, timeout=order.restock_timeout_seconds)
            except TimeoutError:
                return False
        self._compensations.append(
            lambda: workflow.execute_activity(release_inventory, order, start_to_close_timeout=STEP_TIMEOUT)
        )
        return True

    async def _pay(self, order: Order) -> str:
        self._status.stage = "taking payment"
        payment_id = await workflow.execute_activity(
            process_payment,
            order,
            start_to_close_timeout=STEP_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=500), maximum_attempts=5),
        )
        self._status.payment_id = payment_id
        self._compensations.append(
            lambda: workflow.execute_activity(refund_payment, payment_id, start_to_close_timeout=STEP_TIMEOUT)
        )
        return payment_id

    async def _ship(self, order: Order) -> str:
        self._status.stage = "shipping"
        tracking = await workflow.execute_activity(ship_order, order, start_to_close_timeout=STEP_TIMEOUT)
        self._status.tracking_number = tracking
        return tracking

    async def _compensate(self) -> None:
        self._status.stage = "compensating"
        # Reverse order: the refund before the stock goes back, as the steps were taken.
        for undo in reversed(self._compensations):
            await undo()
        self._status.stage = "compensated"

    def _cancelled(self, order: Order) -> Receipt:
        """No stock in time: nothing was charged, so nothing is refunded."""
        workflow.logger.info("Order %s cancelled: %s not restocked in time", order.order_id, order.sku)
        self._status.stage = "cancelled"
        return Receipt(order.order_id, None, None, status="cancelled", notes=self._status.notes)


ACTIVITIES: list[Callable[..., Any]] = [check_inventory, release_inventory, process_payment, refund_payment, ship_order]
WORKFLOWS: list[type] = [OrderWorkflow]
