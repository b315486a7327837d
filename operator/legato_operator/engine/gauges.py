"""Gauges read from the database when metrics are scraped, and readiness."""

from __future__ import annotations

from legato_operator import metrics
from legato_operator.engine import runtime
from legato_operator.store import db, tasks, timers


async def refresh(rt: runtime.Runtime) -> None:
    """Set the backlog and due-timer gauges to what the database holds now."""
    now = rt.clock.now()
    async with rt.pool.acquire() as conn:
        backlog = await tasks.backlog(conn)
        due = await timers.count_due(conn, now)
    # Queues that emptied must read 0, not their last value.
    metrics.TASK_BACKLOG.clear()
    for namespace, task_queue, kind, count, _oldest in backlog:
        metrics.TASK_BACKLOG.labels(namespace, task_queue, kind).set(count)
    metrics.TIMERS_DUE.set(due)


async def pending_migrations(rt: runtime.Runtime) -> list[str]:
    """Migrations the database lacks; raises if it cannot be reached."""
    return await db.pending_migrations(rt.pool)
