"""The pricing workflow: a loop that looks up each item's price and sums them.

Each lookup is an activity; the running total lives in workflow state, rebuilt by replay.
"""

from __future__ import annotations

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
        total = 0
        for item in items:
            total += await workflow.execute_activity(lookup_price, item, start_to_close_timeout=timedelta(seconds=10))
            workflow.logger.info("After %s the total is %d", item, total)
        return total


WORKFLOWS = [PriceSumWorkflow]
ACTIVITIES = [lookup_price]
