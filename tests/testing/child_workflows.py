"""Workflows that start children, for the child-workflow tests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from legato import workflow
from legato.common import RetryPolicy
from legato.exceptions import ApplicationError, ChildWorkflowError, WorkflowAlreadyStartedError


@workflow.defn
class Child:
    @workflow.run
    async def run(self, name: str) -> str:
        if name == "fail":
            raise ApplicationError("child says no", type="ChildRefused", non_retryable=True)
        if name == "wait":
            await workflow.wait_condition(lambda: False)
        parent = workflow.info().parent
        return f"hello {name} from {parent.workflow_id if parent else None}"


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, name: str) -> str:
        result: str = await workflow.execute_child_workflow(Child.run, name, id=f"{workflow.info().workflow_id}-child")
        return result


@workflow.defn
class ParentCatching:
    """Returns what its child's failure looked like, as text."""

    @workflow.run
    async def run(self, name: str) -> str:
        try:
            await workflow.execute_child_workflow("Child", name, id=f"{workflow.info().workflow_id}-child")
        except ChildWorkflowError as e:
            cause = e.cause
            assert isinstance(cause, ApplicationError)
            return f"{type(e).__name__}: {e} / {type(cause).__name__}: {cause.message} ({cause.type})"
        return "no error"


@workflow.defn
class ParentOfTaken:
    """Starts a child with an id that is already running."""

    @workflow.run
    async def run(self, taken_id: str) -> str:
        try:
            await workflow.start_child_workflow(Child.run, "wait", id=taken_id)
        except WorkflowAlreadyStartedError as e:
            return f"{type(e).__name__}: {e.workflow_id}"
        return "started"


@workflow.defn
class ParentLeaving:
    """Starts a waiting child with the given close policy and closes at once."""

    @workflow.run
    async def run(self, policy: str) -> str:
        handle = await workflow.start_child_workflow(
            Child.run,
            "wait",
            id=f"{workflow.info().workflow_id}-child",
            parent_close_policy=workflow.ParentClosePolicy[policy],
            execution_timeout=timedelta(minutes=5),
        )
        await asyncio.sleep(0)
        return handle.first_execution_run_id or ""


@workflow.defn
class Receiver:
    """Waits for one ``poke`` signal and returns its argument."""

    def __init__(self) -> None:
        self.got: str | None = None

    @workflow.signal
    def poke(self, value: str) -> None:
        self.got = value

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.got is not None)
        return self.got or ""


@workflow.defn
class Sender:
    """Signals the run ``target`` by workflow id; returns what happened."""

    @workflow.run
    async def run(self, target: str) -> str:
        try:
            await workflow.get_external_workflow_handle(target).signal(Receiver.poke, "from a workflow")
        except ApplicationError as e:
            return f"{e.type}: {e.message}"
        return "signaled"


@workflow.defn
class ParentSignalling:
    """Signals its own child through the child's handle."""

    @workflow.run
    async def run(self) -> str:
        handle = await workflow.start_child_workflow(Receiver.run, id=f"{workflow.info().workflow_id}-child")
        await handle.signal(Receiver.poke, "from the parent")
        result: str = await handle
        return result


@workflow.defn
class Chained:
    """Continues as new once, then fails its first attempt of the new run."""

    @workflow.run
    async def run(self, step: int) -> str:
        if step == 0:
            workflow.continue_as_new(1)
        if workflow.info().attempt == 1:
            raise ApplicationError("first attempt fails")
        return f"done step={step} attempt={workflow.info().attempt}"


@workflow.defn
class ChainParent:
    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_child_workflow(
            Chained.run,
            0,
            id=f"{workflow.info().workflow_id}-child",
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
        )
        return result
