"""Listing and counting runs: a ``filters.Filter`` as parameterised SQL on ``executions``.

Every value travels as a parameter; the SQL text is built only from the fixed column
expressions below and the filter's shape. Pages are keyset pages: the token holds the
last row's sort key, so page 1,000 costs what page 1 does.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from legato_operator.store import db, executions, rows
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

# Runs that are running sort as if they closed at the end of time: first, newest first.
_CLOSE_ORDER = "coalesce(close_time, 'infinity'::timestamptz)"
_COLUMN = {
    Attribute.WORKFLOW_ID: "workflow_id",
    Attribute.WORKFLOW_TYPE: "workflow_type",
    Attribute.RUN_ID: "run_id::text",
    Attribute.EXECUTION_STATUS: "status",
    Attribute.TASK_QUEUE: "task_queue",
    Attribute.START_TIME: "start_time",
    Attribute.CLOSE_TIME: "close_time",
    Attribute.EXECUTION_TIME: "execution_time",
    Attribute.EXECUTION_DURATION: "(close_time - execution_time)",
    Attribute.HISTORY_LENGTH: "(next_event_id - 1)",
}
# What each attribute sorts by: never NULL, so that keyset pages can compare it.
_SORT_KEY = _COLUMN | {
    Attribute.CLOSE_TIME: _CLOSE_ORDER,
    Attribute.EXECUTION_TIME: "coalesce(execution_time, start_time)",
    Attribute.RUN_ID: "run_id",
}
# Temporal's default order (its SQL visibility's), which the executions_list indexes serve.
DEFAULT_ORDER = (
    OrderTerm(Attribute.CLOSE_TIME, descending=True),
    OrderTerm(Attribute.START_TIME, descending=True),
)
_TIE_BREAK = OrderTerm(Attribute.RUN_ID, descending=True)
_SIMPLE = {Op.EQ: "=", Op.NE: "!=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


class BadPageToken(ValueError):
    """A page token this store did not write (or for another order)."""


@dataclass(frozen=True)
class Page:
    executions: list[rows.Execution]
    next_page_token: str | None


class _Params:
    """Numbered parameters, added as the SQL text is built."""

    def __init__(self, first: int = 1) -> None:
        self.values: list[Any] = []
        self.first = first

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${self.first + len(self.values) - 1}"


def where_sql(where: Expression | None, params: _Params) -> str:
    """The SQL condition for ``where`` (``TRUE`` for none), its values put in ``params``."""
    if where is None:
        return "TRUE"
    if isinstance(where, And):
        return "(" + " AND ".join(where_sql(t, params) for t in where.terms) + ")"
    if isinstance(where, Or):
        return "(" + " OR ".join(where_sql(t, params) for t in where.terms) + ")"
    return _comparison_sql(where, params)


def _comparison_sql(c: Comparison, params: _Params) -> str:
    if isinstance(c.attribute, Custom):
        return _custom_sql(c.attribute, c, params)
    return _column_sql(_COLUMN[c.attribute], c, params)


def _column_sql(column: str, c: Comparison, params: _Params) -> str:
    if c.op in _SIMPLE:
        return f"{column} {_SIMPLE[c.op]} {params.add(c.values[0])}"
    if c.op in (Op.IN, Op.NOT_IN):
        negation = "NOT " if c.op is Op.NOT_IN else ""
        return f"{negation}({column} = ANY({params.add(list(c.values))}))"
    if c.op in (Op.BETWEEN, Op.NOT_BETWEEN):
        negation = "NOT " if c.op is Op.NOT_BETWEEN else ""
        return f"{negation}({column} BETWEEN {params.add(c.values[0])} AND {params.add(c.values[1])})"
    if c.op in (Op.STARTS_WITH, Op.NOT_STARTS_WITH):
        negation = "NOT " if c.op is Op.NOT_STARTS_WITH else ""
        return f"{negation}starts_with({column}, {params.add(c.values[0])})"
    return f"{column} IS {'NOT ' if c.op is Op.IS_NOT_NULL else ''}NULL"


# A custom attribute's value as SQL of its type (the row keeps {"type", "value"} by name; a
# Datetime's value is ISO 8601 text, which the cast reads back).
_CAST = {Kind.INT: "::bigint", Kind.DOUBLE: "::float8", Kind.DATETIME: "::timestamptz", Kind.KEYWORD: ""}


def _custom_sql(attribute: Custom, c: Comparison, params: _Params) -> str:
    """A comparison on a custom attribute. Equality and membership are containment
    (``@>``), which the GIN index serves; an absent attribute matches only IS NULL, as a
    NULL column does in Temporal's SQL visibility."""
    if c.op in (Op.EQ, Op.IN) and attribute.kind is not Kind.TEXT:
        return _contains_sql(attribute, c.values, params)
    name = f"{params.add(attribute.name)}::text"
    has = f"coalesce(search_attributes ? {name}, false)"
    if c.op in (Op.IS_NULL, Op.IS_NOT_NULL):
        return f"NOT {has}" if c.op is Op.IS_NULL else has
    if attribute.kind is Kind.TEXT:
        text = f"search_attributes->{name}->>'value'"
        words = f"to_tsvector('simple', {text}) @@ plainto_tsquery('simple', {params.add(c.values[0])})"
        return words if c.op is Op.EQ else f"({has} AND NOT {words})"
    if c.op in (Op.NE, Op.NOT_IN):
        return f"({has} AND NOT {_contains_sql(attribute, c.values, params)})"
    value = f"(search_attributes->{name}->>'value'){_CAST[attribute.kind]}"
    return _column_sql(value, c, params)


def _contains_sql(attribute: Custom, values: tuple[Value, ...], params: _Params) -> str:
    wanted = [_contained(attribute, v) for v in values]
    return f"search_attributes @> ANY({params.add(wanted)}::jsonb[])"


def _contained(attribute: Custom, value: Value) -> dict[str, Any]:
    """The jsonb a row must contain for ``attribute = value`` (a list holds the value)."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    return {attribute.name: {"value": [value] if attribute.kind is Kind.KEYWORD_LIST else value}}


def _order(f: Filter) -> tuple[OrderTerm, ...]:
    return (f.order_by or DEFAULT_ORDER) + (_TIE_BREAK,)


def _order_sql(order: tuple[OrderTerm, ...]) -> str:
    return ", ".join(f"{_SORT_KEY[t.attribute]} {'DESC' if t.descending else 'ASC'}" for t in order)


def _after_sql(order: tuple[OrderTerm, ...], last: list[Value], params: _Params) -> str:
    """Rows after ``last`` in ``order``: a row comparison when every key runs one way (which
    the indexes serve), else (k1 past v1) OR (k1 = v1 AND k2 past v2) OR ..."""
    if len({t.descending for t in order}) == 1:
        keys = ", ".join(_SORT_KEY[t.attribute] for t in order)
        values = ", ".join(params.add(v) for v in last)
        return f"({keys}) {'<' if order[0].descending else '>'} ({values})"
    alternatives = []
    for i, term in enumerate(order):
        equal = [f"{_SORT_KEY[t.attribute]} = {params.add(v)}" for t, v in zip(order[:i], last[:i], strict=True)]
        past = f"{_SORT_KEY[term.attribute]} {'<' if term.descending else '>'} {params.add(last[i])}"
        alternatives.append("(" + " AND ".join([*equal, past]) + ")")
    return "(" + " OR ".join(alternatives) + ")"


async def list_page(conn: db.Connection, namespace: str, f: Filter, *, page_size: int, page_token: str | None) -> Page:
    """One page of the namespace's runs that ``f`` matches, in its order."""
    order = _order(f)
    params = _Params()
    conditions = [f"namespace = {params.add(namespace)}", where_sql(f.where, params)]
    if page_token:
        conditions.append(_after_sql(order, _decode_token(page_token, order), params))
    keys = ", ".join(f"{_SORT_KEY[t.attribute]} AS sort_{i}" for i, t in enumerate(order))
    sql = (
        f"SELECT {', '.join(executions.COLUMNS)}, {keys} FROM executions"
        f" WHERE {' AND '.join(conditions)} ORDER BY {_order_sql(order)} LIMIT {params.add(page_size + 1)}"
    )
    records = await conn.fetch(sql, *params.values)
    more = len(records) > page_size
    records = records[:page_size]
    token = _encode_token([records[-1][f"sort_{i}"] for i in range(len(order))]) if more else None
    return Page([executions.from_record(r) for r in records], token)


async def count(conn: db.Connection, namespace: str, f: Filter) -> int:
    """How many of the namespace's runs ``f`` matches."""
    params = _Params()
    where = f"namespace = {params.add(namespace)} AND {where_sql(f.where, params)}"
    return int(await conn.fetchval(f"SELECT count(*) FROM executions WHERE {where}", *params.values))


async def count_by_status(conn: db.Connection, namespace: str, f: Filter) -> dict[str, int]:
    """How many of the namespace's runs ``f`` matches, per status."""
    params = _Params()
    where = f"namespace = {params.add(namespace)} AND {where_sql(f.where, params)}"
    sql = f"SELECT status, count(*) AS n FROM executions WHERE {where} GROUP BY status"
    return {str(r["status"]): int(r["n"]) for r in await conn.fetch(sql, *params.values)}


def _encode_token(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def _decode_token(token: str, order: tuple[OrderTerm, ...]) -> list[Value]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(plain, list) or len(plain) != len(order):
            raise ValueError("wrong length")
        return [_sort_value(t.attribute, v) for t, v in zip(order, plain, strict=True)]
    except (ValueError, TypeError) as e:
        raise BadPageToken(f"next_page_token is not a token of this query's pages ({e})") from None


def _sort_value(attribute: Attribute, plain: Any) -> Value:
    if attribute is Attribute.RUN_ID:
        return str(uuid.UUID(plain))
    if attribute.kind is Kind.DATETIME:
        return datetime.fromisoformat(plain)
    if attribute.kind is Kind.INT:
        return int(plain)
    if not isinstance(plain, str):
        raise TypeError(f"{attribute} sorts by text")
    return plain
