"""Queries on ``history_events`` (append-only) and ``buffered_events``."""

from __future__ import annotations

from pydantic import TypeAdapter

from legato.api.history import v1 as wire
from legato_operator.store import db, rows

# Parses a stored event's attributes back into the wire model of its type.
ATTRIBUTES: TypeAdapter[wire.EventAttributes] = TypeAdapter(wire.EventAttributes)


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


async def buffered(conn: db.Connection, execution: rows.Execution) -> list[wire.EventAttributes]:
    """The run's buffered events, oldest first; read only when the execution row says there are some."""
    if not execution.wft_needed:
        return []
    records = await conn.fetch(
        "SELECT attributes FROM buffered_events WHERE run_id = $1 ORDER BY seq", execution.run_id
    )
    return [ATTRIBUTES.validate_python(r["attributes"]) for r in records]


async def started(conn: db.Connection, run_id: str) -> wire.WorkflowExecutionStarted | None:
    """The run's WorkflowExecutionStarted (event 1): what a continued or retried run starts from."""
    events = await read(conn, run_id, first_event_id=1, limit=1)
    first = events[0].attributes if events else None
    return first if isinstance(first, wire.WorkflowExecutionStarted) else None
