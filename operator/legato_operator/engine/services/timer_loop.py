"""The timer loop: fires due timers — user timers, retries, every timeout — exactly once.

Any number of replicas run it on one database. Each leases a batch of due rows
(``FOR UPDATE SKIP LOCKED``, so replicas take different rows) and fires them in
transactions that delete each row along with recording its effect: a row fires once even
if its lease runs out under a slow replica. Timers that touch only their own run fire up
to `GROUP_SIZE` to a transaction, one per run, their runs locked in run-id order (so two
replicas' groups never wait on each other in a cycle) by one statement, and their rows
deleted by another: a thousand timers due in the same second cost some forty commits,
not a thousand. A group that fails is fired again timer
by timer, so that one bad timer is set aside alone. Between batches the loop sleeps until the next
due time, or until a wake-up says a sooner timer was armed (this process's own commits,
or NOTIFY from another replica), re-checking at least every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from legato.api.common.v1 import WorkflowExecutionStatus
from legato_operator.engine.rules import (
    activities,
    batch,
    chains,
    commands,
    keys,
    termination,
    user_timers,
    workflow_tasks,
)
from legato_operator.engine.services import children, runner, set_aside, wakeup, writer
from legato_operator.store import db, executions, history, rows, tasks, timers

log = logging.getLogger(__name__)

# Long enough to fire a batch; short enough that the timers a killed replica leased are
# soon taken up by another (or by it, restarted).
LEASE = timedelta(seconds=15)
# Timers per transaction, when they lock only their own run (GROUPED).
GROUP_SIZE = 25
GROUPED = frozenset(
    {
        rows.TimerKind.USER,
        rows.TimerKind.TASK_READY,
        rows.TimerKind.WORKFLOW_TASK_TIMEOUT,
        rows.TimerKind.WORKFLOW_START_BACKOFF,
        *activities.TIMEOUT_OF,
    }
)


class TimerLoop:
    """Fires due timers until stopped; ``fire_due`` fires one round (tests call it directly)."""

    def __init__(self, rt: runner.Runtime, *, batch_size: int = 100, concurrency: int = 8) -> None:
        self._rt = rt
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)

    async def run(self) -> None:
        """Loop until cancelled; a database error is logged and retried after a pause."""
        while True:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            # The database is down: the outage is logged once, not once per round.
            except Exception as e:
                if db.is_unavailable(e):
                    self._rt.outage.failed(e, "the timer loop")
                else:
                    log.exception("Timer loop failed; retrying in 1s")
                await asyncio.sleep(1.0)

    async def _round(self) -> None:
        # Watch before looking: a timer armed after the look still wakes this round's sleep.
        with self._rt.hub.watching(keys.TIMERS) as woken:
            fired = await self.fire_due()
            self._rt.outage.recovered("the timer loop")
            if fired >= self._batch_size:
                return
            await wakeup.wait(woken, await self._sleep_seconds())

    async def _sleep_seconds(self) -> float:
        now = self._rt.clock.now()
        async with self._rt.pool.acquire() as conn:
            next_due = await timers.next_due(conn, now)
        if next_due is None:
            return writer.TIMER_RECHECK_SECONDS
        return min(max((next_due - now).total_seconds(), 0.0), writer.TIMER_RECHECK_SECONDS)

    async def fire_due(self) -> int:
        """Lease the due timers (one batch) and fire them; returns how many were leased."""
        now = self._rt.clock.now()

        async def lease(tx: runner.Tx) -> list[rows.Timer]:
            return await timers.claim_due(tx.conn, now, limit=self._batch_size, lease=LEASE)

        due = await self._rt.run("lease_timers", lease)
        groups, alone = grouped(due, GROUP_SIZE)
        firing = [*(self._fire_group(g) for g in groups), *(self._fire_bounded(t) for t in alone)]
        outcomes = await asyncio.gather(*firing, return_exceptions=True)
        # The database went away mid-batch: the leased rows fire in a round after it is back.
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        return len(due)

    async def _fire_group(self, group: list[rows.Timer]) -> None:
        async with self._slots:
            try:
                await fire_all(self._rt, group)
                return
            except Exception as e:
                if db.is_unavailable(e):
                    raise
                log.debug("A group of %d timers failed (%r); firing them one by one", len(group), e)
        for timer in group:
            await self._fire_bounded(timer)

    async def _fire_bounded(self, timer: rows.Timer) -> None:
        async with self._slots:
            try:
                await fire(self._rt, timer)
            # One bad timer must not stop the others: it is set aside, and retried later.
            except Exception as e:
                await self._failed(timer, e)

    async def _failed(self, timer: rows.Timer, error: Exception) -> None:
        # An outage: the loop waits it out (saying so once); the lease runs out meanwhile.
        if db.is_unavailable(error):
            raise error
        if set_aside.is_poison(error):
            await set_aside.timer(self._rt, timer, error)
            return
        # A conflict: the lease runs out and another round fires it.
        log.warning(
            "Firing timer %s (%s) of run %s failed: %r; retried when its lease ends",
            timer.id,
            timer.kind.value,
            timer.run_id,
            error,
        )


def grouped(due: list[rows.Timer], size: int) -> tuple[list[list[rows.Timer]], list[rows.Timer]]:
    """``due`` split into groups (of GROUPED kinds, one timer per run, in run-id order) and
    the timers fired alone (other kinds, and a run's second timer of the batch)."""
    first: dict[str, rows.Timer] = {}
    alone: list[rows.Timer] = []
    for timer in due:
        if timer.kind in GROUPED and timer.run_id not in first:
            first[timer.run_id] = timer
        else:
            alone.append(timer)
    ordered = [first[run_id] for run_id in sorted(first)]
    return [ordered[i : i + size] for i in range(0, len(ordered), size)], alone


async def fire(rt: runner.Runtime, timer: rows.Timer) -> None:
    """Fire one leased timer in one transaction (nothing, if it already fired or was disarmed)."""

    async def change(tx: runner.Tx) -> None:
        await _fire_in(rt, tx, timer)

    await rt.run("fire_timer", change)


async def fire_all(rt: runner.Runtime, group: list[rows.Timer]) -> None:
    """Fire a group of `grouped` timers in one transaction: all of them, or none. Their runs
    are locked, then their rows deleted, each in one statement (the order every writer keeps)."""

    async def change(tx: runner.Tx) -> None:
        runs = await executions.load_locked(tx.conn, [t.run_id for t in group])
        taken = await timers.take_all(tx.conn, [t.id for t in group])
        for timer in group:
            ex, fired = runs.get(timer.run_id), taken.get(timer.id)
            if ex is not None and ex.status == WorkflowExecutionStatus.RUNNING and fired is not None:
                await _effect(rt, tx, ex, fired)

    await rt.run("fire_timers", change)


async def _fire_in(rt: runner.Runtime, tx: runner.Tx, timer: rows.Timer) -> None:
    # A signal or cancel request to another run locks that run, never its sender's.
    if timer.kind in (rows.TimerKind.SIGNAL_EXTERNAL, rows.TimerKind.CANCEL_EXTERNAL):
        await children.deliver_external(rt, tx, timer)
        return
    # The run first, then the timer row: every writer locks in this order.
    ex = await _load_running(tx, timer.run_id)
    taken = await timers.take(tx.conn, timer.id)
    if taken is not None and ex is not None:
        await _effect(rt, tx, ex, taken)


async def _effect(rt: runner.Runtime, tx: runner.Tx, ex: rows.Execution, taken: rows.Timer) -> None:
    """What a fired timer does to its locked, running run."""
    if taken.kind == rows.TimerKind.TASK_READY:
        await _make_ready(tx, taken)
        return
    b = await _apply(tx, ex, taken, rt.clock.now())
    if b is not None and b.changed:
        await writer.write(tx, b)


async def _load_running(tx: runner.Tx, run_id: str) -> rows.Execution | None:
    ex = await executions.load(tx.conn, run_id, lock=True)
    return ex if ex is not None and ex.status == WorkflowExecutionStatus.RUNNING else None


async def _make_ready(tx: runner.Tx, timer: rows.Timer) -> None:
    task = await tasks.get(tx.conn, timer.run_id, int(timer.ref), lock=True)
    change = None if task is None else activities.ready(task, timer)
    if task is not None and change is not None:
        await tasks.update(tx.conn, change)
        await tx.notify({activities.ready_key(task)})


async def _apply(tx: runner.Tx, ex: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch | None:
    if timer.kind == rows.TimerKind.USER:
        return user_timers.timer_fired(ex, timer, now)
    if timer.kind == rows.TimerKind.WORKFLOW_TASK_TIMEOUT:
        ctx = commands.Context(execution=ex, buffered=await history.buffered(tx.conn, ex))
        return workflow_tasks.timed_out(ctx, int(timer.ref), timer.attempt, now)
    if timer.kind == rows.TimerKind.WORKFLOW_EXECUTION_TIMEOUT:
        started = await history.started(tx.conn, ex.run_id)
        return termination.execution_timed_out(ex, await history.buffered(tx.conn, ex), now, started)
    if timer.kind == rows.TimerKind.WORKFLOW_START_BACKOFF:
        return chains.backoff_ended(ex, now)
    if timer.kind == rows.TimerKind.CHILD_START:
        return await children.start_child(tx, ex, timer, now)
    if timer.kind == rows.TimerKind.CHILD_CLOSED:
        return await children.child_closed(tx, ex, timer, now)
    if timer.kind == rows.TimerKind.PARENT_CLOSED:
        return await children.parent_closed(tx, ex, timer, now)
    if timer.kind in (rows.TimerKind.SIGNAL_EXTERNAL_DONE, rows.TimerKind.CANCEL_EXTERNAL_DONE):
        return await children.external_done(tx, ex, timer, now)
    if timer.kind in activities.TIMEOUT_OF:
        task = await tasks.get(tx.conn, ex.run_id, int(timer.ref), lock=True)
        return None if task is None else activities.timed_out(ex, task, timer, now)
    log.warning("Unknown timer kind %r (timer %s) dropped", timer.kind, timer.id)
    return None
