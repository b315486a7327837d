"""Dynamic activities and ``workflow.dynamic_config``, as temporalio runs them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from legato import activity, workflow
from legato.api.common.v1 import Failure
from legato.client import WorkflowFailureError, WorkflowHandle
from legato.common import RawValue
from legato.exceptions import ApplicationError
from legato.testing import WorkflowEnvironment
from legato.worker import Worker

pytestmark = pytest.mark.e2e


@activity.defn
async def named(text: str) -> str:
    return f"named {text}"


@activity.defn(dynamic=True)
async def anything(args: Sequence[RawValue]) -> str:
    text = activity.payload_converter().from_payload(args[0].payload, str)
    return f"{activity.info().activity_type} got {text}"


@workflow.defn
class CallsByName:
    @workflow.run
    async def run(self, names: list[str]) -> list[str]:
        return [
            await workflow.execute_activity(name, "tea", start_to_close_timeout=timedelta(seconds=10)) for name in names
        ]


class OutOfStock(Exception):
    pass


@workflow.defn(dynamic=True)
class Configured:
    @workflow.dynamic_config
    def config(self) -> workflow.DynamicWorkflowConfig:
        # Only the type "strict" fails its run on OutOfStock; the others fail their task.
        if workflow.info().workflow_type == "strict":
            return workflow.DynamicWorkflowConfig(failure_exception_types=[OutOfStock])
        return workflow.DynamicWorkflowConfig()

    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        raise OutOfStock(f"{workflow.info().workflow_type} is out of stock")


async def test_dynamic_activity_runs_every_type_no_other_activity_has(local_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=[CallsByName], activities=[named, anything]):
        results = await local_env.client.execute_workflow(
            CallsByName.run, ["named", "lookup"], id=str(uuid.uuid4()), task_queue=task_queue
        )
    assert results == ["named tea", "lookup got tea"]


def test_dynamic_activity_cannot_have_a_name() -> None:
    with pytest.raises(RuntimeError, match="Cannot provide name and dynamic boolean"):
        activity.defn(name="x", dynamic=True)(anything)


async def test_dynamic_config_failure_types_fail_the_run_of_the_type_that_asks(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=[Configured]):
        with pytest.raises(WorkflowFailureError) as failed:
            await local_env.client.execute_workflow("strict", id=str(uuid.uuid4()), task_queue=task_queue)
        lenient = await local_env.client.start_workflow("lenient", id=str(uuid.uuid4()), task_queue=task_queue)
        failure = await _first_task_failure(lenient)
        await lenient.terminate("its task failed, as it should")
    assert "strict is out of stock" in str(failed.value.cause)
    assert failure is not None
    assert "lenient is out of stock" in failure.message


async def _first_task_failure(handle: WorkflowHandle[Any, Any]) -> Failure:
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        pending = (await handle.describe()).pending_workflow_task
        if pending is not None and pending.last_failure is not None:
            return pending.last_failure
        await asyncio.sleep(0.05)
    raise AssertionError("the lenient run's workflow task never failed")


def test_dynamic_config_on_a_named_workflow_is_refused() -> None:
    class Named:
        @workflow.dynamic_config
        def config(self) -> workflow.DynamicWorkflowConfig:
            return workflow.DynamicWorkflowConfig()

        @workflow.run
        async def run(self) -> None:
            pass

    with pytest.raises(TypeError, match="can only be used in dynamic workflows"):
        workflow.defn(Named)


@workflow.defn(failure_exception_types=[OutOfStock])
class FailsOnOutOfStock:
    @workflow.run
    async def run(self) -> str:
        raise OutOfStock("the definition names it")


@workflow.defn
class RaisesOutOfStock:
    @workflow.run
    async def run(self) -> str:
        raise OutOfStock("the worker names it")


async def test_failure_exception_types_of_the_definition_or_the_worker_fail_the_run(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    messages: list[tuple[str | None, str]] = []
    async with Worker(
        local_env.client,
        task_queue=task_queue,
        workflows=[FailsOnOutOfStock, RaisesOutOfStock],
        workflow_failure_exception_types=[OutOfStock],
    ):
        for run in (FailsOnOutOfStock.run, RaisesOutOfStock.run):
            with pytest.raises(WorkflowFailureError) as failed:
                await local_env.client.execute_workflow(run, id=str(uuid.uuid4()), task_queue=task_queue)
            cause = failed.value.cause
            assert isinstance(cause, ApplicationError)
            messages.append((cause.type, cause.message))
    assert messages == [("OutOfStock", "the definition names it"), ("OutOfStock", "the worker names it")]
