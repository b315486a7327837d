"""Conversion of values to payloads and of exceptions to failures, as ``temporalio.converter``.

Payloads are plain JSON values (see ``legato.api.common.v1``). Encoding accepts primitives,
lists, dicts, dataclasses, pydantic models, datetimes, UUIDs, enums and UTF-8 ``bytes``
(as text); decoding rebuilds the value from the type hint of the receiving side (the
parameter annotations of the workflow, activity or signal, or the declared result type),
through pydantic. A value JSON cannot carry as it is — NaN, an infinity, bytes that are
not UTF-8 — raises ``TypeError``: it is never changed into something else (such as the
``null`` pydantic would write for NaN).

Failures keep Temporal's cause chains: an exception's ``__cause__`` becomes the Failure's
``cause`` and back.
"""

from __future__ import annotations

import asyncio
import math
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any, ClassVar

import pydantic
import pydantic_core

from legato import exceptions
from legato.api.common.v1 import ActivityFailureInfo, Failure, FailureKind, Payload
from legato.api.common.v1 import RetryState as WireRetryState
from legato.api.common.v1 import TimeoutType as WireTimeoutType

__all__ = [
    "DataConverter",
    "DefaultFailureConverter",
    "DefaultPayloadConverter",
    "FailureConverter",
    "PayloadConverter",
    "default",
]

# A cause chain longer than this is cut: a cycle or a runaway chain must not hang a worker.
_MAX_CAUSE_DEPTH = 50
_SOURCE = "LegatoPythonSDK"


@lru_cache(maxsize=1024)
def _adapter(type_hint: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(type_hint)


class PayloadConverter:
    """Turns Python values into JSON payloads and, given a type hint, back."""

    def to_payload(self, value: Any) -> Payload:
        """Encode one value as a JSON value.

        Raises:
            TypeError: The value has no JSON form, holds NaN or an infinity, or holds
                bytes that are not UTF-8.
        """
        try:
            payload = pydantic_core.to_jsonable_python(value)
        except pydantic_core.PydanticSerializationError as e:
            raise TypeError(f"Cannot convert {type(value).__name__} to a JSON payload: {e}") from e
        except UnicodeDecodeError as e:
            raise TypeError(
                f"Cannot convert {type(value).__name__} to a JSON payload: it holds bytes that are not UTF-8 ({e});"
                " encode them as text first (base64, for instance)"
            ) from e
        _refuse_non_finite(payload, value)
        return payload

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode each value."""
        return [self.to_payload(v) for v in values]

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """Decode a payload into ``type_hint`` (the raw JSON value when None or Any).

        Raises:
            TypeError: The payload does not fit the type.
        """
        if type_hint is None or type_hint is Any:
            return payload
        try:
            return _adapter(type_hint).validate_python(payload)
        except TypeError:
            # An unhashable hint cannot be cached; build its adapter once here.
            return pydantic.TypeAdapter(type_hint).validate_python(payload)
        except pydantic.ValidationError as e:
            raise TypeError(f"Payload does not fit {type_hint!r}: {e}") from e

    def from_payloads(self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None) -> list[Any]:
        """Decode each payload by the type hint in its position (raw JSON past the hints)."""
        hints = list(type_hints or [])
        return [self.from_payload(p, hints[i] if i < len(hints) else None) for i, p in enumerate(payloads)]


def _refuse_non_finite(payload: Payload, value: Any) -> None:
    """``TypeError`` naming where ``payload`` holds NaN or an infinity, which JSON cannot carry.

    One serialization (in Rust, a fraction of the cost of building the payload) writes
    them as ``NaN`` and ``Infinity``; only when its text has one of those words, which a
    string may also hold, is the payload walked to find the float.
    """
    if isinstance(payload, str | int | bool | None):
        return
    if not isinstance(payload, float):
        text = pydantic_core.to_json(payload, inf_nan_mode="constants")
        if b"NaN" not in text and b"Infinity" not in text:
            return
    found = _non_finite(payload, "")
    if found is not None:
        where, number = found
        raise TypeError(
            f"Cannot convert {type(value).__name__} to a JSON payload: {where or 'it'} is {number},"
            " and JSON has no NaN or Infinity"
        )


def _non_finite(payload: Payload, path: str) -> tuple[str, float] | None:
    """The path (``['prices'][2]``) and value of the first NaN or infinity in ``payload``."""
    if isinstance(payload, float):
        return None if math.isfinite(payload) else (path, payload)
    items = payload.items() if isinstance(payload, dict) else enumerate(payload) if isinstance(payload, list) else ()
    for key, item in items:
        found = _non_finite(item, f"{path}[{key!r}]")
        if found is not None:
            return found
    return None


class DefaultPayloadConverter(PayloadConverter):
    """The default JSON payload converter."""


class FailureConverter:
    """Turns exceptions into wire failures and back."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """The wire failure for an exception and its ``__cause__`` chain."""
        raise NotImplementedError

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        """The exception for a wire failure, with ``__cause__`` rebuilt from its chain."""
        raise NotImplementedError


class DefaultFailureConverter(FailureConverter):
    """Temporal's mapping: each FailureError kind to its Failure kind, other exceptions to
    an application failure whose type is the exception's class name."""

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> Failure:
        """The wire failure for an exception and its ``__cause__`` chain."""
        return self._to_failure(exception, payload_converter, 0)

    def _to_failure(self, exc: BaseException, pc: PayloadConverter, depth: int) -> Failure:
        cause = exc.__cause__
        return Failure(
            message=_message(exc),
            source=_SOURCE,
            stack_trace="".join(traceback.format_tb(exc.__traceback__)),
            cause=self._to_failure(cause, pc, depth + 1) if cause and depth < _MAX_CAUSE_DEPTH else None,
            **_kind_fields(exc, pc),
        )

    def from_failure(self, failure: Failure, payload_converter: PayloadConverter) -> BaseException:
        """The exception for a wire failure, with ``__cause__`` rebuilt from its chain."""
        exc: BaseException = _exception(failure, payload_converter)
        if failure.cause is not None:
            exc.__cause__ = self.from_failure(failure.cause, payload_converter)
        return exc


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


@dataclass(frozen=True)
class DataConverter:
    """The pair of converters a client and its workers use.

    The async methods mirror Temporal's (where codecs may do I/O); workflow code converts
    synchronously through ``payload_converter`` and ``failure_converter``.
    """

    payload_converter: PayloadConverter = field(default_factory=DefaultPayloadConverter)
    failure_converter: FailureConverter = field(default_factory=DefaultFailureConverter)

    default: ClassVar[DataConverter]

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        """Encode values into payloads."""
        return self.payload_converter.to_payloads(values)

    async def decode(self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None) -> list[Any]:
        """Decode payloads by the given type hints."""
        return self.payload_converter.from_payloads(payloads, type_hints)

    async def encode_failure(self, exception: BaseException) -> Failure:
        """Convert an exception (and its cause chain) into a wire failure."""
        return self.failure_converter.to_failure(exception, self.payload_converter)

    async def decode_failure(self, failure: Failure) -> BaseException:
        """Convert a wire failure (and its cause chain) into an exception."""
        return self.failure_converter.from_failure(failure, self.payload_converter)


DataConverter.default = DataConverter()


def default() -> DataConverter:
    """The default data converter."""
    return DataConverter.default
