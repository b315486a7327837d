"""Typed search attributes and their payloads, as temporalio's.

The expected bytes below were written by temporalio 1.35's own functions
(``temporalio.converter.encode_typed_search_attribute_value`` and
``encode_search_attribute_values``), so a payload Legato writes is one Temporal's server
and SDK read the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from legato.api.common.v1 import Payload
from legato.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributes,
    SearchAttributeValues,
    TypedSearchAttributes,
)
from legato.converter import _search_attributes as private
from legato.converter import (
    decode_search_attributes,
    decode_typed_search_attributes,
    encode_search_attribute_values,
    encode_search_attributes,
    encode_typed_search_attribute_value,
)

UTC_2026 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PLUS_2 = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))


def _json(data: bytes, type_: str | None = None) -> Payload:
    metadata = {"encoding": b"json/plain"}
    if type_ is not None:
        metadata["type"] = type_.encode()
    return Payload(metadata=metadata, data=data)


# --- keys, pairs, updates ---


@pytest.mark.parametrize(
    ("key", "index_type", "value_type", "origin"),
    [
        (SearchAttributeKey.for_text("t"), SearchAttributeIndexedValueType.TEXT, str, str),
        (SearchAttributeKey.for_keyword("t"), SearchAttributeIndexedValueType.KEYWORD, str, str),
        (SearchAttributeKey.for_int("t"), SearchAttributeIndexedValueType.INT, int, int),
        (SearchAttributeKey.for_float("t"), SearchAttributeIndexedValueType.DOUBLE, float, float),
        (SearchAttributeKey.for_bool("t"), SearchAttributeIndexedValueType.BOOL, bool, bool),
        (SearchAttributeKey.for_datetime("t"), SearchAttributeIndexedValueType.DATETIME, datetime, datetime),
        (
            SearchAttributeKey.for_keyword_list("t"),
            SearchAttributeIndexedValueType.KEYWORD_LIST,
            Sequence[str],
            Sequence,
        ),
    ],
)
def test_each_key_maker_gives_its_index_type_and_python_type(
    key: SearchAttributeKey[Any], index_type: SearchAttributeIndexedValueType, value_type: Any, origin: type
) -> None:
    assert key.name == "t"
    assert key.indexed_value_type == index_type
    assert key.value_type == value_type
    assert key.origin_value_type is origin


def test_index_types_have_temporals_values() -> None:
    assert {t.name: t.value for t in SearchAttributeIndexedValueType} == {
        "TEXT": 1,
        "KEYWORD": 2,
        "INT": 3,
        "DOUBLE": 4,
        "BOOL": 5,
        "DATETIME": 6,
        "KEYWORD_LIST": 7,
    }


def test_keys_are_equal_by_name_and_type() -> None:
    assert SearchAttributeKey.for_int("a") == SearchAttributeKey.for_int("a")
    assert SearchAttributeKey.for_keyword_list("a") == SearchAttributeKey.for_keyword_list("a")
    assert SearchAttributeKey.for_int("a") != SearchAttributeKey.for_float("a")
    assert SearchAttributeKey.for_text("a") != SearchAttributeKey.for_keyword("a")
    assert SearchAttributeKey.for_int("a") != SearchAttributeKey.for_int("b")


def test_value_set_and_value_unset_make_updates_of_the_key() -> None:
    key = SearchAttributeKey.for_keyword("status")
    assert (key.value_set("open").key, key.value_set("open").value) == (key, "open")
    assert (key.value_unset().key, key.value_unset().value) == (key, None)


def test_a_pair_is_a_key_value_tuple() -> None:
    key = SearchAttributeKey.for_int("count")
    pair = SearchAttributePair(key, 3)
    assert (pair.key, pair.value) == (key, 3)
    assert tuple(pair) == (key, 3)


@pytest.mark.parametrize(
    ("metadata_type", "expected"),
    [
        ("Text", SearchAttributeKey.for_text("a")),
        ("Keyword", SearchAttributeKey.for_keyword("a")),
        ("Int", SearchAttributeKey.for_int("a")),
        ("Double", SearchAttributeKey.for_float("a")),
        ("Bool", SearchAttributeKey.for_bool("a")),
        ("Datetime", SearchAttributeKey.for_datetime("a")),
        ("KeywordList", SearchAttributeKey.for_keyword_list("a")),
        ("INDEXED_VALUE_TYPE_KEYWORD_LIST", SearchAttributeKey.for_keyword_list("a")),
        ("INDEXED_VALUE_TYPE_DOUBLE", SearchAttributeKey.for_float("a")),
        ("Unknown", None),
    ],
)
def test_keys_come_from_both_spellings_of_the_type_metadata(
    metadata_type: str, expected: SearchAttributeKey[Any] | None
) -> None:
    assert SearchAttributeKey._from_metadata_type("a", metadata_type) == expected


@pytest.mark.parametrize(
    ("vals", "expected"),
    [
        (["x"], SearchAttributeKey.for_keyword("a")),
        (["x", "y"], SearchAttributeKey.for_keyword_list("a")),
        ([1], SearchAttributeKey.for_int("a")),
        ([1.5], SearchAttributeKey.for_float("a")),
        # A bool is an int: temporalio guesses Int for it too.
        ([True], SearchAttributeKey.for_int("a")),
        ([UTC_2026], SearchAttributeKey.for_datetime("a")),
        ([1, 2], None),
        ([], None),
    ],
)
def test_legacy_untyped_values_guess_temporalios_key(
    vals: SearchAttributeValues, expected: SearchAttributeKey[Any] | None
) -> None:
    assert SearchAttributeKey._guess_from_untyped_values("a", vals) == expected


# --- TypedSearchAttributes ---

COUNT = SearchAttributeKey.for_int("count")
STATUS = SearchAttributeKey.for_keyword("status")
TAGS = SearchAttributeKey.for_keyword_list("tags")


def test_typed_attributes_are_sorted_by_name_and_equal_whatever_the_order() -> None:
    first = TypedSearchAttributes([SearchAttributePair(STATUS, "open"), SearchAttributePair(COUNT, 3)])
    second = TypedSearchAttributes([SearchAttributePair(COUNT, 3), SearchAttributePair(STATUS, "open")])
    assert [pair.key.name for pair in first] == ["count", "status"]
    assert first == second
    assert len(first) == 2
    assert first != TypedSearchAttributes([SearchAttributePair(COUNT, 4), SearchAttributePair(STATUS, "open")])


def test_typed_attributes_refuse_two_keys_of_one_name() -> None:
    with pytest.raises(ValueError, match="Duplicate search attribute entries found for key count"):
        TypedSearchAttributes(
            [SearchAttributePair(COUNT, 3), SearchAttributePair(SearchAttributeKey.for_text("count"), "x")]
        )


def test_typed_attributes_look_up_by_equal_key_only() -> None:
    attrs = TypedSearchAttributes([SearchAttributePair(COUNT, 3), SearchAttributePair(TAGS, ["a", "b"])])
    assert attrs[COUNT] == 3
    assert attrs[SearchAttributeKey.for_keyword_list("tags")] == ["a", "b"]
    # mypy's strict equality sees Collection[SearchAttributePair] (temporalio's base class)
    # and takes a key for the wrong item type; `in` takes keys, as temporalio's does.
    assert COUNT in attrs  # type: ignore[comparison-overlap]
    assert SearchAttributeKey.for_float("count") not in attrs  # type: ignore[comparison-overlap]
    with pytest.raises(KeyError):
        attrs[SearchAttributeKey.for_float("count")]
    with pytest.raises(KeyError):
        attrs[STATUS]


def test_get_gives_the_default_for_an_absent_key() -> None:
    attrs = TypedSearchAttributes([SearchAttributePair(COUNT, 0)])
    assert attrs.get(COUNT) == 0
    assert attrs.get(STATUS) is None
    assert attrs.get(STATUS, "none") == "none"


def test_updated_replaces_by_name_and_adds_without_changing_the_original() -> None:
    attrs = TypedSearchAttributes([SearchAttributePair(COUNT, 3)])
    text_count = SearchAttributeKey.for_text("count")
    updated = attrs.updated(SearchAttributePair(text_count, "three"), SearchAttributePair(STATUS, "open"))
    assert updated == TypedSearchAttributes(
        [SearchAttributePair(text_count, "three"), SearchAttributePair(STATUS, "open")]
    )
    assert attrs == TypedSearchAttributes([SearchAttributePair(COUNT, 3)])


def test_empty_has_no_attributes() -> None:
    assert len(TypedSearchAttributes.empty) == 0
    assert list(TypedSearchAttributes.empty) == []
    assert TypedSearchAttributes.empty == TypedSearchAttributes([])


# --- encoding: the bytes temporalio writes ---


@pytest.mark.parametrize(
    ("key", "value", "type_", "data"),
    [
        (SearchAttributeKey.for_text("a"), "hello world", b"Text", b'"hello world"'),
        (SearchAttributeKey.for_text("a"), "\u00e9", b"Text", b'"\\u00e9"'),
        (SearchAttributeKey.for_keyword("a"), "abc", b"Keyword", b'"abc"'),
        (SearchAttributeKey.for_int("a"), 42, b"Int", b"42"),
        (SearchAttributeKey.for_float("a"), 1.5, b"Double", b"1.5"),
        (SearchAttributeKey.for_float("a"), 2.0, b"Double", b"2.0"),
        (SearchAttributeKey.for_bool("a"), True, b"Bool", b"true"),
        (SearchAttributeKey.for_datetime("a"), UTC_2026, b"Datetime", b'"2026-01-02T03:04:05+00:00"'),
        (SearchAttributeKey.for_datetime("a"), PLUS_2, b"Datetime", b'"2026-01-02T03:04:05.123456+02:00"'),
        (SearchAttributeKey.for_keyword_list("a"), ["a", "b"], b"KeywordList", b'["a","b"]'),
    ],
)
def test_typed_values_encode_to_temporalios_bytes(
    key: SearchAttributeKey[Any], value: Any, type_: bytes, data: bytes
) -> None:
    payload = encode_typed_search_attribute_value(key, value)
    assert payload.metadata == {"encoding": b"json/plain", "type": type_}
    assert payload.data == data


def test_an_unset_value_is_a_bare_null_without_type_metadata() -> None:
    # temporalio leaves the type out: the server unsets an attribute only for an untyped null.
    update = SearchAttributeKey.for_keyword("a").value_unset()
    payload = encode_typed_search_attribute_value(update.key, update.value)
    assert payload.metadata == {"encoding": b"binary/null"}
    assert payload.data == b""


@pytest.mark.parametrize(
    ("key", "value", "error", "message"),
    [
        (SearchAttributeKey.for_int("a"), "x", TypeError, "Value of type x not suitable for indexed value type 3"),
        (SearchAttributeKey.for_float("a"), 1, TypeError, "Value of type 1 not suitable for indexed value type 4"),
        (SearchAttributeKey.for_keyword("a"), ["x"], TypeError, "not suitable for indexed value type 2"),
        (
            SearchAttributeKey.for_datetime("a"),
            datetime(2026, 1, 1),
            ValueError,
            "Timezone must be present on all search attribute dates",
        ),
        (SearchAttributeKey.for_keyword_list("a"), ["a", 1], TypeError, "All values of a keyword list must be strings"),
    ],
)
def test_typed_values_of_the_wrong_type_are_refused_as_temporalio_refuses_them(
    key: SearchAttributeKey[Any], value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode_typed_search_attribute_value(key, value)


@pytest.mark.parametrize(
    ("vals", "data"),
    [
        (["a"], b'["a"]'),
        (["a", "b"], b'["a","b"]'),
        ([1], b"[1]"),
        ([1.5], b"[1.5]"),
        ([True], b"[true]"),
        ([UTC_2026], b'["2026-01-02T03:04:05+00:00"]'),
        ([], b"[]"),
    ],
)
def test_legacy_values_encode_to_temporalios_untyped_bytes(vals: SearchAttributeValues, data: bytes) -> None:
    payload = encode_search_attribute_values(vals)
    assert payload.metadata == {"encoding": b"json/plain"}
    assert payload.data == data


@pytest.mark.parametrize(
    ("vals", "error", "message"),
    [
        ("abc", TypeError, "Search attribute values must be lists"),
        ([1, "a"], TypeError, "Search attribute values must have the same type for the same key"),
        ([1, True], TypeError, "Search attribute values must have the same type for the same key"),
        ([datetime(2026, 1, 1)], ValueError, "Timezone must be present on all search attribute dates"),
        ([b"x"], TypeError, "Search attribute value of type bytes not one of str, int, float, bool, or datetime"),
    ],
)
def test_legacy_values_of_the_wrong_type_are_refused_as_temporalio_refuses_them(
    vals: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode_search_attribute_values(vals)


def test_encoding_typed_attributes_sets_each_on_the_mapping_replacing_what_was_there() -> None:
    fields = {"count": _json(b'"old"', "Keyword"), "other": _json(b"1", "Int")}
    encode_search_attributes(TypedSearchAttributes([SearchAttributePair(COUNT, 3)]), fields)
    assert fields == {"count": _json(b"3", "Int"), "other": _json(b"1", "Int")}


def test_encoding_legacy_attributes_sets_untyped_lists() -> None:
    fields: dict[str, Payload] = {}
    encode_search_attributes({"status": ["open"], "count": [3]}, fields)
    assert fields == {"status": _json(b'["open"]'), "count": _json(b"[3]")}
    encode_search_attributes({}, fields)
    assert len(fields) == 2


def test_encoding_refuses_typed_and_legacy_attributes_together() -> None:
    typed = TypedSearchAttributes([SearchAttributePair(COUNT, 3)])
    with pytest.raises(ValueError, match="Cannot provide both deprecated search attributes and typed"):
        private._encode_maybe_typed_search_attributes({"a": ["x"]}, typed, {})
    fields: dict[str, Payload] = {}
    private._encode_maybe_typed_search_attributes(None, typed, fields)
    private._encode_maybe_typed_search_attributes({"a": ["x"]}, TypedSearchAttributes.empty, fields)
    assert fields == {"count": _json(b"3", "Int"), "a": _json(b'["x"]')}


# --- decoding: what Legato writes and what Temporal's server returns ---

EVERY_TYPE = TypedSearchAttributes(
    [
        SearchAttributePair(SearchAttributeKey.for_text("text"), "hello world"),
        SearchAttributePair(SearchAttributeKey.for_keyword("keyword"), "abc"),
        SearchAttributePair(SearchAttributeKey.for_int("int"), -7),
        SearchAttributePair(SearchAttributeKey.for_float("float"), 2.0),
        SearchAttributePair(SearchAttributeKey.for_bool("bool"), False),
        SearchAttributePair(SearchAttributeKey.for_datetime("datetime"), PLUS_2),
        SearchAttributePair(SearchAttributeKey.for_keyword_list("keyword_list"), ["a", "b"]),
    ]
)


def test_typed_attributes_of_every_type_round_trip() -> None:
    fields: dict[str, Payload] = {}
    encode_search_attributes(EVERY_TYPE, fields)
    assert decode_typed_search_attributes(fields) == EVERY_TYPE


def test_typed_attributes_decode_as_legacy_lists() -> None:
    fields: dict[str, Payload] = {}
    encode_search_attributes(EVERY_TYPE, fields)
    assert decode_search_attributes(fields) == {
        "text": ["hello world"],
        "keyword": ["abc"],
        "int": [-7],
        "float": [2.0],
        "bool": [False],
        "datetime": [PLUS_2],
        "keyword_list": ["a", "b"],
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'"2026-01-02T03:04:05Z"', UTC_2026),
        (b'"2026-01-02T03:04:05+00:00"', UTC_2026),
        (b'"2026-01-02T05:04:05.123456+02:00"', UTC_2026.replace(hour=3, microsecond=123456)),
        # Go writes nanoseconds; Python keeps the microseconds, as temporalio does.
        (b'"2026-01-02T03:04:05.123456789Z"', UTC_2026.replace(microsecond=123456)),
        (b'["2026-01-02T03:04:05Z"]', UTC_2026),
    ],
)
def test_server_datetimes_decode_with_z_offsets_and_nanoseconds(data: bytes, expected: datetime) -> None:
    key = SearchAttributeKey.for_datetime("at")
    assert decode_typed_search_attributes({"at": _json(data, "Datetime")})[key] == expected
    assert decode_search_attributes({"at": _json(data, "Datetime")}) == {"at": [expected]}


def test_server_forms_decode_to_typed_values() -> None:
    fields = {
        # Visibility returns a whole Double as a JSON integer.
        "double": _json(b"2", "Double"),
        # Older servers wrap single values in a list.
        "listed": _json(b"[3]", "Int"),
        "screaming": _json(b'"x"', "INDEXED_VALUE_TYPE_KEYWORD"),
        "tags": _json(b'["x","y"]', "KeywordList"),
    }
    assert decode_typed_search_attributes(fields) == TypedSearchAttributes(
        [
            SearchAttributePair(SearchAttributeKey.for_float("double"), 2.0),
            SearchAttributePair(SearchAttributeKey.for_int("listed"), 3),
            SearchAttributePair(SearchAttributeKey.for_keyword("screaming"), "x"),
            SearchAttributePair(SearchAttributeKey.for_keyword_list("tags"), ["x", "y"]),
        ]
    )


def test_typed_decoding_leaves_out_what_has_no_key_or_does_not_fit_it() -> None:
    fields = {
        "untyped": _json(b'"x"'),
        "unknown": _json(b'"x"', "Foo"),
        "wrong": _json(b'"x"', "Int"),
        "several": _json(b"[3,4]", "Int"),
        "null": Payload(metadata={"encoding": b"binary/null", "type": b"Keyword"}),
    }
    assert decode_typed_search_attributes(fields) == TypedSearchAttributes.empty


def test_legacy_decoding_keeps_untyped_values_as_lists() -> None:
    fields = {"untyped": _json(b'"x"'), "several": _json(b"[3,4]", "Int"), "double": _json(b"2", "Double")}
    decoded: SearchAttributes = decode_search_attributes(fields)
    # As temporalio: the legacy form does not make a whole Double a float.
    assert decoded == {"untyped": ["x"], "several": [3, 4], "double": [2]}


def test_one_value_decodes_as_the_client_reports_it() -> None:
    assert private._decode_search_attribute_value(_json(b'"2026-01-02T03:04:05Z"', "Datetime")) == UTC_2026
    assert private._decode_search_attribute_value(_json(b'["x","y"]', "KeywordList")) == ["x", "y"]
    assert private._decode_search_attribute_value(_json(b'"x"')) == "x"
    assert private._decode_search_attribute_value(Payload(metadata={"encoding": b"binary/null"})) is None
