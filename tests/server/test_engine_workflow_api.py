"""The workflow API in the engine's rules: markers (workflow.patched), the memo, the recorded run timeout."""

from __future__ import annotations

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Payload
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors, limits
from legato_operator.engine.rules import batch, commands, memo, start, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, started_run, types
from tests.support.payloads import payload

NULL = Payload(metadata={"encoding": b"binary/null"})


def complete(run: rows.Execution, *command_list: cmd.Command) -> batch.Batch:
    return workflow_tasks.complete(commands.Context(run), list(command_list), "worker-1", NOW)


def patch_marker() -> cmd.RecordMarker:
    return cmd.RecordMarker(
        marker_name="core_patch", details={"patch-data": [payload({"id": "v2", "deprecated": False})]}
    )


def test_a_marker_is_recorded_with_its_details_and_nothing_else_happens() -> None:
    b = complete(started_run(), patch_marker(), cmd.CompleteWorkflowExecution(result=payload("new")))
    assert types(b) == ["WorkflowTaskCompleted", "MarkerRecorded", "WorkflowExecutionCompleted"]
    marker = b.events[1].attributes
    assert isinstance(marker, wire.MarkerRecorded)
    assert (marker.marker_name, marker.workflow_task_completed_event_id) == ("core_patch", 4)
    assert marker.details == patch_marker().details
    assert b.new_tasks == []
    assert b.new_timers == []


def test_the_memo_given_at_start_is_in_the_started_event_and_on_the_run() -> None:
    request = api.StartWorkflowRequest(
        workflow_id="wf-1", workflow_type="Orders", task_queue="orders", memo={"customer": payload("ana")}
    )
    b = start.new_run("default", request, NOW)
    started = b.events[0].attributes
    assert isinstance(started, wire.WorkflowExecutionStarted)
    assert started.memo == {"customer": payload("ana")}
    assert memo.payloads(b.execution.memo) == {"customer": payload("ana")}


def test_a_run_without_a_memo_stores_none() -> None:
    assert started_run().memo is None


def test_modify_workflow_properties_upserts_the_memo_and_a_null_payload_removes_a_key() -> None:
    run = started_run(memo={"customer": payload("ana"), "tier": payload("gold")})
    b = complete(run, cmd.ModifyWorkflowProperties(upserted_memo={"tier": NULL, "step": payload(2)}))
    assert types(b) == ["WorkflowTaskCompleted", "WorkflowPropertiesModified"]
    modified = b.events[1].attributes
    assert isinstance(modified, wire.WorkflowPropertiesModified)
    assert modified.upserted_memo == {"tier": NULL, "step": payload(2)}
    assert memo.payloads(b.execution.memo) == {"customer": payload("ana"), "step": payload(2)}


def test_removing_every_key_leaves_no_memo() -> None:
    b = complete(
        started_run(memo={"tier": payload("gold")}), cmd.ModifyWorkflowProperties(upserted_memo={"tier": NULL})
    )
    assert b.execution.memo is None


def test_an_empty_memo_upsert_fails_the_workflow_task_naming_the_field() -> None:
    b = complete(started_run(), cmd.ModifyWorkflowProperties(upserted_memo={}))
    assert types(b) == ["WorkflowTaskFailed"]
    failed = b.events[0].attributes
    assert isinstance(failed, wire.WorkflowTaskFailed)
    assert failed.cause == "BAD_MODIFY_WORKFLOW_PROPERTIES_ATTRIBUTES"
    assert failed.failure is not None
    assert "upserted_memo" in failed.failure.message


def test_a_memo_over_the_payload_limit_is_refused_naming_the_field() -> None:
    big = api.StartWorkflowRequest(
        workflow_id="wf-1",
        workflow_type="Orders",
        task_queue="orders",
        memo={"a": payload("x" * 600), "b": payload("y" * 600)},
    )
    with pytest.raises(errors.PayloadTooLarge, match="memo"):
        limits.Limits(max_payload_bytes=1000).check_payloads(big)
    limits.Limits(max_payload_bytes=2000).check_payloads(big)


def test_an_upserted_memo_over_the_payload_limit_is_refused_naming_the_command() -> None:
    completion = api.CompleteWorkflowTaskRequest(
        task_token="t", commands=[cmd.ModifyWorkflowProperties(upserted_memo={"a": payload("x" * 2000)})]
    )
    with pytest.raises(errors.PayloadTooLarge, match=r"commands\.0\.upserted_memo"):
        limits.Limits(max_payload_bytes=1000).check_payloads(completion)


def test_the_run_timeout_recorded_is_the_shorter_of_run_and_execution_timeouts_as_temporal_records_it() -> None:
    def recorded(**timeouts: float) -> float | None:
        request = api.StartWorkflowRequest(workflow_id="wf-1", workflow_type="Orders", task_queue="orders", **timeouts)
        started = start.new_run("default", request, NOW).events[0].attributes
        assert isinstance(started, wire.WorkflowExecutionStarted)
        return started.workflow_run_timeout

    assert recorded(execution_timeout=60) == 60
    assert recorded(execution_timeout=60, run_timeout=90) == 60
    assert recorded(run_timeout=30) == 30
    assert recorded() is None
