"""Shapes shared by events, commands and requests: payloads, retry policies, failures."""

from __future__ import annotations

import base64
import binascii
import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

# Temporal's limit for ids and type names; keeps rows and labels bounded.
MAX_NAME_LENGTH = 1000
# The longest anything may last or wait: a timer, a timeout, a retry interval. A century
# keeps every due time well inside what dates can hold, so no arithmetic on one overflows.
MAX_DURATION_SECONDS = 100 * 365 * 24 * 3600.0


def _no_nul(value: str) -> str:
    # Names are stored and compared as text, which cannot hold U+0000.
    if "\x00" in value:
        raise ValueError("must not contain the character U+0000")
    return value


def _canonical_uuid(value: str | None) -> str | None:
    # Python's UUID() reads forms Postgres does not ({...}, urn:uuid:...): store one form.
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"{value[:100]!r} is not a UUID") from None


# An id or type name: workflow id, task queue, signal name, activity id, ...
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_no_nul)]
# An optional name-like string: identities, request ids.
Text = Annotated[str, Field(max_length=MAX_NAME_LENGTH), AfterValidator(_no_nul)]
# A run id; accepted in any form Python's UUID() reads, kept in the canonical one.
RunId = Annotated[
    str | None,
    AfterValidator(_canonical_uuid),
    Field(description="A run of the workflow id; its latest run when omitted."),
]
# A duration in seconds: positive, finite, at most a century.
Seconds = Annotated[float, Field(gt=0, le=MAX_DURATION_SECONDS, allow_inf_nan=False)]


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are refused so a typo names itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _from_base64(value: Any) -> Any:
    # Proto3 JSON writes bytes as standard base64 and readers accept the URL-safe form too;
    # bytes given as bytes (in Python) pass as they are.
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error:
        raise ValueError("is not base64") from None


def _to_base64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# Bytes that are standard base64 in JSON, as proto3 JSON writes them. (pydantic's own
# base64 modes write the URL-safe alphabet, or break lines: neither is what Temporal reads.)
Base64Bytes = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(_to_base64, when_used="json"),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]


class Payload(WireModel):
    """A value as ``temporalio.api.common.v1.Payload``: metadata (``encoding`` above all)
    and the encoded bytes.

    On the wire it is Temporal's proto3 JSON, bytes as base64:
    ``{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjoxfQ=="}``. The
    server stores and returns payloads as they came: only ``legato.converter`` (and a
    ``PayloadCodec``) on the client and the worker give them a meaning.
    """

    metadata: dict[str, Base64Bytes] = Field(default_factory=dict)
    data: Base64Bytes = b""

    def __repr__(self) -> str:
        encoding = self.metadata.get("encoding", b"").decode("utf-8", "replace")
        return f"Payload(encoding={encoding!r}, data={self.data[:64]!r}{'...' if len(self.data) > 64 else ''})"


# The arguments of a call, the details of a failure or a heartbeat.
Payloads = list[Payload]

# Temporal's Header: what interceptors add to a start, a signal or an activity (a tracing
# context, say), by key. The payload codec leaves it alone unless the client's
# ``header_codec_behavior`` says otherwise, as in Temporal.
Header = dict[Name, Payload]


class WorkflowExecution(WireModel):
    """A run named by its workflow id and, when known, its run id (Temporal's ``WorkflowExecution``)."""

    workflow_id: str
    run_id: str = ""


class RetryPolicy(WireModel):
    """How the server retries an activity (or a workflow); Temporal's defaults.

    ``maximum_interval`` defaults to 100 times ``initial_interval`` when omitted and
    ``maximum_attempts`` 0 means unlimited.
    """

    initial_interval: Seconds = 1.0
    backoff_coefficient: float = Field(default=2.0, ge=1.0, le=1000.0, allow_inf_nan=False)
    maximum_interval: Seconds | None = None
    maximum_attempts: int = Field(default=0, ge=0, le=2**31 - 1)
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
    next_retry_delay: float | None = Field(default=None, ge=0, le=MAX_DURATION_SECONDS, allow_inf_nan=False)
    activity: ActivityFailureInfo | None = None
    # The message and stack trace as one payload, when the failure converter encodes them
    # (``encode_common_attributes``): a codec may then encrypt them too.
    encoded_attributes: Payload | None = None
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
