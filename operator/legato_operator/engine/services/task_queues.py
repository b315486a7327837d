"""A task queue's load as every replica sees it: tasks waiting and running, pollers, last activity.

Pollers and activity are recorded in Postgres (not counted in one process's memory), so
any replica — and the operator's scaler on whichever replica leads — reads the same
numbers whichever replica a worker's polls reach. Recording stays off the hot path's
cost: a poller's ``last_seen`` is rewritten at most every ``POLLER_RECORD_SECONDS`` and a
queue's ``last_active`` at most every ``ACTIVITY_RECORD_SECONDS`` per process.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from legato.api.workflowservice import v1 as api
from legato_operator.engine.services import runner
from legato_operator.store import db, rows, task_queues, tasks

# A poller counts while it polled within this window; its record is refreshed well inside it.
POLLER_WINDOW = timedelta(seconds=60)
# Poller rows older than this are deleted (at most once per PRUNE_SECONDS per process).
POLLER_RETENTION = timedelta(hours=1)
PRUNE_SECONDS = 600.0
_PRUNE_KEY = "prune"


@dataclass(frozen=True)
class QueueLoad:
    """One queue's tasks and workers at one moment."""

    namespace: str
    task_queue: str
    workflow_tasks: int = 0
    activity_tasks: int = 0
    running: int = 0
    oldest_task_age: float = 0.0
    pollers: int = 0
    last_active: datetime | None = None

    @property
    def waiting(self) -> int:
        """Tasks ready and waiting for a poller, both kinds."""
        return self.workflow_tasks + self.activity_tasks

    @property
    def backlog(self) -> int:
        """Waiting + running: the work the queue's workers have to hold (what scaling divides)."""
        return self.waiting + self.running

    def to_wire(self) -> api.TaskQueueBacklog:
        """The API's answer for this queue."""
        return api.TaskQueueBacklog(
            workflow_tasks=self.workflow_tasks,
            activity_tasks=self.activity_tasks,
            oldest_task_age=self.oldest_task_age,
            pollers=self.pollers,
            running=self.running,
            backlog=self.backlog,
        )


async def record_poll(rt: runner.Runtime, namespace: str, task_queue: str, kind: rows.TaskKind, identity: str) -> None:
    """Note that ``identity`` polls the queue; writes at most every few seconds per poller."""
    if not rt.poller_records.due((namespace, task_queue, kind, identity)):
        return
    now = rt.clock.now()
    async with rt.pool.acquire() as conn:
        await task_queues.touch_poller(conn, namespace, task_queue, kind, identity, now)
        # Piggybacks on a write that is already rare: stale pollers go without a sweeper.
        if rt.poller_records.due(_PRUNE_KEY, PRUNE_SECONDS):
            await task_queues.prune_pollers(conn, now - POLLER_RETENTION)


async def record_claim(rt: runner.Runtime, namespace: str, task_queue: str) -> None:
    """Note that a task of the queue was handed out; writes at most every couple of seconds per queue."""
    if rt.activity_records.due((namespace, task_queue)):
        async with rt.pool.acquire() as conn:
            await task_queues.touch_active(conn, namespace, task_queue, rt.clock.now())


async def load(rt: runner.Runtime, namespace: str, task_queue: str) -> QueueLoad:
    """One queue's load."""
    loads = await _read(rt, namespace, task_queue)
    return loads.get((namespace, task_queue)) or QueueLoad(namespace, task_queue)


async def all_loads(rt: runner.Runtime) -> dict[task_queues.QueueKey, QueueLoad]:
    """The load of every queue that has tasks, pollers or a recorded activity, in one read."""
    return await _read(rt, None, None)


async def _read(rt: runner.Runtime, namespace: str | None, queue: str | None) -> dict[task_queues.QueueKey, QueueLoad]:
    now = rt.clock.now()
    async with rt.pool.acquire() as conn:
        counts = await tasks.load(conn, namespace, queue)
        pollers = await task_queues.pollers(conn, now - POLLER_WINDOW, namespace, queue)
        active = await task_queues.last_active(conn, namespace, queue)
    return _combine(counts, pollers, active, now)


def _combine(
    counts: list[tuple[str, str, rows.TaskKind, rows.TaskState, int, datetime]],
    pollers: dict[task_queues.QueueKey, int],
    active: dict[task_queues.QueueKey, datetime],
    now: datetime,
) -> dict[task_queues.QueueKey, QueueLoad]:
    fields: dict[task_queues.QueueKey, dict[str, int]] = {}
    oldest: dict[task_queues.QueueKey, datetime] = {}
    for namespace, queue, kind, state, n, first in counts:
        key = (namespace, queue)
        name = "running" if state == rows.TaskState.STARTED else f"{kind}_tasks"
        into = fields.setdefault(key, {})
        into[name] = into.get(name, 0) + n
        if state == rows.TaskState.READY:
            oldest[key] = min(first, oldest.get(key, first))
    loads = {}
    for key in fields.keys() | pollers.keys() | active.keys():
        counted = fields.get(key, {})
        loads[key] = QueueLoad(
            namespace=key[0],
            task_queue=key[1],
            workflow_tasks=counted.get("workflow_tasks", 0),
            activity_tasks=counted.get("activity_tasks", 0),
            running=counted.get("running", 0),
            oldest_task_age=max((now - oldest[key]).total_seconds(), 0.0) if key in oldest else 0.0,
            pollers=pollers.get(key, 0),
            last_active=active.get(key),
        )
    return loads


async def workflow_pollers(
    rt: runner.Runtime, queues: Collection[task_queues.QueueKey]
) -> dict[task_queues.QueueKey, int]:
    """Workers that polled each of ``queues`` for workflow tasks within the poller window, in one read."""
    since = rt.clock.now() - POLLER_WINDOW
    return await rt.query(task_queues.workflow_pollers_of, since, queues)


async def poller_counts(conn: db.Connection, now: datetime) -> dict[task_queues.QueueKey, int]:
    """Pollers per queue (for the metrics scrape, which holds its own connection)."""
    return await task_queues.pollers(conn, now - POLLER_WINDOW)
