"""Payloads where people meet them: JSON they write becomes ``json/plain`` payloads, and
payloads are shown to them decoded when they are ``json/plain``, as encoded otherwise.

Everywhere else the server treats payloads as opaque bytes (a codec may have encrypted
them); only what people read and write passes through here: a `Workflow` resource's
``spec.args`` and signal arguments on the way in, its status result and the history
summary of dev mode on the way out. An encoded payload is always shown in one form,
``{"encoding": "binary/encrypted", "size": 123}``, so nobody mistakes it for a value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from legato.api.common.v1 import Payload
from legato_operator import errors

JSON_PLAIN = b"json/plain"
BINARY_NULL = b"binary/null"
_ENCODING = "encoding"


def from_json(values: Sequence[Any], field: str) -> list[Payload]:
    """Each JSON value as a ``json/plain`` payload, written as Legato's SDK writes them.

    Raises:
        InvalidArgument: A value holds NaN or an infinity (JSON has neither), naming where
            (``spec.args.1.total``).
    """
    return [_json_payload(value, f"{field}.{i}") for i, value in enumerate(values)]


def _json_payload(value: Any, path: str) -> Payload:
    try:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except ValueError:
        where = _non_finite(value, path) or path
        raise errors.InvalidArgument(where, f"{where}: NaN and Infinity are not JSON numbers") from None
    return Payload(metadata={_ENCODING: JSON_PLAIN}, data=text.encode())


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


def for_people(payload: Payload | None) -> Any:
    """What a person is shown for a payload: the JSON value of a ``json/plain`` payload
    (None for ``binary/null`` or none at all), ``{"encoding": ..., "size": ...}`` for
    any other, and for a ``json/plain`` payload that is not JSON after all."""
    if payload is None:
        return None
    encoding = payload.metadata.get(_ENCODING, b"")
    if encoding == BINARY_NULL:
        return None
    if encoding == JSON_PLAIN:
        try:
            return json.loads(payload.data)
        except ValueError:
            pass
    return {"encoding": encoding.decode("utf-8", "replace") or "(none)", "size": len(payload.data)}


def text_for_people(payload: Payload | None) -> str:
    """``for_people`` as one compact line of JSON."""
    return json.dumps(for_people(payload), separators=(",", ":"), ensure_ascii=False)
