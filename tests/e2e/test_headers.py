"""Headers cross the wire as in Temporal, so context propagates: what a client interceptor
sets on a start or a signal reaches the workflow, and what the workflow's outbound
interceptor sets on an activity reaches the activity, through a real server."""

from __future__ import annotations

import contextvars
import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from legato import activity, client, worker, workflow
from legato.api.common.v1 import Payload
from legato.api.history import v1 as hist
from legato.client import Client
from legato.converter import DataConverter
from tests.e2e.test_codec import XorCodec
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e

USER = contextvars.ContextVar[str | None]("user", default=None)
KEY = "user-id"


def _to_header(headers: dict[str, Payload]) -> dict[str, Payload]:
    user = USER.get()
    if user is None:
        return headers
    return {**headers, KEY: DataConverter.default.payload_converter.to_payload(user)}


def _from_header(headers: Any) -> None:
    if KEY in headers:
        USER.set(DataConverter.default.payload_converter.from_payload(headers[KEY], str))


class ContextPropagation(client.Interceptor, worker.Interceptor):
    """The shape of Temporal's context-propagation sample: one interceptor for both sides."""

    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientOutbound(next)

    def intercept_activity(self, next: worker.ActivityInboundInterceptor) -> worker.ActivityInboundInterceptor:
        return _ActivityInbound(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor] | None:
        return _WorkflowInbound


class _ClientOutbound(client.OutboundInterceptor):
    async def start_workflow(self, input: client.StartWorkflowInput) -> client.WorkflowHandle[Any, Any]:
        input.headers = _to_header(dict(input.headers))
        return await super().start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        input.headers = _to_header(dict(input.headers))
        await super().signal_workflow(input)

    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        input.headers = _to_header(dict(input.headers))
        return await super().query_workflow(input)


class _ActivityInbound(worker.ActivityInboundInterceptor):
    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        _from_header(input.headers)
        return await super().execute_activity(input)


class _WorkflowInbound(worker.WorkflowInboundInterceptor):
    def init(self, outbound: worker.WorkflowOutboundInterceptor) -> None:
        super().init(_WorkflowOutbound(outbound))

    async def execute_workflow(self, input: worker.ExecuteWorkflowInput) -> Any:
        _from_header(input.headers)
        return await super().execute_workflow(input)

    async def handle_signal(self, input: worker.HandleSignalInput) -> None:
        _from_header(input.headers)
        await super().handle_signal(input)

    async def handle_query(self, input: worker.HandleQueryInput) -> Any:
        _from_header(input.headers)
        return await super().handle_query(input)


class _WorkflowOutbound(worker.WorkflowOutboundInterceptor):
    def start_activity(self, input: worker.StartActivityInput) -> workflow.ActivityHandle[Any]:
        input.headers = _to_header(dict(input.headers))
        return super().start_activity(input)


@activity.defn
async def whoami() -> str:
    return f"activity sees {USER.get()}"


@workflow.defn
class Greeter:
    def __init__(self) -> None:
        self.signalled_by: str | None = None

    @workflow.run
    async def run(self) -> list[str]:
        started_by = USER.get()
        header_keys = sorted(workflow.info().headers)
        await workflow.wait_condition(lambda: self.signalled_by is not None)
        seen = await workflow.execute_activity(whoami, start_to_close_timeout=timedelta(seconds=10))
        return [f"started by {started_by}", f"signalled by {self.signalled_by}", seen, f"info {header_keys}"]

    @workflow.signal
    def hello(self) -> None:
        self.signalled_by = USER.get()

    @workflow.query
    def asked_by(self) -> str | None:
        return USER.get()


async def _run(c: Client) -> list[str]:
    async with running_worker(c, task_queue="headers", workflows=[Greeter], activities=[whoami]):
        USER.set("alice")
        handle = await c.start_workflow(Greeter.run, id="greeter", task_queue="headers")
        USER.set("bob")
        await handle.signal(Greeter.hello)
        USER.set("carol")
        asked_by = await handle.query(Greeter.asked_by)
        USER.set(None)
        result: list[str] = await handle.result()
        return [*result, f"queried by {asked_by}"]


async def test_a_header_set_by_client_and_workflow_interceptors_reaches_the_workflow_and_activity(
    server: ServerProcess,
) -> None:
    c = await Client.connect(server.address, interceptors=[ContextPropagation()])
    try:
        result = await _run(c)
        history = await c.get_workflow_handle("greeter").fetch_history()
    finally:
        await c.close()
    # The signal handler runs in a task of its own, so its context stays its own: the run
    # method schedules the activity in the start's context.
    assert result == [
        "started by alice",
        "signalled by bob",
        "activity sees alice",
        "info ['user-id']",
        "queried by carol",
    ]
    with_header = (hist.WorkflowExecutionStarted, hist.WorkflowExecutionSignaled, hist.ActivityTaskScheduled)
    headers = {
        e.attributes.type for e in history.events if isinstance(e.attributes, with_header) and e.attributes.header
    }
    assert headers == {"WorkflowExecutionStarted", "WorkflowExecutionSignaled", "ActivityTaskScheduled"}


async def test_headers_do_not_go_through_the_payload_codec(server: ServerProcess) -> None:
    coded = dataclasses.replace(DataConverter.default, payload_codec=XorCodec())
    c = await Client.connect(server.address, interceptors=[ContextPropagation()], data_converter=coded)
    try:
        result = await _run(c)
        history = await c.get_workflow_handle("greeter").fetch_history()
    finally:
        await c.close()
    assert result[0] == "started by alice"
    started = history.events[0].attributes
    assert isinstance(started, hist.WorkflowExecutionStarted)
    assert started.header[KEY].metadata["encoding"] == b"json/plain"
    assert {p.metadata["encoding"] for p in started.input} <= {b"binary/xor"}


def test_a_header_codec_behavior_other_than_no_codec_is_refused_by_name() -> None:
    from legato import _service, _transport
    from legato.common import HeaderCodecBehavior

    service = _service.ServiceClient(_transport.Transport("localhost:1", namespace="default"))
    with pytest.raises(NotImplementedError, match="header_codec_behavior"):
        Client(service, header_codec_behavior=HeaderCodecBehavior.CODEC)
