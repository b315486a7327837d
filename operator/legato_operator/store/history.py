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


async def event(conn: db.Connection, run_id: str, event_id: int) -> wire.HistoryEvent | None:
    """One event of the run's history by id."""
    events = await read(conn, run_id, first_event_id=event_id, limit=1)
    return events[0] if events and events[0].event_id == event_id else None


async def last(conn: db.Connection, run_id: str) -> wire.HistoryEvent | None:
    """The run's last event (a closed run's close event)."""
    record = await conn.fetchrow(
        "SELECT event_id, event_time, attributes FROM history_events WHERE run_id = $1 ORDER BY event_id DESC LIMIT 1",
        run_id,
    )
    return None if record is None else wire.HistoryEvent.model_validate(dict(record))


async def child_started_id(conn: db.Connection, run_id: str, initiated_event_id: int) -> int:
    """The id of the run's ChildWorkflowExecutionStarted for the child its ``initiated_event_id`` began."""
    value = await conn.fetchval(
        "SELECT event_id FROM history_events WHERE run_id = $1 AND event_id > $2"
        " AND attributes->>'type' = 'ChildWorkflowExecutionStarted'"
        " AND (attributes->>'initiated_event_id')::bigint = $2 LIMIT 1",
        run_id,
        initiated_event_id,
    )
    return int(value or 0)
