"""``workflow.wait`` and ``workflow.as_completed``: asyncio's, with results in input order.

asyncio's own versions keep their futures in sets, whose order follows object addresses,
so which task is created first, or which result comes back first among several done in
one step, may differ between a run and its replay. These keep the caller's order. Their
timeouts are the loop's ``call_later``: durable timers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Iterator
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")
_F = TypeVar("_F", bound="asyncio.Future[Any]")
_RETURN_WHEN = (asyncio.FIRST_COMPLETED, asyncio.FIRST_EXCEPTION, asyncio.ALL_COMPLETED)


async def wait(
    fs: Iterable[_F],
    *,
    timeout: float | None,  # noqa: ASYNC109  # temporalio's signature
    return_when: str,
) -> tuple[list[_F], list[_F]]:
    """Wait as ``asyncio.wait``; ``done`` and ``pending`` keep the order of ``fs``.

    Raises:
        TypeError: ``fs`` is a single future or coroutine, or holds coroutines.
        ValueError: ``fs`` is empty, or ``return_when`` is not one of asyncio's.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"Expect an iterable of Tasks/Futures, not {type(fs).__name__}")
    futures = list(fs)
    if not futures:
        raise ValueError("Sequence of Tasks/Futures must not be empty.")
    if return_when not in _RETURN_WHEN:
        raise ValueError(f"Invalid return_when value: {return_when}")
    if any(asyncio.iscoroutine(f) for f in futures):
        raise TypeError("Passing coroutines is forbidden, use tasks explicitly.")
    # asyncio.wait only decides when to return; the split is made here, in input order.
    await asyncio.wait(futures, timeout=timeout, return_when=return_when)
    return [f for f in futures if f.done()], [f for f in futures if not f.done()]


def as_completed(fs: Iterable[Awaitable[_T]], *, timeout: float | None) -> Iterator[Awaitable[_T]]:
    """Awaitables giving the results of ``fs`` in the order they finish (ties: input order).

    Raises:
        TypeError: ``fs`` is a single future or coroutine.
    """
    if asyncio.isfuture(fs) or asyncio.iscoroutine(fs):
        raise TypeError(f"expect an iterable of futures, not {type(fs).__name__}")
    # Tasks are created in input order, so they first run in that order.
    pending: list[asyncio.Future[_T]] = [asyncio.ensure_future(f) for f in fs]
    return _Completions[_T](pending, timeout).results()


class _Completions(Generic[_T]):
    """The futures of one ``as_completed``, fed to a queue as each finishes."""

    def __init__(self, pending: list[asyncio.Future[_T]], timeout: float | None) -> None:
        self._pending = pending
        self._count = len(pending)
        # None in the queue: the timeout passed before this result.
        self._finished: asyncio.Queue[asyncio.Future[_T] | None] = asyncio.Queue()
        for f in pending:
            f.add_done_callback(self._on_done)
        loop = asyncio.get_event_loop()
        self._timer = loop.call_later(timeout, self._on_timeout) if timeout is not None and pending else None

    def _on_done(self, f: asyncio.Future[_T]) -> None:
        if f not in self._pending:
            return
        self._pending.remove(f)
        self._finished.put_nowait(f)
        if not self._pending and self._timer is not None:
            self._timer.cancel()

    def _on_timeout(self) -> None:
        for f in self._pending:
            f.remove_done_callback(self._on_done)
            self._finished.put_nowait(None)
        self._pending.clear()

    async def _next(self) -> _T:
        f = await self._finished.get()
        if f is None:
            raise TimeoutError
        return f.result()

    def results(self) -> Iterator[Awaitable[_T]]:
        for _ in range(self._count):
            yield self._next()
