"""Exceptions to failures and back, as ``temporalio.converter``'s failure converters.

Failures keep Temporal's cause chains: an exception's ``__cause__`` becomes the Failure's
``cause`` and back. With ``encode_common_attributes`` the message and stack trace move
into ``encoded_attributes`` (a payload a codec can encrypt), the message left as
"Encoded failure", as Temporal does.
"""

from __future__ import annotations

import asyncio
import traceback
from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any, ClassVar

from legato import exceptions
from legato.api.common.v1 import ActivityFailureInfo, Failure, FailureKind
from legato.api.common.v1 import RetryState as WireRetryState
from legato.api.common.v1 import TimeoutType as WireTimeoutType
from legato.converter._payload_converter import PayloadConverter

# A cause chain longer than this is cut: a cycle or a runaway chain must not hang a worker.
_MAX_CAUSE_DEPTH = 50
_SOURCE = "LegatoPythonSDK"
_ENCODED_MESSAGE = "Encoded failure"


class FailureConverter(ABC):
    """Turns exceptions into wire failures and back."""

    default: ClassVar[FailureConverter]

    @abstractmethod
    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """The wire failure for an exception and its ``__cause__`` chain."""

    @abstractmethod
    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        """The exception for a wire failure, with ``__cause__`` rebuilt from its chain."""


class DefaultFailureConverter(FailureConverter):
    """Temporal's mapping: each FailureError kind to its Failure kind, other exceptions to
    an application failure whose type is the exception's class name."""

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        self._encode_common_attributes = encode_common_attributes

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """The wire failure for an exception and its ``__cause__`` chain."""
        return self._to_failure(exception, payload_converter, 0)

    def _to_failure(self, exc: BaseException, pc: PayloadConverter, depth: int) -> Failure:
        cause = exc.__cause__
        message, stack_trace = _message(exc), "".join(traceback.format_tb(exc.__traceback__))
        encoded = None
        if self._encode_common_attributes:
            encoded = pc.to_payload({"message": message, "stack_trace": stack_trace})
            message, stack_trace = _ENCODED_MESSAGE, ""
        return Failure(
            message=message,
            source=_SOURCE,
            stack_trace=stack_trace,
            encoded_attributes=encoded,
            cause=self._to_failure(cause, pc, depth + 1) if cause and depth < _MAX_CAUSE_DEPTH else None,
            **_kind_fields(exc, pc),
        )

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        """The exception for a wire failure, with ``__cause__`` rebuilt from its chain.

        Encoded attributes are decoded whether or not this converter encodes them."""
        failure = _with_common_attributes(failure, payload_converter)
        exc: BaseException = _exception(failure, payload_converter)
        if failure.cause is not None:
            exc.__cause__ = self.from_failure(failure.cause, payload_converter)
        return exc


def _with_common_attributes(failure: Failure, pc: PayloadConverter) -> Failure:
    """``failure`` with the message and stack trace its encoded attributes hold, if any."""
    if failure.encoded_attributes is None:
        return failure
    try:
        attributes = pc.from_payload(failure.encoded_attributes)
    except (KeyError, RuntimeError):
        # Still encoded (no codec, or another one): the failure says what it can.
        return failure
    if not isinstance(attributes, dict) or not isinstance(attributes.get("message"), str):
        return failure
    stack_trace = attributes.get("stack_trace")
    update = {"message": attributes["message"], "stack_trace": stack_trace if isinstance(stack_trace, str) else ""}
    return failure.model_copy(update=update)


def _message(exc: BaseException) -> str:
    if isinstance(exc, exceptions.FailureError):
        return exc.message
    return str(exc)


def _kind_fields(exc: BaseException, pc: PayloadConverter) -> dict[str, Any]:
    """The Failure fields that depend on what kind of error this is."""
    if isinstance(exc, exceptions.ApplicationError):
        delay = exc.next_retry_delay
        return {
            "kind": FailureKind.APPLICATION,
            "type": exc.type or "",
            "non_retryable": exc.non_retryable,
            "details": pc.to_payloads(exc.details),
            "next_retry_delay": delay.total_seconds() if delay is not None else None,
        }
    if isinstance(exc, exceptions.TimeoutError):
        timeout_type = WireTimeoutType[exc.type.name] if exc.type else None
        details = pc.to_payloads(exc.last_heartbeat_details)
        return {"kind": FailureKind.TIMEOUT, "timeout_type": timeout_type, "details": details}
    if isinstance(exc, exceptions.CancelledError):
        return {"kind": FailureKind.CANCELED, "details": pc.to_payloads(exc.details)}
    if isinstance(exc, asyncio.CancelledError):
        return {"kind": FailureKind.CANCELED}
    if isinstance(exc, exceptions.TerminatedError):
        return {"kind": FailureKind.TERMINATED, "details": pc.to_payloads(exc.details)}
    if isinstance(exc, exceptions.ServerError):
        return {"kind": FailureKind.SERVER, "non_retryable": exc.non_retryable}
    if isinstance(exc, exceptions.ActivityError):
        return {"kind": FailureKind.ACTIVITY, "activity": _activity_info(exc)}
    if isinstance(exc, exceptions.ChildWorkflowError):
        return {"kind": FailureKind.CHILD_WORKFLOW}
    # Any other exception is an application failure named after its class, as Temporal does.
    return {"kind": FailureKind.APPLICATION, "type": type(exc).__name__}


def _activity_info(exc: exceptions.ActivityError) -> ActivityFailureInfo:
    retry_state = WireRetryState[exc.retry_state.name] if exc.retry_state else WireRetryState.IN_PROGRESS
    return ActivityFailureInfo(
        activity_type=exc.activity_type,
        activity_id=exc.activity_id,
        scheduled_event_id=exc.scheduled_event_id,
        started_event_id=exc.started_event_id,
        retry_state=retry_state,
    )


def _exception(failure: Failure, pc: PayloadConverter) -> exceptions.FailureError:
    """The exception for one failure, without its cause."""
    details = pc.from_payloads(failure.details)
    kind = failure.kind
    if kind is FailureKind.TIMEOUT:
        timeout_type = exceptions.TimeoutType[failure.timeout_type.name] if failure.timeout_type else None
        return exceptions.TimeoutError(failure.message, type=timeout_type, last_heartbeat_details=details)
    if kind is FailureKind.CANCELED:
        return exceptions.CancelledError(failure.message, *details)
    if kind is FailureKind.TERMINATED:
        return exceptions.TerminatedError(failure.message, *details)
    if kind is FailureKind.SERVER:
        return exceptions.ServerError(failure.message, non_retryable=failure.non_retryable)
    if kind is FailureKind.ACTIVITY and failure.activity is not None:
        return activity_error(failure.message, failure.activity)
    if kind is FailureKind.CHILD_WORKFLOW:
        return exceptions.ChildWorkflowError(
            failure.message,
            namespace="",
            workflow_id="",
            run_id="",
            workflow_type="",
            initiated_event_id=0,
            started_event_id=0,
            retry_state=None,
        )
    delay = failure.next_retry_delay
    return exceptions.ApplicationError(
        failure.message,
        *details,
        type=failure.type or None,
        non_retryable=failure.non_retryable,
        next_retry_delay=timedelta(seconds=delay) if delay is not None else None,
    )


def activity_error(message: str, info: ActivityFailureInfo, identity: str = "") -> exceptions.ActivityError:
    """The ActivityError for a wire activity failure wrapper (without its cause)."""
    return exceptions.ActivityError(
        message,
        scheduled_event_id=info.scheduled_event_id,
        started_event_id=info.started_event_id,
        identity=identity,
        activity_type=info.activity_type,
        activity_id=info.activity_id,
        retry_state=exceptions.RetryState[info.retry_state.name],
    )


FailureConverter.default = DefaultFailureConverter()
