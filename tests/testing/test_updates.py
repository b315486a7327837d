"""Updates through ``legato.testing``: a time-skipping environment and the interceptor hooks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from legato import client, worker, workflow
from legato.client import Client, WorkflowUpdateStage
from legato.testing import WorkflowEnvironment
from legato.worker import Worker

pytestmark = pytest.mark.e2e

CALLS: list[str] = []


@workflow.defn
class Approval:
    """Waits for an approval update; the handler waits a day before it answers."""

    def __init__(self) -> None:
        self.approved_by: str | None = None

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.approved_by is not None and workflow.all_handlers_finished())
        return f"approved by {self.approved_by}"

    @workflow.update
    async def approve(self, who: str) -> str:
        await workflow.sleep(timedelta(days=1))
        self.approved_by = who
        return f"ok {who}"

    @approve.validator
    def check(self, who: str) -> None:
        if who != who.lower():
            raise ValueError("lower case only")


async def test_an_update_handler_waiting_a_day_finishes_while_the_result_skips_time(
    skipping_env: WorkflowEnvironment,
) -> None:
    queue = str(uuid.uuid4())
    async with Worker(skipping_env.client, task_queue=queue, workflows=[Approval]):
        handle = await skipping_env.client.start_workflow(Approval.run, id=str(uuid.uuid4()), task_queue=queue)
        update = await handle.start_update(Approval.approve, "ana", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        # As in temporalio, the workflow's result() unlocks skipping; an update's result() does not.
        assert await handle.result() == "approved by ana"
        assert await update.result(rpc_timeout=timedelta(seconds=5)) == "ok ana"


class _ClientCalls(client.OutboundInterceptor):
    async def start_workflow_update(self, input: client.StartWorkflowUpdateInput) -> client.WorkflowUpdateHandle[Any]:
        CALLS.append(f"client.start_workflow_update {input.update} {input.wait_for_stage.name}")
        return await super().start_workflow_update(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    def handle_update_validator(self, input: worker.HandleUpdateInput) -> None:
        CALLS.append(f"workflow.handle_update_validator {input.update} {input.args[0]}")
        super().handle_update_validator(input)

    async def handle_update_handler(self, input: worker.HandleUpdateInput) -> Any:
        CALLS.append(f"workflow.handle_update_handler {input.update} {input.args[0]}")
        return await super().handle_update_handler(input)


class Recording(client.Interceptor, worker.Interceptor):
    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientCalls(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor] | None:
        return _WorkflowInbound


async def test_the_update_hooks_of_the_client_and_workflow_chains_are_called(
    skipping_env: WorkflowEnvironment,
) -> None:
    CALLS.clear()
    queue = str(uuid.uuid4())
    config = skipping_env.client.config()
    config["interceptors"] = [*config["interceptors"], Recording()]
    recorded = Client(**config)
    async with Worker(recorded, task_queue=queue, workflows=[Approval]):
        handle = await recorded.start_workflow(Approval.run, id=str(uuid.uuid4()), task_queue=queue)
        update = await handle.start_update(Approval.approve, "bo", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        await handle.result()
        assert await update.result() == "ok bo"
    assert CALLS[0] == "client.start_workflow_update approve ACCEPTED"
    assert "workflow.handle_update_validator approve bo" in CALLS
    assert "workflow.handle_update_handler approve bo" in CALLS
