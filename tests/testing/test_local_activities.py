"""Local activities run in the workflow's worker and are recorded as Temporal's markers."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from legato import activity, workflow
from legato.api.common.v1 import FailureKind
from legato.api.history import v1 as hist
from legato.client import WorkflowFailureError
from legato.common import RetryPolicy
from legato.exceptions import ActivityError, ApplicationError, RetryState, TimeoutError, TimeoutType
from legato.testing import WorkflowEnvironment
from legato.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor, Replayer, Worker
from tests.golden.temporal import workflows as golden
from tests.support.deadline import eventually

pytestmark = pytest.mark.e2e

TEMPORAL = Path(__file__).parents[1] / "golden" / "temporal" / "local_activity.cli.json"


def _temporal_event_types() -> list[str]:
    events = json.loads(TEMPORAL.read_text())["events"]
    return [e["eventType"].removeprefix("EVENT_TYPE_") for e in events]


def _upper_snake(name: str) -> str:
    return "".join(f"_{c}" if c.isupper() else c for c in name).lstrip("_").upper()


# Without a cache every task replays the run from its history: its markers resolve it.
@pytest.mark.parametrize("cached", [100, 0])
async def test_local_activities_write_the_history_temporal_writes(
    skipping_env: WorkflowEnvironment, cached: int
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(
        skipping_env.client,
        task_queue=task_queue,
        workflows=[golden.LocalActivityWorkflow],
        activities=golden.ACTIVITIES,
        max_cached_workflows=cached,
    ):
        handle = await skipping_env.client.start_workflow(
            golden.LocalActivityWorkflow.run, "tea", id=str(uuid.uuid4()), task_queue=task_queue
        )
        # As on Temporal: a local activity's failure reaches the workflow unwrapped, so
        # `except ActivityError` misses it and the run fails with it.
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    history = await handle.fetch_history()
    assert isinstance(failed.value.cause, ApplicationError)
    assert failed.value.cause.message == "tea is out of stock"
    assert [_upper_snake(e.attributes.type) for e in history.events] == _temporal_event_types()
    assert [_marker_fields(e) for e in history.events if e.attributes.type == "MarkerRecorded"] == [
        _marker_fields(e) for e in _temporal_markers()
    ]


_COMPARED = ("seq", "attempt", "activity_id", "activity_type", "backoff")


def _marker_fields(event: object) -> tuple[object, ...]:
    from legato._runtime import local_activities

    data = local_activities.event_data(event)  # type: ignore[arg-type]  # a HistoryEvent
    assert data is not None
    failure = event.attributes.failure  # type: ignore[attr-defined]  # a MarkerRecorded
    has_result = "result" in event.attributes.details  # type: ignore[attr-defined]
    return (*(data[k] for k in _COMPARED), failure.message if failure else None, has_result)


def _temporal_markers() -> list[object]:
    from legato.client import WorkflowHistory

    history = WorkflowHistory.from_json("golden", TEMPORAL.read_text())
    return [e for e in history.events if e.attributes.type == "MarkerRecorded"]


@activity.defn
async def too_slow() -> str:
    await asyncio.sleep(5)
    return "late"


@activity.defn
def sync_info() -> str:
    info = activity.info()
    return f"{info.activity_type} {info.attempt} local={info.is_local}"


@workflow.defn
class TimesOut:
    @workflow.run
    async def run(self) -> list[str]:
        synced = await workflow.execute_local_activity(sync_info, start_to_close_timeout=timedelta(seconds=5))
        try:
            await workflow.execute_local_activity(
                too_slow, start_to_close_timeout=timedelta(seconds=0.2), retry_policy=RetryPolicy(maximum_attempts=1)
            )
        except ActivityError as e:
            cause = e.cause
            assert isinstance(cause, TimeoutError)
            return [synced, e.message, str(e.retry_state), str(cause.type)]
        return [synced]


async def test_a_local_activity_past_its_start_to_close_timeout_is_an_activity_error(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    with ThreadPoolExecutor(2) as threads:
        async with Worker(
            local_env.client,
            task_queue=task_queue,
            workflows=[TimesOut],
            activities=[too_slow, sync_info],
            activity_executor=threads,
        ):
            result = await local_env.client.execute_workflow(TimesOut.run, id=str(uuid.uuid4()), task_queue=task_queue)
    assert result == [
        "sync_info 1 local=True",
        "Local Activity timed out",
        str(RetryState.TIMEOUT),
        str(TimeoutType.START_TO_CLOSE),
    ]


class _Counting(Interceptor):
    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        seen = self.seen

        class Inbound(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                info = activity.info()
                seen.append((info.activity_type, info.is_local))
                return await super().execute_activity(input)

        return Inbound(next)


@workflow.defn
class CallsOnce:
    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_local_activity_method(
            sync_info, start_to_close_timeout=timedelta(seconds=5)
        )
        return result


async def test_activity_interceptors_see_local_activities(local_env: WorkflowEnvironment) -> None:
    task_queue = str(uuid.uuid4())
    counting = _Counting()
    with ThreadPoolExecutor(1) as threads:
        async with Worker(
            local_env.client,
            task_queue=task_queue,
            workflows=[CallsOnce],
            activities=[sync_info],
            activity_executor=threads,
            interceptors=[counting],
        ):
            await local_env.client.execute_workflow(CallsOnce.run, id=str(uuid.uuid4()), task_queue=task_queue)
    assert counting.seen == [("sync_info", True)]


@activity.defn
async def outlasts_the_task() -> str:
    await asyncio.sleep(3)
    return "late"


@workflow.defn
class HoldsItsTask:
    @workflow.run
    async def run(self) -> str:
        result: str = await workflow.execute_local_activity(
            outlasts_the_task, start_to_close_timeout=timedelta(seconds=10)
        )
        return result


async def test_a_local_activity_longer_than_its_workflow_task_heartbeats_the_task_as_temporal_does(
    local_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    async with Worker(
        local_env.client, task_queue=task_queue, workflows=[HoldsItsTask], activities=[outlasts_the_task]
    ):
        handle = await local_env.client.start_workflow(
            HoldsItsTask.run, id=str(uuid.uuid4()), task_queue=task_queue, task_timeout=timedelta(seconds=1)
        )
        assert await handle.result() == "late"
    history = await handle.fetch_history()
    # The marker recorded tasks after the one that asked for it replays as it ran.
    await Replayer(workflows=[HoldsItsTask]).replay_workflow(history)
    types = [e.attributes.type for e in history.events]
    # As on Temporal's dev server (4 tasks there): a task completed and a new one started
    # at each 80% of the 1 s timeout, then the marker and the close in the last task.
    tasks = (len(types) - 3) // 3
    assert tasks >= 3, types
    task = ["WorkflowTaskScheduled", "WorkflowTaskStarted", "WorkflowTaskCompleted"]
    assert types == ["WorkflowExecutionStarted", *task * tasks, "MarkerRecorded", "WorkflowExecutionCompleted"]


@workflow.defn
class FirstOfTwo:
    @workflow.run
    async def run(self) -> list[str]:
        first = workflow.start_local_activity(sync_info, start_to_close_timeout=timedelta(seconds=5))
        second = workflow.start_local_activity(sync_info, start_to_close_timeout=timedelta(seconds=5))
        await workflow.wait([first, second], return_when=asyncio.FIRST_COMPLETED)
        # A command after the first result: replay must hand over both results at once, as the worker did.
        await workflow.sleep(1)
        return [await first, await second]


async def test_local_activities_run_together_replay_with_their_results_together(
    skipping_env: WorkflowEnvironment,
) -> None:
    task_queue = str(uuid.uuid4())
    with ThreadPoolExecutor(2) as threads:
        async with Worker(
            skipping_env.client,
            task_queue=task_queue,
            workflows=[FirstOfTwo],
            activities=[sync_info],
            activity_executor=threads,
            max_cached_workflows=0,
        ):
            # A replay that mismatches fails the task again and again: bound the wait.
            async with asyncio.timeout(30):
                result = await skipping_env.client.execute_workflow(
                    FirstOfTwo.run, id=str(uuid.uuid4()), task_queue=task_queue
                )
    assert result == ["sync_info 1 local=True"] * 2


_seen: list[str] = []


@activity.defn
async def waits_to_be_cancelled() -> str:
    _seen.append("started")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        _seen.append("cancelled")
        raise
    return "finished"


@workflow.defn
class CancelsItsLocalActivity:
    """Cancels a running local activity when signalled (the signal reaches it in the task
    the worker heartbeats while the activity runs)."""

    def __init__(self) -> None:
        self._stop = False

    @workflow.signal
    def stop(self) -> None:
        self._stop = True

    @workflow.run
    async def run(self, cancellation_type: str) -> str:
        handle = workflow.start_local_activity(
            waits_to_be_cancelled,
            start_to_close_timeout=timedelta(seconds=60),
            cancellation_type=workflow.ActivityCancellationType[cancellation_type],
        )
        await workflow.wait_condition(lambda: self._stop)
        handle.cancel()
        try:
            await handle
        except ActivityError as e:
            return f"{e} / {e.cause!r} / {e.retry_state}"
        return "not cancelled"


@pytest.mark.parametrize(
    ("cancellation_type", "cause", "attempt"),
    [
        ("TRY_CANCEL", "Activity cancelled", 0),
        ("WAIT_CANCELLATION_COMPLETED", "Cancelled", 1),
        ("ABANDON", "Activity cancelled", 0),
    ],
)
async def test_cancelling_a_running_local_activity_cancels_its_attempt_as_temporals_core_does(
    local_env: WorkflowEnvironment, cancellation_type: str, cause: str, attempt: int
) -> None:
    # Checked on Temporal's dev server: every type cancels the attempt; TRY_CANCEL and
    # ABANDON record the marker without waiting for it, WAIT_CANCELLATION_COMPLETED records
    # the attempt's own end.
    _seen.clear()
    task_queue = str(uuid.uuid4())
    async with Worker(
        local_env.client,
        task_queue=task_queue,
        workflows=[CancelsItsLocalActivity],
        activities=[waits_to_be_cancelled],
    ):
        handle = await local_env.client.start_workflow(
            CancelsItsLocalActivity.run,
            cancellation_type,
            id=str(uuid.uuid4()),
            task_queue=task_queue,
            task_timeout=timedelta(seconds=1),
        )
        # Signalled once the attempt runs: the cancel reaches it, not a schedule not yet run.
        await eventually(lambda: _seen, within=10, what="the attempt to start")
        await handle.signal(CancelsItsLocalActivity.stop)
        result = await handle.result()
        await eventually(lambda: len(_seen) > 1, within=10, what="the attempt to see its cancellation")
    assert _seen == ["started", "cancelled"]
    assert result == f"Local Activity cancelled / CancelledError('{cause}') / {RetryState.CANCEL_REQUESTED}"
    history = await handle.fetch_history()
    (marker,) = [e.attributes for e in history.events if isinstance(e.attributes, hist.MarkerRecorded)]
    assert marker.failure is not None
    assert (marker.failure.message, marker.failure.kind) == (cause, FailureKind.CANCELED)
    assert json.loads(marker.details["data"][0].data)["attempt"] == attempt
    await Replayer(workflows=[CancelsItsLocalActivity]).replay_workflow(history)
