"""Answers for an activity named by (workflow id, run id, activity id) instead of a task token.

This is how a client completes an activity asynchronously without the token (temporalio's
``get_async_activity_handle(workflow_id=, run_id=, activity_id=)``). The ids name the
activity's current attempt, which must be running (started by a worker's poll); the answer
then goes through the same path as one with that attempt's token, so a late or repeated
answer is refused just the same and the attempt's timeouts still apply.
"""

from __future__ import annotations

from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.rules import tokens
from legato_operator.engine.services import runner, workers, workflows
from legato_operator.store import rows, tasks


async def _current_token(rt: runner.Runtime, namespace: str, request: api.ActivityByIdRequest) -> str:
    async with rt.pool.acquire() as conn:
        ex = await workflows.resolve(conn, namespace, request.workflow_id, request.run_id)
        pending = await tasks.for_run(conn, ex.run_id, rows.TaskKind.ACTIVITY)
    task = next((t for t in pending if t.info.get("activity_id") == request.activity_id), None)
    if task is None or task.state != rows.TaskState.STARTED:
        state = "is not pending" if task is None else "is not running (waiting for a worker or a retry)"
        raise errors.NotFound(
            f"Activity '{request.activity_id}' of workflow '{request.workflow_id}' run {ex.run_id} {state}",
            workflow_id=request.workflow_id,
            run_id=ex.run_id,
        )
    return tokens.encode(tokens.ActivityTaskToken(task.run_id, task.scheduled_event_id, task.attempt))


async def complete_activity_by_id(rt: runner.Runtime, namespace: str, request: api.CompleteActivityByIdRequest) -> None:
    """Record the result of the activity's current attempt."""
    token = await _current_token(rt, namespace, request)
    answer = api.CompleteActivityTaskRequest(task_token=token, result=request.result, identity=request.identity)
    await workers.complete_activity_task(rt, namespace, answer)


async def fail_activity_by_id(rt: runner.Runtime, namespace: str, request: api.FailActivityByIdRequest) -> None:
    """Fail the activity's current attempt (retried per its policy)."""
    token = await _current_token(rt, namespace, request)
    answer = api.FailActivityTaskRequest(task_token=token, failure=request.failure, identity=request.identity)
    await workers.fail_activity_task(rt, namespace, answer)


async def heartbeat_activity_by_id(
    rt: runner.Runtime, namespace: str, request: api.HeartbeatActivityByIdRequest
) -> api.HeartbeatActivityTaskResponse:
    """Heartbeat the activity's current attempt; says whether a cancel was requested."""
    token = await _current_token(rt, namespace, request)
    beat = api.HeartbeatActivityTaskRequest(task_token=token, details=request.details)
    return await workers.heartbeat_activity_task(rt, namespace, beat)


async def report_activity_canceled_by_id(
    rt: runner.Runtime, namespace: str, request: api.ReportActivityCanceledByIdRequest
) -> None:
    """Record the activity canceled."""
    token = await _current_token(rt, namespace, request)
    answer = api.ReportActivityTaskCanceledRequest(task_token=token, details=request.details, identity=request.identity)
    await workers.report_activity_task_canceled(rt, namespace, answer)
