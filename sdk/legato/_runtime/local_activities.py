"""Local activities: run by the workflow's own worker, recorded as markers.

As in Temporal's core SDK, a local activity never reaches an activity task queue. The
workflow code asks for it; the worker runs it (retrying within ``local_retry_threshold``)
before it answers the workflow task, and records the outcome as a ``RecordMarker``
command with Temporal's ``core_local_activity`` marker:

* ``details["data"]``: one ``json/plain`` payload ``{"seq", "attempt", "activity_id",
  "activity_type", "complete_time", "backoff", "original_schedule_time"}`` (times as
  ``{"seconds", "nanos"}``), ``details["result"]`` the result on success;
* the marker's ``failure`` the last attempt's failure otherwise.

A retry whose backoff exceeds the threshold is a marker with the failure and ``backoff``
set: the workflow then sleeps on a durable timer and schedules the activity again with
the next sequence number and attempt (temporalio's ``_ActivityDoBackoffError`` path).
On replay the marker resolves the activity; the activity does not run again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from legato import exceptions
from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, FailureKind, Payload
from legato.api.history import v1 as hist
from legato.api.history.v1 import HistoryEvent
from legato.common import RetryPolicy

from .activities import ActivityCancellationType

MARKER = "core_local_activity"
_DATA, _RESULT = "data", "result"
# temporalio's default for StartLocalActivityInput.local_retry_threshold.
DEFAULT_LOCAL_RETRY_THRESHOLD = 60.0


@dataclass(frozen=True)
class LocalActivityOptions:
    """What one schedule of a local activity carries (durations in seconds)."""

    activity_type: str
    activity_id: str
    args: Sequence[Payload]
    headers: Mapping[str, Payload]
    retry_policy: RetryPolicy
    local_retry_threshold: float
    start_to_close_timeout: float | None = None
    schedule_to_close_timeout: float | None = None
    schedule_to_start_timeout: float | None = None
    # Whether the code gave the id; otherwise it is the schedule's seq, new on each reschedule.
    id_given: bool = False
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL


@dataclass(frozen=True)
class Outcome:
    """What running a local activity came to: a result, a final failure, or a backoff."""

    attempt: int
    # None for a schedule cancelled without waiting for its attempt (core writes null).
    complete_time: datetime | None
    result: Payload | None = None
    failure: Failure | None = None
    # Seconds to wait on a timer before the next attempt; None when the outcome is final.
    backoff: float | None = None


@dataclass(eq=False)
class LocalActivityState:
    """One schedule of a local activity, until its marker resolves it."""

    seq: int
    options: LocalActivityOptions
    attempt: int
    original_schedule_time: datetime
    future: asyncio.Future[Outcome]
    result_type: Any = None
    # The marker command this schedule was recorded with (live runs only).
    marker: cmd.RecordMarker | None = field(default=None)
    # The code cancelled the handle: the worker cancels the attempt running.
    cancel_requested: bool = False


# --- cancelling: as temporalio's core, which cancels the attempt running whatever the type ---


def request_cancel(state: LocalActivityState) -> Outcome | None:
    """Mark the schedule cancelled; the outcome that resolves it at once (TRY_CANCEL and
    ABANDON, recorded as a marker without waiting for the attempt), or None when the code
    waits for the attempt to end (WAIT_CANCELLATION_COMPLETED)."""
    state.cancel_requested = True
    if state.options.cancellation_type == ActivityCancellationType.WAIT_CANCELLATION_COMPLETED:
        return None
    cancelled = Failure(message="Activity cancelled", kind=FailureKind.CANCELED)
    return Outcome(attempt=0, complete_time=None, failure=cancelled)


def cancelled_error(state: LocalActivityState, cause: BaseException) -> exceptions.ActivityError:
    """What a cancelled local activity raises in the workflow: temporalio's wrapper."""
    return activity_error(state, "Local Activity cancelled", exceptions.RetryState.CANCEL_REQUESTED, cause)


def activity_error(
    state: LocalActivityState, message: str, retry_state: exceptions.RetryState, cause: BaseException
) -> exceptions.ActivityError:
    """The ``ActivityError`` temporalio's core wraps a local activity's end in (no events:
    its ids are 0), caused by ``cause``."""
    error = exceptions.ActivityError(
        message,
        scheduled_event_id=0,
        started_event_id=0,
        identity="",
        activity_type=state.options.activity_type,
        activity_id=state.options.activity_id,
        retry_state=retry_state,
    )
    error.__cause__ = cause
    return error


# --- the marker ---


def marker(state: LocalActivityState, outcome: Outcome) -> cmd.RecordMarker:
    """The RecordMarker command for ``outcome``, as Temporal's core writes it."""
    data = {
        "seq": state.seq,
        "attempt": outcome.attempt,
        "activity_id": state.options.activity_id,
        "activity_type": state.options.activity_type,
        "complete_time": None if outcome.complete_time is None else _timestamp(outcome.complete_time),
        "backoff": None if outcome.backoff is None else _duration(outcome.backoff),
        "original_schedule_time": _timestamp(state.original_schedule_time),
    }
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(data, separators=(",", ":")).encode())
    details = {_DATA: [payload]}
    if outcome.result is not None:
        details[_RESULT] = [outcome.result]
    return cmd.RecordMarker(marker_name=MARKER, details=details, failure=outcome.failure)


def marker_data(marker_name: str, details: Mapping[str, Sequence[Payload]]) -> dict[str, Any] | None:
    """The ``data`` of a local activity marker; None for any other marker."""
    payloads = details.get(_DATA) or []
    if marker_name != MARKER or not payloads:
        return None
    try:
        data = json.loads(payloads[0].data)
    except ValueError:
        return None
    return data if isinstance(data, dict) and "seq" in data else None


def event_data(event: HistoryEvent) -> dict[str, Any] | None:
    """The ``data`` of ``event`` when it is a local activity marker."""
    a = event.attributes
    return marker_data(a.marker_name, a.details) if isinstance(a, hist.MarkerRecorded) else None


def outcome_of(event: HistoryEvent) -> Outcome:
    """The outcome a recorded local activity marker holds."""
    a = event.attributes
    assert isinstance(a, hist.MarkerRecorded)
    data = event_data(event) or {}
    results = a.details.get(_RESULT) or []
    backoff = data.get("backoff")
    return Outcome(
        attempt=int(data.get("attempt", 1)),
        complete_time=_from_timestamp(data.get("complete_time")),
        result=results[0] if results else None,
        failure=a.failure,
        backoff=None if backoff is None else _from_duration(backoff),
    )


def original_schedule_time(event: HistoryEvent) -> datetime | None:
    """When the first attempt of the marker's local activity was scheduled."""
    return _from_timestamp((event_data(event) or {}).get("original_schedule_time"))


def _timestamp(t: datetime) -> dict[str, int]:
    micros = int(t.timestamp() * 1_000_000)
    return {"seconds": micros // 1_000_000, "nanos": (micros % 1_000_000) * 1000}


def _duration(seconds: float) -> dict[str, int]:
    nanos = round(seconds * 1e9)
    return {"seconds": nanos // 1_000_000_000, "nanos": nanos % 1_000_000_000}


def _from_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, dict):
        return None
    return datetime.fromtimestamp(value.get("seconds", 0) + value.get("nanos", 0) / 1e9, UTC)


def _from_duration(value: Any) -> float:
    return float(value.get("seconds", 0)) + value.get("nanos", 0) / 1e9 if isinstance(value, dict) else 0.0


# --- retries: core's arithmetic ---

DEFAULT_RETRY_POLICY = RetryPolicy()


def backoff(
    policy: RetryPolicy, attempt: int, failure: BaseException, *, elapsed: float, schedule_to_close: float | None
) -> float | None:
    """Seconds to wait before the attempt after ``attempt``, or None when it is the last.

    Retried unless the failure is non-retryable (or of a type the policy names), the
    attempts are used up, or the wait would run past ``schedule_to_close``.
    """
    if isinstance(failure, exceptions.ApplicationError) and (
        failure.non_retryable or (failure.type or "") in (policy.non_retryable_error_types or ())
    ):
        return None
    if policy.maximum_attempts and attempt >= policy.maximum_attempts:
        return None
    initial = policy.initial_interval.total_seconds()
    wait = initial * policy.backoff_coefficient ** (attempt - 1)
    maximum = policy.maximum_interval.total_seconds() if policy.maximum_interval else 100 * initial
    wait = min(wait, maximum)
    if schedule_to_close is not None and elapsed + wait >= schedule_to_close:
        return None
    return wait


def seconds(value: timedelta | None) -> float | None:
    """A timedelta option in seconds."""
    return None if value is None else value.total_seconds()
