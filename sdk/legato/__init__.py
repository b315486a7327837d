"""Legato's Python SDK: durable workflows and activities with Temporal's Python API.

Public modules mirror ``temporalio``: ``workflow``, ``activity``, ``client``, ``worker``,
``common``, ``exceptions``, ``converter`` and ``testing``; code written for Temporal runs
with the import changed from ``temporalio`` to ``legato``.

Belongs here: what a worker or client process needs, talking to the server over its HTTP
API (``legato.api`` is that wire contract). Private packages: ``_runtime`` (the
deterministic workflow loop and replay) and ``_worker`` (poll loops, cache, transport).
Never here: the server, its database or Kubernetes (no asyncpg, kopf or kubernetes).
"""

__version__ = "0.1.0"
