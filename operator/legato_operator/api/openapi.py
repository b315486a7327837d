"""The OpenAPI 3.1 document, generated from the route table and the wire models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from legato.api import service as api
from legato_operator.api import routes

_REF = "#/components/schemas/{model}"
_STATUS_ERRORS = {
    "400": "Invalid input; `field` names it",
    "404": "No such workflow or run",
    "409": "Already started, or a conflicting change",
    "410": "The task token no longer holds its task",
    "413": "A payload is over the size limit",
    "401": "No bearer token, or one the server does not accept",
    "403": "The caller may not act in this namespace",
    "503": "The token could not be checked right now; retry",
}


def document(version: str) -> dict[str, Any]:
    """The whole OpenAPI document."""
    models = _models()
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes.ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Legato API", "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            # Not enforced with --auth none (dev mode); see docs/operations.md.
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [api.ErrorBody]
    for route in routes.ROUTES:
        for model in (route.body, route.response):
            if model is not None and model not in found:
                found.append(model)
    return found


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _operation(route: routes.Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.handler.__name__,
        "summary": route.summary,
        "parameters": _parameters(route),
        "responses": _responses(route),
    }
    if route.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": _ref(route.body)}},
        }
    return operation


def _parameters(route: routes.Route) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", route.path)
    ]
    parameters += [
        {
            "name": q.name,
            "in": "query",
            "required": False,
            "description": q.description,
            "schema": {"type": q.type},
        }
        for q in route.query
    ]
    return parameters


def _responses(route: routes.Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if route.response is not None:
        responses["200"] = {
            "description": "OK",
            "content": {"application/json": {"schema": _ref(route.response)}},
        }
    if route.may_be_empty:
        responses["204"] = {"description": "Nothing came within the wait; poll again"}
    error = {"content": {"application/json": {"schema": _ref(api.ErrorBody)}}}
    responses.update({code: {"description": text, **error} for code, text in _STATUS_ERRORS.items()})
    return responses
