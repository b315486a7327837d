"""Legato's history events written as Temporal's history JSON: the inverse of ``temporal_history``.

The output is what ``temporal workflow show --output json`` and temporalio's
``WorkflowHistory.to_json()`` write (protobuf JSON): ``{"events": [...]}``, camelCase keys,
``eventId`` and every other int64 as a string, ``eventTime`` in RFC 3339 with ``Z``,
``eventType`` and other enums by their full name (``"RETRY_STATE_TIMEOUT"``), durations
as ``"1.500s"``, one ``<name>EventAttributes`` object per event, payloads as
``{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}`` and
failures in Temporal's ``Failure`` shape (one ``*FailureInfo`` case each). As protobuf
JSON does, a field at its zero value ("", 0, false, an empty list or map, an unset
enum) is left out.

Fields each side has and the other lacks:

- Temporal's fields Legato does not keep are not written: ``taskId``, the worker's
  ``workerVersion``/``sdkMetadata``/``meteringMetadata``, ``requestId``, ``priority``,
  ``namespaceId``, a task queue's ``kind``, a started event's ``workflowId``, build-id
  flags, ``eventGroupMarkers``, a signal's ``externalWorkflowExecution``, an activity
  failure's ``identity`` and the fields of ``childWorkflowExecutionFailureInfo`` (written
  empty). Time is written to the microsecond, which is all Legato keeps. Temporal's
  Replayer reads ``sdkMetadata``'s ``coreUsedFlags``: a Temporal history whose replay
  depends on one (a patch that upserts ``TemporalChangeVersion``) no longer replays on
  Temporal's Replayer once written back, though it does on Legato's.
- A zero duration Legato keeps as unset (None) is left out, where Temporal writes ``"0s"``.
- Legato's ``randomness_seed`` has no Temporal field and is left out: the reader derives
  it from the run id, so a history read from Temporal writes back as it was read.
- A continue-as-new's ``initiator`` WORKFLOW, Legato's default, is left out (unset), as
  Temporal writes a workflow's own continue-as-new; the others are written in full. A
  started event's initiator CONTINUE_AS_NEW is Temporal's ``CONTINUE_AS_NEW_INITIATOR_WORKFLOW``.
- A failure without a ``*FailureInfo`` case reads as an application failure in Legato,
  and is written with an (empty) ``applicationFailureInfo``.

Order: the reader moves each ``WorkflowExecutionUpdateAccepted`` before the
``WorkflowTaskStarted`` of the task that accepted it, keeping ids; sorting by id puts it
back after that task's ``WorkflowTaskCompleted``, where Temporal recorded it. A history
Legato recorded itself holds its accepted events there with ids in order; they are moved
after their task's completion too, so that the reader gives the handler to the same task,
and their ids are then out of order (Temporal's replayer may refuse such a history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from legato.api.common import v1 as common
from legato.api.enums.v1 import EventType
from legato.api.history.v1 import HistoryEvent

Json = dict[str, Any]

# int64 fields: strings in protobuf JSON (int32s such as ``attempt`` stay numbers).
_INT64 = frozenset(
    {
        "scheduled_event_id",
        "started_event_id",
        "workflow_task_completed_event_id",
        "initiated_event_id",
        "parent_initiated_event_id",
        "external_initiated_event_id",
        "history_size_bytes",
        "accepted_request_sequencing_event_id",
        "accepted_event_id",
    }
)
# Fields that are a ``{"name": ...}`` message in Temporal's protos.
_NAMED = frozenset({"workflow_type", "task_queue", "activity_type"})
# Fields holding Temporal's Payloads.
_PAYLOADS = frozenset({"input", "details", "last_completion_result", "args"})
# Maps of payloads and the message field Temporal holds them under.
_PAYLOAD_MAPS = {"header": "fields", "memo": "fields", "upserted_memo": "fields", "search_attributes": "indexedFields"}
# Enum fields and the prefix of their values' full names.
_ENUMS = {
    "retry_state": "RETRY_STATE",
    "timeout_type": "TIMEOUT_TYPE",
    "parent_close_policy": "PARENT_CLOSE_POLICY",
    "workflow_id_reuse_policy": "WORKFLOW_ID_REUSE_POLICY",
    "initiator": "CONTINUE_AS_NEW_INITIATOR",
}
# ``cause`` is an enum in these events (a text in WorkflowExecutionCancelRequested).
_CAUSES = {
    "WorkflowTaskFailed": "WORKFLOW_TASK_FAILED_CAUSE",
    "StartChildWorkflowExecutionFailed": "START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE",
    "SignalExternalWorkflowExecutionFailed": "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE",
    "RequestCancelExternalWorkflowExecutionFailed": "CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE",
}
# Legato's fields with no Temporal counterpart (see the module docstring).
_NOT_WRITTEN = frozenset({"type", "randomness_seed"})


def events_to_json(events: Sequence[HistoryEvent]) -> Json:
    """Legato's events as Temporal's ``{"events": [...]}``, in Temporal's order."""
    return {"events": [event_to_json(e) for e in _in_temporal_order(events)]}


def event_to_json(event: HistoryEvent) -> Json:
    """One event as Temporal's: id, time, type and its ``<name>EventAttributes``."""
    name = event.attributes.type
    key = name[0].lower() + name[1:] + "EventAttributes"
    return {
        "eventId": str(event.event_id),
        "eventTime": timestamp(event.event_time),
        "eventType": EventType.from_event_name(name).name,
        key: _attributes(name, event.attributes),
    }


def _in_temporal_order(events: Sequence[HistoryEvent]) -> list[HistoryEvent]:
    ordered = sorted(events, key=lambda e: e.event_id)
    result: list[HistoryEvent] = []
    waiting: list[HistoryEvent] = []
    for i, event in enumerate(ordered):
        kind = event.attributes.type
        after = ordered[i + 1].attributes.type if i + 1 < len(ordered) else ""
        # Accepted before its task started (Legato's own order): it goes after the task's outcome.
        if kind == "WorkflowExecutionUpdateAccepted" and (waiting or after == "WorkflowTaskStarted"):
            waiting.append(event)
            continue
        result.append(event)
        # The task's outcome follows its WorkflowTaskStarted: the accepted events come next.
        if waiting and kind != "WorkflowTaskStarted":
            result.extend(waiting)
            waiting.clear()
    return result + waiting


# --- scalars ---


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, with 0, 3 or 6 fraction digits as protobuf JSON writes them."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micros = utc.microsecond
    if micros == 0:
        return text + "Z"
    if micros % 1000 == 0:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z"


def duration(seconds: float) -> str:
    """Seconds as protobuf JSON's Duration: ``"10s"``, ``"0.500s"``, ``"1.000001s"``."""
    nanos = round(seconds * 1_000_000_000)
    whole, fraction = divmod(abs(nanos), 1_000_000_000)
    sign = "-" if nanos < 0 else ""
    if fraction == 0:
        return f"{sign}{whole}s"
    if fraction % 1_000_000 == 0:
        return f"{sign}{whole}.{fraction // 1_000_000:03d}s"
    if fraction % 1000 == 0:
        return f"{sign}{whole}.{fraction // 1000:06d}s"
    return f"{sign}{whole}.{fraction:09d}s"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _enum(prefix: str, value: str) -> str | None:
    # An unset enum is protobuf's zero value: left out.
    return None if value in ("", "UNSPECIFIED") else f"{prefix}_{value}"


# --- messages ---


def payload(value: common.Payload) -> Json:
    """A payload as Temporal's: metadata values and data as base64."""
    return value.model_dump(mode="json")


def payloads(values: Iterable[common.Payload]) -> Json:
    """Temporal's Payloads message."""
    return {"payloads": [payload(p) for p in values]}


def _payload_map(values: dict[str, common.Payload]) -> Json:
    return {key: payload(p) for key, p in values.items()}


def _execution(value: common.WorkflowExecution) -> Json:
    return _dropping_zeros({"workflowId": value.workflow_id, "runId": value.run_id})


def _retry_policy(value: common.RetryPolicy) -> Json:
    return _dropping_zeros(
        {
            "initialInterval": duration(value.initial_interval),
            "backoffCoefficient": value.backoff_coefficient,
            "maximumInterval": duration(value.maximum_interval) if value.maximum_interval else None,
            "maximumAttempts": value.maximum_attempts,
            "nonRetryableErrorTypes": value.non_retryable_error_types,
        }
    )


def failure(value: common.Failure) -> Json:
    """A failure and its cause chain in Temporal's ``Failure`` shape."""
    written = _dropping_zeros(
        {
            "message": value.message,
            "source": value.source,
            "stackTrace": value.stack_trace,
            "encodedAttributes": payload(value.encoded_attributes) if value.encoded_attributes else None,
            "cause": failure(value.cause) if value.cause else None,
        }
    )
    key, info = _failure_info(value)
    return {**written, key: info}


def _failure_info(value: common.Failure) -> tuple[str, Json]:
    """The ``*FailureInfo`` case of a failure, by its kind."""
    kind = common.FailureKind
    if value.kind is kind.TIMEOUT:
        return "timeoutFailureInfo", _dropping_zeros({"timeoutType": _enum("TIMEOUT_TYPE", value.timeout_type or "")})
    if value.kind is kind.CANCELED:
        return "canceledFailureInfo", _dropping_zeros({"details": payloads(value.details) if value.details else None})
    if value.kind is kind.TERMINATED:
        return "terminatedFailureInfo", {}
    if value.kind is kind.SERVER:
        return "serverFailureInfo", _dropping_zeros({"nonRetryable": value.non_retryable})
    if value.kind is kind.ACTIVITY:
        return "activityFailureInfo", _activity_failure_info(value.activity)
    if value.kind is kind.CHILD_WORKFLOW:
        return "childWorkflowExecutionFailureInfo", {}
    delay = value.next_retry_delay
    return "applicationFailureInfo", _dropping_zeros(
        {
            "type": value.type,
            "nonRetryable": value.non_retryable,
            "details": payloads(value.details) if value.details else None,
            "nextRetryDelay": duration(delay) if delay else None,
        }
    )


def _activity_failure_info(value: common.ActivityFailureInfo | None) -> Json:
    if value is None:
        return {}
    return _dropping_zeros(
        {
            "scheduledEventId": str(value.scheduled_event_id),
            "startedEventId": str(value.started_event_id),
            "activityType": {"name": value.activity_type},
            "activityId": value.activity_id,
            "retryState": _enum("RETRY_STATE", value.retry_state.value),
        }
    )


def _dropping_zeros(fields: Json) -> Json:
    # protobuf JSON leaves out fields at their zero value.
    return {k: v for k, v in fields.items() if v not in (None, "", 0, "0", False, [], {})}


# --- event attributes, field by field under Temporal's names ---


def _attributes(event: str, message: BaseModel) -> Json:
    """An event's attributes (or a message in them, such as an update's request), field by field."""
    written: Json = {}
    for name in type(message).model_fields:
        value = None if name in _NOT_WRITTEN else _field(event, name, getattr(message, name))
        if value is not None:
            written[_camel(name)] = value
    return written


def _field(event: str, name: str, value: Any) -> Any:
    """One attribute field's protobuf JSON, or None to leave it out."""
    convert = _SPECIAL.get((event, name)) or _BY_NAME.get(name)
    # An update request's 'input' is a message, not Payloads: the message rules apply.
    if isinstance(value, BaseModel) and not isinstance(value, common.Payload):
        convert = None
    if convert is not None:
        return convert(value) if value is not None else None
    if name == "cause" and event in _CAUSES:
        return _enum(_CAUSES[event], value)
    if name in _ENUMS:
        return _enum(_ENUMS[name], str(value))
    return _message_or_scalar(name, value)


def _message_or_scalar(name: str, value: Any) -> Any:
    if value is None or value in ("", False, [], {}):
        return None
    if name in _INT64:
        return str(value)
    if isinstance(value, float):
        return duration(value)
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, common.Failure):
        return failure(value)
    if isinstance(value, common.RetryPolicy):
        return _retry_policy(value)
    if isinstance(value, common.WorkflowExecution):
        return _execution(value)
    # An update's request, meta, input or outcome: the same rules, field by field.
    if isinstance(value, BaseModel):
        return _attributes("", value)
    return value


def _initiator(value: str) -> str | None:
    # A workflow's own continue-as-new: Temporal leaves the initiator unset.
    return None if value == "WORKFLOW" else _enum("CONTINUE_AS_NEW_INITIATOR", value)


def _started_initiator(value: str) -> str | None:
    # Legato names a run continued by its workflow CONTINUE_AS_NEW; Temporal's initiator is WORKFLOW.
    return _enum("CONTINUE_AS_NEW_INITIATOR", "WORKFLOW" if value == "CONTINUE_AS_NEW" else value)


def _marker_details(value: dict[str, list[common.Payload]]) -> Json | None:
    return {key: payloads(p) for key, p in value.items()} or None


def _payload_map_in(field: str) -> Callable[[Any], Any]:
    return lambda v: {field: _payload_map(v)} if v else None


_BY_NAME: dict[str, Callable[[Any], Any]] = {
    **{name: lambda v: {"name": v} if v else None for name in _NAMED},
    **{name: lambda v: payloads(v) if v else None for name in _PAYLOADS},
    **{name: _payload_map_in(field) for name, field in _PAYLOAD_MAPS.items()},
    # A result is Payloads holding the one payload.
    "result": lambda v: payloads([v]),
    # 'success' is one case of an update's outcome: written even when it holds no payload.
    "success": payloads,
}
_SPECIAL: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("WorkflowExecutionStarted", "initiator"): _started_initiator,
    ("WorkflowExecutionContinuedAsNew", "initiator"): _initiator,
    ("MarkerRecorded", "details"): _marker_details,
}
