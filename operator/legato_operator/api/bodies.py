"""Parsing requests at the edge: bodies against the wire models, query parameters, and
the payload size limit. A bad input raises ``InvalidArgument`` or ``PayloadTooLarge``
naming the field, before anything is stored."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from legato.api.command import MAX_NAME_LENGTH
from legato_operator import errors

M = TypeVar("M", bound=BaseModel)

DEFAULT_MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
# Fields of the wire models that carry user payloads (arguments, results, failures).
PAYLOAD_FIELDS = frozenset({"args", "input", "result", "failure", "details", "reason"})


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


async def parse(request: web.Request, model: type[M], max_payload_bytes: int) -> M:
    """The body as ``model``; an empty body is ``{}`` (every field defaulted)."""
    raw = await request.read()
    try:
        parsed = model.model_validate_json(raw or b"{}")
    except ValidationError as e:
        raise validation_error(e) from None
    check_payloads(parsed, max_payload_bytes)
    return parsed


def check_payloads(model: BaseModel, limit: int, prefix: str = "") -> None:
    """Refuse any payload field (recursively, through lists of models) larger than ``limit``."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for i, item in enumerate(value):
                check_payloads(item, limit, f"{path}.{i}.")
        elif name in PAYLOAD_FIELDS and value is not None:
            size = _size(value)
            if size > limit:
                raise errors.PayloadTooLarge(path, size, limit)


def _size(value: Any) -> int:
    if isinstance(value, BaseModel):
        return len(value.model_dump_json().encode())
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def path_name(request: web.Request, name: str) -> str:
    """A path parameter that names something (namespace, workflow id, task queue)."""
    value = request.match_info[name]
    if not value or len(value) > MAX_NAME_LENGTH:
        raise errors.InvalidArgument(name, f"{name} must be 1 to {MAX_NAME_LENGTH} characters")
    return value


def query_str(request: web.Request, name: str) -> str | None:
    """An optional query parameter, None when absent or empty."""
    return request.query.get(name) or None


def query_number(request: web.Request, name: str, default: float, *, low: float, high: float) -> float:
    """A numeric query parameter within [low, high]."""
    text = request.query.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise errors.InvalidArgument(name, f"{name} must be a number, not {text!r}") from None
    if not low <= value <= high:
        raise errors.InvalidArgument(name, f"{name} must be between {low:g} and {high:g}")
    return value


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    """A model as a JSON response."""
    return web.Response(text=model.model_dump_json(), status=status, content_type="application/json")
