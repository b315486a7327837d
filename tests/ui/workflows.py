"""The workflows and activities the browser tests run: activities with a retry, a timer,
an activity waiting for its next attempt, a child, a signal, a query and an update, so
that every part of a workflow's page has something to show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from legato import activity, workflow
from legato.common import RetryPolicy

TASK_QUEUE = "ui"
FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_interval=timedelta(seconds=1))


@activity.defn
async def reserve(sku: str) -> str:
    return f"reserved {sku}"


@activity.defn
async def charge(amount: int) -> str:
    # The first attempt fails, so the timeline has a retry to show.
    if activity.info().attempt == 1:
        raise RuntimeError("payment gateway timed out")
    return f"charged {amount}"


@workflow.defn
class Checkout:
    """Two activities (the second retried once) and a timer between them."""

    @workflow.run
    async def run(self, sku: str) -> dict[str, str]:
        reserved = await workflow.execute_activity(reserve, sku, start_to_close_timeout=timedelta(seconds=10))
        await workflow.sleep(timedelta(milliseconds=300))
        charged = await workflow.execute_activity(
            charge, 2400, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST_RETRY
        )
        return {"reserved": reserved, "charged": charged}


@activity.defn
async def flaky_gateway(order_id: str) -> str:
    raise RuntimeError(f"gateway down for {order_id}")


@workflow.defn
class Stuck:
    """An activity that keeps failing, with a long wait before each retry."""

    @workflow.run
    async def run(self, order_id: str) -> str:
        return await workflow.execute_activity(
            flaky_gateway,
            order_id,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(minutes=10)),
        )


@workflow.defn
class Echo:
    @workflow.run
    async def run(self, text: str) -> str:
        return text


@workflow.defn
class Parent:
    """Starts one child and returns its result."""

    @workflow.run
    async def run(self) -> str:
        echoed: str = await workflow.execute_child_workflow(Echo.run, "hi", id=f"{workflow.info().workflow_id}-child")
        return echoed


@workflow.defn
class Approval:
    """Waits for approvals (the ``approve`` signal, the ``approve_now`` update) until one says
    ``"done"``; the ``approved`` query tells what came."""

    def __init__(self) -> None:
        self.approvals: list[str] = []

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: "done" in self.approvals)
        return self.approvals

    @workflow.signal
    def approve(self, who: str) -> None:
        self.approvals.append(who)

    @workflow.query
    def approved(self) -> list[str]:
        return self.approvals

    @workflow.update
    def approve_now(self, who: str) -> list[str]:
        self.approvals.append(who)
        return self.approvals


WORKFLOWS: list[type] = [Checkout, Approval, Stuck, Echo, Parent]
ACTIVITIES: list[Callable[..., Any]] = [reserve, charge, flaky_gateway]
