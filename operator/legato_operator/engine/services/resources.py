"""Runs started from `Workflow` resources: the start and each signal commit with their link.

A resource's run starts through the same ``workflows.start_in`` as an API start, in one
transaction with the row that links the resource to the run. A second reconcile finds
the link and starts nothing; a link lost after its start (it cannot be, but the start's
request id is the resource's uid anyway) would find the same run by that request id.

A signal from ``spec.signals`` is delivered and recorded on the link in one transaction
too, so a crash between the two cannot leave it delivered but unrecorded; one that can
never be delivered (the run closed) is recorded with the reason. The link's other
bookkeeping is single statements of ``store.resource_links``, run with ``Runtime.query``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.engine.services import runner, workflows
from legato_operator.store import resource_links, rows

# At most this many links are synced per pass of the status writer.
SYNC_BATCH = 200
# At most this many links whose run did not change are rechecked per full pass.
RECHECK_BATCH = 50


async def start(
    rt: runner.Runtime,
    key: rows.ResourceKey,
    request: api.StartWorkflowRequest,
    *,
    identity: dict[str, Any],
    generation: int,
) -> tuple[rows.WorkflowResource, bool]:
    """The resource's link, starting its run first if it has none; True if this call started it."""

    async def change(tx: runner.Tx) -> tuple[rows.WorkflowResource, bool]:
        existing = await resource_links.load(tx.conn, key)
        if existing is not None:
            return existing, False
        response = await workflows.start_in(rt, tx, key.namespace, request)
        link = rows.WorkflowResource(
            key=key,
            workflow_id=request.workflow_id,
            run_id=response.run_id,
            identity=identity,
            generation=generation,
        )
        await resource_links.insert(tx.conn, link)
        return link, response.started

    return await rt.run("start_workflow_resource", change)


async def signal(
    rt: runner.Runtime, key: rows.ResourceKey, signal_id: str, request: api.SignalWorkflowRequest
) -> str | None:
    """Deliver one of the resource's signals and record it; None when delivered, else why
    it never can be (recorded as undelivered)."""

    async def deliver(tx: runner.Tx) -> None:
        await workflows.signal_in(rt, tx, key.namespace, request)
        await resource_links.record_signal(tx.conn, key, signal_id, None)

    try:
        await rt.run("signal_workflow_resource", deliver)
    # The run closed (or the id names no run): no run will ever take this signal.
    except (errors.NotFound, errors.InvalidArgument) as e:
        await refuse_signal(rt, key, signal_id, e.message)
        return e.message
    return None


async def refuse_signal(rt: runner.Runtime, key: rows.ResourceKey, signal_id: str, reason: str) -> None:
    """Record that one of the resource's signals will never be delivered, and why."""
    await rt.query(resource_links.record_signal, key, signal_id, reason)


# Finished resources past their ttlAfterFinished deleted per round, at most.
EXPIRE_BATCH = 100


async def set_ttl(rt: runner.Runtime, key: rows.ResourceKey, seconds: float | None) -> None:
    """Record the resource's ttlAfterFinished (None: keep it)."""
    await rt.query(resource_links.set_ttl, key, seconds)


async def expired(rt: runner.Runtime) -> list[rows.ResourceKey]:
    """Finished resources whose ttlAfterFinished has passed, a batch at most."""
    return await rt.query(resource_links.expired, rt.clock.now(), EXPIRE_BATCH)


async def unsynced(rt: runner.Runtime, *, include_running: bool) -> list[rows.UnsyncedResource]:
    """Links whose status is behind (with ``include_running`` False: closed runs only), a batch at most."""
    return await rt.query(resource_links.unsynced, include_running=include_running, limit=SYNC_BATCH)


async def waiting(
    rt: runner.Runtime, *, longer_than: timedelta, after_run_id: str | None
) -> list[rows.UnsyncedResource]:
    """Links whose run's workflow task has waited for a worker for ``longer_than``: due a
    recheck though the run did not change. A batch at most, in run id order after ``after_run_id``."""
    since = rt.clock.now() - longer_than
    return await rt.query(resource_links.waiting, since=since, after_run_id=after_run_id, limit=RECHECK_BATCH)
