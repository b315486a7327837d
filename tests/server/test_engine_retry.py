"""Retry arithmetic: Temporal's activity backoff and retry decisions, workflow-task backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.api.common.v1 import Failure, FailureKind, RetryPolicy, RetryState
from legato_operator.engine.rules import retry
from tests.server.factories import NOW

FAIL = Failure(message="boom", type="ValueError")


@pytest.mark.parametrize(("attempt", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (7, 64.0), (8, 100.0), (50, 100.0)])
def test_backoff_doubles_from_one_second_up_to_a_hundred_times_the_initial_interval(
    attempt: int, expected: float
) -> None:
    assert retry.backoff(RetryPolicy(), attempt) == expected


def test_backoff_respects_an_explicit_maximum_interval() -> None:
    policy = RetryPolicy(initial_interval=0.5, backoff_coefficient=3.0, maximum_interval=4.0)
    assert [retry.backoff(policy, a) for a in (1, 2, 3, 4)] == [0.5, 1.5, 4.0, 4.0]


def test_backoff_of_a_huge_attempt_number_does_not_overflow() -> None:
    assert retry.backoff(RetryPolicy(backoff_coefficient=10.0), 100_000) == 100.0


def test_effective_policy_fills_in_the_maximum_interval() -> None:
    assert retry.effective_policy(None).maximum_interval == 100.0


def decide(policy: RetryPolicy, attempt: int, failure: Failure = FAIL, **kw: object) -> retry.RetryDecision:
    return retry.decide(policy, attempt, failure, now=NOW, scheduled_at=NOW, schedule_to_close=kw.get("stc"))  # type: ignore[arg-type]


def test_a_plain_failure_is_retried_after_the_backoff() -> None:
    assert decide(RetryPolicy(), 3) == retry.RetryDecision(4.0, RetryState.IN_PROGRESS)


def test_unlimited_attempts_by_default() -> None:
    assert decide(RetryPolicy(), 10_000).state == RetryState.IN_PROGRESS


def test_maximum_attempts_stops_retrying() -> None:
    assert decide(RetryPolicy(maximum_attempts=3), 3) == retry.RetryDecision(None, RetryState.MAXIMUM_ATTEMPTS_REACHED)
    assert decide(RetryPolicy(maximum_attempts=3), 2).delay == 2.0


def test_non_retryable_error_types_match_the_failure_type() -> None:
    policy = RetryPolicy(non_retryable_error_types=["ValueError"])
    assert decide(policy, 1).state == RetryState.NON_RETRYABLE_FAILURE
    assert decide(policy, 1, Failure(message="x", type="KeyError")).state == RetryState.IN_PROGRESS


def test_a_non_retryable_failure_is_final() -> None:
    failure = Failure(message="card declined", type="Declined", non_retryable=True)
    assert decide(RetryPolicy(), 1, failure).state == RetryState.NON_RETRYABLE_FAILURE


def test_a_cancellation_is_never_retried() -> None:
    assert decide(RetryPolicy(), 1, Failure(message="x", kind=FailureKind.CANCELED)).delay is None


def test_no_retry_that_would_start_after_schedule_to_close() -> None:
    assert decide(RetryPolicy(), 3, stc=4.0).state == RetryState.TIMEOUT
    assert decide(RetryPolicy(), 3, stc=4.5).state == RetryState.IN_PROGRESS


def test_schedule_to_close_counts_from_the_first_scheduling() -> None:
    later = NOW + timedelta(seconds=9)
    decision = retry.decide(RetryPolicy(), 1, FAIL, now=later, scheduled_at=NOW, schedule_to_close=10.0)
    assert decision.state == RetryState.TIMEOUT


def test_workflow_task_retries_at_once_then_backs_off_to_ten_seconds() -> None:
    delays = [retry.workflow_task_backoff(a) for a in range(1, 10)]
    assert delays == [0.0, 0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_failure_naming_its_next_retry_delay_is_retried_after_it_rather_than_the_backoff() -> None:
    asked = FAIL.model_copy(update={"next_retry_delay": 42.0})
    assert decide(RetryPolicy(), 1, asked) == retry.RetryDecision(42.0, RetryState.IN_PROGRESS)
    # Still bounded by the policy's attempts and the activity's schedule-to-close.
    assert decide(RetryPolicy(maximum_attempts=1), 1, asked).delay is None
    assert decide(RetryPolicy(), 1, asked, stc=30.0) == retry.RetryDecision(None, RetryState.TIMEOUT)
