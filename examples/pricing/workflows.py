"""The pricing workflow: looks up each item's price and sums them.

Each lookup is an activity. The lookups used to run one after another; they now run
together, behind ``workflow.patched``: runs started before the change replay the loop
their history recorded, new runs record a patch marker and look up in parallel.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from legato import activity, workflow

TASK_QUEUE = "pricing"
CATALOGUE_CENTS = {"tea": 1200, "cups": 850, "kettle": 3999, "honey": 725}


@activity.defn
def lookup_price(item: str) -> int:
    """A synchronous activity: the worker runs it in its thread pool."""
    return CATALOGUE_CENTS[item]


@workflow.defn
class PriceSumWorkflow:
    @workflow.run
    async def run(self, items: list[str]) -> int:
        if not workflow.patched("parallel-lookups"):
            return await self._one_by_one(items)
        prices = await asyncio.gather(*(self._lookup(item) for item in items))
        workflow.logger.info("Prices: %s", dict(zip(items, prices, strict=True)))
        return sum(prices)

    async def _one_by_one(self, items: list[str]) -> int:
        # The code of runs started before the patch: the running total lives in workflow state.
        total = 0
        for item in items:
            total += await self._lookup(item)
            workflow.logger.info("After %s the total is %d", item, total)
        return total

    async def _lookup(self, item: str) -> int:
        return await workflow.execute_activity(lookup_price, item, start_to_close_timeout=timedelta(seconds=10))


WORKFLOWS = [PriceSumWorkflow]
ACTIVITIES = [lookup_price]
