"""Queries on ``history_events`` (append-only) and ``buffered_events``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from legato.api import history as wire
from legato_operator.store import db


async def read(
    conn: db.Connection, run_id: str, *, first_event_id: int, limit: int | None = None
) -> list[wire.HistoryEvent]:
    """Events from ``first_event_id`` on, in order; at most ``limit`` of them."""
    records = await conn.fetch(
        "SELECT event_id, event_time, attributes FROM history_events"
        " WHERE run_id = $1 AND event_id >= $2 ORDER BY event_id LIMIT $3",
        run_id,
        first_event_id,
        limit,
    )
    return [wire.HistoryEvent.model_validate(dict(r)) for r in records]


async def take_buffered(conn: db.Connection, run_id: str) -> list[tuple[datetime, dict[str, Any]]]:
    """Remove and return the run's buffered events, oldest first."""
    records = await conn.fetch(
        "WITH taken AS (DELETE FROM buffered_events WHERE run_id = $1 RETURNING seq, event_time, attributes)"
        " SELECT event_time, attributes FROM taken ORDER BY seq",
        run_id,
    )
    return [(r["event_time"], r["attributes"]) for r in records]


async def peek_buffered(conn: db.Connection, run_id: str) -> list[tuple[datetime, dict[str, Any]]]:
    """The run's buffered events without removing them."""
    records = await conn.fetch(
        "SELECT event_time, attributes FROM buffered_events WHERE run_id = $1 ORDER BY seq", run_id
    )
    return [(r["event_time"], r["attributes"]) for r in records]
