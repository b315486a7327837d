"""Workflows for the child-cancellation and external-cancel tests."""

from __future__ import annotations

import asyncio

from legato import workflow
from legato.exceptions import ApplicationError, ChildWorkflowError


@workflow.defn
class Waiter:
    """Waits until cancelled; then gives up (``give-up``) or finishes after a second anyway."""

    @workflow.run
    async def run(self, mode: str) -> str:
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            if mode == "give-up":
                raise
            await asyncio.sleep(1)
        return "finished anyway"


@workflow.defn
class CancellingParent:
    """Starts a Waiter child, cancels its handle, and returns what awaiting it gave; stays
    open a second after (``hold``) so that a request it sent is delivered (Temporal drops
    one whose sender closed in the same task)."""

    @workflow.run
    async def run(self, cancellation_type: str, mode: str, hold: bool) -> str:
        handle = await workflow.start_child_workflow(
            Waiter.run,
            mode,
            id=f"{workflow.info().workflow_id}-child",
            cancellation_type=workflow.ChildWorkflowCancellationType[cancellation_type],
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
        handle.cancel()
        try:
            result: str = await handle
        except ChildWorkflowError as e:
            if hold:
                await asyncio.sleep(1)
            retry_state = e.retry_state.name if e.retry_state else None
            return f"{type(e).__name__}: {e} / {type(e.cause).__name__}: {e.cause} / {retry_state}"
        return f"result: {result}"


@workflow.defn
class AwaitingParent:
    """Waits on a child that gives up when cancelled; cancelled itself, it cancels the child."""

    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_child_workflow(
            Waiter.run, "give-up", id=f"{workflow.info().workflow_id}-child"
        )
        return result


@workflow.defn
class Canceller:
    """Asks the run ``target`` to cancel by workflow id; returns what happened."""

    @workflow.run
    async def run(self, target: str) -> str:
        try:
            await workflow.get_external_workflow_handle(target).cancel(reason="enough")
        except ApplicationError as e:
            return f"{e.type}: {e.message}"
        return "asked"


@workflow.defn
class Kid:
    @workflow.run
    async def run(self) -> str:
        return "kid"


@workflow.defn
class EarlyCanceller:
    """Cancels a child's start in the task that made it, then starts the same id again."""

    @workflow.run
    async def run(self) -> list[str]:
        child_id = f"{workflow.info().workflow_id}-kid"
        start = asyncio.create_task(workflow.start_child_workflow(Kid.run, id=child_id))
        await asyncio.sleep(0)
        start.cancel("why")
        try:
            await start
        except ChildWorkflowError as e:
            outcome = f"{e} / {e.cause!r}"
        return [outcome, await workflow.execute_child_workflow(Kid.run, id=child_id)]
