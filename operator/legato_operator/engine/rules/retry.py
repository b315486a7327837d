"""Retry arithmetic, Temporal's: activity backoff and whether to retry, workflow-task backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from legato.api.common.v1 import Failure, FailureKind, RetryPolicy, RetryState

# Failures that are never retried whatever the policy says.
_FINAL_KINDS = frozenset({FailureKind.CANCELED, FailureKind.TERMINATED})
# A failing workflow task is retried at once, then with a backoff growing to this cap, so
# a broken worker cannot flood the server (or the history) with attempts.
WORKFLOW_TASK_MAX_BACKOFF = 10.0


@dataclass(frozen=True)
class RetryDecision:
    """Retry after ``delay`` seconds, or (``delay`` None) stop, for the reason ``state``."""

    delay: float | None
    state: RetryState


def effective_policy(policy: RetryPolicy | None) -> RetryPolicy:
    """The policy with Temporal's defaults filled in (maximum_interval = 100 times initial)."""
    policy = policy or RetryPolicy()
    if policy.maximum_interval is None:
        policy = policy.model_copy(update={"maximum_interval": 100 * policy.initial_interval})
    return policy


def backoff(policy: RetryPolicy, attempt: int) -> float:
    """Seconds to wait after attempt ``attempt`` (1-based) failed, before the next one."""
    policy = effective_policy(policy)
    assert policy.maximum_interval is not None
    # Cap the exponent: past ~1000 the float overflows, and the maximum applies anyway.
    exponent = min(attempt - 1, 1000)
    try:
        delay = policy.initial_interval * policy.backoff_coefficient**exponent
    except OverflowError:
        delay = policy.maximum_interval
    return float(min(delay, policy.maximum_interval))


def decide(
    policy: RetryPolicy,
    attempt: int,
    failure: Failure,
    *,
    now: datetime,
    scheduled_at: datetime,
    schedule_to_close: float | None,
) -> RetryDecision:
    """Whether attempt ``attempt`` failing with ``failure`` is retried, and after how long."""
    # The failure itself says it is final (ApplicationError(non_retryable=True), a cancel).
    if failure.non_retryable or failure.kind in _FINAL_KINDS:
        return RetryDecision(None, RetryState.NON_RETRYABLE_FAILURE)
    # The policy lists the error's type as final.
    if failure.type and failure.type in policy.non_retryable_error_types:
        return RetryDecision(None, RetryState.NON_RETRYABLE_FAILURE)
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return RetryDecision(None, RetryState.MAXIMUM_ATTEMPTS_REACHED)
    # The activity said when to try again (ApplicationError(next_retry_delay=...)), as Temporal honours it.
    delay = backoff(policy, attempt) if failure.next_retry_delay is None else failure.next_retry_delay
    # The next attempt would start after schedule_to_close has run out: no point.
    if schedule_to_close is not None and now + timedelta(seconds=delay) >= scheduled_at + timedelta(
        seconds=schedule_to_close
    ):
        return RetryDecision(None, RetryState.TIMEOUT)
    return RetryDecision(delay, RetryState.IN_PROGRESS)


def workflow_task_backoff(attempt: int) -> float:
    """Seconds before workflow-task attempt ``attempt`` is offered: 0 for the first retry.

    Then 0.5 s, 1 s, 2 s, ... capped at ``WORKFLOW_TASK_MAX_BACKOFF``.
    """
    if attempt <= 2:
        return 0.0
    return float(min(0.5 * 2.0 ** min(attempt - 3, 30), WORKFLOW_TASK_MAX_BACKOFF))
