"""Size limits on what callers send, in one pure settings object that every edge applies.

The HTTP API checks each request against the process's `Limits`, and so does the
operator for what reaches the engine through Kubernetes: a `Workflow` resource's
arguments and the signals appended to it. One object, configured once per process
(``--max-payload-bytes``), travels on the engine's runtime, so no edge can fall back to
a default of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
        larger than the limit: ``PayloadTooLarge`` naming its path."""
        _check(model, self.max_payload_bytes, "")


def _check(model: BaseModel, limit: int, prefix: str) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, item in enumerate(value):
                _check(item, limit, f"{path}.{i}.")
        elif name in PAYLOAD_FIELDS and value is not None:
            size = _size(value)
            if size > limit:
                raise errors.PayloadTooLarge(path, size, limit)


def _size(value: Any) -> int:
    if isinstance(value, BaseModel):
        return len(value.model_dump_json().encode())
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
