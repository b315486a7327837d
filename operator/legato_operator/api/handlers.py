"""Route handlers: parse the input, call one engine function, answer with a wire model.

Long polls answer ``204 No Content`` when nothing came within the wait.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from legato.api import service as api
from legato_operator.api import bodies
from legato_operator.engine import runtime, workers, workflows


@dataclass(frozen=True)
class Settings:
    """What the API needs beyond the engine runtime."""

    max_payload_bytes: int = bodies.DEFAULT_MAX_PAYLOAD_BYTES


RUNTIME = web.AppKey("runtime", runtime.Runtime)
SETTINGS = web.AppKey("settings", Settings)

NO_CONTENT = 204
DEFAULT_RESULT_WAIT = 0.0
MAX_WAIT = 120.0


def _rt(request: web.Request) -> runtime.Runtime:
    return request.app[RUNTIME]


async def _body(request: web.Request, model: type[bodies.M]) -> bodies.M:
    return await bodies.parse(request, model, request.app[SETTINGS].max_payload_bytes)


def _ns(request: web.Request) -> str:
    return bodies.path_name(request, "namespace")


def _wf(request: web.Request) -> str:
    return bodies.path_name(request, "workflow_id")


def _ok() -> web.Response:
    return bodies.json_response(api.Ack())


async def start_workflow(request: web.Request) -> web.Response:
    """Start a run (idempotent on the workflow id, per the request's policies)."""
    body = await _body(request, api.StartWorkflowRequest)
    return bodies.json_response(await workflows.start_workflow(_rt(request), _ns(request), body))


async def describe_workflow(request: web.Request) -> web.Response:
    """A run's status, outcome and pending activities."""
    run_id = bodies.query_str(request, "run_id")
    return bodies.json_response(await workflows.describe(_rt(request), _ns(request), _wf(request), run_id))


async def workflow_result(request: web.Request) -> web.StreamResponse:
    """A closed run's outcome; waits up to ``wait`` seconds for it to close, then 204."""
    run_id = bodies.query_str(request, "run_id")
    wait = bodies.query_number(request, "wait", DEFAULT_RESULT_WAIT, low=0, high=MAX_WAIT)
    outcome = await workflows.result(_rt(request), _ns(request), _wf(request), run_id, wait)
    return web.Response(status=NO_CONTENT) if outcome is None else bodies.json_response(outcome)


async def workflow_history(request: web.Request) -> web.Response:
    """One page of a run's history."""
    run_id = bodies.query_str(request, "run_id")
    token = bodies.query_str(request, "page_token")
    size = int(bodies.query_number(request, "page_size", workflows.MAX_PAGE_SIZE, low=1, high=workflows.MAX_PAGE_SIZE))
    page = await workflows.history_page(_rt(request), _ns(request), _wf(request), run_id, token, size)
    return bodies.json_response(page)


async def signal_workflow(request: web.Request) -> web.Response:
    """Deliver a signal to the run."""
    body = await _body(request, api.SignalWorkflowRequest)
    await workflows.signal(_rt(request), _ns(request), _wf(request), body)
    return _ok()


async def cancel_workflow(request: web.Request) -> web.Response:
    """Ask the run to cancel."""
    body = await _body(request, api.CancelWorkflowRequest)
    await workflows.request_cancel(_rt(request), _ns(request), _wf(request), body)
    return _ok()


async def terminate_workflow(request: web.Request) -> web.Response:
    """Close the run now."""
    body = await _body(request, api.TerminateWorkflowRequest)
    await workflows.terminate(_rt(request), _ns(request), _wf(request), body)
    return _ok()


async def poll_workflow_task(request: web.Request) -> web.StreamResponse:
    """Long-poll a workflow task; 204 when none came within ``wait``."""
    body = await _body(request, api.PollRequest)
    queue = bodies.path_name(request, "task_queue")
    task = await workers.poll_workflow_task(_rt(request), _ns(request), queue, body)
    return web.Response(status=NO_CONTENT) if task is None else bodies.json_response(task)


async def complete_workflow_task(request: web.Request) -> web.Response:
    """Apply a workflow task's commands."""
    body = await _body(request, api.CompleteWorkflowTaskRequest)
    await workers.complete_workflow_task(_rt(request), _ns(request), body)
    return _ok()


async def fail_workflow_task(request: web.Request) -> web.Response:
    """Record a failed workflow task; it is retried."""
    body = await _body(request, api.FailWorkflowTaskRequest)
    await workers.fail_workflow_task(_rt(request), _ns(request), body)
    return _ok()


async def poll_activity_task(request: web.Request) -> web.StreamResponse:
    """Long-poll an activity task; 204 when none came within ``wait``."""
    body = await _body(request, api.PollRequest)
    queue = bodies.path_name(request, "task_queue")
    task = await workers.poll_activity_task(_rt(request), _ns(request), queue, body)
    return web.Response(status=NO_CONTENT) if task is None else bodies.json_response(task)


async def complete_activity_task(request: web.Request) -> web.Response:
    """Record an activity's result."""
    body = await _body(request, api.CompleteActivityTaskRequest)
    await workers.complete_activity_task(_rt(request), _ns(request), body)
    return _ok()


async def fail_activity_task(request: web.Request) -> web.Response:
    """Record an activity attempt's failure; the server retries per the policy."""
    body = await _body(request, api.FailActivityTaskRequest)
    await workers.fail_activity_task(_rt(request), _ns(request), body)
    return _ok()


async def heartbeat_activity_task(request: web.Request) -> web.Response:
    """Record an activity's progress; answers whether a cancel was requested."""
    body = await _body(request, api.HeartbeatActivityTaskRequest)
    return bodies.json_response(await workers.heartbeat_activity_task(_rt(request), _ns(request), body))


async def describe_task_queue(request: web.Request) -> web.Response:
    """A queue's backlog and pollers."""
    queue = bodies.path_name(request, "task_queue")
    return bodies.json_response(await workers.describe_task_queue(_rt(request), _ns(request), queue))
