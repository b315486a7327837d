"""Schedule fire times, against what Temporal's server computes.

Every expectation in the tables below was read from a Temporal dev server (Server 1.32): each
spec was created as a paused schedule, and its times listed with ListScheduleMatchingTimes from
``start`` to ``end`` (or, for jitter, its describe's ``next_action_times``; for ``cron_schedule=``,
the ``first_workflow_task_backoff`` of a workflow started with it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from legato_operator.engine.rules import cron, schedule_spec
from legato_operator.engine.rules.schedule_spec import Calendar, Interval, Range, Spec, SpecError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def matching(spec: Spec, start: str, end: str) -> list[str]:
    """Temporal's ListScheduleMatchingTimes: every time after ``start`` up to ``end``."""
    compiled, times, cursor = schedule_spec.compile(spec), [], at(start)
    while (found := schedule_spec.next_time(compiled, cursor)) is not None and found <= at(end):
        times.append(found.strftime("%Y-%m-%d %H:%M:%S"))
        cursor = found
    return times


def crons(*expressions: str, zone: str = "") -> Spec:
    return Spec(cron_expressions=expressions, time_zone_name=zone)


def calendar(zone: str = "", **fields: tuple[Range, ...]) -> Spec:
    return Spec(calendars=(Calendar(**fields),), time_zone_name=zone)  # type: ignore[arg-type]


HOURLY = (Interval(every=timedelta(hours=1)),)

OBSERVED = {
    "calendar ranges and steps": (
        calendar(
            second=(Range(0, 30, 30),), minute=(Range(0, 59, 20),), hour=(Range(9, 17, 4),), day_of_week=(Range(1, 5),)
        ),
        "2030-01-04",
        "2030-01-07 10:00",
        [
            "2030-01-04 09:00:00",
            "2030-01-04 09:00:30",
            "2030-01-04 09:20:00",
            "2030-01-04 09:20:30",
            "2030-01-04 09:40:00",
            "2030-01-04 09:40:30",
            "2030-01-04 13:00:00",
            "2030-01-04 13:00:30",
            "2030-01-04 13:20:00",
            "2030-01-04 13:20:30",
            "2030-01-04 13:40:00",
            "2030-01-04 13:40:30",
            "2030-01-04 17:00:00",
            "2030-01-04 17:00:30",
            "2030-01-04 17:20:00",
            "2030-01-04 17:20:30",
            "2030-01-04 17:40:00",
            "2030-01-04 17:40:30",
            "2030-01-07 09:00:00",
            "2030-01-07 09:00:30",
            "2030-01-07 09:20:00",
            "2030-01-07 09:20:30",
            "2030-01-07 09:40:00",
            "2030-01-07 09:40:30",
        ],
    ),
    "cron lists, steps, ranges and names": (
        crons("15,45 */6 * JAN-MAR mon,FRI"),
        "2030-01-01",
        "2030-01-08",
        [
            "2030-01-04 00:15:00",
            "2030-01-04 00:45:00",
            "2030-01-04 06:15:00",
            "2030-01-04 06:45:00",
            "2030-01-04 12:15:00",
            "2030-01-04 12:45:00",
            "2030-01-04 18:15:00",
            "2030-01-04 18:45:00",
            "2030-01-07 00:15:00",
            "2030-01-07 00:45:00",
            "2030-01-07 06:15:00",
            "2030-01-07 06:45:00",
            "2030-01-07 12:15:00",
            "2030-01-07 12:45:00",
            "2030-01-07 18:15:00",
            "2030-01-07 18:45:00",
        ],
    ),
    "two-letter weekday prefixes, and two crons together": (
        crons("0 12 * * tu-th", "30 8 1-7 * *"),
        "2030-01-01",
        "2030-01-10",
        [
            "2030-01-01 08:30:00",
            "2030-01-01 12:00:00",
            "2030-01-02 08:30:00",
            "2030-01-02 12:00:00",
            "2030-01-03 08:30:00",
            "2030-01-03 12:00:00",
            "2030-01-04 08:30:00",
            "2030-01-05 08:30:00",
            "2030-01-06 08:30:00",
            "2030-01-07 08:30:00",
            "2030-01-08 12:00:00",
            "2030-01-09 12:00:00",
        ],
    ),
    "month-name prefixes": (
        crons("0 0 1 febr,Dece *"),
        "2030-01-01",
        "2031-01-02",
        ["2030-02-01 00:00:00", "2030-12-01 00:00:00"],
    ),
    "a single value with a step runs to the maximum": (
        crons("5/20 3 * * *"),
        "2030-01-01",
        "2030-01-02",
        ["2030-01-01 03:05:00", "2030-01-01 03:25:00", "2030-01-01 03:45:00"],
    ),
    "six fields end with a year": (crons("0 0 1 1 * 2031"), "2030-01-01", "2035-01-01", ["2031-01-01 00:00:00"]),
    "seven fields start with a second": (
        crons("*/20 0 0 1 1 * 2031-2032"),
        "2030-01-01",
        "2035-01-01",
        [
            "2031-01-01 00:00:00",
            "2031-01-01 00:00:20",
            "2031-01-01 00:00:40",
            "2032-01-01 00:00:00",
            "2032-01-01 00:00:20",
            "2032-01-01 00:00:40",
        ],
    ),
    "@yearly": (crons("@yearly"), "2030-06-01", "2032-06-01", ["2031-01-01 00:00:00", "2032-01-01 00:00:00"]),
    "@monthly": (
        crons("@monthly"),
        "2030-01-15",
        "2030-04-01",
        ["2030-02-01 00:00:00", "2030-03-01 00:00:00", "2030-04-01 00:00:00"],
    ),
    "@weekly is Sunday midnight": (
        crons("@weekly"),
        "2030-01-01",
        "2030-01-20",
        ["2030-01-06 00:00:00", "2030-01-13 00:00:00", "2030-01-20 00:00:00"],
    ),
    "@daily": (crons("@daily"), "2030-01-01 12:00", "2030-01-03", ["2030-01-02 00:00:00", "2030-01-03 00:00:00"]),
    "@hourly": (
        crons("@hourly"),
        "2030-01-01 21:30",
        "2030-01-02",
        ["2030-01-01 22:00:00", "2030-01-01 23:00:00", "2030-01-02 00:00:00"],
    ),
    "@every with an offset counts from the epoch": (
        crons("@every 90m/15m"),
        "2030-01-01",
        "2030-01-01 06:00",
        ["2030-01-01 00:15:00", "2030-01-01 01:45:00", "2030-01-01 03:15:00", "2030-01-01 04:45:00"],
    ),
    "@every in days": (
        crons("@every 2d"),
        "2030-01-01",
        "2030-01-10",
        [
            "2030-01-02 00:00:00",
            "2030-01-04 00:00:00",
            "2030-01-06 00:00:00",
            "2030-01-08 00:00:00",
            "2030-01-10 00:00:00",
        ],
    ),
    "an interval with an offset": (
        Spec(intervals=(Interval(every=timedelta(hours=7), offset=timedelta(minutes=5, seconds=3)),)),
        "2030-01-01",
        "2030-01-02 12:00",
        [
            "2030-01-01 06:05:03",
            "2030-01-01 13:05:03",
            "2030-01-01 20:05:03",
            "2030-01-02 03:05:03",
            "2030-01-02 10:05:03",
        ],
    ),
    "TZ= with @every is dropped: intervals ignore time zones": (
        crons("TZ=Europe/Berlin @every 5h"),
        "2030-01-01",
        "2030-01-01 12:00",
        ["2030-01-01 05:00:00", "2030-01-01 10:00:00"],
    ),
    "calendars, intervals and crons together": (
        Spec(
            calendars=(Calendar(hour=(Range(1),), minute=(Range(17),)),),
            intervals=(Interval(every=timedelta(hours=5)),),
            cron_expressions=("0 2 * * *",),
        ),
        "2030-01-01",
        "2030-01-01 12:00",
        ["2030-01-01 01:17:00", "2030-01-01 02:00:00", "2030-01-01 05:00:00", "2030-01-01 10:00:00"],
    ),
    "New York falling back: the repeated 01:30 fires twice": (
        crons("CRON_TZ=America/New_York 30 0,1,2 * * *"),
        "2030-11-02",
        "2030-11-05",
        [
            "2030-11-02 04:30:00",
            "2030-11-02 05:30:00",
            "2030-11-02 06:30:00",
            "2030-11-03 04:30:00",
            "2030-11-03 05:30:00",
            "2030-11-03 06:30:00",
            "2030-11-03 07:30:00",
            "2030-11-04 05:30:00",
            "2030-11-04 06:30:00",
            "2030-11-04 07:30:00",
        ],
    ),
    "New York springing forward: the missing 02:30 never fires": (
        crons("CRON_TZ=America/New_York 30 1,2,3 * * *"),
        "2030-03-09",
        "2030-03-12",
        [
            "2030-03-09 06:30:00",
            "2030-03-09 07:30:00",
            "2030-03-09 08:30:00",
            "2030-03-10 06:30:00",
            "2030-03-10 07:30:00",
            "2030-03-11 05:30:00",
            "2030-03-11 06:30:00",
            "2030-03-11 07:30:00",
        ],
    ),
    "New York falling back, every half hour": (
        calendar("America/New_York", hour=(Range(0, 23),), minute=(Range(0, 59, 30),)),
        "2030-11-03 04:00",
        "2030-11-03 08:00",
        [
            "2030-11-03 04:30:00",
            "2030-11-03 05:00:00",
            "2030-11-03 05:30:00",
            "2030-11-03 06:00:00",
            "2030-11-03 06:30:00",
            "2030-11-03 07:00:00",
            "2030-11-03 07:30:00",
            "2030-11-03 08:00:00",
        ],
    ),
    "Berlin falling back: the repeated 02:30 fires once": (
        calendar("Europe/Berlin", hour=(Range(1, 3),), minute=(Range(30),)),
        "2030-10-26",
        "2030-10-28",
        [
            "2030-10-26 00:30:00",
            "2030-10-26 01:30:00",
            "2030-10-26 23:30:00",
            "2030-10-27 00:30:00",
            "2030-10-27 02:30:00",
        ],
    ),
    "Berlin springing forward": (
        calendar("Europe/Berlin", hour=(Range(1, 3),), minute=(Range(30),)),
        "2030-03-30",
        "2030-04-01",
        [
            "2030-03-30 00:30:00",
            "2030-03-30 01:30:00",
            "2030-03-30 02:30:00",
            "2030-03-31 00:30:00",
            "2030-03-31 01:30:00",
            "2030-03-31 23:30:00",
        ],
    ),
    "skip removes the times it matches": (
        Spec(calendars=(Calendar(hour=(Range(10, 14),)),), skip=(Calendar(hour=(Range(12),)),)),
        "2030-01-01",
        "2030-01-02",
        ["2030-01-01 10:00:00", "2030-01-01 11:00:00", "2030-01-01 13:00:00", "2030-01-01 14:00:00"],
    ),
    "a skip calendar's own defaults apply: weekends skip only midnight": (
        Spec(calendars=(Calendar(hour=(Range(0, 12, 12),)),), skip=(Calendar(day_of_week=(Range(0), Range(6))),)),
        "2030-01-04",
        "2030-01-08",
        [
            "2030-01-04 12:00:00",
            "2030-01-05 12:00:00",
            "2030-01-06 12:00:00",
            "2030-01-07 00:00:00",
            "2030-01-07 12:00:00",
            "2030-01-08 00:00:00",
        ],
    ),
    "start_at and end_at are both included": (
        Spec(intervals=HOURLY, start_at=at("2030-01-01 03:00"), end_at=at("2030-01-01 06:00")),
        "2030-01-01",
        "2030-01-02",
        ["2030-01-01 03:00:00", "2030-01-01 04:00:00", "2030-01-01 05:00:00", "2030-01-01 06:00:00"],
    ),
    "start_at and end_at between fire times": (
        Spec(intervals=HOURLY, start_at=at("2030-01-01 03:20"), end_at=at("2030-01-01 05:59:59")),
        "2030-01-01",
        "2030-01-02",
        ["2030-01-01 04:00:00", "2030-01-01 05:00:00"],
    ),
    "day of month AND day of week: Friday the 13th": (
        crons("0 0 13 * 5"),
        "2030-01-01",
        "2031-12-31",
        ["2030-09-13 00:00:00", "2030-12-13 00:00:00", "2031-06-13 00:00:00"],
    ),
    "7 is Sunday": (crons("0 0 * * 7"), "2030-01-01", "2030-01-15", ["2030-01-06 00:00:00", "2030-01-13 00:00:00"]),
    "5-7 is Friday to Sunday": (
        crons("0 0 * * 5-7"),
        "2030-01-01",
        "2030-01-09",
        ["2030-01-04 00:00:00", "2030-01-05 00:00:00", "2030-01-06 00:00:00"],
    ),
    "1-7 loses Sunday, as in Temporal": (
        crons("0 0 * * 1-7"),
        "2030-01-01",
        "2030-01-09",
        [
            "2030-01-02 00:00:00",
            "2030-01-03 00:00:00",
            "2030-01-04 00:00:00",
            "2030-01-05 00:00:00",
            "2030-01-07 00:00:00",
            "2030-01-08 00:00:00",
            "2030-01-09 00:00:00",
        ],
    ),
    "1-7/2 keeps Sunday": (
        crons("0 0 * * 1-7/2"),
        "2030-01-01",
        "2030-01-09",
        [
            "2030-01-02 00:00:00",
            "2030-01-04 00:00:00",
            "2030-01-06 00:00:00",
            "2030-01-07 00:00:00",
            "2030-01-09 00:00:00",
        ],
    ),
    "a comment does not change the times": (
        crons("0 12 * * * # lunch time"),
        "2030-01-01",
        "2030-01-02",
        ["2030-01-01 12:00:00"],
    ),
    "nothing after 2100": (
        calendar(month=(Range(12),), day_of_month=(Range(31),), year=(Range(2099, 2100),)),
        "2099-01-01",
        "2101-12-31",
        ["2099-12-31 00:00:00", "2100-12-31 00:00:00"],
    ),
    "an end before the start is read as the start alone": (
        calendar(hour=(Range(5, 3),)),
        "2030-01-01",
        "2030-01-02",
        ["2030-01-01 05:00:00"],
    ),
    "an empty field matches nothing": (calendar(day_of_week=()), "2030-01-01", "2030-01-09", []),
}


@pytest.mark.parametrize(("spec", "start", "end", "expected"), OBSERVED.values(), ids=OBSERVED.keys())
def test_fire_times_match_temporals_dev_server(spec: Spec, start: str, end: str, expected: list[str]) -> None:
    assert matching(spec, start, end) == expected


def test_next_time_is_strictly_after_and_none_past_the_end() -> None:
    compiled = schedule_spec.compile(Spec(intervals=HOURLY, end_at=at("2030-01-01 06:00")))
    assert schedule_spec.next_time(compiled, at("2030-01-01 03:00")) == at("2030-01-01 04:00")
    assert schedule_spec.next_time(compiled, at("2030-01-01 03:59:59.900")) == at("2030-01-01 04:00")
    assert schedule_spec.next_time(compiled, at("2030-01-01 06:00")) is None
    assert schedule_spec.next_time(schedule_spec.compile(Spec()), at("2030-01-01")) is None


# Describe's next_action_times, jittered with the seed "<namespace id>-<schedule id>".
NAMESPACE_ID = "01a23be5-6cc9-78cc-8f27-4640c462c41b"
JITTERED = {
    "jitter-hourly": (
        Spec(intervals=HOURLY, jitter=timedelta(minutes=30)),
        "2026-12-03 13:00",
        timedelta(hours=1),
        [
            "13:27:08.128",
            "14:03:55.364",
            "15:03:33.406",
            "16:23:05.848",
            "17:02:09.422",
            "18:26:43.599",
            "19:27:03.925",
            "20:02:30.965",
            "21:11:10.063",
            "22:23:01.871",
        ],
    ),
    # A jitter longer than the interval is cut to the interval.
    "jitter-capped": (
        Spec(intervals=(Interval(every=timedelta(minutes=10)),), jitter=timedelta(hours=2)),
        "2026-12-03 12:50",
        timedelta(minutes=10),
        [
            "12:53:39.320",
            "13:09:01.565",
            "13:15:54.049",
            "13:21:14.230",
            "13:38:01.516",
            "13:49:01.920",
            "13:52:41.486",
            "14:08:13.228",
            "14:13:30.584",
            "14:24:24.873",
        ],
    ),
}


@pytest.mark.parametrize(("schedule_id", "case"), JITTERED.items(), ids=JITTERED.keys())
def test_jitter_is_temporals_hash_of_time_and_seed(
    schedule_id: str, case: tuple[Spec, str, timedelta, list[str]]
) -> None:
    spec, first, every, expected = case
    compiled = schedule_spec.compile(spec)
    nominals = [at(first) + every * i for i in range(len(expected))]
    seed = f"{NAMESPACE_ID}-{schedule_id}"
    got = [schedule_spec.jittered(compiled, n, seed).strftime("%H:%M:%S.%f")[:-3] for n in nominals]
    assert got == expected


def test_jitter_stays_within_the_limit_and_before_the_following_time() -> None:
    compiled = schedule_spec.compile(Spec(intervals=(Interval(every=timedelta(minutes=1)),), jitter=timedelta(hours=1)))
    for minute in range(200):
        nominal = at("2030-01-01") + timedelta(minutes=minute)
        delayed = schedule_spec.jittered(compiled, nominal, "ns-sched")
        assert nominal <= delayed < nominal + timedelta(minutes=1)
        assert delayed == schedule_spec.jittered(compiled, nominal, "ns-sched")
    assert schedule_spec.jittered(schedule_spec.compile(Spec(intervals=HOURLY)), at("2030-01-01"), "x") == at(
        "2030-01-01"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"a", 0x3C973D4D),
        (b"abcd", 0x98B51E95),
        (b"abcdefghij", 0xF2669361),
        (b"Nepal premier won't resign.", 0x322984D9),
        (b"C is as portable as Stonehedge!!", 0x221694E4),
        (b"Discard medicine more than two years old.", 0xE273108F),
        (b"How can you write a big system without C++?  -Paul Glick", 0x0819A4E8),
    ],
)
def test_fingerprint32_is_go_farms(text: bytes, expected: int) -> None:
    # Go-farm's own golden values, from the C++ farmhash.
    assert schedule_spec.fingerprint32(text) == expected


def test_cron_strings_come_back_as_the_calendars_describe_returns() -> None:
    calendars, intervals, zone = schedule_spec.cron_to_calendars("CRON_TZ=Asia/Tokyo 15,45 */6 * JAN-MAR mon,FRI")
    assert calendars == (
        Calendar(
            minute=(Range(15, 15, 1), Range(45, 45, 1)),
            hour=(Range(0, 23, 6),),
            day_of_month=(Range(1, 31, 1),),
            month=(Range(1, 3, 1),),
            day_of_week=(Range(1, 1, 1), Range(5, 5, 1)),
            second=(Range(0, 0, 1),),
        ),
    )
    assert (intervals, zone) == ((), "Asia/Tokyo")


@pytest.mark.parametrize(
    ("expression", "day_of_week"),
    [
        ("0 0 * * *", (Range(0, 6),)),
        ("0 0 * * 7", (Range(0, 0),)),
        ("0 0 * * 5-7", (Range(0, 0), Range(5, 6))),
        ("0 0 * * 1-7", (Range(1, 6),)),
        ("0 0 * * 1-7/2", (Range(0, 0), Range(1, 6, 2))),
    ],
)
def test_weekday_seven_folds_into_zero_as_describe_shows(expression: str, day_of_week: tuple[Range, ...]) -> None:
    (calendar,), _, _ = schedule_spec.cron_to_calendars(expression)
    assert calendar.day_of_week == day_of_week


def test_every_becomes_an_interval_and_a_comment_the_calendars_comment() -> None:
    assert schedule_spec.cron_to_calendars("@every 90m/15m") == (
        (),
        (Interval(timedelta(minutes=90), timedelta(minutes=15)),),
        "",
    )
    (calendar,), _, _ = schedule_spec.cron_to_calendars("0 12 * * * # lunch time")
    assert calendar.comment == "lunch time"
    assert calendar.year == ()


def test_compiled_spec_is_canonical_with_the_crons_time_zone() -> None:
    compiled = schedule_spec.compile(
        crons("CRON_TZ=America/New_York 30 1 * * *", "@hourly"[:0] or "0 3 * * *"[:0] + "TZ=America/New_York 0 3 * * *")
    )
    assert compiled.spec.cron_expressions == ()
    assert compiled.spec.time_zone_name == "America/New_York"
    assert [c.hour for c in compiled.spec.calendars] == [(Range(1, 1),), (Range(3, 3),)]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (crons("61 * * * *"), "spec.cron_expressions[0]: '61 * * * *': minute 61 is out of range 0-59"),
        (crons("0 0 ? * *"), "day of month '?' is not a number"),
        (crons("0 0 L * *"), "day of month 'L' is not a number"),
        (crons("0 0 * * * * * *"), "has 8 fields"),
        (crons("0 5-3 * * *"), "hour range '5-3' ends before it starts"),
        (crons("*/0 * * * *"), "minute step 0 is not positive"),
        (crons("@every 1h30"), "'1h30' is not a duration"),
        (crons("@every 500ms"), "spec.cron_expressions[0]: @every.every: 0:00:00.500000 is under one second"),
        (crons("TZ=Europe/Berlin 0 * * * *", "0 0 * * *"), "conflicting time zones"),
        (crons("TZ=Europe/Berlin 0 * * * *", zone="Asia/Tokyo"), "conflicting time zones"),
        (calendar(day_of_week=(Range(7),)), "spec.calendars[0].day_of_week[0]: start 7 is out of range 0-6"),
        (calendar(hour=(Range(9, 24),)), "spec.calendars[0].hour[0]: end 24 is out of range 0-23"),
        (Spec(skip=(Calendar(hour=(Range(99),)),)), "spec.skip[0].hour[0]: start 99 is out of range 0-23"),
        (
            Spec(intervals=(Interval(timedelta(milliseconds=500)),)),
            "spec.intervals[0].every: 0:00:00.500000 is under one second",
        ),
        (
            Spec(intervals=(Interval(timedelta(hours=1), timedelta(hours=1)),)),
            "spec.intervals[0].offset: 1:00:00 is not less than every",
        ),
        (
            Spec(intervals=HOURLY, time_zone_name="Mars/Olympus"),
            "spec.time_zone_name: unknown time zone 'Mars/Olympus'",
        ),
        (Spec(intervals=HOURLY, start_at=at("2030-01-02"), end_at=at("2030-01-01")), "spec.end_at"),
    ],
)
def test_invalid_specs_are_refused_naming_the_field(spec: Spec, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        schedule_spec.compile(spec)


# Workflows started with cron_schedule=: (expression, WorkflowExecutionStarted time, its
# first_workflow_task_backoff in seconds). Temporal rounds the backoff up to a whole second.
CRON_SCHEDULE = [
    ("0 0 1 * 1", "2026-12-03 12:44:26.551426", 299734),  # the 1st OR a Monday: Monday 7th
    ("*/7 * * * *", "2026-12-03 12:44:26.576500", 274),
    ("@every 90m", "2026-12-03 12:44:26.599544", 5400),  # from the start, not the epoch
    ("CRON_TZ=Asia/Kolkata 0 9 * * *", "2026-12-03 12:44:26.668694", 53134),
    ("0 0 ? * *", "2026-12-03 12:44:26.723789", 40534),
    ("0 0 * * MON-FRI", "2026-12-03 12:44:26.792972", 40534),
    ("0 0 */2 * 1", "2026-12-03 12:44:26.832206", 126934),  # */2 is no star: OR, the 5th
    ("0 0 1-31/2 * *", "2026-12-03 12:44:26.879280", 126934),
]


@pytest.mark.parametrize(("expression", "started", "backoff"), CRON_SCHEDULE)
def test_cron_schedule_follows_robfig_as_temporal_does(expression: str, started: str, backoff: int) -> None:
    expected = (at(started) + timedelta(seconds=backoff)).replace(microsecond=0)
    assert cron.cron_next(expression, at(started)) == expected


@pytest.mark.parametrize(
    "expression",
    ["0 0 * * 7", "0 0 * * * 2031", "*/0 * * * *", "0 0 L * *", "@fortnightly", "TZ=Nowhere/City 0 0 * * *", ""],
)
def test_cron_schedule_refuses_what_temporal_refuses(expression: str) -> None:
    with pytest.raises(SpecError):
        cron.parse(expression)


def test_cron_schedule_that_never_fires_has_no_next_time() -> None:
    # Temporal refuses "0 0 30 2 *" at start: "no time can be found to satisfy the schedule".
    assert cron.cron_next("0 0 30 2 *", at("2030-01-01")) is None


def test_cron_schedule_across_a_dst_change() -> None:
    # robfig walks local wall time: 02:30 does not exist on 2030-03-10 in New York.
    assert cron.cron_next("CRON_TZ=America/New_York 30 2 * * *", at("2030-03-09 08:00")) == at("2030-03-11 06:30")
    # 01:30 happens twice on 2030-11-03 in New York, and robfig fires at both.
    assert cron.cron_next("CRON_TZ=America/New_York 30 1 * * *", at("2030-11-03 05:00")) == at("2030-11-03 05:30")
    assert cron.cron_next("CRON_TZ=America/New_York 30 1 * * *", at("2030-11-03 05:30")) == at("2030-11-03 06:30")
