"""Workflows that call what the determinism guard refuses, imported the way user code is.

The names are imported at the top, long before any worker exists (``from datetime import
datetime``), which is what the guard must still catch.
"""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from random import randint, random
from time import monotonic, perf_counter, sleep, time, time_ns

from legato import workflow

with workflow.unsafe.imports_passed_through():
    from tests.sdk import passed_through_clock

from tests.sdk import unpassed_clock

# Each guarded call, by the name the error must give (and how it was reached), with the replacement it suggests.
CALLS: dict[str, tuple[Callable[[], object], str]] = {
    "datetime.datetime.now": (lambda: datetime.now(), "workflow.now()"),
    "datetime.datetime.utcnow": (lambda: datetime.utcnow(), "workflow.now()"),
    "datetime.date.today": (lambda: date.today(), "workflow.now()"),
    "time.time": (lambda: time(), "workflow.time()"),
    "time.time_ns": (lambda: time_ns(), "workflow.time()"),
    "time.monotonic": (lambda: monotonic(), "workflow.time()"),
    "time.perf_counter": (lambda: perf_counter(), "workflow.time()"),
    "time.sleep": (lambda: sleep(0), "workflow.sleep()"),
    "random.random": (lambda: random(), "workflow.random()"),
    "random.randint": (lambda: randint(1, 6), "workflow.random()"),
    "uuid.uuid4": (lambda: uuid.uuid4(), "workflow.uuid4()"),
    "os.urandom": (lambda: os.urandom(4), "workflow.random()"),
    "threading.Thread.start": (lambda: threading.Thread(target=print).start(), "activity"),
    "open": (lambda: open(__file__).close(), "activity"),
    # Through the standard library, the call is the caller's.
    "open (via pathlib)": (lambda: Path(__file__).read_text(), "activity"),
    "socket.socket": (lambda: socket.socket().close(), "activity"),
    "subprocess.Popen": (lambda: subprocess.run(["true"], check=False), "activity"),
    "time.time (via a module not passed through)": (lambda: unpassed_clock.now(), "workflow.time()"),
}


@workflow.defn
class CallsWorkflow:
    """Makes the named call from workflow code."""

    @workflow.run
    async def run(self, name: str) -> str:
        CALLS[name][0]()
        return "done"


@workflow.defn
class CatchesTheGuardWorkflow:
    """Swallows the guard's error; the task must fail anyway."""

    @workflow.run
    async def run(self) -> str:
        try:
            time()
        except Exception:
            return "caught"
        return "not caught"


@workflow.defn
class EscapesWorkflow:
    """Uses every allowed way to the clock, randomness and logging."""

    @workflow.run
    async def run(self) -> list[str]:
        with workflow.unsafe.sandbox_unrestricted():
            datetime.now()
            unrestricted = workflow.unsafe.is_sandbox_unrestricted()
        workflow.logger.info("logging reads the clock itself")
        passed_through_clock.now()
        return [
            str(workflow.unsafe.in_sandbox()),
            str(unrestricted),
            workflow.now().isoformat(),
            str(workflow.random().randint(1, 6)),
            str(workflow.uuid4()),
        ]


def _note_collection(phase: str, info: dict[str, int]) -> None:
    # A garbage collector callback reading the clock, as profilers and test tools install.
    time()


@workflow.defn
class CollectsGarbageWorkflow:
    """Triggers a collection whose callback reads the clock: not the workflow's doing."""

    @workflow.run
    async def run(self) -> str:
        gc.callbacks.append(_note_collection)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(_note_collection)
        return "collected"


@workflow.defn(sandboxed=False)
class UnsandboxedWorkflow:
    """Declared unsandboxed: the guard leaves it alone."""

    @workflow.run
    async def run(self) -> str:
        return f"{time()} {workflow.unsafe.in_sandbox()}"
