"""Temporal's list filter, parsed: every operator, Temporal's value forms, and errors that
name the position or the attribute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato_operator.engine.rules.list_filter import parse
from legato_operator.errors import InvalidArgument
from legato_operator.store.filters import And, Attribute, Comparison, Filter, Op, Or, OrderTerm, Value


def where(text: str) -> object:
    return parse(text).where


def test_an_empty_filter_matches_everything_in_the_default_order() -> None:
    assert parse("") == Filter()
    assert parse("   ") == Filter()


def test_and_binds_tighter_than_or_and_parentheses_regroup() -> None:
    a = Comparison(Attribute.WORKFLOW_ID, Op.EQ, ("a",))
    b = Comparison(Attribute.WORKFLOW_TYPE, Op.EQ, ("b",))
    c = Comparison(Attribute.TASK_QUEUE, Op.EQ, ("c",))
    assert where("WorkflowId = 'a' OR WorkflowType = 'b' AND TaskQueue = 'c'") == Or((a, And((b, c))))
    assert where("(WorkflowId = 'a' or WorkflowType = 'b') and TaskQueue = 'c'") == And((Or((a, b)), c))


@pytest.mark.parametrize(
    ("text", "op", "values"),
    [
        ("WorkflowId = 'x'", Op.EQ, ("x",)),
        ("WorkflowId != 'x'", Op.NE, ("x",)),
        ("WorkflowId <> 'x'", Op.NE, ("x",)),
        ("WorkflowId IN ('x', \"y\")", Op.IN, ("x", "y")),
        ("WorkflowId not in ('x')", Op.NOT_IN, ("x",)),
        ("WorkflowId STARTS_WITH 'ord-'", Op.STARTS_WITH, ("ord-",)),
        ("WorkflowId NOT STARTS_WITH 'ord-'", Op.NOT_STARTS_WITH, ("ord-",)),
        ("WorkflowId IS NULL", Op.IS_NULL, ()),
        ("WorkflowId is not null", Op.IS_NOT_NULL, ()),
        ("`WorkflowId` = 'it''s'", Op.EQ, ("it's",)),
        ('WorkflowId = "a\\"b"', Op.EQ, ('a"b',)),
    ],
)
def test_keyword_operators(text: str, op: Op, values: tuple[Value, ...]) -> None:
    assert where(text) == Comparison(Attribute.WORKFLOW_ID, op, values)


def test_statuses_are_written_with_temporals_names_or_numbers() -> None:
    assert where("ExecutionStatus = 'Running'") == Comparison(Attribute.EXECUTION_STATUS, Op.EQ, ("RUNNING",))
    assert where("ExecutionStatus IN ('ContinuedAsNew', 'TimedOut')") == Comparison(
        Attribute.EXECUTION_STATUS, Op.IN, ("CONTINUED_AS_NEW", "TIMED_OUT")
    )
    assert where("ExecutionStatus = 2") == Comparison(Attribute.EXECUTION_STATUS, Op.EQ, ("COMPLETED",))


def test_times_are_rfc3339_in_utc_unless_they_say_otherwise() -> None:
    assert where("StartTime > '2026-01-02T03:04:05Z'") == Comparison(
        Attribute.START_TIME, Op.GT, (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),)
    )
    parsed = where("CloseTime BETWEEN '2026-01-01T00:00:00-08:00' AND '2026-01-02'")
    assert isinstance(parsed, Comparison)
    low, high = parsed.values
    assert low == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert high == datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("'1h30m'", timedelta(minutes=90)),
        ("'150ms'", timedelta(milliseconds=150)),
        ("'00:30:00'", timedelta(minutes=30)),
        ("3000000000", timedelta(seconds=3)),
    ],
)
def test_durations_take_temporals_forms(text: str, duration: timedelta) -> None:
    assert where(f"ExecutionDuration > {text}") == Comparison(Attribute.EXECUTION_DURATION, Op.GT, (duration,))


def test_not_is_pushed_down_to_the_comparisons() -> None:
    assert where("NOT (WorkflowId IN ('a') AND HistoryLength BETWEEN 1 AND 5)") == Or(
        (
            Comparison(Attribute.WORKFLOW_ID, Op.NOT_IN, ("a",)),
            Comparison(Attribute.HISTORY_LENGTH, Op.NOT_BETWEEN, (1, 5)),
        )
    )
    assert where("not StartTime < '2026-01-01T00:00:00Z'") == Comparison(
        Attribute.START_TIME, Op.GE, (datetime(2026, 1, 1, tzinfo=UTC),)
    )


def test_order_by_and_group_by() -> None:
    f = parse("WorkflowType = 'x' ORDER BY StartTime DESC, WorkflowId")
    assert f.order_by == (OrderTerm(Attribute.START_TIME, True), OrderTerm(Attribute.WORKFLOW_ID, False))
    assert parse("GROUP BY ExecutionStatus").group_by is Attribute.EXECUTION_STATUS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WorkflowId = 'a' AND", "syntax error at position 21: the query ends too early"),
        ("WorkflowId = = 'a'", "syntax error at position 14: unexpected '='"),
        ("WorkflowId ~ 'a'", "syntax error at position 12: unexpected '~'"),
        ("WorkflowId LIKE 'a%'", "syntax error at position 12: unexpected 'LIKE'"),
        ("Foo = 'a'", "invalid search attribute: Foo"),
        ("ExecutionStatus = 'RUNNING'", "invalid ExecutionStatus value 'RUNNING'"),
        (
            "ExecutionStatus > 'Running'",
            "operator '>' not supported for Keyword type search attribute 'ExecutionStatus'",
        ),
        ("StartTime STARTS_WITH '2026'", "operator 'STARTS_WITH' not supported for Datetime type"),
        ("StartTime > 'yesterday'", "unable to parse datetime 'yesterday'"),
        ("HistoryLength > '3'", 'HistoryLength of type Int: "3" (type: string)'),
        ("ExecutionDuration > 'soon'", "invalid duration value 'soon'"),
        ("GROUP BY WorkflowType", "'GROUP BY' clause is not supported for search attribute WorkflowType"),
        ("ORDER BY ExecutionDuration", "cannot order by ExecutionDuration"),
    ],
)
def test_a_bad_filter_is_an_invalid_argument_naming_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        parse(text)
    assert raised.value.field == "query"
    assert raised.value.message.startswith("invalid query: ")
    assert message in raised.value.message
