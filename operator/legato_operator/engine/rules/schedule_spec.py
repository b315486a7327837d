"""When a schedule fires: a Temporal ``ScheduleSpec`` compiled once, then its next nominal time and
that time's jitter, computed as Temporal's server computes them (its scheduler's spec.go and
calendar.go), so a schedule moved from Temporal to Legato fires at the same instants.

A spec fires at the union of its calendars and intervals (cron strings become one or the other
when compiled, see ``cron``), minus the times a skip calendar matches, within ``[start_at,
end_at]`` (both ends included). Times have one-second resolution. Calendars are read in the
spec's time zone; across a daylight-saving change a wall time that does not exist never fires,
and one that happens twice fires as Temporal's Go code resolves it: twice in New York, once in
Berlin. Intervals count from the Unix epoch, plus their offset, whatever the time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo

from legato_operator.engine.rules import cron

# The calendar types and the cron reading are cron's; these names are the spec's vocabulary.
Range = cron.Range
Calendar = cron.Calendar
Interval = cron.Interval
SpecError = cron.SpecError
MAX_COMMENT = 200
# Temporal bounds the search past skipped times too; a spec whose skips swallow this many
# times in a row (fewer the more calendars it has: each costs every candidate) is treated
# as having no next time. A day of minutes is 1,440; a day of seconds 86,400 is past it.
MAX_SKIPPED = 50_000
MIN_SKIPPED = 2_500


@dataclass(frozen=True)
class Spec:
    """Temporal's ``ScheduleSpec``; an empty ``time_zone_name`` is UTC."""

    calendars: tuple[Calendar, ...] = ()
    intervals: tuple[Interval, ...] = ()
    cron_expressions: tuple[str, ...] = ()
    skip: tuple[Calendar, ...] = ()
    start_at: datetime | None = None
    end_at: datetime | None = None
    jitter: timedelta = timedelta(0)
    time_zone_name: str = ""


@dataclass(frozen=True)
class CompiledSpec:
    """A validated spec, ready to answer ``next_time``. ``spec`` is its canonical form, the one
    Temporal's describe returns: cron strings turned into calendars and intervals, and the time
    zone a ``CRON_TZ=`` gave."""

    spec: Spec
    zone: tzinfo = field(repr=False)
    calendars: tuple[_Matcher, ...] = field(repr=False)
    skips: tuple[_Matcher, ...] = field(repr=False)
    intervals: tuple[tuple[int, int], ...] = field(repr=False)  # (every, offset) in seconds


def compile(spec: Spec) -> CompiledSpec:
    """Validate ``spec`` once and prepare it for ``next_time``; raises ``SpecError``."""
    for i, cal in enumerate(spec.calendars):
        _check_calendar(f"spec.calendars[{i}]", cal)
    for i, cal in enumerate(spec.skip):
        _check_calendar(f"spec.skip[{i}]", cal)
    for i, interval in enumerate(spec.intervals):
        _check_interval(f"spec.intervals[{i}]", interval)
    if spec.start_at and spec.end_at and spec.end_at < spec.start_at:
        raise SpecError(f"spec.end_at: {spec.end_at.isoformat()} is before start_at {spec.start_at.isoformat()}")
    canonical = _with_crons_expanded(spec)
    try:
        zone = cron.zone(canonical.time_zone_name)
    except SpecError as e:
        raise SpecError(f"spec.time_zone_name: {e}") from None
    return CompiledSpec(
        spec=canonical,
        zone=zone,
        calendars=tuple(_Matcher.of(cal, zone) for cal in canonical.calendars),
        skips=tuple(_Matcher.of(cal, zone) for cal in canonical.skip),
        intervals=tuple((_seconds(i.every), _seconds(i.offset)) for i in canonical.intervals),
    )


def next_time(compiled: CompiledSpec, after: datetime) -> datetime | None:
    """The first nominal time strictly after ``after`` (aware), in UTC; None when none is left."""
    start, end = compiled.spec.start_at, compiled.spec.end_at
    # Before start_at, search from just before it, so that start_at itself can fire.
    cursor = max(cron.unix(after), (cron.unix(start) if start else 0) - 1)
    # Each candidate costs a look at every calendar: the bound is on the work, not the count.
    for _ in range(max(MIN_SKIPPED, MAX_SKIPPED // max(1, len(compiled.calendars) + len(compiled.intervals)))):
        nominal = _raw_next(compiled, cursor)
        if nominal is None or (end and cron.utc(nominal) > end) or cron.utc(nominal).year > cron.MAX_YEAR:
            return None
        if not any(skip.matches(nominal) for skip in compiled.skips):
            return cron.utc(nominal)
        cursor = nominal
    return None


def jittered(compiled: CompiledSpec, nominal: datetime, seed: str) -> datetime:
    """``nominal`` delayed by Temporal's jitter: a hash of the time and ``seed`` picks a point in
    ``[0, jitter)``, and never as far as the following nominal time. Temporal's server seeds it
    with ``"<namespace id>-<schedule id>"``; pass the same to fire at Temporal's instant."""
    unix = cron.unix(nominal)
    limit = compiled.spec.jitter
    following = _raw_next(compiled, unix)
    if following is not None:
        limit = min(limit, timedelta(seconds=following - unix))
    limit_ms = min(max(limit // timedelta(milliseconds=1), 0), 0xFFFFFFFF)
    # Temporal's formula: 32 bits of farmhash scale the limit, in milliseconds (up to 49 days).
    hashed = fingerprint32(_go_time_binary(unix) + seed.encode())
    return nominal + timedelta(milliseconds=(hashed * limit_ms) >> 32)


def cron_to_calendars(expression: str) -> tuple[tuple[Calendar, ...], tuple[Interval, ...], str]:
    """One cron string as the calendars, intervals and time zone Temporal's describe returns."""
    calendars, intervals, zone_name = cron.to_calendars(expression)
    cleaned = tuple(_cleaned(cal) for cal in calendars)
    return cleaned, intervals, zone_name


def _cleaned(cal: Calendar) -> Calendar:
    def clean(ranges: tuple[Range, ...]) -> tuple[Range, ...]:
        return tuple(r.cleaned() for r in ranges)

    return Calendar(
        second=clean(cal.second),
        minute=clean(cal.minute),
        hour=clean(cal.hour),
        day_of_month=clean(cal.day_of_month),
        month=clean(cal.month),
        year=clean(cal.year),
        day_of_week=clean(cal.day_of_week),
        comment=cal.comment,
    )


def fingerprint32(data: bytes) -> int:
    """farmhash's Fingerprint32 (Go's dgryski/go-farm), which Temporal's jitter is made of."""
    n = len(data)
    if n <= 4:
        return _farm_0_to_4(data)
    if n <= 12:
        return _farm_5_to_12(data)
    if n <= 24:
        return _farm_13_to_24(data)
    return _farm_long(data)


# --- validation and canonical form ---------------------------------------------------------


def _check_calendar(where: str, cal: Calendar) -> None:
    for name, (low, high) in cron.BOUNDS.items():
        for i, r in enumerate(getattr(cal, name)):
            _check_range(f"{where}.{name}[{i}]", r, low, high)
    if len(cal.comment) > MAX_COMMENT:
        raise SpecError(f"{where}.comment: {len(cal.comment)} characters, over the limit of {MAX_COMMENT}")


def _check_range(where: str, r: Range, low: int, high: int) -> None:
    if not low <= r.start <= high:
        raise SpecError(f"{where}: start {r.start} is out of range {low}-{high}")
    # Temporal reads an end before the start as the start alone, and accepts it.
    if r.end > high:
        raise SpecError(f"{where}: end {r.end} is out of range {low}-{high}")
    if r.step < 0:
        raise SpecError(f"{where}: step {r.step} is negative")


def _check_interval(where: str, interval: Interval) -> None:
    if interval.every < timedelta(seconds=1):
        raise SpecError(f"{where}.every: {interval.every} is under one second")
    if interval.offset < timedelta(0):
        raise SpecError(f"{where}.offset: {interval.offset} is negative")
    if interval.offset >= interval.every:
        raise SpecError(f"{where}.offset: {interval.offset} is not less than every ({interval.every})")


def _with_crons_expanded(spec: Spec) -> Spec:
    """Cron strings appended as calendars and intervals, after the spec's own (Temporal's order)."""
    calendars, intervals = list(spec.calendars), list(spec.intervals)
    zones: set[str] = set()
    for i, expression in enumerate(spec.cron_expressions):
        try:
            cals, ivs, zone_name = cron_to_calendars(expression)
            for interval in ivs:
                _check_interval("@every", interval)
        except SpecError as e:
            raise SpecError(f"spec.cron_expressions[{i}]: {e}") from None
        calendars, intervals, zones = [*calendars, *cals], [*intervals, *ivs], {*zones, zone_name}
    # All cron strings name the same time zone (or none), and it agrees with the spec's.
    if len(zones) > 1 or (zones - {"", spec.time_zone_name} and spec.time_zone_name):
        raise SpecError(f"spec.cron_expressions: conflicting time zones {sorted(zones | {spec.time_zone_name})}")
    zone_name = spec.time_zone_name or next(iter(zones), "")
    return replace(
        spec, calendars=tuple(calendars), intervals=tuple(intervals), cron_expressions=(), time_zone_name=zone_name
    )


# --- a calendar's next time (Temporal's compiledCalendar.next) -------------------------------


@dataclass(frozen=True)
class _Matcher:
    """One calendar's fields as sets, read in ``zone``; ``years`` None matches every year."""

    zone: tzinfo
    second: frozenset[int]
    minute: frozenset[int]
    hour: frozenset[int]
    day_of_month: frozenset[int]
    month: frozenset[int]
    day_of_week: frozenset[int]
    years: frozenset[int] | None

    @classmethod
    def of(cls, cal: Calendar, zone: tzinfo) -> _Matcher:
        def values(ranges: tuple[Range, ...]) -> frozenset[int]:
            return frozenset(v for r in ranges for v in r.values())

        fields = ("second", "minute", "hour", "day_of_month", "month", "day_of_week")
        sets = {name: values(getattr(cal, name)) for name in fields}
        return cls(zone=zone, years=values(cal.year) if cal.year else None, **sets)

    def matches(self, unix: int) -> bool:
        t = cron.local_time(unix, self.zone)
        wall = (t.second, t.minute, t.hour, t.day, t.month, t.isoweekday() % 7)
        return self._year(t.year) and all(v in s for v, s in zip(wall, self._sets(), strict=True))

    def next(self, after: int) -> int | None:
        """The first matching second after ``after``, walking wall-clock fields outside in."""
        c = _Cursor.after(after, self.zone)
        while c.carry():
            if not self._settle(c):
                continue
            found = cron.go_date(self.zone, c.y, c.mo, c.d, c.h, c.m, c.s)
            # A wall time a DST change skipped comes back in another hour: try the next hour.
            if cron.local_time(found, self.zone).hour != c.h:
                c.h, c.m, c.s = c.h + 1, 0, 0
                continue
            return found + c.dst
        return None

    def _settle(self, c: _Cursor) -> bool:
        """Advance ``c`` field by field to a match; False when a field ran over (carry again)."""
        if not self._year(c.y):
            c.y, c.mo, c.d, c.h, c.m, c.s, c.dst = c.y + 1, 1, 1, 0, 0, 0, 0
            return False
        while c.mo not in self.month:
            c.mo, c.d, c.h, c.m, c.s, c.dst = c.mo + 1, 1, 0, 0, 0, 0
            if c.mo > 12:
                return False
        while c.d not in self.day_of_month or c.weekday() not in self.day_of_week:
            c.d, c.h, c.m, c.s, c.dst = c.d + 1, 0, 0, 0, 0
            if c.d > cron.days_in_month(c.y, c.mo):
                return False
        while c.h not in self.hour:
            c.h, c.m, c.s, c.dst = c.h + 1, 0, 0, 0
            if c.h >= 24:
                return False
        while c.m not in self.minute:
            c.m, c.s = c.m + 1, 0
            if c.m >= 60:
                return False
        while c.s not in self.second:
            c.s += 1
            if c.s >= 60:
                return False
        return True

    def _year(self, year: int) -> bool:
        return self.years is None or year in self.years

    def _sets(self) -> tuple[frozenset[int], ...]:
        return (self.second, self.minute, self.hour, self.day_of_month, self.month, self.day_of_week)


@dataclass
class _Cursor:
    """Wall-clock fields being searched, and ``dst``: 3600 while in the second copy of an hour
    that a DST change repeats (its instants are an hour later than the first copy's)."""

    zone: tzinfo
    y: int
    mo: int
    d: int
    h: int
    m: int
    s: int
    dst: int

    @classmethod
    def after(cls, unix: int, zone: tzinfo) -> _Cursor:
        t = cron.local_time(unix, zone)
        repeated = cron.local_time(unix - 3600, zone).hour == t.hour
        return cls(zone, t.year, t.month, t.day, t.hour, t.minute, t.second + 1, 3600 if repeated else 0)

    def carry(self) -> bool:
        """Normalise overflowed fields; False past the last year Temporal searches."""
        if self.s >= 60:
            self.m, self.s = self.m + 1, 0
        if self.m >= 60:
            self._next_hour()
        if self.h >= 24:
            self.d, self.h = self.d + 1, 0
        if self.d > cron.days_in_month(self.y, self.mo):
            self.mo, self.d = self.mo + 1, 1
        if self.mo > 12:
            self.y, self.mo = self.y + 1, 1
        return self.y <= cron.MAX_YEAR

    def _next_hour(self) -> None:
        before = cron.go_date(self.zone, self.y, self.mo, self.d, self.h)
        self.h, self.m = self.h + 1, 0
        # Two real hours for one wall hour: the hour was repeated; walk its second copy too.
        if self.dst == 0 and cron.go_date(self.zone, self.y, self.mo, self.d, self.h) - before > 3600:
            self.h, self.dst = self.h - 1, 3600
        else:
            self.dst = 0

    def weekday(self) -> int:
        found = cron.go_date(self.zone, self.y, self.mo, self.d, self.h, self.m, self.s)
        return cron.local_time(found, self.zone).isoweekday() % 7


# --- time as Go's time package computes it ---------------------------------------------------


def _raw_next(compiled: CompiledSpec, after: int) -> int | None:
    """The earliest calendar or interval time after ``after``, skips and bounds aside."""
    found = [n for cal in compiled.calendars if (n := cal.next(after)) is not None]
    found += [((after - offset) // every + 1) * every + offset for every, offset in compiled.intervals]
    return min(found, default=None)


# Seconds from Go's zero time (January 1, year 1) to the Unix epoch.
_GO_UNIX_TO_INTERNAL = 62135596800


def _go_time_binary(unix: int) -> bytes:
    """Go's ``Time.MarshalBinary`` of a UTC time with no nanoseconds (version 1, zone -1)."""
    return b"\x01" + (unix + _GO_UNIX_TO_INTERNAL).to_bytes(8, "big", signed=True) + bytes(4) + b"\xff\xff"


def _seconds(d: timedelta) -> int:
    return d // timedelta(seconds=1)


# --- farmhash 32 (farmhashmk), as go-farm writes it ------------------------------------------

_C1, _C2, _MASK = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF


def _rotate(v: int, shift: int) -> int:
    return ((v >> shift) | (v << (32 - shift))) & _MASK


def _fmix(h: int) -> int:
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & _MASK
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


def _mur(a: int, h: int) -> int:
    a = (_rotate((a * _C1) & _MASK, 17) * _C2) & _MASK
    return (_rotate(h ^ a, 19) * 5 + 0xE6546B64) & _MASK


def _fetch(s: bytes, i: int) -> int:
    return int.from_bytes(s[i : i + 4], "little")


def _farm_0_to_4(s: bytes) -> int:
    b, c = 0, 9
    for byte in s:
        b = (b * _C1 + (byte - 256 if byte > 127 else byte)) & _MASK  # Go reads each byte as int8
        c ^= b
    return _fmix(_mur(b, _mur(len(s), c)))


def _farm_5_to_12(s: bytes) -> int:
    n = len(s)
    a, b, c = (n + _fetch(s, 0)) & _MASK, (n * 5 + _fetch(s, n - 4)) & _MASK, (9 + _fetch(s, (n >> 1) & 4)) & _MASK
    return _fmix(_mur(c, _mur(b, _mur(a, n * 5))))


def _farm_13_to_24(s: bytes) -> int:
    n = len(s)
    a, b, c, d = _fetch(s, (n >> 1) - 4), _fetch(s, 4), _fetch(s, n - 8), _fetch(s, n >> 1)
    e, f = _fetch(s, 0), _fetch(s, n - 4)
    h = (d * _C1 + n) & _MASK
    a = (_rotate(a, 12) + f) & _MASK
    h = (_mur(c, h) + a) & _MASK
    a = (_rotate(a, 3) + c) & _MASK
    h = (_mur(e, h) + a) & _MASK
    a = (_rotate((a + f) & _MASK, 12) + d) & _MASK
    return _fmix((_mur(b, h) + a) & _MASK)


def _farm_long(s: bytes) -> int:
    n = len(s)
    tail = [(_rotate((_fetch(s, n - k) * _C1) & _MASK, 17) * _C2) & _MASK for k in (4, 8, 16, 12, 20)]
    h = (_rotate(n ^ tail[0], 19) * 5 + 0xE6546B64) & _MASK
    h = (_rotate(h ^ tail[2], 19) * 5 + 0xE6546B64) & _MASK
    g = (_rotate(((_C1 * n) & _MASK) ^ tail[1], 19) * 5 + 0xE6546B64) & _MASK
    g = (_rotate(g ^ tail[3], 19) * 5 + 0xE6546B64) & _MASK
    f = (_rotate(((_C1 * n) + tail[4]) & _MASK, 19) + 113) & _MASK
    for i in range(0, (n - 1) // 20 * 20, 20):
        a, b, c, d, e = (_fetch(s, i + k) for k in (0, 4, 8, 12, 16))
        h, g, f = (h + a) & _MASK, (g + b) & _MASK, (f + c) & _MASK
        h = (_mur(d, h) + e) & _MASK
        g = (_mur(c, g) + a) & _MASK
        f = (_mur((b + e * _C1) & _MASK, f) + d) & _MASK
        f = (f + g) & _MASK
        g = (g + f) & _MASK
    g = (_rotate((_rotate(g, 11) * _C1) & _MASK, 17) * _C1) & _MASK
    f = (_rotate((_rotate(f, 11) * _C1) & _MASK, 17) * _C1) & _MASK
    h = (_rotate((h + g) & _MASK, 19) * 5 + 0xE6546B64) & _MASK
    h = (_rotate(h, 17) * _C1) & _MASK
    h = (_rotate((h + f) & _MASK, 19) * 5 + 0xE6546B64) & _MASK
    return (_rotate(h, 17) * _C1) & _MASK
