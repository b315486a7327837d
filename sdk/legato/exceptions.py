"""Legato's exceptions, named and shaped as ``temporalio.exceptions``.

::

    LegatoError (alias TemporalError)   root of everything Legato raises
    ├── FailureError                    a failure that crosses the wire as a Failure
    │   ├── ApplicationError            raised by user code; non_retryable=True stops retries
    │   ├── ActivityError               what a workflow sees when an activity finally fails (.cause)
    │   ├── ChildWorkflowError          what a workflow sees when a child fails (.cause)
    │   ├── CancelledError              a cancelled workflow or activity
    │   ├── TerminatedError             a terminated workflow
    │   ├── TimeoutError                a timeout; .type says which limit ran out
    │   ├── ServerError                 the server failed something on its own
    │   └── WorkflowAlreadyStartedError the workflow id is taken
    ├── WorkflowFailureError            what a client sees when a run did not complete (.cause)
    ├── NondeterminismError             replay produced a command the history does not have
    └── RPCError                        a call to the server failed (transport or HTTP status)

Conversion between these and the wire's ``Failure`` lives in ``legato.converter``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum
from typing import Any

__all__ = [
    "ActivityError",
    "ApplicationError",
    "ApplicationErrorCategory",
    "CancelledError",
    "ChildWorkflowError",
    "FailureError",
    "LegatoError",
    "NondeterminismError",
    "RPCError",
    "RPCStatusCode",
    "RetryState",
    "ServerError",
    "TemporalError",
    "TerminatedError",
    "TimeoutError",
    "TimeoutType",
    "WorkflowAlreadyStartedError",
    "WorkflowFailureError",
    "is_cancelled_exception",
]


class LegatoError(Exception):
    """Base of every exception Legato raises."""

    @property
    def cause(self) -> BaseException | None:
        """The exception's cause; the same as ``__cause__``."""
        return self.__cause__


# Ported code catches ``TemporalError``; the import change alone must keep working.
TemporalError = LegatoError


class FailureError(LegatoError):
    """Base of failures that cross the wire as a ``Failure`` (workflow and activity errors)."""

    def __init__(self, message: str, *, failure: Any = None, exc_args: tuple[Any, ...] | None = None) -> None:
        """Initialize with a message; ``failure`` is the wire failure it came from, if any,
        and ``exc_args`` overrides what ``str()`` shows."""
        super().__init__(*(exc_args if exc_args is not None else (message,)))
        self._message = message
        self._failure = failure

    @property
    def message(self) -> str:
        """The failure's message, without any type prefix."""
        return self._message

    @property
    def failure(self) -> Any:
        """The wire ``Failure`` this error was decoded from; None when raised locally."""
        return self._failure


class ApplicationErrorCategory(IntEnum):
    """How an application error is reported (Temporal's values).

    BENIGN errors are expected ones; Temporal logs them at a lower level and keeps them
    out of failure metrics. Legato records the category on the error only.
    """

    UNSPECIFIED = 0
    BENIGN = 1


class ApplicationError(FailureError):
    """An error raised by user code, in a workflow or an activity.

    Args:
        message: What went wrong.
        *details: JSON-convertible values carried with the failure.
        type: The error's type name; retry policies match it in non_retryable_error_types.
        non_retryable: True stops the server from retrying the activity.
        next_retry_delay: Overrides the retry policy's backoff for the next attempt.
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        next_retry_delay: timedelta | None = None,
        category: ApplicationErrorCategory = ApplicationErrorCategory.UNSPECIFIED,
    ) -> None:
        super().__init__(message, exc_args=(f"{type}: {message}" if type else message,))
        self._details = details
        self._type = type
        self._non_retryable = non_retryable
        self._next_retry_delay = next_retry_delay
        self._category = category

    @property
    def category(self) -> ApplicationErrorCategory:
        """How the error is reported (recorded only, in Legato)."""
        return self._category

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details of the error."""
        return self._details

    @property
    def type(self) -> str | None:
        """The error's type name."""
        return self._type

    @property
    def non_retryable(self) -> bool:
        """Whether the raiser marked the error non-retryable."""
        return self._non_retryable

    @property
    def next_retry_delay(self) -> timedelta | None:
        """Delay before the next retry, overriding the policy's backoff."""
        return self._next_retry_delay


class CancelledError(FailureError):
    """A workflow or activity was cancelled."""

    def __init__(self, message: str = "Cancelled", *details: Any) -> None:
        """Initialize with a message and optional details."""
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details of the cancellation."""
        return self._details


class TerminatedError(FailureError):
    """A workflow was terminated."""

    def __init__(self, message: str, *details: Any) -> None:
        """Initialize with a message (the termination reason) and optional details."""
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """User-defined details of the termination."""
        return self._details


class TimeoutType(IntEnum):
    """Which limit ran out; values as Temporal's."""

    START_TO_CLOSE = 1
    SCHEDULE_TO_START = 2
    SCHEDULE_TO_CLOSE = 3
    HEARTBEAT = 4


class TimeoutError(FailureError):
    """A workflow or activity timed out."""

    def __init__(self, message: str, *, type: TimeoutType | None, last_heartbeat_details: Sequence[Any]) -> None:
        """Initialize with the timeout's type and the activity's last heartbeat details."""
        super().__init__(message)
        self._type = type
        self._last_heartbeat_details = last_heartbeat_details

    @property
    def type(self) -> TimeoutType | None:
        """Which limit ran out."""
        return self._type

    @property
    def last_heartbeat_details(self) -> Sequence[Any]:
        """The last details an activity heartbeated before timing out."""
        return self._last_heartbeat_details


class ServerError(FailureError):
    """The server failed something on its own account."""

    def __init__(self, message: str, *, non_retryable: bool = False) -> None:
        """Initialize with a message and whether a retry could help."""
        super().__init__(message)
        self._non_retryable = non_retryable

    @property
    def non_retryable(self) -> bool:
        """Whether the error is final."""
        return self._non_retryable


class RetryState(IntEnum):
    """Why retrying stopped (or that it goes on); values as Temporal's."""

    IN_PROGRESS = 1
    NON_RETRYABLE_FAILURE = 2
    TIMEOUT = 3
    MAXIMUM_ATTEMPTS_REACHED = 4
    RETRY_POLICY_NOT_SET = 5
    INTERNAL_SERVER_ERROR = 6
    CANCEL_REQUESTED = 7


class ActivityError(FailureError):
    """What a workflow sees when an activity finally fails; ``cause`` holds why."""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        started_event_id: int,
        identity: str,
        activity_type: str,
        activity_id: str,
        retry_state: RetryState | None,
    ) -> None:
        """Initialize with the activity's identity and its history event ids."""
        super().__init__(message)
        self._scheduled_event_id = scheduled_event_id
        self._started_event_id = started_event_id
        self._identity = identity
        self._activity_type = activity_type
        self._activity_id = activity_id
        self._retry_state = retry_state

    @property
    def scheduled_event_id(self) -> int:
        """The ActivityTaskScheduled event id."""
        return self._scheduled_event_id

    @property
    def started_event_id(self) -> int:
        """The started event id."""
        return self._started_event_id

    @property
    def identity(self) -> str:
        """Identity of the worker that ran the last attempt."""
        return self._identity

    @property
    def activity_type(self) -> str:
        """The activity type name."""
        return self._activity_type

    @property
    def activity_id(self) -> str:
        """The activity id."""
        return self._activity_id

    @property
    def retry_state(self) -> RetryState | None:
        """Why retries stopped."""
        return self._retry_state


class ChildWorkflowError(FailureError):
    """What a workflow sees when a child workflow fails; ``cause`` holds why."""

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        initiated_event_id: int,
        started_event_id: int,
        retry_state: RetryState | None,
    ) -> None:
        """Initialize with the child's identity and its history event ids."""
        super().__init__(message)
        self._namespace = namespace
        self._workflow_id = workflow_id
        self._run_id = run_id
        self._workflow_type = workflow_type
        self._initiated_event_id = initiated_event_id
        self._started_event_id = started_event_id
        self._retry_state = retry_state

    @property
    def namespace(self) -> str:
        """The child's namespace."""
        return self._namespace

    @property
    def workflow_id(self) -> str:
        """The child's workflow id."""
        return self._workflow_id

    @property
    def run_id(self) -> str:
        """The child's run id."""
        return self._run_id

    @property
    def workflow_type(self) -> str:
        """The child's workflow type."""
        return self._workflow_type

    @property
    def initiated_event_id(self) -> int:
        """The StartChildWorkflowExecutionInitiated event id."""
        return self._initiated_event_id

    @property
    def started_event_id(self) -> int:
        """The started event id."""
        return self._started_event_id

    @property
    def retry_state(self) -> RetryState | None:
        """Why retries stopped."""
        return self._retry_state


class WorkflowAlreadyStartedError(FailureError):
    """Starting a workflow whose id is already running (or may not be reused)."""

    def __init__(
        self, workflow_id: str, workflow_type: str, *, run_id: str | None = None, first_run_id: str | None = None
    ) -> None:
        """Initialize with the id that is taken and the run holding it, when known.

        Args:
            workflow_id: The workflow id that is taken.
            workflow_type: The type that was to be started.
            run_id: The run that holds the id, when the server named it.
            first_run_id: The first run of that workflow's chain, when known.
        """
        super().__init__(f"Workflow execution already started: workflow id {workflow_id!r}")
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type
        self.run_id = run_id
        self.first_run_id = first_run_id


class WorkflowFailureError(LegatoError):
    """What a client sees when a run failed, was cancelled, terminated or timed out.

    ``cause`` (and ``__cause__``) is the failure: an ApplicationError, an ActivityError
    whose own cause is the activity's error, a CancelledError, a TerminatedError or a
    TimeoutError.
    """

    def __init__(self, *, cause: BaseException) -> None:
        """Initialize with the failure that closed the run."""
        super().__init__("Workflow execution failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """The failure that closed the run."""
        assert self.__cause__ is not None
        return self.__cause__


class NondeterminismError(LegatoError):
    """Replaying workflow code produced commands that differ from its history.

    The worker fails the workflow task (not the run); the server retries it, so fixed
    code resumes the run where it was.
    """

    def __init__(self, message: str) -> None:
        """Initialize with a message naming the workflow, the event and the mismatch."""
        super().__init__(message)
        self.message = message


class RPCStatusCode(IntEnum):
    """Status of a failed server call, with gRPC's names and numbers as Temporal's."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


@dataclass(frozen=True)
class GrpcStatus:
    """What ``RPCError.grpc_status`` returns: the status as gRPC's ``google.rpc.Status``."""

    code: int
    message: str
    details: Sequence[Any] = ()


class RPCError(LegatoError):
    """A call to the server failed: it could not be reached or it answered an error.

    Constructed as ``temporalio.service.RPCError`` is: ``RPCError(message, status,
    raw_grpc_status)``. Legato talks HTTP, so ``raw_grpc_status`` is empty bytes unless
    the caller gives one; what the server said is in Legato's extra attributes, set by the
    transport after construction.

    Attributes:
        http_status: The HTTP status, or 0 when the server could not be reached.
        error: The server's error code from its ErrorBody (e.g. ``NotFound``).
        field: The offending input field, when the server named one.
        workflow_id: The workflow the error is about, when the server named one.
        run_id: The run the error is about, when the server named one.
    """

    http_status: int = 0
    error: str = ""
    field: str | None = None
    workflow_id: str | None = None
    run_id: str | None = None

    def __init__(self, message: str, status: RPCStatusCode, raw_grpc_status: bytes) -> None:
        """Initialize with the message and gRPC-style status of the failed call."""
        super().__init__(message)
        self._message = message
        self._status = status
        self._raw_grpc_status = raw_grpc_status

    @property
    def message(self) -> str:
        """The error's message."""
        return self._message

    @property
    def status(self) -> RPCStatusCode:
        """The failure as a gRPC-style code."""
        return self._status

    @property
    def raw_grpc_status(self) -> bytes:
        """The gRPC status bytes, as received; empty over Legato's HTTP API."""
        return self._raw_grpc_status

    @property
    def grpc_status(self) -> GrpcStatus:
        """The status as gRPC's ``Status`` (code and message; Legato sends no details)."""
        return GrpcStatus(code=int(self._status), message=self._message)


def is_cancelled_exception(exception: BaseException) -> bool:
    """Whether an exception means "cancelled", as Temporal decides it.

    True for ``asyncio.CancelledError``, ``CancelledError``, and an ActivityError or
    ChildWorkflowError whose cause is a ``CancelledError``.
    """
    return isinstance(exception, asyncio.CancelledError | CancelledError) or (
        isinstance(exception, ActivityError | ChildWorkflowError) and isinstance(exception.cause, CancelledError)
    )
