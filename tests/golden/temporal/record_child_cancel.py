"""Records child_cancel.cli.json and child_cancel_target.cli.json: cancel requests from a workflow.

Run with Temporal's SDK against a dev server (``temporal server start-dev --headless``):
``python tests/golden/temporal/record_child_cancel.py``, then export both runs with
``temporal workflow show -w cparent-1 --output json`` (and ``-w ctarget-1``) and blank the
identities. The parent starts ``cchild-1`` and cancels its handle (WAIT_CANCELLATION_COMPLETED,
so it waits for the child's cancellation), asks a workflow that does not exist to cancel
(``ApplicationError(type="ExternalWorkflowExecutionNotFound")``), then asks ``ctarget-1``,
started by the client beforehand, to cancel.
"""

from __future__ import annotations

import asyncio
import sys

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@workflow.defn
class Waiter:
    @workflow.run  # type: ignore[untyped-decorator]  # temporalio is not installed where mypy runs
    async def run(self) -> str:
        await workflow.wait_condition(lambda: False)
        return "never"


@workflow.defn
class CancelParent:
    @workflow.run  # type: ignore[untyped-decorator]  # as above
    async def run(self) -> str:
        child = await workflow.start_child_workflow(Waiter.run, id="cchild-1")
        child.cancel()
        try:
            await child
        except Exception as e:
            outcomes = [f"{type(e).__name__}: {e} cause={e.__cause__!r}"]
        try:
            await workflow.get_external_workflow_handle("missing-wf").cancel()
        except Exception as e:
            outcomes.append(f"{type(e).__name__}: {e}")
        await workflow.get_external_workflow_handle("ctarget-1").cancel(reason="enough")
        return " | ".join(outcomes)


async def main(address: str) -> None:
    client = await Client.connect(address)
    runner = UnsandboxedWorkflowRunner()
    async with Worker(client, task_queue="q", workflows=[CancelParent, Waiter], workflow_runner=runner):
        target = await client.start_workflow(Waiter.run, id="ctarget-1", task_queue="q")
        print(await client.execute_workflow(CancelParent.run, id="cparent-1", task_queue="q"))
        try:
            await target.result()
        except Exception as e:
            print("target:", type(e).__name__, e.__cause__)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7233"))
