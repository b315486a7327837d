"""The subscription workflow: wait a billing period, charge the renewal, continue as new.

Each run is one period: a durable wait of `period_seconds` (30 days by default; a timer
in Postgres, so no worker sits waiting), then the renewal charge, then
`workflow.continue_as_new` with the count of periods so far, so no history grows without
end. A `cancel` signal ends the wait early and the subscription with it; so does
reaching `max_periods`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from legato import activity, workflow

TASK_QUEUE = "subscriptions"
DAY = 24 * 3600.0


@dataclass
class Subscription:
    customer_id: str
    plan: str
    amount_cents: int
    period_seconds: float = 30 * DAY
    max_periods: int = 12
    # Periods charged by the runs before this one (continue-as-new carries it on).
    periods_charged: int = 0


@dataclass
class Renewal:
    customer_id: str
    amount_cents: int
    period: int


@dataclass
class SubscriptionEnded:
    customer_id: str
    periods_charged: int
    reason: str  # "cancelled" or "completed"


@activity.defn
async def charge_renewal(renewal: Renewal) -> str:
    """Charge one period; the id is the processor's idempotency key, so a retry charges once."""
    activity.logger.info(
        "Charging %s %d cents for period %d", renewal.customer_id, renewal.amount_cents, renewal.period
    )
    return f"charge-{renewal.customer_id}-{renewal.period}"


@workflow.defn
class SubscriptionWorkflow:
    """One billing period per run, until cancelled or `max_periods` are charged."""

    def __init__(self) -> None:
        self._cancelled = False

    @workflow.signal
    def cancel(self) -> None:
        self._cancelled = True

    @workflow.query
    def cancelled(self) -> bool:
        return self._cancelled

    @workflow.run
    async def run(self, sub: Subscription) -> SubscriptionEnded:
        # The period passes unless a cancel ends it first.
        try:
            await workflow.wait_condition(lambda: self._cancelled, timeout=sub.period_seconds)
            return SubscriptionEnded(sub.customer_id, sub.periods_charged, "cancelled")
        except TimeoutError:
            pass
        period = sub.periods_charged + 1
        await workflow.execute_activity(
            charge_renewal,
            Renewal(sub.customer_id, sub.amount_cents, period),
            start_to_close_timeout=timedelta(seconds=30),
        )
        # A cancel that came during the charge ends it here: the next run would not see it.
        if self._cancelled or period >= sub.max_periods:
            return SubscriptionEnded(sub.customer_id, period, "cancelled" if self._cancelled else "completed")
        workflow.continue_as_new(dataclasses.replace(sub, periods_charged=period))


ACTIVITIES: list[Callable[..., Any]] = [charge_renewal]
WORKFLOWS: list[type] = [SubscriptionWorkflow]
