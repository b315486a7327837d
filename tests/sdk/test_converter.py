"""Payloads rebuilt by type hints, and exceptions carried as failures with their cause chains."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

import pydantic
import pytest

from legato import converter
from legato.api.common.v1 import ActivityFailureInfo, Failure, FailureKind, RetryState, TimeoutType
from legato.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    WorkflowFailureError,
)
from legato.exceptions import RetryState as PyRetryState
from legato.exceptions import TimeoutType as PyTimeoutType

pc = converter.default().payload_converter
fc = converter.default().failure_converter


class Size(Enum):
    SMALL = "s"
    LARGE = "l"


@dataclass
class Line:
    sku: str
    quantity: int
    size: Size


@dataclass
class Order:
    id: uuid.UUID
    placed: datetime
    lines: list[Line]


class Receipt(pydantic.BaseModel):
    order_id: str
    total: float
    tags: set[str]


def test_dataclass_round_trips_by_type_hint() -> None:
    order = Order(uuid.uuid4(), datetime(2024, 5, 1, tzinfo=UTC), [Line("sku-1", 2, Size.LARGE)])
    payload = pc.to_payload(order)
    assert payload.metadata == {"encoding": b"json/plain"}
    assert json.loads(payload.data)["lines"] == [{"sku": "sku-1", "quantity": 2, "size": "l"}]
    assert pc.from_payload(payload, Order) == order


def test_pydantic_model_round_trips_by_type_hint() -> None:
    receipt = Receipt(order_id="o-1", total=12.5, tags={"gift"})
    assert pc.from_payloads(pc.to_payloads([receipt, 3]), [Receipt, int]) == [receipt, 3]


def test_payload_without_hint_stays_plain_json() -> None:
    assert pc.from_payload(pc.to_payload({"a": [1, 2]})) == {"a": [1, 2]}


def test_payload_that_does_not_fit_its_hint_raises_runtime_error_as_temporal() -> None:
    with pytest.raises(RuntimeError, match="index 0 with encoding json/plain could not be converted") as caught:
        pc.from_payload(pc.to_payload({"sku": "x"}), Line)
    assert isinstance(caught.value.__cause__, TypeError)
    assert "does not fit" in str(caught.value.__cause__)


def test_value_without_json_form_raises_type_error() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        pc.to_payload(object())


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (float("nan"), "it is nan"),
        ([1.0, float("inf")], r"\[1\] is inf"),
        ({"prices": [0.5, float("-inf")]}, r"\['prices'\]\[1\] is -inf"),
        (Receipt(order_id="o-1", total=float("nan"), tags=set()), r"\['total'\] is nan"),
    ],
)
def test_nan_and_infinity_raise_type_error_naming_where_they_are(value: object, where: str) -> None:
    # pydantic would write them as null: a payload must never change what it carries.
    with pytest.raises(TypeError, match=where):
        pc.to_payload(value)


def test_strings_that_spell_nan_or_infinity_are_payloads_like_any_other() -> None:
    assert pc.from_payload(pc.to_payload(["NaN", {"Infinity": 1.5}])) == ["NaN", {"Infinity": 1.5}]


def test_bytes_inside_json_that_are_not_utf8_raise_type_error() -> None:
    with pytest.raises(TypeError, match="not UTF-8"):
        pc.to_payload({"blob": b"\xff\xfe"})


def test_bytes_of_their_own_are_binary_plain_whatever_they_hold() -> None:
    payload = pc.to_payload(b"\xff\xfe")
    assert (payload.metadata, payload.data) == ({"encoding": b"binary/plain"}, b"\xff\xfe")
    assert pc.from_payload(payload, bytes) == b"\xff\xfe"


def test_application_error_round_trips_with_its_fields() -> None:
    error = ApplicationError(
        "card stolen",
        {"card": "1234"},
        type="StolenCard",
        non_retryable=True,
        next_retry_delay=timedelta(seconds=5),
    )
    back = fc.from_failure(fc.to_failure(error, pc), pc)
    assert isinstance(back, ApplicationError)
    assert (back.message, back.type, back.non_retryable) == ("card stolen", "StolenCard", True)
    assert list(back.details) == [{"card": "1234"}]
    assert back.next_retry_delay == timedelta(seconds=5)
    assert str(back) == "StolenCard: card stolen"


def test_plain_exception_becomes_application_failure_named_after_its_class() -> None:
    try:
        raise KeyError("missing")
    except KeyError as e:
        failure = fc.to_failure(e, pc)
    assert (failure.kind, failure.type, failure.message) == (FailureKind.APPLICATION, "KeyError", "'missing'")
    assert "test_converter.py" in failure.stack_trace


def test_cause_chain_survives_the_round_trip() -> None:
    """A client sees WorkflowFailureError → ApplicationError → ActivityError → TimeoutError."""
    timeout = TimeoutError("activity timed out", type=PyTimeoutType.START_TO_CLOSE, last_heartbeat_details=[7])
    activity = ActivityError(
        "Activity task timed out",
        scheduled_event_id=5,
        started_event_id=6,
        identity="w",
        activity_type="charge",
        activity_id="1",
        retry_state=PyRetryState.TIMEOUT,
    )
    activity.__cause__ = timeout
    top = ApplicationError("order failed", type="OrderFailed")
    top.__cause__ = activity
    failure = fc.to_failure(top, pc)
    assert failure.cause is not None
    assert failure.cause.activity == ActivityFailureInfo(
        activity_type="charge",
        activity_id="1",
        scheduled_event_id=5,
        started_event_id=6,
        retry_state=RetryState.TIMEOUT,
    )
    assert failure.cause.cause is not None
    assert failure.cause.cause.timeout_type is TimeoutType.START_TO_CLOSE

    client_error = WorkflowFailureError(cause=fc.from_failure(failure, pc))
    assert isinstance(client_error.cause, ApplicationError)
    assert isinstance(client_error.cause.cause, ActivityError)
    assert client_error.cause.cause.activity_type == "charge"
    assert client_error.cause.cause.retry_state is PyRetryState.TIMEOUT
    leaf = client_error.cause.cause.cause
    assert isinstance(leaf, TimeoutError)
    assert (leaf.type, list(leaf.last_heartbeat_details)) == (PyTimeoutType.START_TO_CLOSE, [7])


def test_cancelled_failure_becomes_cancelled_error() -> None:
    back = fc.from_failure(Failure(message="Workflow cancelled", kind=FailureKind.CANCELED), pc)
    assert isinstance(back, CancelledError)
    assert back.message == "Workflow cancelled"
