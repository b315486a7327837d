"""Time skipping: a test server's clock jumps to the next timer when nothing else can happen.

As Temporal's test server. The clock runs at real speed while locked, and it starts locked
(one lock). While no lock is held (a test client awaiting a workflow's result unlocks)
and no task is ready or held by a worker and no timer is due, the clock jumps to the
earliest timer, which then fires as it would have. A sleeper (``env.sleep``) unlocks until
its deadline, and no jump goes past the earliest sleeper's deadline.

The clock is this process's own: a time-skipping server runs as one replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from legato.api.testservice import v1 as testing
from legato_operator import clock, errors
from legato_operator.engine.rules import keys
from legato_operator.store import time_skipping

if TYPE_CHECKING:
    from legato_operator.engine.services import runner

log = logging.getLogger(__name__)

# How often an unlocked clock looks for a chance to jump: quick enough that a test's
# month-long sleep takes milliseconds, rare enough to cost little.
LOOK_SECONDS = 0.01


class TimeSkipper:
    """The locks and sleepers of a time-skipping clock; ``run`` makes the jumps."""

    def __init__(self, server_clock: clock.Clock) -> None:
        self.clock = server_clock
        self._locks = 1
        self._sleepers: list[datetime] = []
        self._changed = asyncio.Event()
        self._moved = asyncio.Event()

    def lock(self) -> None:
        """Hold the clock to real time."""
        self._locks += 1

    def unlock(self) -> None:
        """Release one lock. Unbalanced unlocks are counted too, and need as many locks."""
        self._locks -= 1
        self._changed.set()

    @property
    def free(self) -> bool:
        """Whether a jump may happen: no lock held, or someone sleeping."""
        return self._locks <= 0 or bool(self._sleepers)

    async def sleep_until(self, moment: datetime, wait: float) -> bool:
        """Let time skip until the clock reaches ``moment``; False if ``wait`` real seconds pass first."""
        self._sleepers.append(moment)
        self._changed.set()
        try:
            async with asyncio.timeout(wait):
                # Woken by a jump, or by real time reaching the moment, whichever comes first.
                while (left := (moment - self.clock.now()).total_seconds()) > 0:
                    self._moved.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._moved.wait(), left)
        except TimeoutError:
            return False
        finally:
            self._sleepers.remove(moment)
        return True

    def jump(self, moment: datetime) -> None:
        """Move the clock to ``moment`` and wake the sleepers."""
        self.clock.advance_to(moment)
        self._moved.set()

    async def until_free(self) -> None:
        """Return once a jump may happen."""
        while not self.free:
            self._changed.clear()
            await self._changed.wait()

    def target(self, outlook: time_skipping.Outlook, now: datetime) -> datetime | None:
        """Where the clock may jump to now; None when something can still happen before."""
        if outlook.busy or (outlook.next_due is not None and outlook.next_due <= now):
            return None
        candidates = [t for t in (outlook.next_due, min(self._sleepers, default=None)) if t is not None]
        moment = min(candidates, default=None)
        return moment if moment is not None and moment > now else None


async def run(rt: runner.Runtime, skipper: TimeSkipper) -> None:
    """Jump the clock whenever it may, until cancelled."""
    while True:
        await skipper.until_free()
        try:
            await _look(rt, skipper)
        except asyncio.CancelledError:
            raise
        # The database is down or restarting: the clock waits for it, as the timers do.
        except Exception as e:
            log.warning("Time skipping could not look at the database: %r", e)
            await asyncio.sleep(1.0)
        await asyncio.sleep(LOOK_SECONDS)


async def _look(rt: runner.Runtime, skipper: TimeSkipper) -> None:
    outlook = await rt.query(time_skipping.outlook)
    # Checked again after the read: a lock taken meanwhile wins.
    moment = skipper.target(outlook, skipper.clock.now()) if skipper.free else None
    if moment is None:
        return
    log.debug("Skipping time by %s to %s", moment - skipper.clock.now(), moment.isoformat())
    skipper.jump(moment)
    rt.hub.wake(keys.TIMERS)
    rt.hub.wake(keys.SCHEDULES)


# --- the operations ----------------------------------------------------------------------


def _skipper(rt: runner.Runtime) -> TimeSkipper:
    if rt.time_skipper is None:
        raise errors.FailedPrecondition(
            "This server does not skip time: start it with --time-skipping "
            "(WorkflowEnvironment.start_time_skipping does)"
        )
    return rt.time_skipper


async def lock_time_skipping(rt: runner.Runtime, namespace: str, request: testing.LockTimeSkippingRequest) -> None:
    """``LOCK_TIME_SKIPPING``."""
    _skipper(rt).lock()


async def unlock_time_skipping(rt: runner.Runtime, namespace: str, request: testing.UnlockTimeSkippingRequest) -> None:
    """``UNLOCK_TIME_SKIPPING``."""
    _skipper(rt).unlock()


async def sleep_until(
    rt: runner.Runtime, namespace: str, request: testing.SleepUntilRequest
) -> testing.SleepResponse | None:
    """``SLEEP_UNTIL``: None (204) when the clock is not there after the request's wait."""
    skipper = _skipper(rt)
    if not await skipper.sleep_until(request.timestamp, request.wait):
        return None
    return testing.SleepResponse(time=skipper.clock.now())


async def get_current_time(
    rt: runner.Runtime, namespace: str, request: testing.GetCurrentTimeRequest
) -> testing.GetCurrentTimeResponse:
    """``GET_CURRENT_TIME``."""
    return testing.GetCurrentTimeResponse(time=_skipper(rt).clock.now())
