"""What the examples share: run one workflow with an in-process worker, print its history."""

from __future__ import annotations

import json
import os
from typing import Any

from legato.client import Client, WorkflowHandle
from legato.converter import DataConverter
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
    return f"  {event.event_id:>3}  {event.attributes.type:<32} {detail}".rstrip()


async def print_outcome(handle: WorkflowHandle[Any, Any], result: Any) -> None:
    """Print the result, then the history, skipping the workflow-task bookkeeping events."""
    print(f"\nWorkflow {handle.id} completed with result: {result!r}\n")
    history = await handle.fetch_history()
    print(f"History ({len(history.events)} events; workflow-task events hidden):")
    for event in history.events:
        if not event.attributes.type.startswith("WorkflowTask"):
            print(describe_event(event))


async def run_example(
    workflow_run: Any,
    arg: Any,
    *,
    workflow_id: str,
    task_queue: str,
    workflows: list[type],
    activities: list[Any],
    queries: tuple[str, ...] = (),
) -> Any:
    """Start a worker in this process, run one workflow to its end and print the outcome,
    then the answers of ``queries`` (asked of the closed run, which a worker replays).

    The server address comes from LEGATO_ADDRESS (`legato-operator dev` sets it), else
    localhost:7233.
    """
    client = await Client.connect(os.environ.get("LEGATO_ADDRESS", "localhost:7233"))
    async with Worker(client, task_queue=task_queue, workflows=workflows, activities=activities):
        handle = await client.start_workflow(workflow_run, arg, id=workflow_id, task_queue=task_queue)
        print(f"Started {handle.id} on task queue {task_queue!r}")
        result = await handle.result()
        answers = {name: await handle.query(name) for name in queries}
    await print_outcome(handle, result)
    for name, answer in answers.items():
        print(f"\nQuery {name!r} -> {answer!r}")
    return result
