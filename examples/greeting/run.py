"""Run the greeting workflow: `python examples/greeting/run.py [NAME]`."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import run_example

from greeting.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, GreetingWorkflow

if __name__ == "__main__":
    name = sys.argv[1] if len(sys.argv) > 1 else "World"
    asyncio.run(
        run_example(
            GreetingWorkflow.run,
            name,
            workflow_id=f"greeting-{uuid.uuid4().hex[:6]}",
            task_queue=TASK_QUEUE,
            workflows=WORKFLOWS,
            activities=ACTIVITIES,
        )
    )
