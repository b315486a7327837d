"""The OpenAPI 3.1 document, generated from ``legato.api.operations`` and the wire models.

Path parameters are the fields an operation's path template names; a GET operation's
other request fields are its query parameters, a POST operation's are its JSON body (the
request model's schema less the path fields).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from legato.api import operations as ops
from legato.api.workflowservice import v1 as api

_REF = "#/components/schemas/{model}"
_STATUS_ERRORS = {
    "400": "Invalid input; `field` names it",
    "404": "No such workflow or run",
    "409": "Already started, or a conflicting change",
    "410": "The task token no longer holds its task",
    "413": "A payload is over the size limit",
    "401": "No bearer token, or one the server does not accept",
    "403": "The caller may not act in this namespace",
    "503": "The database is unreachable, or the token could not be checked, right now; retry after `Retry-After`",
}


def document(version: str) -> dict[str, Any]:
    """The whole OpenAPI document."""
    models = _models()
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    definitions: dict[str, Any] = schemas.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in ops.OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, definitions)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Legato API", "version": version},
        "paths": paths,
        "components": {
            "schemas": definitions,
            # Not enforced with --auth none (dev mode); see docs/operations.md.
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [api.ErrorBody]
    for op in ops.OPERATIONS:
        for model in (op.request, op.response):
            if model not in found:
                found.append(model)
    return found


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": _REF.format(model=name)}


def _operation(op: ops.Operation[Any, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    request_schema = definitions[op.request.__name__]
    operation: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "parameters": _parameters(op, request_schema),
        "responses": _responses(op),
    }
    if not op.in_query:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": _body_schema(op, request_schema, definitions)}},
        }
    return operation


def _body_schema(op: ops.Operation[Any, Any], request_schema: dict[str, Any], definitions: dict[str, Any]) -> Any:
    if not op.path_fields:
        return _ref(op.request.__name__)
    # The request model less its path fields, under a name of its own.
    body = copy.deepcopy(request_schema)
    for name in op.path_fields:
        body["properties"].pop(name, None)
    body["required"] = [r for r in body.get("required", []) if r not in op.path_fields]
    body["title"] = name = f"{op.request.__name__}Body"
    definitions[name] = body
    return _ref(name)


def _parameters(op: ops.Operation[Any, Any], request_schema: dict[str, Any]) -> list[dict[str, Any]]:
    properties: dict[str, Any] = request_schema.get("properties", {})
    required = set(request_schema.get("required", []))
    parameters: list[dict[str, Any]] = []
    if op.scoped:
        parameters.append({"name": ops.NAMESPACE, "in": "path", "required": True, "schema": {"type": "string"}})
    parameters += [_parameter(name, "path", True, properties[name]) for name in op.path_fields]
    if op.in_query:
        parameters += [_parameter(name, "query", name in required, properties[name]) for name in op.carried_fields]
    return parameters


def _parameter(name: str, where: str, required: bool, schema: dict[str, Any]) -> dict[str, Any]:
    parameter: dict[str, Any] = {"name": name, "in": where, "required": required, "schema": schema}
    if "description" in schema:
        parameter["description"] = schema["description"]
    return parameter


def _responses(op: ops.Operation[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": _ref(op.response.__name__)}}}
    }
    if op.may_be_empty:
        responses["204"] = {"description": "Nothing came within the wait; poll again"}
    error = {"content": {"application/json": {"schema": _ref(api.ErrorBody.__name__)}}}
    responses.update({code: {"description": text, **error} for code, text in _STATUS_ERRORS.items()})
    return responses
