"""Custom search attributes: what may be registered, and a run's values as its row keeps them.

A namespace registers each custom attribute with a type (Temporal's names: ``Keyword``,
``Text``, ``Int``, ``Double``, ``Bool``, ``Datetime``, ``KeywordList``). A start, a child's
start, a continue-as-new or an upsert sets values as Temporal's SDKs send them: ``json/plain``
payloads with the type in their ``type`` metadata; ``binary/null`` unsets. The server checks
every value against the registered type, then keeps it as plain JSON in the row's
``search_attributes`` with its type (a Datetime as ISO 8601 in UTC), which list filters
read; describe and list turn the values back into payloads.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from legato.api.common.v1 import Payload
from legato.api.operatorservice.v1 import MAX_SEARCH_ATTRIBUTES, SearchAttributeType
from legato_operator import errors
from legato_operator.store import filters

Type = SearchAttributeType
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MAX_NAME_LENGTH = 64
# Temporal's limits: 2 KiB per value, 40 KiB for all of a run's values.
MAX_VALUE_BYTES = 2 * 1024
MAX_TOTAL_BYTES = 40 * 1024
_INT64 = 2**63
_NULL = b"binary/null"
_KIND_TYPES = {
    filters.Kind.KEYWORD: Type.KEYWORD,
    filters.Kind.DATETIME: Type.DATETIME,
    filters.Kind.INT: Type.INT,
    filters.Kind.DURATION: Type.INT,
}
# The system attributes (not registrable, not settable), with their types.
SYSTEM: dict[str, Type] = {a.value: _KIND_TYPES[a.kind] for a in filters.Attribute}
# Temporal keeps names of this prefix (TemporalChangeVersion, TemporalScheduledById, ...).
RESERVED_PREFIX = "Temporal"


def check_name(name: str) -> None:
    """Refuse a name no custom attribute may have."""
    if name in SYSTEM or name.startswith(RESERVED_PREFIX):
        raise errors.InvalidArgument("search_attributes", f"Search attribute {name} is reserved by system.")
    if not _NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise errors.InvalidArgument(
            "search_attributes",
            f"search attribute name {name!r} must be letters, digits and '_', not starting with a digit,"
            f" at most {MAX_NAME_LENGTH} characters",
        )


def to_register(current: Mapping[str, str], added: Mapping[str, Type]) -> dict[str, Type]:
    """Of ``added``, the attributes not registered yet; one registered with another type is refused."""
    new: dict[str, Type] = {}
    for name, type_ in added.items():
        check_name(name)
        if name not in current:
            new[name] = type_
        elif current[name] != type_:
            raise errors.AlreadyExists(f"Search attribute {name} is already registered with type {current[name]}")
    if len(current) + len(new) > MAX_SEARCH_ATTRIBUTES:
        raise errors.InvalidArgument(
            "search_attributes", f"a namespace may register at most {MAX_SEARCH_ATTRIBUTES} custom search attributes"
        )
    return new


def checked(
    namespace: str, registered: Mapping[str, str], given: Mapping[str, Payload], field: str = "search_attributes"
) -> dict[str, Payload]:
    """``given`` checked against the registered types and rewritten as Temporal's SDKs encode
    them (compact JSON, the type in the metadata; an unset one ``binary/null``).

    Raises:
        InvalidArgument: an unregistered name, a value not of its type, or one over the limits.
    """
    result = {name: _checked(namespace, registered, name, p, f"{field}.{name}") for name, p in given.items()}
    check_total(stored(result))
    return result


def stored(checked: Mapping[str, Payload]) -> dict[str, Any] | None:
    """Checked payloads as the row keeps them: ``{name: {"type": ..., "value": ...}}``, unset
    ones left out; None for none. The type travels with the value, so the row alone says
    how to show it."""
    return upserted(None, checked)


def upserted(current: Mapping[str, Any] | None, changes: Mapping[str, Payload]) -> dict[str, Any] | None:
    """The stored values with checked ``changes`` applied (an unset one removes its name)."""
    result = dict(current or {})
    for name, p in changes.items():
        if p.metadata.get("encoding") == _NULL:
            result.pop(name, None)
        else:
            result[name] = {"type": p.metadata["type"].decode(), "value": json.loads(p.data)}
    return result or None


def payloads(stored: Mapping[str, Any] | None) -> dict[str, Payload]:
    """A run's stored values as payloads with their type, for describe, list and a next run."""
    return {name: payload(entry["value"], Type(entry["type"])) for name, entry in (stored or {}).items()}


def payload(value: Any, type_: Type) -> Payload:
    """One value as Temporal's SDKs encode it: compact JSON, its type in the metadata."""
    data = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return Payload(metadata={"encoding": b"json/plain", "type": type_.value.encode()}, data=data)


def _checked(namespace: str, registered: Mapping[str, str], name: str, p: Payload, field: str) -> Payload:
    if name not in registered:
        raise errors.InvalidArgument(field, f"Namespace {namespace} has no mapping defined for search attribute {name}")
    type_ = Type(registered[name])
    # An empty list is how the untyped form unsets (temporalio's ``{"Name": []}``).
    if p.metadata.get("encoding") == _NULL or p.data.strip() == b"[]":
        return Payload(metadata={"encoding": _NULL, "type": type_.value.encode()})
    return payload(_value(name, type_, p, field), type_)


def _value(name: str, type_: Type, p: Payload, field: str) -> Any:
    given = p.metadata.get("type")
    if given is not None and given.decode(errors="replace") != type_.value:
        raise errors.InvalidArgument(
            field, f"search attribute {name} is of type {type_.value}, not {given.decode(errors='replace')}"
        )
    if len(p.data) > MAX_VALUE_BYTES:
        raise errors.InvalidArgument(field, f"search attribute {name} is over {MAX_VALUE_BYTES} bytes")
    try:
        raw = json.loads(p.data)
        return _typed(raw, type_)
    except (ValueError, TypeError):
        shown = p.data[:100].decode(errors="replace")
        raise errors.InvalidArgument(
            field, f"invalid value for search attribute {name} of type {type_.value}: {shown}"
        ) from None


def _typed(raw: Any, type_: Type) -> Any:
    if type_ is Type.KEYWORD_LIST:
        items = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(i, str) for i in items):
            raise TypeError("not a list of strings")
        return items
    # Older SDKs send a scalar as a list of one (the untyped, deprecated form).
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    return _SCALARS[type_](raw)


def _string(raw: Any) -> str:
    if not isinstance(raw, str):
        raise TypeError("not a string")
    return raw


def _int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not -_INT64 <= raw < _INT64:
        raise TypeError("not a 64-bit integer")
    return raw


def _double(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise TypeError("not a number")
    return float(raw)


def _bool(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise TypeError("not a boolean")
    return raw


def _datetime(raw: Any) -> str:
    moment = datetime.fromisoformat(_string(raw))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


_SCALARS = {
    Type.KEYWORD: _string,
    Type.TEXT: _string,
    Type.INT: _int,
    Type.DOUBLE: _double,
    Type.BOOL: _bool,
    Type.DATETIME: _datetime,
}


def check_total(result: Mapping[str, Any] | None) -> None:
    """Refuse a run's stored values past Temporal's limit for all of them."""
    size = len(json.dumps(result or {}, separators=(",", ":")))
    if size > MAX_TOTAL_BYTES:
        raise errors.InvalidArgument(
            "search_attributes", f"a run's search attributes are {size} bytes, over the limit of {MAX_TOTAL_BYTES}"
        )
