"""Options shared by workflows, activities and the client."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato.api.workflowservice import v1 as api
from legato.common import RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy


def test_retry_policy_defaults_are_temporals() -> None:
    policy = RetryPolicy()
    assert policy.initial_interval == timedelta(seconds=1)
    assert policy.backoff_coefficient == 2.0
    assert policy.maximum_interval is None
    assert policy.maximum_attempts == 0
    assert policy.non_retryable_error_types is None


def test_retry_policy_accepts_max_attempts_as_an_alias() -> None:
    assert RetryPolicy(max_attempts=3) == RetryPolicy(maximum_attempts=3)


def test_retry_policy_refuses_both_attempt_spellings_disagreeing() -> None:
    with pytest.raises(TypeError, match="both max_attempts and maximum_attempts"):
        RetryPolicy(maximum_attempts=2, max_attempts=3)


def test_retry_policy_wire_form_is_in_seconds_and_round_trips() -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(milliseconds=200),
        maximum_interval=timedelta(seconds=3),
        maximum_attempts=4,
        non_retryable_error_types=["StolenCard"],
    )
    wire = policy.to_api()
    assert (wire.initial_interval, wire.maximum_interval, wire.maximum_attempts) == (0.2, 3.0, 4)
    assert RetryPolicy.from_api(wire) == policy


def test_retry_policy_out_of_range_field_is_named() -> None:
    with pytest.raises(ValueError, match="backoff_coefficient"):
        RetryPolicy(backoff_coefficient=0.5).to_api()


def test_every_id_policy_member_maps_to_the_wire() -> None:
    for conflict in WorkflowIDConflictPolicy:
        assert conflict.to_api().value == conflict.name
    for reuse in WorkflowIDReusePolicy:
        assert reuse.to_api().value == reuse.name
    assert WorkflowIDConflictPolicy.UNSPECIFIED.to_api() is api.IdConflictPolicy.UNSPECIFIED
