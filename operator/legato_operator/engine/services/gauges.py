"""Gauges read from the database when metrics are scraped, and readiness."""

from __future__ import annotations

from legato_operator import metrics
from legato_operator.engine.services import runner, task_queues
from legato_operator.store import db, rows, tasks, timers


async def refresh(rt: runner.Runtime) -> None:
    """Set the backlog, running, poller and due-timer gauges to what the database holds now."""
    now = rt.clock.now()
    async with rt.pool.acquire() as conn:
        load = await tasks.load(conn)
        pollers = await task_queues.poller_counts(conn, now)
        due = await timers.count_due(conn, now)
    # Queues that emptied must read 0, not their last value.
    for gauge in (metrics.TASK_BACKLOG, metrics.TASKS_RUNNING, metrics.TASK_QUEUE_POLLERS):
        gauge.clear()
    for namespace, task_queue, kind, state, count, _oldest in load:
        gauge = metrics.TASK_BACKLOG if state == rows.TaskState.READY else metrics.TASKS_RUNNING
        gauge.labels(namespace, task_queue, kind.value).set(count)
    for (namespace, task_queue), count in pollers.items():
        metrics.TASK_QUEUE_POLLERS.labels(namespace, task_queue).set(count)
    metrics.TIMERS_DUE.set(due)


async def pending_migrations(rt: runner.Runtime) -> list[str]:
    """Migrations the database lacks; raises if it cannot be reached."""
    return await db.pending_migrations(rt.pool)
