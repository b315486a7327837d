"""A deterministic asyncio event loop: no clock, no I/O, only a queue of ready callbacks.

As in Temporal's ``_workflow_instance.py``, the workflow instance *is* the event loop its
code runs on, so plain asyncio (``asyncio.sleep``, ``gather``, ``wait``, ``Event``,
``timeout``) works unchanged and deterministically: time is the recorded activation time,
and a timer is a durable server-side timer the subclass turns into a command.

Each activation sets the loop as the thread's running loop, runs ready callbacks until
nothing is ready, and restores the previous loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
from collections.abc import Callable, Coroutine, Generator, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, TypeVarTuple

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")
_ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]


class NotInWorkflowEventLoopError(RuntimeError):
    """A workflow-only function was called outside a workflow."""


class DeterministicLoop(asyncio.AbstractEventLoop):
    """The part of the workflow loop that knows nothing of workflows.

    Subclasses implement ``call_later`` (durable timers) and ``_timer_handle_cancelled``.
    """

    def __init__(self) -> None:
        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        self._time = 0.0
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._exception_handler: _ExceptionHandler | None = None

    @contextmanager
    def running(self) -> Iterator[None]:
        """Make this the running loop of the current thread for the duration."""
        previous = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(self)
        try:
            yield
        finally:
            asyncio.events._set_running_loop(previous)

    def run_until_quiescent(self) -> None:
        """Run ready callbacks, then satisfied conditions, until nothing is ready."""
        while self._ready:
            while self._ready:
                handle = self._ready.popleft()
                # A cancelled timer may still sit in the queue; asyncio skips those too.
                if not handle.cancelled():
                    handle._run()
            self._check_conditions()

    def wait_condition(self, fn: Callable[[], bool]) -> asyncio.Future[None]:
        """A future resolved, between callbacks, once ``fn()`` is true."""
        future: asyncio.Future[None] = self.create_future()
        self._conditions.append((fn, future))
        return future

    def _check_conditions(self) -> None:
        remaining = []
        for fn, future in self._conditions:
            if future.done():
                continue
            if fn():
                future.set_result(None)
            else:
                remaining.append((fn, future))
        self._conditions = remaining

    # --- asyncio.AbstractEventLoop: what workflow code and asyncio itself call ---

    def time(self) -> float:
        """The workflow's time: the recorded start of the current activation (epoch seconds)."""
        return self._time

    def call_soon(
        self, callback: Callable[[*_Ts], object], *args: *_Ts, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        """Queue a callback for this activation."""
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_at(
        self,
        when: float,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """A timer at ``when``; asyncio.timeout uses this with ``loop.time() + delay``."""
        # Rounded to the millisecond: the float sum and difference may not give back the delay.
        return self.call_later(round(when - self.time(), 3), callback, *args, context=context)

    def create_future(self) -> asyncio.Future[Any]:
        """A future bound to this loop."""
        return asyncio.Future(loop=self)

    def create_task(
        self,
        coro: Coroutine[Any, Any, _T] | Generator[Any, None, _T],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[_T]:
        """A task on this loop."""
        return asyncio.Task(coro, loop=self, name=name, context=context)

    def is_running(self) -> bool:
        """Always true: workflow code only ever runs inside an activation."""
        return True

    def is_closed(self) -> bool:
        """Never closed while the instance exists."""
        return False

    def get_debug(self) -> bool:
        """Debug mode is off; it would make asyncio record wall-clock timings."""
        return False

    def get_task_factory(self) -> None:
        """No task factory."""
        return None

    def get_exception_handler(self) -> _ExceptionHandler | None:
        """The handler set by ``set_exception_handler``."""
        return self._exception_handler

    def set_exception_handler(self, handler: _ExceptionHandler | None) -> None:
        """Set the handler for exceptions nobody retrieved."""
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        """Log an exception nobody retrieved (a task whose error was never awaited)."""
        exception = context.get("exception")
        exc_info = (type(exception), exception, exception.__traceback__) if exception else None
        logger.error("%s", context.get("message") or "Unhandled exception in workflow", exc_info=exc_info)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Pass an unretrieved exception to the handler, falling back to logging it."""
        # An evicted or finished run drops its waiting tasks; that is expected, not an error.
        task = context.get("task")
        if isinstance(task, asyncio.Task) and not task.done():
            return
        if self._exception_handler is None:
            self.default_exception_handler(context)
            return
        try:
            self._exception_handler(self, context)
        except Exception:
            logger.exception("Exception in the workflow's exception handler")


def current_loop() -> DeterministicLoop:
    """The running workflow loop.

    Raises:
        NotInWorkflowEventLoopError: Not called from workflow code.
    """
    loop = asyncio.events._get_running_loop()
    if not isinstance(loop, DeterministicLoop):
        raise NotInWorkflowEventLoopError("Not in workflow event loop")
    return loop
