"""Where a time-skipping clock may jump, decided from what the database says is outstanding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from legato_operator import clock
from legato_operator.engine.services.time_skipping import TimeSkipper
from legato_operator.store.time_skipping import Outlook

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _skipper() -> TimeSkipper:
    return TimeSkipper(clock.Clock())


def test_the_clock_jumps_to_the_next_timer_when_nothing_is_outstanding() -> None:
    assert _skipper().target(Outlook(busy=False, next_due=NOW + HOUR), NOW) == NOW + HOUR


def test_the_clock_stays_while_a_task_is_ready_or_running() -> None:
    assert _skipper().target(Outlook(busy=True, next_due=NOW + HOUR), NOW) is None


def test_the_clock_stays_while_a_due_timer_has_not_fired() -> None:
    assert _skipper().target(Outlook(busy=False, next_due=NOW - HOUR), NOW) is None


def test_the_clock_stays_when_there_is_nothing_to_jump_to() -> None:
    assert _skipper().target(Outlook(busy=False, next_due=None), NOW) is None


def test_a_sleeper_before_the_next_timer_bounds_the_jump() -> None:
    skipper = _skipper()
    skipper._sleepers.append(NOW + HOUR)
    assert skipper.target(Outlook(busy=False, next_due=NOW + 5 * HOUR), NOW) == NOW + HOUR
    assert skipper.target(Outlook(busy=False, next_due=None), NOW) == NOW + HOUR


def test_the_clock_starts_locked_and_is_free_once_unlocked_as_often_as_locked() -> None:
    skipper = _skipper()
    assert not skipper.free
    skipper.lock()
    skipper.unlock()
    assert not skipper.free
    skipper.unlock()
    assert skipper.free
