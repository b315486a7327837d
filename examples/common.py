"""What the examples share: run one workflow with an in-process worker, print its history."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from legato.client import Client, WorkflowHandle
from legato.converter import DataConverter
from legato.exceptions import WorkflowFailureError
from legato.worker import Worker


def shown(payload: Any) -> str:
    """A payload as a person reads it: its value when it is plain JSON (or None), else
    its encoding and size (a codec's output is not for printing)."""
    if payload is None:
        return "None"
    encoding = payload.metadata.get("encoding", b"").decode("utf-8", "replace")
    if encoding in ("json/plain", "binary/null"):
        return repr(DataConverter.default.payload_converter.from_payload(payload))
    return json.dumps({"encoding": encoding, "size": len(payload.data)})


def describe_event(event: Any) -> str:
    """One line for one history event: its id, type and the attributes that matter."""
    a = event.attributes
    detail = ""
    if event.attributes.type == "ActivityTaskScheduled":
        detail = f"{a.activity_type}"
    elif event.attributes.type == "ActivityTaskStarted":
        detail = f"attempt {a.attempt}"
        if a.last_failure is not None:
            detail += f" (previous attempt failed: {a.last_failure.message})"
    elif event.attributes.type == "ActivityTaskCompleted":
        detail = f"-> {shown(a.result)}"
    elif event.attributes.type in ("ActivityTaskFailed", "WorkflowExecutionFailed"):
        detail = f"{a.failure.message}"
    elif event.attributes.type == "TimerStarted":
        detail = f"{a.start_to_fire_timeout:g}s"
    elif event.attributes.type == "WorkflowExecutionStarted":
        detail = f"{a.workflow_type} on {a.task_queue} with [{', '.join(shown(p) for p in a.input)}]"
    elif event.attributes.type == "WorkflowExecutionCompleted":
        detail = f"-> {shown(a.result)}"
    elif event.attributes.type == "WorkflowExecutionSignaled":
        detail = f"{a.signal_name} [{', '.join(shown(p) for p in a.input)}]"
    elif event.attributes.type == "WorkflowExecutionContinuedAsNew":
        detail = f"next run with [{', '.join(shown(p) for p in a.input)}]"
    return f"  {event.event_id:>3}  {event.attributes.type:<32} {detail}".rstrip()


def failure_chain(error: BaseException) -> str:
    """An error and its causes on one line: "Activity failed <- no carrier delivers to ..."."""
    messages = []
    cause: BaseException | None = error
    while cause is not None:
        messages.append(str(cause))
        cause = cause.__cause__
    return " <- ".join(messages)


async def print_outcome(handle: WorkflowHandle[Any, Any], result: Any) -> None:
    """Print the result (or the failure), then the history, skipping the workflow-task
    bookkeeping events."""
    if isinstance(result, WorkflowFailureError):
        print(f"\nWorkflow {handle.id} failed: {failure_chain(result.cause)}\n")
    else:
        print(f"\nWorkflow {handle.id} completed with result: {result!r}\n")
    history = await handle.fetch_history()
    print(f"History ({len(history.events)} events; workflow-task events hidden):")
    for event in history.events:
        if not event.attributes.type.startswith("WorkflowTask"):
            print(describe_event(event))


async def connect() -> Client:
    """A client of the server at LEGATO_ADDRESS (`legato-operator dev` sets it), else localhost:7233."""
    return await Client.connect(os.environ.get("LEGATO_ADDRESS", "localhost:7233"))


async def run_example(
    workflow_run: Any,
    arg: Any,
    *,
    workflow_id: str,
    task_queue: str,
    workflows: Sequence[type],
    activities: Sequence[Callable[..., Any]],
    queries: tuple[str, ...] = (),
    while_running: Callable[[WorkflowHandle[Any, Any]], Awaitable[None]] | None = None,
    may_fail: bool = False,
    **start_options: Any,
) -> Any:
    """Start a worker in this process, run one workflow to its end and print the outcome,
    then the answers of ``queries`` (asked of the closed run, which a worker replays).

    ``while_running`` is awaited after the start (to signal the run, say); a run that
    fails is printed and returned when ``may_fail``, else raised. ``start_options`` go to
    ``start_workflow`` (``start_signal=...``). The history and queries are those of the
    latest run, when the workflow continued as new.
    """
    client = await connect()
    async with Worker(client, task_queue=task_queue, workflows=workflows, activities=activities):
        handle = await client.start_workflow(workflow_run, arg, id=workflow_id, task_queue=task_queue, **start_options)
        print(f"Started {handle.id} on task queue {task_queue!r}")
        if while_running is not None:
            await while_running(handle)
        result = await outcome(handle, may_fail=may_fail)
        latest = client.get_workflow_handle(handle.id)
        answers = {name: await latest.query(name) for name in queries}
    await print_outcome(latest, result)
    for name, answer in answers.items():
        print(f"\nQuery {name!r} -> {answer!r}")
    return result


async def outcome(handle: WorkflowHandle[Any, Any], *, may_fail: bool) -> Any:
    """The run's result, or its failure when ``may_fail`` (an example showing a failure)."""
    try:
        return await handle.result()
    except WorkflowFailureError as e:
        if not may_fail:
            raise
        return e
