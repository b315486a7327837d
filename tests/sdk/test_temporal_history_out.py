"""Legato's history events written as Temporal's history JSON read back as the same events.

Every export Temporal's tools wrote (tests/golden/temporal) is read, written again and
compared with the original, field by field: only the fields listed in ``NOT_KEPT`` (with
the reason Legato does not keep each) may differ. Legato's own golden histories
(tests/golden/*.json) are written in Temporal's format and read back equal.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from legato._runtime import temporal_history, temporal_history_out
from legato.api.common import v1 as common
from legato.api.history import v1 as hist
from legato.client import WorkflowHistory

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TEMPORAL_EXPORTS = sorted((GOLDEN / "temporal").glob("*.json"))
LEGATO_HISTORIES = sorted(GOLDEN.glob("*.json"))
_TIME = TypeAdapter(datetime)

# Temporal's fields that Legato's events do not keep, so a history written back lacks them:
# ``key`` anywhere, or ``parent.key`` inside the object under ``parent``.
NOT_KEPT: dict[str, str] = {
    "taskId": "the server's internal sequence number of the event's write",
    "eventGroupMarkers": "groups the events of an update in Temporal's UI; replay does not use it",
    "workerVersion": "worker versioning (build ids) is not planned",
    "useWorkflowBuildId": "worker versioning (build ids) is not planned",
    "inheritBuildId": "worker versioning (build ids) is not planned",
    "sdkMetadata": (
        "the SDK's version and core's flags; Legato's replay does not read them (Temporal's Replayer does)"
    ),
    "meteringMetadata": "Temporal Cloud's billing counts",
    "requestId": "the request's id for deduplication, which the server keeps, not the event",
    "priority": "task priorities are not planned",
    "namespaceId": "Legato names a namespace by its name only",
    "parentWorkflowNamespaceId": "Legato names a namespace by its name only",
    "taskQueue.kind": "a task queue's kind (normal or sticky): Legato has no sticky queues",
    "taskQueue.normalName": "the normal queue behind a sticky one: Legato has no sticky queues",
    "workflowExecutionStartedEventAttributes.workflowId": "the run's own workflow id: its history is fetched by it",
    "workflowExecutionSignaledEventAttributes.externalWorkflowExecution": (
        "the run that sent a signal: Legato's signal events do not record it"
    ),
    "activityFailureInfo.identity": "the failed attempt's worker: Legato's ActivityFailureInfo has none",
}


def _not_kept(parent: str, key: str) -> bool:
    return key in NOT_KEPT or f"{parent}.{key}" in NOT_KEPT


def _kept(value: Any, parent: str = "") -> Any:
    """The value without the fields Legato does not keep, and without protobuf's zero values.

    protobuf JSON leaves out a field at its zero value; the recorder blanked identities
    (to ""), a zero duration ("0s") is unset in Legato, and an empty header is no header.
    """
    if isinstance(value, dict):
        kept = {k: _kept(v, k) for k, v in value.items() if not _not_kept(parent, k)}
        return {k: v for k, v in kept.items() if v not in ("", "0s", 0, "0", False) and not (k == "header" and not v)}
    if isinstance(value, list):
        return [_kept(v, parent) for v in value]
    return value


def _same_time(original: dict[str, Any], written: dict[str, Any]) -> None:
    # Legato keeps time to the microsecond, as read; Temporal writes nanoseconds.
    assert _TIME.validate_python(written["eventTime"]) == _TIME.validate_python(original["eventTime"])


@pytest.mark.parametrize("path", TEMPORAL_EXPORTS, ids=lambda p: p.name)
def test_a_temporal_export_written_back_reads_as_the_same_events(path: Path) -> None:
    events = temporal_history.events_from_json(json.loads(path.read_text()))
    written = json.loads(json.dumps(temporal_history_out.events_to_json(events)))
    assert temporal_history.events_from_json(written) == events


@pytest.mark.parametrize("path", TEMPORAL_EXPORTS, ids=lambda p: p.name)
def test_a_temporal_export_written_back_is_the_original_less_what_legato_does_not_keep(path: Path) -> None:
    original = json.loads(path.read_text())
    written = temporal_history_out.events_to_json(temporal_history.events_from_json(original))
    assert [e["eventId"] for e in written["events"]] == [e["eventId"] for e in original["events"]]
    for before, after in zip(original["events"], written["events"], strict=True):
        _same_time(before, after)
        expected = {k: v for k, v in before.items() if k != "eventTime"}
        assert _kept({k: v for k, v in after.items() if k != "eventTime"}) == _kept(expected), before["eventId"]


def _seed_from_run_id(event: hist.HistoryEvent) -> hist.HistoryEvent:
    """The event with the seed Temporal's format carries: the one its run id gives.

    Temporal records no randomness seed; the reader derives it from the run id, as Legato's
    server does, so a history that records its run id keeps its seed. The golden histories
    were recorded before Legato recorded run ids: theirs read back as 0.
    """
    a = event.attributes
    if not isinstance(a, hist.WorkflowExecutionStarted):
        return event
    run_id = a.original_execution_run_id or a.first_execution_run_id
    seed = uuid.UUID(run_id).int & (2**63 - 1) if run_id else 0
    return event.model_copy(update={"attributes": a.model_copy(update={"randomness_seed": seed})})


@pytest.mark.parametrize("path", LEGATO_HISTORIES, ids=lambda p: p.name)
def test_a_legato_history_written_as_temporals_reads_back_equal(path: Path) -> None:
    mine = WorkflowHistory.from_json(path.stem, path.read_text())
    text = mine.to_temporal_json()
    assert temporal_history.is_temporal_history(json.loads(text))
    assert WorkflowHistory.from_json(path.stem, text).events == [_seed_from_run_id(e) for e in mine.events]


def test_a_started_event_with_its_run_id_keeps_its_seed() -> None:
    run_id = str(uuid.uuid4())
    started = hist.WorkflowExecutionStarted(
        workflow_type="W",
        task_queue="q",
        original_execution_run_id=run_id,
        first_execution_run_id=run_id,
        randomness_seed=uuid.UUID(run_id).int & (2**63 - 1),
        initiator="CONTINUE_AS_NEW",
        first_workflow_task_backoff=1.5,
        cron_schedule="@hourly",
        workflow_execution_expiration_time=datetime(2027, 1, 1, tzinfo=UTC),
        search_attributes={"CustomKeywordField": common.Payload(metadata={"encoding": b"json/plain"}, data=b'"a"')},
    )
    written = temporal_history_out.events_to_json([_event(1, started)])
    attributes = written["events"][0]["workflowExecutionStartedEventAttributes"]
    assert attributes["initiator"] == "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"
    assert attributes["firstWorkflowTaskBackoff"] == "1.500s"
    assert temporal_history.events_from_json(written) == [_event(1, started)]


def test_update_accepted_goes_back_after_the_task_that_accepted_it() -> None:
    original = json.loads((GOLDEN / "temporal" / "updated.cli.json").read_text())
    events = temporal_history.events_from_json(original)
    # The reader moves it before its task's WorkflowTaskStarted; the writer puts it back.
    assert [e.event_id for e in events] != sorted(e.event_id for e in events)
    written = temporal_history_out.events_to_json(events)
    assert [e["eventId"] for e in written["events"]] == [str(i) for i in range(1, len(events) + 1)]


def _event(event_id: int, attributes: Any) -> hist.HistoryEvent:
    return hist.HistoryEvent(event_id=event_id, event_time=datetime(2026, 1, 1, tzinfo=UTC), attributes=attributes)


def test_update_accepted_in_legatos_order_reads_back_in_the_same_task() -> None:
    accepted = hist.WorkflowExecutionUpdateAccepted(
        protocol_instance_id="u1",
        accepted_request=hist.UpdateRequest(meta=hist.UpdateMeta(update_id="u1"), input=hist.UpdateInput(name="add")),
    )
    events = [
        _event(1, hist.WorkflowExecutionStarted(workflow_type="W", task_queue="q")),
        _event(2, hist.WorkflowTaskScheduled(task_queue="q", start_to_close_timeout=10.0)),
        _event(3, hist.WorkflowTaskStarted(scheduled_event_id=2)),
        _event(4, hist.WorkflowTaskCompleted(scheduled_event_id=2, started_event_id=3)),
        _event(5, hist.WorkflowTaskScheduled(task_queue="q", start_to_close_timeout=10.0)),
        _event(6, accepted),
        _event(7, hist.WorkflowTaskStarted(scheduled_event_id=5)),
        _event(8, hist.WorkflowTaskCompleted(scheduled_event_id=5, started_event_id=7)),
    ]
    written = temporal_history_out.events_to_json(events)
    assert [e["eventId"] for e in written["events"]] == ["1", "2", "3", "4", "5", "7", "8", "6"]
    assert temporal_history.events_from_json(written) == events


def test_scalars_are_written_as_protobuf_json_writes_them() -> None:
    assert temporal_history_out.duration(1.5) == "1.500s"
    assert temporal_history_out.duration(10.0) == "10s"
    assert temporal_history_out.duration(0.000001) == "0.000001s"
    assert temporal_history_out.timestamp(datetime(2026, 12, 2, 1, 8, 34, 731126, tzinfo=UTC)) == (
        "2026-12-02T01:08:34.731126Z"
    )
    assert temporal_history_out.timestamp(datetime(2026, 12, 2, 1, 8, 34, tzinfo=UTC)) == "2026-12-02T01:08:34Z"
    in_paris = datetime(2026, 12, 2, 3, 8, 34, 500000, tzinfo=timezone(timedelta(hours=1)))
    assert temporal_history_out.timestamp(in_paris) == "2026-12-02T02:08:34.500Z"


def test_each_failure_kind_writes_its_failure_info_and_reads_back() -> None:
    activity = common.ActivityFailureInfo(
        activity_type="charge",
        activity_id="1",
        scheduled_event_id=5,
        started_event_id=6,
        retry_state=common.RetryState.MAXIMUM_ATTEMPTS_REACHED,
    )
    failures = [
        common.Failure(message="m", type="ValueError", non_retryable=True, next_retry_delay=2.5),
        common.Failure(message="t", kind=common.FailureKind.TIMEOUT, timeout_type=common.TimeoutType.HEARTBEAT),
        common.Failure(message="c", kind=common.FailureKind.CANCELED),
        common.Failure(message="x", kind=common.FailureKind.TERMINATED),
        common.Failure(message="s", kind=common.FailureKind.SERVER, non_retryable=True),
        common.Failure(
            message="a", kind=common.FailureKind.ACTIVITY, activity=activity, cause=common.Failure(message="inner")
        ),
    ]
    for failure in failures:
        written = temporal_history_out.failure(failure)
        assert temporal_history._failure(json.loads(json.dumps(written))) == failure
    assert temporal_history_out.failure(failures[1])["timeoutFailureInfo"] == {"timeoutType": "TIMEOUT_TYPE_HEARTBEAT"}
