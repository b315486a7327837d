"""Workflow updates on ``update_requests``: admitted, claimed by a poll to validate,
accepted or rejected, completed.

Writes that go with history (acceptance, completion) run inside the run's transaction,
after the run's row is locked; admission and a rejection touch only this table.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from legato_operator.store import db, rows

_COLUMNS = (
    "run_id, update_id, namespace, task_queue, workflow_id, workflow_type, name, args, header, identity, state, outcome"
)
_CLAIMED = ", ".join("u." + c for c in _COLUMNS.split(", ")) + ", e.last_wft_started_id + 1 AS first_event_id"


def _row(record: asyncpg.Record) -> rows.UpdateRequest:
    values = dict(record)
    values["run_id"] = str(values["run_id"])
    return rows.UpdateRequest(**values)


async def admit(conn: db.Connection, update: rows.UpdateRequest, now: datetime) -> rows.UpdateRequest:
    """Insert the update, or return the one already stored under its id (deduplication)."""
    await conn.execute(
        "INSERT INTO update_requests (run_id, update_id, namespace, task_queue, workflow_id, workflow_type,"
        " name, args, header, identity, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (run_id, update_id) DO NOTHING",
        update.run_id,
        update.update_id,
        update.namespace,
        update.task_queue,
        update.workflow_id,
        update.workflow_type,
        update.name,
        update.args,
        update.header,
        update.identity,
        now,
    )
    stored = await get(conn, update.run_id, update.update_id)
    assert stored is not None  # inserted or already there, in this transaction
    return stored


async def get(conn: db.Connection, run_id: str, update_id: str, *, lock: bool = False) -> rows.UpdateRequest | None:
    """One update by id."""
    suffix = " FOR UPDATE" if lock else ""
    record = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM update_requests WHERE run_id = $1 AND update_id = $2{suffix}", run_id, update_id
    )
    return None if record is None else _row(record)


async def claim(
    conn: db.Connection, namespace: str, task_queue: str, now: datetime, lease: timedelta
) -> rows.UpdateRequest | None:
    """Take the queue's oldest admitted update no live worker holds, of a running run that
    completed a workflow task and has none outstanding; with where that task's history ends."""
    record = await conn.fetchrow(
        "UPDATE update_requests u SET lease_until = $4 FROM executions e WHERE (u.run_id, u.update_id) = ("
        " SELECT r.run_id, r.update_id FROM update_requests r JOIN executions x ON x.run_id = r.run_id"
        " WHERE r.namespace = $1 AND r.task_queue = $2 AND r.state = 'admitted'"
        " AND (r.lease_until IS NULL OR r.lease_until < $3)"
        " AND x.status = 'RUNNING' AND x.last_wft_started_id > 0 AND x.wft_scheduled_id = 0"
        " ORDER BY r.created_at LIMIT 1 FOR UPDATE OF r SKIP LOCKED) AND e.run_id = u.run_id"
        " RETURNING " + _CLAIMED,
        namespace,
        task_queue,
        now,
        now + lease,
    )
    return None if record is None else _row(record)


async def move(conn: db.Connection, run_id: str, update_id: str, state: str, outcome: dict[str, Any] | None) -> None:
    """Move an update to ``state`` (accepted, or completed with its outcome)."""
    await conn.execute(
        "UPDATE update_requests SET state = $3, outcome = $4, lease_until = NULL WHERE run_id = $1 AND update_id = $2",
        run_id,
        update_id,
        state,
        outcome,
    )


async def unfinished(conn: db.Connection, run_id: str) -> list[str]:
    """Ids of the run's updates that have no outcome yet."""
    records = await conn.fetch(
        "SELECT update_id FROM update_requests WHERE run_id = $1 AND state <> 'completed'", run_id
    )
    return [r["update_id"] for r in records]
