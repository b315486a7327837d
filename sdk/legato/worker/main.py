"""A worker process for a module of workflows and activities: ``python -m legato.worker MODULE``.

Not in temporalio, whose workers are always a program of one's own: this is the entry
point of a worker image, so that a module needs no main of its own. The module lists
what it runs in ``WORKFLOWS`` and ``ACTIVITIES`` and may name its ``TASK_QUEUE``. The
client reads LEGATO_ADDRESS, LEGATO_NAMESPACE and LEGATO_TOKEN_FILE, and
LEGATO_TASK_QUEUE wins over the module's queue: all four are set by the operator on a
TaskQueue's pods. LEGATO_LOG_LEVEL (e.g. DEBUG, which shows every task taken) sets the
log level. On SIGTERM (a scale-down) or SIGINT the worker stops polling and gives running
activities the graceful shutdown timeout to finish before they are cancelled.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import signal
from collections.abc import Sequence
from datetime import timedelta
from types import ModuleType

from legato.client import Client
from legato.worker import Worker

LOG_LEVEL_ENV = "LEGATO_LOG_LEVEL"
TASK_QUEUE_ENV = "LEGATO_TASK_QUEUE"
DEFAULT_GRACE = timedelta(seconds=30)


def serve(module: ModuleType | str, *, graceful_shutdown_timeout: timedelta = DEFAULT_GRACE) -> None:
    """Run a worker of ``module`` (or the module of that name) until SIGTERM or SIGINT."""
    found = importlib.import_module(module) if isinstance(module, str) else module
    logging.basicConfig(level=os.environ.get(LOG_LEVEL_ENV, "INFO").upper())
    asyncio.run(_run(found, graceful_shutdown_timeout))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m legato.worker MODULE [--graceful-shutdown-timeout SECONDS]``."""
    parser = argparse.ArgumentParser(prog="python -m legato.worker", description=__doc__.split("\n")[0])
    parser.add_argument("module", help="the module of WORKFLOWS, ACTIVITIES and TASK_QUEUE, e.g. orders.workflows")
    parser.add_argument("--graceful-shutdown-timeout", type=float, default=DEFAULT_GRACE.total_seconds())
    args = parser.parse_args(argv)
    serve(args.module, graceful_shutdown_timeout=timedelta(seconds=args.graceful_shutdown_timeout))


async def _run(module: ModuleType, grace: timedelta) -> None:
    workflows, activities = list(getattr(module, "WORKFLOWS", [])), list(getattr(module, "ACTIVITIES", []))
    if not workflows and not activities:
        raise SystemExit(f"{module.__name__} lists no WORKFLOWS and no ACTIVITIES")
    queue = None if TASK_QUEUE_ENV in os.environ else getattr(module, "TASK_QUEUE", None)
    client = await Client.connect()
    worker = Worker(
        client, task_queue=queue, workflows=workflows, activities=activities, graceful_shutdown_timeout=grace
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.shutdown()))
    await worker.run()
