"""Records children.cli.json and children_child.cli.json: a parent, its child, and signals.

Run with Temporal's SDK against a dev server (``temporal server start-dev --headless``):
``python tests/golden/temporal/record_children.py``, then export both runs with
``temporal workflow show -w parent-1 --output json`` (and ``-w child-1``) and blank the
identities. The parent starts a child, signals it through the child's handle, signals a
workflow that does not exist (which temporalio raises as
``ApplicationError(type="ExternalWorkflowExecutionNotFound")``) and returns the child's result.
"""

from __future__ import annotations

import asyncio
import sys

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@workflow.defn
class Child:
    def __init__(self) -> None:
        self.got: str | None = None

    @workflow.run  # type: ignore[untyped-decorator]  # temporalio is not installed where mypy runs
    async def run(self, name: str) -> str:
        await workflow.wait_condition(lambda: self.got is not None)
        return f"hello {name} {self.got}"

    @workflow.signal  # type: ignore[untyped-decorator]  # as above
    def poke(self, value: str) -> None:
        self.got = value


@workflow.defn
class Parent:
    @workflow.run  # type: ignore[untyped-decorator]  # as above
    async def run(self) -> str:
        child = await workflow.start_child_workflow(Child.run, "kid", id="child-1")
        await child.signal(Child.poke, "a")
        try:
            await workflow.get_external_workflow_handle("missing-wf").signal("poke", "x")
        except Exception as e:
            error = f"{type(e).__name__}: {e} cause={e.__cause__!r}"
        else:
            error = "none"
        return str(await child) + " | " + error


async def main(address: str) -> None:
    client = await Client.connect(address)
    runner = UnsandboxedWorkflowRunner()
    async with Worker(client, task_queue="q", workflows=[Parent, Child], workflow_runner=runner):
        print(await client.execute_workflow(Parent.run, id="parent-1", task_queue="q"))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7233"))
