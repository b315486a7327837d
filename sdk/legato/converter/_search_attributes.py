"""Search attributes to payloads and back, as ``temporalio.converter``'s functions.

Where temporalio reads and writes a ``temporalio.api.common.v1.SearchAttributes`` message,
Legato takes its ``indexed_fields``: a mapping of attribute name to ``Payload`` (Legato
has no protobuf). The payloads are byte for byte temporalio's: ``json/plain`` compact
JSON (datetimes as ``isoformat()``) with the index type in the ``type`` metadata, and an
unset value as a bare ``binary/null`` payload.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any, cast

from legato import common
from legato.api.common.v1 import Payload
from legato.converter._data_converter import DataConverter
from legato.converter._payload_converter import PayloadConverter


def _converter() -> PayloadConverter:
    # Looked up on each call, as temporalio's default(): the default converter is replaceable.
    return DataConverter.default.payload_converter


def encode_search_attributes(
    attributes: common.SearchAttributes | common.TypedSearchAttributes,
    api: MutableMapping[str, Payload],
) -> None:
    """Convert search attributes into payloads, set on ``api`` by name.

    Args:
        attributes: Search attributes to convert. The dictionary form of this is
            DEPRECATED.
        api: Mapping of name to payload (temporalio's ``indexed_fields``) to set converted
            attributes on; names already there are replaced.
    """
    if isinstance(attributes, common.TypedSearchAttributes):
        for typed_k, typed_v in attributes:
            api[typed_k.name] = encode_typed_search_attribute_value(typed_k, typed_v)
        return
    elif not attributes:
        return
    for k, v in attributes.items():
        api[k] = encode_search_attribute_values(v)


def encode_typed_search_attribute_value(
    key: common.SearchAttributeKey[common.SearchAttributeValueType],
    value: common.SearchAttributeValue | None,
) -> Payload:
    """Convert typed search attribute value into a payload.

    Args:
        key: Key for the value.
        value: Value to convert; None unsets it.

    Returns:
        Payload for the value.

    Raises:
        TypeError: The value is not of the key's type (or a keyword list holds a non-string).
        ValueError: A datetime has no timezone.
    """
    # The server unsets an attribute only for a null without type metadata.
    if value is None:
        return _converter().to_payload(None)
    if not isinstance(value, key.origin_value_type):
        raise TypeError(f"Value of type {value} not suitable for indexed value type {key.indexed_value_type}")
    # The server reads datetimes as ISO 8601 text, and a naive one has no instant.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Timezone must be present on all search attribute dates")
        value = value.isoformat()
    # The key's type only says Sequence: check every item of a keyword list.
    if isinstance(value, Sequence):
        for v in value:
            if not isinstance(v, str):
                raise TypeError("All values of a keyword list must be strings")
    payload = _converter().to_payload(value)
    # A new payload rather than a write into the converter's: payloads are frozen models.
    return Payload(metadata={**payload.metadata, "type": key._metadata_type.encode()}, data=payload.data)


def encode_search_attribute_values(vals: common.SearchAttributeValues) -> Payload:
    """Convert search attribute values into a payload.

    .. deprecated::
        Use typed search attributes instead.

    Args:
        vals: List of values to convert.

    Raises:
        TypeError: ``vals`` is not a list, or holds values of another type or of two types.
        ValueError: A datetime has no timezone.
    """
    # Untyped callers pass a bare string or tuple; a string would index letter by letter.
    if not isinstance(cast(object, vals), list):
        raise TypeError("Search attribute values must be lists")
    val_type: type | None = None
    safe_vals: list[Any] = []
    for v in vals:
        if isinstance(v, datetime):
            if v.tzinfo is None:
                raise ValueError("Timezone must be present on all search attribute dates")
            safe_vals.append(v.isoformat())
            continue
        elif not isinstance(v, str | int | float | bool):
            raise TypeError(
                f"Search attribute value of type {type(v).__name__} not one of str, int, float, bool, or datetime"
            )
        # One key has one index type on the server.
        elif val_type and type(v) is not val_type:
            raise TypeError("Search attribute values must have the same type for the same key")
        elif not val_type:
            val_type = type(v)
        safe_vals.append(v)
    return _converter().to_payloads([safe_vals])[0]


def _encode_maybe_typed_search_attributes(
    non_typed_attributes: common.SearchAttributes | None,
    typed_attributes: common.TypedSearchAttributes | None,
    api: MutableMapping[str, Payload],
) -> None:
    """Encode whichever of the two forms a caller (start_workflow, continue_as_new) was given.

    Raises:
        ValueError: Both forms were given, non-empty.
    """
    if non_typed_attributes:
        if typed_attributes and typed_attributes.search_attributes:
            raise ValueError("Cannot provide both deprecated search attributes and typed search attributes")
        encode_search_attributes(non_typed_attributes, api)
    elif typed_attributes and typed_attributes.search_attributes:
        encode_search_attributes(typed_attributes, api)


def decode_search_attributes(api: Mapping[str, Payload]) -> common.SearchAttributes:
    """Decode search attribute payloads to values.

    .. deprecated::
        Use typed search attributes instead.

    Args:
        api: Mapping of name to payload (temporalio's ``indexed_fields``) to convert.

    Returns:
        Converted search attribute values (new mapping every time); each a list.
    """
    conv = _converter()
    ret: dict[str, Any] = {}
    for k, v in api.items():
        val = conv.from_payload(v)
        # A single value (what the server writes for all but keyword lists) becomes a list.
        if not isinstance(val, list):
            val = [val]
        if v.metadata.get("type") == b"Datetime":
            val = [datetime.fromisoformat(item) for item in val]
        ret[k] = val
    return ret


def decode_typed_search_attributes(api: Mapping[str, Payload]) -> common.TypedSearchAttributes:
    """Decode search attribute payloads to typed search attributes.

    Payloads without ``type`` metadata, of an unknown type, or whose value does not fit
    their type are left out: without a type there is no key to put them under.

    Args:
        api: Mapping of name to payload (temporalio's ``indexed_fields``) to convert.

    Returns:
        Typed search attribute collection (new object every time).

    Raises:
        ValueError: A ``Datetime`` value is a string but not ISO 8601 (as temporalio, this
            is not skipped: the server never writes one).
        TypeError: A ``Datetime`` value is not a string.
    """
    pairs: list[common.SearchAttributePair[Any]] = []
    for k, v in api.items():
        metadata_type = v.metadata.get("type")
        if not metadata_type:
            continue
        key = common.SearchAttributeKey._from_metadata_type(k, metadata_type.decode())
        if not key:
            continue
        val = _typed_value(key, _converter().from_payload(v))
        if isinstance(val, key.origin_value_type):
            pairs.append(common.SearchAttributePair(key, val))
    return common.TypedSearchAttributes(pairs)


def _typed_value(key: common.SearchAttributeKey[Any], val: Any) -> Any:
    """The decoded JSON ``val`` as a value of ``key``'s type (None when it cannot be one)."""
    # Older servers write single values as one-item lists; a longer list fits no key but KeywordList.
    if key.indexed_value_type != common.SearchAttributeIndexedValueType.KEYWORD_LIST and isinstance(val, list):
        if len(val) != 1:
            return None
        val = val[0]
    # Temporal's server writes "Z" or an offset, and nanoseconds: fromisoformat takes them all.
    if key.indexed_value_type == common.SearchAttributeIndexedValueType.DATETIME:
        return datetime.fromisoformat(val)
    # Visibility returns a whole-number Double as a JSON integer.
    if key.indexed_value_type == common.SearchAttributeIndexedValueType.DOUBLE and type(val) is int:
        return float(val)
    return val


def _decode_search_attribute_value(payload: Payload) -> common.SearchAttributeValue:
    """One attribute's value, as the client's list filters and counts report it."""
    val: common.SearchAttributeValue = _converter().from_payload(payload)
    if isinstance(val, str) and payload.metadata.get("type") == b"Datetime":
        val = datetime.fromisoformat(val)
    return val


def payloads_of(attributes: common.SearchAttributes | common.TypedSearchAttributes | None) -> dict[str, Payload]:
    """Search attributes as a start, a child's start or a continue-as-new sends them: by the
    default converter, never the codec, so that the server can read and index them."""
    payloads: dict[str, Payload] = {}
    if attributes:
        encode_search_attributes(attributes, payloads)
    return payloads
