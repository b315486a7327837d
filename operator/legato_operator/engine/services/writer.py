"""Writes a batch through the store: the execution row (conditional on its version), its
events, buffered events, tasks, timers and NOTIFYs — one statement (``store.changes``),
inside the caller's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from legato_operator.engine.rules import batch, children, keys
from legato_operator.engine.services import handing, runner
from legato_operator.store import changes, executions, resource_links, rows, tasks, timers

# The timer loop re-checks the database at least this often; a timer due later than
# that is found by the re-check, one due sooner needs a NOTIFY to wake the loops.
TIMER_RECHECK_SECONDS = 5.0


async def write(tx: runner.Tx, b: batch.Batch, *, new_run: bool = False) -> None:
    """Write ``b`` in one statement; a new run is inserted, an existing one updated only at its version."""
    b.new_run = b.new_run or new_run
    # A closed run has nothing pending: no task to poll, no timer to fire, nothing buffered.
    pending = not b.closed
    poller = handing.reserve(tx, b) if pending else None
    change = changes.RunChange(
        execution=b.execution,
        insert=new_run,
        events=b.events,
        deleted_tasks=b.deleted_tasks if pending else (),
        deleted_timers=b.deleted_timers if pending else (),
        new_tasks=b.new_tasks if pending else (),
        new_timers=b.new_timers if pending else (),
        buffered=[(b.now, batch.dump(a)) for a in b.buffered] if pending else (),
        took_buffered=b.took_buffered,
        closed=b.closed,
        notify=tx.payloads(b.notify | timer_wakeups(b.new_timers if pending else [], b.now)),
    )
    await changes.write(tx.conn, change)
    if poller is not None:
        await handing.prepare(tx, b, poller)
    await _arm_close_transfers(tx, b)
    # Rare (a retry, a cancel request): after the change, as they only touch tasks it keeps.
    for update in b.task_updates if pending else ():
        await tasks.update(tx.conn, update)
    tx.batches.append(b)
    # The next run of a chain commits with the close of this one, or neither does; a
    # Workflow resource linked to this run follows it to the next.
    if b.successor is not None:
        await write(tx, b.successor, new_run=True)
        await resource_links.follow(tx.conn, b.execution.run_id, b.successor.execution.run_id)


async def _arm_close_transfers(tx: runner.Tx, b: batch.Batch) -> None:
    # --- child workflows: a close reports to the parent and applies the close policy to the
    # running children, each later in its own transaction (rules.children) ---
    if not b.closed:
        return
    running = await executions.running_children(tx.conn, b.execution.run_id)
    # A run continued by another hands the report to the parent on to the chain's last run.
    reporting = b.execution if b.successor is None else replace(b.execution, parent_run_id=None)
    new = children.close_transfers(reporting, running, b.now)
    if new:
        await timers.insert(tx.conn, new)
        await tx.notify({keys.TIMERS})


def timer_wakeups(new: list[rows.NewTimer], now: datetime) -> set[str]:
    """The timers key, if a new timer is due before the loops' next re-check."""
    soon = now + timedelta(seconds=TIMER_RECHECK_SECONDS)
    return {keys.TIMERS} if any(t.due_at < soon for t in new) else set()
