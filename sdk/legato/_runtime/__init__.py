"""The deterministic workflow runtime: the workflow instance as an asyncio event loop.

Belongs here: the loop (``loop``), workflow and activity definitions read from the
decorators (``definitions``), splitting history into activations and matching commands
against it (``replay``), the per-run instance that turns history into commands
(``instance``, ``activities``), and the context a running activity sees (``activity_context``).

Does not belong here: any I/O. Nothing in this package talks to the server; the worker
(``legato._worker``) feeds it history and sends what it returns.
"""
