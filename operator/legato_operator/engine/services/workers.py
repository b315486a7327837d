"""What workers call: long polls for tasks, task completions and failures, heartbeats.

A poll waits on the hub for its queue's key (woken by this process's commits and by
NOTIFY from other replicas) and re-checks the database at least every few seconds; it
never sleeps in a loop. Each completion is one transaction that first checks the task
token still holds the task, so a late or repeated answer changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from legato.api.common.v1 import Failure
from legato.api.workflowservice import v1 as api
from legato_operator import errors, metrics
from legato_operator.engine.rules import activities, batch, commands, eager, keys, tokens, workflow_tasks
from legato_operator.engine.services import (
    handing,
    namespaces,
    queries,
    runner,
    set_aside,
    task_queues,
    updates,
    wakeup,
    writer,
)
from legato_operator.store import db, executions, history, rows, tasks, timers

T = TypeVar("T")
# A waiting poll re-checks the database at least this often, in case a wake-up was lost.
RECHECK_SECONDS = 5.0


async def _long_poll(
    rt: runner.Runtime,
    namespace: str,
    kind: rows.TaskKind,
    request: api.PollRequest,
    attempt: Callable[[], Awaitable[tuple[T, bool] | None]],
) -> T | None:
    loop = asyncio.get_running_loop()
    deadline, task_queue = loop.time() + request.wait, request.task_queue
    key = keys.task_key(namespace, task_queue, kind)
    # A poll right after another took the last ready task waits at once: nothing can be
    # there unless the key was woken since (a worker polls again after every task).
    look = not rt.hub.known_empty(key)
    while True:
        # Refreshed every round, so a poller waiting long still counts as present.
        await task_queues.record_poll(rt, namespace, task_queue, kind, request.identity)
        # Watch before trying: a task made ready between the try and the wait wakes us.
        with rt.hub.polling(key, request.identity) as poller:
            mark = rt.hub.mark(key)
            got = await attempt() if look else None
            look = True
            if got is not None:
                task, more = got
                await task_queues.record_claim(rt, namespace, task_queue)
                # Pass the baton when another task was ready too (one wake-up may stand for
                # several tasks); a task made ready later wakes a poller by its own commit.
                if more:
                    rt.hub.wake(key)
                else:
                    rt.hub.seen_empty(key, mark)
                return task
            rt.hub.seen_empty(key, mark)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            handed = await _wait(poller, min(remaining, RECHECK_SECONDS))
            if handed is not None:
                await task_queues.record_claim(rt, namespace, task_queue)
                # Only what this poll's attempt() returns is ever handed to its key's pollers.
                return cast(T, handed)


async def _wait(poller: wakeup.Poller, timeout: float) -> object | None:  # noqa: ASYNC109 - a deadline, not a cancel scope
    """Wait for a wake or a task handed to this poll (`handing`); the task, if one came."""
    poller.idle = True
    try:
        if not await wakeup.wait(poller.woken, timeout) and poller.reserved:
            # A transaction is handing this poll a task: it delivers or releases at its end.
            await asyncio.shield(poller.woken)
    finally:
        poller.idle = False
    return poller.task


def _observe_wait(task: rows.Task, rt: runner.Runtime) -> None:
    waited = (rt.clock.now() - task.visible_at).total_seconds()
    metrics.TASK_SCHEDULE_TO_START.labels(task.kind.value).observe(max(waited, 0.0))


async def poll_workflow_task(rt: runner.Runtime, namespace: str, request: api.PollRequest) -> api.WorkflowTask | None:
    """The next workflow task of the queue, with the events the worker lacks; None after ``wait``."""
    return await _long_poll(
        rt,
        namespace,
        rows.TaskKind.WORKFLOW,
        request,
        lambda: _take_query_or_workflow_task(rt, namespace, request.task_queue, request.identity),
    )


async def _take_query_or_workflow_task(
    rt: runner.Runtime, namespace: str, task_queue: str, identity: str
) -> tuple[api.WorkflowTask, bool] | None:
    # One transaction looks for all three. A query waits on its asker's request, so it goes
    # first; an update waits on its caller too, and is validated from the run's state like
    # a query; another poller is woken for whatever else is ready.
    async def change(tx: runner.Tx, claim: _Claim) -> tuple[api.WorkflowTask, bool] | None:
        waiting = await queries.take(tx, rt, namespace, task_queue) or await updates.take(tx, rt, namespace, task_queue)
        if waiting is not None:
            return waiting, True
        return await _start_workflow_task(tx, claim, rt, namespace, task_queue, identity)

    return await _taking(rt, "poll_workflow_task", change)


@dataclass
class _Claim:
    """The task a claim took, kept across the rollback of a transaction that failed with it."""

    task: rows.Task | None = None


async def _taking(
    rt: runner.Runtime, operation: str, change: Callable[[runner.Tx, _Claim], Awaitable[T | None]]
) -> T | None:
    """Run a claiming change; a task whose processing fails is set aside and the next one taken."""
    while True:
        claim = _Claim()
        try:
            return await rt.run(operation, functools.partial(_with_claim, change, claim))
        except Exception as e:
            if claim.task is None or not set_aside.is_poison(e):
                raise
            await set_aside.task(rt, claim.task, e)


def _with_claim(
    change: Callable[[runner.Tx, _Claim], Awaitable[T | None]], claim: _Claim, tx: runner.Tx
) -> Awaitable[T | None]:
    return change(tx, claim)


async def _start_workflow_task(
    tx: runner.Tx, claim: _Claim, rt: runner.Runtime, namespace: str, task_queue: str, identity: str
) -> tuple[api.WorkflowTask, bool] | None:
    claimed = await _claim_current(tx, claim, namespace, task_queue, identity, rt.clock.now())
    if claimed is None:
        return None
    task, more, b = claimed
    await writer.write(tx, b)
    _observe_wait(task, rt)
    return await handing.wire_task(tx, b.execution, task, identity), more


async def _claim_current(
    tx: runner.Tx, claim: _Claim, namespace: str, task_queue: str, identity: str, now: datetime
) -> tuple[rows.Task, bool, batch.Batch] | None:
    """Claim the queue's next workflow task that its run still expects, and start it
    (and whether another task was ready too)."""
    while True:
        claimed = await tasks.claim(tx.conn, namespace, task_queue, rows.TaskKind.WORKFLOW, now)
        if claimed is None:
            return None
        task, more = claimed
        claim.task = task
        ex = await executions.load(tx.conn, task.run_id, lock=True)
        b = None if ex is None else workflow_tasks.start(ex, task, identity, now)
        if b is not None:
            return task, more, b
        # A leftover of a run that closed or moved on: drop it and look further.
        await tasks.delete(tx.conn, task.run_id, [task.scheduled_event_id])


async def _held_workflow_task(conn: db.Connection, namespace: str, token: tokens.WorkflowTaskToken) -> rows.Execution:
    ex = await executions.load(conn, token.run_id, lock=True)
    if ex is not None and ex.namespace != namespace:
        ex = None
    return workflow_tasks.check_token(ex, token)


async def _context(conn: db.Connection, ex: rows.Execution, command_list: list[Any]) -> commands.Context:
    # Read only what the commands need: most completions need nothing beyond the row.
    ctx = commands.Context(execution=ex, buffered=await history.buffered(conn, ex))
    if workflow_tasks.is_transient(ex):
        ctx.workflow_task = await tasks.get(conn, ex.run_id, batch.TRANSIENT)
    if any(isinstance(c, commands.NEEDS_TIMERS) for c in command_list):
        ctx.user_timers = await timers.user_timers(conn, ex.run_id)
    if any(isinstance(c, commands.NEEDS_ACTIVITIES) for c in command_list):
        ctx.activities = {t.scheduled_event_id: t for t in await tasks.for_run(conn, ex.run_id, rows.TaskKind.ACTIVITY)}
    # Chains of runs: continue-as-new and a failure's retry start from the run's start.
    if any(isinstance(c, commands.NEEDS_STARTED) for c in command_list) or (
        ex.cron_schedule and any(commands.is_close(c) for c in command_list)
    ):
        ctx.started = await history.started(conn, ex.run_id)
    if any(commands.sets_search_attributes(c) for c in command_list):
        ctx.search_attribute_types = await namespaces.registered(conn, ex.namespace)
    return ctx


async def complete_workflow_task(
    rt: runner.Runtime, namespace: str, request: api.CompleteWorkflowTaskRequest
) -> api.CompleteWorkflowTaskResponse:
    """Apply the commands of a workflow task; TaskNotFound if the token no longer holds it.
    A forced new task comes back started, with the events since this one."""
    token = tokens.decode_workflow(request.task_token)

    async def change(tx: runner.Tx) -> api.CompleteWorkflowTaskResponse:
        ex = await _held_workflow_task(tx.conn, namespace, token)
        ctx = await _context(tx.conn, ex, request.commands)
        force = request.force_new_workflow_task
        b = workflow_tasks.complete(ctx, request.commands, request.identity, rt.clock.now(), force_new=force)
        eager_activities = eager.start_activities(b, request.commands)
        await writer.write(tx, b)
        await updates.record_completions(tx, b)
        await queries.wake_waiting(tx, ex)
        handed = [activities.to_wire(t) for t in eager_activities]
        forced = await handing.wire_task(tx, b.execution, None, request.identity) if force and not b.closed else None
        return api.CompleteWorkflowTaskResponse(workflow_task=forced, activity_tasks=handed)

    return await rt.run("complete_workflow_task", change)


async def fail_workflow_task(rt: runner.Runtime, namespace: str, request: api.FailWorkflowTaskRequest) -> None:
    """Record a failed workflow task (e.g. nondeterminism) and retry it after a backoff."""
    token = tokens.decode_workflow(request.task_token)

    async def change(tx: runner.Tx) -> None:
        ex = await _held_workflow_task(tx.conn, namespace, token)
        ctx = commands.Context(execution=ex, buffered=await history.buffered(tx.conn, ex))
        b = workflow_tasks.fail(ctx, request.cause, request.failure, request.identity, rt.clock.now())
        await writer.write(tx, b)

    await rt.run("fail_workflow_task", change)


async def workflow_task_too_large(
    rt: runner.Runtime, namespace: str, request: api.CompleteWorkflowTaskRequest, error: errors.PayloadTooLarge
) -> api.CompleteWorkflowTaskResponse:
    """A completion with a payload over the limit fails its workflow task with the command's
    cause and a message naming the field, size and limit (retried, as any failed task)."""
    problem = commands.too_large(request.commands, error.field, error.message)
    failure = Failure(message=problem.message, type=problem.cause, source="server")
    refused = api.FailWorkflowTaskRequest(
        task_token=request.task_token, cause=problem.cause, failure=failure, identity=request.identity
    )
    await fail_workflow_task(rt, namespace, refused)
    return api.CompleteWorkflowTaskResponse()


async def poll_activity_task(rt: runner.Runtime, namespace: str, request: api.PollRequest) -> api.ActivityTask | None:
    """The next activity task of the queue; None after ``wait``. Writes no history event."""
    return await _long_poll(
        rt,
        namespace,
        rows.TaskKind.ACTIVITY,
        request,
        lambda: _take_activity_task(rt, namespace, request.task_queue),
    )


async def _take_activity_task(
    rt: runner.Runtime, namespace: str, task_queue: str
) -> tuple[api.ActivityTask, bool] | None:
    async def change(tx: runner.Tx, claim: _Claim) -> tuple[api.ActivityTask, bool] | None:
        now = rt.clock.now()
        claimed = await tasks.claim(tx.conn, namespace, task_queue, rows.TaskKind.ACTIVITY, now)
        if claimed is None:
            return None
        task, more = claimed
        claim.task = task
        armed = activities.attempt_timers(task, now)
        await timers.insert(tx.conn, armed)
        await tx.notify(writer.timer_wakeups(armed, now))
        _observe_wait(task, rt)
        return activities.to_wire(task), more

    return await _taking(rt, "poll_activity_task", change)


async def _held_activity(
    conn: db.Connection, namespace: str, token: tokens.ActivityTaskToken
) -> tuple[rows.Execution, rows.Task]:
    # The run first, then the task: every writer locks in this order.
    ex = await executions.load(conn, token.run_id, lock=True)
    task = None if ex is None else await tasks.get(conn, token.run_id, token.scheduled_event_id, lock=True)
    holds = task is not None and task.state == rows.TaskState.STARTED and task.attempt == token.attempt
    if ex is None or ex.namespace != namespace or task is None or not holds:
        raise activities.not_held(token)
    return ex, task


async def complete_activity_task(
    rt: runner.Runtime, namespace: str, request: api.CompleteActivityTaskRequest
) -> api.CompleteActivityTaskResponse:
    """Record the activity's result, once; TaskNotFound for an attempt that no longer holds it.
    The run's next workflow task comes back started when the worker asked for it."""
    token = tokens.decode_activity(request.task_token)

    async def change(tx: runner.Tx) -> api.CompleteActivityTaskResponse:
        ex, task = await _held_activity(tx.conn, namespace, token)
        b = activities.completed(ex, task, request.result, request.identity, rt.clock.now())
        # Only a worker of the run's own queue may take its workflow task.
        wanted = request.request_workflow_task and task.task_queue == ex.task_queue
        handed = wanted and eager.hand_over_workflow_task(b, request.identity)
        await writer.write(tx, b)
        if not handed:
            return api.CompleteActivityTaskResponse()
        return api.CompleteActivityTaskResponse(
            workflow_task=await handing.wire_task(tx, b.execution, None, request.identity)
        )

    return await rt.run("complete_activity_task", change)


async def fail_activity_task(rt: runner.Runtime, namespace: str, request: api.FailActivityTaskRequest) -> None:
    """Retry the activity per its policy, or record its failure."""
    token = tokens.decode_activity(request.task_token)

    async def change(tx: runner.Tx) -> None:
        ex, task = await _held_activity(tx.conn, namespace, token)
        await writer.write(tx, activities.failed(ex, task, request.failure, request.identity, rt.clock.now()))

    await rt.run("fail_activity_task", change)


async def report_activity_task_canceled(
    rt: runner.Runtime, namespace: str, request: api.ReportActivityTaskCanceledRequest
) -> None:
    """Record the activity canceled, once; TaskNotFound for an attempt that no longer holds it."""
    token = tokens.decode_activity(request.task_token)

    async def change(tx: runner.Tx) -> None:
        ex, task = await _held_activity(tx.conn, namespace, token)
        b = activities.canceled(ex, task, list(request.details), request.identity, rt.clock.now())
        await writer.write(tx, b)

    await rt.run("report_activity_task_canceled", change)


async def activity_result_too_large(
    rt: runner.Runtime, namespace: str, request: api.CompleteActivityTaskRequest, error: errors.PayloadTooLarge
) -> api.CompleteActivityTaskResponse:
    """A result the server cannot record fails the activity for good, as in Temporal: the
    workflow sees the ActivityError once, instead of the activity running again and again."""
    failure = activities.too_large("Complete result", error, non_retryable=True)
    await _fail_instead(rt, namespace, request.task_token, failure, request.identity)
    return api.CompleteActivityTaskResponse()


async def activity_failure_too_large(
    rt: runner.Runtime, namespace: str, request: api.FailActivityTaskRequest, error: errors.PayloadTooLarge
) -> None:
    """A failure too large to record is recorded without its payloads, as retryable as it was."""
    reported = request.failure
    failure = activities.too_large(
        "Failure", error, non_retryable=reported.non_retryable, type=reported.type
    ).model_copy(update={"message": f"{reported.message[:1000]} (failure exceeds size limit: {error.message})"})
    await _fail_instead(rt, namespace, request.task_token, failure, request.identity)


async def heartbeat_too_large(
    rt: runner.Runtime, namespace: str, request: api.HeartbeatActivityTaskRequest, error: errors.PayloadTooLarge
) -> api.HeartbeatActivityTaskResponse:
    """Heartbeat details too large to record fail the activity for good; the answer asks the
    worker to cancel it."""
    failure = activities.too_large("Heartbeat details", error, non_retryable=True)
    await _fail_instead(rt, namespace, request.task_token, failure, "")
    return api.HeartbeatActivityTaskResponse(cancel_requested=True)


async def _fail_instead(rt: runner.Runtime, namespace: str, token: str, failure: Failure, identity: str) -> None:
    refused = api.FailActivityTaskRequest(task_token=token, failure=failure, identity=identity)
    await fail_activity_task(rt, namespace, refused)


async def heartbeat_activity_task(
    rt: runner.Runtime, namespace: str, request: api.HeartbeatActivityTaskRequest
) -> api.HeartbeatActivityTaskResponse:
    """Record progress and push the heartbeat timeout on; says whether a cancel was requested."""
    token = tokens.decode_activity(request.task_token)
    details = [p.model_dump(mode="json") for p in request.details]

    async def change(tx: runner.Tx) -> api.HeartbeatActivityTaskResponse:
        now = rt.clock.now()
        task = await tasks.heartbeat(tx.conn, token.run_id, token.scheduled_event_id, token.attempt, details, now)
        if task is None or task.namespace != namespace:
            raise activities.not_held(token)
        for timer in activities.attempt_timers(task, now):
            if timer.kind == rows.TimerKind.ACTIVITY_HEARTBEAT:
                await timers.extend(tx.conn, task.run_id, timer.kind, task.scheduled_event_id, timer.due_at)
        return api.HeartbeatActivityTaskResponse(cancel_requested=task.cancel_requested)

    return await rt.run("heartbeat_activity_task", change)


async def describe_task_queue(
    rt: runner.Runtime, namespace: str, request: api.DescribeTaskQueueRequest
) -> api.TaskQueueBacklog:
    """Tasks of the queue waiting and running, the age of the oldest, and its pollers (all replicas')."""
    return (await task_queues.load(rt, namespace, request.task_queue)).to_wire()
