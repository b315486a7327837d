"""Update-with-start, as temporalio's: one call starts the workflow (or uses the running
one, by the operation's conflict policy) and sends it an update, atomically."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from legato import client, workflow
from legato.api.workflowservice import v1 as api
from legato.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from legato.common import WorkflowIDConflictPolicy
from legato.exceptions import ApplicationError, RPCError, RPCStatusCode, WorkflowAlreadyStartedError
from legato.testing import WorkflowEnvironment
from legato.worker import Worker

pytestmark = pytest.mark.e2e

USE_EXISTING = WorkflowIDConflictPolicy.USE_EXISTING


@workflow.defn
class Cart:
    """Collects items by update until ``checkout``; each update answers the cart's size."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.run
    async def run(self, owner: str) -> str:
        await workflow.wait_condition(lambda: self.done)
        return f"{owner}: {', '.join(self.items)}"

    @workflow.update
    def add(self, item: str) -> int:
        self.items.append(item)
        return len(self.items)

    @add.validator
    def check(self, item: str) -> None:
        if not item:
            raise ApplicationError("empty item")

    @workflow.signal
    def checkout(self) -> None:
        self.done = True


def _operation(cart_id: str, task_queue: str, policy: WorkflowIDConflictPolicy = USE_EXISTING) -> Any:
    return WithStartWorkflowOperation(Cart.run, "ann", id=cart_id, task_queue=task_queue, id_conflict_policy=policy)


async def test_update_with_start_starts_the_workflow_and_returns_the_updates_result(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, cart_id = str(uuid.uuid4()), str(uuid.uuid4())
    c = local_env.client
    async with Worker(c, task_queue=task_queue, workflows=[Cart]):
        operation = _operation(cart_id, task_queue)
        assert await c.execute_update_with_start_workflow(Cart.add, "tea", start_workflow_operation=operation) == 1
        handle = await operation.workflow_handle()
        # The second call finds the run going: USE_EXISTING sends it the update.
        again = _operation(cart_id, task_queue)
        assert await c.execute_update_with_start_workflow(Cart.add, "jam", start_workflow_operation=again) == 2
        assert (await again.workflow_handle()).result_run_id == handle.result_run_id
        await handle.signal(Cart.checkout)
        assert await handle.result() == "ann: tea, jam"
    types = [e.attributes.type for e in (await handle.fetch_history()).events]
    assert types[0] == "WorkflowExecutionStarted"
    assert types.count("WorkflowExecutionUpdateAccepted") == types.count("WorkflowExecutionUpdateCompleted") == 2


async def test_start_update_with_start_returns_the_accepted_updates_handle(local_env: WorkflowEnvironment) -> None:
    task_queue, cart_id = str(uuid.uuid4()), str(uuid.uuid4())
    c = local_env.client
    async with Worker(c, task_queue=task_queue, workflows=[Cart]):
        operation = _operation(cart_id, task_queue)
        update = await c.start_update_with_start_workflow(
            Cart.add, "tea", start_workflow_operation=operation, wait_for_stage=WorkflowUpdateStage.ACCEPTED, id="u-1"
        )
        assert update.id == "u-1"
        assert await update.result() == 1
        handle = await operation.workflow_handle()
        await handle.signal(Cart.checkout)
        assert await handle.result() == "ann: tea"


async def test_a_rejected_update_raises_and_the_started_workflow_keeps_running(local_env: WorkflowEnvironment) -> None:
    task_queue, cart_id = str(uuid.uuid4()), str(uuid.uuid4())
    c = local_env.client
    async with Worker(c, task_queue=task_queue, workflows=[Cart]):
        operation = _operation(cart_id, task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await c.execute_update_with_start_workflow(Cart.add, "", start_workflow_operation=operation)
        assert isinstance(failed.value.cause, ApplicationError)
        handle = await operation.workflow_handle()
        await handle.signal(Cart.checkout)
        assert await handle.result() == "ann: "
    types = [e.attributes.type for e in (await handle.fetch_history()).events]
    assert "WorkflowExecutionUpdateAccepted" not in types


async def test_fail_policy_on_a_running_id_raises_already_started_and_sends_no_update(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue, cart_id = str(uuid.uuid4()), str(uuid.uuid4())
    c = local_env.client
    async with Worker(c, task_queue=task_queue, workflows=[Cart]):
        running = await c.start_workflow(Cart.run, "bob", id=cart_id, task_queue=task_queue)
        operation = _operation(cart_id, task_queue, WorkflowIDConflictPolicy.FAIL)
        with pytest.raises(WorkflowAlreadyStartedError):
            await c.execute_update_with_start_workflow(Cart.add, "tea", start_workflow_operation=operation)
        with pytest.raises(WorkflowAlreadyStartedError):
            await operation.workflow_handle()
        await running.signal(Cart.checkout)
        assert await running.result() == "bob: "


async def test_misused_operations_are_refused_as_temporalio_refuses_them(local_env: WorkflowEnvironment) -> None:
    c: Client = local_env.client
    with pytest.raises(ValueError, match="WorkflowIDConflictPolicy is required"):
        WithStartWorkflowOperation(
            Cart.run, "ann", id="x", task_queue="q", id_conflict_policy=WorkflowIDConflictPolicy.UNSPECIFIED
        )
    with pytest.raises(ValueError, match="ADMITTED"):
        await c.start_update_with_start_workflow(
            Cart.add, "tea", start_workflow_operation=_operation("x", "q"), wait_for_stage=WorkflowUpdateStage.ADMITTED
        )
    task_queue = str(uuid.uuid4())
    used = _operation(str(uuid.uuid4()), task_queue)
    async with Worker(c, task_queue=task_queue, workflows=[Cart]):
        assert await c.execute_update_with_start_workflow(Cart.add, "tea", start_workflow_operation=used) == 1
        with pytest.raises(RuntimeError, match="cannot be reused"):
            await c.execute_update_with_start_workflow(Cart.add, "jam", start_workflow_operation=used)
        await (await used.workflow_handle()).terminate()


CALLS: list[str] = []


class _Tracing(client.Interceptor):
    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _Outbound(next)


class _Outbound(client.OutboundInterceptor):
    async def start_update_with_start_workflow(
        self, input: client.StartWorkflowUpdateWithStartInput
    ) -> client.WorkflowUpdateHandle[Any]:
        CALLS.append(f"{input.start_workflow_input.workflow} {input.update_workflow_input.update}")
        return await super().start_update_with_start_workflow(input)


async def test_update_with_start_goes_through_the_client_interceptors(local_env: WorkflowEnvironment) -> None:
    CALLS.clear()
    task_queue, cart_id = str(uuid.uuid4()), str(uuid.uuid4())
    traced = Client(local_env.client.service_client, namespace=local_env.client.namespace, interceptors=[_Tracing()])
    async with Worker(local_env.client, task_queue=task_queue, workflows=[Cart]):
        operation = _operation(cart_id, task_queue)
        assert await traced.execute_update_with_start_workflow(Cart.add, "tea", start_workflow_operation=operation) == 1
        await (await operation.workflow_handle()).terminate()
    assert CALLS == ["Cart add"]


async def test_the_server_refuses_update_with_start_without_a_conflict_policy_and_starts_nothing(
    local_env: WorkflowEnvironment,
) -> None:
    cart_id = str(uuid.uuid4())
    request = api.UpdateWithStartWorkflowRequest(
        workflow_id=cart_id,
        workflow_type="Cart",
        task_queue="carts",
        update=api.UpdateWorkflowRequest(workflow_id=cart_id, update_id="u", name="add"),
    )
    with pytest.raises(RPCError) as refused:
        await local_env.client.service_client.update_with_start_workflow(request)
    assert refused.value.status == RPCStatusCode.INVALID_ARGUMENT
    assert "id_conflict_policy" in str(refused.value)
    with pytest.raises(RPCError) as missing:
        await local_env.client.get_workflow_handle(cart_id).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_a_run_that_closes_before_its_update_still_answers_the_start(local_env: WorkflowEnvironment) -> None:
    cart_id = str(uuid.uuid4())
    request = api.UpdateWithStartWorkflowRequest(
        workflow_id=cart_id,
        workflow_type="Cart",
        task_queue=str(uuid.uuid4()),
        id_conflict_policy=api.IdConflictPolicy.USE_EXISTING,
        # No worker polls, and the run times out at once: the update never gets anywhere.
        run_timeout=0.001,
        update=api.UpdateWorkflowRequest(workflow_id=cart_id, update_id="u", name="add", wait=5.0),
    )
    response = await local_env.client.service_client.update_with_start_workflow(request)
    assert (response.started, response.update.stage) == (True, api.UpdateStage.ADMITTED)
    handle = local_env.client.get_workflow_handle(cart_id, run_id=response.run_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.TIMED_OUT
    with pytest.raises(RPCError) as closed:
        await handle.get_update_handle("u").result()
    assert closed.value.status == RPCStatusCode.NOT_FOUND
