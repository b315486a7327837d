"""Queries on ``timers``: arm, claim due rows under a lease, take one to fire (disarms: ``changes``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from legato_operator.store import db, rows

_COLUMNS = "id, namespace, run_id, kind, ref, attempt, timer_id, due_at"


def _row(record: asyncpg.Record) -> rows.Timer:
    values = dict(record)
    values["run_id"] = str(values["run_id"])
    values["kind"] = rows.TimerKind(values["kind"])
    return rows.Timer(**values)


NEW_COLUMNS = [f.name for f in fields(rows.NewTimer)]
# The column types of a new timer, for unnest() of one array per column.
NEW_TYPES = ("text", "uuid", "text", "timestamptz", "bigint", "integer", "text")


def new_arrays(new: Sequence[rows.NewTimer]) -> list[list[Any]]:
    """New timers as one array per column (``NEW_COLUMNS``), for unnest()."""
    return [[getattr(t, c) for t in new] for c in NEW_COLUMNS]


async def insert(conn: db.Connection, new: Sequence[rows.NewTimer]) -> None:
    """Arm timers in one statement."""
    if not new:
        return
    unnests = ", ".join(f"${i}::{t}[]" for i, t in enumerate(NEW_TYPES, start=1))
    await conn.execute(
        f"INSERT INTO timers ({', '.join(NEW_COLUMNS)}) SELECT * FROM unnest({unnests})", *new_arrays(new)
    )


async def claim_due(conn: db.Connection, now: datetime, *, limit: int, lease: timedelta) -> list[rows.Timer]:
    """Lease up to ``limit`` due timers no live replica holds; SKIP LOCKED passes over others' rows.

    The lease only keeps replicas from working on the same row at once; firing deletes
    the row in the transaction that records its effect, so a timer fires once even when
    a lease runs out under a slow replica.
    """
    records = await conn.fetch(
        "UPDATE timers SET lease_until = $3 WHERE id IN ("
        " SELECT id FROM timers WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until < $1)"
        " ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING " + _COLUMNS,
        now,
        limit,
        now + lease,
    )
    return sorted((_row(r) for r in records), key=lambda t: t.due_at)


async def take(conn: db.Connection, timer_id: int) -> rows.Timer | None:
    """Delete the timer row to fire it; None when another replica fired or someone disarmed it."""
    record = await conn.fetchrow("DELETE FROM timers WHERE id = $1 RETURNING " + _COLUMNS, timer_id)
    return None if record is None else _row(record)


async def take_all(conn: db.Connection, timer_ids: list[int]) -> dict[int, rows.Timer]:
    """Delete the timer rows to fire them, in one statement; those already gone are missing."""
    records = await conn.fetch("DELETE FROM timers WHERE id = ANY($1::bigint[]) RETURNING " + _COLUMNS, timer_ids)
    return {t.id: t for t in map(_row, records)}


async def next_due(conn: db.Connection, after: datetime) -> datetime | None:
    """The earliest due time later than ``after``, for the loop's sleep."""
    value = await conn.fetchval("SELECT due_at FROM timers WHERE due_at > $1 ORDER BY due_at LIMIT 1", after)
    return value if isinstance(value, datetime) else None


async def count_due(conn: db.Connection, now: datetime) -> int:
    """How many timers are due now and not yet fired."""
    return int(await conn.fetchval("SELECT count(*) FROM timers WHERE due_at <= $1", now))


async def user_timers(conn: db.Connection, run_id: str) -> dict[str, int]:
    """The run's pending user timers: timer id → TimerStarted event id."""
    records = await conn.fetch("SELECT timer_id, ref FROM timers WHERE run_id = $1 AND kind = 'user'", run_id)
    return {r["timer_id"]: int(r["ref"]) for r in records}


async def refs(conn: db.Connection, run_id: str, kind: rows.TimerKind) -> list[int]:
    """The refs of the run's armed rows of one kind."""
    records = await conn.fetch("SELECT ref FROM timers WHERE run_id = $1 AND kind = $2", run_id, kind)
    return [int(r["ref"]) for r in records]


async def reports_pending(conn: db.Connection, parent_run_id: str, child_run_id: str) -> bool:
    """Whether the child's close is still to be reported to its parent (a transfer not yet fired)."""
    sql = "SELECT EXISTS (SELECT 1 FROM timers WHERE run_id = $1 AND kind = $2 AND timer_id = $3)"
    return bool(await conn.fetchval(sql, parent_run_id, rows.TimerKind.CHILD_CLOSED.value, child_run_id))


async def postpone(conn: db.Connection, timer_id: int, due_at: datetime) -> None:
    """Move a leased row on and release its lease, to fire again then."""
    await conn.execute("UPDATE timers SET due_at = $2, lease_until = NULL WHERE id = $1", timer_id, due_at)


async def extend(conn: db.Connection, run_id: str, kind: rows.TimerKind, ref: int, due_at: datetime) -> None:
    """Move a timer later (a heartbeat pushes the heartbeat timeout on)."""
    await conn.execute(
        "UPDATE timers SET due_at = $4 WHERE run_id = $1 AND kind = $2 AND ref = $3",
        run_id,
        kind,
        ref,
        due_at,
    )


async def set_aside(
    conn: db.Connection, timer_id: int, now: datetime, max_backoff: float
) -> tuple[int, datetime] | None:
    """Move a timer whose firing failed 1, 2, 4, ... seconds on (at most ``max_backoff``) and
    release its lease; returns its failure count and its new due time."""
    record = await conn.fetchrow(
        "UPDATE timers SET failures = failures + 1, lease_until = NULL,"
        " due_at = $2::timestamptz + make_interval(secs => LEAST($3::float8, power(2, failures)))"
        " WHERE id = $1 RETURNING failures, due_at",
        timer_id,
        now,
        max_backoff,
    )
    return None if record is None else (int(record["failures"]), record["due_at"])
