"""Schedules: create, describe, update, patch, delete and list, and the loop that runs them.

A schedule is a row (``store.schedules``); ``rules.schedules`` decides what each round does.
Every change to a schedule, and every round of the loop, locks its row and starts, cancels
or terminates its workflows in the same transaction that records its progress, so a time
fires once however many replicas run the loop and whenever one dies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from legato.api.common.v1 import Payload, WorkflowExecution, WorkflowExecutionStatus
from legato.api.schedule import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import keys, memo, schedule_spec, search_attributes, signals, termination
from legato_operator.engine.rules import schedules as rules
from legato_operator.engine.services import namespaces, runner, wakeup, workflows, writer
from legato_operator.store import db, executions, history, rows
from legato_operator.store import schedules as store

log = logging.getLogger(__name__)

WAKE_KEY = keys.SCHEDULES
# How long a schedule whose round failed (a bug, not an outage) waits before the next try.
SET_ASIDE_SECONDS = 60.0
IDENTITY = "legato-scheduler"
_RUNNING = WorkflowExecutionStatus.RUNNING


def _seed(namespace: str, schedule_id: str) -> str:
    # Temporal seeds a schedule's jitter with "<namespace id>-<schedule id>".
    return f"{namespace}-{schedule_id}"


def _not_found(schedule_id: str) -> errors.NotFound:
    return errors.NotFound(f"Schedule {schedule_id} is not found.")


# --- the operations ------------------------------------------------------------------------


async def create_schedule(
    rt: runner.Runtime, namespace: str, request: wire.CreateScheduleRequest
) -> wire.CreateScheduleResponse:
    """Create a schedule, taking its initial trigger and backfills at once; 409 for a taken id."""
    spec = rules.compiled(request.schedule.spec)
    _check(request.schedule)
    now = rt.clock.now()

    async def change(tx: runner.Tx) -> wire.CreateScheduleResponse:
        existing = await store.get(tx.conn, namespace, request.schedule_id)
        if existing is not None:
            if request.request_id and existing.request_id == request.request_id:
                return wire.CreateScheduleResponse(conflict_token=str(existing.version))
            raise errors.AlreadyExists("schedule with this ID is already registered")
        attributes = await _checked_attributes(tx, namespace, request.search_attributes)
        r = rules.Round(request.schedule, rules.Progress(processed=now))
        _apply_patch(r, spec, request.initial_patch, now)
        await _execute(rt, tx, namespace, request.schedule_id, r, now)
        row = rows.Schedule(
            namespace=namespace,
            schedule_id=request.schedule_id,
            schedule=r.schedule.model_dump(mode="json"),
            progress=r.progress.dump(),
            memo=memo.stored(request.memo),
            search_attributes=search_attributes.stored(attributes),
            request_id=request.request_id,
            version=1,
            next_wake=rules.next_wake(r, spec, _seed(namespace, request.schedule_id), now),
            created_at=now,
            updated_at=None,
        )
        await store.insert(tx.conn, row)
        await tx.notify({WAKE_KEY})
        return wire.CreateScheduleResponse(conflict_token="1")

    return await rt.run("create_schedule", change)


async def describe_schedule(
    rt: runner.Runtime, namespace: str, request: wire.DescribeScheduleRequest
) -> wire.DescribeScheduleResponse:
    """The schedule with its spec as Temporal's describe gives it, what it did and will do."""
    async with rt.pool.acquire() as conn:
        row = await store.get(conn, namespace, request.schedule_id)
        if row is None:
            raise _not_found(request.schedule_id)
        progress = rules.Progress.load(row.progress)
        closed = await _closed(conn, progress.running)
    schedule = wire.Schedule.model_validate(row.schedule)
    spec = rules.compiled(schedule.spec)
    now = rt.clock.now()
    running = [w for w in progress.running if w.run_id and w.run_id not in closed]
    info = wire.ScheduleInfo(
        action_count=progress.action_count,
        missed_catchup_window=progress.missed_catchup_window,
        overlap_skipped=progress.overlap_skipped,
        buffer_dropped=progress.buffer_dropped,
        buffer_size=len(progress.buffer),
        running_workflows=running,
        recent_actions=_with_status(progress.recent, closed),
        future_action_times=_future(schedule, spec, namespace, row.schedule_id, max(now, progress.processed)),
        create_time=row.created_at,
        update_time=row.updated_at,
    )
    shown = schedule.model_copy(update={"spec": rules.canonical(schedule.spec)})
    return wire.DescribeScheduleResponse(
        schedule=shown,
        info=info,
        memo=memo.payloads(row.memo),
        search_attributes=search_attributes.payloads(row.search_attributes),
        conflict_token=str(row.version),
    )


async def update_schedule(rt: runner.Runtime, namespace: str, request: wire.UpdateScheduleRequest) -> None:
    """Replace the schedule; its new spec counts from now (no time already past fires)."""
    spec = rules.compiled(request.schedule.spec)
    _check(request.schedule)
    now = rt.clock.now()

    async def change(tx: runner.Tx) -> None:
        row = await _locked(tx, namespace, request.schedule_id)
        if request.conflict_token and request.conflict_token != str(row.version):
            raise errors.FailedPrecondition(
                f"Schedule {request.schedule_id} changed since its conflict token was read; describe it again"
            )
        progress = rules.Progress.load(row.progress)
        progress.processed = max(progress.processed, now)
        attributes = row.search_attributes
        if request.search_attributes is not None:
            attributes = search_attributes.stored(await _checked_attributes(tx, namespace, request.search_attributes))
        r = rules.Round(request.schedule, progress)
        await _save(tx, row, r, spec, now, updated=True, attributes=attributes)

    await rt.run("update_schedule", change)


async def patch_schedule(rt: runner.Runtime, namespace: str, request: wire.PatchScheduleRequest) -> None:
    """Pause or unpause (with a note), trigger an action now, or backfill a period."""
    now = rt.clock.now()

    async def change(tx: runner.Tx) -> None:
        row = await _locked(tx, namespace, request.schedule_id)
        schedule = wire.Schedule.model_validate(row.schedule)
        spec = rules.compiled(schedule.spec)
        progress = rules.Progress.load(row.progress)
        r = rules.step(
            schedule, progress, spec, _seed(namespace, row.schedule_id), await _closed(tx.conn, progress.running), now
        )
        _apply_patch(r, spec, request.patch, now)
        await _execute(rt, tx, namespace, row.schedule_id, r, now)
        await _save(tx, row, r, spec, now, updated=True, attributes=row.search_attributes)

    await rt.run("patch_schedule", change)


async def delete_schedule(rt: runner.Runtime, namespace: str, request: wire.DeleteScheduleRequest) -> None:
    """Delete the schedule; the workflows it started go on."""
    if not await rt.query(store.delete, namespace, request.schedule_id):
        raise _not_found(request.schedule_id)


async def list_schedules(
    rt: runner.Runtime, namespace: str, request: wire.ListSchedulesRequest
) -> wire.ListSchedulesResponse:
    """A page of the namespace's schedules by id; the token is the page's last id."""
    if request.query.strip():
        raise errors.InvalidArgument("query", "invalid query: list_schedules takes no filter yet")
    page = await rt.query(store.page, namespace, request.next_page_token or "", request.page_size + 1)
    more = len(page) > request.page_size
    page = page[: request.page_size]
    now = rt.clock.now()
    return wire.ListSchedulesResponse(
        schedules=[_entry(row, now) for row in page], next_page_token=page[-1].schedule_id if more else None
    )


# --- the loop ------------------------------------------------------------------------------


class ScheduleLoop:
    """Runs due schedules until stopped, one locked schedule per transaction; ``run_due``
    is one pass (tests call it)."""

    def __init__(self, rt: runner.Runtime) -> None:
        self._rt = rt

    async def run(self) -> None:
        """Loop until cancelled; a database error is logged and retried after a pause."""
        while True:
            try:
                with self._rt.hub.watching(WAKE_KEY) as woken:
                    await self.run_due()
                    await wakeup.wait(woken, await self._sleep_seconds())
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if db.is_unavailable(e):
                    self._rt.outage.failed(e, "the schedule loop")
                else:
                    log.exception("Schedule loop failed; retrying in 1s")
                await asyncio.sleep(1.0)

    async def run_due(self, limit: int = 1000) -> int:
        """Run the schedules due now; how many ran."""
        ran = 0
        while ran < limit and await self._rt.run("run_schedule", self._one):
            ran += 1
        return ran

    async def _one(self, tx: runner.Tx) -> bool:
        now = self._rt.clock.now()
        due = await store.claim_due(tx.conn, now, 1)
        if not due:
            return False
        row, written = due[0], len(tx.batches)
        try:
            # A savepoint: a schedule whose round fails is set aside alone, not retried
            # ahead of every other due schedule.
            async with tx.conn.transaction():
                await _advance(self._rt, tx, row, now)
        except Exception as e:
            if db.is_unavailable(e) or db.is_retryable(e) or isinstance(e, errors.StaleVersion):
                raise
            log.exception(
                "Schedule %s/%s failed; set aside for %.0fs", row.namespace, row.schedule_id, SET_ASIDE_SECONDS
            )
            del tx.batches[written:]
            await store.postpone(tx.conn, row.namespace, row.schedule_id, now + timedelta(seconds=SET_ASIDE_SECONDS))
        return True

    async def _sleep_seconds(self) -> float:
        async with self._rt.pool.acquire() as conn:
            soonest = await store.next_wake(conn)
        if soonest is None:
            return writer.TIMER_RECHECK_SECONDS
        wait = (soonest - self._rt.clock.now()).total_seconds()
        return min(max(wait, 0.0), writer.TIMER_RECHECK_SECONDS)


async def _advance(rt: runner.Runtime, tx: runner.Tx, row: rows.Schedule, now: datetime) -> None:
    schedule = wire.Schedule.model_validate(row.schedule)
    spec = rules.compiled(schedule.spec)
    progress = rules.Progress.load(row.progress)
    closed = await _closed(tx.conn, progress.running)
    r = rules.step(schedule, progress, spec, _seed(row.namespace, row.schedule_id), closed, now)
    await _execute(rt, tx, row.namespace, row.schedule_id, r, now)
    await _save(tx, row, r, spec, now, updated=False, attributes=row.search_attributes)


# --- helpers -------------------------------------------------------------------------------


def _check(schedule: wire.Schedule) -> None:
    if schedule.state.limited_actions and schedule.state.remaining_actions == 0:
        raise errors.InvalidArgument(
            "schedule.state.remaining_actions",
            "schedule.state.remaining_actions: must be positive with limited_actions",
        )


def _apply_patch(
    r: rules.Round, spec: schedule_spec.CompiledSpec, patch: wire.SchedulePatch | None, now: datetime
) -> None:
    if patch is None:
        return
    state = r.schedule.state
    if patch.pause:
        state = state.model_copy(update={"paused": True, "notes": patch.pause})
    if patch.unpause:
        state = state.model_copy(update={"paused": False, "notes": patch.unpause})
    r.schedule = r.schedule.model_copy(update={"state": state})
    if patch.trigger_immediately is not None:
        rules.trigger(r, now, patch.trigger_immediately.overlap_policy)
    for request in patch.backfill_request:
        rules.backfill(r, spec, request)


async def _execute(
    rt: runner.Runtime, tx: runner.Tx, namespace: str, schedule_id: str, r: rules.Round, now: datetime
) -> None:
    """Carry out a round: cancels and terminates first, then the starts, in ``tx``."""
    for run in r.cancels:
        ex = await executions.load(tx.conn, run.run_id, lock=True)
        if ex is not None and ex.status == _RUNNING:
            await writer.write(tx, signals.request_cancel(ex, "canceled by its schedule", IDENTITY, now))
    for run in r.terminates:
        ex = await executions.load(tx.conn, run.run_id, lock=True)
        if ex is not None and ex.status == _RUNNING:
            buffered = await history.buffered(tx.conn, ex)
            await writer.write(tx, termination.terminate(ex, buffered, "terminated by its schedule", IDENTITY, now))
    for start in r.starts:
        request = _start_request(r.schedule.action, start, schedule_id)
        try:
            response = await workflows.start_in(rt, tx, namespace, request)
        except errors.AlreadyStarted as e:
            log.warning("Schedule %s/%s: %s", namespace, schedule_id, e)
            r.progress.running = [w for w in r.progress.running if w.workflow_id != start.workflow_id]
            r.progress.overlap_skipped += 1
            continue
        rules.started(r, start, WorkflowExecution(workflow_id=start.workflow_id, run_id=response.run_id), now)


def _start_request(
    action: wire.ScheduleActionStartWorkflow, start: rules.Start, schedule_id: str
) -> api.StartWorkflowRequest:
    return api.StartWorkflowRequest(
        workflow_id=start.workflow_id,
        workflow_type=action.workflow_type,
        task_queue=action.task_queue,
        args=action.args,
        execution_timeout=action.execution_timeout,
        run_timeout=action.run_timeout,
        task_timeout=action.task_timeout,
        retry_policy=action.retry_policy,
        memo=action.memo,
        search_attributes=action.search_attributes,
        header=action.header,
        # A round that is run again (its first did not commit) finds the run it started.
        request_id=f"schedule {schedule_id} {start.nominal.isoformat()}",
        identity=IDENTITY,
    )


async def _save(
    tx: runner.Tx,
    row: rows.Schedule,
    r: rules.Round,
    spec: schedule_spec.CompiledSpec,
    now: datetime,
    *,
    updated: bool,
    attributes: dict[str, Any] | None,
) -> None:
    wake = rules.next_wake(r, spec, _seed(row.namespace, row.schedule_id), now)
    saved = replace(
        row,
        schedule=r.schedule.model_dump(mode="json"),
        progress=r.progress.dump(),
        search_attributes=attributes,
        next_wake=wake,
        updated_at=now if updated else row.updated_at,
    )
    await store.save(tx.conn, saved)
    await tx.notify({WAKE_KEY})


async def _locked(tx: runner.Tx, namespace: str, schedule_id: str) -> rows.Schedule:
    row = await store.get(tx.conn, namespace, schedule_id, lock=True)
    if row is None:
        raise _not_found(schedule_id)
    return row


async def _closed(conn: db.Connection, running: list[WorkflowExecution]) -> dict[str, str]:
    """The running workflows that closed (or are gone, deleted by retention): run id -> status."""
    run_ids = [run.run_id for run in running if run.run_id]
    found = await executions.statuses(conn, run_ids) if run_ids else {}
    return {
        run_id: found[run_id].value if run_id in found else "COMPLETED"
        for run_id in run_ids
        if found.get(run_id) != _RUNNING
    }


async def _checked_attributes(tx: runner.Tx, namespace: str, given: Mapping[str, Payload]) -> dict[str, Payload]:
    if not given:
        return {}
    registered = await namespaces.registered(tx.conn, namespace)
    return search_attributes.checked(namespace, registered, given)


def _future(
    schedule: wire.Schedule, spec: schedule_spec.CompiledSpec, namespace: str, schedule_id: str, after: datetime
) -> list[datetime]:
    if schedule.state.paused:
        return []
    return rules.action_times(spec, _seed(namespace, schedule_id), after, wire.MAX_FUTURE_ACTION_TIMES)


def _with_status(recent: list[wire.ScheduleActionResult], closed: dict[str, str]) -> list[wire.ScheduleActionResult]:
    return [
        a.model_copy(update={"start_workflow_status": closed[a.start_workflow_result.run_id]})
        if a.start_workflow_result.run_id in closed
        else a
        for a in recent
    ]


def _entry(row: rows.Schedule, now: datetime) -> wire.ScheduleListEntry:
    schedule = wire.Schedule.model_validate(row.schedule)
    progress = rules.Progress.load(row.progress)
    spec = rules.compiled(schedule.spec)
    info = wire.ScheduleListInfo(
        spec=rules.canonical(schedule.spec),
        workflow_type=schedule.action.workflow_type,
        notes=schedule.state.notes,
        paused=schedule.state.paused,
        recent_actions=progress.recent[-5:],
        future_action_times=_future(schedule, spec, row.namespace, row.schedule_id, max(now, progress.processed))[:5],
    )
    return wire.ScheduleListEntry(
        schedule_id=row.schedule_id,
        memo=memo.payloads(row.memo),
        search_attributes=search_attributes.payloads(row.search_attributes),
        info=info,
    )
