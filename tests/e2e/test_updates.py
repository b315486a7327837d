"""Workflow updates end to end: validation leaves no trace, accepted updates are durable."""

from __future__ import annotations

import time
import uuid
import warnings
from datetime import timedelta

import pytest

from legato import workflow
from legato.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from legato.exceptions import ApplicationError, RPCError, RPCStatusCode
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e


@workflow.defn
class Cart:
    """Takes items by update until told to check out; counts how often each handler ran."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.handler_runs = 0
        self.released = False
        self.done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self.done and workflow.all_handlers_finished())
        return self.items

    @workflow.update
    async def add(self, item: str) -> int:
        self.handler_runs += 1
        info = workflow.current_update_info()
        assert info is not None
        assert info.name == "add"
        self.items.append(item)
        return len(self.items)

    @add.validator
    def validate_add(self, item: str) -> None:
        if not item:
            raise ApplicationError("empty item", type="Invalid")

    @workflow.update(name="slow-add")
    async def slow_add(self, item: str) -> int:
        self.handler_runs += 1
        await workflow.wait_condition(lambda: self.released)
        self.items.append(item)
        return len(self.items)

    @workflow.update
    def refuse(self) -> None:
        raise ApplicationError("not today", type="Refused")

    @workflow.signal
    def release(self) -> None:
        self.released = True

    @workflow.signal
    def checkout(self) -> None:
        self.done = True

    @workflow.query
    def runs(self) -> int:
        return self.handler_runs


def _queue() -> str:
    return f"q-{uuid.uuid4().hex[:8]}"


async def _event_types(client: Client, workflow_id: str) -> list[str]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return [e.attributes.type for e in history.events]


async def test_an_update_returns_its_handlers_result_and_is_recorded_in_history(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        assert await handle.execute_update(Cart.add, "apple") == 1
        assert await handle.execute_update("add", "pear", id="second") == 2
        await handle.signal(Cart.checkout)
        assert await handle.result() == ["apple", "pear"]
    types = await _event_types(client, handle.id)
    assert types.count("WorkflowExecutionUpdateAccepted") == 2
    assert types.count("WorkflowExecutionUpdateCompleted") == 2
    assert types.index("WorkflowExecutionUpdateAccepted") < types.index("WorkflowExecutionUpdateCompleted")


async def test_a_rejected_update_leaves_no_trace_in_history(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        assert await handle.query(Cart.runs) == 0
        before = await _event_types(client, handle.id)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update(Cart.add, "")
        assert isinstance(failed.value.cause, ApplicationError)
        assert failed.value.cause.message == "empty item"
        assert failed.value.cause.type == "Invalid"
        assert await _event_types(client, handle.id) == before
        assert await handle.query(Cart.runs) == 0


async def test_an_unknown_update_is_rejected_naming_the_known_ones(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update("nope")
        assert "Update handler for 'nope' expected but not found" in str(failed.value.cause)
        assert "known updates: [add refuse slow-add]" in str(failed.value.cause)


async def test_a_failing_handler_fails_the_update_and_not_the_run(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update(Cart.refuse)
        assert isinstance(failed.value.cause, ApplicationError)
        assert failed.value.cause.type == "Refused"
        assert await handle.execute_update(Cart.add, "fig") == 1
    assert "WorkflowExecutionUpdateCompleted" in await _event_types(client, handle.id)


async def test_the_same_update_id_runs_the_handler_once_and_answers_the_first_outcome(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        first = await handle.execute_update(Cart.add, "apple", id="once")
        again = await handle.execute_update(Cart.add, "banana", id="once")
        assert first == again == 1
        assert await handle.query(Cart.runs) == 1
        assert await handle.get_update_handle("once").result() == 1
        assert await handle.get_update_handle_for(Cart.add, "once").result() == 1
    assert (await _event_types(client, handle.id)).count("WorkflowExecutionUpdateAccepted") == 1


async def test_start_update_returns_once_accepted_and_the_handle_waits_for_the_result(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        update = await handle.start_update(Cart.slow_add, "kiwi", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
        assert (update.name, update.workflow_id) == ("slow-add", handle.id)
        assert update.workflow_run_id == handle.result_run_id
        with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
            await update.result(rpc_timeout=timedelta(seconds=0.5))
        await handle.signal(Cart.release)
        assert await update.result() == 1
        with pytest.raises(ValueError, match="ADMITTED wait stage not supported"):
            await handle.start_update(Cart.add, "x", wait_for_stage=WorkflowUpdateStage.ADMITTED)


async def test_an_accepted_update_survives_a_worker_restart(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        update = await handle.start_update(Cart.slow_add, "plum", wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    # No worker now: the accepted update is in history; a new worker replays it and finishes it.
    await handle.signal(Cart.release)
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        assert await update.result() == 1
        assert await handle.query(Cart.runs) == 1


async def test_an_update_to_a_closed_run_fails_as_temporal_answers(client: Client) -> None:
    queue = _queue()
    async with running_worker(client, task_queue=queue, workflows=[Cart]):
        handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
        assert await handle.execute_update(Cart.add, "apple", id="before") == 1
        await handle.signal(Cart.checkout)
        await handle.result()
        with pytest.raises(RPCError) as failed:
            await handle.execute_update(Cart.add, "late")
        assert failed.value.status is RPCStatusCode.NOT_FOUND
        assert "workflow execution already completed" in failed.value.message
        # As on Temporal's dev server: an update id the run completed still answers its outcome.
        assert await handle.execute_update(Cart.add, "again", id="before") == 1


async def test_an_update_no_worker_takes_times_out_on_the_callers_deadline(client: Client) -> None:
    handle = await client.start_workflow(Cart.run, id=f"wf-{uuid.uuid4()}", task_queue=_queue())
    began = time.monotonic()
    with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
        await handle.execute_update(Cart.add, "x", rpc_timeout=timedelta(seconds=1))
    assert time.monotonic() - began < 10
    await handle.terminate()


@workflow.defn
class Impatient:
    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.started)

    def __init__(self) -> None:
        self.started = False

    @workflow.update
    async def hang(self) -> None:
        self.started = True
        await workflow.wait_condition(lambda: False)


async def test_a_run_closing_with_an_update_running_warns_and_the_caller_gets_not_found(client: Client) -> None:
    queue = _queue()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with running_worker(client, task_queue=queue, workflows=[Impatient]):
            handle = await client.start_workflow(Impatient.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
            update = await handle.start_update(Impatient.hang, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await handle.result()
            with pytest.raises(RPCError) as failed:
                await update.result()
            assert "workflow execution already completed" in failed.value.message
    messages = [str(w.message) for w in caught if issubclass(w.category, workflow.UnfinishedUpdateHandlersWarning)]
    assert len(messages) == 1
    assert messages[0].startswith("[TMPRL1102] Workflow finished while update handlers are still running.")
    assert '[{"name": "hang", "id": "' in messages[0]


@workflow.defn
class SignalledAndGone:
    """Returns as soon as its signal handler started (which never finishes)."""

    def __init__(self) -> None:
        self.started = False

    @workflow.run
    async def run(self) -> bool:
        await workflow.wait_condition(lambda: self.started)
        return workflow.all_handlers_finished()

    @workflow.signal
    async def hang(self) -> None:
        self.started = True
        await workflow.wait_condition(lambda: False)

    @workflow.signal(unfinished_policy=workflow.HandlerUnfinishedPolicy.ABANDON)
    async def quiet(self) -> None:
        await workflow.wait_condition(lambda: False)


async def test_a_signal_handler_still_running_counts_and_warns_unless_abandoned(client: Client) -> None:
    queue = _queue()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with running_worker(client, task_queue=queue, workflows=[SignalledAndGone]):
            handle = await client.start_workflow(SignalledAndGone.run, id=f"wf-{uuid.uuid4()}", task_queue=queue)
            await handle.signal(SignalledAndGone.quiet)
            await handle.signal(SignalledAndGone.hang)
            assert await handle.result() is False
    messages = [str(w.message) for w in caught if issubclass(w.category, workflow.UnfinishedSignalHandlersWarning)]
    assert len(messages) == 1
    assert messages[0].endswith('[{"name": "hang", "count": 1}]')
