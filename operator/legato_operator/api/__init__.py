"""The HTTP/JSON API that clients and workers call (aiohttp), and its OpenAPI document.

Belongs here: routes, request parsing and validation at the edge (pydantic models of
``legato.api.workflowservice.v1``; payload size limits), the mapping of the error tree to HTTP
statuses, health, readiness and metrics endpoints, the access each operation asks of a
person (``access``), and the web UI's static files (``ui``: a page that reads through this
same API). Handlers are thin: each parses its input and calls one engine function.

Does not belong here: deciding what a request does to a run (the engine) or SQL (the store).
"""
