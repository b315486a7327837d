"""The rules of updates, without a database: stages, tokens, acceptance, completion."""

from __future__ import annotations

import dataclasses

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import commands, updates, workflow_tasks
from legato_operator.store import rows
from tests.server.factories import NOW, idle, started_run, types
from tests.support.payloads import payload

Stage = api.UpdateStage


def _update(ex: rows.Execution, update_id: str = "u-1") -> rows.UpdateRequest:
    request = api.UpdateWorkflowRequest(workflow_id=ex.workflow_id, update_id=update_id, name="add", args=[payload(1)])
    return updates.new_request("default", ex, request)


def test_an_update_token_names_its_run_and_update() -> None:
    token = updates.encode_token("5b0c8f0e-5f0e-4d0a-9a53-0b1a7d9f2c11", "my/update id")
    assert updates.decode_token(token) == ("5b0c8f0e-5f0e-4d0a-9a53-0b1a7d9f2c11", "my/update id")


@pytest.mark.parametrize("token", ["", "not-a-token", "cTo1YjBjOGYwZQ"])
def test_anything_else_is_not_an_update_token(token: str) -> None:
    with pytest.raises(errors.InvalidArgument):
        updates.decode_token(token)


@pytest.mark.parametrize(
    ("state", "wanted", "reached"),
    [
        ("admitted", Stage.ACCEPTED, False),
        ("accepted", Stage.ACCEPTED, True),
        ("accepted", Stage.COMPLETED, False),
        ("completed", Stage.ACCEPTED, True),
        ("completed", Stage.COMPLETED, True),
    ],
)
def test_a_stage_is_reached_by_every_later_one(state: str, wanted: Stage, reached: bool) -> None:
    update = dataclasses.replace(_update(started_run()), state=state)
    assert updates.reached(update, wanted) is reached


def test_an_update_to_a_closed_run_is_not_found_as_temporal_says() -> None:
    closed = dataclasses.replace(started_run(), status=WorkflowExecutionStatus.COMPLETED)
    with pytest.raises(errors.NotFound, match="workflow execution already completed"):
        updates.require_running(closed)


def test_acceptance_on_an_idle_run_appends_the_event_and_schedules_a_workflow_task() -> None:
    ex = idle(started_run())
    b = updates.accepted(ex, _update(ex), NOW)
    assert types(b) == ["WorkflowExecutionUpdateAccepted", "WorkflowTaskScheduled"]
    accepted = b.events[0].attributes
    assert isinstance(accepted, wire.WorkflowExecutionUpdateAccepted)
    assert accepted.protocol_instance_id == "u-1"
    assert accepted.accepted_request.input.name == "add"
    assert accepted.accepted_request.input.args == [payload(1)]
    assert len(b.new_tasks) == 1


def test_acceptance_behind_a_workflow_task_in_flight_is_buffered() -> None:
    ex = started_run()
    b = updates.accepted(ex, _update(ex), NOW)
    assert b.events == []
    assert [a.type for a in b.buffered] == ["WorkflowExecutionUpdateAccepted"]
    assert b.new_tasks == []


def test_a_handlers_completion_appends_its_outcome_and_is_read_back_by_update_id() -> None:
    ex = started_run()
    done = cmd.CompleteWorkflowUpdate(update_id="u-1", success=[payload(2)])
    failed = cmd.CompleteWorkflowUpdate(update_id="u-2", failure=Failure(message="no"))
    b = workflow_tasks.complete(commands.Context(execution=ex), [done, failed], "worker-1", NOW)
    assert types(b) == ["WorkflowTaskCompleted", "WorkflowExecutionUpdateCompleted", "WorkflowExecutionUpdateCompleted"]
    outcomes = updates.completions(b.events)
    assert outcomes["u-1"] == {"success": [payload(2).model_dump(mode="json")]}
    assert outcomes["u-2"]["failure"]["message"] == "no"


def test_a_rejection_is_a_completed_failure_and_the_response_carries_it() -> None:
    update = dataclasses.replace(
        _update(started_run()), state="completed", outcome=updates.rejection_outcome(Failure(message="bad"))
    )
    response = updates.response(update)
    assert response.stage is Stage.COMPLETED
    assert response.outcome is not None
    assert response.outcome.failure is not None
    assert response.outcome.failure.message == "bad"
