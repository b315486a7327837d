"""Payloads as Temporal's: their JSON form, the types that round-trip through the default
and the pydantic converters, codecs over whole wire models, encoded failure attributes."""

from __future__ import annotations

import dataclasses
import json
import uuid
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum, IntEnum
from typing import Any

import pydantic
import pytest

from legato.api.common.v1 import Failure, Payload
from legato.api.history import v1 as hist
from legato.api.payloads import iter_payloads, transform_payloads
from legato.api.workflowservice import v1 as api
from legato.contrib.pydantic import pydantic_data_converter
from legato.converter import (
    DataConverter,
    DefaultFailureConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    PayloadCodec,
    value_to_type,
)
from legato.exceptions import ApplicationError


class Color(Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Line:
    sku: str
    quantity: int


class Receipt(pydantic.BaseModel):
    order_id: str
    placed: datetime
    lines: list[Line]


WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
CASES: list[tuple[Any, Any]] = [
    (Line("tea", 2), Line),
    (Receipt(order_id="o-1", placed=WHEN, lines=[Line("cup", 1)]), Receipt),
    (WHEN, datetime),
    (uuid.UUID(int=42), uuid.UUID),
    (b"\x00\xff raw", bytes),
    (Color.RED, Color),
    (Level.HIGH, Level),
    ([Line("a", 1), Line("b", 2)], list[Line]),
    ({"tea": 2, "cups": 6}, dict[str, int]),
    ({uuid.UUID(int=7): WHEN}, dict[uuid.UUID, datetime]),
    ((1, "one"), tuple[int, str]),
    (None, int | None),
    ("plain", str),
]
CONVERTERS = {"default": DataConverter.default, "pydantic": pydantic_data_converter}


class ZlibCodec(PayloadCodec):
    """Compresses each payload into a ``binary/zlib`` one that keeps the original inside."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/zlib"}, data=zlib.compress(p.model_dump_json().encode()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.model_validate_json(zlib.decompress(p.data)) for p in payloads]


@pytest.mark.parametrize("converter", CONVERTERS.values(), ids=CONVERTERS.keys())
@pytest.mark.parametrize(("value", "hint"), CASES, ids=[str(h) for _, h in CASES])
def test_each_type_round_trips_by_its_hint(converter: DataConverter, value: Any, hint: Any) -> None:
    pc = converter.payload_converter
    back = pc.from_payload(pc.to_payload(value), hint)
    assert back == value
    assert type(back) is type(value)


@pytest.mark.parametrize("converter", CONVERTERS.values(), ids=CONVERTERS.keys())
async def test_values_round_trip_through_a_codec(converter: DataConverter) -> None:
    coded = dataclasses.replace(converter, payload_codec=ZlibCodec())
    values = [Line("tea", 2), None, b"raw"]
    payloads = await coded.encode(values)
    assert {p.metadata["encoding"] for p in payloads} == {b"binary/zlib"}
    assert await coded.decode(payloads, [Line, None, bytes]) == values


@pytest.mark.parametrize(
    ("value", "encoding", "data"),
    [(None, b"binary/null", b""), (b"\x01", b"binary/plain", b"\x01"), ({"b": 1, "a": "\u00e9"}, b"json/plain", None)],
)
def test_default_converter_picks_temporals_encoding(value: Any, encoding: bytes, data: bytes | None) -> None:
    payload = DataConverter.default.payload_converter.to_payload(value)
    assert payload.metadata == {"encoding": encoding}
    if data is not None:
        assert payload.data == data
    else:
        # Compact, keys sorted, ASCII: byte for byte what Temporal's Python SDK writes.
        assert payload.data == b'{"a":"\\u00e9","b":1}'


def test_payload_json_is_temporals_proto3_json_with_standard_base64() -> None:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=bytes(range(256)) * 4)
    text = payload.model_dump_json()
    body = json.loads(text)
    assert body["metadata"] == {"encoding": "anNvbi9wbGFpbg=="}
    assert "\n" not in body["data"]
    assert "-" not in body["data"]
    assert "_" not in body["data"]
    assert Payload.model_validate_json(text) == payload


def test_payload_reads_url_safe_base64_too_and_refuses_what_is_not_base64() -> None:
    assert Payload.model_validate({"data": "-_8="}).data == b"\xfb\xff"
    with pytest.raises(pydantic.ValidationError, match="is not base64"):
        Payload.model_validate({"data": "not base64!"})


def test_unknown_encoding_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="Unknown payload encoding binary/encrypted"):
        DataConverter.default.payload_converter.from_payload(Payload(metadata={"encoding": b"binary/encrypted"}))


def test_pydantic_converter_refuses_nan_rather_than_writing_null() -> None:
    with pytest.raises(TypeError, match=r"\['x'\] is nan"):
        pydantic_data_converter.payload_converter.to_payload({"x": float("nan")})


def test_json_converter_takes_a_custom_encoder_and_custom_type_converters() -> None:
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    class MoneyEncoder(json.JSONEncoder):
        def default(self, o: Any) -> Any:
            return {"cents": o.cents} if isinstance(o, Money) else super().default(o)

    class MoneyConverter(JSONTypeConverter):
        def to_typed_value(self, hint: Any, value: Any) -> Any:
            return Money(value["cents"]) if hint is Money else JSONTypeConverter.Unhandled

    converter = JSONPlainPayloadConverter(encoder=MoneyEncoder, custom_type_converters=[MoneyConverter()])
    payload = converter.to_payload(Money(250))
    assert payload is not None
    assert payload.data == b'{"cents":250}'
    assert converter.from_payload(payload, Money).cents == 250
    assert value_to_type(list[int], ["1", 2]) == [1, 2]


def test_encode_common_attributes_moves_message_and_stack_trace_into_a_payload() -> None:
    converter = DefaultFailureConverter(encode_common_attributes=True)
    pc = DataConverter.default.payload_converter
    try:
        try:
            raise ValueError("inner secret")
        except ValueError as e:
            raise ApplicationError("card 4242 declined", type="Declined") from e
    except ApplicationError as e:
        failure = converter.to_failure(e, pc)
    assert (failure.message, failure.stack_trace) == ("Encoded failure", "")
    assert failure.cause is not None
    assert failure.cause.message == "Encoded failure"
    assert failure.encoded_attributes is not None
    assert pc.from_payload(failure.encoded_attributes)["message"] == "card 4242 declined"
    # Any failure converter reads them back, as Temporal's does.
    back = DefaultFailureConverter().from_failure(failure, pc)
    assert isinstance(back, ApplicationError)
    assert (back.message, back.type) == ("card 4242 declined", "Declined")
    assert str(back.__cause__) == "ValueError: inner secret"


class EncodingFailureConverter(DefaultFailureConverter):
    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


async def test_codec_reaches_every_payload_of_a_failure_chain() -> None:
    coded = dataclasses.replace(
        DataConverter.default,
        payload_codec=ZlibCodec(),
        failure_converter_class=EncodingFailureConverter,
    )
    error = ApplicationError("outer", {"card": "4242"})
    error.__cause__ = ApplicationError("inner", "detail")
    failure = await coded.encode_failure(error)
    encodings = {p.metadata["encoding"] for _, p in iter_payloads(failure)}
    assert encodings == {b"binary/zlib"}
    assert b"4242" not in failure.model_dump_json().encode()
    back = await coded.decode_failure(failure)
    assert isinstance(back, ApplicationError)
    assert isinstance(back.__cause__, ApplicationError)
    assert (back.message, list(back.details), back.__cause__.message) == ("outer", [{"card": "4242"}], "inner")


async def test_walker_finds_payloads_in_nested_models_lists_and_failures() -> None:
    pc = DataConverter.default.payload_converter
    started = hist.HistoryEvent(
        event_id=1,
        event_time=datetime(2024, 1, 1, tzinfo=UTC),
        attributes=hist.WorkflowExecutionStarted(workflow_type="W", task_queue="q", input=pc.to_payloads([1, 2])),
    )
    failed = hist.HistoryEvent(
        event_id=2,
        event_time=datetime(2024, 1, 1, tzinfo=UTC),
        attributes=hist.WorkflowExecutionFailed(
            workflow_task_completed_event_id=1,
            failure=Failure(
                message="m", details=pc.to_payloads(["d"]), cause=Failure(message="c", details=[pc.to_payload(3)])
            ),
        ),
    )
    page = api.HistoryPage(events=[started, failed])
    paths = [path for path, _ in iter_payloads(page)]
    assert paths == [
        "events.0.attributes.input.0",
        "events.0.attributes.input.1",
        "events.1.attributes.failure.details.0",
        "events.1.attributes.failure.cause.details.0",
    ]
    encoded = await transform_payloads(page, ZlibCodec().encode)
    assert [p.metadata["encoding"] for _, p in iter_payloads(encoded)] == [b"binary/zlib"] * 4
    assert await transform_payloads(encoded, ZlibCodec().decode) == page
