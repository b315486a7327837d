"""Requests and responses of the schedule operations, with Temporal's names (flattened where
Temporal nests a message only to version it).

A schedule starts a workflow at each time its spec gives (calendars, intervals, cron
strings, minus skips, within start and end, plus jitter), by its policies (what to do when
the last start still runs, how far back to catch up after the server was down, whether a
failure pauses it) and its state (paused, a note, a limited number of actions left). The
schedule id is the path's; every time is RFC 3339 and every duration seconds.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, Field

from legato.api.common.v1 import (
    MAX_DURATION_SECONDS,
    Header,
    Name,
    Payload,
    Payloads,
    RetryPolicy,
    Seconds,
    Text,
    WireModel,
    WorkflowExecution,
)

# How many ranges a calendar field, and how many calendars, intervals, cron strings, skips
# or backfills a schedule may have: each costs every look for its next time.
MAX_RANGES = 100
MAX_SPEC_ITEMS = 20
MAX_RECENT_ACTIONS = 10
MAX_FUTURE_ACTION_TIMES = 10
MAX_LIST_PAGE_SIZE = 1000


class ScheduleOverlapPolicy(StrEnum):
    """What a start does while the schedule's last workflow still runs (Temporal's names)."""

    UNSPECIFIED = "UNSPECIFIED"
    SKIP = "SKIP"
    BUFFER_ONE = "BUFFER_ONE"
    BUFFER_ALL = "BUFFER_ALL"
    CANCEL_OTHER = "CANCEL_OTHER"
    TERMINATE_OTHER = "TERMINATE_OTHER"
    ALLOW_ALL = "ALLOW_ALL"


class ScheduleRange(WireModel):
    """``start`` to ``end`` (inclusive; 0 or less than start: start alone) every ``step`` (0: 1)."""

    start: int = Field(ge=0, le=10_000)
    end: int = Field(default=0, ge=0, le=10_000)
    step: int = Field(default=0, ge=0, le=10_000)


class ScheduleCalendar(WireModel):
    """Temporal's structured calendar: a time matches when each field has a range holding it
    (an empty ``year`` matches every year)."""

    second: list[ScheduleRange] = Field(default_factory=lambda: [ScheduleRange(start=0)], max_length=MAX_RANGES)
    minute: list[ScheduleRange] = Field(default_factory=lambda: [ScheduleRange(start=0)], max_length=MAX_RANGES)
    hour: list[ScheduleRange] = Field(default_factory=lambda: [ScheduleRange(start=0)], max_length=MAX_RANGES)
    day_of_month: list[ScheduleRange] = Field(
        default_factory=lambda: [ScheduleRange(start=1, end=31)], max_length=MAX_RANGES
    )
    month: list[ScheduleRange] = Field(default_factory=lambda: [ScheduleRange(start=1, end=12)], max_length=MAX_RANGES)
    year: list[ScheduleRange] = Field(default_factory=list, max_length=MAX_RANGES)
    day_of_week: list[ScheduleRange] = Field(
        default_factory=lambda: [ScheduleRange(start=0, end=6)], max_length=MAX_RANGES
    )
    comment: Text = ""


class ScheduleInterval(WireModel):
    """Every ``every`` seconds from the Unix epoch, shifted by ``offset``."""

    every: Seconds
    offset: float = Field(default=0.0, ge=0, le=MAX_DURATION_SECONDS, allow_inf_nan=False)


class ScheduleSpec(WireModel):
    calendars: list[ScheduleCalendar] = Field(default_factory=list, max_length=MAX_SPEC_ITEMS)
    intervals: list[ScheduleInterval] = Field(default_factory=list, max_length=MAX_SPEC_ITEMS)
    cron_expressions: list[Text] = Field(default_factory=list, max_length=MAX_SPEC_ITEMS)
    skip: list[ScheduleCalendar] = Field(default_factory=list, max_length=MAX_SPEC_ITEMS)
    start_at: AwareDatetime | None = None
    end_at: AwareDatetime | None = None
    jitter: float = Field(default=0.0, ge=0, le=MAX_DURATION_SECONDS, allow_inf_nan=False)
    time_zone_name: Text = ""


class ScheduleActionStartWorkflow(WireModel):
    """The workflow each action starts; its id is ``workflow_id`` plus the action's time."""

    workflow_type: Name
    workflow_id: Name
    task_queue: Name
    args: Payloads = Field(default_factory=list)
    execution_timeout: Seconds | None = None
    run_timeout: Seconds | None = None
    task_timeout: Seconds | None = None
    retry_policy: RetryPolicy | None = None
    memo: dict[Name, Payload] = Field(default_factory=dict)
    search_attributes: dict[Name, Payload] = Field(default_factory=dict)
    header: Header = Field(default_factory=dict)


class SchedulePolicies(WireModel):
    overlap_policy: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP
    # How far back a server that was down starts what it missed (None: a year, Temporal's).
    catchup_window: Seconds | None = Field(default=None, ge=10)
    pause_on_failure: bool = False


class ScheduleState(WireModel):
    notes: Text = ""
    paused: bool = False
    limited_actions: bool = False
    remaining_actions: int = Field(default=0, ge=0, le=2**31 - 1)


class Schedule(WireModel):
    spec: ScheduleSpec = Field(default_factory=ScheduleSpec)
    action: ScheduleActionStartWorkflow
    policies: SchedulePolicies = Field(default_factory=SchedulePolicies)
    state: ScheduleState = Field(default_factory=ScheduleState)


class TriggerImmediately(WireModel):
    overlap_policy: ScheduleOverlapPolicy = ScheduleOverlapPolicy.UNSPECIFIED


class BackfillRequest(WireModel):
    """Take the actions of ``(start_time, end_time]`` now, as if that time were passing."""

    start_time: AwareDatetime
    end_time: AwareDatetime
    overlap_policy: ScheduleOverlapPolicy = ScheduleOverlapPolicy.UNSPECIFIED


class SchedulePatch(WireModel):
    trigger_immediately: TriggerImmediately | None = None
    backfill_request: list[BackfillRequest] = Field(default_factory=list, max_length=MAX_SPEC_ITEMS)
    # A non-empty reason pauses (or unpauses) and becomes the schedule's notes.
    pause: Text = ""
    unpause: Text = ""


class CreateScheduleRequest(WireModel):
    schedule_id: Name
    schedule: Schedule
    initial_patch: SchedulePatch | None = None
    identity: Text = ""
    request_id: Text = ""
    memo: dict[Name, Payload] = Field(default_factory=dict)
    search_attributes: dict[Name, Payload] = Field(default_factory=dict)


class CreateScheduleResponse(WireModel):
    conflict_token: str


class ScheduleActionResult(WireModel):
    """One action taken: when it was due, when it ran, the run it started and how that is."""

    schedule_time: datetime
    actual_time: datetime
    start_workflow_result: WorkflowExecution
    start_workflow_status: str = "RUNNING"


class ScheduleInfo(WireModel):
    action_count: int = 0
    missed_catchup_window: int = 0
    overlap_skipped: int = 0
    buffer_dropped: int = 0
    buffer_size: int = 0
    running_workflows: list[WorkflowExecution] = Field(default_factory=list)
    recent_actions: list[ScheduleActionResult] = Field(default_factory=list)
    future_action_times: list[datetime] = Field(default_factory=list)
    create_time: datetime
    update_time: datetime | None = None


class DescribeScheduleRequest(WireModel):
    schedule_id: Name


class DescribeScheduleResponse(WireModel):
    schedule: Schedule
    info: ScheduleInfo
    memo: dict[str, Payload] = Field(default_factory=dict)
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    conflict_token: str


class UpdateScheduleRequest(WireModel):
    """Replace the schedule (its spec, action, policies and state); with a ``conflict_token``,
    only if nothing changed it since the describe that gave the token."""

    schedule_id: Name
    schedule: Schedule
    conflict_token: str = ""
    identity: Text = ""
    request_id: Text = ""
    search_attributes: dict[Name, Payload] | None = None


class PatchScheduleRequest(WireModel):
    """Not deduplicated: a repeated trigger triggers again, as a repeated pause pauses."""

    schedule_id: Name
    patch: SchedulePatch
    identity: Text = ""


class DeleteScheduleRequest(WireModel):
    schedule_id: Name
    identity: Text = ""


class ListSchedulesRequest(WireModel):
    page_size: int = Field(default=MAX_LIST_PAGE_SIZE, ge=1, le=MAX_LIST_PAGE_SIZE)
    next_page_token: str | None = Field(default=None, max_length=4096)
    query: Text = ""


class ScheduleListInfo(WireModel):
    spec: ScheduleSpec
    workflow_type: str
    notes: str = ""
    paused: bool = False
    recent_actions: list[ScheduleActionResult] = Field(default_factory=list)
    future_action_times: list[datetime] = Field(default_factory=list)


class ScheduleListEntry(WireModel):
    schedule_id: str
    memo: dict[str, Payload] = Field(default_factory=dict)
    search_attributes: dict[str, Payload] = Field(default_factory=dict)
    info: ScheduleListInfo


class ListSchedulesResponse(WireModel):
    schedules: list[ScheduleListEntry]
    # Absent on the last page.
    next_page_token: str | None = None
