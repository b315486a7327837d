"""The web UI for people: a static page that reads and acts through the JSON API.

Belongs here: the routes that serve the page (``/ui/`` and its files under
``/ui/static/``) and the redirect from ``/``. The page is plain HTML, one CSS file and
JavaScript modules in ``static/``, with no build step; everything it shows it fetches from
``/api/v1/...`` with the token the person signs in with, so it can do nothing the API
would refuse them.

Does not belong here: any data of its own. A handler that answered the page anything
but its files would be a second API that authorization does not cover.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
PREFIX = "/ui/"
# Only the page's own files, no inline script or style, nothing from elsewhere; never in a frame.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def add_to(app: web.Application) -> None:
    """Serve the UI at ``/ui/``; ``/`` and ``/ui`` redirect there."""
    app.router.add_get("/", _to_ui)
    app.router.add_get("/ui", _to_ui)
    app.router.add_get(PREFIX, index)
    app.router.add_static(PREFIX + "static/", STATIC, append_version=False)


async def index(_request: web.Request) -> web.FileResponse:
    """The page; its modules route by the URL's fragment (``#/namespaces/default/workflows``)."""
    return web.FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)


async def _to_ui(_request: web.Request) -> web.Response:
    raise web.HTTPFound(PREFIX)
