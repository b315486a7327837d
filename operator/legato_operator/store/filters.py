"""A parsed list filter: what ``store.visibility`` turns into SQL.

These are plain values, like the row types, so the engine's parser can build them without
touching the database; only ``store.visibility`` knows the columns they map to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum, StrEnum


class Kind(Enum):
    """The type of an attribute's values, which decides the operators it takes."""

    KEYWORD = "Keyword"
    DATETIME = "Datetime"
    INT = "Int"
    DURATION = "Duration"
    # Only custom search attributes have these.
    TEXT = "Text"
    DOUBLE = "Double"
    BOOL = "Bool"
    KEYWORD_LIST = "KeywordList"


class Attribute(StrEnum):
    """The system search attributes, under Temporal's names."""

    WORKFLOW_ID = "WorkflowId"
    WORKFLOW_TYPE = "WorkflowType"
    RUN_ID = "RunId"
    EXECUTION_STATUS = "ExecutionStatus"
    TASK_QUEUE = "TaskQueue"
    START_TIME = "StartTime"
    CLOSE_TIME = "CloseTime"
    EXECUTION_TIME = "ExecutionTime"
    EXECUTION_DURATION = "ExecutionDuration"
    HISTORY_LENGTH = "HistoryLength"

    @property
    def kind(self) -> Kind:
        return _KINDS.get(self, Kind.KEYWORD)


_KINDS = {
    Attribute.START_TIME: Kind.DATETIME,
    Attribute.CLOSE_TIME: Kind.DATETIME,
    Attribute.EXECUTION_TIME: Kind.DATETIME,
    Attribute.EXECUTION_DURATION: Kind.DURATION,
    Attribute.HISTORY_LENGTH: Kind.INT,
}


@dataclass(frozen=True)
class Custom:
    """A custom search attribute registered in the namespace, with the kind it was registered as."""

    name: str
    kind: Kind

    def __str__(self) -> str:
        return self.name


Value = str | int | float | bool | datetime | timedelta


class Op(StrEnum):
    """A comparison; the negated forms are Temporal's ``NOT IN`` and friends."""

    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "IN"
    NOT_IN = "NOT IN"
    BETWEEN = "BETWEEN"
    NOT_BETWEEN = "NOT BETWEEN"
    STARTS_WITH = "STARTS_WITH"
    NOT_STARTS_WITH = "NOT STARTS_WITH"
    IS_NULL = "IS NULL"
    IS_NOT_NULL = "IS NOT NULL"


@dataclass(frozen=True)
class Comparison:
    """``attribute op values``: one value for most operators, two for BETWEEN, any for IN."""

    attribute: Attribute | Custom
    op: Op
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class And:
    terms: tuple[Expression, ...]


@dataclass(frozen=True)
class Or:
    terms: tuple[Expression, ...]


Expression = Comparison | And | Or


@dataclass(frozen=True)
class OrderTerm:
    attribute: Attribute
    descending: bool


@dataclass(frozen=True)
class Filter:
    """A whole list filter; an empty one matches every run, newest first."""

    where: Expression | None = None
    # Only counts group, and only by ExecutionStatus (as Temporal).
    group_by: Attribute | None = None
    order_by: tuple[OrderTerm, ...] = ()
