"""Temporal's shape over Legato's history events, for code written against temporalio.

temporalio's ``HistoryEvent`` is a protobuf message: ``event.event_type`` is an
``EventType`` integer, each event type has its ``<name>_event_attributes`` field and
nested messages wrap what Legato keeps flat (``activity_type.name``, ``result.payloads``,
``failure.application_failure_info.type``, ``retry_state`` as an integer). ``AttributesView``
gives a Legato event's attributes those names, reading through to Legato's fields for
every other name (``scheduled_event_id``, ``timer_id``, ``signal_name``, ...).

What stays different: durations are ``Duration`` views (``ToTimedelta()``,
``ToSeconds()``), not protobuf messages; payloads are Legato's payloads; asking an event
for another type's attributes gives None rather than an empty message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from legato.api.common.v1 import Payload
from legato.api.enums import v1 as enums

# Fields that are {"name": ...} messages in Temporal's protos.
_NAMED = frozenset({"activity_type", "workflow_type", "task_queue"})
# Fields that are Payloads messages in Temporal's protos (Legato keeps a result as one payload).
_PAYLOADS = frozenset({"input", "details"})
_SINGLE_PAYLOAD = frozenset({"result"})
_DURATIONS = frozenset(
    {
        "workflow_execution_timeout",
        "workflow_run_timeout",
        "workflow_task_timeout",
        "start_to_close_timeout",
        "schedule_to_close_timeout",
        "schedule_to_start_timeout",
        "heartbeat_timeout",
        "start_to_fire_timeout",
    }
)


class _Message:
    """The protobuf habits ported code relies on."""

    def HasField(self, name: str) -> bool:  # protobuf's name
        """Whether the field is set, as protobuf's ``HasField``."""
        return getattr(self, name, None) is not None


@dataclass(frozen=True)
class Named(_Message):
    """Temporal's ``ActivityType``, ``WorkflowType`` and ``TaskQueue``: a name."""

    name: str


@dataclass(frozen=True)
class Payloads(_Message):
    """Temporal's ``Payloads``: the payloads of a call's arguments or result."""

    payloads: list[Payload]


@dataclass(frozen=True)
class Memo(_Message):
    """Temporal's ``Memo``: payloads by key under ``fields``."""

    fields: dict[str, Payload]


@dataclass(frozen=True)
class SearchAttributes(_Message):
    """Temporal's ``SearchAttributes``: payloads by key under ``indexed_fields``."""

    indexed_fields: dict[str, Payload]


_MEMOS = frozenset({"memo", "upserted_memo"})


@dataclass(frozen=True)
class Duration(_Message):
    """Temporal's ``Duration`` fields, with protobuf's conversions."""

    seconds_float: float

    @property
    def seconds(self) -> int:
        """Whole seconds, as protobuf's field."""
        return int(self.seconds_float)

    @property
    def nanos(self) -> int:
        """The fraction of a second in nanoseconds, as protobuf's field."""
        return round((self.seconds_float - int(self.seconds_float)) * 1e9)

    def ToTimedelta(self) -> timedelta:  # protobuf's name
        """The duration as a timedelta."""
        return timedelta(seconds=self.seconds_float)

    def ToSeconds(self) -> int:  # protobuf's name
        """Whole seconds."""
        return self.seconds


class AttributesView(_Message):
    """A Legato event's (or failure's) fields under Temporal's names."""

    def __init__(self, attributes: Any) -> None:
        self._attributes = attributes

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._attributes, name)
        if value is None:
            return None
        return _temporal_value(name, value)

    def __repr__(self) -> str:
        return f"AttributesView({self._attributes!r})"

    @property
    def application_failure_info(self) -> AttributesView | None:
        """For a failure: its application details (``type``, ``non_retryable``, ``details``)."""
        return self if getattr(self._attributes, "kind", None) == "application" else None

    @property
    def activity_failure_info(self) -> AttributesView | None:
        """For a failure: the activity that failed (``activity_type.name``, ``activity_id``, ...)."""
        activity = getattr(self._attributes, "activity", None)
        return AttributesView(activity) if activity is not None else None

    @property
    def timeout_failure_info(self) -> AttributesView | None:
        """For a failure: which timeout (``timeout_type``)."""
        return self if getattr(self._attributes, "kind", None) == "timeout" else None

    @property
    def canceled_failure_info(self) -> AttributesView | None:
        """For a failure: a cancellation's ``details``."""
        return self if getattr(self._attributes, "kind", None) == "canceled" else None


def _temporal_value(name: str, value: Any) -> Any:
    if name in _NAMED:
        return Named(str(value))
    # A marker's details: Temporal's map<string, Payloads>.
    if name in _PAYLOADS and isinstance(value, dict):
        return {key: Payloads(list(v)) for key, v in value.items()}
    if name in _PAYLOADS:
        return Payloads(list(value))
    if name in _MEMOS:
        return Memo(dict(value))
    if name == "search_attributes":
        return SearchAttributes(dict(value))
    if name in _SINGLE_PAYLOAD:
        return Payloads([value])
    if name in _DURATIONS:
        return Duration(float(value))
    if name == "retry_state":
        return enums.RetryState[f"RETRY_STATE_{value}"]
    if name == "timeout_type":
        return enums.TimeoutType[f"TIMEOUT_TYPE_{value}"]
    if isinstance(value, BaseModel):
        return AttributesView(value)
    return value


class AttributesOf:
    """``HistoryEvent.<name>_event_attributes``: the view when the event is of that type."""

    def __init__(self, event_name: str) -> None:
        self.event_name = event_name

    def __get__(self, event: Any, owner: type | None = None) -> AttributesView | None:
        if event is None:
            return None
        attributes = event.attributes
        return AttributesView(attributes) if attributes.type == self.event_name else None


def attributes_field(event_name: str) -> str:
    """``ActivityTaskScheduled`` → ``activity_task_scheduled_event_attributes``."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in event_name).lstrip("_")
    return f"{snake}_event_attributes"
