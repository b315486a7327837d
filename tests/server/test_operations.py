"""The service contract: the declarations, the server's routes and the OpenAPI document agree."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web

from legato.api import operations as ops
from legato.api.common.v1 import WireModel
from legato.api.workflowservice import v1 as api
from legato_operator.api import openapi, routes

DOCUMENT = openapi.document("test")


def test_every_operation_has_exactly_one_route_and_the_app_refuses_one_without() -> None:
    assert sorted(r.operation.name for r in routes.ROUTES) == sorted(op.name for op in ops.OPERATIONS)
    routes.add_to(web.Application())


def test_a_path_field_that_is_not_a_request_field_is_refused_at_declaration() -> None:
    class Nothing(WireModel):
        pass

    with pytest.raises(TypeError, match="workflow_id"):
        ops.Operation("broken", "GET", ops.PREFIX + "/x/{workflow_id}", Nothing, api.Ack, "Broken")


@pytest.mark.parametrize("op", ops.OPERATIONS, ids=lambda op: op.name)
def test_the_document_describes_each_operation_as_declared(op: ops.Operation[Any, Any]) -> None:
    described = DOCUMENT["paths"][op.path][op.method.lower()]
    assert described["operationId"] == op.name
    path_parameters = [p["name"] for p in described["parameters"] if p["in"] == "path"]
    assert path_parameters == re.findall(r"{(\w+)}", op.path)
    query = {p["name"] for p in described["parameters"] if p["in"] == "query"}
    assert query == (set(op.carried_fields) if op.in_query else set())
    assert ("204" in described["responses"]) is op.may_be_empty


def test_a_post_body_schema_leaves_out_the_path_fields() -> None:
    described = DOCUMENT["paths"][ops.SIGNAL_WORKFLOW.path]["post"]
    ref = described["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "workflow_id" not in body["properties"]
    assert "signal_name" in body["required"]


def test_query_parameters_say_whether_they_are_required_and_carry_their_limits() -> None:
    described = DOCUMENT["paths"][ops.WORKFLOW_HISTORY.path]["get"]
    by_name = {p["name"]: p for p in described["parameters"]}
    assert by_name["page_size"]["required"] is False
    assert by_name["page_size"]["schema"]["maximum"] == api.MAX_PAGE_SIZE
