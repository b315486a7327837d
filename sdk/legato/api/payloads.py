"""Every payload in a wire model, found by walking the model rather than by a list of fields.

A field carries payloads when its value is a ``Payload``, a list of them or a mapping to
them; models inside models (a failure's cause, a history event's attributes, a page's
events, a completion's commands) are walked too. So a field added to the wire is found
by the payload codec on the client and the worker, and by the server's size limits,
without anyone listing it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container, Iterator, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from legato.api.common.v1 import Payload

__all__ = ["PayloadsChange", "iter_payloads", "transform_payloads"]

M = TypeVar("M", bound=BaseModel)
# What a codec does to the payloads of one field: the same number back, changed.
PayloadsChange = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]


def iter_payloads(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, Payload]]:
    """Each payload in ``model`` with its path (``args.0``, ``commands.2.attributes.result``)."""
    for name in type(model).model_fields:
        yield from _iter_value(getattr(model, name), f"{prefix}{name}")


def _iter_value(value: Any, path: str) -> Iterator[tuple[str, Payload]]:
    if isinstance(value, Payload):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_payloads(value, f"{path}.")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _iter_value(item, f"{path}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _iter_value(item, f"{path}.{key}")


async def transform_payloads(model: M, change: PayloadsChange, *, skip: Container[str] = ()) -> M:
    """A copy of ``model`` whose payloads went through ``change``, one call per field (a
    single payload goes as a list of one), as Temporal's codecs see them; fields named in
    ``skip`` are left as they are, at any depth."""
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in skip:
            continue
        new = await _transform_value(value, change, skip)
        if new is not value:
            updates[name] = new
    return model.model_copy(update=updates) if updates else model


async def _transform_value(value: Any, change: PayloadsChange, skip: Container[str]) -> Any:
    if isinstance(value, Payload):
        return (await _checked(change, [value]))[0]
    if isinstance(value, BaseModel):
        return await transform_payloads(value, change, skip=skip)
    if isinstance(value, list) and value:
        if all(isinstance(v, Payload) for v in value):
            return await _checked(change, value)
        items = [await _transform_value(v, change, skip) for v in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict) and value and all(isinstance(v, Payload) for v in value.values()):
        changed = await _checked(change, list(value.values()))
        return dict(zip(value, changed, strict=True))
    return value


async def _checked(change: PayloadsChange, payloads: Sequence[Payload]) -> list[Payload]:
    changed = list(await change(payloads))
    if len(changed) != len(payloads) or not all(isinstance(p, Payload) for p in changed):
        raise ValueError(
            f"A payload codec must return one Payload for each it is given: got {len(changed)} for {len(payloads)}"
        )
    return changed
