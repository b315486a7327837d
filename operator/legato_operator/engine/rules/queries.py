"""Queries: whether the server refuses one, the query task a worker gets, its token and answer.

A query never changes a run. The server only decides whether to refuse it (Temporal's
reject conditions, on the run's status), hands it to a worker of the run's task queue
with its workflow-task poll, and carries the worker's answer back to the asker.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from legato.api.common.v1 import Failure, Payload, WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.store import rows

_TOKEN_PREFIX = "q:"
_CLEAN_STATUSES = frozenset({WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED})


def rejects(condition: api.QueryRejectCondition, status: WorkflowExecutionStatus) -> bool:
    """Whether ``condition`` refuses a query to a run in ``status`` (Temporal's rule)."""
    if condition is api.QueryRejectCondition.NOT_OPEN:
        return status is not WorkflowExecutionStatus.RUNNING
    if condition is api.QueryRejectCondition.NOT_COMPLETED_CLEANLY:
        return status not in _CLEAN_STATUSES
    return False


def query_key(query_id: str) -> str:
    """Key woken when a worker answers the query."""
    return "query " + query_id


def new_request(namespace: str, ex: rows.Execution, request: api.QueryWorkflowRequest) -> rows.QueryRequest:
    """The row that waits for a worker of the run's queue."""
    return rows.QueryRequest(
        id=str(uuid.uuid4()),
        namespace=namespace,
        task_queue=ex.task_queue,
        workflow_id=ex.workflow_id,
        run_id=ex.run_id,
        workflow_type=ex.workflow_type,
        query_type=request.query_type,
        args=[p.model_dump(mode="json") for p in request.args],
        header={k: p.model_dump(mode="json") for k, p in request.header.items()},
    )


def to_task(query: rows.QueryRequest) -> api.WorkflowTask:
    """The query as a workflow task with no history: the worker answers from the run's state."""
    return api.WorkflowTask(
        task_token=encode_token(query.id),
        workflow_id=query.workflow_id,
        run_id=query.run_id,
        workflow_type=query.workflow_type,
        attempt=1,
        first_event_id=query.first_event_id,
        history=[],
        query=api.WorkflowQuery(
            query_type=query.query_type,
            args=[Payload.model_validate(p) for p in query.args],
            header={k: Payload.model_validate(p) for k, p in query.header.items()},
        ),
    )


def encode_token(query_id: str) -> str:
    """A query task's token: its request's id."""
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + query_id).encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The query id a token names; InvalidArgument for anything that is not a query token."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith(_TOKEN_PREFIX):
            query_id = text[len(_TOKEN_PREFIX) :]
            if str(uuid.UUID(query_id)) == query_id:
                return query_id
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    raise errors.InvalidArgument("task_token", "task_token is not a query task token")


def stored_answer(request: api.RespondQueryTaskRequest) -> dict[str, Any]:
    """A worker's answer as stored; exactly one of result and failure (a None result is null)."""
    if request.failure is not None and request.result is not None:
        raise errors.InvalidArgument("failure", "a query answer has a result or a failure, not both")
    if request.failure is not None:
        return {"failure": request.failure.model_dump(mode="json")}
    return {"result": None if request.result is None else request.result.model_dump(mode="json")}


def response(stored: dict[str, Any]) -> api.QueryWorkflowResponse:
    """What the asker gets from a stored answer."""
    if stored.get("failure") is not None:
        return api.QueryWorkflowResponse(failure=Failure.model_validate(stored["failure"]))
    result = stored.get("result")
    return api.QueryWorkflowResponse(result=None if result is None else Payload.model_validate(result))
