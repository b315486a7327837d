"""What a time-skipping server asks before it moves its clock: is any work outstanding,
and when is the next timer due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from legato_operator.store import db


@dataclass(frozen=True)
class Outlook:
    """Whether a task is ready or held by a worker, and the earliest timer (fired or not) or
    schedule's next look."""

    busy: bool
    next_due: datetime | None


async def outlook(conn: db.Connection) -> Outlook:
    """One statement: tasks in backoff are not work (their ``task_ready`` timer is a timer)."""
    record = await conn.fetchrow(
        "SELECT EXISTS (SELECT 1 FROM tasks WHERE state IN ('ready', 'started')) AS busy,"
        " least((SELECT min(due_at) FROM timers), (SELECT min(next_wake) FROM schedules)) AS next_due"
    )
    assert record is not None  # a SELECT without FROM always answers one row
    next_due = record["next_due"]
    return Outlook(busy=bool(record["busy"]), next_due=next_due if isinstance(next_due, datetime) else None)
