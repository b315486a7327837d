"""Run the subscription workflow against a Legato server: `python examples/subscription/run.py`.

A real period is 30 days; here it is `--period-seconds` (2 by default), so the three
periods (`--periods`) pass in about six seconds: each run waits, charges the renewal and
continues as new with the count so far. The history printed is the last run's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import run_example

from subscription.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, Subscription, SubscriptionWorkflow


async def main(periods: int, period_seconds: float) -> None:
    customer = f"customer-{uuid.uuid4().hex[:6]}"
    sub = Subscription(customer, "tea-club", 1500, period_seconds=period_seconds, max_periods=periods)
    await run_example(
        SubscriptionWorkflow.run,
        sub,
        workflow_id=f"subscription-{customer}",
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--periods", type=int, default=3, help="periods to charge before it ends (default: 3)")
    parser.add_argument("--period-seconds", type=float, default=2.0, help="length of a period (default: 2)")
    args = parser.parse_args()
    asyncio.run(main(args.periods, args.period_seconds))
