"""Temporal's list filter language, parsed into ``store.filters``.

The grammar is the SQL ``WHERE`` subset Temporal's visibility accepts (``WorkflowType =
'x' AND (StartTime > '2026-01-01T00:00:00Z' OR CloseTime IS NULL) ORDER BY StartTime``),
parsed by lark so that a syntax error names its position. Values are checked against the
attribute's type here, with Temporal's messages, so the store only ever sees typed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import lark

from legato.api.common.v1 import WorkflowExecutionStatus
from legato_operator.errors import InvalidArgument
from legato_operator.store.filters import (
    And,
    Attribute,
    Comparison,
    Custom,
    Expression,
    Filter,
    Kind,
    Op,
    Or,
    OrderTerm,
    Value,
)

FIELD = "query"

_GRAMMAR = r"""
    start: expr? group_by? order_by?
    ?expr: or_expr
    ?or_expr: and_expr (_OR and_expr)*
    ?and_expr: not_expr (_AND not_expr)*
    ?not_expr: NOT not_expr -> negation
             | "(" expr ")"
             | predicate
    predicate: name COMPARE value              -> compare
             | name NOT? _IN "(" value ("," value)* ")" -> in_list
             | name NOT? _BETWEEN value _AND value  -> between
             | name NOT? _STARTS_WITH value       -> starts_with
             | name _IS NOT? _NULL                -> is_null
    group_by: _GROUP _BY name
    order_by: _ORDER _BY order_term ("," order_term)*
    order_term: name DIRECTION?
    name: NAME | QUOTED_NAME
    value: STRING | NUMBER | BOOLEAN

    COMPARE: "<=" | ">=" | "!=" | "<>" | "=" | "<" | ">"
    _OR.2: /or\b/i
    _AND.2: /and\b/i
    NOT.2: /not\b/i
    _IN.2: /in\b/i
    _BETWEEN.2: /between\b/i
    _STARTS_WITH.2: /starts_with\b/i
    _IS.2: /is\b/i
    _NULL.2: /null\b/i
    _ORDER.2: /order\b/i
    _GROUP.2: /group\b/i
    _BY.2: /by\b/i
    DIRECTION.2: /(asc|desc)\b/i
    NAME: /[A-Za-z_][A-Za-z0-9_.]*/
    QUOTED_NAME: /`[^`]+`/
    STRING: /'(?:[^'\\]|\\.|'')*'/ | /"(?:[^"\\]|\\.|"")*"/
    NUMBER: /-?\d+(\.\d+)?/
    BOOLEAN.3: /(true|false)\b/i
    %import common.WS
    %ignore WS
"""

_PARSER = lark.Lark(_GRAMMAR, parser="lalr", maybe_placeholders=False)


def status_name(status: str) -> str:
    """Temporal's name of a stored status, as list filters and count groups write it."""
    return next(name for name, s in _STATUS_NAMES.items() if s.value == status)


# Temporal writes statuses as 'Running', 'ContinuedAsNew', ...; integers as its enum's.
_STATUS_NAMES = {
    "Running": WorkflowExecutionStatus.RUNNING,
    "Completed": WorkflowExecutionStatus.COMPLETED,
    "Failed": WorkflowExecutionStatus.FAILED,
    "Canceled": WorkflowExecutionStatus.CANCELED,
    "Terminated": WorkflowExecutionStatus.TERMINATED,
    "ContinuedAsNew": WorkflowExecutionStatus.CONTINUED_AS_NEW,
    "TimedOut": WorkflowExecutionStatus.TIMED_OUT,
}
_STATUS_NUMBERS = dict(enumerate(_STATUS_NAMES.values(), start=1))
_COMPARE = {"=": Op.EQ, "!=": Op.NE, "<>": Op.NE, "<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE}
_NEGATED = {
    Op.EQ: Op.NE,
    Op.NE: Op.EQ,
    Op.LT: Op.GE,
    Op.GE: Op.LT,
    Op.GT: Op.LE,
    Op.LE: Op.GT,
    Op.IN: Op.NOT_IN,
    Op.NOT_IN: Op.IN,
    Op.BETWEEN: Op.NOT_BETWEEN,
    Op.NOT_BETWEEN: Op.BETWEEN,
    Op.STARTS_WITH: Op.NOT_STARTS_WITH,
    Op.NOT_STARTS_WITH: Op.STARTS_WITH,
    Op.IS_NULL: Op.IS_NOT_NULL,
    Op.IS_NOT_NULL: Op.IS_NULL,
}
# Which operators each kind of attribute takes (Temporal refuses LIKE and friends).
_ORDERED = {Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE, Op.IN, Op.NOT_IN, Op.BETWEEN, Op.NOT_BETWEEN}
_NULLS = {Op.IS_NULL, Op.IS_NOT_NULL}
_ALLOWED = {
    Kind.KEYWORD: _ORDERED | _NULLS | {Op.STARTS_WITH, Op.NOT_STARTS_WITH},
    Kind.DATETIME: _ORDERED | _NULLS,
    Kind.INT: _ORDERED | _NULLS,
    Kind.DURATION: _ORDERED | _NULLS,
    Kind.DOUBLE: _ORDERED | _NULLS,
    # As Temporal: text matches words (=, !=); a keyword list, any of its values.
    Kind.TEXT: {Op.EQ, Op.NE} | _NULLS,
    Kind.BOOL: {Op.EQ, Op.NE} | _NULLS,
    Kind.KEYWORD_LIST: {Op.EQ, Op.NE, Op.IN, Op.NOT_IN} | _NULLS,
}
_STATUS_OPS = {Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.IS_NULL, Op.IS_NOT_NULL}
_NANOS_PER_MICRO = 1000
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_CLOCK = re.compile(r"(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)")


def parse(text: str, custom: Mapping[str, str] | None = None) -> Filter:
    """The filter ``text`` says, over the system attributes and the namespace's ``custom``
    ones (name -> type); ``InvalidArgument(field="query")`` naming what is wrong."""
    if not text.strip():
        return Filter()
    try:
        tree = _PARSER.parse(text)
    except lark.UnexpectedInput as e:
        raise InvalidArgument(FIELD, _syntax_message(text, e)) from None
    try:
        result: Filter = _ToFilter(custom or {}).transform(tree)
        return result
    except lark.exceptions.VisitError as e:  # a value the attribute does not take
        raise e.orig_exc from None


def _syntax_message(text: str, e: lark.UnexpectedInput) -> str:
    token = getattr(e, "token", None)
    at = e.pos_in_stream if e.pos_in_stream is not None else -1
    if at < 0 or at >= len(text) or (token is not None and token.type == "$END"):
        return f"invalid query: syntax error at position {len(text) + 1}: the query ends too early"
    near = str(token) if token else text[at]
    return f"invalid query: syntax error at position {at + 1}: unexpected {near!r}"


def _invalid(message: str) -> InvalidArgument:
    return InvalidArgument(FIELD, f"invalid query: {message}")


class _ToFilter(lark.Transformer[Any, Any]):
    """Builds the typed filter from the parse tree, checking each value on the way."""

    def __init__(self, custom: Mapping[str, str]) -> None:
        super().__init__()
        self._custom = custom

    def start(self, items: list[Any]) -> Filter:
        where = next((i for i in items if not isinstance(i, tuple | Attribute)), None)
        group = next((i for i in items if isinstance(i, Attribute)), None)
        order = next((i for i in items if isinstance(i, tuple)), ())
        return Filter(where=where, group_by=group, order_by=order)

    def group_by(self, items: list[Attribute]) -> Attribute:
        if items[0] is not Attribute.EXECUTION_STATUS:  # as Temporal: the one it groups by
            raise _invalid(f"'GROUP BY' clause is not supported for search attribute {items[0]}")
        return items[0]

    def or_expr(self, items: list[Expression]) -> Or:
        return Or(tuple(items))

    def and_expr(self, items: list[Expression]) -> And:
        return And(tuple(items))

    def negation(self, items: list[Expression]) -> Expression:
        return negate(items[-1])

    def name(self, items: list[lark.Token]) -> Attribute | Custom:
        text = str(items[0]).strip("`")
        if text in self._custom:
            return Custom(text, Kind(self._custom[text]))
        try:
            return Attribute(text)
        except ValueError:
            raise _invalid(f"invalid search attribute: {text}") from None

    def value(self, items: list[lark.Token]) -> str | int | float | bool:
        token = items[0]
        if token.type == "BOOLEAN":
            return str(token).lower() == "true"
        if token.type == "STRING":
            quote, body = str(token)[0], str(token)[1:-1]
            return re.sub(r"\\(.)", r"\1", body.replace(quote * 2, quote))
        return float(token) if "." in token else int(token)

    def compare(self, items: list[Any]) -> Comparison:
        attribute, op, value = items
        return _comparison(attribute, _COMPARE[str(op)], [value])

    def in_list(self, items: list[Any]) -> Comparison:
        attribute, negated, values = _split(items)
        return _comparison(attribute, Op.NOT_IN if negated else Op.IN, values)

    def between(self, items: list[Any]) -> Comparison:
        attribute, negated, values = _split(items)
        return _comparison(attribute, Op.NOT_BETWEEN if negated else Op.BETWEEN, values)

    def starts_with(self, items: list[Any]) -> Comparison:
        attribute, negated, values = _split(items)
        return _comparison(attribute, Op.NOT_STARTS_WITH if negated else Op.STARTS_WITH, values)

    def is_null(self, items: list[Any]) -> Comparison:
        attribute, negated, _ = _split(items)
        return _comparison(attribute, Op.IS_NOT_NULL if negated else Op.IS_NULL, [])

    def order_by(self, items: list[OrderTerm]) -> tuple[OrderTerm, ...]:
        return tuple(items)

    def order_term(self, items: list[Any]) -> OrderTerm:
        attribute = items[0]
        descending = len(items) > 1 and str(items[1]).lower() == "desc"
        if isinstance(attribute, Custom):
            raise _invalid(f"ORDER BY takes system search attributes only, not {attribute}")
        if attribute.kind is Kind.DURATION:
            raise _invalid(f"cannot order by {attribute}")
        return OrderTerm(attribute, descending)


def _split(items: list[Any]) -> tuple[Attribute | Custom, bool, list[Any]]:
    negated = len(items) > 1 and isinstance(items[1], lark.Token) and items[1].type == "NOT"
    return items[0], negated, items[2 if negated else 1 :]


def negate(expression: Expression) -> Expression:
    """``NOT expression``, pushed down to the comparisons (De Morgan)."""
    if isinstance(expression, And):
        return Or(tuple(negate(t) for t in expression.terms))
    if isinstance(expression, Or):
        return And(tuple(negate(t) for t in expression.terms))
    return Comparison(expression.attribute, _NEGATED[expression.op], expression.values)


def _comparison(attribute: Attribute | Custom, op: Op, raw: list[Any]) -> Comparison:
    allowed = _STATUS_OPS if attribute is Attribute.EXECUTION_STATUS else _ALLOWED[attribute.kind]
    if op not in allowed:
        raise _invalid(f"operator '{op}' not supported for {attribute.kind.value} type search attribute '{attribute}'")
    return Comparison(attribute, op, tuple(_typed(attribute, v) for v in raw))


def _typed(attribute: Attribute | Custom, raw: str | int | float | bool) -> Value:
    if attribute is Attribute.EXECUTION_STATUS:
        return _status(raw)
    if isinstance(raw, bool) and attribute.kind is not Kind.BOOL:
        raise _invalid(f"invalid value type for search attribute {attribute} of type {attribute.kind.value}: {raw}")
    kind = attribute.kind
    if kind in (Kind.KEYWORD, Kind.TEXT, Kind.KEYWORD_LIST) and isinstance(raw, str):
        return raw
    if kind is Kind.INT and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if kind is Kind.DOUBLE and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if kind is Kind.BOOL and isinstance(raw, bool | str) and str(raw).lower() in ("true", "false"):
        return str(raw).lower() == "true"
    if kind is Kind.DATETIME:
        return _datetime(raw)
    if kind is Kind.DURATION:
        return _duration(raw)
    shown = f'"{raw}" (type: string)' if isinstance(raw, str) else f"{raw} (type: {_value_kind(raw)})"
    raise _invalid(f"invalid value type for search attribute {attribute} of type {kind.value}: {shown}")


def _value_kind(raw: int | float | bool) -> str:
    return "bool" if isinstance(raw, bool) else "number"


def _status(raw: str | int | float | bool) -> str:
    status = _STATUS_NAMES.get(raw) if isinstance(raw, str) else _STATUS_NUMBERS.get(int(raw))
    if status is None:
        raise _invalid(f"invalid ExecutionStatus value '{raw}'")
    return status.value


def _datetime(raw: str | int | float | bool) -> datetime:
    if isinstance(raw, int | float):  # nanoseconds since the epoch, as Temporal takes them
        return datetime.fromtimestamp(raw / 1e9, UTC)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise _invalid(f"unable to parse datetime '{raw}'") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # as Temporal: UTC


def _duration(raw: str | int | float | bool) -> timedelta:
    """Go's ``1h30m``, ``HH:MM:SS``, or nanoseconds, as Temporal's ExecutionDuration takes."""
    if isinstance(raw, int | float):
        return timedelta(microseconds=raw / _NANOS_PER_MICRO)
    if clock := _CLOCK.fullmatch(raw):
        hours, minutes, seconds = clock.groups()
        return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))
    parts = _GO_DURATION.findall(raw)
    if not parts or "".join(n + u for n, u in parts) != raw:
        raise _invalid(f"invalid duration value '{raw}' for search attribute ExecutionDuration")
    return timedelta(seconds=sum(float(n) * _GO_UNITS[u] for n, u in parts))
