"""What the kopf handlers share: the registry they register on, and the operator's context.

Handlers are registered on `registry` (not kopf's default one), so importing a handler
module never changes what another program's kopf runs. The `OperatorContext` reaches
every handler as ``memo.legato`` and every leader loop as its argument.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import kopf

from legato_operator.engine.services import runner
from legato_operator.k8s import kube

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
