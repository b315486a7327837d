"""Histories exported by Temporal, read into Legato's history events.

Temporal's tools write a history as protobuf JSON: ``temporal workflow show --output json``
and temporalio's ``WorkflowHistory.to_json()`` write ``{"events": [...]}`` with camelCase
keys, int64 fields as strings, durations as ``"1.500s"``, enums as ``"EVENT_TYPE_..."``
strings and payloads as ``{"payloads": [{"metadata": {...}, "data": "<base64>"}]}``.
Temporal's web UI (and older tools) write enums without their prefix, in PascalCase
(``"WorkflowExecutionStarted"``, ``"MaximumAttemptsReached"``); both are read here, as is
an enum's integer.

Each Temporal event becomes the Legato event of the same name. An event Legato cannot
replay yet (markers other than patches' and local activities', search attributes other
than the ``TemporalChangeVersion`` a patch records, ...) is refused with an error naming its
type and event id, rather than replayed wrongly.

Temporal accepts an update in the workflow task that ran its validator, so it records
``WorkflowExecutionUpdateAccepted`` after that task's ``WorkflowTaskCompleted``, though the
handler started in that task. Legato accepts before the task that runs the handler, so each
such event is moved before the ``WorkflowTaskStarted`` of its task (ids kept): the replay
then gives the handler to the activation that ran it on Temporal.

``temporal_history_out`` writes the other way: Legato's events as Temporal's JSON.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from legato.api.common import v1 as common
from legato.api.enums import v1 as enums
from legato.api.enums.v1 import EventType
from legato.api.history import v1 as hist
from legato.api.history.v1 import EventAttributes, HistoryEvent

Json = dict[str, Any]
_TIME = TypeAdapter(datetime)
_PASCAL_WORD = re.compile(r"(?<!^)(?=[A-Z])")


class UnsupportedHistoryError(ValueError):
    """A Temporal history holds something Legato cannot replay yet, or is malformed."""


def is_temporal_history(history: Mapping[str, Any]) -> bool:
    """Whether a parsed history is Temporal's JSON (Legato's events carry ``attributes``)."""
    events = history.get("events")
    if not isinstance(events, list) or not events:
        return False
    return all(isinstance(e, dict) and "attributes" not in e for e in events)


def events_from_json(history: Mapping[str, Any]) -> list[HistoryEvent]:
    """Temporal's ``{"events": [...]}`` as Legato's history events.

    Raises:
        UnsupportedHistoryError: An event Legato cannot replay, or a malformed event (the
            message names the event id and type).
    """
    events = history.get("events")
    if not isinstance(events, list):
        raise UnsupportedHistoryError("A Temporal history needs an 'events' list")
    return _accepted_in_their_task([event_from_json(e) for e in events])


def _accepted_in_their_task(events: list[HistoryEvent]) -> list[HistoryEvent]:
    ordered: list[HistoryEvent] = []
    for event in events:
        a = event.attributes
        last_started = next(
            (i for i in range(len(ordered) - 1, -1, -1) if ordered[i].attributes.type == "WorkflowTaskStarted"), None
        )
        # Accepted by the task that last started (Temporal sequences it after that task's scheduling).
        if isinstance(a, hist.WorkflowExecutionUpdateAccepted) and last_started is not None:
            ordered.insert(last_started, event)
        else:
            ordered.append(event)
    return ordered


def event_from_json(event: Json) -> HistoryEvent:
    """One Temporal history event as Legato's."""
    event_id = _int(event.get("eventId"))
    kind = _event_type(event)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        raise UnsupportedHistoryError(
            f"History event {event_id} is {kind.event_name} ({kind.name}), which Legato cannot replay yet"
        )
    key = kind.event_name[0].lower() + kind.event_name[1:] + "EventAttributes"
    try:
        attributes = convert(event.get(key) or {})
        return HistoryEvent(
            event_id=event_id, event_time=_TIME.validate_python(event["eventTime"]), attributes=attributes
        )
    except (KeyError, TypeError, ValueError, ValidationError) as e:
        raise UnsupportedHistoryError(f"History event {event_id} ({kind.event_name}) cannot be read: {e}") from e


def payload_value(payload: Json) -> common.Payload:
    """One Temporal payload as Legato's: the same metadata and bytes, whatever the encoding.

    Temporal's proto JSON and Legato's wire write a payload alike, so it is kept as it is:
    a codec's output replays through the same codec, as on Temporal.
    """
    try:
        return common.Payload.model_validate(payload)
    except ValidationError as e:
        raise UnsupportedHistoryError(f"A payload is not Temporal's Payload: {e.errors()[0]['msg']}") from e


# --- scalars ---


def _int(value: Any) -> int:
    # int64 fields are strings in protobuf JSON.
    return int(value or 0)


def _duration(value: Any) -> float | None:
    """``"1.500s"`` as seconds; a zero or missing duration is None (Temporal's "unset")."""
    if value is None:
        return None
    seconds = float(str(value).removesuffix("s"))
    return seconds or None


def _enum_name(prefix: str, value: Any, values: type[Any] | None = None) -> str:
    """An enum value's name without ``prefix``: ``RETRY_STATE_TIMEOUT``, ``Timeout`` or 3 → TIMEOUT."""
    if isinstance(value, int) and values is not None:
        return str(values(value).name).removeprefix(prefix + "_")
    text = str(value)
    if text.startswith(prefix + "_"):
        return text.removeprefix(prefix + "_")
    return _PASCAL_WORD.sub("_", text).upper()


def _event_type(event: Json) -> EventType:
    value = event.get("eventType")
    try:
        if isinstance(value, int):
            return EventType(value)
        return EventType["EVENT_TYPE_" + _enum_name("EVENT_TYPE", value)]
    except (KeyError, ValueError) as e:
        raise UnsupportedHistoryError(f"History event {event.get('eventId')} has unknown eventType {value!r}") from e


def _retry_state(value: Any) -> common.RetryState:
    if value is None:
        return common.RetryState.RETRY_POLICY_NOT_SET
    return common.RetryState(_enum_name("RETRY_STATE", value, enums.RetryState))


def _timeout_type(value: Any) -> common.TimeoutType:
    return common.TimeoutType(_enum_name("TIMEOUT_TYPE", value, enums.TimeoutType))


def _name(value: Any) -> str:
    # workflowType, activityType and taskQueue are {"name": ...} messages.
    return str((value or {}).get("name", ""))


# --- messages ---


def _payloads(value: Any) -> list[common.Payload]:
    return [payload_value(p) for p in (value or {}).get("payloads", [])]


def _header(value: Any) -> dict[str, common.Payload]:
    # Temporal's Header is {"fields": {key: payload}}.
    return {str(k): payload_value(v) for k, v in ((value or {}).get("fields") or {}).items()}


def _single(value: Any) -> common.Payload | None:
    # A result is Payloads holding one payload (none for a workflow that returned nothing).
    values = _payloads(value)
    return values[0] if values else None


def _retry_policy(value: Json | None) -> common.RetryPolicy | None:
    if not value:
        return None
    return common.RetryPolicy(
        initial_interval=_duration(value.get("initialInterval")) or 1.0,
        backoff_coefficient=float(value.get("backoffCoefficient", 2.0)),
        maximum_interval=_duration(value.get("maximumInterval")),
        maximum_attempts=int(value.get("maximumAttempts", 0)),
        non_retryable_error_types=list(value.get("nonRetryableErrorTypes", [])),
    )


def _failure(value: Json | None) -> common.Failure | None:
    if value is None:
        return None
    message, stack_trace = str(value.get("message", "")), str(value.get("stackTrace", ""))
    # A failure converter that encodes attributes moves message and stack trace into a payload.
    encoded = value.get("encodedAttributes")
    return common.Failure(
        message=message,
        source=str(value.get("source", "")),
        stack_trace=stack_trace,
        encoded_attributes=payload_value(encoded) if encoded else None,
        cause=_failure(value.get("cause")),
        **_failure_info(value),
    )


def _failure_info(value: Json) -> dict[str, Any]:
    """The Failure fields of its ``*FailureInfo`` case."""
    if (app := value.get("applicationFailureInfo")) is not None:
        return {
            "kind": common.FailureKind.APPLICATION,
            "type": app.get("type", ""),
            "non_retryable": bool(app.get("nonRetryable", False)),
            "details": _payloads(app.get("details")),
            "next_retry_delay": _duration(app.get("nextRetryDelay")),
        }
    if (timeout := value.get("timeoutFailureInfo")) is not None:
        return {"kind": common.FailureKind.TIMEOUT, "timeout_type": _timeout_type(timeout.get("timeoutType"))}
    if (canceled := value.get("canceledFailureInfo")) is not None:
        return {"kind": common.FailureKind.CANCELED, "details": _payloads(canceled.get("details"))}
    if value.get("terminatedFailureInfo") is not None:
        return {"kind": common.FailureKind.TERMINATED}
    if (server := value.get("serverFailureInfo")) is not None:
        return {"kind": common.FailureKind.SERVER, "non_retryable": bool(server.get("nonRetryable", False))}
    if (activity := value.get("activityFailureInfo")) is not None:
        return {"kind": common.FailureKind.ACTIVITY, "activity": _activity_failure_info(activity)}
    if value.get("childWorkflowExecutionFailureInfo") is not None:
        return {"kind": common.FailureKind.CHILD_WORKFLOW}
    return {}


def _activity_failure_info(value: Json) -> common.ActivityFailureInfo:
    return common.ActivityFailureInfo(
        activity_type=_name(value.get("activityType")),
        activity_id=str(value.get("activityId", "")),
        scheduled_event_id=_int(value.get("scheduledEventId")),
        started_event_id=_int(value.get("startedEventId")),
        retry_state=_retry_state(value.get("retryState")),
    )


def _seed(a: Json) -> int:
    # Temporal does not record its randomness seed; one derived from the run is stable across replays.
    run_id = a.get("originalExecutionRunId") or a.get("firstExecutionRunId")
    try:
        return uuid.UUID(run_id).int & (2**63 - 1) if run_id else 0
    except ValueError:
        return 0


# --- events, one converter per event type Legato has ---


def _workflow_execution_started(a: Json) -> hist.WorkflowExecutionStarted:
    return hist.WorkflowExecutionStarted(
        workflow_type=_name(a.get("workflowType")),
        task_queue=_name(a.get("taskQueue")),
        input=_payloads(a.get("input")),
        workflow_execution_timeout=_duration(a.get("workflowExecutionTimeout")),
        workflow_run_timeout=_duration(a.get("workflowRunTimeout")),
        workflow_task_timeout=_duration(a.get("workflowTaskTimeout")) or 10.0,
        retry_policy=_retry_policy(a.get("retryPolicy")),
        attempt=int(a.get("attempt", 1)),
        identity=str(a.get("identity", "")),
        randomness_seed=_seed(a),
        header=_header(a.get("header")),
        memo=_payload_map((a.get("memo") or {}).get("fields")),
        continued_execution_run_id=a.get("continuedExecutionRunId") or None,
        first_execution_run_id=a.get("firstExecutionRunId") or None,
        original_execution_run_id=a.get("originalExecutionRunId") or None,
        parent_workflow_namespace=a.get("parentWorkflowNamespace") or None,
        parent_workflow_execution=_execution_or_none(a.get("parentWorkflowExecution")),
        parent_initiated_event_id=_int(a.get("parentInitiatedEventId")) or None,
        root_workflow_execution=_execution_or_none(a.get("rootWorkflowExecution")),
        continued_failure=_failure(a.get("continuedFailure")),
        initiator=_started_initiator(a.get("initiator")),
        workflow_execution_expiration_time=_time_or_none(a.get("workflowExecutionExpirationTime")),
        first_workflow_task_backoff=_duration(a.get("firstWorkflowTaskBackoff")),
        cron_schedule=str(a.get("cronSchedule", "")),
        last_completion_result=_payloads(a.get("lastCompletionResult")),
        search_attributes=_payload_map((a.get("searchAttributes") or {}).get("indexedFields")),
    )


def _started_initiator(value: Any) -> str | None:
    # Temporal's WORKFLOW initiator is the run's own continue-as-new: Legato's CONTINUE_AS_NEW.
    if value is None:
        return None
    name = _enum_name("CONTINUE_AS_NEW_INITIATOR", value)
    return {"WORKFLOW": "CONTINUE_AS_NEW", "UNSPECIFIED": None}.get(name, name)


def _time_or_none(value: Any) -> datetime | None:
    return _TIME.validate_python(value) if value else None


def _workflow_task_scheduled(a: Json) -> hist.WorkflowTaskScheduled:
    return hist.WorkflowTaskScheduled(
        task_queue=_name(a.get("taskQueue")),
        start_to_close_timeout=_duration(a.get("startToCloseTimeout")) or 10.0,
        attempt=int(a.get("attempt", 1)),
    )


def _workflow_task_started(a: Json) -> hist.WorkflowTaskStarted:
    return hist.WorkflowTaskStarted(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        identity=a.get("identity", ""),
        history_size_bytes=int(a.get("historySizeBytes", 0)),
        suggest_continue_as_new=bool(a.get("suggestContinueAsNew", False)),
    )


def _workflow_task_completed(a: Json) -> hist.WorkflowTaskCompleted:
    return hist.WorkflowTaskCompleted(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        identity=a.get("identity", ""),
    )


def _workflow_task_failed(a: Json) -> hist.WorkflowTaskFailed:
    return hist.WorkflowTaskFailed(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        cause=_enum_name("WORKFLOW_TASK_FAILED_CAUSE", a.get("cause", "UNSPECIFIED")),
        failure=_failure(a.get("failure")),
        identity=a.get("identity", ""),
    )


def _workflow_task_timed_out(a: Json) -> hist.WorkflowTaskTimedOut:
    return hist.WorkflowTaskTimedOut(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        timeout_type=_timeout_type(a.get("timeoutType", "TIMEOUT_TYPE_START_TO_CLOSE")),
    )


def _activity_task_scheduled(a: Json) -> hist.ActivityTaskScheduled:
    return hist.ActivityTaskScheduled(
        activity_id=str(a["activityId"]),
        activity_type=_name(a.get("activityType")),
        task_queue=_name(a.get("taskQueue")),
        input=_payloads(a.get("input")),
        schedule_to_close_timeout=_duration(a.get("scheduleToCloseTimeout")),
        schedule_to_start_timeout=_duration(a.get("scheduleToStartTimeout")),
        start_to_close_timeout=_duration(a.get("startToCloseTimeout")),
        heartbeat_timeout=_duration(a.get("heartbeatTimeout")),
        retry_policy=_retry_policy(a.get("retryPolicy")) or common.RetryPolicy(),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
        header=_header(a.get("header")),
    )


def _activity_task_started(a: Json) -> hist.ActivityTaskStarted:
    return hist.ActivityTaskStarted(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        attempt=int(a.get("attempt", 1)),
        identity=a.get("identity", ""),
        last_failure=_failure(a.get("lastFailure")),
    )


def _activity_task_completed(a: Json) -> hist.ActivityTaskCompleted:
    return hist.ActivityTaskCompleted(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        result=_single(a.get("result")),
        identity=a.get("identity", ""),
    )


def _activity_task_failed(a: Json) -> hist.ActivityTaskFailed:
    return hist.ActivityTaskFailed(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        failure=_failure(a["failure"]),
        retry_state=_retry_state(a.get("retryState")),
        identity=a.get("identity", ""),
    )


def _activity_task_timed_out(a: Json) -> hist.ActivityTaskTimedOut:
    return hist.ActivityTaskTimedOut(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        failure=_failure(a["failure"]),
        retry_state=_retry_state(a.get("retryState")),
    )


def _activity_task_cancel_requested(a: Json) -> hist.ActivityTaskCancelRequested:
    return hist.ActivityTaskCancelRequested(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _activity_task_canceled(a: Json) -> hist.ActivityTaskCanceled:
    return hist.ActivityTaskCanceled(
        scheduled_event_id=_int(a.get("scheduledEventId")),
        started_event_id=_int(a.get("startedEventId")),
        details=_payloads(a.get("details")),
    )


def _timer_started(a: Json) -> hist.TimerStarted:
    return hist.TimerStarted(
        timer_id=str(a["timerId"]),
        start_to_fire_timeout=_duration(a.get("startToFireTimeout")) or 0.0,
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _timer_fired(a: Json) -> hist.TimerFired:
    return hist.TimerFired(timer_id=str(a["timerId"]), started_event_id=_int(a.get("startedEventId")))


def _timer_canceled(a: Json) -> hist.TimerCanceled:
    return hist.TimerCanceled(
        timer_id=str(a["timerId"]),
        started_event_id=_int(a.get("startedEventId")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _workflow_execution_completed(a: Json) -> hist.WorkflowExecutionCompleted:
    return hist.WorkflowExecutionCompleted(
        result=_single(a.get("result")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
        new_execution_run_id=a.get("newExecutionRunId") or None,
    )


def _workflow_execution_failed(a: Json) -> hist.WorkflowExecutionFailed:
    return hist.WorkflowExecutionFailed(
        failure=_failure(a["failure"]),
        retry_state=_retry_state(a.get("retryState")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
        new_execution_run_id=a.get("newExecutionRunId") or None,
    )


def _workflow_execution_timed_out(a: Json) -> hist.WorkflowExecutionTimedOut:
    return hist.WorkflowExecutionTimedOut(
        retry_state=_retry_state(a.get("retryState", "RETRY_STATE_TIMEOUT")),
        new_execution_run_id=a.get("newExecutionRunId") or None,
    )


def _workflow_execution_signaled(a: Json) -> hist.WorkflowExecutionSignaled:
    return hist.WorkflowExecutionSignaled(
        signal_name=str(a["signalName"]),
        input=_payloads(a.get("input")),
        identity=a.get("identity", ""),
        header=_header(a.get("header")),
    )


def _workflow_execution_cancel_requested(a: Json) -> hist.WorkflowExecutionCancelRequested:
    return hist.WorkflowExecutionCancelRequested(
        cause=a.get("cause", ""),
        identity=a.get("identity", ""),
        external_initiated_event_id=_int(a.get("externalInitiatedEventId")),
        external_workflow_execution=_execution_or_none(a.get("externalWorkflowExecution")),
    )


def _workflow_execution_canceled(a: Json) -> hist.WorkflowExecutionCanceled:
    return hist.WorkflowExecutionCanceled(
        details=_payloads(a.get("details")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _workflow_execution_terminated(a: Json) -> hist.WorkflowExecutionTerminated:
    return hist.WorkflowExecutionTerminated(
        reason=a.get("reason", ""), details=_payloads(a.get("details")), identity=a.get("identity", "")
    )


# --- markers (patches and local activities), search attributes, and memo changes ---

PATCH_MARKER = "core_patch"
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _payload_map(value: Any) -> dict[str, common.Payload]:
    return {str(k): payload_value(v) for k, v in (value or {}).items()}


def _marker_recorded(a: Json) -> hist.MarkerRecorded:
    name = str(a.get("markerName", ""))
    # Side effects and versions are markers too; only patches and local activities replay yet.
    if name not in (PATCH_MARKER, LOCAL_ACTIVITY_MARKER):
        raise UnsupportedHistoryError(
            f"marker {name!r} is neither a patch nor a local activity marker, which Legato cannot replay yet"
        )
    return hist.MarkerRecorded(
        marker_name=name,
        details={str(k): _payloads(v) for k, v in (a.get("details") or {}).items()},
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
        failure=_failure(a.get("failure")),
    )


def _upsert_workflow_search_attributes(a: Json) -> hist.UpsertWorkflowSearchAttributes:
    fields = _payload_map((a.get("searchAttributes") or {}).get("indexedFields"))
    return hist.UpsertWorkflowSearchAttributes(
        search_attributes=fields,
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _workflow_properties_modified(a: Json) -> hist.WorkflowPropertiesModified:
    return hist.WorkflowPropertiesModified(
        upserted_memo=_payload_map((a.get("upsertedMemo") or {}).get("fields")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


# --- continue-as-new ---


def _workflow_execution_continued_as_new(a: Json) -> hist.WorkflowExecutionContinuedAsNew:
    return hist.WorkflowExecutionContinuedAsNew(
        new_execution_run_id=str(a["newExecutionRunId"]),
        workflow_type=_name(a.get("workflowType")),
        task_queue=_name(a.get("taskQueue")),
        input=_payloads(a.get("input")),
        workflow_run_timeout=_duration(a.get("workflowRunTimeout")),
        workflow_task_timeout=_duration(a.get("workflowTaskTimeout")) or 10.0,
        backoff_start_interval=_duration(a.get("backoffStartInterval")),
        initiator=_enum_name("CONTINUE_AS_NEW_INITIATOR", a.get("initiator", "CONTINUE_AS_NEW_INITIATOR_WORKFLOW")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _update_meta(a: Json) -> hist.UpdateMeta:
    return hist.UpdateMeta(update_id=str(a["updateId"]), identity=a.get("identity", ""))


def _workflow_execution_update_accepted(a: Json) -> hist.WorkflowExecutionUpdateAccepted:
    request = a["acceptedRequest"]
    given = request.get("input") or {}
    return hist.WorkflowExecutionUpdateAccepted(
        protocol_instance_id=str(a.get("protocolInstanceId", "")),
        accepted_request_message_id=str(a.get("acceptedRequestMessageId", "")),
        accepted_request_sequencing_event_id=_int(a.get("acceptedRequestSequencingEventId", 0)),
        accepted_request=hist.UpdateRequest(
            meta=_update_meta(request["meta"]),
            input=hist.UpdateInput(
                name=str(given["name"]), args=_payloads(given.get("args")), header=_header(given.get("header"))
            ),
        ),
    )


def _workflow_execution_update_completed(a: Json) -> hist.WorkflowExecutionUpdateCompleted:
    outcome = a.get("outcome") or {}
    success = _payloads(outcome["success"]) if "success" in outcome else None
    return hist.WorkflowExecutionUpdateCompleted(
        meta=_update_meta(a["meta"]),
        accepted_event_id=_int(a.get("acceptedEventId", 0)),
        outcome=hist.UpdateOutcome(success=success, failure=_failure(outcome.get("failure"))),
    )


# --- child workflows and external workflows ---


def _execution(value: Any) -> common.WorkflowExecution:
    v = value or {}
    return common.WorkflowExecution(workflow_id=str(v.get("workflowId", "")), run_id=str(v.get("runId", "")))


def _execution_or_none(value: Any) -> common.WorkflowExecution | None:
    return _execution(value) if value else None


def _start_child_workflow_execution_initiated(a: Json) -> hist.StartChildWorkflowExecutionInitiated:
    return hist.StartChildWorkflowExecutionInitiated(
        namespace=str(a.get("namespace", "")),
        workflow_id=str(a["workflowId"]),
        workflow_type=_name(a.get("workflowType")),
        task_queue=_name(a.get("taskQueue")),
        input=_payloads(a.get("input")),
        workflow_execution_timeout=_duration(a.get("workflowExecutionTimeout")),
        workflow_run_timeout=_duration(a.get("workflowRunTimeout")),
        workflow_task_timeout=_duration(a.get("workflowTaskTimeout")),
        parent_close_policy=_enum_name("PARENT_CLOSE_POLICY", a.get("parentClosePolicy", "TERMINATE")),
        workflow_id_reuse_policy=_enum_name(
            "WORKFLOW_ID_REUSE_POLICY", a.get("workflowIdReusePolicy", "ALLOW_DUPLICATE")
        ),
        retry_policy=_retry_policy(a.get("retryPolicy")),
        header=_header(a.get("header")),
        memo=_payload_map((a.get("memo") or {}).get("fields")),
        search_attributes=_payload_map((a.get("searchAttributes") or {}).get("indexedFields")),
        cron_schedule=str(a.get("cronSchedule", "")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _start_child_workflow_execution_failed(a: Json) -> hist.StartChildWorkflowExecutionFailed:
    return hist.StartChildWorkflowExecutionFailed(
        namespace=str(a.get("namespace", "")),
        workflow_id=str(a["workflowId"]),
        workflow_type=_name(a.get("workflowType")),
        cause=_enum_name("START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE", a.get("cause")),
        initiated_event_id=_int(a.get("initiatedEventId")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _child_workflow_execution_started(a: Json) -> hist.ChildWorkflowExecutionStarted:
    return hist.ChildWorkflowExecutionStarted(
        namespace=str(a.get("namespace", "")),
        initiated_event_id=_int(a.get("initiatedEventId")),
        workflow_execution=_execution(a.get("workflowExecution")),
        workflow_type=_name(a.get("workflowType")),
        header=_header(a.get("header")),
    )


def _child_closed(a: Json) -> dict[str, Any]:
    # The fields every ChildWorkflowExecution<Closed> event shares.
    return {
        "namespace": str(a.get("namespace", "")),
        "workflow_execution": _execution(a.get("workflowExecution")),
        "workflow_type": _name(a.get("workflowType")),
        "initiated_event_id": _int(a.get("initiatedEventId")),
        "started_event_id": _int(a.get("startedEventId")),
    }


def _child_workflow_execution_completed(a: Json) -> hist.ChildWorkflowExecutionCompleted:
    return hist.ChildWorkflowExecutionCompleted(result=_single(a.get("result")), **_child_closed(a))


def _child_workflow_execution_failed(a: Json) -> hist.ChildWorkflowExecutionFailed:
    failure = _failure(a.get("failure"))
    if failure is None:
        raise ValueError("ChildWorkflowExecutionFailed has no failure")
    return hist.ChildWorkflowExecutionFailed(
        failure=failure, retry_state=_retry_state(a.get("retryState")), **_child_closed(a)
    )


def _child_workflow_execution_canceled(a: Json) -> hist.ChildWorkflowExecutionCanceled:
    return hist.ChildWorkflowExecutionCanceled(details=_payloads(a.get("details")), **_child_closed(a))


def _child_workflow_execution_timed_out(a: Json) -> hist.ChildWorkflowExecutionTimedOut:
    return hist.ChildWorkflowExecutionTimedOut(retry_state=_retry_state(a.get("retryState")), **_child_closed(a))


def _child_workflow_execution_terminated(a: Json) -> hist.ChildWorkflowExecutionTerminated:
    return hist.ChildWorkflowExecutionTerminated(**_child_closed(a))


def _signal_external_workflow_execution_initiated(a: Json) -> hist.SignalExternalWorkflowExecutionInitiated:
    return hist.SignalExternalWorkflowExecutionInitiated(
        namespace=str(a.get("namespace", "")),
        workflow_execution=_execution(a.get("workflowExecution")),
        signal_name=str(a.get("signalName", "")),
        input=_payloads(a.get("input")),
        child_workflow_only=bool(a.get("childWorkflowOnly", False)),
        header=_header(a.get("header")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _external_failed(a: Json, prefix: str) -> dict[str, Any]:
    # The fields both ...ExternalWorkflowExecutionFailed events share.
    return {
        "namespace": str(a.get("namespace", "")),
        "workflow_execution": _execution(a.get("workflowExecution")),
        "cause": _enum_name(prefix, a.get("cause")),
        "initiated_event_id": _int(a.get("initiatedEventId")),
        "workflow_task_completed_event_id": _int(a.get("workflowTaskCompletedEventId")),
    }


def _signal_external_workflow_execution_failed(a: Json) -> hist.SignalExternalWorkflowExecutionFailed:
    return hist.SignalExternalWorkflowExecutionFailed(
        **_external_failed(a, "SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE")
    )


def _external_workflow_execution_signaled(a: Json) -> hist.ExternalWorkflowExecutionSignaled:
    return hist.ExternalWorkflowExecutionSignaled(
        namespace=str(a.get("namespace", "")),
        workflow_execution=_execution(a.get("workflowExecution")),
        initiated_event_id=_int(a.get("initiatedEventId")),
    )


def _request_cancel_external_workflow_execution_initiated(
    a: Json,
) -> hist.RequestCancelExternalWorkflowExecutionInitiated:
    return hist.RequestCancelExternalWorkflowExecutionInitiated(
        namespace=str(a.get("namespace", "")),
        workflow_execution=_execution(a.get("workflowExecution")),
        child_workflow_only=bool(a.get("childWorkflowOnly", False)),
        reason=str(a.get("reason", "")),
        workflow_task_completed_event_id=_int(a.get("workflowTaskCompletedEventId")),
    )


def _request_cancel_external_workflow_execution_failed(a: Json) -> hist.RequestCancelExternalWorkflowExecutionFailed:
    return hist.RequestCancelExternalWorkflowExecutionFailed(
        **_external_failed(a, "CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE")
    )


def _external_workflow_execution_cancel_requested(a: Json) -> hist.ExternalWorkflowExecutionCancelRequested:
    return hist.ExternalWorkflowExecutionCancelRequested(
        namespace=str(a.get("namespace", "")),
        workflow_execution=_execution(a.get("workflowExecution")),
        initiated_event_id=_int(a.get("initiatedEventId")),
    )


_CONVERTERS: dict[EventType, Callable[[Json], EventAttributes]] = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: _workflow_execution_started,
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: _workflow_task_scheduled,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: _workflow_task_started,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: _workflow_task_completed,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED: _workflow_task_failed,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: _workflow_task_timed_out,
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: _activity_task_scheduled,
    EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: _activity_task_started,
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: _activity_task_completed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: _activity_task_failed,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: _activity_task_timed_out,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED: _activity_task_cancel_requested,
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: _activity_task_canceled,
    EventType.EVENT_TYPE_TIMER_STARTED: _timer_started,
    EventType.EVENT_TYPE_TIMER_FIRED: _timer_fired,
    EventType.EVENT_TYPE_TIMER_CANCELED: _timer_canceled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: _workflow_execution_completed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: _workflow_execution_failed,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT: _workflow_execution_timed_out,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: _workflow_execution_signaled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _workflow_execution_cancel_requested,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED: _workflow_execution_canceled,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: _workflow_execution_terminated,
    EventType.EVENT_TYPE_MARKER_RECORDED: _marker_recorded,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: _upsert_workflow_search_attributes,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED: _workflow_properties_modified,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: _workflow_execution_continued_as_new,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: _workflow_execution_update_accepted,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: _workflow_execution_update_completed,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: _start_child_workflow_execution_initiated,
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED: _start_child_workflow_execution_failed,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: _child_workflow_execution_started,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED: _child_workflow_execution_completed,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED: _child_workflow_execution_failed,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED: _child_workflow_execution_canceled,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT: _child_workflow_execution_timed_out,
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED: _child_workflow_execution_terminated,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: _signal_external_workflow_execution_initiated,
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: _signal_external_workflow_execution_failed,
    EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED: _external_workflow_execution_signaled,
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: (
        _request_cancel_external_workflow_execution_initiated
    ),
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED: (
        _request_cancel_external_workflow_execution_failed
    ),
    EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED: _external_workflow_execution_cancel_requested,
}

SUPPORTED_EVENT_TYPES: Sequence[EventType] = tuple(_CONVERTERS)
