"""The engine's services on a real Postgres: idempotency, stale answers, retries, signals."""

from __future__ import annotations

import asyncio

import pytest

from legato.api.command import v1 as cmd
from legato.api.common.v1 import Failure, FailureKind, RetryPolicy
from legato.api.workflowservice import v1 as api
from legato_operator import clock, errors
from legato_operator.engine.services import runner, timer_loop, workers, workflows
from legato_operator.store import executions
from tests.server import flows
from tests.support.deadline import eventually
from tests.support.payloads import payload, payloads


async def version_of(rt: runner.Runtime, run_id: str) -> int:
    async with rt.pool.acquire() as conn:
        ex = await executions.load(conn, run_id)
    assert ex is not None
    return ex.version


async def test_starting_a_running_id_again_is_refused_with_its_run(rt: runner.Runtime) -> None:
    first = await flows.start(rt)
    with pytest.raises(errors.AlreadyStarted) as caught:
        await flows.start(rt)
    assert caught.value.run_id == first.run_id


async def test_a_repeated_request_id_returns_the_same_run(rt: runner.Runtime) -> None:
    first = await flows.start(rt, request_id="req-1")
    again = await flows.start(rt, request_id="req-1")
    assert (again.run_id, again.started) == (first.run_id, False)


async def test_use_existing_returns_the_running_run(rt: runner.Runtime) -> None:
    first = await flows.start(rt)
    again = await flows.start(rt, id_conflict_policy=api.IdConflictPolicy.USE_EXISTING)
    assert (again.run_id, again.started) == (first.run_id, False)


async def test_concurrent_starts_of_one_id_start_one_run(rt: runner.Runtime) -> None:
    results = await asyncio.gather(
        *(flows.start(rt, id_conflict_policy=api.IdConflictPolicy.USE_EXISTING) for _ in range(8))
    )
    assert len({r.run_id for r in results}) == 1
    assert sum(r.started for r in results) == 1


async def test_a_duplicate_workflow_task_completion_changes_nothing(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    task = await flows.workflow_task(rt)
    await flows.answer(rt, task, flows.schedule())
    before = (await flows.event_types(rt, run.run_id), await version_of(rt, run.run_id))
    with pytest.raises(errors.TaskNotFound):
        await flows.answer(rt, task, flows.schedule("a2"))
    assert (await flows.event_types(rt, run.run_id), await version_of(rt, run.run_id)) == before


async def test_a_duplicate_activity_completion_is_recorded_once(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule())
    activity = await flows.activity_task(rt)
    request = api.CompleteActivityTaskRequest(task_token=activity.task_token, result=payload("first"))
    await workers.complete_activity_task(rt, flows.NS, request)
    with pytest.raises(errors.TaskNotFound):
        await workers.complete_activity_task(rt, flows.NS, request.model_copy(update={"result": payload("second")}))
    assert (await flows.event_types(rt, run.run_id)).count("ActivityTaskCompleted") == 1


async def test_concurrent_completions_of_one_activity_record_one(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule())
    activity = await flows.activity_task(rt)
    request = api.CompleteActivityTaskRequest(task_token=activity.task_token)
    outcomes = await asyncio.gather(
        *(workers.complete_activity_task(rt, flows.NS, request) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(o, api.CompleteActivityTaskResponse) for o in outcomes) == 1
    assert all(
        isinstance(o, errors.TaskNotFound) for o in outcomes if not isinstance(o, api.CompleteActivityTaskResponse)
    )
    assert (await flows.event_types(rt, run.run_id)).count("ActivityTaskCompleted") == 1


async def test_a_failed_activity_is_retried_by_the_server_and_history_shows_only_the_outcome(
    rt: runner.Runtime, test_clock: clock.Clock
) -> None:
    run = await flows.start(rt)
    policy = RetryPolicy(initial_interval=1.0)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule(retry_policy=policy))
    first = await flows.activity_task(rt)
    await workers.fail_activity_task(
        rt,
        flows.NS,
        api.FailActivityTaskRequest(task_token=first.task_token, failure=Failure(message="flaky")),
    )
    assert await workers.poll_activity_task(rt, flows.NS, api.PollRequest(task_queue=flows.QUEUE, wait=0)) is None
    test_clock.advance(1.5)
    await timer_loop.TimerLoop(rt).fire_due()
    second = await flows.activity_task(rt)
    assert second.attempt == 2
    await workers.complete_activity_task(rt, flows.NS, api.CompleteActivityTaskRequest(task_token=second.task_token))
    history = await flows.events(rt, run.run_id)
    started = [e.attributes for e in history if e.attributes.type == "ActivityTaskStarted"]
    assert [(s.attempt, s.last_failure.message) for s in started] == [(2, "flaky")]  # type: ignore[union-attr]
    assert "ActivityTaskFailed" not in [e.attributes.type for e in history]


async def test_the_late_answer_of_a_timed_out_attempt_is_refused(rt: runner.Runtime, test_clock: clock.Clock) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule(start_to_close_timeout=2.0))
    attempt_one = await flows.activity_task(rt)
    test_clock.advance(2.5)
    await timer_loop.TimerLoop(rt).fire_due()
    with pytest.raises(errors.TaskNotFound):
        await workers.complete_activity_task(
            rt, flows.NS, api.CompleteActivityTaskRequest(task_token=attempt_one.task_token)
        )
    assert "ActivityTaskCompleted" not in await flows.event_types(rt, run.run_id)


async def test_a_failed_workflow_task_keeps_the_run_and_fixed_code_resumes_it(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    task = await flows.workflow_task(rt)
    await workers.fail_workflow_task(
        rt,
        flows.NS,
        api.FailWorkflowTaskRequest(
            task_token=task.task_token,
            cause="NON_DETERMINISTIC_ERROR",
            failure=Failure(message="replay diverged"),
        ),
    )
    retried = await flows.workflow_task(rt)
    assert retried.attempt == 2
    assert retried.first_event_id == 1
    await flows.answer(rt, retried, cmd.CompleteWorkflowExecution(result=payload("fixed")))
    outcome = await workflows.wait_for_close(rt, flows.NS, "wf-1", None, 0)
    assert outcome is not None
    assert outcome.result == payload("fixed")
    assert "WorkflowTaskFailed" in await flows.event_types(rt, run.run_id)


async def test_a_task_after_a_completed_one_carries_only_the_new_events(rt: runner.Runtime) -> None:
    await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule())
    activity = await flows.activity_task(rt)
    await workers.complete_activity_task(rt, flows.NS, api.CompleteActivityTaskRequest(task_token=activity.task_token))
    second = await flows.workflow_task(rt)
    assert second.first_event_id == 4
    assert second.history[0].event_id == 4
    assert second.history[-1].attributes.type == "WorkflowTaskStarted"


async def test_a_signal_during_a_workflow_task_reaches_the_next_task_once(rt: runner.Runtime) -> None:
    await flows.start(rt)
    task = await flows.workflow_task(rt)
    signal = api.SignalWorkflowRequest(workflow_id="wf-1", signal_name="go", args=payloads(1), request_id="s-1")
    await workflows.signal_workflow(rt, flows.NS, signal)
    await workflows.signal_workflow(rt, flows.NS, signal)
    await flows.answer(rt, task)
    following = await flows.workflow_task(rt)
    assert [e.attributes.type for e in following.history].count("WorkflowExecutionSignaled") == 1


async def test_terminate_closes_the_run_and_leaves_nothing_to_poll(rt: runner.Runtime) -> None:
    await flows.start(rt)
    await workflows.terminate_workflow(rt, flows.NS, api.TerminateWorkflowRequest(workflow_id="wf-1", reason="bye"))
    outcome = await workflows.wait_for_close(rt, flows.NS, "wf-1", None, 0)
    assert outcome is not None
    assert outcome.status.value == "TERMINATED"
    assert await workers.poll_workflow_task(rt, flows.NS, api.PollRequest(task_queue=flows.QUEUE, wait=0)) is None


async def test_a_waiting_poll_is_woken_by_a_start_at_once(rt: runner.Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # No periodic re-check within the test's deadline: only the start's wake-up can answer the poll.
    monkeypatch.setattr(workers, "RECHECK_SECONDS", 600.0)
    poll = asyncio.create_task(
        workers.poll_workflow_task(rt, flows.NS, api.PollRequest(task_queue=flows.QUEUE, wait=60))
    )
    # The poll is waiting once it watches its key.
    await eventually(lambda: rt.hub.watched > 0, within=10, what="the poll to watch its key")
    await flows.start(rt)
    assert (await asyncio.wait_for(poll, 20)) is not None
    assert rt.hub.watched == 0


async def test_a_cancel_request_reaches_a_running_activity_through_its_heartbeat(rt: runner.Runtime) -> None:
    run = await flows.start(rt)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule(heartbeat_timeout=30))
    activity = await flows.activity_task(rt)
    heartbeat = api.HeartbeatActivityTaskRequest(task_token=activity.task_token, details=payloads("50%"))
    assert not (await workers.heartbeat_activity_task(rt, flows.NS, heartbeat)).cancel_requested
    await flows.answer(rt, await _signal_task(rt), cmd.RequestCancelActivityTask(scheduled_event_id=5))
    assert (await workers.heartbeat_activity_task(rt, flows.NS, heartbeat)).cancel_requested
    described = await workflows.describe_workflow(rt, flows.NS, api.DescribeWorkflowRequest(workflow_id="wf-1"))
    assert [(p.activity_id, p.state) for p in described.pending_activities] == [("a1", "STARTED")]
    canceled = Failure(message="cancelled", kind=FailureKind.CANCELED)
    await workers.fail_activity_task(
        rt, flows.NS, api.FailActivityTaskRequest(task_token=activity.task_token, failure=canceled)
    )
    assert (await flows.event_types(rt, run.run_id))[-3:] == [
        "ActivityTaskStarted",
        "ActivityTaskCanceled",
        "WorkflowTaskScheduled",
    ]


async def test_describe_shows_the_latest_heartbeat_and_keeps_it_through_a_retry(rt: runner.Runtime) -> None:
    await flows.start(rt)
    policy = RetryPolicy(initial_interval=60.0)
    await flows.answer(rt, await flows.workflow_task(rt), flows.schedule(heartbeat_timeout=30, retry_policy=policy))
    activity = await flows.activity_task(rt)
    describe = api.DescribeWorkflowRequest(workflow_id="wf-1")
    before = (await workflows.describe_workflow(rt, flows.NS, describe)).pending_activities[0]
    for progress in ("10%", "50%"):
        beat = api.HeartbeatActivityTaskRequest(task_token=activity.task_token, details=payloads(progress, 2))
        sent = rt.clock.now()
        await workers.heartbeat_activity_task(rt, flows.NS, beat)
    running = (await workflows.describe_workflow(rt, flows.NS, describe)).pending_activities[0]
    failed = api.FailActivityTaskRequest(task_token=activity.task_token, failure=Failure(message="flaky"))
    await workers.fail_activity_task(rt, flows.NS, failed)
    backing_off = (await workflows.describe_workflow(rt, flows.NS, describe)).pending_activities[0]

    assert (before.heartbeat_details, before.last_heartbeat_time) == ([], None)
    assert running.heartbeat_details == payloads("50%", 2)
    assert running.last_heartbeat_time is not None
    assert sent <= running.last_heartbeat_time <= rt.clock.now()
    # The next attempt starts from the last progress, so describe goes on showing it.
    assert (backing_off.state, backing_off.heartbeat_details) == ("BACKOFF", payloads("50%", 2))
    assert backing_off.last_heartbeat_time == running.last_heartbeat_time


async def _signal_task(rt: runner.Runtime) -> api.WorkflowTask:
    # A signal gives the workflow a task in which to request the cancel.
    await workflows.signal_workflow(rt, flows.NS, api.SignalWorkflowRequest(workflow_id="wf-1", signal_name="stop"))
    return await flows.workflow_task(rt)


async def test_a_forced_new_workflow_task_comes_back_started_and_is_never_offered_to_a_poll(
    rt: runner.Runtime,
) -> None:
    run = await flows.start(rt)
    held = await flows.workflow_task(rt)
    request = api.CompleteWorkflowTaskRequest(
        task_token=held.task_token, commands=[flows.schedule("a1")], force_new_workflow_task=True
    )
    answer = await workers.complete_workflow_task(rt, flows.NS, request)
    task = answer.workflow_task
    assert task is not None
    assert [e.attributes.type for e in task.history] == [
        "WorkflowTaskCompleted",
        "ActivityTaskScheduled",
        "WorkflowTaskScheduled",
        "WorkflowTaskStarted",
    ]
    assert task.first_event_id == 4
    # Held by the worker that forced it: no poll gets it, and its token completes it.
    assert await workers.poll_workflow_task(rt, flows.NS, flows.request(wait=0)) is None
    await flows.answer(rt, task, cmd.CompleteWorkflowExecution())
    assert (await flows.event_types(rt, run.run_id))[-2:] == ["WorkflowTaskCompleted", "WorkflowExecutionCompleted"]
    # The old token no longer holds a task.
    with pytest.raises(errors.TaskNotFound):
        await workers.complete_workflow_task(rt, flows.NS, request)
