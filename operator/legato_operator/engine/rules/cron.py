"""Calendars and the cron strings that describe them, read the two ways Temporal reads them.

A schedule's cron string (``ScheduleSpec.cron_strings``) is turned by Temporal's server into a
structured ``Calendar`` or an ``Interval`` (``to_calendars``); ``schedule_spec`` then computes
its times. A workflow's older ``cron_schedule=`` is read by robfig/cron v3 instead
(``parse``, ``cron_next``), which differs: exactly 5 fields, ``?`` allowed, exact three-letter
names, no 7 for Sunday, ``@every`` counted from the given time, and a day of month and a day of
week both restricted match when *either* does.

Also here, because both readings stand on them: the data types of a calendar, Go's duration
syntax, and Go's ``time.Date`` resolution of wall times across daylight-saving changes.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_YEAR = 2000
# Temporal looks no further than 2100 for a calendar time, nor fires an interval after it.
MAX_YEAR = 2100
BOUNDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_month": (1, 31),
    "month": (1, 12),
    "year": (MIN_YEAR, MAX_YEAR),
    "day_of_week": (0, 6),
}


class SpecError(ValueError):
    """A spec or cron string Temporal would refuse; the message names the field and the value."""


@dataclass(frozen=True)
class Range:
    """``start`` to ``end`` inclusive, every ``step``: Temporal's ``ScheduleRange``. An ``end``
    before ``start`` means just ``start``; a ``step`` of 0 means 1."""

    start: int
    end: int = 0
    step: int = 1

    def cleaned(self) -> Range:
        """The same range with its defaults written out, as Temporal's describe returns it."""
        return Range(self.start, max(self.end, self.start), self.step or 1)

    def values(self) -> range:
        cleaned = self.cleaned()
        return range(cleaned.start, cleaned.end + 1, cleaned.step)


@dataclass(frozen=True)
class Calendar:
    """Temporal's ``ScheduleCalendarSpec``: a time matches when every field holds one of its
    values. An empty field matches nothing, except ``year``, where empty means every year."""

    second: tuple[Range, ...] = (Range(0),)
    minute: tuple[Range, ...] = (Range(0),)
    hour: tuple[Range, ...] = (Range(0),)
    day_of_month: tuple[Range, ...] = (Range(1, 31),)
    month: tuple[Range, ...] = (Range(1, 12),)
    year: tuple[Range, ...] = ()
    day_of_week: tuple[Range, ...] = (Range(0, 6),)  # 0 is Sunday
    comment: str = ""


@dataclass(frozen=True)
class Interval:
    """Every ``every`` since the Unix epoch, shifted by ``offset`` (whole seconds count)."""

    every: timedelta
    offset: timedelta = timedelta(0)


def to_calendars(expression: str) -> tuple[tuple[Calendar, ...], tuple[Interval, ...], str]:
    """One schedule cron string as Temporal's server reads it: (calendars, intervals, time zone).

    Accepted: 5 fields (minute hour day-of-month month day-of-week), 6 (then a year) or 7 (a
    second first); ``*``, lists, ``a-b`` and ``/step`` ranges; month names of three letters or
    more and weekday names of two or more (prefixes, any case); 0 or 7 for Sunday; ``@yearly``
    ``@annually`` ``@monthly`` ``@weekly`` ``@daily`` ``@midnight`` ``@hourly``; ``@every 90m``
    or ``@every 1d/2h`` (an offset); a ``CRON_TZ=`` or ``TZ=`` prefix; a ``# comment`` suffix.
    Refused, as by Temporal: ``?``, ``L``, ``W``. Day of month and day of week must both match.
    """
    text = expression.strip()
    zone_name = ""
    if text.startswith(("TZ=", "CRON_TZ=")):
        prefix, sep, text = text.partition(" ")
        if not sep:
            raise SpecError(f"{expression!r}: a time zone but no fields")
        zone_name = prefix.partition("=")[2]
    text, _, comment = text.partition("#")
    text, comment = text.strip(), comment.strip()
    # Temporal drops a CRON_TZ= given with @every: an interval has no time zone.
    if text.startswith("@every"):
        return (), (_every(expression, text),), ""
    fields = _PREDEFINED.get(text, text).split()
    if len(fields) not in _LAYOUTS:
        raise SpecError(f"{expression!r}: has {len(fields)} fields; a cron string has 5, 6 or 7")
    texts = {**_DEFAULTS, **dict(zip(_LAYOUTS[len(fields)], fields, strict=True))}
    try:
        ranges = {name: _field(name, texts[name]) for name in _DEFAULTS}
    except SpecError as e:
        raise SpecError(f"{expression!r}: {e}") from None
    return (Calendar(**ranges, comment=comment),), (), zone_name


def go_duration(text: str, *, days: bool = True) -> timedelta:
    """A Go duration (``1h30m``, ``90s``, ``1.5h``); with ``days``, Temporal's ``d`` (24 hours)."""
    body = _DAYS.sub(lambda m: f"{float(m[1]) * 24:f}h", text) if days else text
    sign = -1 if body.startswith("-") else 1
    if body[:1] in ("+", "-"):
        body = body[1:]
    nanos, pos = Decimal(0), 0
    while body != "0" and pos < len(body):
        part = _DURATION_PART.match(body, pos)
        if part is None or part[1] in ("", "."):
            break
        nanos, pos = nanos + _decimal(part[1]) * _NANOS[part[2]], part.end()
    if not body or (body != "0" and pos < len(body)):
        raise SpecError(f"{text!r} is not a duration (write it as 1h30m, 90s{' or 2d' if days else ''})")
    return timedelta(microseconds=sign * int(nanos / 1000))


def zone(name: str) -> tzinfo:
    """The time zone Go's ``time.LoadLocation`` would load: "" and "UTC" are UTC."""
    if name in ("", "UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecError(f"unknown time zone {name!r}") from None


# --- Temporal's reading of a schedule cron string (its calendar.go) -------------------------

_PREDEFINED = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FIVE = ("minute", "hour", "day_of_month", "month", "day_of_week")
_LAYOUTS = {5: _FIVE, 6: (*_FIVE, "year"), 7: ("second", *_FIVE, "year")}
_DEFAULTS = {
    "second": "0",
    "minute": "0",
    "hour": "0",
    "day_of_month": "*",
    "month": "*",
    "year": "*",
    "day_of_week": "*",
}
# In cron text a weekday may be 7 (Sunday again); it is folded into 0.
_TEXT_BOUNDS = {**BOUNDS, "day_of_week": (0, 7)}
_MONTHS: tuple[str, ...] = ("january", "february", "march", "april", "may", "june")
_MONTHS += ("july", "august", "september", "october", "november", "december")
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _field(name: str, text: str) -> tuple[Range, ...]:
    if name == "year" and text == "*":
        return ()
    return tuple(r for part in text.split(",") for r in _part(name, part))


def _part(name: str, part: str) -> list[Range]:
    low, high = _TEXT_BOUNDS[name]
    label = name.replace("_", " ")
    part, slash, step_text = part.partition("/")
    step = _go_atoi(label, step_text) if slash else 1
    if step < 1:
        raise SpecError(f"{label} step {step} is not positive")
    if part == "*":
        start, end = low, high
    elif "-" in part:
        first, _, last = part.partition("-")
        start, end = _value(name, first, low, high), _value(name, last, low, high)
        if end < start:
            raise SpecError(f"{label} range {part!r} ends before it starts")
    else:
        # A single value with a step runs to the field's maximum: 5/20 is 5-59/20.
        start = _value(name, part, low, high)
        end = high if slash else start
    return _sunday_folded(start, step) if name == "day_of_week" and end == 7 else [Range(start, end, step)]


def _sunday_folded(start: int, step: int) -> list[Range]:
    """A weekday range ending at 7 with the 7 made a 0, exactly as Temporal does it. Temporal
    adds the 0 only when the range steps onto 7 and starts after Monday, so ``1-7`` is Monday to
    Saturday: Sunday is lost there, and Legato loses it too."""
    sunday = [Range(0)] if (7 - start) % step == 0 and (step > 1 or start > 1) else []
    return sunday if start == 7 else [*sunday, Range(start, 6, step)]


def _value(name: str, text: str, low: int, high: int) -> int:
    label = name.replace("_", " ")
    names, shortest = {"month": (_MONTHS, 3), "day_of_week": (_WEEKDAYS, 2)}.get(name, ((), 0))
    found = [i for i, n in enumerate(names) if len(text) >= shortest and n.startswith(text.lower())]
    value = (found[0] + (1 if name == "month" else 0)) if found else _go_atoi(label, text)
    if not low <= value <= high:
        raise SpecError(f"{label} {value} is out of range {low}-{high}")
    return value


def _go_atoi(label: str, text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise SpecError(f"{label} {text!r} is not a number{' or a name' if label in ('month', 'day of week') else ''}")
    return int(text)


def _every(expression: str, text: str) -> Interval:
    _, sep, durations = text.partition(" ")
    if not sep:
        raise SpecError(f"{expression!r}: @every without a duration")
    every, _, offset = durations.partition("/")
    try:
        return Interval(go_duration(every), go_duration(offset) if offset else timedelta(0))
    except SpecError as e:
        raise SpecError(f"{expression!r}: {e}") from None


_DAYS = re.compile(r"([0-9]+(\.[0-9]*)?|(\.[0-9]+))d")
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_NANOS = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise SpecError(f"{text!r} is not a number") from None


# --- robfig/cron v3, which reads a workflow's cron_schedule= ---------------------------------


@dataclass(frozen=True)
class CronSchedule:
    """A ``cron_schedule=`` as robfig's ``ParseStandard`` reads it. ``any_day_of_month`` and
    ``any_day_of_week`` record a ``*`` or ``?`` (robfig's star bit): unless one is set, a day
    matches when its day of month *or* its weekday does. ``every`` (seconds) is an ``@every``."""

    zone: tzinfo
    minute: frozenset[int] = frozenset()
    hour: frozenset[int] = frozenset()
    day_of_month: frozenset[int] = frozenset()
    month: frozenset[int] = frozenset()
    day_of_week: frozenset[int] = frozenset()
    any_day_of_month: bool = False
    any_day_of_week: bool = False
    every: int = 0


def parse(expression: str) -> CronSchedule:
    """Read a workflow's ``cron_schedule=``; raises ``SpecError`` where Temporal refuses it."""
    text, where = expression, zone("")
    if text.startswith(("TZ=", "CRON_TZ=")):
        if " " not in text:
            raise SpecError(f"cron_schedule {expression!r}: a time zone but no fields")
        name, _, text = text.partition("=")[2].partition(" ")
        where, text = zone(name), text.strip()
    if text.startswith("@every "):
        # robfig rounds an @every down to whole seconds, and up to at least one.
        every = go_duration(text.removeprefix("@every "), days=False) // timedelta(seconds=1)
        return CronSchedule(zone=where, every=max(every, 1))
    fields = _PREDEFINED.get(text, text).split()
    if (text.startswith("@") and text not in _PREDEFINED) or len(fields) != 5:
        raise SpecError(f"cron_schedule {expression!r}: not 5 fields nor a known @descriptor")
    try:
        parsed = {name: _robfig_field(name, value) for name, value in zip(_FIVE, fields, strict=True)}
    except SpecError as e:
        raise SpecError(f"cron_schedule {expression!r}: {e}") from None
    return CronSchedule(
        zone=where,
        minute=parsed["minute"][0],
        hour=parsed["hour"][0],
        day_of_month=parsed["day_of_month"][0],
        month=parsed["month"][0],
        day_of_week=parsed["day_of_week"][0],
        any_day_of_month=parsed["day_of_month"][1],
        any_day_of_week=parsed["day_of_week"][1],
    )


def cron_next(expression: str, after: datetime) -> datetime | None:
    """The first time after ``after`` that ``cron_schedule=expression`` fires, in UTC; None when
    robfig finds none within five years (Temporal refuses such a schedule at start)."""
    return next_after(parse(expression), after)


def next_after(schedule: CronSchedule, after: datetime) -> datetime | None:
    """robfig's ``Schedule.Next``: the first whole second after ``after`` that matches."""
    start = unix(after)
    if schedule.every:
        return utc(start + schedule.every)
    walk = _Walk(schedule, start + 1)
    return utc(walk.t) if walk.run() else None


_ROBFIG_NAMES = {
    "month": {n[:3]: i + 1 for i, n in enumerate(_MONTHS)},
    "day_of_week": {n[:3]: i for i, n in enumerate(_WEEKDAYS)},
}


def _robfig_field(name: str, text: str) -> tuple[frozenset[int], bool]:
    ranges = [_robfig_range(name, expr) for expr in text.split(",") if expr]
    return frozenset(v for values, _ in ranges for v in values), any(star for _, star in ranges)


def _robfig_range(name: str, expr: str) -> tuple[range, bool]:
    low, high = BOUNDS[name]
    label, names = name.replace("_", " "), _ROBFIG_NAMES.get(name, {})
    range_part, slash, step_text = expr.partition("/")
    first, dash, last = range_part.partition("-")
    star = first in ("*", "?")
    if star:
        start, end = low, high
    else:
        start = _robfig_int(label, first, names)
        end = _robfig_int(label, last, names) if dash else start
    step = _robfig_int(label, step_text, {}) if slash else 1
    if slash and not dash:
        end = high
    if ("-" in last and not star) or "/" in step_text or not low <= start <= end <= high or step == 0:
        raise SpecError(f"{label} {expr!r} is not a range within {low}-{high}")
    # A step other than 1 takes away the star, so */2 restricts the day as 1-31/2 would.
    return range(start, end + 1, step), star and step <= 1


def _robfig_int(label: str, text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    value = _go_atoi(label, text)
    if value < 0:
        raise SpecError(f"{label} {value} is negative")
    return value


@dataclass
class _Walk:
    """robfig's search, field by field from the month in; a field that wraps around (December
    to January, the 31st to the 1st...) starts it again from the month."""

    schedule: CronSchedule
    t: int
    added: bool = False

    def run(self) -> bool:
        limit = self.local().year + 5
        while self.local().year <= limit:
            if not (self.month() or self.day() or self.hour() or self.minute() or self.second()):
                return True
        return False

    def local(self) -> datetime:
        return local_time(self.t, self.schedule.zone)

    def start_at(self, y: int, mo: int, d: int, h: int = 0) -> None:
        # The first change of a field moves to the start of it; later ones keep counting.
        if not self.added:
            self.added, self.t = True, go_date(self.schedule.zone, y, mo, d, h)

    def month(self) -> bool:
        while (now := self.local()).month not in self.schedule.month:
            self.start_at(now.year, now.month, 1)
            now = self.local()
            self.t = go_date(self.schedule.zone, now.year, now.month + 1, now.day, now.hour, now.minute, now.second)
            if self.local().month == 1:
                return True
        return False

    def day(self) -> bool:
        while not self.day_matches(now := self.local()):
            self.start_at(now.year, now.month, now.day)
            now = self.local()
            self.t = go_date(self.schedule.zone, now.year, now.month, now.day + 1, now.hour, now.minute, now.second)
            # A DST change at midnight moves the day's start: back to midnight, robfig's way.
            hour = self.local().hour
            self.t += (24 - hour) * 3600 if hour > 12 else -hour * 3600
            if self.local().day == 1:
                return True
        return False

    def day_matches(self, now: datetime) -> bool:
        s = self.schedule
        in_month, in_week = now.day in s.day_of_month, now.isoweekday() % 7 in s.day_of_week
        return in_month and in_week if s.any_day_of_month or s.any_day_of_week else in_month or in_week

    def hour(self) -> bool:
        while (now := self.local()).hour not in self.schedule.hour:
            self.start_at(now.year, now.month, now.day, now.hour)
            self.t += 3600
            if self.local().hour == 0:
                return True
        return False

    def minute(self) -> bool:
        while self.local().minute not in self.schedule.minute:
            if not self.added:
                self.added, self.t = True, self.t - self.t % 60
            self.t += 60
            if self.local().minute == 0:
                return True
        return False

    def second(self) -> bool:
        # robfig's standard parser fixes the second at 0.
        while self.local().second != 0:
            self.added, self.t = True, self.t + 1
            if self.local().second == 0:
                return True
        return False


# --- time as Go's time package computes it ---------------------------------------------------

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def go_date(where: tzinfo, y: int, mo: int, d: int, h: int = 0, m: int = 0, s: int = 0) -> int:
    """Go's ``time.Date`` as Unix seconds, fields out of range carried over. A wall time that a
    DST change skips or repeats resolves through the offset in force at that wall time read as
    UTC (not Python's ``fold``): the first copy west of Greenwich, the second east of it."""
    y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
    wall = (date(y, mo, 1).toordinal() - _EPOCH_ORDINAL + d - 1) * 86400 + h * 3600 + m * 60 + s
    return wall - _offset(wall - _offset(wall, where), where)


def local_time(seconds: int, where: tzinfo) -> datetime:
    return datetime.fromtimestamp(seconds, where)


def days_in_month(year: int, month: int) -> int:
    """Go's (Temporal's) count, which also answers for the month 13 a carry passes through."""
    if month == 2:
        return 29 if _calendar.isleap(year) else 28
    return 30 + ((0b1010110101010 >> month) & 1)


def unix(t: datetime) -> int:
    """Whole Unix seconds of an aware datetime, rounded down."""
    return (t - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _offset(seconds: int, where: tzinfo) -> int:
    return int((local_time(seconds, where).utcoffset() or timedelta(0)).total_seconds())
