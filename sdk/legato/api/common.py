"""Shapes shared by events, commands and requests: payloads, retry policies, failures."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# A payload is any JSON value; a list of them carries a call's arguments.
Payload = Any
Payloads = list[Any]


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are refused so a typo names itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(WireModel):
    """How the server retries an activity (or a workflow); Temporal's defaults.

    ``maximum_interval`` defaults to 100 times ``initial_interval`` when omitted and
    ``maximum_attempts`` 0 means unlimited.
    """

    initial_interval: float = Field(default=1.0, gt=0)
    backoff_coefficient: float = Field(default=2.0, ge=1.0)
    maximum_interval: float | None = Field(default=None, gt=0)
    maximum_attempts: int = Field(default=0, ge=0)
    non_retryable_error_types: list[str] = Field(default_factory=list)


class TimeoutType(StrEnum):
    """Which limit ran out, as Temporal names them."""

    START_TO_CLOSE = "START_TO_CLOSE"
    SCHEDULE_TO_START = "SCHEDULE_TO_START"
    SCHEDULE_TO_CLOSE = "SCHEDULE_TO_CLOSE"
    HEARTBEAT = "HEARTBEAT"


class RetryState(StrEnum):
    """Why retrying stopped (or that it goes on), reported with a final failure."""

    IN_PROGRESS = "IN_PROGRESS"
    NON_RETRYABLE_FAILURE = "NON_RETRYABLE_FAILURE"
    TIMEOUT = "TIMEOUT"
    MAXIMUM_ATTEMPTS_REACHED = "MAXIMUM_ATTEMPTS_REACHED"
    RETRY_POLICY_NOT_SET = "RETRY_POLICY_NOT_SET"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"


class FailureKind(StrEnum):
    """The ``failure_info`` case of a Temporal Failure."""

    APPLICATION = "application"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    TERMINATED = "terminated"
    SERVER = "server"
    ACTIVITY = "activity"
    CHILD_WORKFLOW = "child_workflow"


class ActivityFailureInfo(WireModel):
    """What an ``activity`` failure says about the activity that failed."""

    activity_type: str
    activity_id: str
    scheduled_event_id: int
    started_event_id: int
    retry_state: RetryState


class Failure(WireModel):
    """A failure with its cause chain, as Temporal's ``Failure`` proto.

    ``type`` is the application error type (the exception's class name by default),
    ``timeout_type`` is set for timeouts and ``activity`` for the wrapper a workflow sees.
    """

    message: str
    kind: FailureKind = FailureKind.APPLICATION
    type: str = ""
    source: str = ""
    stack_trace: str = ""
    non_retryable: bool = False
    details: Payloads = Field(default_factory=list)
    timeout_type: TimeoutType | None = None
    # Seconds before the next retry, overriding the policy's backoff (ApplicationError's).
    next_retry_delay: float | None = Field(default=None, ge=0)
    activity: ActivityFailureInfo | None = None
    cause: Failure | None = None


class WorkflowExecutionStatus(StrEnum):
    """Status of a run; matches Temporal's names."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    TERMINATED = "TERMINATED"
    CONTINUED_AS_NEW = "CONTINUED_AS_NEW"
    TIMED_OUT = "TIMED_OUT"
