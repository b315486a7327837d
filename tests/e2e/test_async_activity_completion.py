"""Activities completed asynchronously: raise_complete_async in the worker, then a client
completes, fails, heartbeats or reports the activity canceled, by task token or by ids.
Errors are temporalio's (checked on Temporal's dev server), and the attempt's timeouts
still apply to an activity nobody completes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from legato import activity, workflow
from legato.client import AsyncActivityCancelledError, Client
from legato.common import RetryPolicy
from legato.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    RPCError,
    RPCStatusCode,
    WorkflowFailureError,
)
from tests.support.deadline import eventually
from tests.support.server_process import running_worker

pytestmark = pytest.mark.e2e

FAST_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_interval=timedelta(seconds=1))
task_tokens: dict[str, list[str]] = {}


@activity.defn
async def completes_later(key: str) -> str:
    task_tokens.setdefault(key, []).append(activity.info().task_token)
    # The second attempt of the timeout test answers by itself.
    if activity.info().attempt > 1:
        return f"attempt {activity.info().attempt} answered by itself"
    activity.raise_complete_async()


@workflow.defn
class AsyncCompletionWorkflow:
    @workflow.run
    async def run(self, key: str, heartbeat_seconds: float) -> str:
        return await workflow.execute_activity(
            completes_later,
            key,
            activity_id="later",
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=heartbeat_seconds) if heartbeat_seconds else None,
            retry_policy=FAST_RETRY,
        )


@workflow.defn
class CancelsAsyncActivityWorkflow:
    @workflow.run
    async def run(self, key: str) -> str:
        handle = workflow.start_activity(
            completes_later,
            key,
            activity_id="later",
            start_to_close_timeout=timedelta(seconds=30),
            heartbeat_timeout=timedelta(seconds=10),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.wait_condition(lambda: self.cancel)
        handle.cancel()
        try:
            return await handle
        except ActivityError as e:
            return type(e.cause).__name__

    def __init__(self) -> None:
        self.cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self.cancel = True


def latest_token(key: str) -> str | None:
    tokens = task_tokens.get(key)
    return tokens[-1] if tokens else None


async def started_token(key: str) -> str:
    return await eventually(lambda: latest_token(key), within=10, what=f"activity {key} started")


async def test_activity_completed_by_its_task_token_gives_the_workflow_the_result(client: Client) -> None:
    async with running_worker(
        client, task_queue="async-token", workflows=[AsyncCompletionWorkflow], activities=[completes_later]
    ):
        handle = await client.start_workflow(
            AsyncCompletionWorkflow.run, args=["token", 0], id="async-token", task_queue="async-token"
        )
        token = await started_token("token")
        activity_handle = client.get_async_activity_handle(task_token=token.encode())
        await activity_handle.heartbeat("halfway")
        await activity_handle.complete("completed from outside")
        assert await handle.result() == "completed from outside"
    # A second answer is refused as Temporal refuses it.
    with pytest.raises(RPCError) as again:
        await activity_handle.complete("again")
    assert again.value.status == RPCStatusCode.NOT_FOUND


async def test_activity_completed_and_failed_by_ids(client: Client) -> None:
    async with running_worker(
        client, task_queue="async-ids", workflows=[AsyncCompletionWorkflow], activities=[completes_later]
    ):
        done = await client.start_workflow(
            AsyncCompletionWorkflow.run, args=["ids-done", 0], id="async-ids-done", task_queue="async-ids"
        )
        await started_token("ids-done")
        await client.get_async_activity_handle(workflow_id="async-ids-done", run_id=None, activity_id="later").complete(
            "completed by ids"
        )
        assert await done.result() == "completed by ids"

        failed = await client.start_workflow(
            AsyncCompletionWorkflow.run, args=["ids-failed", 0], id="async-ids-failed", task_queue="async-ids"
        )
        await started_token("ids-failed")
        by_ids = client.get_async_activity_handle(
            workflow_id="async-ids-failed", run_id=failed.result_run_id, activity_id="later"
        )
        await by_ids.fail(ApplicationError("no stock", type="OutOfStock", non_retryable=True))
        with pytest.raises(WorkflowFailureError) as failure:
            await failed.result()
    activity_error = failure.value.cause
    assert isinstance(activity_error, ActivityError)
    assert isinstance(activity_error.cause, ApplicationError)
    assert activity_error.cause.type == "OutOfStock"


async def test_a_bad_token_or_unknown_ids_are_temporalios_errors(client: Client) -> None:
    async with running_worker(
        client, task_queue="async-errors", workflows=[AsyncCompletionWorkflow], activities=[completes_later]
    ):
        await client.start_workflow(
            AsyncCompletionWorkflow.run, args=["errors", 0], id="async-errors", task_queue="async-errors"
        )
        await started_token("errors")
        with pytest.raises(RPCError) as garbage:
            await client.get_async_activity_handle(task_token=b"garbage").complete("x")
        assert garbage.value.status == RPCStatusCode.INVALID_ARGUMENT
        unknown = client.get_async_activity_handle(workflow_id="async-errors", run_id=None, activity_id="nope")
        with pytest.raises(RPCError) as unknown_activity:
            await unknown.complete()
        assert unknown_activity.value.status == RPCStatusCode.NOT_FOUND
        assert "nope" in unknown_activity.value.message
        with pytest.raises(RPCError) as unknown_workflow:
            await client.get_async_activity_handle(workflow_id="no-such", run_id=None, activity_id="later").complete()
        assert unknown_workflow.value.status == RPCStatusCode.NOT_FOUND


async def test_an_async_activity_nobody_heartbeats_times_out_and_is_retried(client: Client) -> None:
    async with running_worker(
        client, task_queue="async-timeout", workflows=[AsyncCompletionWorkflow], activities=[completes_later]
    ):
        result = await client.execute_workflow(
            AsyncCompletionWorkflow.run, args=["timeout", 1.0], id="async-timeout", task_queue="async-timeout"
        )
    assert result == "attempt 2 answered by itself"
    assert len(task_tokens["timeout"]) == 2


async def test_a_cancel_reaches_the_heartbeating_client_which_reports_it(client: Client) -> None:
    async with running_worker(
        client, task_queue="async-cancel", workflows=[CancelsAsyncActivityWorkflow], activities=[completes_later]
    ):
        handle = await client.start_workflow(
            CancelsAsyncActivityWorkflow.run, "cancel", id="async-cancel", task_queue="async-cancel"
        )
        token = await started_token("cancel")
        await handle.signal(CancelsAsyncActivityWorkflow.cancel_activity)
        activity_handle = client.get_async_activity_handle(task_token=token.encode())

        async def cancel_seen() -> bool:
            try:
                await activity_handle.heartbeat()
            except AsyncActivityCancelledError as e:
                return e.details is not None and e.details.cancel_requested
            return False

        await eventually(cancel_seen, within=10, what="the heartbeat answered cancel_requested")
        await activity_handle.report_cancellation("cleaned up")
        assert await handle.result() == CancelledError.__name__
