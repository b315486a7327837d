"""Commands a worker returns when it completes a workflow task, as Temporal's.

Each command becomes one history event when the server applies it; on replay the SDK
matches the commands the code produces against those events, in order.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from legato.api.common import Failure, Payload, Payloads, RetryPolicy, WireModel

# Temporal's limit for ids and type names; keeps rows and labels bounded.
MAX_NAME_LENGTH = 1000


class ScheduleActivityTask(WireModel):
    """Schedule an activity. At least one of start_to_close or schedule_to_close is set."""

    type: Literal["ScheduleActivityTask"] = "ScheduleActivityTask"
    activity_id: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    activity_type: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    task_queue: str = Field(default="", max_length=MAX_NAME_LENGTH)
    input: Payloads = Field(default_factory=list)
    schedule_to_close_timeout: float | None = Field(default=None, gt=0)
    schedule_to_start_timeout: float | None = Field(default=None, gt=0)
    start_to_close_timeout: float | None = Field(default=None, gt=0)
    heartbeat_timeout: float | None = Field(default=None, gt=0)
    retry_policy: RetryPolicy | None = None


class RequestCancelActivityTask(WireModel):
    type: Literal["RequestCancelActivityTask"] = "RequestCancelActivityTask"
    scheduled_event_id: int = Field(ge=1)


class StartTimer(WireModel):
    type: Literal["StartTimer"] = "StartTimer"
    timer_id: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    start_to_fire_timeout: float = Field(gt=0)


class CancelTimer(WireModel):
    type: Literal["CancelTimer"] = "CancelTimer"
    timer_id: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)


class CompleteWorkflowExecution(WireModel):
    type: Literal["CompleteWorkflowExecution"] = "CompleteWorkflowExecution"
    result: Payload = None


class FailWorkflowExecution(WireModel):
    type: Literal["FailWorkflowExecution"] = "FailWorkflowExecution"
    failure: Failure


class CancelWorkflowExecution(WireModel):
    type: Literal["CancelWorkflowExecution"] = "CancelWorkflowExecution"
    details: Payloads = Field(default_factory=list)


Command = Annotated[
    ScheduleActivityTask
    | RequestCancelActivityTask
    | StartTimer
    | CancelTimer
    | CompleteWorkflowExecution
    | FailWorkflowExecution
    | CancelWorkflowExecution,
    Field(discriminator="type"),
]
