"""One change to a run in one statement: its execution row, events, tasks, timers, buffered
events and NOTIFYs.

Each part is a data-modifying CTE of a single statement with a fixed text (so asyncpg
prepares it once per connection), fed by arrays; an empty array makes its part a no-op.
Every part is conditional on the execution row being written (``EXISTS (SELECT FROM
run)``): a stale version writes nothing at all, and raises ``StaleVersion``.

The parts share one snapshot, so none sees another's rows; that matches the order the
engine needs (deletes only ever target rows that existed before the change). The pairs
that could collide are a row deleted and inserted again under the same unique key in one
change — a transient workflow-task attempt replaced by the next, a user timer disarmed and
re-armed under one timer id: each insert reads its delete's output first, so the old row
is gone before the new one meets the unique index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from legato.api.history import v1 as wire
from legato_operator import errors
from legato_operator.store import db, executions, rows, tasks, timers


@dataclass(frozen=True)
class RunChange:
    """What one change writes for one run.

    ``execution`` is the run's new state; it is inserted (``insert``) or written over the
    row at ``execution.version`` (the row's version then moves on by one). ``closed`` drops
    everything pending of the run (tasks, timers, buffered events), so a closed change
    carries no new tasks, timers or buffered events.
    """

    execution: rows.Execution
    insert: bool = False
    events: Sequence[wire.HistoryEvent] = ()
    deleted_tasks: Sequence[int] = ()
    deleted_timers: Sequence[rows.TimerSelector] = ()
    new_tasks: Sequence[rows.NewTask] = ()
    new_timers: Sequence[rows.NewTimer] = ()
    buffered: Sequence[tuple[datetime, dict[str, Any]]] = ()
    # The run's buffered events were taken (appended or dropped): delete the stored ones.
    took_buffered: bool = False
    closed: bool = False
    # NOTIFY payloads, sent only if the change commits.
    notify: Sequence[str] = field(default_factory=list)


_INSERT_RUN = (
    f"INSERT INTO executions ({', '.join(executions.COLUMNS)})"
    f" VALUES ({', '.join(f'${i}' for i in range(1, len(executions.COLUMNS) + 1))}) RETURNING 1"
)
_UPDATE_RUN = (
    "UPDATE executions SET version = version + 1, "
    + ", ".join(f"{c} = ${i}" for i, c in enumerate(executions.MUTABLE, start=3))
    + " WHERE run_id = $1 AND version = $2 RETURNING 1"
)


def _statement(run_sql: str, first: int) -> str:
    """The whole change; ``$1`` is the run id, the run's own parameters end before ``first``."""
    n = iter(range(first, first + 100))

    def p(sql_type: str) -> str:
        return f"${next(n)}::{sql_type}"

    written = "EXISTS (SELECT FROM run)"
    event_arrays = ", ".join(p(t) for t in ("integer[]", "text[]", "timestamptz[]", "jsonb[]"))
    deleted_task_ids = p("integer[]")
    timer_selectors = f"{p('text[]')}, {p('bigint[]')}"
    task_arrays = ", ".join(p(f"{t}[]") for t in tasks.NEW_TYPES)
    timer_arrays = ", ".join(p(f"{t}[]") for t in timers.NEW_TYPES)
    buffer_arrays = f"{p('timestamptz[]')}, {p('jsonb[]')}"
    took_buffered, closed, payloads = p("boolean"), p("boolean"), p("text[]")
    return (
        f"WITH run AS ({run_sql}),"
        " events AS (INSERT INTO history_events (run_id, event_id, event_type, event_time, attributes)"
        f" SELECT $1, e.* FROM unnest({event_arrays}) AS e WHERE {written}),"
        f" tasks_gone AS (DELETE FROM tasks WHERE run_id = $1 AND ({closed}"
        f" OR scheduled_event_id = ANY({deleted_task_ids})) AND {written} RETURNING 1),"
        f" timers_gone AS (DELETE FROM timers WHERE run_id = $1 AND ({closed}"
        f" OR (kind, ref) IN (SELECT * FROM unnest({timer_selectors}))) AND {written} RETURNING 1),"
        f" buffer_gone AS (DELETE FROM buffered_events WHERE run_id = $1 AND ({closed} OR {took_buffered})"
        f" AND {written}),"
        # Reading a delete's output first runs it to completion: a transient workflow task
        # replaced by the next attempt under the same key, or a user timer re-armed under a
        # disarmed one's id, finds the old row already gone.
        f" tasks_new AS (INSERT INTO tasks ({', '.join(tasks.NEW_COLUMNS)})"
        f" SELECT * FROM unnest({task_arrays}) WHERE (SELECT count(*) FROM tasks_gone) >= 0 AND {written}),"
        f" timers_new AS (INSERT INTO timers ({', '.join(timers.NEW_COLUMNS)})"
        f" SELECT * FROM unnest({timer_arrays}) WHERE (SELECT count(*) FROM timers_gone) >= 0 AND {written}),"
        " buffer_new AS (INSERT INTO buffered_events (run_id, event_time, attributes)"
        f" SELECT $1, * FROM unnest({buffer_arrays}) WHERE {written})"
        f" SELECT {written} AS written,"
        f" (SELECT count(pg_notify('{db.CHANNEL}', k)) FROM unnest({payloads}) AS k WHERE {written}) AS notified"
    )


_INSERT = _statement(_INSERT_RUN, len(executions.COLUMNS) + 1)
_UPDATE = _statement(_UPDATE_RUN, len(executions.MUTABLE) + 3)


async def write(conn: db.Connection, change: RunChange) -> None:
    """Write ``change`` in one statement; ``StaleVersion`` (nothing written) if the row moved on."""
    ex = change.execution
    if change.insert:
        sql, run_args = _INSERT, [getattr(ex, c) for c in executions.COLUMNS]
    else:
        sql, run_args = _UPDATE, [ex.run_id, ex.version, *(getattr(ex, c) for c in executions.MUTABLE)]
    foreign = [s for s in change.deleted_timers if s.run_id != ex.run_id]
    assert not foreign, f"a change of run {ex.run_id} disarms timers of another run"
    selectors = [(kind, s.ref) for s in change.deleted_timers for kind in s.kinds]
    record = await conn.fetchrow(
        sql,
        *run_args,
        [e.event_id for e in change.events],
        [e.attributes.type for e in change.events],
        [e.event_time for e in change.events],
        [e.attributes.model_dump(mode="json") for e in change.events],
        list(change.deleted_tasks),
        [kind for kind, _ in selectors],
        [ref for _, ref in selectors],
        *tasks.new_arrays(change.new_tasks),
        *timers.new_arrays(change.new_timers),
        [t for t, _ in change.buffered],
        [a for _, a in change.buffered],
        change.took_buffered,
        change.closed,
        sorted(set(change.notify)),
    )
    # The statement ends in a SELECT without FROM: it always returns its one row.
    assert record is not None
    if not record["written"]:
        raise errors.StaleVersion(ex.run_id, ex.version)
