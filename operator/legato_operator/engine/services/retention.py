"""The retention loop: every replica deletes closed runs past their retention period.

Each round deletes one bounded batch in one short transaction; a full batch is followed
at once by the next, an emptier one by a pause, so a backlog of a million expired runs
drains steadily without long locks, and an idle database is asked once a minute.
"""

from __future__ import annotations

import asyncio
import logging

from legato_operator import metrics
from legato_operator.engine.rules.retention import Retention
from legato_operator.engine.services import runner
from legato_operator.store import db, namespaces, retention

log = logging.getLogger(__name__)

BATCH = 500
INTERVAL_SECONDS = 60.0


class RetentionLoop:
    """Deletes expired runs until stopped; ``delete_batch`` is one round (tests call it)."""

    def __init__(self, rt: runner.Runtime, policy: Retention, *, batch_size: int = BATCH) -> None:
        self._rt = rt
        self._policy = policy
        self._batch_size = batch_size

    async def run(self) -> None:
        """Loop until cancelled; a database error is logged and retried at the next round."""
        while True:
            try:
                deleted = await self.delete_batch()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if db.is_unavailable(e):
                    self._rt.outage.failed(e, "the retention loop")
                else:
                    log.exception("Retention loop failed; retrying in %.0fs", INTERVAL_SECONDS)
                deleted = 0
            await asyncio.sleep(0 if deleted >= self._batch_size else INTERVAL_SECONDS)

    async def delete_batch(self) -> int:
        """Delete one batch of expired runs; how many were deleted."""
        policy = self._policy
        async with self._rt.pool.acquire() as conn:
            own = await namespaces.retentions(conn)
            deleted = await retention.delete_expired(
                conn,
                self._rt.clock.now(),
                policy.default,
                policy.namespaces,
                min([policy.shortest(), *own.values()]),
                self._batch_size,
            )
        for namespace, count in deleted.items():
            metrics.RUNS_DELETED.labels(namespace=namespace).inc(count)
        if deleted:
            log.info("Retention deleted %d runs past their retention period", sum(deleted.values()))
        return sum(deleted.values())
