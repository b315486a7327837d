"""Workflows whose histories were recorded on Temporal's own dev server.

Written against ``legato``; ``record.py`` runs this very file on Temporal with the import
renamed to ``temporalio`` (the port the README promises, run backwards), so replaying the
recorded histories here checks that a Temporal history replays against the same code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from legato import activity, workflow
from legato.common import RetryPolicy
from legato.exceptions import ActivityError, ApplicationError

TASK_QUEUE = "golden-temporal"


@dataclass
class Order:
    order_id: str
    quantity: int


@activity.defn
async def reserve(order: Order) -> str:
    return f"reserved {order.quantity} for {order.order_id}"


@activity.defn
async def flaky_charge(order: Order) -> str:
    # Fails twice, so the history records the third attempt and its last failure.
    if activity.info().attempt < 3:
        raise ApplicationError(f"card declined (attempt {activity.info().attempt})")
    return f"charged {order.order_id}"


@activity.defn
async def always_fails(name: str) -> str:
    raise ApplicationError(f"{name} is out of stock", non_retryable=True)


@workflow.defn
class OrderWorkflow:
    """Two activities, the second one retried, then a timer."""

    @workflow.run
    async def run(self, order: Order) -> list[str]:
        reserved = await workflow.execute_activity(reserve, order, start_to_close_timeout=timedelta(seconds=10))
        charged = await workflow.execute_activity(
            flaky_charge,
            order,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), backoff_coefficient=1.0),
        )
        await workflow.sleep(timedelta(seconds=1))
        return [reserved, charged]


@workflow.defn
class ApprovalWorkflow:
    """Waits for signals; a timer runs alongside."""

    def __init__(self) -> None:
        self.approvals: list[str] = []

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approvals.append(who)

    @workflow.run
    async def run(self, needed: int) -> list[str]:
        await asyncio.sleep(0.5)
        await workflow.wait_condition(lambda: len(self.approvals) >= needed)
        return self.approvals


@workflow.defn
class FailingWorkflow:
    """An activity fails for good and so does the run."""

    @workflow.run
    async def run(self, item: str) -> str:
        return await workflow.execute_activity(always_fails, item, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn
class CancellableWorkflow:
    """Sleeps until cancelled; the cancellation cancels the timer."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(hours=1))
        return "woke up"


@workflow.defn
class TimerRaceWorkflow:
    """A short timer wins against a long one, which is cancelled."""

    @workflow.run
    async def run(self) -> str:
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(milliseconds=300))
        except TimeoutError:
            return "timed out"
        return "condition"


@workflow.defn
class PatchedWorkflow:
    """Uses workflow.patched: a core_patch marker (and Temporal's TemporalChangeVersion upsert)."""

    @workflow.run
    async def run(self) -> str:
        return "new" if workflow.patched("v2") else "old"


@workflow.defn
class ChainWorkflow:
    """Continues as new until ``n`` is 0: each run but the last closes continued-as-new."""

    @workflow.run
    async def run(self, n: int) -> int:
        if n > 0:
            workflow.continue_as_new(n - 1)
        return n


@activity.defn
async def flaky_lookup(item: str) -> str:
    # Fails twice: the marker records the third attempt.
    info = activity.info()
    if info.attempt < 3:
        raise ApplicationError(f"{item} lookup failed (attempt {info.attempt})")
    return f"{item} found on attempt {info.attempt} (local: {info.is_local})"


@workflow.defn
class LocalActivityWorkflow:
    """Local activities: retried in the worker, retried after a timer, and failing for good."""

    @workflow.run
    async def run(self, item: str) -> list[str]:
        quick = await workflow.execute_local_activity(
            flaky_lookup,
            item,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50), backoff_coefficient=1.0),
        )
        # A backoff past local_retry_threshold waits on a durable timer.
        slow = await workflow.execute_local_activity(
            flaky_lookup,
            item + "-slow",
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1.5), backoff_coefficient=1.0),
            local_retry_threshold=timedelta(seconds=1),
        )
        try:
            await workflow.execute_local_activity(always_fails, item, start_to_close_timeout=timedelta(seconds=5))
        except ActivityError as e:
            return [quick, slow, f"{type(e.cause).__name__}: {e.cause}"]
        return [quick, slow]


@workflow.defn
class UpdatedWorkflow:
    """Takes items by update (one rejected by its validator, one sleeping in its handler)
    until the ``finish`` update; returns once every handler finished."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done and workflow.all_handlers_finished())
        return self.items

    @workflow.update
    async def add(self, item: str) -> int:
        await workflow.sleep(timedelta(milliseconds=100))
        self.items.append(item)
        return len(self.items)

    @add.validator
    def validate_add(self, item: str) -> None:
        if not item:
            raise ApplicationError("empty item")

    @workflow.update
    def finish(self) -> str:
        self.done = True
        return "bye"


WORKFLOWS = [
    OrderWorkflow,
    ApprovalWorkflow,
    FailingWorkflow,
    CancellableWorkflow,
    TimerRaceWorkflow,
    PatchedWorkflow,
    ChainWorkflow,
    LocalActivityWorkflow,
    UpdatedWorkflow,
]
ACTIVITIES: list[Callable[..., Any]] = [reserve, flaky_charge, always_fails, flaky_lookup]
