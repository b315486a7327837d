"""Histories recorded on Temporal's own dev server replay against the same code on Legato.

tests/golden/temporal/record.py ran tests/golden/temporal/workflows.py on temporalio (the
import renamed) and exported each run twice: with Temporal's CLI (``*.cli.json``) and with
temporalio's ``fetch_history().to_json()`` (``*.sdk.json``).
"""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from legato import workflow
from legato.api.common.v1 import Payload
from legato.api.enums.v1 import EventType, RetryState
from legato.api.history import v1 as hist
from legato.client import WorkflowHistory
from legato.converter import DataConverter
from legato.worker import Replayer
from tests.golden.temporal import workflows as wf
from tests.support.payloads import payload

TEMPORAL = Path(__file__).resolve().parents[1] / "golden" / "temporal"
REPLAYABLE = [
    "order",
    "approval",
    "failing",
    "cancelled",
    "timer_race",
    "terminated",
    "patched",
    "continued",
    "local_activity",
    "updated",
]
EXPORTS = ["cli", "sdk"]


def recorded(name: str, export: str = "sdk") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TEMPORAL / f"{name}.{export}.json").read_text())
    return data


def history(name: str, export: str = "sdk") -> WorkflowHistory:
    return WorkflowHistory.from_json(f"golden-{name}", recorded(name, export))


@pytest.mark.parametrize("export", EXPORTS)
@pytest.mark.parametrize("name", REPLAYABLE)
async def test_temporal_history_replays_against_the_same_code(name: str, export: str) -> None:
    text = (TEMPORAL / f"{name}.{export}.json").read_text()
    result = await Replayer(workflows=wf.WORKFLOWS).replay_workflow(WorkflowHistory.from_json(name, text))
    assert result.replay_failure is None


def _to_ui_enums(data: dict[str, Any]) -> dict[str, Any]:
    # Temporal's web UI writes enums in PascalCase without their prefix; temporalio reads both.
    def pascal(value: str, prefix: str) -> str:
        return "".join(w.capitalize() for w in value.removeprefix(prefix).split("_"))

    text = json.dumps(data)
    text = re.sub(r'"(EVENT_TYPE_[A-Z_]+)"', lambda m: f'"{pascal(m.group(1), "EVENT_TYPE_")}"', text)
    text = re.sub(r'"(RETRY_STATE_[A-Z_]+)"', lambda m: f'"{pascal(m.group(1), "RETRY_STATE_")}"', text)
    converted: dict[str, Any] = json.loads(text)
    return converted


async def test_history_with_pascal_case_enums_as_the_web_ui_writes_replays() -> None:
    data = _to_ui_enums(recorded("failing"))
    assert data["events"][0]["eventType"] == "WorkflowExecutionStarted"
    replayed = WorkflowHistory.from_json("golden-failing", data)
    await Replayer(workflows=wf.WORKFLOWS).replay_workflow(replayed)
    failed = replayed.events[-1].attributes
    assert isinstance(failed, hist.WorkflowExecutionFailed)
    assert failed.retry_state == "RETRY_POLICY_NOT_SET"


def _value(payload: Payload) -> Any:
    return DataConverter.default.payload_converter.from_payload(payload)


def test_temporal_events_keep_their_ids_times_and_payload_values() -> None:
    events = history("order").events
    assert [e.event_id for e in events] == list(range(1, len(events) + 1))
    started = events[0].attributes
    assert isinstance(started, hist.WorkflowExecutionStarted)
    assert (started.workflow_type, started.task_queue) == ("OrderWorkflow", wf.TASK_QUEUE)
    assert [_value(p) for p in started.input] == [{"order_id": "order-1", "quantity": 3}]
    completed = events[-1].attributes
    assert isinstance(completed, hist.WorkflowExecutionCompleted)
    assert completed.result is not None
    assert _value(completed.result) == ["reserved 3 for order-1", "charged order-1"]


def test_a_retried_activity_keeps_its_last_attempt_and_failure() -> None:
    events = history("order").events
    scheduled = [e for e in events if isinstance(e.attributes, hist.ActivityTaskScheduled)]
    charge = scheduled[1].attributes
    assert isinstance(charge, hist.ActivityTaskScheduled)
    assert charge.activity_type == "flaky_charge"
    assert (charge.retry_policy.initial_interval, charge.retry_policy.backoff_coefficient) == (0.1, 1.0)
    started = next(
        e.attributes
        for e in events
        if isinstance(e.attributes, hist.ActivityTaskStarted)
        and e.attributes.scheduled_event_id == scheduled[1].event_id
    )
    assert started.attempt == 3
    assert started.last_failure is not None
    assert started.last_failure.message == "card declined (attempt 2)"


def test_a_failed_run_keeps_its_failure_chain() -> None:
    failed = history("failing").events[-1].attributes
    assert isinstance(failed, hist.WorkflowExecutionFailed)
    assert failed.failure.kind == "activity"
    assert failed.failure.activity is not None
    assert failed.failure.activity.activity_type == "always_fails"
    cause = failed.failure.cause
    assert cause is not None
    assert (cause.message, cause.non_retryable) == ("kettle is out of stock", True)


@workflow.defn(name="OrderWorkflow")
class ChargesBeforeReserving:
    """The order workflow with its two activities swapped: its runs would break."""

    @workflow.run
    async def run(self, order: wf.Order) -> list[str]:
        charged = await workflow.execute_activity(wf.flaky_charge, order, start_to_close_timeout=timedelta(seconds=10))
        return [charged]


@workflow.defn(name="ApprovalWorkflow")
class ApprovesWithoutWaiting:
    """The approval workflow without its opening timer."""

    @workflow.signal
    def approve(self, who: str) -> None:
        pass

    @workflow.run
    async def run(self, needed: int) -> list[str]:
        return []


@pytest.mark.parametrize("export", EXPORTS)
async def test_changed_workflow_fails_to_replay_a_temporal_history(export: str) -> None:
    with pytest.raises(workflow.NondeterminismError, match=r"reserve.*flaky_charge"):
        await Replayer(workflows=[ChargesBeforeReserving]).replay_workflow(history("order", export))


@workflow.defn(name="UpdatedWorkflow")
class AddsWithoutSleeping:
    """The updated workflow whose ``add`` handler no longer sleeps: its runs would break."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        return []

    @workflow.update
    async def add(self, item: str) -> int:
        return 1

    @workflow.update
    def finish(self) -> str:
        self.done = True
        return "bye"


@pytest.mark.parametrize("export", EXPORTS)
async def test_a_temporal_update_replays_its_handler_in_the_task_that_accepted_it(export: str) -> None:
    events = history("updated", export).events
    accepted = [e.attributes for e in events if isinstance(e.attributes, hist.WorkflowExecutionUpdateAccepted)]
    completed = [e.attributes for e in events if isinstance(e.attributes, hist.WorkflowExecutionUpdateCompleted)]
    assert [a.accepted_request.input.name for a in accepted] == ["add", "finish"]
    assert accepted[0].accepted_request.input.args == [payload("apple")]
    assert completed[0].outcome.success == [payload(1)]
    with pytest.raises(workflow.NondeterminismError, match="TimerStarted"):
        await Replayer(workflows=[AddsWithoutSleeping]).replay_workflow(history("updated", export))


async def test_replay_workflows_collects_each_failure_by_workflow_id() -> None:
    histories = [history(name) for name in ("order", "approval", "timer_race")]
    replayer = Replayer(workflows=[ChargesBeforeReserving, ApprovesWithoutWaiting, wf.TimerRaceWorkflow])
    results = await replayer.replay_workflows(histories, raise_on_replay_failure=False)
    assert sorted(results.replay_failures) == ["golden-approval", "golden-order"]
    assert all(isinstance(e, workflow.NondeterminismError) for e in results.replay_failures.values())


async def test_replay_workflows_reads_an_async_iterator_as_temporal_passes_it() -> None:
    async def histories() -> Any:
        for name in REPLAYABLE:
            yield history(name)

    results = await Replayer(workflows=wf.WORKFLOWS).replay_workflows(histories())
    assert results.replay_failures == {}


@pytest.mark.parametrize("export", EXPORTS)
def test_an_event_legato_cannot_replay_is_refused_by_name_and_id(export: str) -> None:
    data = recorded("patched", export)
    data["events"][4]["markerRecordedEventAttributes"]["markerName"] = "core_side_effect"
    with pytest.raises(ValueError, match=r"History event 5 \(MarkerRecorded\).*'core_side_effect'.*neither a patch"):
        WorkflowHistory.from_json("golden-patched", data)


def test_an_upsert_of_a_custom_search_attribute_loads_with_its_value() -> None:
    data = recorded("patched")
    fields = data["events"][5]["upsertWorkflowSearchAttributesEventAttributes"]["searchAttributes"]["indexedFields"]
    fields["CustomerId"] = fields["TemporalChangeVersion"]
    history = WorkflowHistory.from_json("golden-patched", data)
    upsert = history.events[5].attributes
    assert isinstance(upsert, hist.UpsertWorkflowSearchAttributes)
    assert set(upsert.search_attributes) == {"TemporalChangeVersion", "CustomerId"}


# --- a patch recorded on Temporal, replayed through the three steps of removing it ---


@workflow.defn(name="PatchedWorkflow")
class PatchDeprecated:
    @workflow.run
    async def run(self) -> str:
        workflow.deprecate_patch("v2")
        return "new"


@workflow.defn(name="PatchedWorkflow")
class PatchRemoved:
    @workflow.run
    async def run(self) -> str:
        return "new"


def _deprecated(data: dict[str, Any]) -> dict[str, Any]:
    marker = data["events"][4]["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"][0]
    marker["data"] = base64.b64encode(b'{"id":"v2","deprecated":true}').decode()
    return data


async def test_a_temporal_patch_marker_replays_with_deprecate_patch() -> None:
    await Replayer(workflows=[PatchDeprecated]).replay_workflow(history("patched"))


async def test_a_temporal_patch_marker_without_its_patched_call_is_nondeterminism() -> None:
    # Temporal: "Non-deprecated patch marker encountered for change v2, but there is no corresponding change command".
    with pytest.raises(workflow.NondeterminismError, match=r"MarkerRecorded\(patch='v2'\).*not deprecated"):
        await Replayer(workflows=[PatchRemoved]).replay_workflow(history("patched"))


async def test_a_deprecated_temporal_patch_marker_replays_without_the_call() -> None:
    replayed = WorkflowHistory.from_json("golden-patched", _deprecated(recorded("patched")))
    await Replayer(workflows=[PatchRemoved]).replay_workflow(replayed)


def test_a_payload_in_another_encoding_is_kept_as_it_was_recorded() -> None:
    data = recorded("order")
    payload = data["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    payload["metadata"]["encoding"] = "YmluYXJ5L2VuY3J5cHRlZA=="  # binary/encrypted
    started = WorkflowHistory.from_json("golden-order", data).events[0].attributes
    assert isinstance(started, hist.WorkflowExecutionStarted)
    assert started.input[0].metadata["encoding"] == b"binary/encrypted"
    assert started.input[0].data == base64.b64decode(payload["data"])


def test_a_payload_that_is_not_temporals_payload_is_refused() -> None:
    data = recorded("order")
    data["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]["data"] = "not base64!"
    with pytest.raises(ValueError, match=r"event 1 .*not Temporal's Payload"):
        WorkflowHistory.from_json("golden-order", data)


def test_legato_history_json_still_reads_as_before() -> None:
    mine = history("order")
    again = WorkflowHistory.from_json("golden-order", mine.to_json())
    assert again.events == mine.events


# --- the Temporal-shaped view of history events ---


def test_event_type_is_temporals_enum() -> None:
    events = history("order").events
    assert events[0].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    assert int(events[0].event_type) == 1
    assert [e.event_type for e in events].count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 2


def test_event_attributes_read_under_temporals_names() -> None:
    events = history("order").events
    scheduled = next(e for e in events if e.HasField("activity_task_scheduled_event_attributes"))
    attributes = scheduled.activity_task_scheduled_event_attributes
    assert attributes is not None
    assert attributes.activity_type.name == "reserve"
    assert attributes.task_queue.name == wf.TASK_QUEUE
    assert attributes.start_to_close_timeout.ToTimedelta() == timedelta(seconds=10)
    assert [_value(p) for p in attributes.input.payloads] == [{"order_id": "order-1", "quantity": 3}]
    assert not scheduled.HasField("timer_started_event_attributes")
    assert scheduled.timer_started_event_attributes is None
    completed = events[-1].workflow_execution_completed_event_attributes
    assert completed is not None
    assert [_value(p) for p in completed.result.payloads] == [["reserved 3 for order-1", "charged order-1"]]


def test_failure_reads_under_temporals_names() -> None:
    failed = history("failing").events[-1].workflow_execution_failed_event_attributes
    assert failed is not None
    assert failed.retry_state == RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET
    assert failed.failure.message == "Activity task failed"
    assert failed.failure.activity_failure_info.activity_type.name == "always_fails"
    assert failed.failure.HasField("cause")
    assert failed.failure.cause.application_failure_info.non_retryable is True
    assert failed.failure.cause.message == "kettle is out of stock"


@workflow.defn(name="FlakyTaskWorkflow")
class FixedFlakyTaskWorkflow:
    """What recovered on Temporal: its first workflow task failed, the retry slept and returned."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0.2)
        return "recovered"


@pytest.mark.parametrize("export", EXPORTS)
async def test_history_with_a_failed_workflow_task_replays(export: str) -> None:
    replayed = history("task_failed", export)
    failed = next(e.attributes for e in replayed.events if isinstance(e.attributes, hist.WorkflowTaskFailed))
    assert failed.cause == "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    assert failed.failure is not None
    assert failed.failure.message == "a bug in the first workflow task"
    await Replayer(workflows=[FixedFlakyTaskWorkflow]).replay_workflow(replayed)


def test_a_patch_marker_reads_with_temporals_names() -> None:
    events = history("patched").events
    marker = events[4].marker_recorded_event_attributes
    upsert = events[5].upsert_workflow_search_attributes_event_attributes
    started = events[0].workflow_execution_started_event_attributes
    assert marker is not None
    assert upsert is not None
    assert started is not None
    assert marker.marker_name == "core_patch"
    assert marker.details["patch-data"].payloads[0].data == b'{"id":"v2","deprecated":false}'
    assert list(upsert.search_attributes.indexed_fields) == ["TemporalChangeVersion"]
    assert started.memo.fields == {}


def test_a_continued_run_keeps_the_run_that_goes_on() -> None:
    events = history("continued").events
    closing = events[-1].attributes
    assert isinstance(closing, hist.WorkflowExecutionContinuedAsNew)
    started = events[0].attributes
    assert isinstance(started, hist.WorkflowExecutionStarted)
    assert closing.new_execution_run_id not in ("", started.original_execution_run_id)
    assert started.first_execution_run_id == started.original_execution_run_id
