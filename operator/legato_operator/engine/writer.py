"""Writes a batch through the store: the execution row (conditional on its version), its
events, buffered events, tasks, timers and NOTIFYs — all inside the caller's transaction."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from legato_operator.engine import batch, runtime, wakeup
from legato_operator.store import db, executions, history, rows, tasks, timers

# The timer loop re-checks the database at least this often; a timer due later than
# that is found by the re-check, one due sooner needs a NOTIFY to wake the loops.
TIMER_RECHECK_SECONDS = 5.0


async def write(tx: runtime.Tx, b: batch.Batch, *, new_run: bool = False) -> None:
    """Write ``b``; a new run is inserted, an existing one updated only at its version."""
    conn, ex = tx.conn, b.execution
    if new_run:
        await executions.insert(conn, ex)
        b.new_run = True
    else:
        await executions.update(conn, dataclasses.replace(ex, version=ex.version + 1), expected_version=ex.version)
    await history.append(conn, ex.run_id, b.events)
    if b.closed:
        await _clear_run(conn, ex.run_id)
    else:
        await _write_pending(conn, b)
    tx.batches.append(b)
    await tx.notify(b.notify | timer_wakeups(b.new_timers if not b.closed else [], b.now))


async def _clear_run(conn: db.Connection, run_id: str) -> None:
    # A closed run has nothing pending: no task to poll, no timer to fire, nothing buffered.
    await tasks.delete_for_run(conn, run_id)
    await timers.delete_for_run(conn, run_id)
    await history.delete_buffered(conn, run_id)


async def _write_pending(conn: db.Connection, b: batch.Batch) -> None:
    ex = b.execution
    if b.took_buffered:
        await history.delete_buffered(conn, ex.run_id)
    await history.buffer(conn, ex.run_id, [(b.now, batch.dump(a)) for a in b.buffered])
    await tasks.delete(conn, ex.run_id, b.deleted_tasks)
    await timers.delete(conn, b.deleted_timers)
    for change in b.task_updates:
        await tasks.update(conn, change)
    await tasks.insert(conn, b.new_tasks)
    await timers.insert(conn, b.new_timers)


def timer_wakeups(new: list[rows.NewTimer], now: datetime) -> set[str]:
    """The timers key, if a new timer is due before the loops' next re-check."""
    soon = now + timedelta(seconds=TIMER_RECHECK_SECONDS)
    return {wakeup.TIMERS} if any(t.due_at < soon for t in new) else set()
