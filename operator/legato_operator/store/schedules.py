"""Queries on ``schedules`` (migration 0022)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import asyncpg

from legato_operator.store import db, rows

_COLUMNS = [f.name for f in fields(rows.Schedule)]
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM schedules"


def _row(record: asyncpg.Record) -> rows.Schedule:
    return rows.Schedule(**{c: record[c] for c in _COLUMNS})


async def insert(conn: db.Connection, s: rows.Schedule) -> bool:
    """Create ``s``; False (nothing changed) when its id is taken."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))
    record = await conn.fetchrow(
        f"INSERT INTO schedules ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
        " ON CONFLICT (namespace, schedule_id) DO NOTHING RETURNING schedule_id",
        *(getattr(s, c) for c in _COLUMNS),
    )
    return record is not None


async def get(conn: db.Connection, namespace: str, schedule_id: str, *, lock: bool = False) -> rows.Schedule | None:
    """One schedule; ``lock`` holds its row until the transaction ends."""
    suffix = " FOR UPDATE" if lock else ""
    record = await conn.fetchrow(f"{_SELECT} WHERE namespace = $1 AND schedule_id = $2{suffix}", namespace, schedule_id)
    return None if record is None else _row(record)


async def save(conn: db.Connection, s: rows.Schedule) -> None:
    """Write a locked schedule back with its version moved on."""
    await conn.execute(
        "UPDATE schedules SET schedule = $3, progress = $4, search_attributes = $5, version = version + 1,"
        " next_wake = $6, updated_at = $7 WHERE namespace = $1 AND schedule_id = $2",
        s.namespace,
        s.schedule_id,
        s.schedule,
        s.progress,
        s.search_attributes,
        s.next_wake,
        s.updated_at,
    )


async def delete(conn: db.Connection, namespace: str, schedule_id: str) -> bool:
    """Delete a schedule; False when there was none."""
    status = await conn.execute(
        "DELETE FROM schedules WHERE namespace = $1 AND schedule_id = $2", namespace, schedule_id
    )
    return status != "DELETE 0"


async def page(conn: db.Connection, namespace: str, after: str, limit: int) -> list[rows.Schedule]:
    """Up to ``limit`` of the namespace's schedules with ids after ``after``, by id."""
    records = await conn.fetch(
        f"{_SELECT} WHERE namespace = $1 AND schedule_id > $2 ORDER BY schedule_id LIMIT $3", namespace, after, limit
    )
    return [_row(r) for r in records]


async def claim_due(conn: db.Connection, now: datetime, limit: int) -> list[rows.Schedule]:
    """Lock up to ``limit`` schedules due by ``now`` that no other transaction holds."""
    records = await conn.fetch(
        f"{_SELECT} WHERE next_wake <= $1 ORDER BY next_wake LIMIT $2 FOR UPDATE SKIP LOCKED", now, limit
    )
    return [_row(r) for r in records]


async def next_wake(conn: db.Connection) -> datetime | None:
    """The soonest time any schedule must be looked at."""
    value: datetime | None = await conn.fetchval("SELECT min(next_wake) FROM schedules")
    return value


async def postpone(conn: db.Connection, namespace: str, schedule_id: str, until: datetime) -> None:
    """Look at a schedule again only at ``until`` (one that failed, set aside for a while)."""
    await conn.execute(
        "UPDATE schedules SET next_wake = $3 WHERE namespace = $1 AND schedule_id = $2", namespace, schedule_id, until
    )
