"""The rules of custom search attributes, with no services: what may be registered, how a
value is checked against its type (Temporal's messages), and how the row keeps values."""

from __future__ import annotations

import pytest

from legato.api.common.v1 import Payload
from legato.api.operatorservice.v1 import MAX_SEARCH_ATTRIBUTES, SearchAttributeType
from legato_operator import errors
from legato_operator.engine.rules import search_attributes as rules

REGISTERED = {"Amount": "Int", "Tags": "KeywordList", "DueAt": "Datetime", "Customer": "Keyword", "Score": "Double"}


def typed(data: bytes, type_: str | None = None) -> Payload:
    metadata = {"encoding": b"json/plain"} | ({"type": type_.encode()} if type_ else {})
    return Payload(metadata=metadata, data=data)


@pytest.mark.parametrize("name", ["WorkflowId", "ExecutionStatus", "TemporalChangeVersion", "TemporalAnything"])
def test_system_and_temporal_names_are_reserved(name: str) -> None:
    with pytest.raises(errors.InvalidArgument, match=f"Search attribute {name} is reserved by system."):
        rules.check_name(name)


@pytest.mark.parametrize("name", ["bad-name", "9lives", "with space", "x" * 65])
def test_a_name_must_be_an_identifier(name: str) -> None:
    with pytest.raises(errors.InvalidArgument, match="letters, digits and '_'"):
        rules.check_name(name)


def test_registering_again_with_the_same_type_adds_nothing() -> None:
    added = rules.to_register(REGISTERED, {"Amount": SearchAttributeType.INT, "New": SearchAttributeType.BOOL})
    assert added == {"New": SearchAttributeType.BOOL}


def test_registering_again_with_another_type_is_refused() -> None:
    with pytest.raises(errors.AlreadyExists, match="Search attribute Amount is already registered with type Int"):
        rules.to_register(REGISTERED, {"Amount": SearchAttributeType.KEYWORD})


def test_a_namespace_registers_at_most_its_limit() -> None:
    current = {f"A{i}": "Keyword" for i in range(MAX_SEARCH_ATTRIBUTES)}
    with pytest.raises(errors.InvalidArgument, match=f"at most {MAX_SEARCH_ATTRIBUTES}"):
        rules.to_register(current, {"OneMore": SearchAttributeType.KEYWORD})


def test_checked_values_carry_their_type_and_the_row_keeps_them_with_it() -> None:
    checked = rules.checked(
        "default",
        REGISTERED,
        {"Amount": typed(b"5"), "Tags": typed(b'["a","b"]', "KeywordList"), "DueAt": typed(b'"2027-01-02T03:04:05Z"')},
    )
    assert checked["Amount"].metadata == {"encoding": b"json/plain", "type": b"Int"}
    assert checked["DueAt"].data == b'"2027-01-02T03:04:05+00:00"'
    assert rules.stored(checked) == {
        "Amount": {"type": "Int", "value": 5},
        "Tags": {"type": "KeywordList", "value": ["a", "b"]},
        "DueAt": {"type": "Datetime", "value": "2027-01-02T03:04:05+00:00"},
    }
    assert rules.payloads(rules.stored(checked)) == {k: v for k, v in checked.items()}


def test_the_untyped_form_of_older_sdks_is_read_by_the_registered_type() -> None:
    checked = rules.checked("default", REGISTERED, {"Customer": typed(b'["c-1"]'), "Score": typed(b"[2]")})
    assert rules.stored(checked) == {
        "Customer": {"type": "Keyword", "value": "c-1"},
        "Score": {"type": "Double", "value": 2.0},
    }


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("Nope", typed(b'"x"'), "Namespace shop has no mapping defined for search attribute Nope"),
        ("Amount", typed(b'"lots"'), 'invalid value for search attribute Amount of type Int: "lots"'),
        ("Amount", typed(b"true"), "invalid value for search attribute Amount of type Int: true"),
        ("Amount", typed(b"9223372036854775808"), "of type Int"),
        ("Amount", typed(b"5", "Keyword"), "search attribute Amount is of type Int, not Keyword"),
        ("Tags", typed(b"[1]"), "of type KeywordList"),
        ("DueAt", typed(b'"tomorrow"'), "of type Datetime"),
        ("Customer", typed(b"{not json"), "of type Keyword"),
        ("Customer", typed(b'"' + b"x" * 3000 + b'"'), "is over 2048 bytes"),
    ],
)
def test_a_bad_value_is_refused_naming_the_attribute(name: str, payload: Payload, message: str) -> None:
    with pytest.raises(errors.InvalidArgument, match=message) as refused:
        rules.checked("shop", REGISTERED, {name: payload})
    assert refused.value.field == f"search_attributes.{name}"


def test_an_unset_removes_the_value_and_an_empty_list_unsets_too() -> None:
    current = rules.stored(rules.checked("default", REGISTERED, {"Amount": typed(b"5"), "Customer": typed(b'"c"')}))
    null = Payload(metadata={"encoding": b"binary/null"})
    changes = rules.checked("default", REGISTERED, {"Amount": null, "Customer": typed(b"[]")})
    assert changes["Amount"].metadata == {"encoding": b"binary/null", "type": b"Int"}
    assert rules.upserted(current, changes) is None


def test_all_of_a_runs_values_together_stay_under_temporals_limit() -> None:
    many = {f"K{i}": "Keyword" for i in range(30)}
    values = {name: typed(b'"' + b"v" * 1500 + b'"') for name in many}
    with pytest.raises(errors.InvalidArgument, match=f"over the limit of {rules.MAX_TOTAL_BYTES}"):
        rules.checked("default", many, values)
