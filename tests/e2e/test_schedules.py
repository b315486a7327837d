"""The Schedules API end to end, as temporalio's: a schedule started by the SDK starts its
workflows on a real server, is described, listed, paused, triggered, backfilled, updated
and deleted, and a server killed across fire times catches up when it is back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from legato import workflow
from legato.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowExecutionStatus,
)
from legato.exceptions import RPCError, RPCStatusCode
from tests.support.deadline import eventually
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e


@workflow.defn
class Report:
    @workflow.run
    async def run(self, name: str) -> str:
        return f"report for {name}"


def every(
    seconds: float, *, paused: bool = False, overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.ALLOW_ALL
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(Report.run, "ops", id="report", task_queue="reports"),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=seconds))]),
        policy=SchedulePolicy(overlap=overlap),
        state=ScheduleState(paused=paused, note="made by a test"),
    )


async def report_ids(client: Client) -> list[str]:
    return [e.id async for e in client.list_workflows("WorkflowType = 'Report'")]


async def test_a_schedule_starts_its_workflows_and_is_described(client: Client) -> None:
    async with running_worker(client, task_queue="reports", workflows=[Report]):
        handle = await client.create_schedule("reports", every(2))

        async def two_completed() -> bool:
            statuses = [e.status async for e in client.list_workflows("WorkflowType = 'Report'")]
            return statuses.count(WorkflowExecutionStatus.COMPLETED) >= 2

        await eventually(two_completed, within=20, what="two scheduled workflows to complete")
        described = await handle.describe()
    assert described.id == "reports"
    assert described.info.num_actions >= 2
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert (action.workflow, action.id, action.task_queue) == ("Report", "report", "reports")
    first = described.info.recent_actions[0].action
    assert isinstance(first, ScheduleActionExecutionStartWorkflow)
    assert first.workflow_id.startswith("report-")
    assert await client.get_workflow_handle(first.workflow_id).result() == "report for ops"
    assert described.info.next_action_times
    assert described.schedule.state.note == "made by a test"


async def test_pause_trigger_backfill_update_and_delete(client: Client) -> None:
    handle = await client.create_schedule("quiet", every(3600, paused=True))
    with pytest.raises(ScheduleAlreadyRunningError):
        await client.create_schedule("quiet", every(3600))
    assert await report_ids(client) == []
    await handle.trigger()
    assert len(await report_ids(client)) == 1
    now = (await handle.describe()).info.created_at
    await handle.backfill(ScheduleBackfill(start_at=now - timedelta(hours=5), end_at=now))
    assert len(await report_ids(client)) == 1 + 5
    await handle.unpause(note="awake")
    assert not (await handle.describe()).schedule.state.paused

    def longer(input: ScheduleUpdateInput) -> ScheduleUpdate:
        input.description.schedule.spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=2))])
        return ScheduleUpdate(schedule=input.description.schedule)

    await handle.update(longer)
    spec = (await handle.describe()).schedule.spec
    assert spec.intervals[0].every == timedelta(hours=2)
    listed = [s.id async for s in await client.list_schedules()]
    assert listed == ["quiet"]
    await handle.delete()
    with pytest.raises(RPCError) as gone:
        await handle.describe()
    assert gone.value.status is RPCStatusCode.NOT_FOUND


async def test_a_server_killed_across_fire_times_catches_up_when_back(server: ServerProcess, client: Client) -> None:
    await client.create_schedule("catch-up", every(1))

    async def started(at_least: int) -> bool:
        return len(await report_ids(client)) >= at_least

    await eventually(lambda: started(1), within=20, what="the first scheduled start")
    server.kill()
    down_from = datetime.now(UTC)
    await asyncio.sleep(4)  # the scenario itself: fire times pass while no server runs
    down_to = datetime.now(UTC)
    server.start()
    missed = [
        "report-" + (down_from + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for s in range(1, int((down_to - down_from).total_seconds()))
    ]

    async def caught_up() -> bool:
        return set(missed) <= set(await report_ids(client))

    await eventually(caught_up, within=30, what=f"the times missed while down ({missed}) to be started")
    ids = await report_ids(client)
    assert len(ids) == len(set(ids))
