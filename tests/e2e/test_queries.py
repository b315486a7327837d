"""Queries end to end: a worker answers from the run's state, never writing history."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from legato import client, worker, workflow
from legato.client import Client, WorkflowExecutionStatus, WorkflowQueryFailedError, WorkflowQueryRejectedError
from legato.common import QueryRejectCondition, RawValue
from legato.exceptions import RPCError, RPCStatusCode
from tests.e2e.test_codec import CONVERTER
from tests.support.server_process import ServerProcess, running_worker

pytestmark = pytest.mark.e2e


@workflow.defn
class Counter:
    """Counts signals; finishes when told to, or at once when started with stop=True."""

    def __init__(self) -> None:
        self.count = 0
        self.done = False

    @workflow.run
    async def run(self, stop: bool) -> int:
        workflow.set_query_handler("doubled", lambda: self.count * 2)
        if not stop:
            await workflow.wait_condition(lambda: self.done)
        return self.count

    @workflow.signal
    def add(self, n: int) -> None:
        self.count += n

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def current(self) -> int:
        return self.count

    @workflow.query(name="plus")
    def plus(self, a: int, b: int) -> int:
        return self.count + a + b

    @workflow.query
    def boom(self) -> int:
        raise ValueError("kaput")

    @workflow.query
    def schedules(self) -> int:
        workflow.start_activity("nothing", start_to_close_timeout=timedelta(seconds=1))
        return 0

    @workflow.query
    def mutates(self) -> int:
        self.done = True
        return self.count


@workflow.defn
class Dynamic:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query(dynamic=True)
    def anything(self, name: str, args: Sequence[RawValue]) -> str:
        return f"{name}:{len(args)}"


def _queue() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


async def _history_length(client: Client, workflow_id: str) -> int:
    return len((await client.get_workflow_handle(workflow_id).fetch_history()).events)


async def test_query_answers_from_the_running_workflows_state(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        await handle.signal(Counter.add, 3)
        # As in Temporal, the query waits for the signal's workflow task, so it sees the signal.
        assert await handle.query(Counter.current) == 3
        assert await handle.query("plus", args=[1, 2]) == 6
        assert await handle.query("doubled") == 6
        await handle.signal(Counter.finish)
        assert await handle.result() == 3


async def test_a_query_writes_nothing_and_a_handler_cannot_make_commands(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        assert await handle.query(Counter.current) == 0
        before = await _history_length(client, handle.id)
        with pytest.raises(WorkflowQueryFailedError) as failed:
            await handle.query(Counter.schedules)
        assert failed.value.message == "While in read-only function, action attempted: start activity"
        assert await handle.query(Counter.mutates) == 0
        assert await handle.query(Counter.current) == 0
        assert await _history_length(client, handle.id) == before
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING


async def test_unknown_query_lists_the_known_ones_and_a_raising_handler_fails(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        with pytest.raises(WorkflowQueryFailedError) as unknown:
            await handle.query("nope")
        assert str(unknown.value) == (
            "Query handler for 'nope' expected but not found, "
            "known queries: [__enhanced_stack_trace __stack_trace __temporal_workflow_metadata "
            "boom current doubled mutates plus schedules]"
        )
        with pytest.raises(WorkflowQueryFailedError) as raised:
            await handle.query(Counter.boom)
        assert str(raised.value) == "kaput"
        trace = await handle.query("__stack_trace")
        assert "Stack for" in trace
        # Down to the workflow's own line that waits, not only the SDK's wrapper around it.
        assert "await workflow.wait_condition(lambda: self.done)" in trace
        stacks = await handle.query("__enhanced_stack_trace")
        assert stacks["sdk"]["name"] == "sdk-python"
        assert all(loc["filePath"] in stacks["sources"] for stack in stacks["stacks"] for loc in stack["locations"])
        assert stacks["stacks"]
        here = [loc for stack in stacks["stacks"] for loc in stack["locations"] if loc["filePath"] == __file__]
        assert [loc["functionName"] for loc in here] == ["run"]
        metadata = await handle.query("__temporal_workflow_metadata")
        assert metadata["definition"]["type"] == "Counter"
        assert [d["name"] for d in metadata["definition"]["signalDefinitions"]] == ["add", "finish"]
        assert {"name": "current", "description": ""} in metadata["definition"]["queryDefinitions"]


async def test_dynamic_query_handler_takes_every_other_name(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Dynamic]):
        handle = await client.start_workflow(Dynamic.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        assert await handle.query("whatever", args=[1, "two"]) == "whatever:2"


async def test_closed_workflow_is_queried_by_replay_unless_the_condition_rejects(server: ServerProcess) -> None:
    client = await Client.connect(server.address, default_workflow_query_reject_condition=QueryRejectCondition.NONE)
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, True, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        assert await handle.result() == 0
        assert await handle.query(Counter.plus, args=[2, 3]) == 5
        assert await handle.query(Counter.current, reject_condition=QueryRejectCondition.NOT_COMPLETED_CLEANLY) == 0
        with pytest.raises(WorkflowQueryRejectedError) as rejected:
            await handle.query(Counter.current, reject_condition=QueryRejectCondition.NOT_OPEN)
        assert rejected.value.status is WorkflowExecutionStatus.COMPLETED
        assert str(rejected.value) == "Query rejected, status: 2"
    strict = await Client.connect(server.address, default_workflow_query_reject_condition=QueryRejectCondition.NOT_OPEN)
    with pytest.raises(WorkflowQueryRejectedError):
        await strict.get_workflow_handle(handle.id).query(Counter.current)
    await strict.close()
    await client.close()


async def test_a_workflow_no_worker_has_cached_is_replayed_for_the_query(client: Client) -> None:
    queue = _queue()
    workflow_id = f"wf-{uuid.uuid4()}"
    async with running_worker(client, task_queue=queue, workflows=[Counter]):
        handle = await client.start_workflow(Counter.run, False, id=workflow_id, task_queue=queue)
        await handle.signal(Counter.add, 4)
        assert await handle.query(Counter.current) == 4
    # A new worker (a restarted process) has an empty cache.
    async with running_worker(client, task_queue=queue, workflows=[Counter]):
        assert await handle.query(Counter.current) == 4
        await handle.signal(Counter.add, 1)
        assert await handle.query(Counter.current) == 5
        await handle.signal(Counter.finish)
        assert await handle.result() == 5


async def test_no_worker_polling_fails_within_the_timeout(client: Client) -> None:
    handle = await client.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=_queue())
    started = time.monotonic()
    with pytest.raises(RPCError) as timed_out:
        await handle.query(Counter.current, rpc_timeout=timedelta(seconds=1))
    assert timed_out.value.status is RPCStatusCode.DEADLINE_EXCEEDED
    assert "no worker" in timed_out.value.message
    assert time.monotonic() - started < 10


async def test_query_to_an_unknown_workflow_is_not_found(client: Client) -> None:
    with pytest.raises(RPCError) as missing:
        await client.get_workflow_handle("no-such-workflow").query("current")
    assert missing.value.status is RPCStatusCode.NOT_FOUND


async def test_a_query_asked_of_one_replica_is_answered_through_another(
    server: ServerProcess, pg_dsn: str, tmp_path: Path
) -> None:
    other = ServerProcess(dsn=pg_dsn, log_path=tmp_path / "other.log", identity="replica-1")
    other.start()
    asker = await Client.connect(server.address)
    polled = await Client.connect(other.address)
    try:
        queue = _queue()
        async with running_worker(polled, task_queue=queue, workflows=[Counter]):
            handle = await asker.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=queue)
            await handle.signal(Counter.add, 2)
            assert await handle.query(Counter.current) == 2
            await handle.signal(Counter.finish)
            assert await handle.result() == 2
    finally:
        await asker.close()
        await polled.close()
        other.stop()


async def test_query_arguments_answers_and_failures_go_through_the_codec(server: ServerProcess) -> None:
    coded = await Client.connect(server.address, data_converter=CONVERTER)
    queue = _queue()
    try:
        async with running_worker(coded, task_queue=queue, workflows=[Counter]):
            handle = await coded.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=queue)
            assert await handle.query(Counter.plus, args=[20, 22]) == 42
            with pytest.raises(WorkflowQueryFailedError) as raised:
                await handle.query(Counter.boom)
            # On the wire the message was the codec's; the client reads it decoded.
            assert raised.value.message == "kaput"
    finally:
        await coded.close()


SEEN: list[str] = []


class _QueryCalls(client.OutboundInterceptor):
    async def query_workflow(self, input: client.QueryWorkflowInput) -> Any:
        SEEN.append(f"client {input.query}")
        # An interceptor may change what goes on: the handler sees the changed arguments.
        input.args = [a * 10 for a in input.args]
        return await super().query_workflow(input)


class _QueryInbound(worker.WorkflowInboundInterceptor):
    async def handle_query(self, input: worker.HandleQueryInput) -> Any:
        SEEN.append(f"workflow {input.query} {list(input.args)}")
        return await super().handle_query(input)


class _Queries(client.Interceptor, worker.Interceptor):
    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _QueryCalls(next)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[worker.WorkflowInboundInterceptor] | None:
        return _QueryInbound


async def test_queries_go_through_the_client_and_workflow_interceptors(server: ServerProcess) -> None:
    SEEN.clear()
    intercepted = await Client.connect(server.address, interceptors=[_Queries()])
    queue = _queue()
    try:
        async with running_worker(intercepted, task_queue=queue, workflows=[Counter]):
            handle = await intercepted.start_workflow(Counter.run, False, id=f"wf-{uuid.uuid4()}", task_queue=queue)
            assert await handle.query(Counter.plus, args=[1, 2]) == 30
    finally:
        await intercepted.close()
    assert SEEN == ["client plus", "workflow plus [10, 20]"]
