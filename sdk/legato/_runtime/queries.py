"""Queries on a run: read-only handlers answered from the run's current state.

A query runs its handler through the run's inbound interceptor chain with the instance
read-only: anything that would make a command (an activity, a timer, a task, a wait)
raises ``ReadOnlyContextError``, as in temporalio, so a query never changes history. The
handler must answer at once: it is driven one step, never left waiting on the loop, so no
other workflow code runs while it does. Handlers come from ``@workflow.query`` methods and
from ``workflow.set_query_handler`` (which wins); the dynamic one takes every other name.
"""

from __future__ import annotations

import asyncio
import inspect
import traceback
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from legato.api.common.v1 import Payload
from legato.common import RawValue
from legato.exceptions import LegatoError

from .definitions import param_types
from .interceptor import HandleQueryInput

if TYPE_CHECKING:
    from .instance import WorkflowInstance

STACK_TRACE = "__stack_trace"
ENHANCED_STACK_TRACE = "__enhanced_stack_trace"
METADATA = "__temporal_workflow_metadata"
# The built-in queries, as temporalio answers them (the last two in protobuf JSON's shape).
_BUILT_IN: dict[str, Callable[[WorkflowInstance], Any]] = {}


class ReadOnlyContextError(LegatoError):
    """Workflow code tried to change the run (a command, a task, a wait) from a query."""

    def __init__(self, message: str) -> None:
        """Initialize with the action that was refused."""
        super().__init__(message)
        self.message = message


def assert_not_read_only(instance: WorkflowInstance, action: str) -> None:
    """Refuse ``action`` while a query runs on ``instance``.

    Raises:
        ReadOnlyContextError: A query handler is running.
    """
    if instance.read_only:
        raise ReadOnlyContextError(f"While in read-only function, action attempted: {action}")


@contextmanager
def read_only(instance: WorkflowInstance) -> Iterator[None]:
    """The instance read-only for the duration."""
    previous, instance.read_only = instance.read_only, True
    try:
        yield
    finally:
        instance.read_only = previous


def handler(instance: WorkflowInstance, name: str | None) -> Callable[..., Any] | None:
    """The handler of ``name`` (None: the dynamic one), bound to the workflow object."""
    if name in instance.query_handlers:
        return instance.query_handlers[name]
    if name in _BUILT_IN:
        built_in = _BUILT_IN[name]
        return lambda: built_in(instance)
    defn = instance.definition.queries.get(name)
    if defn is None or instance.workflow_object is None:
        return None
    bound: Callable[..., Any] = defn.fn.__get__(instance.workflow_object)
    return bound


def known(instance: WorkflowInstance) -> list[str]:
    """Every query name the run answers, sorted, as temporalio lists them."""
    names = {*_BUILT_IN, *(n for n in instance.definition.queries if n), *(n for n in instance.query_handlers if n)}
    return sorted(names)


def answer(
    instance: WorkflowInstance,
    query_id: str,
    name: str,
    payloads: list[Payload],
    headers: Mapping[str, Payload] | None = None,
) -> Payload:
    """The query's answer as a payload.

    Raises:
        RuntimeError: No handler for ``name`` (the message lists the known ones, in
            temporalio's words), or the handler waited instead of answering.
        Exception: Whatever the handler raised, or a ReadOnlyContextError.
    """
    if instance.workflow_object is None:
        raise RuntimeError(f"Workflow {instance.definition.name!r} (id {instance.workflow_id!r}) has not started yet")
    fn = handler(instance, name) or handler(instance, None)
    if fn is None:
        raise RuntimeError(
            f"Query handler for '{name}' expected but not found, known queries: [{' '.join(known(instance))}]"
        )
    args = _arguments(instance, name, fn, payloads)
    result = instance.answer_query(HandleQueryInput(id=query_id, query=name, args=args, headers=dict(headers or {})))
    return instance.converter.payload_converter.to_payload(result)


def _arguments(instance: WorkflowInstance, name: str, fn: Callable[..., Any], payloads: list[Payload]) -> list[Any]:
    # The dynamic handler gets the raw values; its own name argument is added when called.
    if handler(instance, name) is None:
        return [RawValue(p) for p in payloads]
    return list(instance.converter.payload_converter.from_payloads(payloads, param_types(fn, skip_self=False)))


async def call_handler(instance: WorkflowInstance, input: HandleQueryInput) -> Any:
    """Call the query's handler with the chain's input (the inbound chain's last link)."""
    fn = handler(instance, input.query)
    outcome = fn(*input.args) if fn is not None else _dynamic(instance)(input.query, list(input.args))
    if inspect.isawaitable(outcome):
        return await outcome
    return outcome


def _dynamic(instance: WorkflowInstance) -> Callable[..., Any]:
    fn = handler(instance, None)
    if fn is None:
        raise RuntimeError(f"Query handler for workflow {instance.definition.name!r} went away during the query")
    return fn


def run_at_once(coro: Coroutine[Any, Any, Any]) -> Any:
    """Drive a query's coroutine one step: it must answer without waiting on the loop.

    Raises:
        RuntimeError: The handler waited (a query cannot wait for the workflow to move on).
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("A query handler must answer at once: it cannot wait on the workflow (queries are read-only)")


def stack_trace(instance: WorkflowInstance) -> str:
    """What each of the run's tasks is waiting on, in temporalio's ``__stack_trace`` format."""
    stacks = []
    for task in asyncio.all_tasks(instance):
        frames = [traceback.FrameSummary(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in awaiting(task)]
        stacks.append(f"Stack for {task!r} (most recent call last):\n" + "\n".join(traceback.format_list(frames)))
    return "\n\n".join(stacks)


def awaiting(task: asyncio.Task[Any]) -> list[FrameType]:
    """The task's frames, outermost first, down its chain of awaits to the one it waits in.

    ``Task.get_stack()`` (which temporalio reads) gives a suspended coroutine's outermost
    frame only: for a workflow, the SDK's wrapper of its run method, never the line of
    workflow code that waits. Each awaited coroutine's frame is followed here instead.
    """
    frames: list[FrameType] = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            break
        frames.append(frame)
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return frames


def enhanced_stack_trace(instance: WorkflowInstance) -> dict[str, Any]:
    """The stacks as temporalio's ``EnhancedStackTrace``: frames, and the source of each file."""
    stacks, sources = [], {}
    for task in asyncio.all_tasks(instance):
        locations = []
        for frame in awaiting(task):
            path = frame.f_code.co_filename
            if path not in sources:
                sources[path] = {"lineOffset": 0, "content": _source(path)}
            locations.append(
                {"filePath": path, "line": frame.f_lineno, "column": -1, "functionName": frame.f_code.co_name}
            )
        stacks.append({"locations": locations})
    return {"sdk": {"name": "sdk-python", "version": _version()}, "sources": sources, "stacks": stacks}


def _source(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"Cannot access code.\n---\n{e.strerror}"


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("legato")
    except metadata.PackageNotFoundError:
        return ""


def workflow_metadata(instance: WorkflowInstance) -> dict[str, Any]:
    """The run's definition as temporalio's ``WorkflowMetadata``: its type and handlers."""

    def described(names: dict[str | None, str | None]) -> list[dict[str, str]]:
        return sorted(({"name": n or "", "description": d or ""} for n, d in names.items()), key=lambda d: d["name"])

    query_names: dict[str | None, str | None] = dict.fromkeys(_BUILT_IN)
    query_names.update({n: d.description for n, d in instance.definition.queries.items()})
    query_names.update(dict.fromkeys(instance.query_handlers))
    definition = {
        "type": instance.info().workflow_type,
        "queryDefinitions": described(query_names),
        "signalDefinitions": described(dict.fromkeys(instance.definition.signals)),
        "updateDefinitions": [],
    }
    return {"definition": definition, "currentDetails": ""}


_BUILT_IN.update({STACK_TRACE: stack_trace, ENHANCED_STACK_TRACE: enhanced_stack_trace, METADATA: workflow_metadata})
