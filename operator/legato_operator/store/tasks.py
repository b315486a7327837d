"""Queries on ``tasks``: claim with SKIP LOCKED, update, delete, load (backlog + running).

A run's new tasks are written with the rest of its change, by ``changes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

import asyncpg

from legato_operator.store import db, rows

_COLUMNS = [f.name for f in fields(rows.Task)]
_RETURNING = " RETURNING " + ", ".join(_COLUMNS)
NEW_COLUMNS = [f.name for f in fields(rows.NewTask)]


def _row(record: asyncpg.Record | dict[str, Any]) -> rows.Task:
    values = dict(record)
    values["run_id"] = str(values["run_id"])
    values["kind"] = rows.TaskKind(values["kind"])
    values["state"] = rows.TaskState(values["state"])
    return rows.Task(**values)


# The column types of a new task, for unnest() of one array per column.
NEW_TYPES = (
    "text",
    "text",
    "text",
    "uuid",
    "integer",
    "integer",
    "text",
    "timestamptz",
    "timestamptz",
    "jsonb",
    "timestamptz",
)


def new_arrays(new: Sequence[rows.NewTask]) -> list[list[Any]]:
    """New tasks as one array per column (``NEW_COLUMNS``), for unnest()."""
    return [[getattr(t, c) for t in new] for c in NEW_COLUMNS]


async def claim(
    conn: db.Connection, namespace: str, task_queue: str, kind: rows.TaskKind, now: datetime
) -> tuple[rows.Task, bool] | None:
    """Take the oldest ready task of the queue and mark it started; None when there is none.

    Also says whether another task of the queue was ready at the same moment (the next
    poller is worth waking). SKIP LOCKED lets concurrent pollers pass over each other's
    candidate rows instead of queueing behind them.
    """
    record = await conn.fetchrow(
        "WITH claimed AS (UPDATE tasks SET state = 'started', started_at = $4 WHERE id = ("
        " SELECT id FROM tasks WHERE namespace = $1 AND task_queue = $2 AND kind = $3"
        " AND state = 'ready' AND visible_at <= $4 ORDER BY visible_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
        + _RETURNING
        + ") SELECT *, EXISTS (SELECT FROM tasks t WHERE t.namespace = $1 AND t.task_queue = $2 AND t.kind = $3"
        " AND t.state = 'ready' AND t.visible_at <= $4 AND t.id <> claimed.id) AS more FROM claimed",
        namespace,
        task_queue,
        kind,
        now,
    )
    if record is None:
        return None
    values = dict(record)
    more = bool(values.pop("more"))
    return _row(values), more


async def take_started(conn: db.Connection, run_id: str, scheduled_event_id: int, attempt: int) -> rows.Task | None:
    """Delete and return the task if this attempt still holds it (state started)."""
    record = await conn.fetchrow(
        "DELETE FROM tasks WHERE run_id = $1 AND scheduled_event_id = $2 AND attempt = $3"
        " AND state = 'started'" + _RETURNING,
        run_id,
        scheduled_event_id,
        attempt,
    )
    return None if record is None else _row(record)


async def get(conn: db.Connection, run_id: str, scheduled_event_id: int, *, lock: bool = False) -> rows.Task | None:
    """The run's task for this scheduled event, if it is still pending."""
    suffix = " FOR UPDATE" if lock else ""
    record = await conn.fetchrow(
        "SELECT " + ", ".join(_COLUMNS) + " FROM tasks WHERE run_id = $1 AND scheduled_event_id = $2" + suffix,
        run_id,
        scheduled_event_id,
    )
    return None if record is None else _row(record)


async def for_run(conn: db.Connection, run_id: str, kind: rows.TaskKind) -> list[rows.Task]:
    """The run's pending tasks of one kind, in scheduling order."""
    records = await conn.fetch(
        "SELECT " + ", ".join(_COLUMNS) + " FROM tasks WHERE run_id = $1 AND kind = $2 ORDER BY scheduled_event_id",
        run_id,
        kind,
    )
    return [_row(r) for r in records]


async def update(conn: db.Connection, change: rows.TaskUpdate) -> None:
    """Rewrite a task's attempt, state and visibility (a retry, a cancel request, readiness)."""
    await conn.execute(
        "UPDATE tasks SET attempt = $3, state = $4, visible_at = $5, last_failure = $6,"
        " cancel_requested = $7,"
        " started_at = CASE WHEN $4 = 'started' THEN started_at END"
        " WHERE run_id = $1 AND scheduled_event_id = $2",
        change.run_id,
        change.scheduled_event_id,
        change.attempt,
        change.state,
        change.visible_at,
        change.last_failure,
        change.cancel_requested,
    )


async def heartbeat(
    conn: db.Connection, run_id: str, scheduled_event_id: int, attempt: int, details: list[Any], now: datetime
) -> rows.Task | None:
    """Record heartbeat details, sent at ``now``, if this attempt still holds the task; returns the task."""
    record = await conn.fetchrow(
        "UPDATE tasks SET heartbeat_details = $4, last_heartbeat_at = $5"
        " WHERE run_id = $1 AND scheduled_event_id = $2 AND attempt = $3 AND state = 'started'" + _RETURNING,
        run_id,
        scheduled_event_id,
        attempt,
        details,
        now,
    )
    return None if record is None else _row(record)


async def delete(conn: db.Connection, run_id: str, scheduled_event_ids: Sequence[int]) -> None:
    """Delete the run's tasks for these scheduled events."""
    if scheduled_event_ids:
        await conn.execute(
            "DELETE FROM tasks WHERE run_id = $1 AND scheduled_event_id = ANY($2::integer[])",
            run_id,
            list(scheduled_event_ids),
        )


async def load(
    conn: db.Connection, namespace: str | None = None, task_queue: str | None = None
) -> list[tuple[str, str, rows.TaskKind, rows.TaskState, int, datetime]]:
    """Ready and started tasks per (namespace, task queue, kind, state): count and oldest visible_at.

    What the scaler reads: waiting tasks and the tasks workers hold. Tasks in retry backoff
    are left out; they count again once ready. Without filters it reads every pending task
    in one pass (the table holds only pending tasks, not history), which is what the
    operator does once per scale interval for all queues together.
    """
    records = await conn.fetch(
        "SELECT namespace, task_queue, kind, state, count(*) AS n, min(visible_at) AS oldest FROM tasks"
        " WHERE state IN ('ready', 'started') AND ($1::text IS NULL OR namespace = $1)"
        " AND ($2::text IS NULL OR task_queue = $2) GROUP BY 1, 2, 3, 4",
        namespace,
        task_queue,
    )
    counts = []
    for r in records:
        kind, state = rows.TaskKind(r["kind"]), rows.TaskState(r["state"])
        counts.append((r["namespace"], r["task_queue"], kind, state, int(r["n"]), r["oldest"]))
    return counts


async def set_aside(
    conn: db.Connection, task_id: int, now: datetime, max_backoff: float
) -> tuple[int, datetime] | None:
    """Make a ready task invisible for 1, 2, 4, ... seconds (at most ``max_backoff``),
    counting a processing failure; returns the count and when it is visible again."""
    record = await conn.fetchrow(
        "UPDATE tasks SET processing_failures = processing_failures + 1,"
        " visible_at = $2::timestamptz + make_interval(secs => LEAST($3::float8, power(2, processing_failures)))"
        " WHERE id = $1 AND state = 'ready' RETURNING processing_failures, visible_at",
        task_id,
        now,
        max_backoff,
    )
    return None if record is None else (int(record["processing_failures"]), record["visible_at"])
