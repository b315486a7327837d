"""Run the pricing loop: `python examples/pricing/run.py [ITEM ...]`."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import run_example

from pricing.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, PriceSumWorkflow

if __name__ == "__main__":
    items = sys.argv[1:] or ["tea", "cups", "kettle", "honey"]
    asyncio.run(
        run_example(
            PriceSumWorkflow.run,
            items,
            workflow_id=f"pricing-{uuid.uuid4().hex[:6]}",
            task_queue=TASK_QUEUE,
            workflows=WORKFLOWS,
            activities=ACTIVITIES,
        )
    )
