"""Pure: the Progressing condition of a running Workflow — a workflow task that keeps
failing, a queue nobody polls, a missing TaskQueue — its message, its events, and when a
run that did not change needs its status written again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from legato.api.common.v1 import Failure, WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator.k8s import models, status
from tests.support.payloads import payload

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=60)
NOT_FOUND = (
    "Workflow class Invoice is not registered on this worker (task queue 'orders'), available workflows: Greeter"
)


def run(**changes: Any) -> api.DescribeWorkflowResponse:
    values: dict[str, Any] = {
        "workflow_id": "invoice-1",
        "run_id": "9d7f0a6e-1111-4111-8111-000000000002",
        "workflow_type": "Invoice",
        "task_queue": "orders",
        "status": WorkflowExecutionStatus.RUNNING,
        "start_time": NOW - timedelta(minutes=5),
        "history_length": 4,
        "pending_workflow_task": api.PendingWorkflowTask(state="SCHEDULED", attempt=1),
    }
    return api.DescribeWorkflowResponse(**{**values, **changes})


def failing(attempt: int, message: str = NOT_FOUND, cause: str = "WORKFLOW_WORKER_UNHANDLED_FAILURE") -> Any:
    task = api.PendingWorkflowTask(
        state="SCHEDULED",
        attempt=attempt,
        last_failure_cause=cause,
        last_failure=Failure(message=message, type="NotFoundError"),
        last_failure_time=NOW - timedelta(seconds=3),
    )
    return run(pending_workflow_task=task)


def waiting(
    waited: timedelta = 2 * MINUTE, *, pollers: int = 0, resource: bool = True, read: bool = True
) -> status.Waiting:
    queue = status.Queue(pollers=pollers, window=60.0, resource=resource) if read else None
    return status.Waiting(since=NOW - waited, queue=queue)


def of(
    description: api.DescribeWorkflowResponse,
    wait: status.Waiting | None = None,
    previous: list[models.Condition] | None = None,
    now: datetime = NOW,
) -> models.WorkflowStatus:
    return status.of_run(description, status.Bookkeeping(generation=1), previous or [], now, waiting=wait)


def progressing(s: models.WorkflowStatus) -> models.Condition:
    return next(c for c in s.conditions if c.type == "Progressing")


def test_a_run_whose_workflow_tasks_reach_workers_is_progressing() -> None:
    s = of(run(), waiting(timedelta(seconds=5), read=False))
    assert (progressing(s).status, progressing(s).reason) == ("True", "Running")
    assert (s.phase, s.message) == (models.Phase.RUNNING, "running")


def test_a_workflow_task_failing_attempt_after_attempt_is_not_progressing_with_cause_message_and_attempt() -> None:
    s = of(failing(attempt=7))
    condition = progressing(s)
    assert (condition.status, condition.reason) == ("False", "WorkflowTaskFailing")
    assert "failed 6 attempts in a row, the last at 2026-03-01T11:59:57Z" in (condition.message or "")
    assert f"(attempt 7): WORKFLOW_WORKER_UNHANDLED_FAILURE: {NOT_FOUND}" in (condition.message or "")
    assert s.message == status.one_line(
        f"workflow task failing (attempt 7): WORKFLOW_WORKER_UNHANDLED_FAILURE: {NOT_FOUND}"
    )
    # Temporal's truth: the run is still running.
    assert s.phase is models.Phase.RUNNING
    assert next(c for c in s.conditions if c.type == "Ready").status == "Unknown"


def test_one_failure_the_next_attempt_may_heal_is_not_yet_stuck() -> None:
    assert progressing(of(failing(attempt=2))).status == "True"
    assert progressing(of(failing(attempt=3))).status == "False"


def test_a_long_failure_is_clipped_in_the_condition_and_the_message() -> None:
    s = of(failing(attempt=4, message="x" * 100_000, cause="NON_DETERMINISTIC_ERROR"))
    assert len(progressing(s).message or "") <= status.CONDITION_MESSAGE_CHARS
    assert len(s.message or "") <= status.MESSAGE_CHARS
    assert (s.message or "").startswith("workflow task failing (attempt 4): NON_DETERMINISTIC_ERROR: xxx")


def test_a_workflow_task_waiting_past_the_threshold_on_a_queue_nobody_polls_is_no_pollers() -> None:
    s = of(run(), waiting())
    condition = progressing(s)
    assert (condition.status, condition.reason) == ("False", "NoPollers")
    assert "No worker polled task queue orders for workflow tasks in the last 60s" in (condition.message or "")
    assert "since 2026-03-01T11:58:00Z" in (condition.message or "")
    assert "orders-worker" in (condition.message or "")
    assert s.message == "stuck: no worker polls task queue orders (workflow task waiting since 2026-03-01T11:58:00Z)"


def test_without_a_task_queue_resource_the_reason_is_task_queue_missing() -> None:
    s = of(run(), waiting(resource=False))
    condition = progressing(s)
    assert (condition.status, condition.reason) == ("False", "TaskQueueMissing")
    assert "There is no TaskQueue orders in this namespace" in (condition.message or "")
    assert (s.message or "").startswith("stuck: no TaskQueue orders and no worker polls it")


def test_waiting_is_not_stuck_before_the_threshold_or_while_someone_polls() -> None:
    assert progressing(of(run(), waiting(timedelta(seconds=59)))).status == "True"
    assert progressing(of(run(), waiting(pollers=2))).status == "True"
    assert not status.queue_due(NOW - timedelta(seconds=59), NOW, MINUTE)
    assert status.queue_due(NOW - MINUTE, NOW, MINUTE)
    assert not status.queue_due(None, NOW, MINUTE)


def test_a_task_a_worker_took_after_the_queue_was_read_is_not_missing_a_poller() -> None:
    taken = run(pending_workflow_task=api.PendingWorkflowTask(state="STARTED", attempt=1))
    assert progressing(of(taken, waiting())).status == "True"


def test_nobody_polling_comes_before_a_failing_task() -> None:
    assert progressing(of(failing(attempt=5), waiting())).reason == "NoPollers"
    assert progressing(of(failing(attempt=5), waiting(pollers=1))).reason == "WorkflowTaskFailing"


def test_a_closed_run_is_no_longer_stuck() -> None:
    closed = failing(attempt=9).model_copy(
        update={"status": WorkflowExecutionStatus.COMPLETED, "close_time": NOW, "result": payload(1)}
    )
    s = of(closed, waiting())
    assert (progressing(s).status, progressing(s).reason) == ("True", "Closed")
    assert s.message == "completed"


def test_the_stuck_message_comes_before_a_refused_spec_change() -> None:
    book = status.Bookkeeping(generation=2, refused_fields=["args"])
    s = status.of_run(failing(attempt=3), book, [], NOW)
    assert (s.message or "").startswith("workflow task failing (attempt 3)")
    assert next(c for c in s.conditions if c.type == "SpecChangeRefused").status == "True"


def test_becoming_stuck_is_one_warning_event_per_episode_not_one_per_write() -> None:
    fine = of(run())
    first = of(failing(attempt=3), previous=fine.conditions)
    later = of(failing(attempt=8), previous=first.conditions, now=NOW + MINUTE)
    assert status.progress_event(fine.conditions, first.conditions) == status.Event(
        "WorkflowTaskFailing", progressing(first).message or "", warning=True
    )
    assert status.progress_event(first.conditions, later.conditions) is None
    # Still the same episode: its transition time is the first one's.
    assert progressing(later).last_transition_time == progressing(first).last_transition_time
    assert status.progress_event([], first.conditions) is not None


def test_a_new_reason_is_a_new_warning_and_moving_again_a_normal_event() -> None:
    missing = of(run(), waiting(resource=False))
    unpolled = of(run(), waiting(), previous=missing.conditions)
    moving = of(run(), previous=unpolled.conditions)
    changed = status.progress_event(missing.conditions, unpolled.conditions)
    assert changed is not None
    assert (changed.reason, changed.warning) == ("NoPollers", True)
    assert status.progress_event(unpolled.conditions, moving.conditions) == status.Event(
        "Progressing", "The run makes progress again", warning=False
    )
    assert status.progress_event(moving.conditions, of(run(), previous=moving.conditions).conditions) is None


def test_closing_while_stuck_posts_no_progress_event() -> None:
    stuck = of(failing(attempt=4))
    closed = of(run(status=WorkflowExecutionStatus.TERMINATED, close_time=NOW), previous=stuck.conditions)
    assert status.progress_event(stuck.conditions, closed.conditions) is None


def test_a_recheck_writes_only_when_the_queue_says_something_the_status_does_not() -> None:
    shown_fine = of(run()).conditions
    shown_unpolled = of(run(), waiting()).conditions
    assert status.recheck_changes(shown_fine, "orders", waiting(), NOW, MINUTE)
    assert not status.recheck_changes(shown_unpolled, "orders", waiting(), NOW, MINUTE)
    # The TaskQueue went missing, or someone polls again though the task is not yet taken.
    assert status.recheck_changes(shown_unpolled, "orders", waiting(resource=False), NOW, MINUTE)
    assert status.recheck_changes(shown_unpolled, "orders", waiting(pollers=1), NOW, MINUTE)
    # What the run itself says (a failing task) is rewritten when the run changes, not here.
    shown_failing = of(failing(attempt=5)).conditions
    assert not status.recheck_changes(shown_failing, "orders", waiting(pollers=1), NOW, MINUTE)
    assert not status.recheck_changes(shown_fine, "orders", waiting(timedelta(seconds=10)), NOW, MINUTE)
