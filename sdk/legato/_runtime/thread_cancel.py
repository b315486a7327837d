"""Raising an exception into the thread of a running sync activity, and only there.

``PyThreadState_SetAsyncExc`` delivers an exception into whatever a thread runs at its
next bytecode, so a stray one is deadly: a pool thread that has moved on to other code
(another activity, a workflow activation) would see it. The raiser therefore targets a
thread only while the activity function runs in it (``running``: a flag under a lock),
raises at most once, and on the way out clears an exception set but not yet delivered
(a thread blocked in C code gets it only when it returns to Python).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def _set_async_exc(thread_id: int, exc_type: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc_type))


def _clear_async_exc(thread_id: int) -> None:
    # A NULL exception clears one that is pending and not yet delivered.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), None)


class ThreadRaiser:
    """Raises one exception type into the thread running an activity function."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._pending: type[BaseException] | None = None
        self._raised = False
        self._shield_depth = 0

    @contextmanager
    def running(self) -> Iterator[None]:
        """The activity function runs in the calling thread for the duration."""
        with self._lock:
            self._thread_id = threading.get_ident()
            # Cancelled before it started: raised plainly, inside the try below.
            early, self._pending = self._pending, None
            self._raised = self._raised or early is not None
        try:
            if early is not None:
                raise early()
            yield
        finally:
            try:
                self._leave()
            # Delivered after the function returned, while leaving: it has nothing left to stop.
            except BaseException:  # the one exception we raised ourselves
                self._leave()

    def _leave(self) -> None:
        with self._lock:
            thread_id, self._thread_id = self._thread_id, None
            self._pending = None
            if self._raised and thread_id is not None:
                _clear_async_exc(thread_id)

    def raise_in_thread(self, exc_type: type[BaseException]) -> None:
        """Raise ``exc_type`` in the activity's thread now, or when its shield ends, or
        when it starts; never once the function has returned."""
        with self._lock:
            if not self._raised:
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
        self._pending = None
        self._raised = True
