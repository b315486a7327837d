"""The connection to the server, as ``temporalio.service``: how calls are retried, and the
error a failed call raises.

``Client.connect(..., retry_config=RetryConfig(...))`` sets how the client's calls are
retried when the server is down, restarting or cannot reach its database; see
``legato._retry`` for which errors are retried and when.
"""

from __future__ import annotations

from dataclasses import dataclass

from legato.exceptions import RPCError, RPCStatusCode

__all__ = ["RPCError", "RPCStatusCode", "RetryConfig"]


@dataclass
class RetryConfig:
    """Retry configuration for server calls (Temporal's fields and defaults).

    A call that fails with a transient error (the server unreachable or restarting, 503,
    a timeout of a call that is safe to repeat) is tried again after a backoff that starts
    at ``initial_interval_millis``, grows by ``multiplier`` up to ``max_interval_millis``
    and is jittered by ``randomization_factor``, until the call has been tried
    ``max_retries`` times or ``max_elapsed_time_millis`` have passed since its first try.
    As in Temporal's core SDK, 0 ``max_retries`` and None ``max_elapsed_time_millis``
    mean no limit.
    """

    initial_interval_millis: int = 100
    """Initial backoff interval."""
    randomization_factor: float = 0.2
    """Randomization jitter to add."""
    multiplier: float = 1.5
    """Backoff multiplier."""
    max_interval_millis: int = 5000
    """Maximum backoff interval."""
    max_elapsed_time_millis: int | None = 10000
    """Maximum total time."""
    max_retries: int = 10
    """Maximum number of retries."""
