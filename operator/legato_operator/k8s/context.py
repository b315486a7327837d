"""What the kopf handlers share: the registry they register on, and the operator's context.

Handlers are registered on `registry` (not kopf's default one), so importing a handler
module never changes what another program's kopf runs. The `OperatorContext` reaches
every handler as ``memo.legato`` and every leader loop as its argument. A handler that
reconciles a resource is wrapped in `reconciler`, which counts and times its runs.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import kopf

from legato_operator import metrics
from legato_operator.engine.services import runner
from legato_operator.k8s import kube
from legato_operator.k8s.scope import Scope

P = ParamSpec("P")
R = TypeVar("R")

registry = kopf.OperatorRegistry()
FINALIZER = "legato.dev/finalizer"


@dataclass
class OperatorContext:
    """The engine, the Kubernetes client and the settings the reconcilers work with."""

    runtime: runner.Runtime
    kube: kube.Kube
    # What workers are told to dial (LEGATO_ADDRESS), e.g. legato.legato-system.svc:7233.
    server_address: str
    # How often a running Workflow's status is written back, at most.
    status_interval: float = 2.0
    # How often each TaskQueue's backlog is read and its Deployment scaled.
    scale_interval: float = 5.0
    # How long onDelete=Cancel waits for the run to close before it terminates it.
    cancel_grace: float = 30.0
    # How long a workflow task may wait on a queue no worker polls before its run shows stuck.
    stuck_after: float = 60.0
    # ttlAfterFinished of Workflows whose spec gives none (None: finished resources are kept).
    ttl_after_finished: float | None = None
    # The namespaces and instance label of the resources this operator reconciles.
    scope: Scope = field(default_factory=Scope)
    extras: dict[str, Any] = field(default_factory=dict)


LeaderLoop = Callable[[OperatorContext], Coroutine[Any, Any, None]]
# Loops that run beside kopf while this replica leads (e.g. the Workflow status writer).
leader_loops: list[LeaderLoop] = []


def leader_loop(fn: LeaderLoop) -> LeaderLoop:
    """Register ``fn`` to run while this replica holds the lease; cancelled when it loses it."""
    leader_loops.append(fn)
    return fn


def of(memo: Any) -> OperatorContext:
    """The context from a handler's ``memo`` kwarg."""
    ctx: OperatorContext = memo.legato
    return ctx


def reconciler(kind: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Count each run of the handler in ``legato_reconcile_total{kind, outcome}`` and time it.

    Goes below the ``kopf.on`` decorators, so kopf registers (and names) the wrapped
    handler as the handler itself. Any exception is an ``error`` — kopf retries a
    TemporaryError and gives up on a PermanentError, and either way the resource did not
    reach its desired state this time. A run cancelled (the lease lost, shutdown) is not counted.
    """

    def decorate(handler: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(handler)
        async def measured(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                result = await handler(*args, **kwargs)
            except Exception:
                _count(kind, "error", started)
                raise
            _count(kind, "success", started)
            return result

        return measured

    return decorate


def _count(kind: str, outcome: str, started: float) -> None:
    metrics.RECONCILES.labels(kind, outcome).inc()
    metrics.RECONCILE_DURATION.labels(kind).observe(time.perf_counter() - started)
