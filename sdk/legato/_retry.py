"""Retrying calls to the server: which failures are transient, and the backoff between tries.

One classification serves every caller — the client's calls, the worker's answers and
its polls:

* ``UNAVAILABLE`` — the server could not be reached (connection refused or reset), or it
  answered 503 (restarting, or its database unreachable) or 502 (a proxy in front could
  not reach it): retried for every call. Nothing was done, or the call is one the server
  recognizes when repeated (a ``request_id``, a task token).
* ``RESOURCE_EXHAUSTED`` (429): refused before anything was done; retried.
* ``DEADLINE_EXCEEDED`` — no answer in time (or 504): the server may have done the call,
  so it is retried only when repeating it is harmless (``Operation.idempotent``).
* anything else — 4xx, a 500 — is an answer, and a repeat would get the same one.

The backoff follows Temporal's core SDK (and the ``backoff`` crate it uses): a randomized
exponential interval, no try after ``max_elapsed_time_millis``, at most ``max_retries``
tries; 0 and None lift those limits.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from legato.exceptions import RPCError, RPCStatusCode
from legato.service import RetryConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")

_ALWAYS = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.RESOURCE_EXHAUSTED})


def is_retryable(error: RPCError, *, idempotent: bool) -> bool:
    """Whether the same call may succeed if tried again (see the module's docstring)."""
    if error.status in _ALWAYS:
        return True
    return idempotent and error.status is RPCStatusCode.DEADLINE_EXCEEDED


class Backoff:
    """The waits between the tries of one call under a ``RetryConfig``."""

    def __init__(
        self,
        config: RetryConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._config = config
        self._clock = clock
        self._jitter = jitter
        self._started = clock()
        self._interval = config.initial_interval_millis / 1000
        self.tries = 1

    def next_delay(self) -> float | None:
        """Seconds to wait before the next try, or None when the config says stop."""
        cfg = self._config
        if cfg.max_retries > 0 and self.tries >= cfg.max_retries:
            return None
        spread = cfg.randomization_factor * self._interval
        delay = self._interval - spread + 2 * spread * self._jitter()
        self._interval = min(self._interval * cfg.multiplier, cfg.max_interval_millis / 1000)
        # No try starts after the deadline: one that would is not worth the wait.
        limit = cfg.max_elapsed_time_millis
        if limit is not None and self._clock() - self._started + delay > limit / 1000:
            return None
        self.tries += 1
        return delay


async def call(fn: Callable[[], Awaitable[T]], *, config: RetryConfig, idempotent: bool, what: str) -> T:
    """``fn()``, tried again after a backoff while it fails with a retryable error.

    Raises:
        RPCError: The last failure, once it is not retryable or the config says stop.
    """
    backoff = Backoff(config)
    while True:
        try:
            return await fn()
        except RPCError as e:
            delay = backoff.next_delay() if is_retryable(e, idempotent=idempotent) else None
            if delay is None:
                raise
            logger.debug("%s failed (%s); try %d in %.2fs", what, e.message, backoff.tries, delay)
        await asyncio.sleep(delay)
