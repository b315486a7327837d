"""Work whose processing fails unexpectedly is set aside, so it cannot hold up the work behind it.

A task a poll cannot start, or a timer that cannot fire — because of a bug, or of data the
server cannot handle — would otherwise stay first in line and fail again at every poll or
round, stopping its whole queue. Instead it is moved back by 1, 2, 4, ... seconds (at most
``MAX_BACKOFF``), logged with what it is, and counted in
``legato_processing_failures_total``; the rest of the queue goes on, and a fixed server
picks it up again. An outage (the database unreachable) or a conflict is not the work's
fault and sets nothing aside.
"""

from __future__ import annotations

import logging

from legato_operator import errors, metrics
from legato_operator.engine.services import runner
from legato_operator.store import db, rows, tasks, timers

log = logging.getLogger(__name__)

MAX_BACKOFF = 600.0


def is_poison(error: Exception) -> bool:
    """Whether ``error`` is the work's own fault rather than the moment's."""
    return not (isinstance(error, errors.OperatorError) or db.is_unavailable(error) or db.is_retryable(error))


async def task(rt: runner.Runtime, claimed: rows.Task, error: Exception) -> None:
    """Set aside a ready task that a poll could not start."""
    moved = await rt.query(tasks.set_aside, claimed.id, rt.clock.now(), MAX_BACKOFF)
    metrics.PROCESSING_FAILURES.labels("task", claimed.kind.value).inc()
    failures, until = moved if moved is not None else (0, None)
    log.error(
        "Set aside %s task %d of run %s (queue %r) until %s after %d failure(s) to start it: %r",
        claimed.kind.value,
        claimed.id,
        claimed.run_id,
        claimed.task_queue,
        until,
        failures,
        error,
    )


async def timer(rt: runner.Runtime, leased: rows.Timer, error: Exception) -> None:
    """Set aside a timer that could not fire."""
    moved = await rt.query(timers.set_aside, leased.id, rt.clock.now(), MAX_BACKOFF)
    metrics.PROCESSING_FAILURES.labels("timer", leased.kind.value).inc()
    failures, due = moved if moved is not None else (0, None)
    log.error(
        "Set aside timer %d (%s) of run %s until %s after %d failure(s) to fire it: %r",
        leased.id,
        leased.kind.value,
        leased.run_id,
        due,
        failures,
        error,
    )
