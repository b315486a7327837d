"""The workflow outbound chain's child and external hooks, as temporalio's: an interceptor
sees every ``start_child_workflow``, ``ChildWorkflowHandle.signal`` and
``ExternalWorkflowHandle.signal``, and the headers it sets reach the child's inbound chain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from legato import worker, workflow
from legato.api.common.v1 import Payload
from legato.converter import DataConverter
from legato.testing import WorkflowEnvironment
from legato.worker import Worker

pytestmark = pytest.mark.e2e

KEY = "trace"
_pc = DataConverter.default.payload_converter
# What the outbound hooks saw, by hook: their input's main fields.
SEEN: list[str] = []


def _tag(headers: Any, value: str) -> dict[str, Payload]:
    return {**headers, KEY: _pc.to_payload(value)}


def _read(headers: Any) -> str | None:
    return _pc.from_payload(headers[KEY], str) if KEY in headers else None


class Tracing(worker.Interceptor):
    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor] | None:
        return _Inbound


class _Inbound(worker.WorkflowInboundInterceptor):
    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        SEEN.append(f"execute {_read(input.headers)}")
        return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        SEEN.append(f"handle {input.signal} {_read(input.headers)}")
        await super().handle_signal(input)


class _Outbound(worker.WorkflowOutboundInterceptor):
    async def start_child_workflow(
        self, input: worker.StartChildWorkflowInput
    ) -> workflow.ChildWorkflowHandle[Any, Any]:
        SEEN.append(f"start_child {input.workflow} {input.id} {input.parent_close_policy.name}")
        input.headers = _tag(input.headers, "from-start")
        return await super().start_child_workflow(input)

    async def signal_child_workflow(self, input: worker.SignalChildWorkflowInput) -> None:
        SEEN.append(f"signal_child {input.signal} {input.child_workflow_id} {list(input.args)}")
        input.headers = _tag(input.headers, "from-child-signal")
        await super().signal_child_workflow(input)

    async def signal_external_workflow(self, input: worker.SignalExternalWorkflowInput) -> None:
        SEEN.append(f"signal_external {input.signal} {input.namespace} {input.workflow_run_id}")
        input.headers = _tag(input.headers, "from-external-signal")
        await super().signal_external_workflow(input)


@workflow.defn
class Kid:
    def __init__(self) -> None:
        self.pokes: list[str] = []

    @workflow.signal
    def poke(self, value: str) -> None:
        self.pokes.append(value)

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: len(self.pokes) == 2)
        return self.pokes


@workflow.defn
class TracedParent:
    @workflow.run
    async def run(self) -> list[str]:
        kid_id = f"{workflow.info().workflow_id}-kid"
        handle = await workflow.start_child_workflow(Kid.run, id=kid_id)
        await handle.signal(Kid.poke, "one")
        await workflow.get_external_workflow_handle(kid_id).signal(Kid.poke, "two")
        result: list[str] = await handle
        return result


async def test_child_starts_and_signals_go_through_the_outbound_chain_with_their_headers(
    local_env: WorkflowEnvironment,
) -> None:
    SEEN.clear()
    task_queue, parent_id = str(uuid.uuid4()), str(uuid.uuid4())
    async with Worker(local_env.client, task_queue=task_queue, workflows=[Kid, TracedParent], interceptors=[Tracing()]):
        result = await local_env.client.execute_workflow(TracedParent.run, id=parent_id, task_queue=task_queue)
    assert result == ["one", "two"]
    # Parent and child run side by side, and replays repeat the parent's calls: what
    # each saw, each distinct call once, in its own order.
    seen = list(dict.fromkeys(SEEN))
    parent = [s for s in seen if s.startswith(("start_child", "signal_"))]
    child = [s for s in seen if s.startswith(("execute from", "handle"))]
    assert parent == [
        f"start_child Kid {parent_id}-kid TERMINATE",
        f"signal_child poke {parent_id}-kid ['one']",
        "signal_external poke default None",
    ]
    assert child == ["execute from-start", "handle poke from-child-signal", "handle poke from-external-signal"]
