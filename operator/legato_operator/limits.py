"""Limits on the payloads callers send — their size, and that they are JSON — in one pure
settings object that every edge applies.

The HTTP API checks each request against the process's `Limits`, and so does the
operator for what reaches the engine through Kubernetes: a `Workflow` resource's
arguments and the signals appended to it. One object, configured once per process
(``--max-payload-bytes``), travels on the engine's runtime, so no edge can fall back to
a default of its own.

JSON has no NaN or Infinity, but Python's and pydantic's parsers accept them (and turn
``1e999`` into infinity), and Postgres's jsonb refuses them: such a payload is refused
here, naming where it is, instead of failing the write. The check costs nothing on the
way: the serialization that measures a payload writes them as ``NaN`` and ``Infinity``,
and only a payload whose text contains one of those is looked at value by value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pydantic_core
from pydantic import BaseModel

from legato_operator import errors

# Temporal's default limit on one payload.
DEFAULT_MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
# Fields of the wire models that carry user payloads (arguments, results, failures).
PAYLOAD_FIELDS = frozenset({"args", "input", "result", "failure", "details", "reason"})


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
        """Refuse any payload field of ``model`` (recursively, through lists of models)
        larger than the limit (``PayloadTooLarge``) or holding a number JSON cannot carry
        (``InvalidArgument``), naming its path."""
        _check(model, self.max_payload_bytes, "")


def _check(model: BaseModel, limit: int, prefix: str) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, item in enumerate(value):
                _check(item, limit, f"{path}.{i}.")
        elif name in PAYLOAD_FIELDS and value is not None:
            size = _size(value, path)
            if size > limit:
                raise errors.PayloadTooLarge(path, size, limit)


def _size(value: Any, path: str) -> int:
    """The payload's size as JSON; ``InvalidArgument`` if it holds NaN or an infinity."""
    plain = value.model_dump() if isinstance(value, BaseModel) else value
    text = pydantic_core.to_json(plain, inf_nan_mode="constants")
    # A string that says "NaN" passes: only a float that is not finite is refused.
    if b"NaN" in text or b"Infinity" in text:
        where = _non_finite(plain, path)
        if where is not None:
            raise errors.InvalidArgument(where, f"{where}: NaN and Infinity are not JSON numbers")
    return len(text)


def _non_finite(value: Any, path: str) -> str | None:
    """The path of the first float in ``value`` that is NaN or infinite, if any."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _non_finite(item, f"{path}.{key}")
        if found is not None:
            return found
    return None
