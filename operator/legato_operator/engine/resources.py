"""Runs started from `Workflow` resources: start with the link, and the link's bookkeeping.

A resource's run starts through the same ``workflows.start_in`` as an API start, in one
transaction with the row that links the resource to the run. A second reconcile finds
the link and starts nothing; a link lost after its start (it cannot be, but the start's
request id is the resource's uid anyway) would find the same run by that request id.
"""

from __future__ import annotations

from typing import Any

from legato.api import service as api
from legato.api.common import WorkflowExecutionStatus
from legato_operator.engine import runtime, workflows
from legato_operator.store import resources, rows

# At most this many links are synced per pass of the status writer.
SYNC_BATCH = 200


async def start(
    rt: runtime.Runtime,
    key: rows.ResourceKey,
    request: api.StartWorkflowRequest,
    *,
    identity: dict[str, Any],
    generation: int,
) -> tuple[rows.WorkflowResource, bool]:
    """The resource's link, starting its run first if it has none; True if this call started it."""

    async def change(tx: runtime.Tx) -> tuple[rows.WorkflowResource, bool]:
        existing = await resources.load(tx.conn, key)
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
        await resources.insert(tx.conn, link)
        return link, response.started

    return await rt.run("start_workflow_resource", change)


async def load(rt: runtime.Runtime, key: rows.ResourceKey) -> rows.WorkflowResource | None:
    """The resource's link, or None when its run was never started."""
    async with rt.pool.acquire() as conn:
        return await resources.load(conn, key)


async def observe(rt: runtime.Runtime, key: rows.ResourceKey, generation: int, refused_fields: list[str]) -> None:
    """Record the generation handled and which identity fields its spec would change."""
    async with rt.pool.acquire() as conn:
        await resources.observe(conn, key, generation, refused_fields)


async def record_signal(rt: runtime.Runtime, key: rows.ResourceKey, signal_id: str, refusal: str | None) -> None:
    """Record a signal delivered (``refusal`` None), or not deliverable and why."""
    async with rt.pool.acquire() as conn:
        await resources.record_signal(conn, key, signal_id, refusal)


async def unsynced(rt: runtime.Runtime, *, include_running: bool) -> list[rows.UnsyncedResource]:
    """Links whose status is behind (with ``include_running`` False: closed runs only)."""
    async with rt.pool.acquire() as conn:
        return await resources.unsynced(conn, include_running=include_running, limit=SYNC_BATCH)


async def mark_synced(
    rt: runtime.Runtime,
    link: rows.WorkflowResource,
    *,
    version: int,
    status: WorkflowExecutionStatus,
    closed: bool,
    conditions: list[dict[str, Any]],
) -> None:
    """Record the status just written; called only after the write succeeded."""
    async with rt.pool.acquire() as conn:
        await resources.mark_synced(conn, link, version=version, status=status, closed=closed, conditions=conditions)


async def forget(rt: runtime.Runtime, key: rows.ResourceKey) -> None:
    """Drop the link of a resource that is gone; the run and its history stay."""
    async with rt.pool.acquire() as conn:
        await resources.delete(conn, key)
