"""A user timer firing: TimerFired, delivered to the workflow like any event from outside."""

from __future__ import annotations

from datetime import datetime

from legato.api.history import v1 as wire
from legato_operator.engine.rules import batch
from legato_operator.store import rows


def timer_fired(execution: rows.Execution, timer: rows.Timer, now: datetime) -> batch.Batch:
    """TimerFired for a user timer whose row the timer loop just took."""
    b = batch.Batch(execution=execution, now=now)
    b.deliver(wire.TimerFired(timer_id=timer.timer_id or "", started_event_id=int(timer.ref)))
    return b
