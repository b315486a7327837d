"""The deadline poll every test waits with: what it returns, how it fails."""

from __future__ import annotations

import itertools

import pytest

from tests.support.deadline import DeadlineExceeded, eventually, wait_until


async def test_eventually_returns_the_first_truthy_value_of_a_plain_check() -> None:
    calls = itertools.count(1)
    assert await eventually(lambda: next(calls) >= 3, within=5, what="the third call") is True
    assert next(calls) == 4


async def test_eventually_awaits_a_check_that_returns_an_awaitable() -> None:
    calls = itertools.count(1)

    async def third() -> str | None:
        return "third" if next(calls) == 3 else None

    assert await eventually(third, within=5, what="the third call") == "third"


async def test_eventually_fails_naming_what_it_awaited() -> None:
    with pytest.raises(DeadlineExceeded, match=r"timed out after 0.1s waiting for the moon"):
        await eventually(lambda: False, within=0.1, what="the moon")


def test_wait_until_fails_naming_what_it_awaited_and_as_an_assertion() -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0.1s waiting for the moon"):
        wait_until(lambda: None, within=0.1, what="the moon")
