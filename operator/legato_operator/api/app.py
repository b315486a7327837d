"""The aiohttp application: routes, the error mapping, health, readiness, metrics, OpenAPI, the UI."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from legato.api.workflowservice import v1 as api
from legato_operator import errors, metrics
from legato_operator.api import auth, edge, http_metrics, openapi, routes, ui
from legato_operator.engine.services import gauges, runner
from legato_operator.store import db

log = logging.getLogger(__name__)

VERSION = "0.1.0"
_STATUS: list[tuple[type[errors.OperatorError], int]] = [
    (errors.NotFound, 404),
    (errors.AlreadyExists, 409),
    (errors.AlreadyStarted, 409),
    (errors.Conflict, 409),
    (errors.InvalidArgument, 400),
    (errors.PermissionDenied, 403),
    (errors.PayloadTooLarge, 413),
    (errors.FailedPrecondition, 412),
    (errors.TaskNotFound, 410),
    (errors.QueryTimeout, 504),
    (errors.Unavailable, 503),
]
# What every call that could not reach the database answers.
_UNAVAILABLE = errors.Unavailable("The database is unreachable right now; retry shortly")


def status_of(error: errors.OperatorError) -> int:
    """The HTTP status of an error of the tree."""
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def error_body(error: errors.OperatorError) -> api.ErrorBody:
    """The ErrorBody of an error of the tree, with its structured attributes."""
    return api.ErrorBody(
        error=error.code,
        message=error.message,
        field=getattr(error, "field", None),
        workflow_id=getattr(error, "workflow_id", None),
        run_id=getattr(error, "run_id", None),
    )


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.OperatorError as e:
        return error_response(e)
    # aiohttp's own refusals (unknown path, body over client_max_size) get an ErrorBody too.
    except web.HTTPException as e:
        if e.status < 400:
            raise
        body = api.ErrorBody(error=type(e).__name__, message=e.text or e.reason)
        return edge.json_response(body, status=e.status)
    # An outage, not a bug: logged once for all the calls it fails, and the caller retries.
    except Exception as e:
        if not db.is_unavailable(e):
            log.exception("Unexpected error in %s %s", request.method, request.path)
            return edge.json_response(api.ErrorBody(error="Internal", message="Internal server error"), status=500)
        request.app[routes.RUNTIME].outage.failed(e, f"{request.method} {request.path}")
        return error_response(_UNAVAILABLE)


def error_response(error: errors.OperatorError) -> web.Response:
    """The answer to an error of the tree; ``Retry-After`` says when to retry an Unavailable."""
    response = edge.json_response(error_body(error), status=status_of(error))
    if isinstance(error, errors.Unavailable):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def create(rt: runner.Runtime, authenticator: auth.Authenticator | None = None) -> web.Application:
    """The application for one process; ``authenticator`` None serves everyone (dev mode)."""
    # Authentication runs inside the error mapping and before every handler, so a refused
    # call has changed nothing; the metrics outside both, so they count the status sent.
    middlewares: list[auth.Middleware] = [http_metrics.middleware, _errors]
    if authenticator is not None:
        middlewares.append(auth.middleware(authenticator))
    # A single payload over the limit is refused by Limits.check_payloads, naming its field.
    app = web.Application(middlewares=middlewares, client_max_size=rt.limits.max_request_bytes)
    app[routes.RUNTIME] = rt
    metrics.STORE_AVAILABLE.set_function(lambda: 0.0 if rt.outage.down else 1.0)
    routes.add_to(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/openapi.json", openapi_endpoint)
    ui.add_to(app)
    return app


async def healthz(_request: web.Request) -> web.Response:
    """The process is alive (it answers)."""
    return web.json_response({"ok": True})


async def readyz(request: web.Request) -> web.Response:
    """The database answers and has every migration this server needs."""
    rt = request.app[routes.RUNTIME]
    try:
        missing = await gauges.pending_migrations(rt)
    except Exception as e:
        if db.is_unavailable(e):
            rt.outage.failed(e, "/readyz")
        return web.json_response({"ok": False, "reason": f"database unreachable: {e}"}, status=503)
    if missing:
        return web.json_response({"ok": False, "reason": f"migrations not applied: {missing}"}, status=503)
    return web.json_response({"ok": True})


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus metrics; the backlog and due-timer gauges are refreshed from the database.

    While the database is unreachable the scrape still answers, with ``legato_store_available``
    0 and without the backlog, running and poller gauges (the due-timer one keeps its last
    value), so that an outage shows as one instead of as a replica that stopped answering.
    """
    rt = request.app[routes.RUNTIME]
    try:
        await gauges.refresh(rt)
    except Exception as e:
        if not db.is_unavailable(e):
            raise
        rt.outage.failed(e, "/metrics")
        for gauge in (metrics.TASK_BACKLOG, metrics.TASKS_RUNNING, metrics.TASK_QUEUE_POLLERS):
            gauge.clear()
    response = web.Response(body=generate_latest(metrics.REGISTRY))
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response


async def openapi_endpoint(_request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document."""
    return web.json_response(openapi.document(VERSION))
