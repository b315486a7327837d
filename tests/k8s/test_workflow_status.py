"""Pure: a Workflow's status from its run, the identity a run keeps, the start request."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from legato.api.common.v1 import (
    ActivityFailureInfo,
    Failure,
    FailureKind,
    Payload,
    RetryState,
    WorkflowExecutionStatus,
)
from legato.api.workflowservice import v1 as api
from legato_operator import limits
from legato_operator.k8s import models, status, workflows
from legato_operator.store import rows
from tests.support.payloads import payload, payloads

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
KEY = rows.ResourceKey("shop", "order-123", "0b6c4a3e-0000-4000-8000-000000000001")


def run(**changes: Any) -> api.DescribeWorkflowResponse:
    values: dict[str, Any] = {
        "workflow_id": "order-123",
        "run_id": "9d7f0a6e-1111-4111-8111-000000000002",
        "workflow_type": "OrderWorkflow",
        "task_queue": "orders",
        "status": WorkflowExecutionStatus.RUNNING,
        "start_time": NOW - timedelta(minutes=5),
        "history_length": 12,
    }
    return api.DescribeWorkflowResponse(**{**values, **changes})


def pending(
    activity_type: str = "charge_card", attempt: int = 1, failure: Failure | None = None
) -> api.PendingActivity:
    return api.PendingActivity(
        activity_id="1",
        activity_type=activity_type,
        state="BACKOFF" if failure else "STARTED",
        attempt=attempt,
        scheduled_event_id=5,
        last_failure=failure,
    )


def activity_failure(message: str = "card declined") -> Failure:
    cause = Failure(message=message, type="CardDeclined")
    info = ActivityFailureInfo(
        activity_type="charge_card",
        activity_id="1",
        scheduled_event_id=5,
        started_event_id=6,
        retry_state=RetryState.MAXIMUM_ATTEMPTS_REACHED,
    )
    return Failure(message="Activity task failed", kind=FailureKind.ACTIVITY, activity=info, cause=cause)


def of(description: api.DescribeWorkflowResponse, book: status.Bookkeeping | None = None) -> models.WorkflowStatus:
    return status.of_run(description, book or status.Bookkeeping(generation=1), [], NOW)


def condition(s: models.WorkflowStatus, kind: str) -> models.Condition:
    return next(c for c in s.conditions if c.type == kind)


def test_a_running_run_is_running_with_its_times_and_counts() -> None:
    s = of(run(pending_activities=[pending()]))
    assert (s.phase, s.run_id, s.workflow_id) == (models.Phase.RUNNING, run().run_id, "order-123")
    assert (s.start_time, s.close_time) == ("2026-03-01T11:55:00Z", None)
    assert (s.history_length, s.pending_activities, s.observed_generation) == (12, 1, 1)
    assert s.message == "running activity charge_card"
    assert condition(s, "Started").status == "True"
    assert (condition(s, "Ready").status, condition(s, "Ready").reason) == ("Unknown", "Running")


def child(workflow_id: str, initiated_id: int) -> api.PendingChildExecution:
    return api.PendingChildExecution(
        workflow_id=workflow_id,
        run_id="c0ffee00-0000-4000-8000-000000000003",
        workflow_type_name="ShipmentWorkflow",
        initiated_id=initiated_id,
        parent_close_policy="TERMINATE",
    )


def test_a_parent_waiting_on_children_names_the_first_and_counts_them() -> None:
    s = of(run(pending_children=[child("order-123-ship", 5), child("order-123-bill", 9)]))
    assert s.pending_children == 2
    assert s.message == "waiting on child workflow ShipmentWorkflow order-123-ship (+1 more)"
    # Activities running say more about what the run does now.
    assert of(run(pending_activities=[pending()], pending_children=[child("c", 5)])).message == (
        "running activity charge_card"
    )


def test_an_activity_being_retried_is_named_with_its_attempt_and_error() -> None:
    failing = pending(attempt=3, failure=Failure(message="card declined", type="CardDeclined"))
    s = of(run(pending_activities=[pending("reserve"), failing]))
    assert s.message == "activity charge_card attempt 3: card declined"


def test_a_completed_run_carries_its_json_plain_result_decoded() -> None:
    s = of(run(status=WorkflowExecutionStatus.COMPLETED, close_time=NOW, result=payload({"ok": True, "id": "o-1"})))
    assert (s.phase, s.message, s.close_time) == (models.Phase.COMPLETED, "completed", "2026-03-01T12:00:00Z")
    assert json.loads(s.result or "") == {"ok": True, "id": "o-1"}
    assert not s.result_truncated
    assert s.failure is None
    assert (condition(s, "Ready").status, condition(s, "Ready").reason) == ("True", "Completed")


def test_an_encoded_result_is_shown_as_its_encoding_and_size_never_as_its_bytes() -> None:
    secret = Payload(metadata={"encoding": b"binary/encrypted", "key-id": b"k1"}, data=b"\x8a\x01secret")
    s = of(run(status=WorkflowExecutionStatus.COMPLETED, close_time=NOW, result=secret))
    assert json.loads(s.result or "") == {"encoding": "binary/encrypted", "size": 8}


def test_a_none_result_is_null() -> None:
    s = of(run(status=WorkflowExecutionStatus.COMPLETED, close_time=NOW, result=payload(None)))
    assert s.result == "null"


def test_a_large_result_is_truncated_and_flagged() -> None:
    s = of(run(status=WorkflowExecutionStatus.COMPLETED, close_time=NOW, result=payload("x" * 100_000)))
    assert s.result_truncated
    assert s.result is not None
    assert len(s.result) == models.MAX_RESULT_CHARS


def test_a_failed_run_summarizes_its_failure_chain() -> None:
    s = of(run(status=WorkflowExecutionStatus.FAILED, close_time=NOW, failure=activity_failure()))
    assert s.phase is models.Phase.FAILED
    assert s.failure == models.FailureSummary(message="activity charge_card: card declined", type="CardDeclined")
    assert s.message == "failed: activity charge_card: card declined"
    assert (condition(s, "Ready").status, condition(s, "Ready").reason) == ("False", "Failed")


@pytest.mark.parametrize(
    ("engine_status", "phase", "message"),
    [
        (WorkflowExecutionStatus.CANCELED, models.Phase.CANCELED, "canceled"),
        (WorkflowExecutionStatus.TIMED_OUT, models.Phase.TIMED_OUT, "timed out: Workflow execution timed out"),
        (WorkflowExecutionStatus.TERMINATED, models.Phase.TERMINATED, "terminated: deleted"),
    ],
)
def test_every_close_has_its_phase_and_message(
    engine_status: WorkflowExecutionStatus, phase: models.Phase, message: str
) -> None:
    failures = {
        WorkflowExecutionStatus.TIMED_OUT: Failure(message="Workflow execution timed out", kind=FailureKind.TIMEOUT),
        WorkflowExecutionStatus.TERMINATED: Failure(message="deleted", kind=FailureKind.TERMINATED),
    }
    s = of(run(status=engine_status, close_time=NOW, failure=failures.get(engine_status)))
    assert (s.phase, s.message) == (phase, message)


def test_the_status_stays_bounded_however_large_the_run() -> None:
    huge = Failure(message="boom " * 50_000, type="E" * 5000, cause=Failure(message="why " * 50_000))
    closed = run(
        status=WorkflowExecutionStatus.FAILED,
        close_time=NOW,
        history_length=10_000_000,
        failure=huge,
        pending_activities=[pending(str(i)) for i in range(2000)],
    )
    book = status.Bookkeeping(generation=9, delivered_signals=[f"s{i}" for i in range(models.MAX_SIGNALS)])
    s = status.of_run(closed, book, [], NOW)
    # Validated against the model's limits (the CRD's), and small in bytes.
    models.WorkflowStatus.model_validate(s.model_dump(by_alias=True))
    assert len(s.message) <= status.MESSAGE_CHARS
    assert len(json.dumps(workflows.dump(s))) < 20_000


def test_a_condition_keeps_its_transition_time_until_its_status_changes() -> None:
    first = status.of_run(run(), status.Bookkeeping(), [], NOW)
    later = status.of_run(run(), status.Bookkeeping(), first.conditions, NOW + timedelta(hours=1))
    assert condition(later, "Ready").last_transition_time == "2026-03-01T12:00:00Z"
    closed = run(status=WorkflowExecutionStatus.COMPLETED, close_time=NOW)
    done = status.of_run(closed, status.Bookkeeping(), later.conditions, NOW + timedelta(hours=2))
    assert condition(done, "Ready").last_transition_time == "2026-03-01T14:00:00Z"
    assert condition(done, "Started").last_transition_time == "2026-03-01T12:00:00Z"


def test_a_refused_spec_change_shows_as_condition_and_message_and_clears_when_reverted() -> None:
    refused = status.of_run(run(), status.Bookkeeping(refused_fields=["args", "taskQueue"]), [], NOW)
    cond = condition(refused, status.SPEC_CHANGE_REFUSED)
    assert (cond.status, cond.reason) == ("True", "IdentityChanged")
    assert "spec.args, spec.taskQueue" in cond.message
    assert refused.message.startswith("spec change refused: args, taskQueue")
    reverted = status.of_run(run(), status.Bookkeeping(), refused.conditions, NOW)
    assert condition(reverted, status.SPEC_CHANGE_REFUSED).status == "False"
    assert reverted.message == "running"


def test_signals_delivered_and_not_delivered_are_listed() -> None:
    book = status.Bookkeeping(delivered_signals=["a", "b"], undelivered_signals={"c": "run closed"})
    s = status.of_run(run(), book, [], NOW)
    assert (s.delivered_signals, s.undelivered_signals) == (["a", "b"], ["c"])
    cond = condition(s, status.SIGNALS_DELIVERED)
    assert (cond.status, cond.reason) == ("False", "NotDelivered")
    assert "c" in cond.message


def test_a_spec_that_cannot_start_is_pending_with_the_reason() -> None:
    s = status.not_started(reason="InvalidSpec", message="spec.args: too long", generation=2, previous=[], now=NOW)
    assert (s.phase, s.message, s.observed_generation) == (models.Phase.PENDING, "spec.args: too long", 2)
    assert (condition(s, "Started").status, condition(s, "Started").reason) == ("False", "InvalidSpec")


def spec(**changes: Any) -> models.WorkflowSpec:
    return models.WorkflowSpec.model_validate({"workflowType": "OrderWorkflow", "taskQueue": "orders", **changes})


def test_identity_is_unchanged_by_signals_on_delete_and_equivalent_values() -> None:
    started = status.identity(spec(args=[1], executionTimeout="1h"), "order-123")
    same = spec(
        args=[1],
        executionTimeout="60m",
        workflowId="order-123",
        onDelete="Abandon",
        signals=[{"id": "s1", "name": "approve"}],
        retryPolicy={"maximumAttempts": 3},
    )
    assert status.changed_fields(started, status.identity(same, "order-123")) == []


def test_identity_changes_are_named_field_by_field() -> None:
    started = status.identity(spec(args=[{"sku": "a"}]), "order-123")
    changed = spec(workflowType="Other", taskQueue="q2", args=[{"sku": "b"}], workflowId="x", executionTimeout="5m")
    assert status.changed_fields(started, status.identity(changed, "order-123")) == list(status.IDENTITY_FIELDS)


def test_the_start_request_maps_the_spec_and_derives_its_request_id_from_the_uid() -> None:
    s = spec(
        args=["order-123"],
        executionTimeout="1h30m",
        idReusePolicy="RejectDuplicate",
        retryPolicy={"initialInterval": "2s", "maximumAttempts": 5},
    )
    request = workflows.start_request(KEY, s, limits.Limits())
    assert (request.workflow_id, request.workflow_type, request.task_queue) == ("order-123", "OrderWorkflow", "orders")
    # JSON written by people reaches the run as the json/plain payloads an SDK client sends.
    assert (request.args, request.execution_timeout) == (payloads("order-123"), 5400.0)
    assert request.id_reuse_policy is api.IdReusePolicy.REJECT_DUPLICATE
    assert request.retry_policy is not None
    assert (request.retry_policy.initial_interval, request.retry_policy.maximum_attempts) == (2.0, 5)
    assert request.retry_policy.backoff_coefficient == 2.0
    assert request.request_id == workflows.start_request(KEY, s, limits.Limits()).request_id
    assert KEY.uid in (request.request_id or "")


def test_a_start_request_the_engine_would_refuse_is_refused_naming_the_field() -> None:
    with pytest.raises(workflows.StartRefused) as caught:
        workflows.start_request(KEY, spec(executionTimeout="0s"), limits.Limits())
    assert caught.value.reason == "InvalidSpec"
    assert "spec.executionTimeout" in caught.value.message


def test_a_spec_arg_that_is_not_json_is_refused_naming_where_it_is() -> None:
    with pytest.raises(workflows.StartRefused) as refused:
        workflows.start_request(KEY, spec(args=["ok", {"total": float("nan")}]), limits.Limits())
    assert refused.value.reason == "InvalidSpec"
    assert "spec.args.1.total" in refused.value.message
