"""Driving the engine's services like a worker would, for the database tests."""

from __future__ import annotations

from typing import Any

from legato.api.command import v1 as cmd
from legato.api.history import v1 as wire
from legato.api.workflowservice import v1 as api
from legato_operator.engine.services import runner, workers, workflows
from legato_operator.store import history

NS = "default"
QUEUE = "orders"


async def start(rt: runner.Runtime, workflow_id: str = "wf-1", **kw: Any) -> api.StartWorkflowResponse:
    request = api.StartWorkflowRequest(workflow_id=workflow_id, workflow_type="Orders", task_queue=QUEUE, **kw)
    return await workflows.start_workflow(rt, NS, request)


def request(wait: float = 2.0) -> api.PollRequest:
    return api.PollRequest(task_queue=QUEUE, wait=wait)


async def workflow_task(rt: runner.Runtime, wait: float = 2.0) -> api.WorkflowTask:
    task = await workers.poll_workflow_task(rt, NS, request(wait))
    assert task is not None, "no workflow task came"
    return task


async def answer(rt: runner.Runtime, task: api.WorkflowTask, *commands: cmd.Command) -> None:
    await workers.complete_workflow_task(
        rt, NS, api.CompleteWorkflowTaskRequest(task_token=task.task_token, commands=list(commands))
    )


async def activity_task(rt: runner.Runtime, wait: float = 2.0) -> api.ActivityTask:
    task = await workers.poll_activity_task(rt, NS, request(wait))
    assert task is not None, "no activity task came"
    return task


def schedule(activity_id: str = "a1", **kw: Any) -> cmd.ScheduleActivityTask:
    options: dict[str, Any] = {"start_to_close_timeout": 5.0, **kw}
    return cmd.ScheduleActivityTask(activity_id=activity_id, activity_type="charge", **options)


async def events(rt: runner.Runtime, run_id: str) -> list[wire.HistoryEvent]:
    async with rt.pool.acquire() as conn:
        return await history.read(conn, run_id, first_event_id=1)


async def event_types(rt: runner.Runtime, run_id: str) -> list[str]:
    return [e.attributes.type for e in await events(rt, run_id)]
