"""A run's memo as the execution row keeps it: payloads by key, in their wire JSON.

The memo is set at start and changed by ``ModifyWorkflowProperties`` commands; describe
reads it from the row, never from history. As in Temporal, a key upserted with a
``binary/null`` payload (``workflow.upsert_memo({"k": None})``) is removed. That one
metadata value is all the server reads of a memo payload: the values stay opaque.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from legato.api.common.v1 import Payload

_NULL = b"binary/null"


def stored(values: Mapping[str, Payload]) -> dict[str, Any] | None:
    """Payloads as the row's ``memo`` column holds them (None for no memo)."""
    return {key: p.model_dump(mode="json") for key, p in values.items()} or None


def upserted(current: Mapping[str, Any] | None, changes: Mapping[str, Payload]) -> dict[str, Any] | None:
    """The stored memo with ``changes`` applied; a ``binary/null`` payload removes its key."""
    result = dict(current or {})
    for key, payload in changes.items():
        if payload.metadata.get("encoding") == _NULL:
            result.pop(key, None)
        else:
            result[key] = payload.model_dump(mode="json")
    return result or None


def payloads(value: Mapping[str, Any] | None) -> dict[str, Payload]:
    """The stored memo as payloads, for describe."""
    return {key: Payload.model_validate(p) for key, p in (value or {}).items()}
