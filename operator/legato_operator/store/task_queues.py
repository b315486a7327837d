"""Queries on ``task_queue_pollers`` and ``task_queue_activity``: who polls, when work last ran.

Both tables are written off the hot path's critical part: the engine calls them at most
every few seconds per poller or queue (see ``engine.task_queues``), never once per poll.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from legato_operator.store import db, rows

QueueKey = tuple[str, str]


async def touch_poller(
    conn: db.Connection, namespace: str, task_queue: str, kind: rows.TaskKind, identity: str, now: datetime
) -> None:
    """Record that ``identity`` polls the queue for tasks of ``kind`` now."""
    await conn.execute(
        "INSERT INTO task_queue_pollers (namespace, task_queue, kind, identity, last_seen)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (namespace, task_queue, kind, identity)"
        " DO UPDATE SET last_seen = GREATEST(task_queue_pollers.last_seen, excluded.last_seen)",
        namespace,
        task_queue,
        kind,
        identity,
        now,
    )


async def prune_pollers(conn: db.Connection, before: datetime) -> None:
    """Forget pollers not seen since ``before`` (workers long gone)."""
    await conn.execute("DELETE FROM task_queue_pollers WHERE last_seen < $1", before)


async def pollers(
    conn: db.Connection, since: datetime, namespace: str | None = None, task_queue: str | None = None
) -> dict[QueueKey, int]:
    """Distinct poller identities seen since ``since``, per queue (one queue, or all)."""
    records = await conn.fetch(
        "SELECT namespace, task_queue, count(DISTINCT identity) AS n FROM task_queue_pollers"
        " WHERE last_seen >= $1 AND ($2::text IS NULL OR namespace = $2)"
        " AND ($3::text IS NULL OR task_queue = $3) GROUP BY 1, 2",
        since,
        namespace,
        task_queue,
    )
    return {(r["namespace"], r["task_queue"]): int(r["n"]) for r in records}


async def workflow_pollers_of(
    conn: db.Connection, since: datetime, queues: Collection[QueueKey]
) -> dict[QueueKey, int]:
    """Distinct identities that polled each of ``queues`` for workflow tasks since ``since``.

    One statement for any number of queues; a queue nobody polled is absent.
    """
    if not queues:
        return {}
    namespaces, names = zip(*sorted(set(queues)), strict=True)
    records = await conn.fetch(
        "SELECT p.namespace, p.task_queue, count(DISTINCT p.identity) AS n FROM task_queue_pollers p"
        " JOIN unnest($2::text[], $3::text[]) AS q (namespace, task_queue)"
        " ON q.namespace = p.namespace AND q.task_queue = p.task_queue"
        " WHERE p.kind = 'workflow' AND p.last_seen >= $1 GROUP BY 1, 2",
        since,
        list(namespaces),
        list(names),
    )
    return {(r["namespace"], r["task_queue"]): int(r["n"]) for r in records}


async def touch_active(conn: db.Connection, namespace: str, task_queue: str, now: datetime) -> None:
    """Record that a task of the queue was handed out now."""
    await conn.execute(
        "INSERT INTO task_queue_activity (namespace, task_queue, last_active) VALUES ($1, $2, $3)"
        " ON CONFLICT (namespace, task_queue)"
        " DO UPDATE SET last_active = GREATEST(task_queue_activity.last_active, excluded.last_active)",
        namespace,
        task_queue,
        now,
    )


async def last_active(
    conn: db.Connection, namespace: str | None = None, task_queue: str | None = None
) -> dict[QueueKey, datetime]:
    """When each queue (one, or all) last had a task handed out."""
    records = await conn.fetch(
        "SELECT namespace, task_queue, last_active FROM task_queue_activity"
        " WHERE ($1::text IS NULL OR namespace = $1) AND ($2::text IS NULL OR task_queue = $2)",
        namespace,
        task_queue,
    )
    return {(r["namespace"], r["task_queue"]): r["last_active"] for r in records}
