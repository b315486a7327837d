"""In-process wake-ups: long polls, result waits and the timer loop wait on keys.

A key is woken by this process after its own commits and by the LISTEN connection for
other replicas' NOTIFYs. A waiter takes its future *before* checking the database, so a
wake-up between the check and the wait is never lost.

A poller waiting on a task key may also be handed a task outright (`Hub.take_poller`): the
transaction that makes the task ready starts it for that poller instead, and its future
resolves with the task after the commit — one transaction instead of two, and no wake.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from legato_operator.engine.rules import keys


@dataclass(eq=False)
class Poller:
    """A long poll waiting on its task key, which a transaction may hand a task to.

    ``idle`` only while it waits (not while it claims from the database, where a handed task
    would race the one it finds). `Hub.take_poller` reserves it: no wake reaches it until the
    handing transaction ends and either delivers the task or releases the poll to look again.
    """

    identity: str
    woken: asyncio.Future[None]
    idle: bool = False
    reserved: bool = False
    gone: bool = False
    task: object | None = None

    def deliver(self, task: object) -> bool:
        """Hand the committed task over; False if the poll has gone (its task then times out)."""
        self.reserved = False
        if self.gone or self.woken.done():
            return False
        self.task = task
        self.woken.set_result(None)
        return True

    def release(self) -> None:
        """The handing transaction rolled back: wake the poll, which looks at the database again."""
        self.reserved = False
        if not self.woken.done():
            self.woken.set_result(None)


class Hub:
    """Waiters per key. A task key wakes one waiter per wake-up; any other key wakes all.

    Waking one poller per ready task, instead of all of them, spares the others a claim
    that can only come back empty (a thundering herd costs a transaction per poller). A
    poller that claims a task while another one is ready wakes the next one (`wake` again),
    so a burst of tasks still reaches every poller; a woken waiter that leaves without
    claiming passes its wake on.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, deque[asyncio.Future[None]]] = {}
        self._pollers: dict[str, deque[Poller]] = {}
        # Per task key, the wakes so far (bounded: one key per queue and kind), and the
        # wake_all()s: a queue seen empty stays empty until one of them moves.
        self._wakes: dict[str, int] = {}
        self._epoch = 0
        self._empty_at: dict[str, tuple[int, int]] = {}

    def mark(self, key: str) -> tuple[int, int]:
        """Where the key's wakes stand now; take it before looking at the database."""
        return self._epoch, self._wakes.get(key, 0)

    def seen_empty(self, key: str, mark: tuple[int, int]) -> None:
        """The queue had no ready task left when looked at after ``mark``."""
        self._empty_at[key] = mark

    def known_empty(self, key: str) -> bool:
        """Whether the queue was seen empty and nothing has woken its key since: a poll
        may wait at once instead of spending a transaction to find nothing."""
        return self._empty_at.get(key) == self.mark(key)

    @contextlib.contextmanager
    def watching(self, key: str) -> Iterator[asyncio.Future[None]]:
        """A future resolved by the next ``wake(key)`` that reaches it, held for the block.

        Enter before checking the database and wait after: a wake in between still counts.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._waiters.setdefault(key, deque())
        queue.append(future)
        try:
            yield future
        except BaseException:
            # Woken but leaving (cancelled, failed) before acting on it: hand the wake on.
            if future.done() and _wakes_one(key):
                self.wake(key)
            raise
        finally:
            self._forget(key, queue, future)

    @contextlib.contextmanager
    def polling(self, key: str, identity: str) -> Iterator[Poller]:
        """`watching` for a poller that may be handed a task (`Poller.task` after the wait)."""
        with self.watching(key) as woken:
            poller = Poller(identity, woken)
            pollers = self._pollers.setdefault(key, deque())
            pollers.append(poller)
            try:
                yield poller
            finally:
                poller.gone = True
                pollers.remove(poller)
                if not pollers and self._pollers.get(key) is pollers:
                    del self._pollers[key]

    def idle_pollers(self, key: str) -> int:
        """How many polls of ``key`` wait now, ready to be handed a task."""
        return sum(p.idle and not p.reserved for p in self._pollers.get(key, ()))

    def take_poller(self, key: str) -> Poller | None:
        """The longest-waiting idle poller of ``key``, reserved for a task a transaction hands it."""
        for poller in self._pollers.get(key, ()):
            if poller.idle and not poller.reserved and not poller.woken.done():
                poller.reserved = True
                # Out of the wake queue: a wake now would send it to the database, and the
                # task handed to it at commit would find nobody there.
                with contextlib.suppress(ValueError):
                    self._waiters.get(key, deque()).remove(poller.woken)
                return poller
        return None

    def _forget(self, key: str, queue: deque[asyncio.Future[None]], future: asyncio.Future[None]) -> None:
        with contextlib.suppress(ValueError):
            queue.remove(future)
        # Nobody waits any more: drop the queue so idle keys cost nothing.
        if not queue and self._waiters.get(key) is queue:
            del self._waiters[key]

    def wake(self, key: str) -> None:
        """Wake the key's waiters: the longest-waiting one for a task key, else all."""
        if _wakes_one(key):
            self._wakes[key] = self._wakes.get(key, 0) + 1
        queue = self._waiters.get(key)
        while queue:
            future = queue.popleft()
            if not future.done():
                future.set_result(None)
                if _wakes_one(key):
                    break
        if queue is not None and not queue and self._waiters.get(key) is queue:
            del self._waiters[key]

    def wake_all(self) -> None:
        """Wake every waiter (after a lost LISTEN connection, anything may have changed)."""
        self._epoch += 1
        for queue in list(self._waiters.values()):
            for future in queue:
                if not future.done():
                    future.set_result(None)
        self._waiters.clear()

    @property
    def watched(self) -> int:
        """How many keys have waiters (for tests: idle keys must not pile up)."""
        return len(self._waiters)


def _wakes_one(key: str) -> bool:
    return keys.is_task_key(key)


async def wait(future: asyncio.Future[None], timeout: float) -> bool:  # noqa: ASYNC109 - a deadline, not a cancel scope
    """Wait for ``future`` at most ``timeout`` seconds; True if it was woken."""
    if future.done():
        return True
    if timeout <= 0:
        return False
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return False
    return True
