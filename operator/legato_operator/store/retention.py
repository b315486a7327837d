"""Deleting closed runs past their retention, a bounded batch at a time, and one run on request.

One short transaction takes a batch of due runs (``FOR UPDATE SKIP LOCKED``: replicas take
different runs, and no run being written is waited for) and deletes each with all it
owns: history, tasks, timers, buffered events, signal, query and update requests. A run a
``Workflow`` resource still links to is kept until the resource goes (its ``status`` and
``kubectl describe`` read it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from legato_operator.store import db

_OWNED = (
    "history_events",
    "tasks",
    "timers",
    "buffered_events",
    "signal_requests",
    "query_requests",
    "update_requests",
)

_DELETE = (
    "WITH overrides AS (SELECT * FROM unnest($3::text[], $4::interval[]) AS o(namespace, period)),"
    " doomed AS (SELECT e.run_id FROM executions e LEFT JOIN namespaces n ON n.name = e.namespace"
    " WHERE e.close_time < $1::timestamptz - $5::interval AND e.status <> 'RUNNING'"
    " AND e.close_time < $1::timestamptz - coalesce(n.retention,"
    " (SELECT period FROM overrides o WHERE o.namespace = e.namespace), $2::interval)"
    " AND NOT EXISTS (SELECT 1 FROM workflow_resources w WHERE w.run_id = e.run_id)"
    " ORDER BY e.close_time LIMIT $6 FOR UPDATE OF e SKIP LOCKED), "
    + ", ".join(f"d_{t} AS (DELETE FROM {t} WHERE run_id IN (SELECT run_id FROM doomed))" for t in _OWNED)
    + " DELETE FROM executions WHERE run_id IN (SELECT run_id FROM doomed) RETURNING namespace"
)

_DELETE_ONE = (
    "WITH "
    + ", ".join(f"d_{t} AS (DELETE FROM {t} WHERE run_id = $1)" for t in _OWNED)
    + " DELETE FROM executions WHERE run_id = $1"
)


async def delete_run(conn: db.Connection, run_id: str) -> None:
    """Delete one run with all it owns, in the caller's transaction (a delete request)."""
    # The history trigger refuses every DELETE but retention's (migration 0019).
    await conn.execute("SET LOCAL legato.deleting_expired_runs = 'on'")
    await conn.execute(_DELETE_ONE, run_id)


async def delete_expired(
    conn: db.Connection,
    now: datetime,
    default: timedelta,
    overrides: Mapping[str, timedelta],
    shortest: timedelta,
    limit: int,
) -> dict[str, int]:
    """Delete up to ``limit`` runs closed longer ago than their namespace's period (oldest
    first); how many went, per namespace. A namespace's own retention (``namespaces``) wins
    over ``overrides``, and those over ``default``. ``shortest`` (the least of all periods)
    lets the close-time index skip every run closed too recently for any namespace."""
    async with conn.transaction():
        # The history trigger refuses every DELETE but retention's (migration 0019).
        await conn.execute("SET LOCAL legato.deleting_expired_runs = 'on'")
        records = await conn.fetch(_DELETE, now, default, list(overrides), list(overrides.values()), shortest, limit)
    deleted: dict[str, int] = {}
    for record in records:
        deleted[record["namespace"]] = deleted.get(record["namespace"], 0) + 1
    return deleted
