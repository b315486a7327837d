"""Schedules on a real database, with the server's clock moved by the test: each time fires
once, by the overlap policy; a server down across fire times catches up within the window;
pause, trigger, backfill, limited actions, update and delete; two replicas' loops never
fire one time twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, WorkflowExecutionStatus
from legato.api.schedule import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import clock, errors
from legato_operator.engine.rules import schedules as rules
from legato_operator.engine.services import runner, workflows
from legato_operator.engine.services import schedules as service
from legato_operator.store import db, executions
from tests.server import flows

Policy = wire.ScheduleOverlapPolicy
MINUTE = 60.0


def schedule(
    *,
    every: float = MINUTE,
    overlap: Policy = Policy.SKIP,
    catchup: float | None = None,
    workflow_id: str = "report",
    pause_on_failure: bool = False,
    **state: object,
) -> wire.Schedule:
    return wire.Schedule(
        spec=wire.ScheduleSpec(intervals=[wire.ScheduleInterval(every=every)]),
        action=wire.ScheduleActionStartWorkflow(
            workflow_type="Report", workflow_id=workflow_id, task_queue=flows.QUEUE
        ),
        policies=wire.SchedulePolicies(
            overlap_policy=overlap, catchup_window=catchup, pause_on_failure=pause_on_failure
        ),
        state=wire.ScheduleState(**state),
    )


async def create(rt: runner.Runtime, s: wire.Schedule, schedule_id: str = "daily", **kw: object) -> None:
    request = wire.CreateScheduleRequest(schedule_id=schedule_id, schedule=s, **kw)
    await service.create_schedule(rt, flows.NS, request)


async def describe(rt: runner.Runtime, schedule_id: str = "daily") -> wire.DescribeScheduleResponse:
    return await service.describe_schedule(rt, flows.NS, wire.DescribeScheduleRequest(schedule_id=schedule_id))


async def started_ids(pool: db.Pool) -> list[str]:
    async with pool.acquire() as conn:
        records = await conn.fetch("SELECT workflow_id FROM executions ORDER BY workflow_id")
    return [r["workflow_id"] for r in records]


def to_next_minute(test_clock: clock.Clock, minutes: int = 1) -> None:
    """Move the clock just past the start of the minute ``minutes`` from now."""
    now = test_clock.now()
    target = now.replace(second=0, microsecond=0) + timedelta(minutes=minutes, seconds=1)
    test_clock.advance((target - now).total_seconds())


async def terminate(rt: runner.Runtime, workflow_id: str) -> None:
    await workflows.terminate_workflow(rt, flows.NS, api.TerminateWorkflowRequest(workflow_id=workflow_id))


async def test_each_fire_time_starts_one_workflow_named_by_its_time(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL))
    loop = service.ScheduleLoop(rt)
    assert await loop.run_due() == 0
    to_next_minute(test_clock)
    assert await loop.run_due() == 1
    assert await loop.run_due() == 0
    (workflow_id,) = await started_ids(pool)
    nominal = test_clock.now().replace(second=0, microsecond=0)
    assert workflow_id == "report-" + nominal.strftime("%Y-%m-%dT%H:%M:%SZ")
    described = await describe(rt)
    assert described.info.action_count == 1
    assert [w.workflow_id for w in described.info.running_workflows] == [workflow_id]
    (recent,) = described.info.recent_actions
    assert (recent.schedule_time, recent.start_workflow_status) == (nominal, "RUNNING")
    assert described.info.future_action_times[0] == nominal + timedelta(minutes=1)
    assert len(described.info.future_action_times) == wire.MAX_FUTURE_ACTION_TIMES


async def test_skip_drops_a_time_while_the_last_workflow_runs(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.SKIP))
    loop = service.ScheduleLoop(rt)
    to_next_minute(test_clock)
    await loop.run_due()
    to_next_minute(test_clock)
    await loop.run_due()
    assert len(await started_ids(pool)) == 1
    assert (await describe(rt)).info.overlap_skipped == 1
    (first,) = await started_ids(pool)
    await terminate(rt, first)
    to_next_minute(test_clock)
    await loop.run_due()
    assert len(await started_ids(pool)) == 2
    recent = (await describe(rt)).info.recent_actions
    assert [a.start_workflow_status for a in recent] == ["TERMINATED", "RUNNING"]


async def test_buffer_one_keeps_one_start_for_when_the_last_closes(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.BUFFER_ONE))
    loop = service.ScheduleLoop(rt)
    to_next_minute(test_clock)
    await loop.run_due()
    to_next_minute(test_clock, 3)  # three more times while the first runs
    await loop.run_due()
    info = (await describe(rt)).info
    assert (info.buffer_size, info.buffer_dropped, info.action_count) == (1, 2, 1)
    (first,) = await started_ids(pool)
    await terminate(rt, first)
    test_clock.advance(rules.WATCH_SECONDS)
    await loop.run_due()
    assert len(await started_ids(pool)) == 2
    assert (await describe(rt)).info.buffer_size == 0


async def test_terminate_other_ends_the_running_workflow_and_starts_at_once(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.TERMINATE_OTHER))
    loop = service.ScheduleLoop(rt)
    to_next_minute(test_clock)
    await loop.run_due()
    to_next_minute(test_clock)
    await loop.run_due()
    first, second = await started_ids(pool)
    async with pool.acquire() as conn:
        statuses = [(await executions.latest(conn, flows.NS, w)).status for w in (first, second)]  # type: ignore[union-attr]
    assert statuses == [WorkflowExecutionStatus.TERMINATED, WorkflowExecutionStatus.RUNNING]


async def test_cancel_other_asks_the_running_one_to_cancel_and_starts_once_it_closed(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.CANCEL_OTHER))
    loop = service.ScheduleLoop(rt)
    to_next_minute(test_clock)
    await loop.run_due()
    to_next_minute(test_clock)
    await loop.run_due()
    (first,) = await started_ids(pool)
    async with pool.acquire() as conn:
        ex = await executions.latest(conn, flows.NS, first)
    assert ex is not None
    assert ex.cancel_requested
    await terminate(rt, first)  # its code would close it; here the test does
    test_clock.advance(rules.WATCH_SECONDS)
    await loop.run_due()
    assert len(await started_ids(pool)) == 2


async def test_a_server_down_across_fire_times_catches_up_within_the_window(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, catchup=10 * MINUTE))
    to_next_minute(test_clock, 30)  # nobody ran the loop for half an hour
    await service.ScheduleLoop(rt).run_due()
    info = (await describe(rt)).info
    assert info.action_count == 10  # the times of the last ten minutes
    assert info.missed_catchup_window == 20
    assert len(await started_ids(pool)) == 10


async def test_paused_takes_no_action_and_trigger_and_backfill_act_now(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, paused=True, notes="quiet"))
    loop = service.ScheduleLoop(rt)
    to_next_minute(test_clock, 2)
    await loop.run_due()
    assert await started_ids(pool) == []
    assert (await describe(rt)).info.future_action_times == []
    patch = wire.SchedulePatch(trigger_immediately=wire.TriggerImmediately())
    await service.patch_schedule(rt, flows.NS, wire.PatchScheduleRequest(schedule_id="daily", patch=patch))
    assert len(await started_ids(pool)) == 1
    now = test_clock.now()
    window = wire.BackfillRequest(start_time=now - timedelta(minutes=30), end_time=now - timedelta(minutes=25))
    patch = wire.SchedulePatch(backfill_request=[window], unpause="back")
    await service.patch_schedule(rt, flows.NS, wire.PatchScheduleRequest(schedule_id="daily", patch=patch))
    assert len(await started_ids(pool)) == 1 + 5
    described = await describe(rt)
    assert (described.schedule.state.paused, described.schedule.state.notes) == (False, "back")


async def test_limited_actions_stop_after_the_last(rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, limited_actions=True, remaining_actions=2))
    loop = service.ScheduleLoop(rt)
    for _ in range(4):
        to_next_minute(test_clock)
        await loop.run_due()
    assert len(await started_ids(pool)) == 2
    assert (await describe(rt)).schedule.state.remaining_actions == 0


async def test_pause_on_failure_pauses_when_an_action_fails(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, pause_on_failure=True))
    loop = service.ScheduleLoop(rt)
    to_next_minute(test_clock)
    await loop.run_due()
    task = await flows.workflow_task(rt)
    await flows.answer(rt, task, cmd.FailWorkflowExecution(failure=Failure(message="broken")))
    test_clock.advance(rules.WATCH_SECONDS)
    await loop.run_due()
    state = (await describe(rt)).schedule.state
    assert state.paused
    assert "failed" in state.notes
    to_next_minute(test_clock)
    await loop.run_due()
    assert len(await started_ids(pool)) == 1


async def test_an_update_takes_effect_from_now_and_checks_the_conflict_token(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(every=3600.0))
    token = (await describe(rt)).conflict_token
    every_minute = schedule(every=MINUTE, overlap=Policy.ALLOW_ALL)
    update = wire.UpdateScheduleRequest(schedule_id="daily", schedule=every_minute, conflict_token=token)
    await service.update_schedule(rt, flows.NS, update)
    with pytest.raises(errors.FailedPrecondition, match="changed since its conflict token"):
        await service.update_schedule(rt, flows.NS, update)
    to_next_minute(test_clock, 2)
    await service.ScheduleLoop(rt).run_due()
    assert len(await started_ids(pool)) == 2
    assert (await describe(rt)).schedule.spec.intervals[0].every == MINUTE


async def test_a_bad_spec_is_refused_naming_its_field_and_creates_nothing(rt: runner.Runtime) -> None:
    bad = schedule()
    bad.spec.cron_expressions.append("61 * * * *")
    with pytest.raises(errors.InvalidArgument, match="cron_expressions") as refused:
        await create(rt, bad)
    assert refused.value.field is not None
    assert refused.value.field.startswith("schedule.spec.cron_expressions")
    with pytest.raises(errors.NotFound, match=r"Schedule daily is not found\."):
        await describe(rt)


async def test_an_id_is_created_once_and_deleted_once(rt: runner.Runtime) -> None:
    await create(rt, schedule(), request_id="r-1")
    await create(rt, schedule(), request_id="r-1")  # a retried create finds its schedule
    with pytest.raises(errors.AlreadyExists, match="already registered"):
        await create(rt, schedule(), request_id="r-2")
    listed = await service.list_schedules(rt, flows.NS, wire.ListSchedulesRequest())
    assert [s.schedule_id for s in listed.schedules] == ["daily"]
    assert listed.schedules[0].info.workflow_type == "Report"
    await service.delete_schedule(rt, flows.NS, wire.DeleteScheduleRequest(schedule_id="daily"))
    with pytest.raises(errors.NotFound):
        await service.delete_schedule(rt, flows.NS, wire.DeleteScheduleRequest(schedule_id="daily"))


async def test_two_replicas_never_fire_one_time_twice(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    for i in range(5):
        await create(rt, schedule(overlap=Policy.ALLOW_ALL, workflow_id=f"report-{i}"), schedule_id=f"s{i}")
    replicas = [service.ScheduleLoop(runner.Runtime(pool=pool, clock=test_clock)) for _ in range(2)]
    for _ in range(3):
        to_next_minute(test_clock)
        await asyncio.gather(*(r.run_due() for r in replicas))
    ids = await started_ids(pool)
    assert len(ids) == len(set(ids)) == 15


def test_the_workflow_id_of_an_action_is_temporals() -> None:
    nominal = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    assert rules.workflow_id("orders", nominal) == "orders-2026-12-03T13:00:00Z"


async def test_a_backfill_of_too_many_times_is_refused_and_starts_nothing(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, paused=True))
    now = test_clock.now()
    year = wire.BackfillRequest(start_time=now - timedelta(days=365), end_time=now)
    request = wire.PatchScheduleRequest(schedule_id="daily", patch=wire.SchedulePatch(backfill_request=[year]))
    with pytest.raises(errors.InvalidArgument, match=f"at most {rules.MAX_BACKFILL} times") as refused:
        await service.patch_schedule(rt, flows.NS, request)
    assert refused.value.field == "patch.backfill_request"
    assert await started_ids(pool) == []


async def test_a_schedule_whose_round_fails_is_set_aside_and_the_others_still_fire(
    rt: runner.Runtime, pool: db.Pool, test_clock: clock.Clock
) -> None:
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, workflow_id="broken"), schedule_id="a-broken")
    await create(rt, schedule(overlap=Policy.ALLOW_ALL, workflow_id="fine"), schedule_id="b-fine")
    async with pool.acquire() as conn:  # a row no round can read (a bug's, say)
        await conn.execute("UPDATE schedules SET progress = '{}'::jsonb WHERE schedule_id = 'a-broken'")
    to_next_minute(test_clock)
    assert await service.ScheduleLoop(rt).run_due() == 2
    assert [i.split("-")[0] for i in await started_ids(pool)] == ["fine"]
    async with pool.acquire() as conn:
        wake = await conn.fetchval("SELECT next_wake FROM schedules WHERE schedule_id = 'a-broken'")
    assert wake >= test_clock.now() + timedelta(seconds=service.SET_ASIDE_SECONDS - 1)


async def test_times_at_the_end_of_the_calendar_are_refused_not_failed(rt: runner.Runtime) -> None:
    end_of_time = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14)))
    late = schedule()
    late = late.model_copy(update={"spec": late.spec.model_copy(update={"start_at": end_of_time})})
    with pytest.raises(errors.InvalidArgument, match="out of range") as refused:
        await create(rt, late)
    assert refused.value.field == "schedule.spec"
    await create(rt, schedule())
    window = wire.BackfillRequest(start_time=end_of_time - timedelta(hours=1), end_time=end_of_time)
    request = wire.PatchScheduleRequest(schedule_id="daily", patch=wire.SchedulePatch(backfill_request=[window]))
    with pytest.raises(errors.InvalidArgument) as refused:
        await service.patch_schedule(rt, flows.NS, request)
    assert refused.value.field == "patch.backfill_request"
