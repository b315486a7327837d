"""Queries on ``query_requests``: a query waiting for a worker, claimed by a poll, answered.

Nothing here touches a run: a query reads the run's state through a worker and never
changes the execution, its history, its tasks or its timers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from legato_operator.store import db, rows

# Rows whose asker gave up long ago (its replica died) are deleted by later inserts, this many at a time.
_SWEEP_BATCH = 100


_COLUMNS = "id, namespace, task_queue, workflow_id, run_id, workflow_type, query_type, args, header"


# What a claim returns: the query, and where the run's last completed workflow task ends now.
_CLAIMED = ", ".join("q." + c for c in _COLUMNS.split(", ")) + ", e.last_wft_started_id + 1 AS first_event_id"


def _row(record: asyncpg.Record) -> rows.QueryRequest:
    values = dict(record)
    values["id"], values["run_id"] = str(values["id"]), str(values["run_id"])
    return rows.QueryRequest(**values)


async def insert(conn: db.Connection, request: rows.QueryRequest, now: datetime, expires_at: datetime) -> None:
    """Add a query for a poll to claim, and delete a few rows whose asker is gone."""
    await conn.execute(
        "WITH swept AS (DELETE FROM query_requests WHERE id IN (SELECT id FROM query_requests"
        " WHERE expires_at < $10 ORDER BY expires_at LIMIT $12))"
        " INSERT INTO query_requests (" + _COLUMNS + ", created_at, expires_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        request.id,
        request.namespace,
        request.task_queue,
        request.workflow_id,
        request.run_id,
        request.workflow_type,
        request.query_type,
        request.args,
        request.header,
        now,
        expires_at,
        _SWEEP_BATCH,
    )


async def claim(
    conn: db.Connection, namespace: str, task_queue: str, now: datetime, lease: timedelta
) -> rows.QueryRequest | None:
    """Take the queue's oldest query that is ready, or whose worker's lease ran out, of a
    run that completed a workflow task and has none outstanding; with where that task's
    history ends."""
    record = await conn.fetchrow(
        "UPDATE query_requests q SET state = 'started', lease_until = $4 FROM executions e WHERE q.id = ("
        " SELECT r.id FROM query_requests r JOIN executions x ON x.run_id = r.run_id"
        " WHERE r.namespace = $1 AND r.task_queue = $2 AND r.state <> 'answered'"
        " AND r.expires_at > $3 AND (r.state = 'ready' OR r.lease_until < $3)"
        " AND x.last_wft_started_id > 0 AND (x.wft_scheduled_id = 0 OR x.status <> 'RUNNING')"
        " ORDER BY r.created_at LIMIT 1 FOR UPDATE OF r SKIP LOCKED) AND e.run_id = q.run_id"
        " RETURNING " + _CLAIMED,
        namespace,
        task_queue,
        now,
        now + lease,
    )
    return None if record is None else _row(record)


async def any_waiting(conn: db.Connection, run_id: str) -> bool:
    """Whether a query or an admitted update of the run waits for a poll to take it (one
    round trip for what a workflow task's completion asks every time)."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT FROM query_requests WHERE run_id = $1 AND state = 'ready')"
            " OR EXISTS (SELECT FROM update_requests WHERE run_id = $1 AND state = 'admitted')",
            run_id,
        )
    )


async def answer(conn: db.Connection, query_id: str, namespace: str, answer: dict[str, Any]) -> bool:
    """Record a worker's answer; False when the query is gone or answered already."""
    status = await conn.execute(
        "UPDATE query_requests SET state = 'answered', answer = $3"
        " WHERE id = $1 AND namespace = $2 AND state = 'started'",
        query_id,
        namespace,
        answer,
    )
    return bool(status == "UPDATE 1")


async def answered(conn: db.Connection, query_id: str) -> dict[str, Any] | None:
    """The answer, once a worker gave it."""
    value = await conn.fetchval("SELECT answer FROM query_requests WHERE id = $1 AND state = 'answered'", query_id)
    return value if isinstance(value, dict) else None


async def delete(conn: db.Connection, query_id: str) -> None:
    """Forget a query (answered, or given up on)."""
    await conn.execute("DELETE FROM query_requests WHERE id = $1", query_id)
