"""Counting and timing every HTTP call: ``legato_http_requests_total`` and its histogram.

The middleware runs outside all the others, so it sees the status the caller got: a call
refused by authentication (401, 403), an error mapped to its status, an empty long poll
(204). Calls are labelled by operation — the API operation's name, or one of a few fixed
names for the other paths — never by the raw path, which holds namespaces and workflow ids.
"""

from __future__ import annotations

import time

from aiohttp import typedefs, web

from legato.api import operations as ops
from legato_operator import metrics

_OPERATIONS = frozenset(op.name for op in ops.OPERATIONS)
_PATHS = {"/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics", "/openapi.json": "openapi"}
# A path no route serves, or a method the path does not take (404, 405).
UNMATCHED = "unmatched"
UI = "ui"


def operation_of(request: web.Request) -> str:
    """The bounded name a call is counted under."""
    info = request.match_info
    if info.http_exception is not None:
        return UNMATCHED
    return route_name(info.route)


def route_name(route: web.AbstractRoute) -> str:
    """The name the calls a route serves are counted under; `UNMATCHED` for a route of none."""
    # The API's handlers carry their operation's name (`routes.Route.handler`).
    name = getattr(route.handler, "__name__", "")
    if name in _OPERATIONS:
        return name
    canonical = route.resource.canonical if route.resource is not None else ""
    if canonical in _PATHS:
        return _PATHS[canonical]
    if canonical in ("/", "/ui") or canonical.startswith("/ui/"):
        return UI
    return UNMATCHED


@web.middleware
async def middleware(request: web.Request, handler: typedefs.Handler) -> web.StreamResponse:
    """Count and time the call under its operation and final status.

    A call cancelled because its client went away got no answer, and is not counted.
    """
    operation = operation_of(request)
    started = time.perf_counter()
    try:
        response = await handler(request)
    # A redirect (the UI's `/`) or a refusal no inner middleware turned into an answer.
    except web.HTTPException as e:
        _count(operation, e.status, started)
        raise
    except Exception:
        _count(operation, 500, started)
        raise
    _count(operation, response.status, started)
    return response


def _count(operation: str, status: int, started: float) -> None:
    metrics.HTTP_REQUESTS.labels(operation, str(status)).inc()
    metrics.HTTP_REQUEST_DURATION.labels(operation).observe(time.perf_counter() - started)
