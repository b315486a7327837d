"""The rules of queries, without a database: reject conditions, query tokens, answers."""

from __future__ import annotations

import pytest

from legato.api.common.v1 import Failure, WorkflowExecutionStatus
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import queries, tokens
from tests.support.payloads import payload

Status = WorkflowExecutionStatus
Condition = api.QueryRejectCondition


@pytest.mark.parametrize(
    ("condition", "status", "rejected"),
    [
        (Condition.NONE, Status.FAILED, False),
        (Condition.NOT_OPEN, Status.RUNNING, False),
        (Condition.NOT_OPEN, Status.COMPLETED, True),
        (Condition.NOT_OPEN, Status.TERMINATED, True),
        (Condition.NOT_COMPLETED_CLEANLY, Status.RUNNING, False),
        (Condition.NOT_COMPLETED_CLEANLY, Status.COMPLETED, False),
        (Condition.NOT_COMPLETED_CLEANLY, Status.FAILED, True),
        (Condition.NOT_COMPLETED_CLEANLY, Status.CANCELED, True),
        (Condition.NOT_COMPLETED_CLEANLY, Status.TIMED_OUT, True),
    ],
)
def test_reject_conditions_are_temporals(condition: Condition, status: Status, rejected: bool) -> None:
    assert queries.rejects(condition, status) is rejected


def test_a_query_token_names_its_query() -> None:
    query_id = "5b0c8f0e-5f0e-4d0a-9a53-0b1a7d9f2c11"
    assert queries.decode_token(queries.encode_token(query_id)) == query_id


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64 at all!",
        queries.encode_token("not-a-uuid"),
        tokens.encode(tokens.WorkflowTaskToken("5b0c8f0e-5f0e-4d0a-9a53-0b1a7d9f2c11", 2, 3, 1)),
    ],
)
def test_anything_but_a_query_token_is_refused_naming_the_field(token: str) -> None:
    with pytest.raises(errors.InvalidArgument) as refused:
        queries.decode_token(token)
    assert refused.value.field == "task_token"


def test_an_answer_is_a_result_or_a_failure_and_reaches_the_asker_as_given() -> None:
    result = api.RespondQueryTaskRequest(task_token="t", result=payload(7))
    assert queries.response(queries.stored_answer(result)) == api.QueryWorkflowResponse(result=payload(7))
    failed = api.RespondQueryTaskRequest(task_token="t", failure=Failure(message="kaput"))
    assert queries.response(queries.stored_answer(failed)).failure == Failure(message="kaput")
    assert queries.response(queries.stored_answer(api.RespondQueryTaskRequest(task_token="t"))).result is None


def test_an_answer_with_both_a_result_and_a_failure_is_refused() -> None:
    both = api.RespondQueryTaskRequest(task_token="t", result=payload(1), failure=Failure(message="x"))
    with pytest.raises(errors.InvalidArgument) as refused:
        queries.stored_answer(both)
    assert refused.value.field == "failure"
