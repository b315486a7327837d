"""Runs the reconcilers: kopf and the leader loops, on the replica that holds the Lease.

`run` campaigns for the Lease and, while this replica leads, runs kopf (over the context's
`scope`, standalone: the Lease, not kopf's peering, decides who reconciles) with the handlers of
`workflows`, `task_queues` and `schedules`, and every loop registered with `context.leader_loop`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import kopf

from legato_operator.k8s import context, diffbase, leader, schedules, scope, task_queues, workflow_ttl, workflows

log = logging.getLogger(__name__)

# Imported for their registrations on context.registry and context.leader_loops.
HANDLER_MODULES = (workflows, task_queues, schedules, workflow_ttl)


@kopf.on.login(registry=context.registry)
def login(memo: kopf.Memo, **_: Any) -> kopf.ConnectionInfo:
    """kopf connects with the same credentials as our own client."""
    configuration = context.of(memo).kube.api_client.configuration
    api_key: dict[str, str] = configuration.api_key or {}
    authorization = api_key.get("authorization") or api_key.get("BearerToken") or ""
    scheme, _sep, token = authorization.partition(" ")
    return kopf.ConnectionInfo(
        server=configuration.host,
        ca_path=configuration.ssl_ca_cert,
        insecure=not configuration.verify_ssl,
        scheme=scheme or None,
        token=token or None,
        certificate_path=configuration.cert_file,
        private_key_path=configuration.key_file,
    )


@kopf.on.startup(registry=context.registry)
def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # Server-side: another instance's resources never reach this operator's handlers.
    ours = context.of(memo).scope
    settings.watching.label_selectors[scope.GROUP, kopf.EVERYTHING] = ours.label_selector
    # Namespace-scoped, the operator may list neither namespaces nor CRDs: the resources are
    # discovered once at start (the CRDs come before the operator), the namespaces are given.
    settings.scanning.disabled = bool(ours.namespaces)
    settings.persistence.finalizer = context.FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="legato.dev")
    # Digests only: a resource's annotations cannot hold a copy of a large spec.
    settings.persistence.diffbase_storage = diffbase.DigestDiffBaseStorage(prefix="legato.dev")
    settings.posting.level = logging.WARNING
    settings.watching.server_timeout = 300


async def run(ctx: context.OperatorContext, elector: leader.LeaderElector, on_ready: Callable[[], None]) -> None:
    """Campaign for the Lease and reconcile while holding it; returns when kopf stops by itself."""

    async def lead() -> None:
        await reconcile(ctx, on_ready)

    await elector.run(lead)


async def reconcile(ctx: context.OperatorContext, on_ready: Callable[[], None]) -> None:
    """kopf and the leader loops until cancelled (lost lease, shutdown) or kopf ends."""
    ready = asyncio.Event()
    memo = kopf.Memo(legato=ctx)
    kopf_task = asyncio.create_task(
        kopf.operator(
            registry=context.registry, standalone=True, memo=memo, ready_flag=ready, **ctx.scope.kopf_arguments()
        ),
        name="legato-kopf",
    )
    loops: list[asyncio.Task[None]] = [
        asyncio.create_task(loop(ctx), name=f"legato-{loop.__name__}") for loop in context.leader_loops
    ]
    try:
        await asyncio.wait({kopf_task, asyncio.create_task(ready.wait())}, return_when=asyncio.FIRST_COMPLETED)
        # kopf installs its own SIGINT/SIGTERM handlers; the process's shutdown is ours.
        on_ready()
        await kopf_task
    finally:
        for task in [kopf_task, *loops]:
            task.cancel()
        await asyncio.gather(kopf_task, *loops, return_exceptions=True)
