"""Starting a run: idempotency on the workflow id, and what the first transaction holds."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from legato.api.common.v1 import WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import start
from tests.server.factories import NOW, started_run, types
from tests.support.payloads import payloads


def request(**kw: Any) -> api.StartWorkflowRequest:
    return api.StartWorkflowRequest(workflow_id="wf-1", workflow_type="Orders", task_queue="orders", **kw)


def test_a_new_id_starts_a_run() -> None:
    assert start.decide(request(), None) is None


def test_a_running_id_refuses_a_second_start_naming_the_run() -> None:
    running = started_run()
    with pytest.raises(errors.AlreadyStarted) as caught:
        start.decide(request(), running)
    assert (caught.value.workflow_id, caught.value.run_id) == ("wf-1", running.run_id)


def test_use_existing_answers_with_the_running_run() -> None:
    running = started_run()
    decision = start.decide(request(id_conflict_policy=api.IdConflictPolicy.USE_EXISTING), running)
    assert decision == start.Existing(running.run_id)


def test_a_repeated_request_id_returns_the_run_it_started_even_when_closed() -> None:
    closed = dataclasses.replace(started_run(request_id="r-1"), status=WorkflowExecutionStatus.COMPLETED)
    assert start.decide(request(request_id="r-1"), closed) == start.Existing(closed.run_id)


@pytest.mark.parametrize(
    ("policy", "status", "allowed"),
    [
        (api.IdReusePolicy.ALLOW_DUPLICATE, WorkflowExecutionStatus.COMPLETED, True),
        (api.IdReusePolicy.REJECT_DUPLICATE, WorkflowExecutionStatus.FAILED, False),
        (api.IdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY, WorkflowExecutionStatus.FAILED, True),
        (api.IdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY, WorkflowExecutionStatus.COMPLETED, False),
    ],
)
def test_id_reuse_policy_decides_whether_a_closed_id_starts_again(
    policy: api.IdReusePolicy, status: WorkflowExecutionStatus, allowed: bool
) -> None:
    closed = dataclasses.replace(started_run(), status=status)
    if allowed:
        assert start.decide(request(id_reuse_policy=policy), closed) is None
    else:
        with pytest.raises(errors.AlreadyStarted):
            start.decide(request(id_reuse_policy=policy), closed)


def test_the_start_batch_holds_started_scheduled_the_task_and_the_timeout() -> None:
    b = start.new_run("default", request(args=payloads(1), execution_timeout=60), NOW)
    assert types(b) == ["WorkflowExecutionStarted", "WorkflowTaskScheduled"]
    assert [e.event_id for e in b.events] == [1, 2]
    assert [(t.kind, t.scheduled_event_id, t.state) for t in b.new_tasks] == [("workflow", 2, "ready")]
    assert [t.kind for t in b.new_timers] == ["workflow_execution_timeout"]
    assert b.execution.next_event_id == 3
    assert b.execution.wft_scheduled_id == 2
