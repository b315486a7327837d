"""The innermost links of an activity's interceptor chains, where they reach the worker.

``RootInbound`` calls the activity function (on the loop, or in the executor for a sync
one); ``RootOutbound`` answers ``info()`` and records heartbeats. The worker's
interceptors (``legato.worker.Interceptor.intercept_activity``) wrap them.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Sequence
from typing import Any

from legato._runtime.activity_context import ActivityContext
from legato._runtime.info import ActivityInfo
from legato._runtime.interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    activity_chain,
)


class RootOutbound(ActivityOutboundInterceptor):
    """The attempt's own info and heartbeat channel."""

    def __init__(self, context: ActivityContext) -> None:
        # No next link: this is the end of the chain.
        self._context = context

    def info(self) -> ActivityInfo:
        """The attempt's information."""
        return self._context.info

    def heartbeat(self, *details: Any) -> None:
        """Record the details; the worker sends them, throttled."""
        self._context.heartbeat(details)


class RootInbound(ActivityInboundInterceptor):
    """Calls the activity function."""

    def __init__(self, context: ActivityContext) -> None:
        # No next link: this is the end of the chain.
        self._context = context

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """The outbound chain activity code calls through."""
        self._context.outbound = outbound

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Await an async function; run a sync one in the executor, in this context."""
        # A callable class's instance is async when its __call__ is, as temporalio decides.
        if inspect.iscoroutinefunction(input.fn) or inspect.iscoroutinefunction(type(input.fn).__call__):
            return await input.fn(*input.args)
        call = functools.partial(contextvars.copy_context().run, _in_thread, self._context, input.fn, input.args)
        return await asyncio.get_running_loop().run_in_executor(input.executor, call)


def _in_thread(context: ActivityContext, fn: Any, args: Sequence[Any]) -> Any:
    # Cancellation may be raised into this thread only while the function runs in it.
    if context.raiser is None:
        return fn(*args)
    with context.raiser.running():
        return fn(*args)


def inbound_chain(interceptors: Sequence[Interceptor], context: ActivityContext) -> ActivityInboundInterceptor:
    """The attempt's inbound chain, its outbound chain already handed to it."""
    inbound = activity_chain(interceptors, RootInbound(context))
    inbound.init(RootOutbound(context))
    return inbound
