"""Parsing requests at the edge, by their operation's declaration: path fields from the
path, the rest from the query (GET) or the JSON body (POST), into the operation's request
model. A bad input raises ``InvalidArgument`` naming the field, before anything is stored;
the route then checks the payload limits (``PayloadTooLarge``, or its own fallback)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from legato.api import operations as ops
from legato.api.command.v1 import MAX_NAME_LENGTH
from legato_operator import errors


def field_path(loc: tuple[int | str, ...]) -> str:
    """pydantic's error location as a dotted path: ``commands.0.start_to_close_timeout``.

    The union tag pydantic inserts for a discriminated union (``ScheduleActivityTask``)
    is left out: it names the model, not a field the caller wrote.
    """
    parts = [str(p) for p in loc if not (isinstance(p, str) and p[:1].isupper())]
    return ".".join(parts)


def validation_error(error: ValidationError) -> errors.InvalidArgument:
    """The first problem pydantic found, as an InvalidArgument naming its field."""
    first = error.errors()[0]
    path = field_path(tuple(first["loc"]))
    return errors.InvalidArgument(path or None, f"{path or 'body'}: {first['msg']}")


async def parse(request: web.Request, op: ops.Operation[ops.Req, Any]) -> ops.Req:
    """The request of ``op`` that ``request`` carries, validated (its payloads' sizes are the
    route's to check)."""
    path = {name: request.match_info[name] for name in op.path_fields}
    try:
        if op.in_query:
            parsed = op.request.model_validate({**request.query, **path})
        elif not path:
            # Parsed and validated in one pass; an empty body is ``{}`` (every field defaulted).
            parsed = op.request.model_validate_json(await request.read() or b"{}")
        else:
            parsed = op.request.model_validate({**await _json_object(request, path), **path})
    except ValidationError as e:
        raise validation_error(e) from None
    return parsed


async def _json_object(request: web.Request, path: dict[str, str]) -> dict[str, Any]:
    raw = await request.read()
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise errors.InvalidArgument(None, f"body: Invalid JSON: {e}") from None
    if not isinstance(body, dict):
        raise errors.InvalidArgument(None, "body: Input should be a JSON object")
    # The path says which object the call is about; the body may not say otherwise.
    for name in path.keys() & body.keys():
        raise errors.InvalidArgument(name, f"{name}: given in the path; leave it out of the body")
    return body


def namespace(request: web.Request) -> str:
    """The namespace the call acts in, from its path."""
    value = request.match_info[ops.NAMESPACE]
    if not value or len(value) > MAX_NAME_LENGTH or "\x00" in value:
        raise errors.InvalidArgument(
            ops.NAMESPACE, f"namespace must be 1 to {MAX_NAME_LENGTH} characters, without U+0000"
        )
    return value


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    """A model as a JSON response."""
    return web.Response(text=model.model_dump_json(), status=status, content_type="application/json")
