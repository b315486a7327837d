"""The runner: what the engine's services share in one process — the pool, the clock, the
limits, the wake-up hub, the presence throttles — and ``Runtime.run``, which runs one
change in one transaction and retries it on conflict (``Runtime.query`` runs a single
store call outside one).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from legato_operator import clock, errors, limits, metrics
from legato_operator.engine.rules import batch, keys
from legato_operator.engine.rules.retention import Retention
from legato_operator.engine.services import time_skipping, wakeup
from legato_operator.store import availability, db, rows

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
# A conflict (two writers on one run, a start racing a start) resolves on a re-read.
MAX_TRANSACTION_ATTEMPTS = 8
# A poller's last_seen is rewritten at most this often (it counts for a minute after).
POLLER_RECORD_SECONDS = 10.0
# A queue's last_active is rewritten at most this often per process: idle time is this exact.
ACTIVITY_RECORD_SECONDS = 2.0
_THROTTLE_KEYS = 10_000


class Throttle:
    """When each key last acted, so that bookkeeping every poll would repeat runs once per interval."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[Hashable, float] = {}

    def due(self, key: Hashable, interval: float | None = None) -> bool:
        """True (and the key marked) when ``key`` has not acted within the (or its own) interval."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < (self.interval if interval is None else interval):
            return False
        # Keys of queues and workers long gone must not pile up.
        if len(self._last) > _THROTTLE_KEYS:
            self._last = {k: t for k, t in self._last.items() if now - t < self.interval}
        self._last[key] = now
        return True


class RecentlyClosed:
    """The rows of the runs this process closed last, as committed: a result waiter woken by
    a close reads the outcome here instead of from the database."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._runs: collections.OrderedDict[str, rows.Execution] = collections.OrderedDict()

    def put(self, execution: rows.Execution) -> None:
        self._runs[execution.run_id] = execution
        if len(self._runs) > self._size:
            self._runs.popitem(last=False)

    def get(self, run_id: str) -> rows.Execution | None:
        """The run's row as its close committed it, if this process closed it lately."""
        return self._runs.get(run_id)


class KnownOpen:
    """Runs this process started and has not seen close, neither by its own commits nor by
    another replica's NOTIFY: a result wait for one of them watches without a first read.

    Trusted only while the LISTEN connection is up (`Runtime.listening`), and cleared when
    it comes back, as a close notified meanwhile may have been missed.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._runs: collections.OrderedDict[str, tuple[str, str]] = collections.OrderedDict()

    def put(self, execution: rows.Execution) -> None:
        self._runs[execution.run_id] = (execution.namespace, execution.workflow_id)
        if len(self._runs) > self._size:
            self._runs.popitem(last=False)

    def forget(self, run_id: str) -> None:
        self._runs.pop(run_id, None)

    def clear(self) -> None:
        self._runs.clear()

    def holds(self, namespace: str, workflow_id: str, run_id: str) -> bool:
        """Whether that run of that workflow is known to be open."""
        return self._runs.get(run_id) == (namespace, workflow_id)


@dataclass
class Tx:
    """One transaction: its connection, the batches written and the keys to wake after commit."""

    conn: db.Connection
    batches: list[batch.Batch] = field(default_factory=list)
    wake: set[str] = field(default_factory=set)

    origin: str = ""
    # This process's pollers, which the transaction may hand a ready workflow task to
    # (services.handing), and the tasks it hands them at commit (None until read).
    hub: wakeup.Hub | None = None
    handing: dict[wakeup.Poller, object | None] = field(default_factory=dict)

    async def notify(self, keys: set[str]) -> None:
        """NOTIFY other replicas at commit, and wake this process's waiters after it."""
        if keys:
            await db.notify(self.conn, self.payloads(keys))

    def payloads(self, keys: set[str]) -> list[str]:
        """The NOTIFY payloads of ``keys`` for a statement that sends them; their waiters
        in this process are woken after the commit."""
        self.wake |= keys
        return [f"{self.origin} {key}" for key in keys]


@dataclass
class Runtime:
    """The engine's shared state in one process."""

    pool: db.Pool
    clock: clock.Clock
    # What callers may send; every edge (HTTP, Workflow resources) checks against these.
    limits: limits.Limits = field(default_factory=limits.Limits)
    hub: wakeup.Hub = field(default_factory=wakeup.Hub)
    # Rate limits of the task-queue presence records (pollers' last_seen, queues' last_active).
    poller_records: Throttle = field(default_factory=lambda: Throttle(POLLER_RECORD_SECONDS))
    activity_records: Throttle = field(default_factory=lambda: Throttle(ACTIVITY_RECORD_SECONDS))
    # Tags this process's NOTIFYs: it wakes its own waiters at commit, not again on the echo.
    origin: str = field(default_factory=lambda: uuid.uuid4().hex)
    # Whether the database is reachable, as this process's calls and loops see it.
    outage: availability.Outage = field(default_factory=availability.Outage)
    # Set on a test server started with --time-skipping: its clock jumps to the next timer.
    time_skipper: time_skipping.TimeSkipper | None = None
    # How long closed runs are kept: the server's settings, under what namespaces set.
    retention: Retention = field(default_factory=Retention)
    # Namespaces this process has seen registered (they are never deleted, so never stale).
    known_namespaces: set[str] = field(default_factory=set)
    closed_runs: RecentlyClosed = field(default_factory=RecentlyClosed)
    open_runs: KnownOpen = field(default_factory=KnownOpen)
    # Set while the LISTEN connection is up (main.process): other replicas' closes reach us.
    listening: asyncio.Event | None = None

    def known_open(self, namespace: str, workflow_id: str, run_id: str) -> bool:
        """Whether the run is open as far as this process can tell without reading."""
        return (
            self.listening is not None
            and self.listening.is_set()
            and self.open_runs.holds(namespace, workflow_id, run_id)
        )

    def on_reconnect(self) -> None:
        """The LISTEN connection is back: whatever was notified meanwhile is unknown."""
        self.open_runs.clear()
        self.hub.wake_all()

    def on_notify(self, payload: str) -> None:
        """A NOTIFY from the LISTEN connection: wake the key, unless this process sent it."""
        origin, _, key = payload.partition(" ")
        if origin != self.origin and key:
            if (run_id := keys.run_of_closed_key(key)) is not None:
                self.open_runs.forget(run_id)
            self.hub.wake(key)

    async def query(
        self, call: Callable[Concatenate[db.Connection, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """One store call on a pooled connection, outside a transaction: a read, or one statement."""
        async with self.pool.acquire() as conn:
            return await call(conn, *args, **kwargs)

    async def run(self, operation: str, change: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``change`` in one transaction; on a conflict, run it again from a fresh read."""
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            tx: Tx | None = None
            try:
                try:
                    async with db.transaction(self.pool, operation) as conn:
                        tx = Tx(conn, origin=self.origin, hub=self.hub)
                        value = await change(tx)
                except BaseException:
                    _release(tx)
                    raise
            except errors.StaleVersion as e:
                error: Exception = e
            except Exception as e:
                if not db.is_retryable(e):
                    raise
                error = e
            else:
                assert tx is not None, "a committed change ran in a transaction"
                self._after_commit(tx)
                return value
            log.debug("%s conflicted (attempt %d): %s", operation, attempt, error)
            await asyncio.sleep(0.005 * attempt)
        raise errors.Conflict(f"{operation} kept conflicting with concurrent changes; try again")

    def _after_commit(self, tx: Tx) -> None:
        for b in tx.batches:
            if b.closed:
                self.closed_runs.put(b.execution)
                self.open_runs.forget(b.execution.run_id)
            elif b.new_run:
                self.open_runs.put(b.execution)
        for key in tx.wake:
            self.hub.wake(key)
        for b in tx.batches:
            _count(b)
        for poller, task in tx.handing.items():
            if poller.deliver(task):
                metrics.TASKS_MATCHED.labels(rows.TaskKind.WORKFLOW.value).inc()
            else:
                log.info("a poll left before the workflow task handed to it committed; its timeout retries it")


def _release(tx: Tx | None) -> None:
    """The transaction did not commit: the polls it reserved look at the database again."""
    for poller in tx.handing if tx is not None else ():
        poller.release()


def _count(b: batch.Batch) -> None:
    ex = b.execution
    if b.new_run:
        metrics.WORKFLOWS_STARTED.labels(ex.namespace, ex.workflow_type).inc()
    if b.closed:
        metrics.WORKFLOWS_CLOSED.labels(ex.namespace, ex.workflow_type, ex.status.value).inc()
    for cause in b.workflow_task_failures:
        metrics.WORKFLOW_TASK_FAILURES.labels(ex.namespace, ex.workflow_type, cause).inc()
    for activity_type, outcome in b.activity_outcomes:
        metrics.ACTIVITY_ATTEMPTS.labels(ex.namespace, activity_type, outcome).inc()
    for kind in b.handed_over:
        metrics.TASKS_HANDED_OVER.labels(kind.value).inc()
