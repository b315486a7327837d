"""The names of what can wake a waiter: a queue's tasks, a run's close, the timers.

A change names the keys it wakes (``batch.Batch.notify``); they go out as NOTIFY payloads
with its commit, and in-process waiters (``services.wakeup.Hub``) wait on them.
"""

from __future__ import annotations

import json

from legato_operator.store import rows

TIMERS = "timers"
# Woken by a change to a schedule (and a time-skipping jump), for the schedule loop.
SCHEDULES = "schedules"
_TASK_PREFIX = "task "
_CLOSED_PREFIX = "closed "


def task_key(namespace: str, task_queue: str, kind: rows.TaskKind) -> str:
    """Key woken when a task of this queue and kind becomes ready."""
    return _TASK_PREFIX + json.dumps([namespace, task_queue, kind], separators=(",", ":"))


# Woken by every close, for the Workflow status writer (which writes a close at once).
ANY_CLOSED = "closed *"


def closed_key(run_id: str) -> str:
    """Key woken when a run closes."""
    return _CLOSED_PREFIX + run_id


def run_of_closed_key(key: str) -> str | None:
    """The run whose close ``key`` announces, if it is a run's closed key."""
    return key.removeprefix(_CLOSED_PREFIX) if key.startswith(_CLOSED_PREFIX) and key != ANY_CLOSED else None


def is_task_key(key: str) -> bool:
    """Whether ``key`` is a task queue's (one waiter per wake-up, not all)."""
    return key.startswith(_TASK_PREFIX)
