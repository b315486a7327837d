"""Python values to payloads and back, as ``temporalio.converter``'s payload converters.

A composite converter tries its encoding converters in order; the first that takes a
value writes its encoding into the payload's metadata, and decoding picks the converter
by that encoding. Decoding by a type hint goes through pydantic, so dataclasses, pydantic
models, datetimes, UUIDs, enums and ``typing`` generics come back as the hinted type.

JSON has no NaN or Infinity: a value holding one is refused with a ``TypeError`` naming
where it is, never written as something else. Bytes go as ``binary/plain``; bytes inside
a JSON value must be UTF-8 text.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, ClassVar

import pydantic
import pydantic_core

from legato.api.common.v1 import Payload
from legato.common import RawValue

_ENCODING = "encoding"


class PayloadConverter(ABC):
    """Turns values into payloads and, given type hints, back."""

    default: ClassVar[PayloadConverter]

    @abstractmethod
    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode each value.

        Raises:
            TypeError: A value has no payload form (or holds NaN, an infinity, or bytes
                that are not UTF-8 inside JSON).
        """

    @abstractmethod
    def from_payloads(self, payloads: Sequence[Payload], type_hints: list[Any] | None = None) -> list[Any]:
        """Decode each payload by the hint in its position (none: the plain value).

        Raises:
            KeyError: A payload's encoding has no converter.
            RuntimeError: A payload does not decode (or does not fit its hint).
        """

    def to_payload(self, value: Any) -> Payload:
        """Encode one value."""
        return self.to_payloads([value])[0]

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """Decode one payload into ``type_hint`` (the plain value when None)."""
        return self.from_payloads([payload], None if type_hint is None else [type_hint])[0]


class EncodingPayloadConverter(ABC):
    """Converts the values it takes to and from payloads of one encoding."""

    @property
    @abstractmethod
    def encoding(self) -> str:
        """The ``encoding`` metadata its payloads carry."""

    @abstractmethod
    def to_payload(self, value: Any) -> Payload | None:
        """The payload of ``value``, or None when this converter does not take it."""

    @abstractmethod
    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """The value of a payload of this encoding."""


class CompositePayloadConverter(PayloadConverter):
    """Tries each encoding converter in order; decodes by the payload's encoding."""

    def __init__(self, *converters: EncodingPayloadConverter) -> None:
        self.converters = {c.encoding.encode(): c for c in converters}

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode each value with the first converter that takes it."""
        return [self._to_payload(i, value) for i, value in enumerate(values)]

    def _to_payload(self, index: int, value: Any) -> Payload:
        # A raw value (a dynamic handler's argument) goes on as it came.
        if isinstance(value, RawValue):
            return value.payload
        for converter in self.converters.values():
            payload = converter.to_payload(value)
            if payload is not None:
                return payload
        raise RuntimeError(f"Value at index {index} of type {type(value).__name__} has no payload converter")

    def from_payloads(self, payloads: Sequence[Payload], type_hints: list[Any] | None = None) -> list[Any]:
        """Decode each payload by its encoding and the hint in its position."""
        hints = list(type_hints or [])
        return [self._from_payload(i, p, hints[i] if i < len(hints) else None) for i, p in enumerate(payloads)]

    def _from_payload(self, index: int, payload: Payload, hint: Any) -> Any:
        if hint is RawValue:
            return RawValue(payload)
        encoding = payload.metadata.get(_ENCODING, b"<unknown>")
        converter = self.converters.get(encoding)
        name = encoding.decode("utf-8", "replace")
        if converter is None:
            raise KeyError(f"Unknown payload encoding {name}")
        try:
            return converter.from_payload(payload, hint)
        except RuntimeError:
            raise
        except Exception as e:
            raise RuntimeError(f"Payload at index {index} with encoding {name} could not be converted: {e}") from e


class BinaryNullPayloadConverter(EncodingPayloadConverter):
    """``None`` as an empty ``binary/null`` payload."""

    @property
    def encoding(self) -> str:
        """``binary/null``."""
        return "binary/null"

    def to_payload(self, value: Any) -> Payload | None:
        """An empty payload for None."""
        return Payload(metadata={_ENCODING: b"binary/null"}) if value is None else None

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """None, whatever the hint (as Temporal)."""
        return None


class BinaryPlainPayloadConverter(EncodingPayloadConverter):
    """``bytes`` as they are, ``binary/plain``."""

    @property
    def encoding(self) -> str:
        """``binary/plain``."""
        return "binary/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """The bytes themselves."""
        return Payload(metadata={_ENCODING: b"binary/plain"}, data=value) if isinstance(value, bytes) else None

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """The payload's bytes."""
        return payload.data


class AdvancedJSONEncoder(json.JSONEncoder):
    """A JSON encoder that also writes dataclasses, pydantic models, datetimes, UUIDs,
    enums, sets and the other types pydantic knows, as pydantic writes them."""

    def default(self, o: Any) -> Any:
        """The JSON form of a value ``json`` does not know."""
        try:
            return pydantic_core.to_jsonable_python(o)
        except pydantic_core.PydanticSerializationError as e:
            raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable: {e}") from e
        except UnicodeDecodeError as e:
            raise TypeError(
                f"Object of type {type(o).__name__} holds bytes that are not UTF-8 ({e}), which JSON cannot"
                " carry; send them as a bytes argument of their own (binary/plain) or as base64 text"
            ) from e


_ADVANCED = AdvancedJSONEncoder()


class JSONTypeConverter(ABC):
    """Turns a decoded JSON value into a type the default conversion does not know."""

    Unhandled: ClassVar[object] = object()

    @abstractmethod
    def to_typed_value(self, hint: Any, value: Any) -> Any:
        """The value of type ``hint``, or ``JSONTypeConverter.Unhandled``."""


class JSONPlainPayloadConverter(EncodingPayloadConverter):
    """Any JSON-able value as ``json/plain``: compact, keys sorted, decoded by type hint."""

    def __init__(
        self,
        *,
        encoder: type[json.JSONEncoder] | None = AdvancedJSONEncoder,
        decoder: type[json.JSONDecoder] | None = None,
        encoding: str = "json/plain",
        custom_type_converters: Sequence[JSONTypeConverter] = [],
    ) -> None:
        self._encoder = encoder
        self._decoder = decoder
        self._encoding = encoding
        self._custom_type_converters = list(custom_type_converters)

    @property
    def encoding(self) -> str:
        """``json/plain`` unless given another."""
        return self._encoding

    def to_payload(self, value: Any) -> Payload | None:
        """The value as JSON text.

        Raises:
            TypeError: The value has no JSON form, or holds NaN or an infinity.
        """
        try:
            # The default encoder's conversion, done first in one pass: it also makes keys
            # (UUIDs, enums, dates) into strings, which json's own walk would refuse.
            plain = _ADVANCED.default(value) if self._encoder is AdvancedJSONEncoder else value
            text = json.dumps(plain, cls=self._encoder, separators=(",", ":"), sort_keys=True, allow_nan=False)
        except ValueError as e:
            raise non_finite_error(value) or TypeError(f"Cannot convert {type(value).__name__} to JSON: {e}") from e
        return Payload(metadata={_ENCODING: self._encoding.encode()}, data=text.encode())

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """The JSON value, made into ``type_hint`` when given."""
        value = json.loads(payload.data, cls=self._decoder)
        if type_hint is None or type_hint is Any:
            return value
        return value_to_type(type_hint, value, self._custom_type_converters)


def value_to_type(hint: Any, value: Any, custom_converters: Sequence[JSONTypeConverter] = []) -> Any:
    """``value`` (decoded JSON) as an instance of ``hint``, through pydantic.

    Custom converters are asked first, for the value as a whole.

    Raises:
        TypeError: The value does not fit the type.
    """
    for custom in custom_converters:
        converted = custom.to_typed_value(hint, value)
        if converted is not JSONTypeConverter.Unhandled:
            return converted
    try:
        adapter = _adapter(hint)
    except TypeError:
        # An unhashable hint cannot be cached; build its adapter once here.
        adapter = pydantic.TypeAdapter(hint)
    try:
        return adapter.validate_python(value)
    except pydantic.ValidationError as e:
        raise TypeError(f"Value does not fit {hint!r}: {e}") from e


@lru_cache(maxsize=1024)
def _adapter(type_hint: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(type_hint)


def non_finite_error(value: Any) -> TypeError | None:
    """The error for ``value`` if it holds NaN or an infinity, naming where (``['prices'][2]``)."""
    found = _non_finite(pydantic_core.to_jsonable_python(value, inf_nan_mode="constants"), "")
    if found is None:
        return None
    where, number = found
    what = type(value).__name__
    return TypeError(f"Cannot convert {what} to JSON: {where or 'it'} is {number}, and JSON has no NaN or Infinity")


def _non_finite(value: Any, path: str) -> tuple[str, float] | None:
    """The path (``['prices'][2]``) and value of the first NaN or infinity in ``value``."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _non_finite(item, f"{path}[{key!r}]")
        if found is not None:
            return found
    return None


class DefaultPayloadConverter(CompositePayloadConverter):
    """Temporal's default order: ``binary/null``, ``binary/plain``, ``json/plain``.

    (Temporal also has ``json/protobuf`` and ``binary/protobuf`` for protobuf messages;
    Legato has no protobuf converters.)
    """

    default_encoding_payload_converters: ClassVar[tuple[EncodingPayloadConverter, ...]] = (
        BinaryNullPayloadConverter(),
        BinaryPlainPayloadConverter(),
        JSONPlainPayloadConverter(),
    )

    def __init__(self) -> None:
        super().__init__(*DefaultPayloadConverter.default_encoding_payload_converters)


PayloadConverter.default = DefaultPayloadConverter()
