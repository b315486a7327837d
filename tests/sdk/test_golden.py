"""Golden histories: runs recorded by earlier code replay cleanly against today's workflows.

A change to an example workflow that would break its runs in flight fails here. The
histories are recorded by tests/golden/record.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from examples.greeting import workflows as greeting
from examples.orders import workflows as orders
from examples.pricing import workflows as pricing

from legato import workflow
from legato.client import WorkflowHistory
from legato.exceptions import NondeterminismError
from legato.worker import Replayer

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
WORKFLOWS = [*orders.WORKFLOWS, *greeting.WORKFLOWS, *pricing.WORKFLOWS]


def golden(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"golden-{name}", (GOLDEN / f"{name}.json").read_text())


@pytest.mark.parametrize("name", ["orders", "greeting", "pricing", "pricing_parallel"])
async def test_recorded_history_replays_against_current_code(name: str) -> None:
    result = await Replayer(workflows=WORKFLOWS).replay_workflow(golden(name))
    assert result.replay_failure is None


@workflow.defn(name="OrderWorkflow")
class ShipsBeforePaying:
    """The order workflow with two steps swapped: running orders would break."""

    @workflow.run
    async def run(self, order: orders.Order) -> orders.Receipt:
        tracking = await workflow.execute_activity(
            orders.ship_order, order, start_to_close_timeout=timedelta(seconds=30)
        )
        return orders.Receipt(order.order_id, "unpaid", tracking)


async def test_reordered_steps_fail_to_replay_the_golden_order() -> None:
    with pytest.raises(NondeterminismError, match="check_inventory"):
        await Replayer(workflows=[ShipsBeforePaying]).replay_workflow(golden("orders"))


@workflow.defn(name="PriceSumWorkflow")
class LookupsInParallelWithoutThePatch:
    """The parallel pricing with its workflow.patched call removed too early."""

    @workflow.run
    async def run(self, items: list[str]) -> int:
        return sum(
            await asyncio.gather(
                *(
                    workflow.execute_activity(pricing.lookup_price, i, start_to_close_timeout=timedelta(seconds=10))
                    for i in items
                )
            )
        )


async def test_the_pricing_patch_keeps_runs_from_before_it_and_cannot_be_dropped_yet() -> None:
    # The sequential run recorded before the patch replays without a marker: the old loop.
    assert "MarkerRecorded" not in [e.attributes.type for e in golden("pricing").events]
    assert "MarkerRecorded" in [e.attributes.type for e in golden("pricing_parallel").events]
    with pytest.raises(NondeterminismError, match="not deprecated"):
        await Replayer(workflows=[LookupsInParallelWithoutThePatch]).replay_workflow(golden("pricing_parallel"))
