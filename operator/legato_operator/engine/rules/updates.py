"""Workflow updates: admission, the validation task a worker gets, acceptance, completion.

Temporal validates an update in a *speculative* workflow task that leaves no trace when
the validator rejects. Legato's equivalent is the query's path: an admitted update waits
as a row until a poll finds its run with no workflow task outstanding, and the worker
validates it from the run's state (cached, or replayed up to its last completed task),
read-only. A rejection is stored on the row alone, so history does not change; an
acceptance appends ``WorkflowExecutionUpdateAccepted`` as an event from outside (buffered
behind a task in flight, else with a new workflow task), and that task runs the handler.
Its ``CompleteWorkflowUpdate`` command appends ``WorkflowExecutionUpdateCompleted``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, Payload, WorkflowExecutionStatus
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import batch
from legato_operator.store import rows

_TOKEN_PREFIX = "u:"
ADMITTED, ACCEPTED, COMPLETED = "admitted", "accepted", "completed"
_STAGES = {ADMITTED: api.UpdateStage.ADMITTED, ACCEPTED: api.UpdateStage.ACCEPTED, COMPLETED: api.UpdateStage.COMPLETED}
_ORDER = [api.UpdateStage.ADMITTED, api.UpdateStage.ACCEPTED, api.UpdateStage.COMPLETED]
# Temporal's message for an update to a closed run (NotFound).
CLOSED_MESSAGE = "workflow execution already completed"


def update_key(run_id: str, update_id: str) -> str:
    """Key woken when the update moves on (accepted, rejected, completed)."""
    return "update " + json.dumps([run_id, update_id], separators=(",", ":"))


def require_running(ex: rows.Execution) -> None:
    """NotFound with Temporal's message when the run has closed."""
    if ex.status is not WorkflowExecutionStatus.RUNNING:
        raise errors.NotFound(CLOSED_MESSAGE, workflow_id=ex.workflow_id, run_id=ex.run_id)


def new_request(namespace: str, ex: rows.Execution, request: api.UpdateWorkflowRequest) -> rows.UpdateRequest:
    """The row that waits for a worker of the run's queue to validate it."""
    return rows.UpdateRequest(
        run_id=ex.run_id,
        update_id=request.update_id,
        namespace=namespace,
        task_queue=ex.task_queue,
        workflow_id=ex.workflow_id,
        workflow_type=ex.workflow_type,
        name=request.name,
        args=[p.model_dump(mode="json") for p in request.args],
        header={k: p.model_dump(mode="json") for k, p in request.header.items()},
        identity=request.identity,
    )


def reached(update: rows.UpdateRequest, wanted: api.UpdateStage) -> bool:
    """Whether the update got at least as far as ``wanted``."""
    return _ORDER.index(_STAGES[update.state]) >= _ORDER.index(wanted)


def response(update: rows.UpdateRequest) -> api.UpdateWorkflowResponse:
    """What the caller gets: the stage, and the outcome once completed."""
    outcome = None if update.outcome is None else wire.UpdateOutcome.model_validate(update.outcome)
    return api.UpdateWorkflowResponse(
        update_id=update.update_id, run_id=update.run_id, stage=_STAGES[update.state], outcome=outcome
    )


def to_task(update: rows.UpdateRequest) -> api.WorkflowTask:
    """The update as a workflow task with no history: the worker validates from the run's state."""
    return api.WorkflowTask(
        task_token=encode_token(update.run_id, update.update_id),
        workflow_id=update.workflow_id,
        run_id=update.run_id,
        workflow_type=update.workflow_type,
        attempt=1,
        first_event_id=update.first_event_id,
        history=[],
        update=api.WorkflowUpdate(
            update_id=update.update_id,
            name=update.name,
            args=[Payload.model_validate(p) for p in update.args],
            header={k: Payload.model_validate(p) for k, p in update.header.items()},
            identity=update.identity,
        ),
    )


def encode_token(run_id: str, update_id: str) -> str:
    """A validation task's token: the run and the update id."""
    text = _TOKEN_PREFIX + json.dumps([run_id, update_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, str]:
    """The (run id, update id) a token names; InvalidArgument for anything else."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith(_TOKEN_PREFIX):
            run_id, update_id = json.loads(text[len(_TOKEN_PREFIX) :])
            if isinstance(run_id, str) and isinstance(update_id, str):
                return run_id, update_id
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        pass
    raise errors.InvalidArgument("task_token", "task_token is not an update task token")


def accepted(ex: rows.Execution, update: rows.UpdateRequest, now: datetime) -> batch.Batch:
    """WorkflowExecutionUpdateAccepted, for the workflow's next task (which runs the handler)."""
    b = batch.Batch(execution=ex, now=now)
    request = wire.UpdateRequest(
        meta=wire.UpdateMeta(update_id=update.update_id, identity=update.identity),
        input=wire.UpdateInput(
            name=update.name,
            args=[Payload.model_validate(p) for p in update.args],
            header={k: Payload.model_validate(p) for k, p in update.header.items()},
        ),
    )
    b.deliver(
        wire.WorkflowExecutionUpdateAccepted(
            protocol_instance_id=update.update_id,
            accepted_request_message_id=update.update_id + "/request",
            accepted_request=request,
        )
    )
    return b


def rejection_outcome(failure: Failure) -> dict[str, Any]:
    """A rejection as stored: a failed outcome that history never saw."""
    return {"failure": failure.model_dump(mode="json")}


def completed_event(c: cmd.CompleteWorkflowUpdate) -> wire.WorkflowExecutionUpdateCompleted:
    """The event a handler's completion appends."""
    return wire.WorkflowExecutionUpdateCompleted(
        meta=wire.UpdateMeta(update_id=c.update_id), outcome=wire.UpdateOutcome(success=c.success, failure=c.failure)
    )


def completions(events: list[wire.HistoryEvent]) -> dict[str, dict[str, Any]]:
    """The outcomes a batch's appended events record, by update id."""
    done = {}
    for e in events:
        if isinstance(e.attributes, wire.WorkflowExecutionUpdateCompleted):
            done[e.attributes.meta.update_id] = e.attributes.outcome.model_dump(mode="json", exclude_none=True)
    return done
