"""Limits on the payloads callers send, in one pure settings object that every edge applies.

The HTTP API checks each request against the process's `Limits`, and so does the
operator for what reaches the engine through Kubernetes: a `Workflow` resource's
arguments and the signals appended to it. One object, configured once per process
(``--max-payload-bytes``), travels on the engine's runtime, so no edge can fall back to
a default of its own.

A payload is measured as it arrives: its data and metadata bytes (what a codec made of
it, never decoded here). A field of several payloads (``args``) counts them together, and
so does a map of them (a memo, a marker's details, with their keys); a failure counts as
its JSON (message, stack trace and payloads), and so does a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from legato.api.common.v1 import Failure, Payload
from legato_operator import errors

# Temporal's default limit on one payload.
DEFAULT_MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
# Text fields that carry what users wrote, measured as payloads are.
TEXT_FIELDS = frozenset({"reason"})


@dataclass(frozen=True)
class Limits:
    """How large a payload may be."""

    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES

    def __post_init__(self) -> None:
        if self.max_payload_bytes < 1:
            raise ValueError(f"max_payload_bytes must be positive, not {self.max_payload_bytes}")

    @property
    def max_request_bytes(self) -> int:
        """The largest request body: room for several payloads each just under the limit."""
        return 4 * self.max_payload_bytes + 1024 * 1024

    def check_payloads(self, model: BaseModel) -> None:
        """Refuse any payload field of ``model`` (found by type, through nested models and
        lists of them) larger than the limit (``PayloadTooLarge``), naming its path."""
        _check(model, self.max_payload_bytes, "")


def _check(model: BaseModel, limit: int, prefix: str) -> None:
    for name in type(model).model_fields:
        value, path = getattr(model, name), f"{prefix}{name}"
        size = _size(name, value)
        if size is not None:
            if size > limit:
                raise errors.PayloadTooLarge(path, size, limit)
        elif isinstance(value, BaseModel):
            _check(value, limit, f"{path}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _check(item, limit, f"{path}.{i}.")


def _size(name: str, value: Any) -> int | None:
    """The size of a field that carries user data; None for any other field."""
    if isinstance(value, Payload):
        return payload_size(value)
    if isinstance(value, list) and value and all(isinstance(v, Payload) for v in value):
        return sum(payload_size(v) for v in value)
    # A memo (or a marker's details): its payloads count together, with their keys.
    if isinstance(value, dict) and value and all(_payloads(v) for v in value.values()):
        return sum(len(str(k).encode()) + sum(map(payload_size, _payloads(v))) for k, v in value.items())
    if isinstance(value, Failure):
        return len(value.model_dump_json())
    if name in TEXT_FIELDS and isinstance(value, str):
        return len(value.encode())
    return None


def _payloads(value: Any) -> list[Payload]:
    """``value`` as a list of payloads if it is a payload or a non-empty list of them, else []."""
    if isinstance(value, Payload):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, Payload) for v in value):
        return value
    return []


def payload_size(payload: Payload) -> int:
    """A payload's size as Temporal counts it: its data and its metadata's keys and values."""
    return len(payload.data) + sum(len(k.encode()) + len(v) for k, v in payload.metadata.items())
