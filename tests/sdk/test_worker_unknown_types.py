"""A worker given a workflow or activity type it does not have says so once per type, at
WARNING, naming the type, its queue and what it has — not once per retry of the task."""

from __future__ import annotations

import logging

import pytest

from legato._worker.activities import ActivityWorker
from legato.api.workflowservice import v1 as api
from tests.sdk.histories import HistoryBuilder
from tests.sdk.test_replay import OrderWorkflow
from tests.sdk.test_worker_tasks import NOWHERE, activity_task, greet, task_for, workflow_worker


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("legato")]


async def test_an_unknown_workflow_type_is_warned_about_once_however_often_its_task_comes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = workflow_worker(OrderWorkflow)
    h = HistoryBuilder("Refund")
    h.workflow_task()
    with caplog.at_level(logging.WARNING, logger="legato"):
        for _ in range(3):
            answer = await worker.handle(task_for(h, 1, workflow_type="Refund"))
            assert isinstance(answer, api.FailWorkflowTaskRequest)
        await worker.handle(task_for(h, 1, workflow_type="Payout"))
    refund, payout = warnings_of(caplog)
    assert "workflow task of type 'Refund'" in refund
    assert "task queue 'q'" in refund
    assert "(registered: Order)" in refund
    assert "'Payout'" in payout


async def test_an_unknown_activity_type_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    worker = ActivityWorker(NOWHERE, activities=[greet], executor=None)
    with caplog.at_level(logging.WARNING, logger="legato"):
        for attempt in (1, 2, 3):
            answer = await worker.handle(activity_task("ship", "parcel", attempt=attempt))
            assert isinstance(answer, api.FailActivityTaskRequest)
            assert answer.failure.type == "NotFoundError"
    (warning,) = warnings_of(caplog)
    assert "activity task of type 'ship'" in warning
    assert "task queue 'q'" in warning
    assert "(registered: greet)" in warning
