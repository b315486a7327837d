"""Raising an exception into the thread of a running sync activity, and only there.

``PyThreadState_SetAsyncExc`` delivers an exception into whatever a thread runs at its
next bytecode, so a stray one is deadly: a pool thread that has moved on to other code
(another activity, a workflow activation) would see it. The raiser therefore targets a
thread only while the activity function runs in it (``running``: a flag under a lock),
raises at most once, and on the way out takes in an exception set but not yet delivered
(a thread blocked in C code gets it only when it returns to Python) by running bytecode
until it arrives. It never clears one with a NULL exception: CPython signals the whole
interpreter's eval breaker even then, and with no thread left to take an exception the
breaker stays tripped, slowing every thread of the process to a crawl (workflow
activations time out and replay wrongly).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _set_async_exc(thread_id: int, exc_type: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc_type))


class ThreadRaiser:
    """Raises one exception type into the thread running an activity function."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._pending: type[BaseException] | None = None
        self._raised: type[BaseException] | None = None
        self._shield_depth = 0

    @contextmanager
    def running(self) -> Iterator[None]:
        """The activity function runs in the calling thread for the duration."""
        with self._lock:
            self._thread_id = threading.get_ident()
            # Cancelled before it started: raised plainly, inside the try below.
            early, self._pending = self._pending, None
            if early is not None:
                self._raised = early
        delivered = False
        try:
            if early is not None:
                raise early()
            yield
        except BaseException as e:
            delivered = self._raised is not None and isinstance(e, self._raised)
            raise
        finally:
            with self._lock:
                self._thread_id = None
                self._pending = None
                raised = self._raised
            # Set and not seen here: it may still be on its way (or the activity caught it).
            if raised is not None and not delivered:
                _take_in_late_exception()

    def raise_in_thread(self, exc_type: type[BaseException]) -> None:
        """Raise ``exc_type`` in the activity's thread now, or when its shield ends, or
        when it starts; never once the function has returned."""
        with self._lock:
            if self._raised is None:
                self._pending = exc_type
                self._raise_if_pending()

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Delay the exception until the outermost shield ends."""
        with self._lock:
            self._shield_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._shield_depth -= 1
                self._raise_if_pending()

    def _raise_if_pending(self) -> None:
        if self._thread_id is None or self._pending is None or self._shield_depth > 0:
            return
        _set_async_exc(self._thread_id, self._pending)
        self._raised, self._pending = self._pending, None


def _take_in_late_exception() -> None:
    """Let an exception set on this thread but not yet delivered arrive here, where it stops
    nothing: the thread checks for one at its next backward jump, so within the first turns
    of this loop. If the activity caught it itself, the loop just ends."""
    try:
        for _ in range(100_000):
            pass
    except BaseException:  # the exception this raiser set: no other can be pending here
        return
