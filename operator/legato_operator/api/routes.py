"""Every operation of ``legato.api.operations`` bound to the one engine function that serves it.

One generic adapter serves them all: it parses the request by the operation's
declaration (``edge.parse``), calls the engine function with the runtime, the namespace
and the request, and answers with the response model, ``Ack`` for an operation that
answers nothing, or ``204`` for a long poll that came back empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from legato.api import operations as ops
from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.api import access, auth, edge
from legato_operator.engine.services import (
    activities_by_id,
    deletion,
    namespaces,
    queries,
    runner,
    schedules,
    time_skipping,
    updates,
    visibility,
    workers,
    workflows,
)

RUNTIME = web.AppKey("runtime", runner.Runtime)
NO_CONTENT = 204

Serve = Callable[[runner.Runtime, str, Any], Awaitable[BaseModel | None]]
TooLarge = Callable[[runner.Runtime, str, Any, errors.PayloadTooLarge], Awaitable[BaseModel | None]]


@dataclass(frozen=True)
class Route:
    """An operation and the engine function that serves it.

    ``too_large`` serves a request whose payload is over the limit, where refusing it
    would only make the caller try again forever: a worker's answer with a result the
    server cannot record fails the task instead, with a cause the user can read.
    """

    operation: ops.Operation[Any, Any]
    serve: Serve
    too_large: TooLarge | None = None
    # The call registers its namespace, so it need not be registered already.
    registers: bool = False

    def handler(self) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """The aiohttp handler of this route."""
        op = self.operation

        async def handle(request: web.Request) -> web.StreamResponse:
            rt = request.app[RUNTIME]
            namespace = await self._namespace(rt, request)
            answer = await self._serve(rt, namespace, await edge.parse(request, op))
            if answer is not None:
                return edge.json_response(answer)
            return web.Response(status=NO_CONTENT) if op.may_be_empty else edge.json_response(api.Ack())

        handle.__name__ = op.name
        return handle

    async def _namespace(self, rt: runner.Runtime, request: web.Request) -> str:
        """The call's namespace, once the caller may make the call there and it exists."""
        namespace = edge.namespace(request) if self.operation.scoped else ""
        try:
            await auth.authorize(auth.principal(request), access.of(self.operation), namespace, self.operation.name)
        except auth.AuthUnavailable as e:
            raise errors.Unavailable(f"cannot check the caller's access now; try again shortly ({e})") from e
        if not self.operation.scoped:
            return ""
        if not self.registers:
            await namespaces.require(rt, namespace)
        return namespace

    async def _serve(self, rt: runner.Runtime, namespace: str, parsed: BaseModel) -> BaseModel | None:
        try:
            rt.limits.check_payloads(parsed)
        except errors.PayloadTooLarge as e:
            if self.too_large is None:
                raise
            return await self.too_large(rt, namespace, parsed, e)
        return await self.serve(rt, namespace, parsed)


def answers(
    op: ops.Operation[ops.Req, ops.Resp],
    serve: Callable[[runner.Runtime, str, ops.Req], Awaitable[ops.Resp]],
    *,
    too_large: Callable[[runner.Runtime, str, ops.Req, errors.PayloadTooLarge], Awaitable[ops.Resp]] | None = None,
    registers: bool = False,
) -> Route:
    """An operation whose engine function returns its answer."""
    return Route(op, serve, too_large, registers=registers)


def acks(
    op: ops.Operation[ops.Req, api.Ack],
    serve: Callable[[runner.Runtime, str, ops.Req], Awaitable[None]],
    *,
    too_large: Callable[[runner.Runtime, str, ops.Req, errors.PayloadTooLarge], Awaitable[None]] | None = None,
) -> Route:
    """An operation that answers ``Ack`` once its engine function returns."""
    return Route(op, serve, too_large)


def long_polls(
    op: ops.LongPoll[ops.PollReq, ops.Resp],
    serve: Callable[[runner.Runtime, str, ops.PollReq], Awaitable[ops.Resp | None]],
) -> Route:
    """A long poll: its engine function returns None when nothing came within the wait."""
    return Route(op, serve)


ROUTES: tuple[Route, ...] = (
    answers(ops.START_WORKFLOW, workflows.start_workflow),
    answers(ops.DESCRIBE_WORKFLOW, workflows.describe_workflow),
    long_polls(ops.WORKFLOW_RESULT, workflows.workflow_result),
    answers(ops.WORKFLOW_HISTORY, workflows.workflow_history),
    acks(ops.SIGNAL_WORKFLOW, workflows.signal_workflow),
    answers(ops.SIGNAL_WITH_START_WORKFLOW, workflows.signal_with_start_workflow),
    acks(ops.CANCEL_WORKFLOW, workflows.cancel_workflow),
    acks(ops.TERMINATE_WORKFLOW, workflows.terminate_workflow),
    acks(ops.DELETE_WORKFLOW, deletion.delete_workflow),
    long_polls(ops.POLL_WORKFLOW_TASK, workers.poll_workflow_task),
    answers(ops.COMPLETE_WORKFLOW_TASK, workers.complete_workflow_task, too_large=workers.workflow_task_too_large),
    acks(ops.FAIL_WORKFLOW_TASK, workers.fail_workflow_task),
    long_polls(ops.POLL_ACTIVITY_TASK, workers.poll_activity_task),
    answers(ops.COMPLETE_ACTIVITY_TASK, workers.complete_activity_task, too_large=workers.activity_result_too_large),
    acks(ops.FAIL_ACTIVITY_TASK, workers.fail_activity_task, too_large=workers.activity_failure_too_large),
    answers(ops.HEARTBEAT_ACTIVITY_TASK, workers.heartbeat_activity_task, too_large=workers.heartbeat_too_large),
    acks(ops.REPORT_ACTIVITY_TASK_CANCELED, workers.report_activity_task_canceled),
    acks(ops.COMPLETE_ACTIVITY_BY_ID, activities_by_id.complete_activity_by_id),
    acks(ops.FAIL_ACTIVITY_BY_ID, activities_by_id.fail_activity_by_id),
    answers(ops.HEARTBEAT_ACTIVITY_BY_ID, activities_by_id.heartbeat_activity_by_id),
    acks(ops.REPORT_ACTIVITY_CANCELED_BY_ID, activities_by_id.report_activity_canceled_by_id),
    answers(ops.DESCRIBE_TASK_QUEUE, workers.describe_task_queue),
    answers(ops.TASK_QUEUE_BACKLOG, workers.describe_task_queue),
    acks(ops.LOCK_TIME_SKIPPING, time_skipping.lock_time_skipping),
    acks(ops.UNLOCK_TIME_SKIPPING, time_skipping.unlock_time_skipping),
    long_polls(ops.SLEEP_UNTIL, time_skipping.sleep_until),
    answers(ops.GET_CURRENT_TIME, time_skipping.get_current_time),
    answers(ops.QUERY_WORKFLOW, queries.query_workflow),
    acks(ops.RESPOND_QUERY_TASK, queries.respond_query_task),
    answers(ops.LIST_WORKFLOWS, visibility.list_workflows),
    answers(ops.COUNT_WORKFLOWS, visibility.count_workflows),
    answers(ops.UPDATE_WORKFLOW, updates.update_workflow),
    answers(ops.UPDATE_WITH_START_WORKFLOW, updates.update_with_start_workflow),
    answers(ops.POLL_WORKFLOW_UPDATE, updates.poll_workflow_update),
    acks(ops.RESPOND_UPDATE_VALIDATION, updates.respond_update_validation),
    answers(ops.REGISTER_NAMESPACE, namespaces.register_namespace, registers=True),
    answers(ops.DESCRIBE_NAMESPACE, namespaces.describe_namespace),
    answers(ops.UPDATE_NAMESPACE, namespaces.update_namespace),
    answers(ops.LIST_NAMESPACES, namespaces.list_namespaces),
    acks(ops.ADD_SEARCH_ATTRIBUTES, namespaces.add_search_attributes),
    acks(ops.REMOVE_SEARCH_ATTRIBUTES, namespaces.remove_search_attributes),
    answers(ops.LIST_SEARCH_ATTRIBUTES, namespaces.list_search_attributes),
    answers(ops.CREATE_SCHEDULE, schedules.create_schedule),
    answers(ops.DESCRIBE_SCHEDULE, schedules.describe_schedule),
    acks(ops.UPDATE_SCHEDULE, schedules.update_schedule),
    acks(ops.PATCH_SCHEDULE, schedules.patch_schedule),
    acks(ops.DELETE_SCHEDULE, schedules.delete_schedule),
    answers(ops.LIST_SCHEDULES, schedules.list_schedules),
)


def add_to(app: web.Application) -> None:
    """Add every route to ``app``; fails if an operation has no route, or two."""
    bound = [route.operation for route in ROUTES]
    missing = [op.name for op in ops.OPERATIONS if bound.count(op) != 1]
    if missing or len(bound) != len(ops.OPERATIONS):
        raise RuntimeError(f"operations without exactly one route: {missing}")
    unjudged = [op.name for op in bound if op.name not in access.ACCESS]
    if unjudged:
        raise RuntimeError(f"operations without the access RBAC judges them by: {unjudged}")
    for route in ROUTES:
        app.router.add_route(route.operation.method, route.operation.path, route.handler())
