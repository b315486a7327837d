"""What a schedule is, as temporalio's dataclasses: its spec, policy, state and backfills.

Each type converts to and from its wire model (``legato.api.schedule.v1``) where
temporalio converts to and from protobuf. The wire has seconds where these have
``timedelta`` and empty strings where these have None; times sent without a time zone are
taken as UTC (as protobuf's ``Timestamp.FromDatetime`` takes them) and times read back are
UTC. The action a schedule takes is ``schedule_action``'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING

from legato._calls import seconds
from legato._client.schedule_action import ScheduleAction
from legato.api.schedule import v1 as wire

if TYPE_CHECKING:
    from legato.client import Client


class ScheduleOverlapPolicy(IntEnum):
    """What a start does while the schedule's last workflow still runs (Temporal's names and
    values; the wire sends the name)."""

    SKIP = 1
    """Start nothing; the next time after the running workflow closes is considered."""
    BUFFER_ONE = 2
    """Start once more as soon as the running workflow closes, however many times were due."""
    BUFFER_ALL = 3
    """Start every due time, one after the other, as the running workflows close."""
    CANCEL_OTHER = 4
    """Cancel the running workflow and start when its cancellation completes."""
    TERMINATE_OTHER = 5
    """Terminate the running workflow and start at once."""
    ALLOW_ALL = 6
    """Start regardless: runs overlap (and none sees the last one's result or failure)."""

    def _to_api(self) -> wire.ScheduleOverlapPolicy:
        return wire.ScheduleOverlapPolicy[self.name]

    @staticmethod
    def _from_api(policy: wire.ScheduleOverlapPolicy) -> ScheduleOverlapPolicy:
        # UNSPECIFIED means the server's default, which is SKIP.
        if policy is wire.ScheduleOverlapPolicy.UNSPECIFIED:
            return ScheduleOverlapPolicy.SKIP
        return ScheduleOverlapPolicy[policy.name]


def overlap_to_api(overlap: ScheduleOverlapPolicy | None) -> wire.ScheduleOverlapPolicy:
    """``overlap``, or UNSPECIFIED (the schedule's own policy) when None."""
    return overlap._to_api() if overlap else wire.ScheduleOverlapPolicy.UNSPECIFIED


def _aware(value: datetime) -> datetime:
    """``value`` as the wire takes it: a naive time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    """A time read from the wire, in UTC as temporalio gives it."""
    return _aware(value).astimezone(UTC)


def _duration(value: float | None) -> timedelta | None:
    """A wire duration; 0 (unset) is None."""
    return timedelta(seconds=value) if value else None


@dataclass(frozen=True)
class ScheduleRange:
    """Inclusive range of a calendar field: ``start`` to ``end`` every ``step``."""

    start: int
    """Inclusive start of the range."""
    end: int = 0
    """Inclusive end of the range; unset or less than ``start``: ``start``."""
    step: int = 0
    """Step between values; unset or 0: 1."""

    def __post_init__(self) -> None:
        """Make ``end`` and ``step`` what they mean, as temporalio does."""
        # Frozen: set past the dataclass's __setattr__.
        if self.end < self.start:
            object.__setattr__(self, "end", self.start)
        if self.step == 0:
            object.__setattr__(self, "step", 1)

    def _to_api(self) -> wire.ScheduleRange:
        return wire.ScheduleRange(start=self.start, end=self.end, step=self.step)

    @staticmethod
    def _from_api(raw: wire.ScheduleRange) -> ScheduleRange:
        return ScheduleRange(start=raw.start, end=raw.end, step=raw.step)


def _ranges_to_api(ranges: Sequence[ScheduleRange]) -> list[wire.ScheduleRange]:
    return [r._to_api() for r in ranges]


def _ranges_from_api(ranges: Sequence[wire.ScheduleRange]) -> Sequence[ScheduleRange]:
    return tuple(ScheduleRange._from_api(r) for r in ranges)


@dataclass
class ScheduleCalendarSpec:
    """Calendar times to act at: a time matches when each field has a range holding it
    (an empty ``year`` matches every year; any other field must have a range)."""

    second: Sequence[ScheduleRange] = (ScheduleRange(0),)
    """Seconds to match, 0-59; 0 by default."""
    minute: Sequence[ScheduleRange] = (ScheduleRange(0),)
    """Minutes to match, 0-59; 0 by default."""
    hour: Sequence[ScheduleRange] = (ScheduleRange(0),)
    """Hours to match, 0-23; 0 by default."""
    day_of_month: Sequence[ScheduleRange] = (ScheduleRange(1, 31),)
    """Days of the month to match, 1-31; all by default."""
    month: Sequence[ScheduleRange] = (ScheduleRange(1, 12),)
    """Months to match, 1-12; all by default."""
    year: Sequence[ScheduleRange] = ()
    """Years to match; every year when empty (the default)."""
    day_of_week: Sequence[ScheduleRange] = (ScheduleRange(0, 6),)
    """Days of the week to match, 0-6 with 0 Sunday; all by default."""
    comment: str | None = None
    """A description of these times."""

    def _to_api(self) -> wire.ScheduleCalendar:
        return wire.ScheduleCalendar(
            second=_ranges_to_api(self.second),
            minute=_ranges_to_api(self.minute),
            hour=_ranges_to_api(self.hour),
            day_of_month=_ranges_to_api(self.day_of_month),
            month=_ranges_to_api(self.month),
            year=_ranges_to_api(self.year),
            day_of_week=_ranges_to_api(self.day_of_week),
            comment=self.comment or "",
        )

    @staticmethod
    def _from_api(raw: wire.ScheduleCalendar) -> ScheduleCalendarSpec:
        return ScheduleCalendarSpec(
            second=_ranges_from_api(raw.second),
            minute=_ranges_from_api(raw.minute),
            hour=_ranges_from_api(raw.hour),
            day_of_month=_ranges_from_api(raw.day_of_month),
            month=_ranges_from_api(raw.month),
            year=_ranges_from_api(raw.year),
            day_of_week=_ranges_from_api(raw.day_of_week),
            comment=raw.comment or None,
        )


@dataclass
class ScheduleIntervalSpec:
    """Times ``epoch + n * every + offset``."""

    every: timedelta
    """The period."""
    offset: timedelta | None = None
    """Fixed shift of each period."""

    def _to_api(self) -> wire.ScheduleInterval:
        return wire.ScheduleInterval(every=self.every.total_seconds(), offset=seconds(self.offset) or 0.0)

    @staticmethod
    def _from_api(raw: wire.ScheduleInterval) -> ScheduleIntervalSpec:
        return ScheduleIntervalSpec(every=timedelta(seconds=raw.every), offset=_duration(raw.offset))


@dataclass
class ScheduleSpec:
    """When a schedule acts: the union of ``calendars``, ``intervals`` and
    ``cron_expressions``, minus ``skip``, between ``start_at`` and ``end_at``."""

    calendars: Sequence[ScheduleCalendarSpec] = dataclasses.field(default_factory=list)
    """Calendar times."""
    intervals: Sequence[ScheduleIntervalSpec] = dataclasses.field(default_factory=list)
    """Interval times."""
    cron_expressions: Sequence[str] = dataclasses.field(default_factory=list)
    """Cron strings (for moving from cron schedules; the server makes calendars of them)."""
    skip: Sequence[ScheduleCalendarSpec] = dataclasses.field(default_factory=list)
    """Calendar times not to act at."""
    start_at: datetime | None = None
    """No action before this time."""
    end_at: datetime | None = None
    """No action after this time."""
    jitter: timedelta | None = None
    """Each action is delayed by a random time up to this (but not past the next)."""
    time_zone_name: str | None = None
    """IANA time zone of the calendars and cron strings, e.g. ``US/Central``; UTC when None."""

    def _to_api(self) -> wire.ScheduleSpec:
        return wire.ScheduleSpec(
            calendars=[c._to_api() for c in self.calendars],
            intervals=[i._to_api() for i in self.intervals],
            cron_expressions=list(self.cron_expressions),
            skip=[c._to_api() for c in self.skip],
            start_at=_aware(self.start_at) if self.start_at else None,
            end_at=_aware(self.end_at) if self.end_at else None,
            jitter=seconds(self.jitter) or 0.0,
            time_zone_name=self.time_zone_name or "",
        )

    @staticmethod
    def _from_api(raw: wire.ScheduleSpec) -> ScheduleSpec:
        return ScheduleSpec(
            calendars=[ScheduleCalendarSpec._from_api(c) for c in raw.calendars],
            intervals=[ScheduleIntervalSpec._from_api(i) for i in raw.intervals],
            cron_expressions=list(raw.cron_expressions),
            skip=[ScheduleCalendarSpec._from_api(c) for c in raw.skip],
            start_at=utc(raw.start_at) if raw.start_at else None,
            end_at=utc(raw.end_at) if raw.end_at else None,
            jitter=_duration(raw.jitter),
            time_zone_name=raw.time_zone_name or None,
        )


@dataclass
class ScheduleBackfill:
    """A period whose actions are taken now, as if it were passing."""

    start_at: datetime
    """Start of the period (exclusive)."""
    end_at: datetime
    """End of the period (inclusive)."""
    overlap: ScheduleOverlapPolicy | None = None
    """The overlap policy of these actions; the schedule's when None."""

    def _to_api(self) -> wire.BackfillRequest:
        return wire.BackfillRequest(
            start_time=_aware(self.start_at), end_time=_aware(self.end_at), overlap_policy=overlap_to_api(self.overlap)
        )


@dataclass
class SchedulePolicy:
    """How a schedule acts."""

    overlap: ScheduleOverlapPolicy = dataclasses.field(default_factory=lambda: ScheduleOverlapPolicy.SKIP)
    """What an action does while the last one's workflow still runs."""
    catchup_window: timedelta | None = None
    """How far back a server that was unavailable takes the actions it missed; the
    server's default (a year) when None."""
    pause_on_failure: bool = False
    """Pause the schedule when an action's workflow fails or times out (after its retries)."""

    def _to_api(self) -> wire.SchedulePolicies:
        return wire.SchedulePolicies(
            overlap_policy=self.overlap._to_api(),
            catchup_window=seconds(self.catchup_window),
            pause_on_failure=self.pause_on_failure,
        )

    @staticmethod
    def _from_api(raw: wire.SchedulePolicies) -> SchedulePolicy:
        return SchedulePolicy(
            overlap=ScheduleOverlapPolicy._from_api(raw.overlap_policy),
            catchup_window=_duration(raw.catchup_window),
            pause_on_failure=raw.pause_on_failure,
        )


@dataclass
class ScheduleState:
    """Whether a schedule acts, and how many more times."""

    note: str | None = None
    """A human-readable note (the server may replace it, e.g. when pausing on a failure)."""
    paused: bool = False
    """Whether the schedule is paused."""
    limited_actions: bool = False
    """Whether each action counts ``remaining_actions`` down; on create, true exactly when
    ``remaining_actions`` is not 0."""
    remaining_actions: int = 0
    """Actions left; at 0 (with ``limited_actions``) the schedule acts no more by itself."""

    def _to_api(self) -> wire.ScheduleState:
        return wire.ScheduleState(
            notes=self.note or "",
            paused=self.paused,
            limited_actions=self.limited_actions,
            remaining_actions=self.remaining_actions,
        )

    @staticmethod
    def _from_api(raw: wire.ScheduleState) -> ScheduleState:
        return ScheduleState(
            note=raw.notes or None,
            paused=raw.paused,
            limited_actions=raw.limited_actions,
            remaining_actions=raw.remaining_actions,
        )


@dataclass
class Schedule:
    """A schedule: what it does, when, how, and its state."""

    action: ScheduleAction
    """The action each time takes."""
    spec: ScheduleSpec
    """When the action is taken."""
    policy: SchedulePolicy = dataclasses.field(default_factory=SchedulePolicy)
    """How the action is taken."""
    state: ScheduleState = dataclasses.field(default_factory=ScheduleState)
    """Paused or not, and how many actions are left."""

    async def _to_api(self, client: Client) -> wire.Schedule:
        return wire.Schedule(
            spec=self.spec._to_api(),
            action=await self.action._to_api(client),
            policies=self.policy._to_api(),
            state=self.state._to_api(),
        )

    @staticmethod
    def _from_api(raw: wire.Schedule) -> Schedule:
        return Schedule(
            action=ScheduleAction._from_api(raw.action),
            spec=ScheduleSpec._from_api(raw.spec),
            policy=SchedulePolicy._from_api(raw.policies),
            state=ScheduleState._from_api(raw.state),
        )
