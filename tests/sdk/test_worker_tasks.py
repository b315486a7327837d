"""The worker's task handling, fed WorkflowTask and ActivityTask objects directly (no server)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from legato import _service, _transport, activity
from legato._worker.activities import ActivityWorker
from legato._worker.base import WorkerContext
from legato._worker.workflows import WorkflowWorker
from legato.api.command import v1 as cmd
from legato.api.common.v1 import FailureKind, Payload
from legato.api.workflowservice import v1 as api
from legato.converter import DataConverter, PayloadCodec
from legato.exceptions import ApplicationError
from legato.testing import ActivityEnvironment
from tests.sdk.histories import HistoryBuilder, payload, payloads
from tests.sdk.test_replay import ChargeFirstOrderWorkflow, OrderWorkflow, completed_order_history

# Nothing listens here: a test that reaches the server fails loudly.
NOWHERE = WorkerContext(
    _service.ServiceClient(_transport.Transport("127.0.0.1:9", namespace="default")),
    task_queue="q",
    identity="test",
    data_converter=DataConverter.default,
)


def workflow_worker(*workflows: type) -> WorkflowWorker:
    return WorkflowWorker(
        NOWHERE,
        workflows=workflows,
        max_cached_workflows=10,
        executor=None,
    )


def task_for(h: HistoryBuilder, first_event_id: int, *, workflow_type: str = "Order") -> api.WorkflowTask:
    return api.WorkflowTask(
        task_token="t",
        workflow_id="wf-1",
        run_id="run-1",
        workflow_type=workflow_type,
        attempt=1,
        first_event_id=first_event_id,
        history=h.events[first_event_id - 1 :],
    )


async def test_first_workflow_task_answers_with_its_commands_and_caches_the_run() -> None:
    worker = workflow_worker(OrderWorkflow)
    h = HistoryBuilder("Order", "o-1")
    h.workflow_task()
    answer = await worker.handle(task_for(h, 1))
    assert isinstance(answer, api.CompleteWorkflowTaskRequest)
    assert [c.type for c in answer.commands] == ["ScheduleActivityTask"]
    assert "run-1" in worker.cache


async def test_next_task_of_a_cached_run_needs_no_history_fetch() -> None:
    worker = workflow_worker(OrderWorkflow)
    h = HistoryBuilder("Order", "o-1")
    h.workflow_task()
    first = await worker.handle(task_for(h, 1))
    assert isinstance(first, api.CompleteWorkflowTaskRequest)
    scheduled = h.complete_task(first.commands)
    h.activity_completed(scheduled[0].event_id, "reserved")
    h.workflow_task()
    answer = await worker.handle(task_for(h, 4))
    assert isinstance(answer, api.CompleteWorkflowTaskRequest)
    assert isinstance(answer.commands[0], cmd.ScheduleActivityTask)
    assert answer.commands[0].activity_type == "charge"


async def test_unknown_workflow_type_fails_the_task_naming_the_registered_ones() -> None:
    worker = workflow_worker(OrderWorkflow)
    h = HistoryBuilder("Refund")
    h.workflow_task()
    answer = await worker.handle(task_for(h, 1, workflow_type="Refund"))
    assert isinstance(answer, api.FailWorkflowTaskRequest)
    assert answer.cause == "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    assert "Refund" in answer.failure.message
    assert "available workflows: Order" in answer.failure.message


async def test_nondeterministic_replay_fails_the_task_and_evicts_the_run() -> None:
    h = completed_order_history()
    # Cut the history before the run's close: the last task is in flight.
    last_started = max(e.event_id for e in h.events if e.attributes.type == "WorkflowTaskStarted")
    h.events = h.events[:last_started]
    worker = workflow_worker(ChargeFirstOrderWorkflow)
    answer = await worker.handle(task_for(h, 1))
    assert isinstance(answer, api.FailWorkflowTaskRequest)
    assert answer.cause == "NON_DETERMINISTIC_ERROR"
    assert "replayed differently" in answer.failure.message
    assert "run-1" not in worker.cache


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@activity.defn(name="count-letters")
def count_letters(word: str) -> dict[str, int]:
    return {"letters": len(word), "attempt": activity.info().attempt}


@activity.defn
async def refuse(order: str) -> None:
    raise ApplicationError(f"no {order}", type="Refused", non_retryable=True)


def activity_task(activity_type: str, *args: object, attempt: int = 1) -> api.ActivityTask:
    now = datetime.now(UTC)
    return api.ActivityTask(
        task_token="a",
        workflow_id="wf-1",
        run_id="run-1",
        workflow_type="Order",
        activity_id="1",
        activity_type=activity_type,
        input=payloads(*args),
        attempt=attempt,
        scheduled_time=now,
        started_time=now,
        start_to_close_timeout=10,
    )


@pytest.fixture
def activity_worker() -> ActivityWorker:
    return ActivityWorker(
        NOWHERE,
        activities=[greet, count_letters, refuse],
        executor=ThreadPoolExecutor(max_workers=2),
    )


async def test_async_activity_result_is_reported_as_completed(activity_worker: ActivityWorker) -> None:
    answer = await activity_worker.handle(activity_task("greet", "Ada"))
    assert answer == api.CompleteActivityTaskRequest(task_token="a", result=payload("Hello, Ada!"), identity="test")


async def test_sync_activity_runs_in_the_thread_pool_with_its_info(activity_worker: ActivityWorker) -> None:
    answer = await activity_worker.handle(activity_task("count-letters", "durable", attempt=3))
    assert isinstance(answer, api.CompleteActivityTaskRequest)
    assert answer.result == payload({"letters": 7, "attempt": 3})


async def test_activity_error_is_reported_as_a_failure(activity_worker: ActivityWorker) -> None:
    answer = await activity_worker.handle(activity_task("refuse", "o-1"))
    assert isinstance(answer, api.FailActivityTaskRequest)
    assert (answer.failure.type, answer.failure.non_retryable, answer.failure.message) == (
        "Refused",
        True,
        "no o-1",
    )


async def test_unknown_activity_type_fails_the_attempt_naming_the_registered_ones(
    activity_worker: ActivityWorker,
) -> None:
    answer = await activity_worker.handle(activity_task("charge"))
    assert isinstance(answer, api.FailActivityTaskRequest)
    assert answer.failure.type == "NotFoundError"
    assert answer.failure.message == (
        "Activity function charge is not registered on this worker, available activities: count-letters, greet, refuse"
    )


async def test_activity_environment_captures_heartbeats_and_cancellation() -> None:
    @activity.defn
    async def long_job() -> str:
        activity.heartbeat("halfway")
        await asyncio.sleep(3600)
        return "never"

    env = ActivityEnvironment()
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.extend(details)
    task = asyncio.ensure_future(env.run(long_job))
    await asyncio.sleep(0)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert beats == ["halfway"]


def test_failure_of_a_cancelled_activity_has_the_canceled_kind(activity_worker: ActivityWorker) -> None:
    failure = activity_worker._failure(activity_worker._cancellation())
    assert failure.kind is FailureKind.CANCELED


class RefusingCodec(PayloadCodec):
    """A codec whose key is gone: it decodes nothing."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        raise ValueError("no key for these payloads")


async def test_a_task_the_codec_cannot_decode_fails_without_running_any_code() -> None:
    context = dataclasses.replace(
        NOWHERE, data_converter=dataclasses.replace(DataConverter.default, payload_codec=RefusingCodec())
    )
    worker = ActivityWorker(context, activities=[greet], executor=None)
    answer = await worker._decoded_and_handled(activity_task("greet", "Ada"))
    assert isinstance(answer, api.FailActivityTaskRequest)
    assert answer.failure.message == "no key for these payloads"
    workflows = WorkflowWorker(context, workflows=[OrderWorkflow], max_cached_workflows=10, executor=None)
    h = HistoryBuilder("Order", "o-1")
    h.workflow_task()
    failed = await workflows._decoded_and_handled(task_for(h, 1))
    assert isinstance(failed, api.FailWorkflowTaskRequest)
    assert failed.cause == "WORKFLOW_WORKER_UNHANDLED_FAILURE"
    assert not workflows.cache
