"""What the server says of schedules, as temporalio's dataclasses: a description (with what
the schedule did and will do), a list entry, and the update callback's input and output.

Memos stay encoded until ``memo()`` or ``memo_value()`` asks, through the codec, as
temporalio decodes them; search attributes are decoded at once (they never go through
the codec).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from legato import _calls
from legato._client.schedule_types import Schedule, ScheduleSpec, utc
from legato.api.common.v1 import Payload, WorkflowExecution
from legato.api.schedule import v1 as wire
from legato.common import SearchAttributes, TypedSearchAttributes
from legato.converter import DataConverter, decode_search_attributes, decode_typed_search_attributes


async def _decode_memo(converter: DataConverter, memo: Mapping[str, Payload]) -> Mapping[str, Any]:
    values = await converter.decode(list(memo.values()))
    return dict(zip(memo, values, strict=True))


async def _decode_memo_field(
    converter: DataConverter, memo: Mapping[str, Payload], key: str, default: Any, type_hint: type | None
) -> Any:
    payload = memo.get(key)
    if payload is None:
        if default is _calls.UNSET:
            raise KeyError(f"Memo does not have a value for key {key}")
        return default
    return (await converter.decode([payload], [type_hint] if type_hint else None))[0]


class ScheduleActionExecution:
    """An action a schedule took; ``ScheduleActionExecutionStartWorkflow`` is the one kind."""


@dataclass
class ScheduleActionExecutionStartWorkflow(ScheduleActionExecution):
    """The workflow an action started."""

    workflow_id: str
    """Its workflow id (the action's id with the action's time)."""
    first_execution_run_id: str
    """Its first run."""

    @staticmethod
    def _from_api(raw: WorkflowExecution) -> ScheduleActionExecutionStartWorkflow:
        return ScheduleActionExecutionStartWorkflow(workflow_id=raw.workflow_id, first_execution_run_id=raw.run_id)


@dataclass
class ScheduleActionResult:
    """When an action was due, when it was taken, and what it started."""

    scheduled_at: datetime
    """When it was due, jitter included."""
    started_at: datetime
    """When it was taken."""
    action: ScheduleActionExecution
    """What it started."""

    @staticmethod
    def _from_api(raw: wire.ScheduleActionResult) -> ScheduleActionResult:
        return ScheduleActionResult(
            scheduled_at=utc(raw.schedule_time),
            started_at=utc(raw.actual_time),
            action=ScheduleActionExecutionStartWorkflow._from_api(raw.start_workflow_result),
        )


@dataclass
class ScheduleInfo:
    """What a schedule did and will do."""

    num_actions: int
    """Actions taken."""
    num_actions_missed_catchup_window: int
    """Actions not taken because they were older than the catchup window."""
    num_actions_skipped_overlap: int
    """Actions skipped by the overlap policy."""
    running_actions: Sequence[ScheduleActionExecution]
    """The workflows started that still run."""
    recent_actions: Sequence[ScheduleActionResult]
    """The last actions (up to 10), oldest first."""
    next_action_times: Sequence[datetime]
    """The next times (up to 10)."""
    created_at: datetime
    """When the schedule was created."""
    last_updated_at: datetime | None
    """When it was last updated; None if never."""

    @staticmethod
    def _from_api(raw: wire.ScheduleInfo) -> ScheduleInfo:
        return ScheduleInfo(
            num_actions=raw.action_count,
            num_actions_missed_catchup_window=raw.missed_catchup_window,
            num_actions_skipped_overlap=raw.overlap_skipped,
            running_actions=[ScheduleActionExecutionStartWorkflow._from_api(r) for r in raw.running_workflows],
            recent_actions=[ScheduleActionResult._from_api(r) for r in raw.recent_actions],
            next_action_times=[utc(t) for t in raw.future_action_times],
            created_at=utc(raw.create_time),
            last_updated_at=utc(raw.update_time) if raw.update_time else None,
        )


@dataclass
class ScheduleDescription:
    """What ``ScheduleHandle.describe()`` returns."""

    id: str
    """The schedule id."""
    schedule: Schedule
    """The schedule as it is now (what an update may change); its action holds the
    stored, still-encoded payloads."""
    info: ScheduleInfo
    """What it did and will do."""
    typed_search_attributes: TypedSearchAttributes
    """The schedule's search attributes."""
    search_attributes: SearchAttributes
    """The schedule's search attributes, untyped (deprecated: use ``typed_search_attributes``)."""
    data_converter: DataConverter
    """The client's converter, which decodes the memo (and the action's payloads)."""
    raw_description: wire.DescribeScheduleResponse
    """The server's answer, conflict token included."""

    @staticmethod
    def _from_api(id: str, raw: wire.DescribeScheduleResponse, converter: DataConverter) -> ScheduleDescription:
        return ScheduleDescription(
            id=id,
            schedule=Schedule._from_api(raw.schedule),
            info=ScheduleInfo._from_api(raw.info),
            typed_search_attributes=decode_typed_search_attributes(raw.search_attributes),
            search_attributes=decode_search_attributes(raw.search_attributes),
            data_converter=converter,
            raw_description=raw,
        )

    async def memo(self) -> Mapping[str, Any]:
        """The schedule's memo, each value decoded without a type hint."""
        return await _decode_memo(self.data_converter, self.raw_description.memo)

    async def memo_value(self, key: str, default: Any = _calls.UNSET, *, type_hint: type | None = None) -> Any:
        """One memo value, decoded into ``type_hint``.

        Raises:
            KeyError: The memo has no ``key`` and no default was given.
        """
        return await _decode_memo_field(self.data_converter, self.raw_description.memo, key, default, type_hint)


@dataclass
class ScheduleUpdateInput:
    """What the callback of ``ScheduleHandle.update`` is given."""

    description: ScheduleDescription
    """The schedule as described just before."""


@dataclass
class ScheduleUpdate:
    """What the callback of ``ScheduleHandle.update`` returns to change the schedule."""

    schedule: Schedule
    """The schedule to replace it with."""
    search_attributes: TypedSearchAttributes | None = None
    """The search attributes to replace its own with; they stay as they are when None."""


class ScheduleListAction:
    """What a listed schedule does; ``ScheduleListActionStartWorkflow`` is the one kind."""


@dataclass
class ScheduleListActionStartWorkflow(ScheduleListAction):
    """A listed schedule starts workflows of this type."""

    workflow: str
    """The workflow type."""


@dataclass
class ScheduleListState:
    """Whether a listed schedule is paused, and its note."""

    note: str | None
    """Its note (the server may replace it, e.g. when pausing on a failure)."""
    paused: bool
    """Whether it is paused."""


@dataclass
class ScheduleListSchedule:
    """What a listed schedule does and when."""

    action: ScheduleListAction
    """The action it takes."""
    spec: ScheduleSpec
    """When it takes it."""
    state: ScheduleListState
    """Whether it is paused."""

    @staticmethod
    def _from_api(raw: wire.ScheduleListInfo) -> ScheduleListSchedule:
        return ScheduleListSchedule(
            action=ScheduleListActionStartWorkflow(workflow=raw.workflow_type),
            spec=ScheduleSpec._from_api(raw.spec),
            state=ScheduleListState(note=raw.notes or None, paused=raw.paused),
        )


@dataclass
class ScheduleListInfo:
    """What a listed schedule did and will do (possibly less than its description says)."""

    recent_actions: Sequence[ScheduleActionResult]
    """The last actions, oldest first."""
    next_action_times: Sequence[datetime]
    """The next times."""

    @staticmethod
    def _from_api(raw: wire.ScheduleListInfo) -> ScheduleListInfo:
        return ScheduleListInfo(
            recent_actions=[ScheduleActionResult._from_api(r) for r in raw.recent_actions],
            next_action_times=[utc(t) for t in raw.future_action_times],
        )


@dataclass
class ScheduleListDescription:
    """One schedule of ``Client.list_schedules()``."""

    id: str
    """The schedule id."""
    schedule: ScheduleListSchedule | None
    """What it does and when (always there in Legato; None only on old Temporal servers)."""
    info: ScheduleListInfo | None
    """What it did and will do (always there in Legato)."""
    typed_search_attributes: TypedSearchAttributes
    """The schedule's search attributes."""
    search_attributes: SearchAttributes
    """The schedule's search attributes, untyped (deprecated: use ``typed_search_attributes``)."""
    data_converter: DataConverter
    """The client's converter, which decodes the memo."""
    raw_entry: wire.ScheduleListEntry
    """The server's list entry."""

    @staticmethod
    def _from_api(raw: wire.ScheduleListEntry, converter: DataConverter) -> ScheduleListDescription:
        return ScheduleListDescription(
            id=raw.schedule_id,
            schedule=ScheduleListSchedule._from_api(raw.info),
            info=ScheduleListInfo._from_api(raw.info),
            typed_search_attributes=decode_typed_search_attributes(raw.search_attributes),
            search_attributes=decode_search_attributes(raw.search_attributes),
            data_converter=converter,
            raw_entry=raw,
        )

    async def memo(self) -> Mapping[str, Any]:
        """The schedule's memo, each value decoded without a type hint."""
        return await _decode_memo(self.data_converter, self.raw_entry.memo)

    async def memo_value(self, key: str, default: Any = _calls.UNSET, *, type_hint: type | None = None) -> Any:
        """One memo value, decoded into ``type_hint``.

        Raises:
            KeyError: The memo has no ``key`` and no default was given.
        """
        return await _decode_memo_field(self.data_converter, self.raw_entry.memo, key, default, type_hint)
