"""A data converter that writes and reads JSON through pydantic, as
``temporalio.contrib.pydantic``: ``Client.connect(..., data_converter=pydantic_data_converter)``.

Values are serialized by pydantic (``pydantic_core.to_json``) and validated back by the
type hint with ``TypeAdapter.validate_json``, so pydantic models, dataclasses, datetimes
and everything else pydantic knows round-trip. As with the default converter, NaN and
infinities are refused rather than written as ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pydantic
import pydantic_core

from legato.api.common.v1 import Payload
from legato.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
)
from legato.converter._payload_converter import non_finite_error

__all__ = ["PydanticJSONPlainPayloadConverter", "PydanticPayloadConverter", "pydantic_data_converter"]


@dataclass
class ToJsonOptions:
    """Options for ``pydantic_core.to_json``."""

    exclude_unset: bool = False


class PydanticJSONPlainPayloadConverter(EncodingPayloadConverter):
    """``json/plain`` through pydantic's serializer and validators."""

    def __init__(self, to_json_options: ToJsonOptions | None = None, *, max_cached_type_adapters: int | None = 1024):
        self._options = to_json_options or ToJsonOptions()
        self._adapter = lru_cache(maxsize=max_cached_type_adapters)(_new_adapter)

    @property
    def encoding(self) -> str:
        """``json/plain``."""
        return "json/plain"

    def to_payload(self, value: Any) -> Payload | None:
        """The value as pydantic writes it.

        Raises:
            TypeError: pydantic cannot serialize it, or it holds NaN or an infinity.
        """
        try:
            data = _to_json(value, self._options)
        except pydantic_core.PydanticSerializationError as e:
            raise TypeError(f"Cannot convert {type(value).__name__} to JSON: {e}") from e
        # Written as constants only to be found here: JSON has neither.
        error = non_finite_error(value) if b"NaN" in data or b"Infinity" in data else None
        if error is not None:
            raise error
        return Payload(metadata={"encoding": b"json/plain"}, data=data)

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """The payload validated as ``type_hint`` (``Any`` when None)."""
        hint = Any if type_hint is None else type_hint
        try:
            adapter = self._adapter(hint)
        except TypeError:
            adapter = _new_adapter(hint)
        return adapter.validate_json(payload.data)


def _to_json(value: Any, options: ToJsonOptions) -> bytes:
    # exclude_unset is a model's notion: only a model's own serializer takes it.
    if isinstance(value, pydantic.BaseModel) and options.exclude_unset:
        value = value.model_dump(exclude_unset=True)
    return pydantic_core.to_json(value, inf_nan_mode="constants")


def _new_adapter(hint: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(hint)


class PydanticPayloadConverter(CompositePayloadConverter):
    """``binary/null``, ``binary/plain``, then pydantic's ``json/plain``."""

    def __init__(self, to_json_options: ToJsonOptions | None = None, *, max_cached_type_adapters: int | None = 1024):
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            PydanticJSONPlainPayloadConverter(to_json_options, max_cached_type_adapters=max_cached_type_adapters),
        )


pydantic_data_converter = DataConverter(payload_converter_class=PydanticPayloadConverter)
"""A data converter that uses pydantic for JSON."""
