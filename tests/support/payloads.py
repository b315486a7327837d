"""Payloads as tests write them: a value as the SDK's default converter sends it, as a
wire model or as the JSON a raw HTTP client posts."""

from __future__ import annotations

import json
from typing import Any

from legato.api.common.v1 import Payload
from legato.converter import DataConverter


def payload(value: Any) -> Payload:
    """``value`` as the default converter sends it."""
    return DataConverter.default.payload_converter.to_payload(value)


def payloads(*values: Any) -> list[Payload]:
    """Each value as the default converter sends it."""
    return DataConverter.default.payload_converter.to_payloads(values)


def wire(value: Any) -> dict[str, Any]:
    """The JSON body of ``payload(value)``, for raw HTTP requests."""
    return payload(value).model_dump(mode="json")


def plain(body: Any) -> Any:
    """The value a ``json/plain`` payload (in its JSON form) holds."""
    return json.loads(Payload.model_validate(body).data)
