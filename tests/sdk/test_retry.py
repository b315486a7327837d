"""Which failed calls the SDK tries again, and how long it waits in between."""

from __future__ import annotations

import dataclasses

import pytest

from legato import _retry
from legato.api import operations as ops
from legato.exceptions import RPCError, RPCStatusCode
from legato.service import RetryConfig


def test_retry_config_has_temporals_fields_and_defaults() -> None:
    # As temporalio.service.RetryConfig (1.35) declares them.
    assert {f.name: f.default for f in dataclasses.fields(RetryConfig)} == {
        "initial_interval_millis": 100,
        "randomization_factor": 0.2,
        "multiplier": 1.5,
        "max_interval_millis": 5000,
        "max_elapsed_time_millis": 10000,
        "max_retries": 10,
    }


def error(status: RPCStatusCode) -> RPCError:
    return RPCError("failed", status, b"")


@pytest.mark.parametrize(
    ("status", "idempotent", "retried"),
    [
        (RPCStatusCode.UNAVAILABLE, False, True),
        (RPCStatusCode.RESOURCE_EXHAUSTED, False, True),
        (RPCStatusCode.DEADLINE_EXCEEDED, True, True),
        # No answer in time: the server may have done it; only a harmless repeat is made.
        (RPCStatusCode.DEADLINE_EXCEEDED, False, False),
        (RPCStatusCode.INTERNAL, True, False),
        (RPCStatusCode.INVALID_ARGUMENT, True, False),
        (RPCStatusCode.NOT_FOUND, True, False),
        (RPCStatusCode.UNAUTHENTICATED, True, False),
    ],
)
def test_only_transient_errors_are_retried(status: RPCStatusCode, idempotent: bool, retried: bool) -> None:
    assert _retry.is_retryable(error(status), idempotent=idempotent) is retried


def test_reads_and_deduplicated_calls_are_idempotent_and_terminate_is_not() -> None:
    for op in ops.OPERATIONS:
        repeat_is_harmless = (
            op.method == "GET"
            or "request_id" in op.request.model_fields
            or "task_token" in op.request.model_fields
            # An update id deduplicates the update (and names the one a poll waits for).
            or "update_id" in op.request.model_fields
            or op.may_be_empty
            or op is ops.CANCEL_WORKFLOW
            # Setting the same values (or registering the same types) again changes nothing.
            or op in (ops.UPDATE_NAMESPACE, ops.ADD_SEARCH_ATTRIBUTES)
        )
        assert op.idempotent is repeat_is_harmless, op.name
    assert not ops.TERMINATE_WORKFLOW.idempotent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def delays(config: RetryConfig, *, jitter: float = 0.5, limit: int = 100) -> list[float]:
    """The waits a call that always fails would get, its tries taking no time."""
    clock = Clock()
    backoff = _retry.Backoff(config, clock=clock, jitter=lambda: jitter)
    found = []
    for _ in range(limit):
        delay = backoff.next_delay()
        if delay is None:
            break
        found.append(round(delay, 4))
        clock.now += delay
    return found


def test_the_default_backoff_grows_by_half_up_to_ten_tries_within_ten_seconds() -> None:
    waits = delays(RetryConfig())
    assert waits == pytest.approx([0.1, 0.15, 0.225, 0.3375, 0.5063, 0.7594, 1.1391, 1.7086, 2.5629], abs=1e-3)
    # Ten tries in all; the next wait (3.8 s) would start a try after the 10 s limit anyway.
    assert sum(waits) < 10


def test_jitter_stays_within_the_randomization_factor() -> None:
    config = RetryConfig(max_elapsed_time_millis=None, max_retries=0)
    low, high = delays(config, jitter=0.0, limit=3), delays(config, jitter=1.0, limit=3)
    assert low == [0.08, 0.12, 0.18]
    assert high == [0.12, 0.18, 0.27]


def test_no_try_starts_after_the_elapsed_time_limit() -> None:
    waits = delays(RetryConfig(initial_interval_millis=1000, multiplier=1.0, max_elapsed_time_millis=3500))
    assert waits == [1.0, 1.0, 1.0]


def test_zero_max_retries_and_no_elapsed_limit_retry_forever_at_the_longest_interval() -> None:
    waits = delays(RetryConfig(max_elapsed_time_millis=None, max_retries=0), limit=50)
    assert len(waits) == 50
    assert waits[-1] == 5.0


async def test_a_call_is_tried_again_until_it_succeeds() -> None:
    failures = iter([error(RPCStatusCode.UNAVAILABLE)] * 2)

    async def call() -> str:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return "done"

    fast = RetryConfig(initial_interval_millis=1)
    assert await _retry.call(call, config=fast, idempotent=False, what="a test call") == "done"


async def test_a_call_that_keeps_failing_raises_its_last_error_after_max_retries_tries() -> None:
    tries = 0

    async def call() -> None:
        nonlocal tries
        tries += 1
        raise error(RPCStatusCode.UNAVAILABLE)

    with pytest.raises(RPCError):
        await _retry.call(call, config=RetryConfig(initial_interval_millis=1, max_retries=3), idempotent=True, what="x")
    assert tries == 3


async def test_an_answer_is_not_tried_again() -> None:
    tries = 0

    async def call() -> None:
        nonlocal tries
        tries += 1
        raise error(RPCStatusCode.INVALID_ARGUMENT)

    with pytest.raises(RPCError):
        await _retry.call(call, config=RetryConfig(initial_interval_millis=1), idempotent=True, what="x")
    assert tries == 1
