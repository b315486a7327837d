"""Client and worker interceptors are called as temporalio calls them, against a real server.

One recording interceptor is both a client and a worker interceptor (as Temporal's
tracing interceptors are), so the worker picks it up from the client; it records each
call it sees, in every chain.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from legato import activity, client, worker, workflow
from legato.client import Client
from legato.envconfig import ClientConfigProfile
from tests.support.server_process import ServerProcess, running_worker

CALLS: list[str] = []


@activity.defn
async def shout(text: str) -> str:
    activity.heartbeat("halfway")
    return f"{text.upper()} from {activity.info().activity_type}"


@workflow.defn
class Greeter:
    def __init__(self) -> None:
        self.name: str | None = None

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self.name is not None)
        assert self.name is not None
        return await workflow.execute_activity(shout, self.name, start_to_close_timeout=timedelta(seconds=10))

    @workflow.signal
    def named(self, name: str) -> None:
        self.name = name


class _ClientCalls(client.OutboundInterceptor):
    async def start_workflow(self, input: client.StartWorkflowInput) -> client.WorkflowHandle[Any, Any]:
        CALLS.append(f"client.start_workflow {input.workflow}")
        return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        CALLS.append(f"client.signal_workflow {input.signal}")
        # An interceptor may change what goes on: the workflow sees the changed argument.
        input.args = [f"{input.args[0]}!"]
        await super().signal_workflow(input)

    async def describe_workflow(self, input: client.DescribeWorkflowInput) -> client.WorkflowExecutionDescription:
        CALLS.append("client.describe_workflow")
        return await super().describe_workflow(input)

    def fetch_workflow_history_events(
        self, input: client.FetchWorkflowHistoryEventsInput
    ) -> client.WorkflowHistoryEventAsyncIterator:
        CALLS.append("client.fetch_workflow_history_events")
        return super().fetch_workflow_history_events(input)

    async def terminate_workflow(self, input: client.TerminateWorkflowInput) -> None:
        CALLS.append(f"client.terminate_workflow {input.reason}")
        await super().terminate_workflow(input)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def start_activity(self, input: worker.StartActivityInput) -> workflow.ActivityHandle[Any]:
        CALLS.append(f"workflow.start_activity {input.activity}")
        return super().start_activity(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        CALLS.append(f"workflow.execute_workflow {input.type.__name__}")
        return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        CALLS.append(f"workflow.handle_signal {input.signal} {input.args[0]}")
        await super().handle_signal(input)


class _ActivityOutbound(worker.ActivityOutboundInterceptor):
    def heartbeat(self, *details: Any) -> None:
        CALLS.append(f"activity.heartbeat {details[0]}")
        super().heartbeat(*details)


class _ActivityInbound(worker.ActivityInboundInterceptor):
    def init(self, outbound: worker.ActivityOutboundInterceptor) -> None:
        super().init(_ActivityOutbound(outbound))

    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        CALLS.append(f"activity.execute_activity {activity.info().activity_type}")
        return await super().execute_activity(input)


class Recording(client.Interceptor, worker.Interceptor):
    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientCalls(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor] | None:
        return _WorkflowInbound

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)


async def test_every_chain_sees_its_calls_and_can_change_them(server: ServerProcess) -> None:
    CALLS.clear()
    async with await Client.connect(server.address, interceptors=[Recording()]) as recorded:
        async with running_worker(recorded, task_queue="greet", workflows=[Greeter], activities=[shout]):
            handle = await recorded.start_workflow(Greeter.run, id="greet-1", task_queue="greet")
            await handle.signal(Greeter.named, "ada")
            assert await handle.result() == "ADA! from shout"
        await handle.describe()
        await handle.fetch_history()
    assert set(CALLS) >= {
        "client.start_workflow Greeter",
        "client.signal_workflow named",
        "client.describe_workflow",
        "client.fetch_workflow_history_events",
        "workflow.execute_workflow Greeter",
        "workflow.handle_signal named ada!",
        "workflow.start_activity shout",
        "activity.execute_activity shout",
        "activity.heartbeat halfway",
    }


async def test_client_interceptors_run_first_outermost(server: ServerProcess) -> None:
    order: list[str] = []

    class Named(client.Interceptor):
        def __init__(self, name: str) -> None:
            self.name = name

        def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
            name = self.name

            class Link(client.OutboundInterceptor):
                async def terminate_workflow(self, input: client.TerminateWorkflowInput) -> None:
                    order.append(name)
                    await super().terminate_workflow(input)

            return Link(next)

    async with await Client.connect(server.address, interceptors=[Named("outer"), Named("inner")]) as c:
        handle = await c.start_workflow("Nobody", id="order-1", task_queue="nobody-polls")
        await handle.terminate(reason="done")
    assert order == ["outer", "inner"]


async def test_a_client_connects_from_an_environment_profile(server: ServerProcess) -> None:
    env = {"TEMPORAL_ADDRESS": server.address, "TEMPORAL_NAMESPACE": "default"}
    profile = ClientConfigProfile.load(disable_file=True, override_env_vars=env)
    async with await Client.connect(**profile.to_client_connect_config()) as c:
        handle = await c.start_workflow("Nobody", id="env-1", task_queue="nobody-polls")
        description = await handle.describe()
    assert (description.id, description.status) == ("env-1", client.WorkflowExecutionStatus.RUNNING)
