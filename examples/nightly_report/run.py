"""Run the nightly report against a Legato server: `python examples/nightly_report/run.py`.

Creates the schedule schedule.yaml describes (02:00 every night, Berlin time) with the
SDK's `client.create_schedule`, triggers it once instead of waiting for the night, prints
the report workflow it started, and deletes the schedule again.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import connect, print_outcome

from legato.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleSpec,
)
from legato.worker import Worker
from nightly_report.workflows import ACTIVITIES, TASK_QUEUE, WORKFLOWS, NightlyReportWorkflow, ReportRequest


def nightly(suffix: str) -> Schedule:
    """schedule.yaml's spec, in the SDK's terms."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            NightlyReportWorkflow.run, ReportRequest(), id=f"nightly-report-{suffix}", task_queue=TASK_QUEUE
        ),
        spec=ScheduleSpec(cron_expressions=["0 2 * * *"], time_zone_name="Europe/Berlin"),
    )


async def started_workflow_id(schedule: ScheduleHandle) -> str:
    """The id of the workflow the schedule's latest action started."""
    for _ in range(100):
        actions = (await schedule.describe()).info.recent_actions
        if actions and isinstance(actions[-1].action, ScheduleActionExecutionStartWorkflow):
            return actions[-1].action.workflow_id
        await asyncio.sleep(0.1)
    raise RuntimeError(f"schedule {schedule.id} started no workflow within 10s")


async def run_once(client: Client) -> None:
    suffix = uuid.uuid4().hex[:6]
    schedule = await client.create_schedule(f"nightly-report-{suffix}", nightly(suffix))
    print(f"Created schedule {schedule.id}: 0 2 * * * (Europe/Berlin); triggering it now")
    try:
        await schedule.trigger()
        handle = client.get_workflow_handle_for(NightlyReportWorkflow.run, await started_workflow_id(schedule))
        await print_outcome(handle, await handle.result())
    finally:
        await schedule.delete()
    print(f"\nDeleted schedule {schedule.id} (the workflow it started stays in the history)")


async def main() -> None:
    client = await connect()
    async with Worker(client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=ACTIVITIES):
        await run_once(client)


if __name__ == "__main__":
    asyncio.run(main())
