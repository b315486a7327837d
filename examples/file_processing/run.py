"""Run the file-processing workflow against a Legato server: `python examples/file_processing/run.py`.

Processes `--chunks` chunks (20 by default) of a quarter second each, heartbeating after
each one. To see an attempt resume from its last heartbeat, run the worker on its own and
kill it mid-file (examples/file_processing/README.md shows how).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import run_example

from file_processing.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, FileJob, FileProcessingWorkflow


async def main(chunks: int) -> None:
    job = FileJob(f"invoices-{uuid.uuid4().hex[:6]}.csv", chunks, seconds_per_chunk=0.25)
    await run_example(
        FileProcessingWorkflow.run,
        job,
        workflow_id=f"process-{job.name}",
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20, help="chunks in the file (default: 20)")
    asyncio.run(main(parser.parse_args().chunks))
